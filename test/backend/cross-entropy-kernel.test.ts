/**
 * The log-softmax cross-entropy as wasm kernels
 * (src/backend/simd/cross-entropy-module.ts, wasm-cross-entropy.ts): the
 * same bits as the tfjs ops of `softmaxCrossEntropy`, values and gradients,
 * over shapes of one and many rows, labels out of range and given as floats,
 * and logits with NaN, infinities and signed zeros (tfjs-wasm's `Max` keeps
 * the first of equal values and takes any NaN); four kernels in place of
 * about twenty; label smoothing still takes the tfjs ops; no leaks.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, float32Bits, kernelsRunBy, leakedBy, ready, tf, withSwitch } from "../helpers";
import { crossEntropyModuleBytes } from "../../src/backend/simd/cross-entropy-module";
import { simdCrossEntropy } from "../../src/backend/simd/wasm-cross-entropy";
import { softmaxCrossEntropy } from "../../src/layers/cross-entropy";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Values, and gradients of `sum(ce * w)` with respect to the logits, with the kernels on or off. */
function run(logits: tf.Tensor, labels: tf.Tensor, fused: boolean, smoothing = 0): number[][] {
  return withSwitch(simdCrossEntropy, fused, () =>
    tf.tidy(() => {
      const values = softmaxCrossEntropy(logits, labels, smoothing);
      const w = tf.randomNormal(values.shape, 0, 1, "float32", 11);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(softmaxCrossEntropy(x, labels, smoothing), w)))(logits);
      return [float32Bits(values.dataSync() as Float32Array), float32Bits(g.dataSync() as Float32Array)];
    })
  );
}

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(crossEntropyModuleBytes);
});

test("the same bits as the tfjs ops, values and gradients; four kernels instead of about twenty", () => {
  if (!onWasm()) return;
  let seed = 1;
  for (const shape of [[128, 10], [16, 32, 64], [1, 2], [3, 7], [5, 2, 3]]) {
    const n = shape[shape.length - 1];
    const logits = tf.randomNormal(shape, 0, 4, "float32", seed++);
    const labels = tf.randomUniformInt(shape.slice(0, -1), -1, n + 1, seed++); // some out of range
    let on: number[][] = [];
    const names = kernelsRunBy(() => (on = run(logits, labels, true)));
    assert.ok(names.includes("TraxSoftmaxCrossEntropy") && names.includes("TraxSoftmaxCrossEntropyGrad"), `the kernels ran at [${shape}]`);
    assert.not.ok(names.includes("Max") || names.includes("OneHot"), `no tfjs ops at [${shape}]: ${names.join(" ")}`);
    const off = run(logits, labels, false);
    assert.equal(on[0], off[0], `values at [${shape}]`);
    assert.equal(on[1], off[1], `gradients at [${shape}]`);
    tf.dispose([logits, labels]);
  }
});

test("NaN, infinities and signed zeros among the logits; float labels", () => {
  if (!onWasm()) return;
  const logits = tf.tensor2d([
    [1, NaN, 3, 0],
    [NaN, 1, 2, 3],
    [-0, 0, -0, 0],
    [0, -0, 0, -0],
    [Infinity, 1, 2, 3],
    [-Infinity, -Infinity, 0, 1],
    [-Infinity, -Infinity, -Infinity, -Infinity],
    [1e30, -1e30, 88, -88],
  ]);
  for (const labels of [tf.tensor1d([2, 0, 1, 3, 0, 2, 1, 3], "int32"), tf.tensor1d([2.7, 0, 1, 3, -0.5, 2, 1, 9])]) {
    const [on, off] = [run(logits, labels, true), run(logits, labels, false)];
    assert.equal(on[0], off[0], `values (${labels.dtype} labels)`);
    assert.equal(on[1], off[1], `gradients (${labels.dtype} labels)`);
    labels.dispose();
  }
  logits.dispose();
});

test("label smoothing, and labels whose shape does not match, still take the tfjs ops", () => {
  if (!onWasm()) return;
  const logits = tf.randomNormal([4, 5], 0, 1, "float32", 3);
  const labels = tf.tensor1d([0, 1, 2, 3], "int32");
  const names = kernelsRunBy(() => tf.dispose(softmaxCrossEntropy(logits, labels, 0.1)));
  assert.not.ok(names.includes("TraxSoftmaxCrossEntropy"), names.join(" "));
  const column = tf.tensor2d([[0], [1], [2], [3]], [4, 1], "int32");
  const broadcast = kernelsRunBy(() => tf.dispose(softmaxCrossEntropy(logits, column.reshape([4]))));
  assert.ok(broadcast.includes("TraxSoftmaxCrossEntropy"), "the same labels as a vector do");
  // One class: tf.oneHot refuses a depth under 2, on every path.
  assert.throws(() => softmaxCrossEntropy(tf.zeros([2, 1]), tf.tensor1d([0, 0], "int32")), /depth/);
  tf.dispose([logits, labels, column]);
});

test("no tensor left behind, with and without a gradient, int and float labels", () => {
  if (!onWasm()) return;
  const logits = tf.randomNormal([6, 4], 0, 1, "float32", 5);
  for (const labels of [tf.tensor1d([0, 1, 2, 3, 0, 1], "int32"), tf.tensor1d([0, 1, 2, 3, 0, 1])]) {
    assert.is(leakedBy(() => softmaxCrossEntropy(logits, labels).dispose()), 0);
    assert.is(leakedBy(() => tf.grad((x: tf.Tensor) => tf.sum(softmaxCrossEntropy(x, labels)))(logits).dispose()), 0);
    labels.dispose();
  }
  logits.dispose();
});

test.run();
