import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../helpers";

const test = suite("combinators");
test.before(ready);

const DivideBy = (val: number) => tl.Fn("DivideBy", (x: tf.Tensor) => x.div(val));
const ReturnConst = (val: tf.Tensor) => tl.Fn("ReturnConst", () => val);
const SmallerThan = (val: number) => tl.Fn("SmallerThan", (x: tf.Tensor) => x.less(val));
const t = (x: number[] | number[][] | number[][][] | number) => tf.tensor(x as number[]);
const list = (y: unknown) => tl.toList(y as tf.Tensor);

// ------------------------------------------------------------------ Serial
test("Serial(null) and Serial([]) are no-ops, also on a stack of two", () => {
  for (const layer of [tl.Serial(null), tl.Serial([])]) {
    const ys = layer([t([1, 2, 3, 4]), t([10, 20, 30])]);
    assert.equal(list(ys), [[1, 2, 3, 4], [10, 20, 30]]);
    assert.is(layer.nIn, 1);
    assert.is(layer.nOut, 1);
  }
});

test("Serial: one in one out, zero in, one in two out", () => {
  assert.equal(list(tl.Serial(DivideBy(3))(t([3, 6, 9, 12]))), [1, 2, 3, 4]);
  assert.equal(list(tl.Serial(ReturnConst(t([3, 4, 5, 6])))([])), [3, 4, 5, 6]);
  const l = tl.Serial(DivideBy(3), ReturnConst(t([3, 4, 5, 6])));
  assert.is(l.nOut, 2);
  assert.equal(list(l(t([3, 6, 9, 12]))), [[3, 4, 5, 6], [1, 2, 3, 4]]);
  assert.equal(list(tl.Serial(ReturnConst(t([3, 6, 9, 12])), DivideBy(3))([])), [1, 2, 3, 4]);
  assert.equal(list(tl.Serial(DivideBy(2), DivideBy(5))(t([10, 20, 30]))), [1, 2, 3]);
  assert.equal(list(tl.Serial(tl.Dup(), tl.Dup())(t([1, 2, 3]))), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
});

test("Serial computes nIn/nOut from the stack; names; nested arrays flatten", () => {
  assert.match(String(tl.Serial(tl.Dup(), tl.Dup())), /^Serial_out3/);
  assert.match(String(tl.Serial(tl.Dup(), tl.Dup(), { name: "Branch" })), /^Branch/);
  const l = tl.Serial([tl.Dense(2), [tl.Relu(), tl.Dense(3)]]);
  assert.is(l.sublayers.length, 3);
  const s = tl.Serial(tl.Select([0, 1, 0], { nIn: 2 }), tl.Add(), tl.Add());
  assert.is(s.nIn, 2);
  assert.is(s.nOut, 1);
  assert.throws(() => tl.Serial(tl.Dense(2), 3 as never), /nonlayer object/);
});

test("Serial weights and state have one entry per sublayer", () => {
  const model = tl.Serial(tl.Dense(4), tl.Dense(5), tl.Dense(7));
  assert.is((model.weights as unknown[]).length, 3);
  assert.is((model.state as unknown[]).length, 3);
});

test("assigning a sublayer's weights shows through the model", () => {
  const layer = tl.Dense(5, { useBias: false });
  const model = tl.Serial(tl.Serial(layer, tl.Dense(6)), tl.Dense(7));
  model.init(new ShapeDtype([5]));
  const w = tf.ones([5, 5]);
  layer.weights = w;
  assert.is((model.weights as unknown as tf.Tensor[][])[0][0], w);
});

test("shared layers share weights: cache markers, nested and double nested", () => {
  const sig = new ShapeDtype([5]);
  let layer = tl.Dense(5);
  let [w] = tl.Serial(layer, layer).init(sig);
  assert.is((w as unknown[])[1], tl.GET_WEIGHTS_FROM_CACHE);
  layer = tl.Dense(5);
  [w] = tl.Serial(layer, tl.Serial(layer)).init(sig);
  assert.is(((w as unknown[])[1] as unknown[])[0], tl.GET_WEIGHTS_FROM_CACHE);
  layer = tl.Dense(5);
  [w] = tl.Serial(tl.Serial(layer), tl.Serial(layer)).init(sig);
  assert.is(((w as unknown[])[1] as unknown[])[0], tl.GET_WEIGHTS_FROM_CACHE);
  const block = tl.Serial(tl.Dense(5), tl.Dense(5));
  const model = tl.Serial(block, block);
  [w] = model.init(sig);
  assert.is.not((w as unknown[])[0], tl.GET_WEIGHTS_FROM_CACHE);
  assert.is((w as unknown[])[1], tl.GET_WEIGHTS_FROM_CACHE);
  assert.equal(model(t([1, 2, 3, 4, 5])).shape, [5]);
});

test("a shared layer computes with one set of weights", () => {
  const d = tl.Dense(3, { useBias: false });
  const model = tl.Serial(d, d);
  const x = tf.ones([1, 3]);
  const y = model(x);
  const w = d.weights as tf.Tensor;
  assertClose(y, tf.matMul(tf.matMul(x, w), w), 1e-6);
});

test("setting the rng splits it two levels down: four Dense layers differ", () => {
  const ds = [tl.Dense(2), tl.Dense(2), tl.Dense(2), tl.Dense(2)];
  const layer = tl.Serial(tl.Serial(ds[0], ds[1]), tl.Serial(ds[2], ds[3]));
  layer.init(new ShapeDtype([1, 2]));
  const ws = ds.map((d) => JSON.stringify((d.weights as tf.Tensor[])[0].arraySync()));
  assert.is(new Set(ws).size, 4);
});

// ---------------------------------------------------------------- Parallel
test("Parallel: dup dup, div div, two no-ops, names", () => {
  assert.equal(list(tl.Parallel(tl.Dup(), tl.Dup())([t([1, 2, 3]), t([10, 20])])), [[1, 2, 3], [1, 2, 3], [10, 20], [10, 20]]);
  assert.equal(list(tl.Parallel(DivideBy(0.5), DivideBy(3))([t([1, 2, 3]), t([30, 60])])), [[2, 4, 6], [10, 20]]);
  assert.equal(list(tl.Parallel([], null)([t([1, 2, 3]), t([10, 20])])), [[1, 2, 3], [10, 20]]);
  assert.match(String(tl.Parallel(tl.Dup(), tl.Dup())), /Parallel/);
  assert.match(String(tl.Parallel(tl.Dup(), tl.Dup(), { name: "DupDup" })), /DupDup/);
  assert.throws(() => tl.Parallel(tl.Dup()), /at least two/);
});

test("Parallel weights, state and sharing", () => {
  const model = tl.Parallel(tl.Dense(3), tl.Dense(5));
  assert.is((model.weights as unknown[]).length, 2);
  assert.is((model.state as unknown[]).length, 2);
  const layer = tl.Dense(5);
  const [w] = tl.Parallel(layer, layer).init([new ShapeDtype([5]), new ShapeDtype([5])]);
  assert.is((w as unknown[])[1], tl.GET_WEIGHTS_FROM_CACHE);
  const l2 = tl.Dense(5);
  const [w2] = tl.Parallel([l2, tl.Dense(2)], [l2, tl.Dense(2)]).init([new ShapeDtype([5]), new ShapeDtype([5])]);
  assert.is(((w2 as unknown[])[1] as unknown[])[0], tl.GET_WEIGHTS_FROM_CACHE);
  const inner = tl.Parallel(tl.Dense(5), tl.Dense(7));
  const outer = tl.Parallel(inner, inner);
  const xs = [t([1, 2, 3]), t([10, 20, 30]), t([100, 200, 300]), t([1000, 2000, 3000])];
  const [w3] = outer.init(xs);
  assert.is((w3 as unknown[])[1], tl.GET_WEIGHTS_FROM_CACHE);
  const ys = outer(xs);
  assert.equal(ys.map((y) => y.shape), [[5], [7], [5], [7]]);
});

// ------------------------------------------------------ Concatenate, Split
test("Concatenate: default, axis 0 and 1, three items, repr", () => {
  const xs = [t([[1, 2, 3], [4, 5, 6]]), t([[10, 20, 30], [40, 50, 60]])];
  assert.equal(list(tl.Concatenate()(xs)), [[1, 2, 3, 10, 20, 30], [4, 5, 6, 40, 50, 60]]);
  assert.equal(list(tl.Concatenate({ axis: 0 })(xs)), [[1, 2, 3], [4, 5, 6], [10, 20, 30], [40, 50, 60]]);
  assert.equal(list(tl.Concatenate({ axis: 1 })(xs)), [[1, 2, 3, 10, 20, 30], [4, 5, 6, 40, 50, 60]]);
  const y = tl.Concatenate({ nItems: 3 })([...xs, t([[100, 200, 300], [400, 500, 600]])]);
  assert.equal(y.shape, [2, 9]);
  assert.equal(String(tl.Concatenate()), "Concatenate_in2");
  assert.equal(String(tl.Concatenate({ axis: 0 })), "Concatenate_axis0_in2");
  assert.equal(String(tl.Concatenate({ axis: 1 })), "Concatenate_axis1_in2");
  assert.equal(String(tl.Concatenate({ nItems: 3 })), "Concatenate_in3");
  const c = tl.Concatenate();
  assert.is(c.nIn, 2);
  assert.is(c.nOut, 1);
});

test("Concatenate of mismatched shapes is a LayerError", () => {
  assertLayerError(() => tl.Concatenate()([tf.ones([2, 3]), tf.ones([3, 3])]), /Concatenate/, /differ on axis 0/);
  assertLayerError(() => tl.Concatenate()([tf.ones([2, 3]), tf.ones([2])]), /same rank/);
});

test("Split: equal parts along an axis; uneven split is a LayerError", () => {
  const [a, b] = tl.Split()(t([[1, 2, 3, 4]]));
  assert.equal(list(a), [[1, 2]]);
  assert.equal(list(b), [[3, 4]]);
  const parts = tl.Split({ nItems: 3, axis: 0 })(tf.ones([6, 2]));
  assert.equal(parts.map((p) => p.shape), [[2, 2], [2, 2], [2, 2]]);
  assertLayerError(() => tl.Split()(tf.ones([3])), /equal parts/);
});

// ------------------------------------------------------------------ Branch
test("Branch: noop-dup, add-div, one sublayer, printing", () => {
  assert.equal(list(tl.Branch([], tl.Dup())(t([1, 2, 3]))), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  assert.equal(list(tl.Branch(tl.Add(), DivideBy(0.5))([t([1, 2, 3]), t([10, 20, 30])])), [[11, 22, 33], [2, 4, 6]]);
  assert.equal(list(tl.Branch(DivideBy(0.5))(t([1, 2, 3]))), [2, 4, 6]);
  assert.match(String(tl.Branch(tl.Add(), DivideBy(0.5))), /Branch/);
  assert.is(String(tl.Branch(tl.Add(), tl.Add())), "Branch_in2_out2[\n  Add_in2\n  Add_in2\n]");
});

test("Residual adds the input to the layer's output, or a shortcut's", () => {
  const r = tl.Residual(DivideBy(2));
  assert.equal(list(r(t([2, 4]))), [3, 6]);
  const r2 = tl.Residual(DivideBy(2), DivideBy(2), { shortcut: DivideBy(0.5) });
  assert.equal(list(r2(t([4, 8]))), [9, 18]);
});

// ------------------------------------------------------- Select and friends
test("Select computes nIn, takes nIn, and picks items", () => {
  assert.is(tl.Select([0, 0]).nIn, 1);
  assert.is(tl.Select([1, 0]).nIn, 2);
  assert.is(tl.Select([2]).nIn, 3);
  assert.is(tl.Select([0], { nIn: 2 }).nIn, 2);
  assert.is(tl.Select([0], { nIn: 3 }).nIn, 3);
  const xs = [t([1, 2, 3]), t([10, 20]), t([100])];
  assert.equal(list(tl.Select([0], { nIn: 3 })(xs)), [1, 2, 3]);
  assert.equal(list(tl.Select([1], { nIn: 3 })(xs)), [10, 20]);
  assert.equal(list(tl.Select([2, 0], { nIn: 3 })(xs)), [[100], [1, 2, 3]]);
  assert.is(String(tl.Select([0, 1, 0], { nIn: 2 })), "Select[0,1,0]_in2_out3");
});

test("Select with an index out of range is refused", () => {
  assert.throws(() => tl.Select([3], { nIn: 2 }), /index 3 is out of range/);
  assert.throws(() => tl.Select([-1]), /non-negative/);
});

test("Drop, Dup, Swap", () => {
  assert.equal(list(tl.Drop()(t([1, 2, 3]))), []);
  assert.is(tl.Drop().nOut, 0);
  assert.equal(list(tl.Swap()([t([1, 2, 3]), t([10, 20, 30])])), [[10, 20, 30], [1, 2, 3]]);
  const [a, b] = tl.Dup()(t([7]));
  assert.equal([list(a), list(b)], [[7], [7]]);
});

test("Add, SubtractTop, Multiply, Gate; Add of mismatched shapes is a LayerError", () => {
  assert.equal(list(tl.Add()([t([1, 2]), t([10, 20])])), [11, 22]);
  assert.equal(list(tl.SubtractTop()([t([1, 2]), t([10, 20])])), [9, 18]);
  assert.equal(list(tl.Multiply()([t([2, 3]), t([10, 20])])), [20, 60]);
  assert.equal(list(tl.Gate()([t([1, 1]), t([0.25, 1]), t([5, 5])])), [4, 1]);
  assertLayerError(() => tl.Add()([tf.ones([2, 3]), tf.ones([2, 4])]), /Add/, /broadcast/);
});

test("FlattenList flattens a nested array input", () => {
  const out = tl.FlattenList()([[t([1]), t([2])], [t([3])]] as never) as unknown as tf.Tensor[];
  assert.equal(out.map((x) => x.dataSync()[0]), [1, 2, 3]);
});

test("SerialWithSideOutputs keeps side outputs below the stack", () => {
  const some = () => tl.Parallel(DivideBy(2), DivideBy(5));
  const layer = tl.SerialWithSideOutputs([some(), some()]);
  const ys = layer([t([1, 2, 3]), t([10, 20, 30, 40, 50]), t([100, 200])]);
  assert.equal(ys.map((y) => y.shape), [[3], [5], [2]]);
});

// -------------------------------------------------------------------- Chunk
test("Chunk equals the unchunked layer; unchunkable batches pass or fail", () => {
  const layer = tl.Dense(4);
  const x = t([[1, 2, 3], [4, 5, 6]]);
  layer.init(x);
  const y = layer(x);
  assertClose(tl.Chunk(layer, 1)(x), y, 1e-5);
  assertClose(tl.Chunk(layer, 3)(x), y, 1e-5);
  assertLayerError(() => tl.Chunk(layer, 3, { passUnchunkable: false })(x), /must divide batch size/);
  assert.is(tl.Chunk(layer, 0), layer);
});

// --------------------------------------------------------------------- Scan
const AddWithCarry = () => tl.Fn("AddWithCarry", (x: tf.Tensor, carry: tf.Tensor) => { const r = x.add(carry); return [r, r]; }, { nOut: 2 });

test("Scan over the default axis", () => {
  const ys = tl.Scan(AddWithCarry())([t([[0, 1, 2, 3], [0, 10, 20, 30], [0, 100, 200, 300]]), t([9000, 8000, 7000, 6000])]);
  assert.equal(list(ys), [
    [[9000, 8001, 7002, 6003], [9000, 8011, 7022, 6033], [9000, 8111, 7222, 6333]],
    [9000, 8111, 7222, 6333],
  ]);
});

test("Scan over axis 1", () => {
  const ys = tl.Scan(AddWithCarry(), { axis: 1 })([t([[0, 1, 2, 3], [0, 10, 20, 30], [0, 100, 200, 300]]), t([9000, 8000, 7000])]);
  assert.equal(list(ys), [
    [[9000, 9001, 9003, 9006], [8000, 8010, 8030, 8060], [7000, 7100, 7300, 7600]],
    [9006, 8060, 7600],
  ]);
});

test("Scan in predict mode keeps the carry between calls", () => {
  const layer = tl.Scan(AddWithCarry(), { axis: 1, mode: "predict" });
  assert.equal(list(layer([t([[0, 1, 2]]), t([90])])), [[[90, 91, 93]], [93]]);
  assert.equal(list(layer([t([[3, 4]]), t([90])])), [[[96, 100]], [100]]);
});

test("Scan with several inputs and without carry", () => {
  const multi = tl.Fn("MultiInputFn", (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => [a.add(b), b, c.add(1)], { nOut: 3 });
  const ys = tl.Scan(multi, { axis: 1 })([t([[0, 1, 2], [0, 10, 20]]), t([[4, 5, 6], [40, 50, 60]]), t([9000, 8000])]);
  assert.equal(list(ys), [[[4, 6, 8], [40, 60, 80]], [[4, 5, 6], [40, 50, 60]], [9003, 8003]]);
  const y = tl.Scan(tl.Fn("AddOne", (x: tf.Tensor) => x.add(1)), { nCarry: 0 })(t([[1, 3, 7], [10, 30, 70]]));
  assert.equal(list(y), [[2, 4, 8], [11, 31, 71]]);
});

test("Scan gradients flow through the carry", () => {
  const scan = tl.Scan(AddWithCarry());
  const xs = tf.ones([3, 2]);
  const g = trax.fastmath.grad((c: tf.Tensor) => tf.sum((scan([xs, c]) as tf.Tensor[])[0]))(tf.zeros([2]));
  assert.equal(Array.from(g.dataSync()), [3, 3]);
});

// --------------------------------------------------------------------- Cond
test("Cond: constant conditions, blocks and functions of the input", () => {
  let layer = tl.Cond(ReturnConst(tf.scalar(true, "bool")), ReturnConst(t([2])), ReturnConst(t([5])));
  layer.init([]);
  assert.equal(list(layer([])), [2]);
  layer = tl.Cond(ReturnConst(tf.scalar(false, "bool")), ReturnConst(t([2])), ReturnConst(t([5])));
  assert.equal(list(layer([])), [5]);
  layer = tl.Cond(ReturnConst(tf.scalar(true, "bool")), DivideBy(2), DivideBy(4));
  assert.equal(list(layer([tf.range(0, 5)])), [0, 0.5, 1, 1.5, 2]);
  layer = tl.Cond(SmallerThan(3), DivideBy(2), DivideBy(4));
  assert.equal(list(layer([tf.scalar(2), t([4, 12])])), [2, 6]);
  assert.equal(list(layer([tf.scalar(4), t([4, 12])])), [1, 3]);
  layer = tl.Cond(SmallerThan(3), DivideBy(2));
  assert.equal(list(layer([tf.scalar(4), t([4, 12])])), [4, 12]);
});

test("Cond refuses branches whose nIn or nOut differ, and bad inputs", () => {
  assert.throws(() => tl.Cond(SmallerThan(3), DivideBy(2), tl.Dup()), /nOut must be equal/);
  assert.throws(() => tl.Cond(SmallerThan(3), ReturnConst(t([2])), DivideBy(2)), /nIn must be equal/);
  const layer = tl.Cond(SmallerThan(3), DivideBy(2), DivideBy(5));
  layer([tf.scalar(4), t([4, 12])]);
  assertLayerError(() => layer([]), /Cond/);
  assertLayerError(() => layer(tf.scalar(4)), /Cond/);
  const vector = tl.Cond(tl.Fn("Vec", (x: tf.Tensor) => x.less(3)), DivideBy(2));
  assertLayerError(() => vector([t([1, 2]), t([1])]), /one scalar/);
});

test("Cond weights and state mirror its three sublayers", () => {
  const cond = SmallerThan(3);
  const yes = tl.Dense(5);
  const no = tl.Dense(5);
  const different = tl.Dense(5);
  const layer = tl.Cond(cond, yes, no);
  layer.init([new ShapeDtype([]), new ShapeDtype([3])]);
  different.init(new ShapeDtype([3]), { rng: trax.fastmath.random.getPrng(9) });
  const ws = layer.weights as unknown as tf.Tensor[][];
  assert.is(ws[1], yes.weights);
  assert.not.equal(list(ws[1][0]), list(ws[2][0]));
  no.weights = yes.weights;
  assert.is((layer.weights as unknown as unknown[])[2], yes.weights);
  layer.weights = [cond.weights, yes.weights, different.weights];
  assert.is((layer.weights as unknown as unknown[])[2], different.weights);
  assert.is((layer.state as unknown[]).length, 3);
});

// -------------------------------------------------------------------- Cache
test("Cache runs its layer once and returns the cached result after", () => {
  let calls = 0;
  const counted = tl.Fn("Counted", (x: tf.Tensor) => { calls++; return x.mul(2); });
  const c = tl.Cache(counted);
  const y1 = c(t([1, 2]));
  const y2 = c(t([5, 6]));
  assert.equal(list(y1), [2, 4]);
  assert.equal(list(y2), [2, 4]);
  assert.is(calls, 1, "the layer ran once; later calls return the cache");
});

// --------------------------------------------------------- BatchLeadingAxes
test("BatchLeadingAxes folds leading axes for the sublayer", () => {
  const id3 = tl.Fn("Id3Dim", (x: tf.Tensor) => { if (x.rank !== 3) throw new Error("rank"); return x; });
  const layer = tl.BatchLeadingAxes(id3, { nLastAxesToKeep: 2 });
  assert.equal(layer(tf.zeros([3, 4, 5])).shape, [3, 4, 5]);
  assert.equal(layer(tf.zeros([2, 3, 4, 5])).shape, [2, 3, 4, 5]);
  assert.equal(layer(tf.zeros([1, 2, 3, 4, 5])).shape, [1, 2, 3, 4, 5]);
  const dense = tl.BatchLeadingAxes(tl.Dense(3));
  assert.equal(dense(tf.ones([2, 5, 4])).shape, [2, 5, 3]);
  assert.throws(() => tl.BatchLeadingAxes(tl.Dup()), /nOut = 1/);
});

// ------------------------------------------------------------ Bidirectional
test("Bidirectional runs a copy of the layer on the flipped sequence and merges", () => {
  const cumsum = tl.Scan(AddWithCarry(), { axis: 1 });
  const step = tl.Serial(tl.Fn("Zeros", (x: tf.Tensor) => [x, tf.zeros([x.shape[0], x.shape[2] as number])], { nOut: 2 }), cumsum, tl.Select([0], { nIn: 2 }));
  const bi = tl.Bidirectional(step);
  const x = t([[[1], [2], [3]]]);
  const y = bi(x);
  assert.equal(list(y), [[[1, 6], [3, 5], [6, 3]]]);
  const fwd = tl.Dense(2);
  const bi2 = tl.Bidirectional(fwd, { mergeLayer: tl.Add() });
  bi2.init(new ShapeDtype([1, 3, 2]));
  const subs = bi2.sublayers[0].sublayers[1].sublayers;
  const backward = subs[1].sublayers[1];
  assert.ok(backward instanceof tl.Dense && backward !== fwd, "the backward layer is a copy");
  assert.not.equal(list((backward.weights as tf.Tensor[])[0]), list((fwd.weights as tf.Tensor[])[0]));
});

test("inputsFromStack and outputsOntoStack", () => {
  const [a, b, c] = [t([1]), t([2]), t([3])];
  assert.is(tl.inputsFromStack([a, b, c], 1), a);
  assert.equal(tl.inputsFromStack([a, b, c], 2), [a, b]);
  assert.equal((tl.outputsOntoStack([t([9])], [a, b, c], 2) as tf.Tensor[]).length, 2);
  assert.is((tl.outputsOntoStack(a, [b, c], 2) as unknown), a);
  assert.equal(tl.outputsOntoStack([], [a, b], 1), b);
});

test("combinators leave no tensors behind", () => {
  const model = tl.Serial(tl.Branch(tl.Dense(3), tl.Dense(3)), tl.Add(), tl.Scan(tl.Fn("Id", (x: tf.Tensor) => x), { nCarry: 0 }));
  const x = tf.ones([2, 4]);
  model(x).dispose();
  assert.is(leakedBy(() => { for (let i = 0; i < 20; i++) model(x).dispose(); }), 0);
});

test.run();
