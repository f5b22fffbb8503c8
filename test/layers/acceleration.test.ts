import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../helpers";
import { pattern } from "../fixtures/patterns";

const test = suite("acceleration");
test.before(ready);

const key = () => trax.fastmath.random.getPrng(0);

/** A Dense layer initialized for `(batch, 7)` inputs, with its outputs on `x`. */
function dense2(x: tf.Tensor): { layer: tl.Layer; y: tf.Tensor } {
  const layer = tl.Dense(2);
  layer.init(new ShapeDtype([x.shape[0], 7]));
  return { layer, y: layer(x) as tf.Tensor };
}

// ------------------------------------------------------------ Trax's cases

test("Accelerate gives the layer's outputs (Trax test_accelerated_same_result)", () => {
  const x = pattern([8, 7], "sin", 0.37, 0.1);
  const { layer, y } = dense2(x);
  const z = tl.Accelerate(layer)(x);
  assertClose(z, y, 1e-6, 1e-6);
});

test("Accelerate pads a batch that does not divide and cuts it back (Trax test_accelerated_pad)", () => {
  const x = pattern([3, 7], "sin", 0.37, 0.1);
  const { layer, y } = dense2(x);
  const fast = tl.Accelerate(layer, { nDevices: 2 });
  const z = fast(x) as tf.Tensor;
  assert.equal(z.shape, y.shape);
  assertClose(z, y, 1e-6, 1e-6);
});

test("Accelerate of a weighted metric: padded items weigh 0 (Trax test_accelerated_weighted_category_accuracy)", () => {
  const outputs = tf.tensor([[0.2, 0.1, 0.7, 0], [0.2, 0.1, 0.7, 0], [0.2, 0.1, 0.7, 0], [0.2, 0.1, 0.7, 0]]);
  const targets = tf.tensor([0, 1, 2, 3], undefined, "int32");
  const weights = tf.tensor([1, 1, 1, 0]);
  const layer = tl.Accelerate(tl.WeightedCategoryAccuracy());
  assertClose(layer([outputs, targets, weights]), 1 / 3, 1e-6);
  // Three items padded to four for two devices: the padded item has weight 0.
  const padded = tl.Accelerate(tl.WeightedCategoryAccuracy(), { nDevices: 2 });
  assertClose(padded([outputs.slice(0, 3), targets.slice(0, 3), weights.slice(0, 3)]), 1 / 3, 1e-6);
  const four = tl.Accelerate(tl.WeightedCategoryAccuracy(), { nDevices: 4 });
  assertClose(four([outputs.slice(0, 3), targets.slice(0, 3), weights.slice(0, 3)]), 1 / 3, 1e-6);
});

test("Accelerate of a Chunk: (64, 16) through Dense(32), Dense(8) in chunks of 16 (Trax test_chunk_memory, small)", () => {
  const chunked = tl.Chunk(tl.Serial(tl.Dense(32), tl.Dense(8)), 16);
  const x = pattern([64, 16]);
  chunked.init(new ShapeDtype([64, 16]));
  const y = chunked(x) as tf.Tensor;
  const z = tl.Accelerate(chunked)(x) as tf.Tensor;
  assert.equal(y.shape, [64, 8]);
  assertClose(z, y, 1e-6, 1e-6);
});

test("gradients through an Accelerate'd Chunk's pure function (Trax test_chunk_grad_memory, small)", () => {
  const chunked = tl.Chunk(tl.Serial(tl.Dense(32), tl.Dense(4)), 8);
  const x = pattern([32, 16]);
  chunked.init(new ShapeDtype([32, 16]));
  const fast = tl.Accelerate(chunked);
  const loss = (ws: unknown, layer: tl.Layer) => (layer.pureFn(x, ws as never, layer.state, key())[0] as tf.Tensor).mean();
  const flat = (w: unknown): tf.Tensor[] => (Array.isArray(w) ? w.flatMap(flat) : [w as tf.Tensor]);
  const leaves = flat(chunked.weights);
  const rebuild = (ts: tf.Tensor[]) => {
    let i = 0;
    const go = (w: unknown): unknown => (Array.isArray(w) ? w.map(go) : ts[i++]);
    return go(chunked.weights);
  };
  const gPlain = tf.grads((...ts: tf.Tensor[]) => loss(rebuild(ts), chunked) as tf.Scalar)(leaves);
  const gFast = tf.grads((...ts: tf.Tensor[]) => loss(rebuild(ts), fast) as tf.Scalar)(leaves);
  assert.equal(gFast.map((g) => g.shape), leaves.map((w) => w.shape));
  gFast.forEach((g, i) => assertClose(g, gPlain[i], 1e-6, 1e-5, `gradient ${i}`));
});

// ---------------------------------------------------------------- Accelerate

test("Accelerate wraps one sublayer: name, nIn/nOut, sublayer, nDevices (default: local devices, 1)", () => {
  const inner = tl.Serial(tl.Dense(3), tl.Relu());
  const fast = tl.Accelerate(inner);
  assert.is(fast.name, "Accelerate");
  assert.ok(fast instanceof tl.Accelerate);
  assert.is(fast.sublayer, inner);
  assert.equal(fast.sublayers, [inner]);
  assert.is(fast.nDevices, tl.localDeviceCount());
  assert.is(fast.nDevices, 1);
  assert.is(tl.Accelerate(inner, { nDevices: 4 }).nDevices, 4);
  assert.is(tl.Accelerate(inner, { nDevices: null }).nDevices, 1);
  const metric = tl.Accelerate(tl.WeightedCategoryAccuracy());
  assert.equal([metric.nIn, metric.nOut], [3, 1]);
});

test("Accelerate shares the sublayer's weights and state; replicateWeights/State set them", () => {
  const x = pattern([4, 7], "sin", 0.37, 0.1);
  const { layer } = dense2(x);
  const fast = tl.Accelerate(layer);
  assert.is((fast.weights as tf.Tensor[])[0], (layer.weights as tf.Tensor[])[0]);
  const w = tf.ones([7, 2]);
  const b = tf.tensor([1, -1]);
  fast.replicateWeights([w, b]);
  assert.is((layer.weights as tf.Tensor[])[0], w);
  assertClose(fast(x), tf.matMul(x, w).add(b), 1e-5);
  fast.weights = [tf.zeros([7, 2]), tf.tensor([3, 4])];
  assertClose(layer(x), [[3, 4], [3, 4], [3, 4], [3, 4]]);
  const bn = tl.BatchNorm({ axis: [0] });
  bn.init(new ShapeDtype([4, 2]));
  const fastBn = tl.Accelerate(bn);
  const state = [tf.ones([1, 2]), tf.ones([1, 2]).mul(4), tf.scalar(5, "int32")];
  fastBn.replicateState(state);
  assert.is(bn.state, state);
  assert.is(fastBn.state, state);
});

test("Accelerate of a stateful layer updates the sublayer's state like the layer itself", () => {
  const x = tf.tensor([[1, 2], [3, 6]]);
  const plain = tl.BatchNorm({ axis: [0], momentum: 0.5 });
  const inner = tl.BatchNorm({ axis: [0], momentum: 0.5 });
  const fast = tl.Accelerate(inner);
  const yPlain = plain(x);
  const yFast = fast(x);
  assertClose(yFast, yPlain, 1e-6);
  assertClose((inner.state as tf.Tensor[])[0], [[1, 2]]);
  assertClose((fast.state as tf.Tensor[])[1], (plain.state as tf.Tensor[])[1]);
  assert.is((inner.state as tf.Tensor[])[2].arraySync(), 1);
  // Padding for 3 devices puts a zero row in the batch statistics, as in the reference.
  const padded = tl.BatchNorm({ axis: [0], momentum: 0.5 });
  tl.Accelerate(padded, { nDevices: 3 })(x);
  assertClose((padded.state as tf.Tensor[])[0], [[4 / 6, 8 / 6]], 1e-6);
});

test("Accelerate initializes an uninitialized sublayer on first call; an initialized one keeps its weights", () => {
  const inner = tl.Dense(3);
  const fast = tl.Accelerate(inner);
  const y = fast(tf.ones([2, 5])) as tf.Tensor;
  assert.equal(y.shape, [2, 3]);
  assert.ok(inner.initialized);
  assert.equal((inner.weights as tf.Tensor[])[0].shape, [5, 3]);
  const x = pattern([4, 7]);
  const { layer, y: before } = dense2(x);
  const w0 = (layer.weights as tf.Tensor[])[0];
  const z = tl.Accelerate(layer)(x);
  assert.is((layer.weights as tf.Tensor[])[0], w0);
  assertClose(z, before, 1e-6);
});

test("Accelerate passes explicit weights and the key through; several inputs and outputs are padded and cut", () => {
  const x = pattern([3, 7]);
  const { layer } = dense2(x);
  const fast = tl.Accelerate(layer, { nDevices: 2 });
  const w = [tf.zeros([7, 2]), tf.tensor([5, 6])];
  assertClose(fast(x, { weights: w }), [[5, 6], [5, 6], [5, 6]]);
  // A 2-in 2-out layer: both outputs cut back to the batch.
  const pair = tl.Parallel(tl.Relu(), tl.Fn("Twice", (t: tf.Tensor) => t.mul(2)));
  const [a, b] = tl.Accelerate(pair, { nDevices: 4 })([tf.tensor([[-1, 2], [3, -4], [5, 6]]), tf.tensor([1, 2, 3])]) as tf.Tensor[];
  assertClose(a, [[0, 2], [3, 0], [5, 6]]);
  assertClose(b, [2, 4, 6]);
  // Dropout sees the key given to the call, unchanged.
  const drop = tl.Dropout({ rate: 0.5, mode: "train" });
  const ones = tf.ones([4, 10]);
  drop.init(new ShapeDtype([4, 10]));
  const k = trax.fastmath.random.getPrng(7);
  const masked = tl.Accelerate(drop)(ones, { rng: k }) as tf.Tensor;
  assertClose(masked, drop(ones, { rng: k }));
  const zeros = masked.equal(0).sum().arraySync() as number;
  assert.ok(zeros > 5 && zeros < 35, `about half dropped (${zeros} of 40)`);
  const other = tl.Accelerate(drop)(ones, { rng: trax.fastmath.random.getPrng(8) }) as tf.Tensor;
  assert.ok(other.sub(masked).abs().sum().arraySync() as number > 0, "another key, another mask");
});

test("Accelerate errors: not a layer, bad nDevices, scalar input", () => {
  assert.throws(() => tl.Accelerate(null as never), /needs a layer/);
  assert.throws(() => tl.Accelerate(tl.Relu(), { nDevices: -1 }), /non-negative integer/);
  assert.throws(() => tl.Accelerate(tl.Relu(), { nDevices: 1.5 }), /non-negative integer/);
  assertLayerError(() => tl.Accelerate(tl.Relu(), { nDevices: 2 })(tf.scalar(3)), /Accelerate/, /first \(batch\) axis/);
});

test("Accelerate leaks nothing, with and without padding", () => {
  const x = pattern([3, 7]);
  const { layer } = dense2(x);
  for (const n of [1, 2]) {
    const fast = tl.Accelerate(layer, { nDevices: n });
    fast(x).dispose();
    assert.is(leakedBy(() => tf.dispose(fast(x))), 0, `nDevices ${n}`);
  }
  const bn = tl.Accelerate(tl.BatchNorm({ axis: [0] }), { nDevices: 2 });
  tf.dispose(bn(x));
  assert.is(leakedBy(() => tf.dispose(bn(x))), 0, "stateful");
});

// ---------------------------------------------------------------- jitForward

test("jitForward on 0 or 1 devices is the pure function itself (of a layer or a function)", () => {
  const x = pattern([4, 7]);
  const { layer, y } = dense2(x);
  for (const n of [0, 1]) {
    const [out, state] = tl.jitForward(layer, n)(x, layer.weights, layer.state, key());
    assertClose(out, y, 1e-6);
    assert.equal(state, []);
  }
  const f: tl.PureForward = (t, w, s) => [(t as tf.Tensor).add(1), s];
  assert.is(tl.jitForward(f, 1), f);
  assert.is(tl.jitForward(f, 0, { doMean: true }), f);
});

test("jitForward on several devices: batch must divide; doMean averages over the batch, doMean false does not", () => {
  const x = pattern([4, 7]);
  const { layer, y } = dense2(x);
  const [mean] = tl.jitForward(layer, 2)(x, layer.weights, layer.state, key());
  assertClose(mean, y.mean(0), 1e-6);
  const [all] = tl.jitForward(layer, 4, { doMean: false })(x, layer.weights, layer.state, key());
  assertClose(all, y, 1e-6);
  assert.throws(() => tl.jitForward(layer, 3)(x, layer.weights, layer.state, key()), /Number of devices \(3\) does not evenly divide batch size \(4\)\./);
  // Scalars (one per device in the reference) stay as computed.
  const f: tl.PureForward = (t, _w, s) => [[(t as tf.Tensor).sum(), (t as tf.Tensor).mul(2)] as tl.LayerOutput, s];
  const [[total, twice]] = tl.jitForward(f, 2)(tf.tensor([[1, 2], [3, 4]]), [], [], key()) as [tf.Tensor[], unknown];
  assertClose(total, 10);
  assertClose(twice, [4, 6]);
  assert.throws(() => tl.jitForward(f, -2), /non-negative integer/);
  assert.throws(() => tl.jitForward(42 as never, 1), /forward function or a layer/);
});

test("jitForward with doMean leaks nothing but its outputs", () => {
  const x = pattern([4, 7]);
  const { layer } = dense2(x);
  const f = tl.jitForward(layer, 2);
  tf.dispose(f(x, layer.weights, layer.state, key())[0] as tf.Tensor);
  assert.is(leakedBy(() => tf.dispose(f(x, layer.weights, layer.state, key())[0] as tf.Tensor)), 0);
});

// ------------------------------------------------------------ functions

test("reshapeByDevice splits the batch axis of every (nested) tensor", () => {
  const x = tf.range(0, 12).reshape([6, 2]);
  const y = tl.reshapeByDevice(x, 3) as tf.Tensor;
  assert.equal(y.shape, [3, 2, 2]);
  assertClose(y, [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9], [10, 11]]]);
  const [a, [b]] = tl.reshapeByDevice([tf.zeros([4]), [tf.zeros([4, 2, 3])]], 2, { pureNp: true }) as [tf.Tensor, tf.Tensor[]];
  assert.equal(a.shape, [2, 2]);
  assert.equal(b.shape, [2, 2, 2, 3]);
  assert.equal((tl.reshapeByDevice(x, 1) as tf.Tensor).shape, [1, 6, 2]);
  assert.throws(() => tl.reshapeByDevice(x, 4), /Number of devices \(4\) does not evenly divide batch size \(6\)\./);
  assert.throws(() => tl.reshapeByDevice(x, 0), /positive integer/);
  assert.throws(() => tl.reshapeByDevice(tf.scalar(1), 1), /batch axis/);
  assert.is(leakedBy(() => tf.dispose(tl.reshapeByDevice([x, x], 2) as tf.Tensor[])), 0);
});

test("forNDevices replicates on a new leading axis for 2+ devices, returns x for 0 or 1", () => {
  const w = tf.tensor([1, 2]);
  assertClose(tl.forNDevices(w, 3), [[1, 2], [1, 2], [1, 2]]);
  assert.is(tl.forNDevices(w, 1), w);
  assert.is(tl.forNDevices(w, 0), w);
  const nested = tl.forNDevices([[tf.ones([2, 3]), tf.zeros([3])], []], 2) as [tf.Tensor[], unknown[]];
  assert.equal(nested[0].map((t) => t.shape), [[2, 2, 3], [2, 3]]);
  assert.equal(nested[1], []);
  assert.throws(() => tl.forNDevices(w, -1), /non-negative integer/);
});

test("meanOrPmean is the mean over an axis or all of them", () => {
  assertClose(tl.meanOrPmean(1, tf.tensor([[1, 2], [3, 4]]), 0), [2, 3]);
  assertClose(tl.meanOrPmean(8, tf.tensor([[1, 2], [3, 4]]), 1), [1.5, 3.5]);
  assertClose(tl.meanOrPmean(1, tf.tensor([1, 2, 3, 6])), 3);
  assertClose(tl.meanOrPmean(2, [[1, 2], [3, 6]]), 3);
  const x = tf.tensor([1, 2]);
  assert.is(leakedBy(() => tl.meanOrPmean(1, x).dispose()), 0);
});

test("onCpu and onAccelerator return their argument (tfjs keeps tensors on the backend's device)", () => {
  const x = tf.tensor([1, 2, 3]);
  assert.is(tl.onCpu(x), x);
  assert.is(tl.onAccelerator(x), x);
  const tree = [x, [x]];
  assert.is(tl.onCpu(tree), tree);
});

test.run();
