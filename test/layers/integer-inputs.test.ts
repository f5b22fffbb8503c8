// Trax's layer tests feed numpy integer arrays; JAX promotes them. These are
// those cases (core, pooling, combinators, base, metrics) with int32 tensors.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, ShapeDtype, tf, tl } from "../helpers";

const test = suite("integer inputs");
test.before(ready);

const int = (values: unknown, shape?: number[]) => tf.tensor(values as number[], shape, "int32");

test("Dense: int input, int weights and bias give int32 exactly (Trax test_call_uses_and_caches_supplied_weights)", () => {
  const layer = tl.Dense(4);
  const x = int([2, 3]);
  layer.init(new ShapeDtype([2], "int32"));
  const [wInit, bInit] = layer.weights as tf.Tensor[];
  assert.is(wInit.dtype, "float32");
  const w = int([[10000, 20000, 30000, 40000], [100, 200, 100, 200]]);
  const b = int([9, 8, 7, 6]);
  const y = layer(x, { weights: [w, b] });
  assert.is(y.dtype, "int32");
  assert.equal(y.arraySync(), [20309, 40608, 60307, 80606]);
  // The supplied weights did not overwrite the cached ones.
  assert.is((layer.weights as tf.Tensor[])[0], wInit);
  assert.is((layer.weights as tf.Tensor[])[1], bInit);
});

test("Dense without bias: int input and weights (Trax test_call_no_bias)", () => {
  const layer = tl.Dense(4, { useBias: false });
  const x = int([2, 5, 3]);
  layer.init(new ShapeDtype([3], "int32"));
  const y = layer(x, { weights: int([[100, 200, 300, 400], [10, 10, 10, 10], [1, 2, 1, 2]]) });
  assert.is(y.dtype, "int32");
  assert.equal(y.arraySync(), [253, 456, 653, 856]);
});

test("Dense: int input with its own float weights gives float32; separate instances, shared weights", () => {
  const model = tl.Serial(tl.Dense(5), tl.Dense(5));
  const y = model(int([1, 2, 3, 4, 5]));
  assert.is(y.dtype, "float32");
  const [[w0], [w1]] = model.weights as tf.Tensor[][];
  assert.not.equal(w0.arraySync(), w1.arraySync());
  const layer = tl.Dense(5);
  const shared = tl.Serial(layer, layer);
  const [weights] = shared.init(new ShapeDtype([5], "int32"));
  assert.is((weights as unknown[])[1], tl.GET_WEIGHTS_FROM_CACHE);
  const x = int([1, 2, 3, 4, 5]);
  assert.is(leakedBy(() => model(x).dispose()), 0);
});

test("LocallyConnected1d and CausalAttention take int input (promoted by their float weights)", () => {
  const lc = tl.LocallyConnected1d(2, 1);
  const xi = int([[1, 2], [3, 4], [5, 6]]);
  const yi = lc(xi);
  assert.is(yi.dtype, "float32");
  assertClose(yi, lc(xi.toFloat()).arraySync() as number[][]);
  const att = tl.CausalAttention(4, { nHeads: 2, mode: "eval" });
  const a = att(int([[[1, 0, 2, 1], [0, 1, 1, 3], [2, 2, 0, 1]]]));
  assert.is(a.dtype, "float32");
  assertClose(a, att(tf.tensor([[[1, 0, 2, 1], [0, 1, 1, 3], [2, 2, 0, 1]]])).arraySync() as number[][][]);
});

test("MaxPool keeps int32 (Trax test_padding_default with an int array)", () => {
  const y = tl.MaxPool({ poolSize: [3], strides: [3] })(int([[[0, 9], [1, 8], [2, 7], [3, 6], [4, 5]]]));
  assert.is(y.dtype, "int32");
  assert.equal(y.arraySync(), [[[2, 9]]]);
});

test("combinators carry int arrays through unchanged (Trax combinators tests)", () => {
  const [a, b] = tl.Dup()(int([1, 2, 3])) as tf.Tensor[];
  assert.equal([a.dtype, b.dtype], ["int32", "int32"]);
  const sum = tl.Serial(tl.Dup(), tl.Add())(int([1, 2, 3]));
  assert.is(sum.dtype, "int32");
  assert.equal(sum.arraySync(), [2, 4, 6]);
  const [p, q] = tl.Parallel(tl.Relu(), tl.Negate())([int([1, -2, 3, 4]), int([10, 20, 30])]) as tf.Tensor[];
  assert.equal([p.arraySync(), q.arraySync()], [[1, 0, 3, 4], [-10, -20, -30]]);
  assert.equal([p.dtype, q.dtype], ["int32", "int32"]);
  const diff = tl.SubtractTop()([int([10, 20, 30]), int([1, 2, 3])]); // x1 - x0, as in Trax
  assert.equal([diff.dtype, diff.arraySync()], ["int32", [-9, -18, -27]]);
  const res = tl.Residual(tl.Relu())(int([3, -6, 9, 12]));
  assert.equal([res.dtype, res.arraySync()], ["int32", [6, -6, 18, 24]]);
});

test("base: a PureLayer and Fn on int arrays (Trax base tests)", () => {
  const layer = tl.Fn("Add", (x0: tf.Tensor, x1: tf.Tensor) => tf.add(x0, x1));
  const y = layer([int([1, 2, 3, 4, 5]), int([10, 20, 30, 40, 50])]);
  assert.equal([y.dtype, y.arraySync()], ["int32", [11, 22, 33, 44, 55]]);
  const sig = layer.outputSignature([new ShapeDtype([5], "int32"), new ShapeDtype([5], "int32")]) as InstanceType<typeof ShapeDtype>;
  assert.is(sig.dtype, "int32");
});

test("metrics: int targets and int weights (Trax metrics tests)", () => {
  const acc = tl.CategoryAccuracy()([tf.tensor([[9, 2, 0, -2], [2, 9, 0, -2]]), int([0, 1])]);
  assertClose(acc, 1);
  const wacc = tl.WeightedCategoryAccuracy()([tf.tensor([[9, 2, 0, -2], [2, 9, 0, -2]]), int([0, 2]), int([30, 10])]);
  assertClose(wacc, 0.75);
});

test.run();
