import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, trax, withSwitch } from "../helpers";
import { batchProduct, dense, matMulT, matmulPaths, product2d, productsPerItem } from "../../src/fastmath/matmul";
import { isRecordingGradients, opWithLazyGradients } from "../../src/fastmath/lazy-grad";
import { pattern } from "../fixtures/patterns";
import { simdMatMul } from "../../src/backend/simd/wasm-matmul";
import { simdSums } from "../../src/backend/simd/wasm-sums";

const test = suite("fastmath/matmul");
test.before(ready);

/**
 * Runs `body` with trax-ts's SIMD products (transposes free: matMulT passes
 * flags) and, on wasm, again with tfjs-wasm's own (explicit transposes,
 * per-item products): each path is checked.
 */
async function onBothPaths(body: (path: string) => void | Promise<void>): Promise<void> {
  await body("simd products");
  if (tf.getBackend() !== "wasm") return;
  simdMatMul.enabled = false;
  try {
    await body("tfjs-wasm products");
  } finally {
    simdMatMul.enabled = true;
  }
}

// Shapes chosen so that both the direct and the swapped form get picked.
const CASES: [number[], number[], boolean, boolean][] = [
  [[3, 40], [50, 40], false, true], // a @ b^T, b large: swapped form
  [[30, 4], [5, 4], false, true], // a @ b^T, a large: direct form
  [[6, 3], [6, 40], true, false], // a^T @ b, direct
  [[40, 30], [40, 2], true, false], // a^T @ b, a large: swapped form
  [[4, 3], [5, 4], true, true], // a^T @ b^T
  [[40, 30], [2, 40], true, true],
];

for (const [sa, sb, ta, tb] of CASES) {
  test(`matMulT a[${sa}]${ta ? "^T" : ""} @ b[${sb}]${tb ? "^T" : ""} equals tf.matMul with flags, without leaks`, () =>
    onBothPaths(() => {
      const a = pattern(sa) as tf.Tensor2D;
      const b = pattern(sb, "cos") as tf.Tensor2D;
      const want = tf.matMul(a, b, ta, tb);
      const got = matMulT(a, b, ta, tb);
      assert.equal(got.shape, want.shape);
      assertClose(got, want.arraySync(), 1e-4, 1e-5);
      // Its intermediates are freed by the caller's tf.tidy (it runs inside gradient functions).
      assert.is(leakedBy(() => tf.tidy(() => matMulT(a, b, ta, tb)).dispose()), 0);
    }));
}

test("dense: value and gradients equal tfjs autograd of matMul + add", () => {
  const x = pattern([6, 40]);
  const w = pattern([40, 50], "cos", 0.3, 0.1, 0.2);
  const b = pattern([50], "sin", 0.5);
  const ct = pattern([6, 50], "cos", 0.9);
  assertClose(dense(x, w, b), tf.add(tf.matMul(x, w), b).arraySync(), 1e-4);
  const ours = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww, bb), ct)))([x, w, b]);
  const raw = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx, ww), bb), ct)))([x, w, b]);
  ours.forEach((g, i) => assertClose(g, raw[i].arraySync(), 1e-4, 1e-5, `grad ${i}`));
  const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww), ct)))([x, w]);
  assertClose(g2[0], raw[0].arraySync(), 1e-4, 1e-5);
  assertClose(g2[1], raw[1].arraySync(), 1e-4, 1e-5);
});

/** The previous dense (before lazy gradients): tf.customGrad computing every gradient. */
const oldDense = tf.customGrad(((x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = x.reshape([-1, w.shape[0]]) as tf.Tensor2D;
  save([x2, w]);
  return {
    value: tf.add(tf.matMul(x2, w), b).reshape([...x.shape.slice(0, -1), w.shape[1]]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy.reshape([-1, sw.shape[1]]) as tf.Tensor2D;
      return [matMulT(dy2, sw, false, true).reshape(x.shape), matMulT(sx, dy2, true, false), dy2.sum(0)];
    },
  };
}) as never) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

test("dense on rank 3: value and every subset of gradients equal the previous customGrad path exactly", () => {
  const x = pattern([2, 3, 40]);
  const w = pattern([40, 50], "cos", 0.3, 0.1, 0.2);
  const b = pattern([50], "sin", 0.5);
  const ct = pattern([2, 3, 50], "cos", 0.9);
  assert.equal(dense(x, w, b).arraySync(), oldDense(x, w, b).arraySync());
  const loss = (d: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(d(xx, ww, bb), ct));
  const want = tf.grads(loss(oldDense))([x, w, b]);
  tf.grads(loss(dense))([x, w, b]).forEach((g, i) => assert.equal(g.arraySync(), want[i].arraySync(), `grad ${i}`));
  // Weights only (x is data): the same dw and db.
  const [gw, gb] = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => loss(dense)(x, ww, bb))([w, b]);
  assert.equal(gw.arraySync(), want[1].arraySync());
  assert.equal(gb.arraySync(), want[2].arraySync());
  // Input only.
  assert.equal(tf.grad((xx: tf.Tensor) => loss(dense)(xx, w, b))(x).arraySync(), want[0].arraySync());
});

/** Kernel names run by `f` (tf.profile), in order. */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => {
    const out = f();
    return out as tf.Tensor;
  });
  return info.kernels.map((k) => k.name);
}

const countOf = (names: string[], name: string) => names.filter((n) => n === name).length;
/** Matrix products among kernel names (plain and fused with a bias). */
const productsAmong = (names: string[]) => countOf(names, "BatchMatMul") + countOf(names, "_FusedMatMul");

test("dense: no input gradient when only the weights are differentiated (one product fewer)", async () => {
  const x = pattern([8, 16]);
  const w = pattern([16, 4], "cos");
  const b = pattern([4], "sin");
  // Products of x, w and dy only: the bias gradient as a product is switched off here.
  const products = async (f: () => tf.Tensor[]) => {
    matmulPaths.biasGradientByProduct = false;
    try {
      return productsAmong(await kernelsOf(() => tf.tidy(() => f())));
    } finally {
      matmulPaths.biasGradientByProduct = true;
    }
  };
  const all = await products(() => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => dense(xx, ww, bb).sum())([x, w, b]));
  const weightsOnly = await products(() => tf.grads((ww: tf.Tensor, bb: tf.Tensor) => dense(x, ww, bb).sum())([w, b]));
  const old = await products(() => tf.grads((ww: tf.Tensor, bb: tf.Tensor) => oldDense(x, ww, bb).sum())([w, b]));
  assert.is(all, 3); // forward, dx, dw
  assert.is(weightsOnly, 2); // forward, dw
  assert.is(old, 3); // the previous path computed dx anyway
  // The training-step shape: the data batch is not among the differentiated leaves.
  const step = await products(() => trax.fastmath.grad((ws: tf.Tensor[]) => dense(x, ws[0], ws[1]).sum())([w, b]));
  assert.is(step, 2);
});

test("dense: the bias gradient as our Sum kernel, as ones @ dy (reusing dy's packed copy on wasm), and as tfjs's Sum agree", () => onBothPaths(async () => {
  // (64, 8) x (8, 10): the weight gradient x^T @ dy takes dy as its right operand.
  const x = pattern([4, 16, 8]);
  const w = pattern([8, 10], "cos", 0.3, 0.1, 0.2);
  const b = pattern([10], "sin", 0.5);
  const ct = pattern([4, 16, 10], "cos", 0.9);
  /** The gradients with our wasm Sum kernel over dy's leading axes ("sums"), else the product or tfjs's Sum of the reshaped dy. */
  const run = (path: "sums" | "product" | "sum") => {
    matmulPaths.biasGradientByProduct = path === "product";
    try {
      return withSwitch(simdSums, path === "sums", () => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww, bb), ct)))([x, w, b]));
    } finally {
      matmulPaths.biasGradientByProduct = true;
    }
  };
  const [sumPath, productPath, sumsPath] = [run("sum"), run("product"), run("sums")];
  productPath.forEach((g, i) => assertClose(g, sumPath[i].arraySync(), 1e-5, 1e-5, `grad ${i}`));
  assertClose(productPath[2], tf.sum(ct.reshape([64, 10]), 0).arraySync(), 1e-5);
  if (tf.getBackend() === "wasm") {
    // Our Sum kernel adds the rows in order, as the product does: the same bits.
    assert.equal(Array.from(sumsPath[2].dataSync()), Array.from(productPath[2].dataSync()));
    const kernels = (path: "sums" | "product" | "sum") => kernelsOf(() => tf.tidy(() => run(path)));
    const [k0, k1, k2] = [await kernels("sum"), await kernels("product"), await kernels("sums")];
    // The product path really runs: no Sum kernel, one more product.
    assert.is(countOf(k1, "Sum"), countOf(k0, "Sum") - 1);
    assert.is(countOf(k1, "BatchMatMul"), countOf(k0, "BatchMatMul") + 1);
    // Our Sum kernel takes dy as it is: no reshape of dy for it, no product.
    assert.is(countOf(k2, "BatchMatMul"), countOf(k0, "BatchMatMul"));
    assert.is(countOf(k2, "Reshape"), countOf(k0, "Reshape") - 1);
  }
  assert.is(leakedBy(() => run("sums").forEach((g) => g.dispose())), 0);
  assert.is(leakedBy(() => run("product").forEach((g) => g.dispose())), 0);
}));

test("dense: eager calls run plain matMul + add (no gradient op recorded) and free their intermediates", async () => {
  const x = pattern([2, 3, 8]);
  const w = pattern([8, 4], "cos");
  const b = pattern([4], "sin");
  assert.is(isRecordingGradients(), false);
  // trax-ts's wasm products add the bias in the product's pass (one fused kernel).
  const fused = tf.getBackend() === "wasm" && simdMatMul.enabled;
  assert.equal(await kernelsOf(() => dense(x.reshape([6, 8]), w, b)).then((k) => k.filter((n) => n !== "Reshape")), fused ? ["_FusedMatMul"] : ["BatchMatMul", "Add"]);
  assert.equal(await kernelsOf(() => dense(x.reshape([6, 8]), w)).then((k) => k.filter((n) => n !== "Reshape")), ["BatchMatMul"]);
  if (fused) {
    // Our kernels take x of any rank as it is: not even a reshape (a decoding step runs 14 Dense calls).
    const x2 = x.reshape([6, 8]);
    const x4 = x.reshape([1, 2, 3, 8]);
    assert.equal(await kernelsOf(() => dense(x, w, b)), ["_FusedMatMul"]);
    assert.equal(await kernelsOf(() => dense(x4, w)), ["BatchMatMul"]);
    assert.equal(dense(x, w, b).shape, [2, 3, 4]);
    assert.equal(dense(x4, w).shape, [1, 2, 3, 4]);
    assert.equal(dense(x, w, b).arraySync(), dense(x2, w, b).reshape([2, 3, 4]).arraySync());
    assert.equal(dense(x4, w).arraySync(), dense(x2, w).reshape([1, 2, 3, 4]).arraySync());
    tf.dispose([x2, x4]);
  }
  assert.is(leakedBy(() => dense(x, w, b).dispose()), 0);
  assert.is(leakedBy(() => dense(x, w).dispose()), 0);
  assert.is(leakedBy(() => tf.grads((ww: tf.Tensor) => dense(x, ww, b).sum())([w]).forEach((g) => g.dispose())), 0);
});

test("opWithLazyGradients: each input's gradient function runs only when asked for", () => {
  let called: number[] = [];
  const mulOp = (a: tf.Tensor, c: tf.Tensor) =>
    opWithLazyGradients(
      [a, c],
      (save) => {
        save([a, c]);
        assert.is(isRecordingGradients(), false); // a forward inside an op is not recorded
        return tf.mul(a, c);
      },
      (dy, [sa, sc]) => [() => (called.push(0), dy.mul(sc)), () => (called.push(1), dy.mul(sa))]
    );
  const a = tf.tensor([1, 2, 3]);
  const c = tf.tensor([4, 5, 6]);
  const [ga] = tf.grads((aa: tf.Tensor) => {
    assert.is(isRecordingGradients(), true);
    return mulOp(aa, c).sum();
  })([a]);
  assert.equal(Array.from(ga.dataSync()), [4, 5, 6]);
  assert.equal(called, [0]);
  called = [];
  const [, gc] = tf.grads((aa: tf.Tensor, cc: tf.Tensor) => mulOp(aa, cc).sum())([a, c]);
  assert.equal(Array.from(gc.dataSync()), [1, 2, 3]);
  assert.equal(called.sort(), [0, 1]);
});

for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
  test(`product2d (transposeA ${ta}, transposeB ${tb}): value and gradients equal tf.matMul with flags`, () => {
    const a = pattern(ta ? [7, 5] : [5, 7]) as tf.Tensor2D;
    const b = pattern(tb ? [6, 7] : [7, 6], "cos") as tf.Tensor2D;
    const ct = pattern([5, 6], "sin", 0.7);
    assertClose(product2d(a, b, ta, tb), tf.matMul(a, b, ta, tb), 1e-5, 1e-5);
    const ours = tf.grads((aa: tf.Tensor, bb: tf.Tensor) => product2d(aa as tf.Tensor2D, bb as tf.Tensor2D, ta, tb).mul(ct).sum())([a, b]);
    const want = tf.grads((aa: tf.Tensor, bb: tf.Tensor) => tf.matMul(aa, bb, ta, tb).mul(ct).sum())([a, b]);
    ours.forEach((g, i) => assertClose(g, want[i], 1e-4, 1e-5, `grad ${i}`));
  });
}

test("batchProduct: per-item 2-D products (large items on wasm with tfjs-wasm's products) equal one batched tf.matMul, values and gradients", () =>
  onBothPaths((path) => {
  // (2, 3) items of (64, 32) x (32, 64): above the per-item threshold on wasm.
  const a = pattern([2, 3, 64, 32]);
  const b = pattern([2, 3, 64, 32], "cos", 0.5);
  const ct = pattern([2, 3, 64, 64], "sin", 0.3);
  assert.is(productsPerItem(6, 64, 32, 64), tf.getBackend() === "wasm" && path === "tfjs-wasm products");
  for (const [ta, tb] of [[false, true], [true, false]]) {
    const bb = ta ? pattern([2, 3, 32, 64], "cos", 0.5) : b;
    const aa = ta ? pattern([2, 3, 32, 64]) : a;
    assertClose(batchProduct(aa, bb, ta, tb), tf.matMul(aa, bb, ta, tb), 1e-4, 1e-5);
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => batchProduct(x, y, ta, tb).mul(ct).sum())([aa, bb]);
    const want = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).mul(ct).sum())([aa, bb]);
    ours.forEach((g, i) => assertClose(g, want[i], 1e-3, 1e-4, `transposeA ${ta}: grad ${i}`));
  }
  // Small items stay one batched product; a single item is a 2-D product.
  assert.is(productsPerItem(64, 32, 32, 32), false);
  assertClose(batchProduct(pattern([1, 4, 3]), pattern([1, 3, 5], "cos")), tf.matMul(pattern([1, 4, 3]), pattern([1, 3, 5], "cos")), 1e-5);
  assert.is(leakedBy(() => tf.tidy(() => { batchProduct(a, b, false, true); })), 0);
  }));

test.run();
