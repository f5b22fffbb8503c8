/**
 * trax-ts's SIMD products on wasm (src/backend/simd/): `tf.matMul` and
 * `tf.fused.matMul` through our GEMM give the products of a float64
 * reference loop, for every transpose combination, edge tiles (sizes that
 * are not multiples of the 5x8 tile), batches (equal, broadcast from one
 * matrix, broadcast over several axes), bias and ReLU; what it does not take
 * (other activations, int32) still runs through tfjs-wasm's kernels; and the
 * gradients of a Dense stack equal those with our products switched off.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, ready, runScriptJson, tf, trax } from "../helpers";
import { dense } from "../../src/fastmath/matmul";
import { simdMatMul } from "../../src/backend/simd/wasm-matmul";
import { gemmModuleBytes } from "../../src/backend/simd/gemm-module";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** A deterministic pseudo-random matrix of `shape` (values in [-1, 1)). */
function values(shape: number[], seed: number): Float32Array {
  const size = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(size);
  let s = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** `op(a) @ op(b)` in float64 for (batch, rows, cols) items; `a`/`b` items repeat when their batch is 1. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean, batch: number): Float64Array {
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [m, k] = ta ? [ac, ar] : [ar, ac];
  const n = tb ? br : bc;
  const batchA = a.length / (ar * ac);
  const batchB = b.length / (br * bc);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * ar * ac;
    const bo = (batchB === 1 ? 0 : t) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[ao + (ta ? p * ac + i : i * ac + p)] * b[bo + (tb ? j * bc + p : p * bc + j)];
        out[t * m * n + i * n + j] = sum;
      }
    }
  }
  return out;
}

function assertClose(actual: Float32Array, expected: Float64Array, k: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: size`);
  const tol = 1e-5 * Math.max(1, k);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) assert.unreachable(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

test("backend.info() says whether the SIMD products run; TRAX_SIMD=0 turns them off", () => {
  if (!onWasm()) return;
  assert.is(trax.backend.info().simdProducts, true);
  const script = `const t = require('./src'); const y = t.tf.matMul(t.tf.ones([5, 3]), t.tf.ones([4, 3]), false, true);
    console.log(JSON.stringify({ simd: t.backend.info().simdProducts, y: Array.from(y.dataSync()) }));`;
  const r = runScriptJson<{ simd: boolean; y: number[] }>(script, { TRAX_SIMD: "0" });
  assert.is(r.simd, false);
  assert.equal(r.y, new Array(20).fill(3));
});

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(gemmModuleBytes);
});

test("2-D products equal a float64 loop, every transpose, edge tiles and partial panels included", () => {
  if (!onWasm()) return;
  const sizes: [number, number, number][] = [[1, 1, 1], [1, 5, 3], [1, 40, 16], [1, 30, 21], [8, 12, 24], [9, 12, 24], [2, 9, 16], [3, 4, 9], [6, 5, 8], [4, 3, 8], [5, 7, 11], [13, 9, 17], [33, 65, 17], [64, 40, 130], [3, 0, 5], [258, 33, 20], [301, 7, 9]];
  // (A is packed in panels of 5 rows, B of 8 columns, 4 steps at a time where it can: the 258- and 301-row
  // products end in panels of 3 rows and 1, k = 9 and 65 leave a step after the last 4)
  let seed = 1;
  for (const [m, k, n] of sizes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        const [av, bv] = [values(aShape, seed++), values(bShape, seed++)];
        const y = tf.tidy(() => tf.matMul(tf.tensor2d(av, aShape as [number, number]), tf.tensor2d(bv, bShape as [number, number]), ta, tb));
        assert.equal(y.shape, [m, n]);
        assertClose(y.dataSync() as Float32Array, reference(av, aShape, bv, bShape, ta, tb, 1), k, `(${m}, ${k}, ${n}) ta=${ta} tb=${tb}`);
        y.dispose();
      }
    }
  }
});

test("batched products: equal batches, one side broadcast, several batch axes", () => {
  if (!onWasm()) return;
  const cases: [number[], number[], boolean, boolean, number[]][] = [
    [[3, 5, 7], [3, 7, 9], false, false, [3, 5, 9]],
    [[3, 7, 5], [3, 9, 7], true, true, [3, 5, 9]],
    [[2, 3, 5, 7], [7, 4], false, false, [2, 3, 5, 4]],
    [[2, 3, 7, 5], [4, 7], true, true, [2, 3, 5, 4]],
    [[5, 7], [3, 7, 4], false, false, [3, 5, 4]],
    [[1, 5, 7], [3, 7, 4], false, false, [3, 5, 4]],
    [[2, 1, 5, 6], [1, 6, 3], false, false, [2, 1, 5, 3]],
    [[64, 32, 32], [64, 32, 32], false, true, [64, 32, 32]],
    // Few rows: B read in place, its last partial panel packed (per item, or once).
    [[3, 2, 7], [3, 7, 9], false, false, [3, 2, 9]],
    [[3, 1, 6], [3, 6, 17], false, false, [3, 1, 17]],
    [[4, 1, 6], [6, 10], false, false, [4, 1, 10]],
    [[4, 6, 1], [6, 10], true, false, [4, 1, 10]],
    [[5, 6, 3], [10, 6], true, true, [5, 3, 10]],
  ];
  let seed = 100;
  for (const [aShape, bShape, ta, tb, outShape] of cases) {
    const [av, bv] = [values(aShape, seed++), values(bShape, seed++)];
    const y = tf.tidy(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb));
    assert.equal(y.shape, outShape, `${aShape} x ${bShape}`);
    const batch = outShape.slice(0, -2).reduce((p, d) => p * d, 1);
    const k = ta ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    assertClose(y.dataSync() as Float32Array, reference(av, aShape, bv, bShape, ta, tb, batch), k, `${aShape} x ${bShape}`);
    y.dispose();
  }
});

test("fused products: bias and ReLU equal a float64 loop, every transpose (tfjs-wasm's own kernel gets transposes wrong)", () => {
  if (!onWasm()) return;
  let seed = 200;
  // 9 rows: packed B; 3 rows: B read in place (gemv3); 257 rows: 51 panels of A and one of 2 rows.
  for (const [m, k, n] of [[9, 21, 13], [3, 21, 13], [257, 21, 13]])
  for (const activation of ["linear", "relu"] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const aShape = ta ? [k, m] : [m, k];
      const bShape = tb ? [n, k] : [k, n];
      const [av, bv, biasv] = [values(aShape, seed++), values(bShape, seed++), values([n], seed++)];
      const y = tf.tidy(() =>
        tf.fused.matMul({ a: tf.tensor2d(av, aShape as [number, number]), b: tf.tensor2d(bv, bShape as [number, number]), bias: tf.tensor1d(biasv), transposeA: ta, transposeB: tb, activation })
      );
      const expected = reference(av, aShape, bv, bShape, ta, tb, 1).map((v, i) => {
        const z = v + biasv[i % n];
        return activation === "relu" ? Math.max(z, 0) : z;
      });
      assertClose(y.dataSync() as Float32Array, expected, k, `${activation} ta=${ta} tb=${tb}`);
      if (activation === "relu") assert.ok(expected.some((v) => v === 0), "the case has negative pre-activations");
      y.dispose();
    }
  }
});

test("few rows under leading axes (an eager layer call, a decoding step): bias and ReLU read in place equal a float64 loop", () => {
  if (!onWasm()) return;
  let seed = 300;
  // (1, 1, k): one row; (2, 2, k): four rows, B read in place; (5, 1, k): five rows, B packed
  for (const lead of [[1, 1], [2, 2], [1, 3], [5, 1], [0, 1]]) {
    for (const activation of ["linear", "relu"] as const) {
      const [k, n] = [19, 13];
      const rows = lead[0] * lead[1];
      const [av, bv, biasv] = [values([rows, k], seed++), values([k, n], seed++), values([n], seed++)];
      const y = tf.tidy(() => tf.fused.matMul({ a: tf.tensor3d(av, [lead[0], lead[1], k]), b: tf.tensor2d(bv, [k, n]), bias: tf.tensor1d(biasv), activation }));
      assert.equal(y.shape, [lead[0], lead[1], n]);
      const expected = reference(av, [rows, k], bv, [k, n], false, false, 1).map((v, i) => {
        const z = v + biasv[i % n];
        return activation === "relu" ? Math.max(z, 0) : z;
      });
      assertClose(y.dataSync() as Float32Array, expected, k, `[${lead}] ${activation}`);
      y.dispose();
    }
  }
});

test("activations our products do not take (ELU, sigmoid) still run through tfjs-wasm", () => {
  if (!onWasm()) return;
  for (const activation of ["elu", "sigmoid"] as const) {
    const y = tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d([[1, -2]]), b: tf.tensor2d([[1], [1]]), activation }));
    const expected = activation === "elu" ? Math.exp(-1) - 1 : 1 / (1 + Math.exp(1));
    assert.ok(Math.abs(y.dataSync()[0] - expected) < 1e-6, `${activation}: ${y.dataSync()[0]} vs ${expected}`);
    y.dispose();
  }
});

test("int32 products and bad shapes still get tfjs's answer and errors", () => {
  if (!onWasm()) return;
  assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 5])), /inner shapes|must match/);
  assert.throws(() => tf.matMul(tf.ones([2, 3], "int32"), tf.ones([3, 2], "int32")), /float32|not yet supported/);
});

test("a Dense stack's loss and gradients (input, weights, biases) equal those with tfjs-wasm's products", () => {
  if (!onWasm()) return;
  const shapes = [[29, 23], [23, 37], [37], [37, 19], [19]];
  const inputs = shapes.map((sh, i) => tf.tensor(values(sh, 20 + i), sh));
  const before = tf.memory().numTensors;
  const loss = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    const h = tf.relu(dense(x, w1, b1));
    const y = dense(h, w2, b2);
    return tf.sum(tf.mul(y, y)) as tf.Scalar;
  };
  const run = (): [number, number[][]] => {
    const { value, grads } = tf.valueAndGrads(loss as never)(inputs);
    const out: [number, number[][]] = [value.dataSync()[0], grads.map((g) => Array.from(g.dataSync()))];
    tf.dispose([value, ...grads]);
    return out;
  };
  const ours = run();
  simdMatMul.enabled = false;
  let stock: ReturnType<typeof run>;
  try {
    stock = run();
  } finally {
    simdMatMul.enabled = true;
  }
  assert.ok(Math.abs(ours[0] - stock[0]) <= 1e-5 * Math.abs(stock[0]), `loss ${ours[0]} vs ${stock[0]}`);
  ours[1].forEach((o, g) => {
    const s = stock[1][g];
    assert.is(o.length, s.length);
    for (let i = 0; i < o.length; i++) {
      if (!(Math.abs(o[i] - s[i]) <= 1e-4 * (1 + Math.abs(s[i])))) assert.unreachable(`gradient ${g}, element ${i}: ${o[i]} vs ${s[i]}`);
    }
  });
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
  tf.dispose(inputs);
});

test("threaded build: products shared among worker threads equal tfjs-wasm's, and the process still ends by itself", () => {
  const script = `
    const t = require('./src'); const tf = t.tf;
    const { simdMatMul, simdProductThreads } = require('./src/backend/simd/wasm-matmul');
    (async () => {
      await t.backend.ready();
      tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dispose(); // starts the workers
      for (let i = 0; i < 200 && simdProductThreads(tf.backend()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
      const v = (shape, s) => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, k) => Math.sin(s * (k + 1))), shape);
      const cases = [
        () => tf.matMul(v([257, 300], 1), v([300, 203], 2)),
        () => tf.matMul(v([300, 257], 3), v([203, 300], 4), true, true),
        () => tf.matMul(v([8, 128, 96], 5), v([8, 128, 96], 6), false, true),
        () => tf.matMul(v([4, 3, 100, 64], 7), v([64, 90], 8)),
        () => tf.fused.matMul({ a: v([200, 150], 9), b: v([150, 130], 10), bias: v([130], 11), activation: 'relu' }),
      ];
      let worst = 0;
      for (const f of cases) {
        const ours = Array.from(tf.tidy(f).dataSync());
        simdMatMul.enabled = false;
        const stock = Array.from(tf.tidy(f).dataSync());
        simdMatMul.enabled = true;
        if (ours.length !== stock.length) throw new Error('sizes differ');
        ours.forEach((o, i) => (worst = Math.max(worst, Math.abs(o - stock[i]) / (1 + Math.abs(stock[i])))));
      }
      const productThreads = simdProductThreads(tf.backend());
      // After an interrupt the threaded build is given up: its product workers stop, products stay right.
      require('./src/backend/simd/wasm-matmul').stopSimdWorkers(tf.backend());
      const after = Array.from(tf.tidy(cases[0]).dataSync());
      simdMatMul.enabled = false;
      const stockAfter = Array.from(tf.tidy(cases[0]).dataSync());
      after.forEach((o, i) => (worst = Math.max(worst, Math.abs(o - stockAfter[i]) / (1 + Math.abs(stockAfter[i])))));
      console.log(JSON.stringify({ threads: t.backend.info().threads, productThreads, afterStop: simdProductThreads(tf.backend()), worst }));
    })();
  `;
  const r = runScriptJson<{ threads: number; productThreads: number; afterStop: number; worst: number }>(script, { TRAX_THREADS: "3" });
  assert.is(r.threads, 3);
  assert.is(r.productThreads, 3, "the two workers started");
  assert.is(r.afterStop, 1, "stopped workers take no more work");
  assert.ok(r.worst < 1e-5, `largest relative difference ${r.worst}`);
});

test.run();
