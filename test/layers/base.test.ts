import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../helpers";

const test = suite("base");
test.before(ready);

test("a bare Layer cannot run: LayerError naming forward", () => {
  const layer = new tl.Layer();
  assertLayerError(() => layer(tf.tensor([[1, 2, 3, 4, 5], [10, 20, 30, 40, 50]])), /does not implement forward/, /in forward/);
  assert.throws(() => layer.forward(tf.tensor([1])), /does not implement forward/);
});

test("init of a layer without weights returns empty weights and state", () => {
  const [w, s] = new tl.Layer().init(new ShapeDtype([2, 5]));
  assert.equal(w, []);
  assert.equal(s, []);
});

test("outputSignature of layers without weights", () => {
  const s235 = new ShapeDtype([2, 3, 5]);
  const add = tl.Fn("2in1out", (x: tf.Tensor, y: tf.Tensor) => x.add(y));
  assert.ok((add.outputSignature([s235, s235]) as InstanceType<typeof ShapeDtype>).equals(s235));
  const s57 = new ShapeDtype([5, 7]);
  const three = tl.Fn("1in3out", (x: tf.Tensor) => [x, x.mul(2), x.mul(3)], { nOut: 3 });
  assert.is(String(three.outputSignature(s57)), String([s57, s57, s57]));
});

test("outputSignature of an uninitialized Dense leaves it uninitialized", () => {
  const d = tl.Dense(3);
  const before = tf.memory().numTensors;
  assert.is(String(d.outputSignature(new ShapeDtype([2, 5]))), "ShapeDtype{shape:(2, 3), dtype:float32}");
  assert.is(d.initialized, false);
  assert.equal(d.weights, []);
  assert.is(tf.memory().numTensors, before);
});

class IdWithZeroGrad extends tl.Layer {
  forward(x: tf.Tensor) {
    return x;
  }
  get hasBackward() {
    return true;
  }
  backward(_i: unknown, _o: unknown, grad: tf.Tensor): [tf.Tensor, []] {
    return [tf.zerosLike(grad), []];
  }
}

class IdWithIdGrad extends tl.Layer {
  forward(x: tf.Tensor) {
    return x;
  }
  get hasBackward() {
    return true;
  }
  backward(inputs: tf.Tensor): [tf.Tensor, []] {
    return [inputs, []];
  }
}

test("custom backward: zero gradient", () => {
  const layer = new IdWithZeroGrad();
  const x = trax.fastmath.random.uniform(trax.fastmath.random.getPrng(0), [9, 17], { minval: -1, maxval: 1 });
  layer.init(new ShapeDtype([9, 17]));
  const g = trax.fastmath.grad((t: tf.Tensor) => tf.mean(layer(t)))(x);
  assert.equal(g.shape, [9, 17]);
  assert.is(g.square().sum().dataSync()[0], 0);
});

test("custom backward: identity gradient equals the input (as Trax's test)", () => {
  const layer = new IdWithIdGrad();
  const x = trax.fastmath.random.uniform(trax.fastmath.random.getPrng(0), [9, 17], { minval: -1, maxval: 1 });
  const g = trax.fastmath.grad((t: tf.Tensor) => tf.mean(layer(t)))(x);
  assertClose(g.sum(), x.sum(), 1e-4);
});

test("custom backward also holds inside a Serial, with weights", () => {
  const model = tl.Serial(tl.Dense(3), new IdWithZeroGrad());
  const x = tf.ones([2, 4]);
  model.init(x);
  const [w] = [model.weights];
  const g = trax.fastmath.grad((ws: tl.WeightsTree) => tf.sum(model.pureFn(x, ws, model.state, null)[0]))(w) as unknown as tf.Tensor[][];
  assert.is(g[0][0].abs().sum().dataSync()[0], 0, "zero gradient flows back to Dense");
});

test("weightsAndStateSignature does not change the layer", () => {
  class MyLayer extends tl.Layer {
    initWeightsAndState(sig: InstanceType<typeof ShapeDtype>) {
      this.weights = tf.zeros([2, 3]);
      this.state = tf.ones(sig.shape as number[]);
    }
    forward() {
      return tf.add(this.weights as tf.Tensor, this.state as tf.Tensor);
    }
  }
  const layer = new MyLayer();
  const before = tf.memory().numTensors;
  const [w, s] = layer.weightsAndStateSignature(tf.zeros([3, 4])) as [InstanceType<typeof ShapeDtype>, InstanceType<typeof ShapeDtype>];
  assert.equal([...w.shape], [2, 3]);
  assert.equal([...s.shape], [3, 4]);
  assert.equal(layer.weights, []);
  assert.is(tf.memory().numTensors - before, 1, "only the zeros([3, 4]) argument remains");
});

test("custom and default names", () => {
  assert.match(String(new tl.Layer()), /Layer/);
  assert.is(String(new tl.Layer({ name: "CustomLayer" })), "CustomLayer");
  assert.is(String(tl.Dense(10)), "Dense_10");
  assert.is(tl.Dense(10).name, "Dense_10");
});

test("PureLayer: per-call weights are not kept; forward and pureFn", () => {
  const layer = tl.PureLayer((x: tf.Tensor) => x.mul(2));
  assert.equal(Array.from((layer([1, 2], { weights: tf.zeros([2, 3]) }) as tf.Tensor).dataSync()), [2, 4]);
  assert.equal(layer.weights, []);
  assert.equal(Array.from((layer.forward(tf.tensor([3, 4])) as tf.Tensor).dataSync()), [6, 8]);
  const [out] = layer.pureFn(tf.tensor([5, 6]), tl.EMPTY_WEIGHTS, tl.EMPTY_STATE, null);
  assert.equal(Array.from(out.dataSync()), [10, 12]);
  assert.ok(layer instanceof tl.PureLayer && layer instanceof tl.Layer);
});

test("Fn: nIn from arity, nOut option, forward and pureFn", () => {
  const layer = tl.Fn("SumAndMax", (x0: tf.Tensor, x1: tf.Tensor) => [x0.add(x1), tf.maximum(x0, x1)], { nOut: 2 });
  assert.is(layer.nIn, 2);
  assert.is(layer.nOut, 2);
  const x0 = tf.tensor([1, 2, 3, 4, 5]);
  const x1 = tf.tensor([10, 20, 30, 40, 50]);
  const [y0, y1] = layer([x0, x1]);
  assert.equal(Array.from(y0.dataSync()), [11, 22, 33, 44, 55]);
  assert.equal(Array.from(y1.dataSync()), [10, 20, 30, 40, 50]);
  const [[y4, y5], state] = layer.pureFn([x0, x1], tl.EMPTY_WEIGHTS, tl.EMPTY_STATE, null) as unknown as [tf.Tensor[], unknown];
  assert.equal(Array.from(y4.dataSync()), [11, 22, 33, 44, 55]);
  assert.equal(Array.from(y5.dataSync()), [10, 20, 30, 40, 50]);
  assert.equal(state, []);
  layer.initWeightsAndState(null);
  assert.equal(layer.weights, []);
});

test("Fn rejects default and variable arguments", () => {
  assert.throws(() => tl.Fn("", (x: unknown, sth = null) => [x, sth]), /default arg/);
  assert.throws(() => tl.Fn("", (...args: unknown[]) => args[0] as tf.Tensor), /variable args/);
  assert.is(tl.Fn("Three", (...args: tf.Tensor[]) => args[0], { nIn: 3 }).nIn, 3);
});

test("a layer is callable with JS arrays and typed arrays; converted inputs are freed", () => {
  const relu = tl.Relu();
  const y = relu([[-1, 2], [3, -4]]);
  assert.equal(y.arraySync(), [[0, 2], [3, 0]]);
  y.dispose();
  const n = leakedBy(() => relu(new Float32Array([1, -1])).dispose());
  assert.is(n, 0);
  assert.is(relu(new Int32Array([1, -1])).dtype, "int32");
});

test("first call initializes from the input signature; weights are cached", () => {
  const d = tl.Dense(3);
  assert.is(d.initialized, false);
  const x = tf.ones([2, 4]);
  const y1 = d(x);
  assert.ok(d.initialized);
  const [w] = d.weights as tf.Tensor[];
  assert.equal(w.shape, [4, 3]);
  const y2 = d(x);
  assertClose(y1, y2, 0);
  assert.is((d.weights as tf.Tensor[])[0], w, "the same weights are reused");
});

test("per-call weights, state and rng override the cache", () => {
  const d = tl.Dense(2, { useBias: false });
  d.init(new ShapeDtype([1, 2]));
  const y = d(tf.tensor([[1, 2]]), { weights: tf.tensor([[1, 0], [0, 1]]) });
  assert.equal(y.arraySync(), [[1, 2]]);
});

test("init is deterministic for a given rng and differs for another", () => {
  const a = tl.Dense(4);
  const b = tl.Dense(4);
  const c = tl.Dense(4);
  const sig = new ShapeDtype([1, 3]);
  a.init(sig, { rng: trax.fastmath.random.getPrng(5) });
  b.init(sig, { rng: trax.fastmath.random.getPrng(5) });
  c.init(sig, { rng: trax.fastmath.random.getPrng(6) });
  const w = (l: tl.Layer) => Array.from((l.weights as tf.Tensor[])[0].dataSync());
  assert.equal(w(a), w(b));
  assert.not.equal(w(a), w(c));
});

test("re-init frees the replaced weights", () => {
  const d = tl.Dense(4);
  d.init(new ShapeDtype([1, 3]));
  const n = leakedBy(() => d.init(new ShapeDtype([1, 3]), { rng: trax.fastmath.random.getPrng(1) }));
  assert.is(n, 0);
});

test("a failed init leaves the layer as it was, with nothing leaked", () => {
  const good = tl.Dense(3);
  const model = tl.Serial(good, tl.Dense(2), tl.Fn("Boom", (x: tf.Tensor) => { throw new Error(`boom ${x.shape}`); }));
  const before = tf.memory().numTensors;
  assertLayerError(() => model.init(new ShapeDtype([4, 5])), /Serial\[2\]\.Boom/, /boom/, /in forward, during init/);
  assert.is(tf.memory().numTensors, before);
  assert.is(good.initialized, false);
  assert.equal(good.weights, []);
  assert.equal(model.weights, [[], [], []]);
});

test("LayerError names the path, the method, the input signature and the cause", () => {
  const model = tl.Serial(tl.Dense(4), tl.Branch(tl.Dense(3), tl.Serial(tl.Dense(7))), tl.Add());
  const e = assertLayerError(() => model(tf.ones([2, 5])), /Serial\[2\]\.Add/, /ShapeDtype\{shape:\(2, 3\)/, /broadcast/);
  assert.is(e.path, "Serial[2].Add");
  assert.is(e.method, "forward");
  assert.ok(e.cause instanceof Error);
  const nested = tl.Serial(tl.Dense(4), tl.Branch(tl.Fn("Bad", (x: tf.Tensor) => x.reshape([7])), null));
  const e2 = assertLayerError(() => nested(tf.ones([2, 5])), /Serial\[1\]\.Branch\[0\]\.Bad/);
  assert.is(e2.path, "Serial[1].Branch[0].Bad");
  assert.match(e2.message, /layer created at .*base\.test\.ts/);
});

test("wrong number of inputs and wrong shapes give LayerErrors", () => {
  assertLayerError(() => tl.Add()(tf.ones([2])), /takes 2 inputs/);
  assertLayerError(() => tl.Add()([tf.ones([2]), tf.ones([2]), tf.ones([2])]), /takes 2 inputs/);
  assertLayerError(() => tl.Dense(3)([tf.ones([1, 2]), tf.ones([1, 2])]), /takes 1 input/);
  const d = tl.Dense(3);
  d(tf.ones([1, 4]));
  assertLayerError(() => d(tf.ones([1, 5])), /expects inputs with 4 features/);
  assertLayerError(() => tl.Dense(3)(tf.tensor([["a", "b", "c", "d"]])), /needs numeric input/);
});

test("flatten and unflatten weights and state", () => {
  const model = tl.Serial(tl.Dup(), tl.Dense(5), tl.Serial(tl.Dense(7), tl.Dup()));
  const sig = trax.shapes.signature(tf.zeros([2, 3]));
  model.init(sig);
  const [flatW, flatS] = tl.flattenWeightsAndState(model.weights, model.state);
  assert.is(flatW.length, 4);
  assert.is(flatS.length, 0);
  const model2 = tl.Serial(tl.Dense(5), tl.Dup(), tl.Dense(7));
  const sig2 = model2.weightsAndStateSignature(sig);
  const [w2, s2] = tl.unflattenWeightsAndState(flatW, flatS, sig2);
  model2.weights = w2;
  model2.state = s2 as tl.State;
  const mw = model.weights as unknown as tf.Tensor[][][];
  const m2w = model2.weights as unknown as tf.Tensor[][];
  assert.is(m2w.length, 3);
  assert.is(mw[1][0], m2w[0][0]);
  assert.is((mw[2][0] as unknown as tf.Tensor[])[0], m2w[2][0]);
});

test("flatten skips cache markers of shared layers", () => {
  const shared = tl.Dense(5);
  const model = tl.Serial(tl.Dense(5), shared, tl.Serial(shared, tl.Dup()));
  model.init(new ShapeDtype([2, 3]));
  const [flatW] = tl.flattenWeightsAndState(model.weights, model.state);
  assert.is(flatW.length, 4);
});

test("toList, shard and unshard", () => {
  assert.equal(tl.toList(tf.tensor([1, 2])), [1, 2]);
  assert.equal(tl.toList([tf.tensor([1]), tf.tensor([[2]])]), [[1], [[2]]]);
  const x = tf.range(0, 8).reshape([4, 2]);
  const sharded = tl.shard(x, 2) as tf.Tensor;
  assert.equal(sharded.shape, [1, 2, 2]);
  assert.equal(sharded.arraySync(), [[[0, 1], [2, 3]]]);
  assert.equal((tl.unshard(tl.shard(x, 1), 1) as tf.Tensor).arraySync(), x.arraySync());
  const big = tf.ones([2, 3, 4, 5]);
  assert.equal((tl.unshard(big, 2) as tf.Tensor).shape, [3, 4, 10]);
  const [same, was] = tl.unshardInPmap([x], 2);
  assert.is(was, false);
  assert.is(same[0], x);
  assert.throws(() => tl.shard(tf.ones([3, 2]), 2), /Cannot split/);
});

test("200 calls of a small Serial model leave numTensors where it started", () => {
  const model = tl.Serial(tl.Dense(8), tl.Relu(), tl.Dense(4), tl.Branch(tl.Relu(), null), tl.Add());
  const x = tf.ones([3, 6]);
  model(x).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) model(x).dispose();
  assert.is(tf.memory().numTensors, before);
});

test("layers print like Trax and inspect readably", async () => {
  const { inspect } = await import("node:util");
  const model = tl.Serial(tl.Dense(4), tl.Relu());
  assert.is(String(model), "Serial[\n  Dense_4\n  Relu\n]");
  assert.match(inspect(model), /Serial\[/);
  assert.is(typeof model, "function");
  assert.ok(model instanceof tl.Serial);
});

test("subclassing a callable layer class keeps it callable", () => {
  class Doubler extends tl.Dense {
    forward(x: tf.Tensor) {
      return super.forward(x).mul(2);
    }
  }
  const d = new Doubler(2, { useBias: false });
  const y = d(tf.ones([1, 3]), { weights: tf.ones([3, 2]) });
  assert.equal(y.arraySync(), [[6, 6]]);
  assert.ok(d instanceof tl.Dense);
});

test("layer() for a layer without inputs; init(null) for weights that do not depend on the input", () => {
  const zeros = tl.Fn("Zeros", () => tf.zeros([2]));
  assert.is(zeros.nIn, 0);
  assert.equal((zeros() as tf.Tensor).arraySync(), [0, 0]);
  assertLayerError(() => (tl.Dense(2) as unknown as () => unknown)(), /Dense_2 expects one tensor as input; got undefined/);
  const w = tl.Weights(tl.RandomNormalInitializer(1), { shape: [3] });
  const [weights] = w.init(null);
  assert.equal((weights as tf.Tensor).shape, [3]);
  assert.equal((w() as tf.Tensor).shape, [3]);
});

test("weights made and state updated inside a caller's tf.tidy survive it", () => {
  const dense = tl.Dense(2);
  const norm = tl.BatchNorm({ axis: [0], mode: "train" });
  const x = tf.tensor([[1, 2, 3], [4, 5, 6]]);
  tf.tidy(() => {
    dense(x);
    norm(x);
  });
  assert.equal(dense(x).shape, [2, 2]);
  assert.equal(norm(x).shape, [2, 3]);
  const [, , runningMean] = norm.state as tf.Tensor[];
  assert.not.ok(runningMean.isDisposed);
});

test("re-init frees only the tensors the layer's own init made; adopted weights stay usable", () => {
  const sig = new ShapeDtype([1, 3]);
  const x = tf.ones([1, 3]);
  const a = tl.Dense(2);
  a.init(sig);
  const b = tl.Dense(2);
  b.init(sig);
  b.weights = a.weights; // b now uses a's weights (its own are the user's to free)
  b.init(sig); // b gets new weights of its own; a's must survive
  assert.equal(a(x).shape, [1, 2]);
  assert.not.ok((a.weights as tf.Tensor[])[0].isDisposed);
  // Re-initializing a layer frees what its earlier init made: nothing leaks.
  assert.is(leakedBy(() => void a.init(sig)), 0);
  assert.is(leakedBy(() => void b.init(sig)), 0);
});

test("state writes leave cached weights trees alone; assigning the state a combinator holds changes nothing", () => {
  // A predict-mode decoder writes state at every call: its weights trees must stay the same
  // arrays (not rebuilt and re-assigned down the tree at each sublayer, which cost a decoding
  // step about a fifth of its time).
  const model = tl.Serial(
    tl.Dense(8),
    tl.Residual(tl.CausalAttention(8, { nHeads: 2, mode: "predict", maxInferenceLength: 4 })),
    tl.Dense(3),
  );
  const x = tf.ones([1, 1, 5]);
  model(x).dispose();
  const weights = model.weights;
  const inner = (model.sublayers[1] as trax.layers.Layer).weights;
  const before = model.state;
  model(x).dispose();
  assert.is(model.weights, weights);
  assert.is((model.sublayers[1] as trax.layers.Layer).weights, inner);
  assert.is.not(model.state, before); // the decoding cache moved on
  // Re-assigning what the layers hold: the same slots, the same tensors, no copies.
  const slots = (model as unknown as { _state: unknown })._state;
  const state = model.state;
  model.state = state;
  assert.is((model as unknown as { _state: unknown })._state, slots);
  assert.equal(model.state, state);
  // A different state still goes in.
  const leaves = (tree: unknown): unknown[] => (Array.isArray(tree) ? tree.flatMap(leaves) : [tree]);
  assert.ok(leaves(model.state).some((t, i) => t !== leaves(before)[i]));
  model.state = before;
  assert.ok(leaves(model.state).every((t, i) => t === leaves(before)[i]));
  x.dispose();
});

test.run();
