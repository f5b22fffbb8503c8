/**
 * trax-ts's `Softmax` on wasm (src/backend/simd/wasm-softmax.ts): within a
 * few float32 ulps (and the row sum's rounding) of the softmax computed in float64, over row lengths on
 * and off the vector width, large logits (no overflow), a row holding -∞
 * (zeros there); the rows sum to 1; NaN and +∞ rows are NaN; close to
 * tfjs-wasm's XNNPACK kernel; its gradient and an attention layer are
 * unchanged to rounding; nothing leaks; the module is valid over plain and
 * shared memory.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertValidModule, kernelsRunBy, leakedBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { simdSoftmax } from "../../src/backend/simd/wasm-softmax";
import { softmaxModuleBytes } from "../../src/backend/simd/softmax-module";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Runs `f` with tfjs-wasm's own kernel (XNNPACK). */
const stock = <T>(f: () => T): T => withSwitch(simdSoftmax, false, f);

/** The softmax of each row of `values` (`n` a row) in float64. */
function softmax64(values: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / n; r++) {
    const row = Array.from(values.subarray(r * n, (r + 1) * n));
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(Math.fround(v - m))); // x - max rounds to float32 first, as in the kernel
    const s = e.reduce((p, v) => p + v, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

test("softmax over the last axis is within a few ulps of float64's (and the row sum's rounding), every row length, large logits, -Infinity entries", () => {
  if (!onWasm()) return;
  for (const shape of [[1, 1], [3, 2], [5, 4], [7, 13], [64, 32, 32], [2, 3, 1000]]) {
    const n = shape[shape.length - 1];
    const x = tf.tidy(() => {
      const base = tf.randomNormal(shape, 0, 4, "float32", n);
      // large logits in some rows (exp would overflow without the max shift), -Infinity in others
      const values = base.dataSync().slice();
      for (let i = 0; n > 1 && i < values.length; i += 11 * n + 3) values[i] = i % 2 ? 150 : -Infinity;
      return tf.tensor(values, shape);
    });
    assert.ok(kernelsRunBy(() => tf.dispose(tf.softmax(x))).includes("Softmax"));
    const y = tf.softmax(x);
    const got = y.dataSync() as Float32Array;
    const want = softmax64(x.dataSync() as Float32Array, n);
    // a few ulps of exp, the division's half ulp, and the float32 row sum's rounding (growing with the row)
    const rtol = 5e-7 + 1e-7 * Math.sqrt(n);
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= rtol * w + 1e-38, `[${shape}] ${i}: ${got[i]} vs ${w}`));
    const rowSums = tf.sum(y, -1).dataSync();
    rowSums.forEach((s, r) => assert.ok(Math.abs(s - 1) < 1e-5, `row ${r} sums to ${s}`));
    assertClose(y, stock(() => tf.softmax(x)), 1e-7, 1e-5, `[${shape}] against tfjs-wasm's kernel`);
    assert.is(leakedBy(() => tf.dispose(tf.softmax(x))), 0);
    tf.dispose([x, y]);
  }
});

test("a row holding NaN or +Infinity is NaN, other rows unaffected; empty inputs give empty outputs", () => {
  if (!onWasm()) return;
  const x = tf.tensor2d([[1, NaN, 2], [Infinity, 0, 1], [0, Math.log(2), Math.log(3)]]);
  const y = Array.from(tf.softmax(x).dataSync());
  assert.ok(y.slice(0, 6).every(Number.isNaN), `${y}`);
  assertClose(y.slice(6), [1 / 6, 2 / 6, 3 / 6], 1e-7, 1e-6);
  assert.equal(tf.softmax(tf.zeros([0, 4])).shape, [0, 4]);
  assert.equal(tf.softmax(tf.zeros([3, 0])).shape, [3, 0]);
  x.dispose();
});

test("its gradient and a causal attention layer's output and gradients agree with tfjs-wasm's kernel to rounding", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([4, 9, 17], 0, 2, "float32", 3);
  const dy = tf.randomNormal([4, 9, 17], 0, 1, "float32", 4);
  const grad = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), dy)))(x);
  assertClose(grad(), stock(grad), 1e-6, 1e-5);
  const layer = tl.CausalAttention(32, { nHeads: 4 });
  const h = tf.randomNormal([2, 12, 32], 0, 1, "float32", 5);
  layer.init(trax.shapes.signature(h), { rng: trax.fastmath.random.getPrng(2) });
  const run = () => tf.tidy(() => {
    const y = layer(h) as tf.Tensor;
    const g = trax.fastmath.grad((t: tf.Tensor) => tf.sum(tf.square(layer(t) as tf.Tensor)))(h);
    return [Array.from(y.dataSync()), Array.from(g.dataSync())];
  });
  const [ours, theirs] = [run(), stock(run)];
  assertClose(ours[0], theirs[0], 1e-6, 1e-5, "output");
  assertClose(ours[1], theirs[1], 1e-5, 1e-4, "gradient");
  tf.dispose([x, dy, h]);
});

test("the module is valid WebAssembly over a plain and a shared memory", () => {
  assertValidModule(softmaxModuleBytes);
});

test.run();
