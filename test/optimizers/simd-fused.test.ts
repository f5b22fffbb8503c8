/**
 * The fused optimizer kernels on wasm as SIMD loops (src/backend/simd/
 * optim-module.ts, float32) against the JavaScript loops (float64, rounded
 * once) on the same inputs: every output within a few float32 ulps of the
 * size of its terms, for lengths that reach every loop and tail (0 to 1030
 * elements), ordinary, huge, tiny (subnormal) and zero values, weight decay (`keep` != 1), late
 * and early Adam steps, Momentum with and without Nesterov's correction;
 * infinities where the float64 result overflows float32 too. Then the same
 * through the threaded wasm build (a child process), where the module runs
 * over the shared memory.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, ready, runScriptJson, tf, trax } from "../helpers";
import { fusedAdam, fusedMomentum, fusedRMSProp } from "../../src/optimizers/fused";
import { simdOptimizers, simdOptimizersOf } from "../../src/backend/simd/wasm-optim";
import { optimModuleBytes } from "../../src/backend/simd/optim-module";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** float32's machine epsilon (one ulp at 1). */
const EPS32 = 2 ** -23;
/** Ulps of the term sizes allowed between the two paths (measured: at most 2). */
const ULPS = 4;
/**
 * An absolute floor for results whose terms pass through float32's
 * subnormal range (below 1.2e-38), where float32 keeps fewer digits: the
 * subnormal spacing (1.4e-45) divided by a tenth of the smallest epsilon
 * used here (1e-8).
 */
const FLOOR = 2 ** -149 / 1e-9;

/**
 * The JavaScript loop's new weights, except where its float64 moment
 * overflowed float32 (`moment[i]` infinite, stored so by both paths): there
 * the SIMD loop divides by that infinite moment and leaves the weight at
 * `keep w`, where the float64 loop still took a finite step.
 */
function expectedWeights(js: Float32Array, moment: Float32Array, w: Float32Array, keep: number): Float32Array {
  return js.map((x, i) => (moment[i] === Infinity ? Math.fround(keep * w[i]) : x));
}

/** Huge, tiny (subnormal below 1.2e-38) and zero values mixed into the test arrays. */
const SPECIALS = [0, -0, 1e-20, -1e-30, 3e-39, -1e-42, 1e19, -2e20, 1e30, 1e-8, -5e-6];

/**
 * Deterministic values in [-1, 1) scaled by `scale`, about one in four
 * replaced by one of {@link SPECIALS} when `specials` (absolute values when
 * not `signed`); each seed picks its own positions.
 */
function values(n: number, seed: number, scale: number, signed = true, specials = true): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    const u = next();
    out[i] = specials && u < 0.25 ? SPECIALS[Math.floor(next() * SPECIALS.length)] : (2 * next() - 1) * scale;
    if (!signed) out[i] = Math.abs(out[i]);
  }
  return out;
}

/** Runs `fn` with the SIMD loops, then with the JavaScript loops: both outputs' values. */
function bothPaths(fn: () => tf.Tensor[] | null): [Float32Array[], Float32Array[]] {
  const run = (): Float32Array[] => {
    const outs = tf.tidy(() => fn() ?? []);
    if (!outs.length) throw new Error("the fused kernel did not run");
    const data = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outs);
    return data;
  };
  assert.ok(simdOptimizersOf(tf.backend()), "the SIMD module is instantiated over the wasm heap");
  const simd = run();
  simdOptimizers.enabled = false;
  try {
    return [simd, run()];
  } finally {
    simdOptimizers.enabled = true;
  }
}

/** Asserts |simd - js| <= ULPS ulps of `scale[i]` (the float64 sum of the terms' magnitudes) + FLOOR; non-finite results equal. */
function assertNear(simd: Float32Array, js: Float32Array, scale: (i: number) => number, what: string): void {
  assert.is(simd.length, js.length, `${what}: length`);
  for (let i = 0; i < js.length; i++) {
    const [a, b] = [simd[i], js[i]];
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (!Object.is(a, b)) assert.unreachable(`${what}[${i}]: SIMD ${a}, JavaScript ${b}`);
      continue;
    }
    const tol = ULPS * EPS32 * scale(i) + FLOOR;
    if (!(Math.abs(a - b) <= tol)) assert.unreachable(`${what}[${i}]: SIMD ${a}, JavaScript ${b}, allowed ${tol}`);
  }
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 33, 1030];

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(optimModuleBytes);
});

test("Adam: SIMD equals the float64 loop within a few ulps (tails, huge/tiny/zero values, weight decay, early and late steps)", () => {
  if (!onWasm()) return;
  const before = tf.memory().numTensors;
  let seed = 1;
  for (const n of LENGTHS) {
    for (const [t, keep, lr, eps] of [[1, 1, 1e-3, 1e-5], [1, 0.99, 1e-2, 1e-8], [200, 1 - 1e-5, 1e-3, 1e-5]]) {
      const [b1, b2] = [0.9, 0.999];
      const c2 = Math.sqrt(1 - b2 ** t);
      const attrs = { b1, b2, stepSize: (lr * c2) / (1 - b1 ** t), epsHat: eps * c2, keep };
      const [w, g, m, v] = [values(n, seed++, 2), values(n, seed++, 0.5), values(n, seed++, 0.1), values(n, seed++, 0.01, false)];
      const [simd, js] = bothPaths(() => fusedAdam(tf.tensor1d(w), tf.tensor1d(g), tf.tensor1d(m), tf.tensor1d(v), attrs));
      const what = `n ${n}, t ${t}, keep ${keep}`;
      const mScale = (i: number) => Math.abs(b1 * m[i]) + Math.abs((1 - b1) * g[i]);
      assertNear(simd[1], js[1], mScale, `${what}: m'`);
      assertNear(simd[2], js[2], (i) => Math.abs(b2 * v[i]) + (1 - b2) * g[i] * g[i], `${what}: v'`);
      // The step's size with m' replaced by the size of its terms (m' may cancel to far below them).
      const delta = (i: number) => (attrs.stepSize * mScale(i)) / (Math.sqrt(js[2][i]) + attrs.epsHat);
      assertNear(simd[0], expectedWeights(js[0], js[2], w, keep), (i) => Math.abs(keep * w[i]) + delta(i), `${what}: w'`);
    }
  }
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
});

test("Adam: a gradient whose square overflows float32 gives a finite moment where the moment fits; no step where it does not", () => {
  if (!onWasm()) return;
  const attrs = { b1: 0.9, b2: 0.999, stepSize: 1e-3, epsHat: 1e-5, keep: 1 };
  const w = new Float32Array([1, 2, 3, 4, 5]);
  const g = [1e20, -3e19, 3e38, 0, 1e-25];
  const [simd, js] = bothPaths(() => fusedAdam(tf.tensor1d(w), tf.tensor1d(g), tf.zeros([5]), tf.zeros([5]), attrs));
  assert.ok(Number.isFinite(simd[2][0]) && Number.isFinite(simd[2][1]), "(1e-3 g) g fits float32 for |g| <= 1e20");
  assert.is(js[2][2], Infinity, "(1e-3 * 3e38) * 3e38 overflows float32 in both");
  assertNear(simd[2], js[2], (i) => 1e-3 * g[i] * g[i], "v'");
  assert.is(simd[0][2], 3, "an infinite moment: no step");
  assert.ok(js[0][2] < 3, "the float64 loop divides by the unrounded moment and steps");
  assertNear(simd[0], expectedWeights(js[0], js[2], w, 1), (i) => Math.abs(i + 1) + 1e-3, "w'");
});

test("Momentum (Nesterov and plain, weight decay): SIMD equals the float64 loop within a few ulps", () => {
  if (!onWasm()) return;
  const before = tf.memory().numTensors;
  let seed = 100;
  for (const n of LENGTHS) {
    for (const nesterov of [true, false]) {
      for (const keep of [1, 0.99]) {
        const [mass, lr] = [0.9, 0.05];
        const [w, g, v] = [values(n, seed++, 2), values(n, seed++, 0.5), values(n, seed++, 0.3)];
        const [simd, js] = bothPaths(() => fusedMomentum(tf.tensor1d(w), tf.tensor1d(g), tf.tensor1d(v), { mass, lr, keep, nesterov }));
        const what = `n ${n}, nesterov ${nesterov}, keep ${keep}`;
        const vScale = (i: number) => Math.abs(mass * v[i]) + Math.abs(g[i]);
        assertNear(simd[1], js[1], vScale, `${what}: v'`);
        const uScale = (i: number) => (nesterov ? mass * vScale(i) + Math.abs(g[i]) : vScale(i));
        assertNear(simd[0], js[0], (i) => Math.abs(keep * w[i]) + lr * uScale(i), `${what}: w'`);
      }
    }
  }
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
});

test("RMSProp: SIMD equals the float64 loop within a few ulps", () => {
  if (!onWasm()) return;
  const before = tf.memory().numTensors;
  let seed = 200;
  for (const n of LENGTHS) {
    for (const [gamma, lr, eps] of [[0.9, 1e-3, 1e-8], [0.99, 1e-2, 1e-6]]) {
      const [w, g, a] = [values(n, seed++, 2), values(n, seed++, 0.5), values(n, seed++, 1, false)];
      const [simd, js] = bothPaths(() => fusedRMSProp(tf.tensor1d(w), tf.tensor1d(g), tf.tensor1d(a), { gamma, lr, eps }));
      const what = `n ${n}, gamma ${gamma}`;
      assertNear(simd[1], js[1], (i) => gamma * a[i] + (1 - gamma) * g[i] * g[i], `${what}: a'`);
      const delta = (i: number) => Math.abs((lr * g[i]) / (Math.sqrt(js[1][i]) + eps));
      assertNear(simd[0], expectedWeights(js[0], js[1], w, 1), (i) => Math.abs(w[i]) + delta(i), `${what}: w'`);
    }
  }
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
});

test("an Adam training step's weights and slots with the SIMD loops equal those with the JavaScript loops", () => {
  if (!onWasm()) return;
  const o = new trax.optimizers.Adam({ learningRate: 0.01, weightDecayRate: 1e-3 });
  const shapes = [[37, 19], [19]];
  const weights = shapes.map((sh, i) => tf.tensor(values(sh[0] * (sh[1] ?? 1), 300 + i, 1, true, false), sh));
  const grads = shapes.map((sh, i) => tf.tensor(values(sh[0] * (sh[1] ?? 1), 310 + i, 0.1, true, false), sh));
  const step = (): number[][] => {
    o.treeInit(weights);
    const [nw, slots, metrics] = o.treeUpdate(3, grads, weights, o.slots!, o.optParams);
    const out = [...(nw as tf.Tensor[]), ...(slots as tf.Tensor[][]).flat()].map((t) => Array.from(t.dataSync()));
    tf.dispose([nw, slots, metrics.gradientsL2, metrics.weightsL2] as never);
    o.slots = null;
    return out;
  };
  const before = tf.memory().numTensors;
  const simd = step();
  simdOptimizers.enabled = false;
  let js: number[][];
  try {
    js = step();
  } finally {
    simdOptimizers.enabled = true;
  }
  simd.forEach((s, k) => s.forEach((x, i) => assert.ok(Math.abs(x - js[k][i]) <= 1e-6 * (1 + Math.abs(js[k][i])), `tensor ${k}[${i}]: ${x} vs ${js[k][i]}`)));
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
  tf.dispose([weights, grads]);
});

test("threaded wasm build: the module runs over the shared memory and equals the JavaScript loops", () => {
  if (!onWasm()) return;
  const script = `
    const t = require('./src'); const tf = t.tf;
    const { simdOptimizers, simdOptimizersOf } = require('./src/backend/simd/wasm-optim');
    const { fusedAdam, fusedMomentum } = require('./src/optimizers/fused');
    t.backend.ready().then(() => {
      const info = t.backend.info();
      const shared = typeof SharedArrayBuffer !== 'undefined' && tf.backend().wasm.wasmMemory?.buffer instanceof SharedArrayBuffer;
      const n = 1027;
      const w = tf.tensor1d(Array.from({ length: n }, (_, i) => Math.sin(i)));
      const g = tf.tensor1d(Array.from({ length: n }, (_, i) => Math.cos(3 * i) / 4));
      const m = tf.tensor1d(Array.from({ length: n }, (_, i) => Math.sin(5 * i) / 10));
      const v = tf.tensor1d(Array.from({ length: n }, (_, i) => Math.abs(Math.cos(7 * i)) / 100));
      const run = () => [...fusedAdam(w, g, m, v, { b1: 0.9, b2: 0.999, stepSize: 1e-2, epsHat: 1e-6, keep: 0.999 }),
                         ...fusedMomentum(w, g, v, { mass: 0.9, lr: 0.1, keep: 0.99, nesterov: true })].map((x) => Array.from(x.dataSync()));
      const instantiated = !!simdOptimizersOf(tf.backend());
      const simd = run();
      simdOptimizers.enabled = false;
      const js = run();
      let worst = 0;
      simd.forEach((s, k) => s.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - js[k][i]) / (1 + Math.abs(js[k][i]))))));
      console.log(JSON.stringify({ threads: info.threads, shared, instantiated, worst }));
    });`;
  const r = runScriptJson<{ threads: number; shared: boolean; instantiated: boolean; worst: number }>(script, { TRAX_THREADS: "2" });
  if (r.threads < 2) return; // the threaded build did not start here (backend.info says why; test/backend/threads.test.ts covers that)
  assert.ok(r.shared, "the threaded build's memory is shared");
  assert.ok(r.instantiated, "the SIMD module is instantiated over the shared memory");
  assert.ok(r.worst <= 1e-6, `largest relative difference ${r.worst}`);
});

test.run();
