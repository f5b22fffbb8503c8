/**
 * trax-ts's SIMD `Exp` and `Tanh` on wasm (src/backend/simd/exp-module.ts,
 * wasm-exp.ts): exp within 1 float32 ulp of exp computed in float64 and
 * rounded, over every exponent range (normal, subnormal results, overflow to
 * infinity), with NaN and infinities as `expf` gives them; tanh within 1.5
 * ulps, signed zeros, NaN and infinities as `tanhf` gives them; every length
 * (the one-vector and scalar tails), in place too; `tf.exp`, `tf.tanh` and
 * what is built on them (gradients, log-softmax cross-entropy, an LSTM
 * cell) agree with tfjs-wasm's own kernels; int32 inputs still go to
 * tfjs-wasm's kernel.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { leakedBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { instantiateExp } from "../../src/backend/simd/exp-module";
import { simdExp } from "../../src/backend/simd/wasm-exp";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** The distance between `x` (a float32) and the next float32 away from zero. */
function ulpOf(x: number): number {
  const bits = new Uint32Array(new Float32Array([Math.abs(x)]).buffer);
  bits[0] += 1;
  return new Float32Array(bits.buffer)[0] - Math.abs(x);
}

/** The module's `fn` over a memory of its own, for `xs` (written at address 64, results after them). */
function moduleRun(fn: "exp" | "tanh", xs: Float32Array, inPlace = false): Float32Array {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  const memory = new api.Memory({ initial: Math.ceil((8 * xs.length + 128) / 65536) + 1 });
  const mod = instantiateExp(memory);
  const src = 64;
  const dst = inPlace ? src : src + 4 * xs.length;
  new Float32Array(memory.buffer, src, xs.length).set(xs);
  mod[fn](src, dst, xs.length);
  return new Float32Array(memory.buffer, dst, xs.length).slice();
}

const moduleExp = (xs: Float32Array, inPlace = false) => moduleRun("exp", xs, inPlace);

/** Largest error in ulps of the rounded float64 `f`; special results (zeros, infinities, NaN) must match exactly. */
function maxUlpError(xs: Float32Array, ys: Float32Array, f: (x: number) => number = Math.exp): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const exact = f(xs[i]);
    const rounded = Math.fround(exact);
    if (Number.isNaN(exact) || rounded === 0 || !Number.isFinite(rounded)) {
      assert.ok(Object.is(ys[i], rounded), `exp(${xs[i]}) = ${ys[i]}, expected ${rounded}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(ys[i] - exact) / ulpOf(rounded));
  }
  return worst;
}

test("within 1 ulp of the exact value over [-105, 90]: normal results, subnormal ones, and the edges of overflow", () => {
  const n = 1 << 20;
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = -105 + (195 * i) / n;
  const worst = maxUlpError(xs, moduleExp(xs));
  assert.ok(worst <= 1, `max error ${worst} ulp`);
});

test("special values: NaN, infinities, zeros, the overflow and underflow thresholds", () => {
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 88.72283, 88.7228394, 89, 3e38, -87.33654, -100, -103.27893, -103.98, -104, -3e38];
  const xs = new Float32Array(specials);
  const ys = moduleExp(xs);
  assert.ok(maxUlpError(xs, ys) <= 1);
  assert.ok(Number.isNaN(ys[0]));
  assert.equal([ys[1], ys[2], ys[3], ys[4]], [Infinity, 0, 1, 1]);
});

test("tanh within 1.5 ulps over [-12, 12]; signed zeros, tiny values, NaN and infinities", () => {
  const n = 1 << 20;
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = -12 + (24 * i) / n;
  assert.ok(maxUlpError(xs, moduleRun("tanh", xs), Math.tanh) <= 1.5);
  const specials = new Float32Array([-0, 0, 1e-30, -1e-30, 1.4e-45, 0.6249, 0.625, 0.6251, 9, 20, -20, NaN, Infinity, -Infinity]);
  const ys = moduleRun("tanh", specials);
  assert.ok(maxUlpError(specials, ys, Math.tanh) <= 1.5);
  assert.ok(Object.is(ys[0], -0) && Object.is(ys[1], 0), "signed zeros");
  assert.ok(Number.isNaN(ys[11]));
  assert.equal([ys[12], ys[13]], [1, -1]);
});

test("every length (whole iterations, one-vector and scalar tails) and in place", () => {
  for (const [fn, f] of [["exp", Math.exp], ["tanh", Math.tanh]] as const) {
    for (let len = 0; len <= 37; len++) {
      const xs = new Float32Array(len).map((_, i) => Math.sin(i * 7.1) * (fn === "exp" ? 20 : 3));
      const out = moduleRun(fn, xs);
      const inPlace = moduleRun(fn, xs, true);
      assert.ok(maxUlpError(xs, out, f) <= 1.5, `${fn} length ${len}`);
      assert.equal(Array.from(inPlace), Array.from(out), `${fn} length ${len} in place`);
    }
  }
});

/** Runs `f` with the SIMD exp off (tfjs-wasm's kernel). */
const withoutSimdExp = <T>(f: () => T): T => withSwitch(simdExp, false, f);

/** Asserts `a` and `b` (float32 values) differ by at most `ulps` ulps elementwise. */
function assertUlpClose(a: Float32Array, b: Float32Array, ulps: number, msg: string): void {
  assert.is(a.length, b.length, msg);
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    assert.ok(Math.abs(a[i] - b[i]) <= ulps * ulpOf(b[i]), `${msg}: element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

test("tf.exp and its gradient agree with tfjs-wasm's kernel (1 ulp), leak nothing; int32 goes to tfjs-wasm's kernel", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([3, 33, 17], 0, 8, "float32", 7);
  const c = tf.cos(x); // a constant factor: the gradient is c e^x
  const run = () => tf.tidy(() => {
    const y = tf.exp(x);
    const g = tf.grad((t: tf.Tensor) => tf.exp(t).mul(c).sum())(x);
    return [y.dataSync() as Float32Array, g.dataSync() as Float32Array];
  });
  const [y, g] = run();
  const [y0, g0] = withoutSimdExp(run);
  assertUlpClose(y, y0, 1, "exp");
  assertUlpClose(g, g0, 2, "gradient");
  assert.is(leakedBy(() => tf.dispose(tf.exp(x))), 0);
  const ints = tf.tensor1d([-2, 0, 3], "int32");
  const e = tf.exp(ints);
  const e0 = withoutSimdExp(() => tf.exp(ints));
  assert.is(e.dtype, e0.dtype);
  assert.equal(Array.from(e.dataSync()), Array.from(e0.dataSync()));
  tf.dispose([x, c, ints, e, e0]);
});

test("tf.tanh, its gradient and an LSTM cell agree with tfjs-wasm's kernel", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([5, 41], 0, 2, "float32", 8);
  const run = () => tf.tidy(() => [tf.tanh(x).dataSync() as Float32Array, tf.grad((t: tf.Tensor) => tf.tanh(t).sum())(x).dataSync() as Float32Array]);
  const [y, g] = run();
  const [y0, g0] = withoutSimdExp(run);
  for (let i = 0; i < y.length; i++) {
    assert.ok(Math.abs(y[i] - y0[i]) <= 2 * ulpOf(y0[i]), `tanh ${i}: ${y[i]} vs ${y0[i]}`);
    assert.ok(Math.abs(g[i] - g0[i]) <= 1e-6, `gradient ${i}: ${g[i]} vs ${g0[i]}`);
  }
  const cell = tl.LSTMCell(16);
  const xs = [tf.randomNormal([3, 16], 0, 1, "float32", 1), tf.randomNormal([3, 32], 0, 1, "float32", 2)];
  cell.init(xs.map((t) => new trax.shapes.ShapeDtype(t.shape)), { rng: trax.fastmath.random.getPrng(1) });
  const step = () => tf.tidy(() => (cell(xs) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
  const ours = step();
  const stock = withoutSimdExp(step);
  ours.forEach((o, k) => o.forEach((v, i) => assert.ok(Math.abs(v - stock[k][i]) <= 1e-6, `LSTM output ${k} element ${i}: ${v} vs ${stock[k][i]}`)));
  tf.dispose([x, ...xs]);
});

test("a log-softmax cross-entropy loss and its gradient agree with tfjs-wasm's kernel", () => {
  if (!onWasm()) return;
  const logits = tf.randomNormal([8, 5, 40], 0, 4, "float32", 3);
  const labels = tf.randomUniformInt([8, 5], 0, 40, 4);
  const weights = tf.ones([8, 5]);
  const loss = tl.CrossEntropyLossWithLogSoftmax();
  const run = () => tf.tidy(() => {
    const value = (loss([logits, labels, weights]) as tf.Tensor).dataSync()[0];
    const g = tf.grad((t: tf.Tensor) => loss([t, labels, weights]) as tf.Tensor)(logits).dataSync() as Float32Array;
    return { value, g };
  });
  const a = run();
  const b = withoutSimdExp(run);
  assert.ok(Math.abs(a.value - b.value) <= 1e-6 * Math.abs(b.value), `${a.value} vs ${b.value}`);
  for (let i = 0; i < a.g.length; i++) assert.ok(Math.abs(a.g[i] - b.g[i]) <= 1e-7, `gradient ${i}: ${a.g[i]} vs ${b.g[i]}`);
  tf.dispose([logits, labels, weights]);
});

test.run();
