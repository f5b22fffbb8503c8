/**
 * The ReLU gradient as one wasm kernel (src/backend/simd/wasm-relu-grad.ts):
 * bit for bit the composed `dy * step(x)` of tfjs (signed zeros, NaN and
 * infinities included), every length (the vector loop and the scalar
 * tail), through `tf.grad` of `tf.relu` and a Dense-ReLU stack; second
 * derivatives still work; one kernel instead of three; no leaked tensors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, float32Bits, kernelsRunBy, leakedBy, ready, tf, withSwitch } from "../helpers";
import { reluGradModuleBytes, simdReluGrad, RELU_GRAD_KERNEL } from "../../src/backend/simd/wasm-relu-grad";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** `tf.grad` of `sum(relu(x) * dy)` at `x`: the ReLU gradient of `dy`, with the kernel on or off. */
function reluGrad(x: Float32Array, dy: Float32Array, fused: boolean): Float32Array {
  return withSwitch(simdReluGrad, fused, () =>
    tf.tidy(() => {
      const dyT = tf.tensor1d(dy);
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), dyT)))(tf.tensor1d(x)).dataSync() as Float32Array;
    })
  );
}

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(reluGradModuleBytes);
});

test("equals tfjs's dy * step(x) bit for bit: signed zeros, NaN, infinities, subnormals, every length", () => {
  if (!onWasm()) return;
  const special = [NaN, -0, 0, 1e-45, -1e-45, 1, -1, Infinity, -Infinity, 3.5, -2.25];
  const dys = [2, -3, -0, 0, Infinity, -Infinity, NaN, 1e-40, -5, 7, -1];
  for (let n = 0; n <= 23; n++) {
    const x = new Float32Array(n).map((_, i) => special[(i * 7) % special.length]);
    const dy = new Float32Array(n).map((_, i) => dys[(i * 5 + n) % dys.length]);
    assert.equal(float32Bits(reluGrad(x, dy, true)), float32Bits(reluGrad(x, dy, false)), `length ${n}`);
  }
  // The cases that matter, spelled out: 0 where x <= 0 (-0 for a negative dy), NaN where x is NaN.
  const g = reluGrad(new Float32Array([-1, 0, 2, NaN]), new Float32Array([-4, 5, 6, 1]), true);
  assert.ok(Object.is(g[0], -0) && Object.is(g[1], 0) && g[2] === 6 && Number.isNaN(g[3]), `${Array.from(g)}`);
});

test("a Dense-ReLU stack's gradients are the same bits with the kernel on and off; one kernel, not three", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([37, 19], 0, 1, "float32", 3);
  const w1 = tf.randomNormal([19, 23], 0, 1, "float32", 4);
  const w2 = tf.randomNormal([23, 5], 0, 1, "float32", 5);
  const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x, a)), b))) as tf.Scalar;
  const run = (fused: boolean) => withSwitch(simdReluGrad, fused, () => tf.tidy(() => tf.grads(loss)([w1, w2]).map((g) => g.dataSync() as Float32Array)));
  const [on, off] = [run(true), run(false)];
  on.forEach((g, i) => assert.equal(float32Bits(g), float32Bits(off[i]), `gradient ${i}`));
  const names = kernelsRunBy(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(tf.tensor1d([1, -1]))));
  assert.ok(names.includes(RELU_GRAD_KERNEL), names.join(" "));
  assert.not.ok(names.includes("Step"), names.join(" "));
  tf.dispose([x, w1, w2]);
});

test("second derivatives: d/d(dy) of the gradient is step(x), as before", () => {
  if (!onWasm()) return;
  const x = tf.tensor1d([-2, 3, 0.5, -0.1]);
  const hessianDiag = (fused: boolean) =>
    withSwitch(simdReluGrad, fused, () => tf.tidy(() => Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.relu(u).mul(u)))(v)))(x).dataSync())));
  assert.equal(hessianDiag(true), hessianDiag(false));
  assert.equal(hessianDiag(true), [0, 2, 2, 0]);
  x.dispose();
});

test("no tensor left behind", () => {
  if (!onWasm()) return;
  const x = tf.tensor1d([1, -2, 3, -4, 5]);
  assert.is(leakedBy(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(x))), 0);
  x.dispose();
});

test.run();
