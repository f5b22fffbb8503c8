/**
 * trax-ts's `Sum` and `Mean` over leading or trailing axes on wasm (src/backend/simd/
 * sums-module.ts, wasm-sums.ts): the same values as tfjs-wasm's own kernel,
 * bit for bit, for every such reduction (keepDims, negative axes, column
 * counts off the vector width, row counts off the four rows summed at once,
 * no columns); a sum over no rows is zeros (tfjs-wasm's kernel returns
 * uninitialized memory); other sums still go to tfjs-wasm's kernel; a bias
 * gradient and a cross-entropy are unchanged; nothing leaks.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { leakedBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { leadingAxes, simdSums, trailingAxes } from "../../src/backend/simd/wasm-sums";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Runs `f` with tfjs-wasm's own Sum. */
const stock = <T>(f: () => T): T => withSwitch(simdSums, false, f);

test("leadingAxes: how many leading axes a reduction takes, 0 for any other", () => {
  assert.is(leadingAxes([0], 2), 1);
  assert.is(leadingAxes([0, 1], 3), 2);
  assert.is(leadingAxes([1, 0], 3), 0, "out of order: tfjs-wasm sums in another order");
  assert.is(leadingAxes([1], 2), 0);
  assert.is(leadingAxes([0, 2], 3), 0);
  assert.is(leadingAxes([0, 1], 2), 0, "all axes: tfjs-wasm sums those without a transpose");
  assert.is(leadingAxes([], 2), 0);
});

test("trailingAxes: the first of the trailing axes a reduction takes, 0 for any other", () => {
  assert.is(trailingAxes([2], 3), 2);
  assert.is(trailingAxes([1, 2], 3), 1);
  assert.is(trailingAxes([-1], 3), 0, "axes come normalized (parseAxisParam)");
  assert.is(trailingAxes([2, 1], 3), 0, "out of order");
  assert.is(trailingAxes([0, 1], 2), 0, "all axes");
  assert.is(trailingAxes([1], 3), 0);
});

test("sums over leading or trailing axes equal tfjs-wasm's bit for bit: shapes, keepDims, axis forms, empty inputs", () => {
  if (!onWasm()) return;
  const cases: [number[], number | number[], boolean][] = [
    [[512, 128], 0, false],
    [[16, 32, 128], [0, 1], false],
    [[16, 32, 128], [0, 1], true],
    [[16, 32, 128], [1, 0], true], // out of order: left to tfjs-wasm
    [[3, 5, 7], -3, false],
    [[3, 5, 7], [0, -2], true],
    [[40, 13], 0, false], // columns: 3 vectors and a scalar
    [[9, 1], 0, true],
    [[2, 3, 4, 21], [0, 1, 2], false],
    [[4, 0], 0, false], // no columns
    // trailing axes: four rows at a time, then one by one
    [[512, 128], -1, false],
    [[16, 32, 128], 2, true],
    [[16, 32, 128], [1, 2], false],
    [[16, 32, 128], [-2, -1], true],
    [[5, 3], 1, false],
    [[7, 1], 1, false],
    [[3, 2, 4, 9], [2, 3], false],
  ];
  cases.forEach(([shape, axis, keepDims], i) => {
    const x = tf.randomNormal(shape, 0, 3, "float32", 20 + i);
    const run = () => tf.tidy(() => {
      const [y, m] = [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      return { shape: y.shape, values: Array.from(y.dataSync()), meanShape: m.shape, means: Array.from(m.dataSync()) };
    });
    const ours = run();
    assert.equal(ours, stock(run), `${shape} axis ${axis} keepDims ${keepDims}`);
    assert.is(leakedBy(() => tf.dispose([tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)])), 0);
    x.dispose();
  });
});

test("a sum over nothing is zeros, a mean NaN (tfjs-wasm's own kernels return whatever their output memory held)", () => {
  if (!onWasm()) return;
  const x = tf.zeros([0, 5]);
  const y = tf.sum(x, 0);
  assert.equal(y.shape, [5]);
  assert.equal(Array.from(y.dataSync()), [0, 0, 0, 0, 0]);
  const z = tf.sum(tf.zeros([3, 0]), 1); // no columns to sum along the last axis
  assert.equal(Array.from(z.dataSync()), [0, 0, 0]);
  const m = tf.mean(x, 0); // and the mean of nothing is NaN
  assert.ok(Array.from(m.dataSync()).every(Number.isNaN));
  tf.dispose([x, y, z, m]);
});

test("other sums (middle axes, axes out of order, all axes, int32) still take tfjs-wasm's kernel and answers", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([4, 5, 6], 0, 1, "float32", 9);
  const ints = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32");
  for (const [t, axis] of [[x, 1], [x, [2, 1]], [x, [0, 1, 2]], [x, [0, 2]], [ints, 0], [ints, 1]] as [tf.Tensor, number | number[]][]) {
    const run = () => tf.tidy(() => {
      const y = tf.sum(t, axis);
      const m = tf.mean(t, axis);
      return { dtype: y.dtype, values: Array.from(y.dataSync()), mean: Array.from(m.dataSync()) };
    });
    assert.equal(run(), stock(run), `axis ${axis} ${t.dtype}`);
  }
  tf.dispose([x, ints]);
});

test("a cross-entropy over a large vocabulary (a sum over the last axis) is unchanged", () => {
  if (!onWasm()) return;
  const logits = tf.randomNormal([37, 3000], 0, 3, "float32", 11);
  const run = () => tf.tidy(() => Array.from(tf.logSoftmax(logits).sum(-1).dataSync()));
  assert.equal(run(), stock(run));
  logits.dispose();
});

test("a LayerNorm (means over the last axis) and its gradients are unchanged", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([6, 10, 48], 0, 2, "float32", 12);
  const ln = tl.LayerNorm();
  ln.init(trax.shapes.signature(x), { rng: trax.fastmath.random.getPrng(0) });
  const run = () => tf.tidy(() => {
    const y = (ln(x) as tf.Tensor).dataSync();
    const g = trax.fastmath.grad((t: tf.Tensor) => (ln(t) as tf.Tensor).square().sum())(x).dataSync();
    return [Array.from(y), Array.from(g)];
  });
  assert.equal(run(), stock(run));
  x.dispose();
});

test("a broadcast bias's gradient is unchanged", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([8, 12, 20], 0, 1, "float32", 5);
  const b = tf.randomNormal([20], 0, 1, "float32", 6);
  const run = () => tf.tidy(() => Array.from(tf.grad((bb: tf.Tensor) => tf.add(x, bb).square().sum())(b).dataSync()));
  assert.equal(run(), stock(run));
  tf.dispose([x, b]);
});

test.run();
