/**
 * Matrix products for the hot paths (Dense, attention), with gradients that
 * avoid tfjs's transposed `matMul` where it is slow (wasm: 5-6x slower than an
 * explicit `transpose` followed by a plain `matMul`).
 * @module
 */
import { tf } from "../backend/tf";
import { prefersExplicitTranspose } from "../backend";
import { simdMatMul } from "../backend/simd/wasm-matmul";
import { simdSums } from "../backend/simd/wasm-sums";
import { isRecordingGradients, opWithLazyGradients } from "./lazy-grad";
import { stackRows, unstackRows } from "./unstack";

/**
 * `a^T @ b` (or `a @ b^T`), transposing explicitly where that is faster.
 * Explicit transposes cost about one pass over the transposed elements, so
 * the product is taken in whichever of two equal forms moves fewer of them:
 * `a @ b^T` directly, or as `(b @ a^T)^T` (transposing `a` and the result),
 * e.g. Dense's input gradient `dy @ w^T` with a large `w` (wasm, measured:
 * 0.66x the time of Dense(1024) forward + backward on (128, 1024)).
 *
 * Shapes: `a` `(m, k)` and `b` `(n, k)` with `transposeB` give `(m, n)`;
 * `a` `(k, m)` and `b` `(k, n)` with `transposeA` give `(m, n)`.
 *
 * @example
 * ```ts
 * matMulT(tf.ones([2, 3]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D, false, true).shape; // [2, 4]
 * ```
 */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  if (!prefersExplicitTranspose()) return tf.matMul(a, b, transposeA, transposeB);
  if (takesSwappedForm(a, b, transposeA, transposeB)) {
    return tf.matMul(transposeB ? b : b.transpose(), transposeA ? a : a.transpose()).transpose();
  }
  return tf.matMul(transposeA ? a.transpose() : a, transposeB ? b.transpose() : b);
}

/**
 * Whether {@link matMulT} (on wasm) takes `op(a) @ op(b)` as
 * `(op(b)^T @ op(a)^T)^T`, which transposes whichever of `a`, `b` is not
 * already transposed and the `m x n` result, because that moves fewer
 * elements than transposing the operands that are.
 */
function takesSwappedForm(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): boolean {
  const [m, n] = [transposeA ? a.shape[1] : a.shape[0], transposeB ? b.shape[0] : b.shape[1]];
  const direct = (transposeA ? a.size : 0) + (transposeB ? b.size : 0);
  const swapped = (transposeA ? 0 : a.size) + (transposeB ? 0 : b.size) + m * n;
  return swapped < direct;
}

/**
 * `x @ w (+ b)` (`x @ w^T` when `transposeW`) straight through the wasm product kernels when trax-ts's own
 * take it (`src/backend/simd/`), or `undefined`. Those kernels take `x` of
 * any rank >= 2 against a 2-D `w` as one product of all of `x`'s rows and
 * add the bias as they store each result (`_FusedMatMul`), so no reshape
 * and no separate `add` runs (tfjs's ops would reshape both operands to 3-D
 * and the result back; tfjs-wasm's own kernels, the fallback, need that).
 * Only where no gradient is recorded (eager calls, the forward of a recorded op).
 */
function simdProductPlusBias(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor, transposeW = false): tf.Tensor | undefined {
  if (!simdMatMul.enabled || x.rank < 2 || tf.getBackend() !== "wasm" || x.dtype !== "float32" || w.dtype !== "float32") return undefined;
  if (w.rank !== 2 || x.shape[x.rank - 1] !== w.shape[transposeW ? 1 : 0]) return undefined; // tf.matMul says what is wrong
  if (b && (b.rank !== 1 || b.dtype !== "float32")) return undefined;
  const flags = { transposeA: false, transposeB: transposeW };
  const engine = tf.engine();
  if (!b) return engine.runKernel("BatchMatMul", { a: x, b: w }, flags) as tf.Tensor;
  return engine.runKernel("_FusedMatMul", { a: x, b: w, bias: b }, { ...flags, activation: "linear", leakyreluAlpha: 0 }) as tf.Tensor;
}

/**
 * `x2 @ w (+ b)` for a 2-D `x2`: a product and an `add` (frees its
 * intermediate), where {@link simdProductPlusBias} does not take it.
 */
function productPlusBias(x2: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  const y = tf.matMul(x2, w);
  if (!b) return y;
  const yb = tf.add(y, b);
  y.dispose();
  return yb;
}

/** `x @ w (+ b)` with no gradient machinery: `x` `(..., k)`, `w` `(k, n)`, `b` `(n,)`. */
function denseForward(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  const fused = simdProductPlusBias(x, w, b);
  if (fused) return fused;
  if (x.rank === 2) return productPlusBias(x as tf.Tensor2D, w, b);
  return tf.tidy(() => productPlusBias(x.reshape([-1, w.shape[0]]) as tf.Tensor2D, w, b).reshape([...x.shape.slice(0, -1), w.shape[1]]));
}

/**
 * Paths chosen by measurement, switchable so that tests and A/B benchmarks
 * can run the old path next to the new one (internal; not exported by `trax.fastmath`).
 */
export const matmulPaths = {
  /** A bias gradient `sum(dy, 0)` as the product `ones(1, m) @ dy` on wasm (see {@link columnSums}). */
  biasGradientByProduct: true,
};

/**
 * `sum(dy, 0)` of a 2-D `dy` `(m, n)`: the gradient of a bias, where the
 * weight gradient `x^T @ dy` is computed too. On wasm, when that product
 * takes `dy` as its right operand, this is the product `ones(1, m) @ dy`:
 * XNNPACK keeps the packed copy of a product's right operand per tensor, so
 * it reuses the copy the weight gradient made and costs almost nothing, where
 * the Sum kernel transposes `dy` first (measured at (512, 128): 0.04 ms
 * against 0.85 ms; (512, 512): 0.09 against 2.7). trax-ts's own wasm
 * products (`src/backend/simd/`) pack `dy` in one vector pass and sum it in
 * one row of the product, also far cheaper than the Sum kernel.
 */
function columnSums(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor {
  if (!matmulPaths.biasGradientByProduct || tf.getBackend() !== "wasm") return dy.sum(0);
  // XNNPACK's packed copy of dy exists only where matMulT took dy as the right operand.
  if (prefersExplicitTranspose() && takesSwappedForm(x, dy, true, false)) return dy.sum(0);
  const [m, n] = dy.shape;
  return tf.tidy(() => tf.matMul(tf.ones([1, m]) as tf.Tensor2D, dy).reshape([n]));
}

/**
 * `sum(dy)` over all but the last axis as trax-ts's own wasm `Sum` kernel
 * (src/backend/simd/wasm-sums.ts: rows added in order into the output, one
 * pass, no reshape of `dy`; the same sums in the same order as
 * {@link columnSums}' product), or `undefined` where that kernel does not run.
 */
function leadingSums(dy: tf.Tensor): tf.Tensor | undefined {
  if (!simdSums.enabled || tf.getBackend() !== "wasm" || dy.dtype !== "float32" || dy.rank < 2) return undefined;
  return tf.sum(dy, dy.shape.slice(0, -1).map((_, i) => i));
}

/** `t` as `shape` (no `-1`): `t` itself when it has that shape already (a same-shape reshape is still a kernel call). */
function asShape(t: tf.Tensor, shape: number[]): tf.Tensor {
  return t.rank === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : t.reshape(shape);
}

/** `t` as a matrix of `cols` columns (its leading axes flattened). */
function asRows(t: tf.Tensor, cols: number): tf.Tensor2D {
  return (t.rank === 2 ? t : t.reshape([-1, cols])) as tf.Tensor2D;
}

/**
 * `x @ w (+ b)` recorded for a gradient: each of `dx = dy w^T`, `dw = x^T dy`
 * and `db = sum(dy)` is computed only if the backward pass asks for it (no
 * `dx` for a model's data input: a quarter of an MLP's matrix work).
 */
function denseRecorded(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  const inputs = b ? [x, w, b] : [x, w];
  return opWithLazyGradients(
    inputs,
    (save) => {
      const x2 = asRows(x, w.shape[0]);
      save([x2, w]);
      return simdProductPlusBias(x, w, b) ?? asShape(productPlusBias(x2, w, b), [...x.shape.slice(0, -1), w.shape[1]]);
    },
    (dy, saved) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      // (Each gradient runs in a scope of its own: dy2 cannot be shared between them.)
      const dy2 = () => asRows(dy, sw.shape[1]);
      // dx as one product of dy of any rank, where our wasm products take it: no reshapes.
      const dx = () => simdProductPlusBias(dy, sw, undefined, true) ?? asShape(matMulT(dy2(), sw, false, true), x.shape);
      const grads = [dx, () => matMulT(sx, dy2(), true, false)];
      // After dW (tfjs asks in input order): the bias gradient reuses dy's packed copy.
      if (b) grads.push(() => leadingSums(dy) ?? columnSums(dy2(), sx));
      return grads;
    }
  );
}

/**
 * `x @ w + b` over the last axis of `x` (any rank), with a fast gradient:
 * plain `matMul` + `add` when no gradient is being recorded, and when one
 * is, only the gradients the backward pass asks for.
 *
 * Shapes: `x` `(..., k)`, `w` `(k, n)`, `b` `(n,)`; result `(..., n)`.
 *
 * @example
 * ```ts
 * dense(tf.ones([2, 3]), tf.ones([3, 4]), tf.zeros([4])); // (2, 4) of 3s
 * ```
 */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  return isRecordingGradients() ? denseRecorded(x, w as tf.Tensor2D, b) : denseForward(x, w as tf.Tensor2D, b);
}

/**
 * `op(a) @ op(b)` of two 2-D tensors (`op` transposes where asked), with
 * gradients through {@link matMulT}, each computed only when needed.
 *
 * Shapes: `op(a)` `(m, k)`, `op(b)` `(k, n)`; result `(m, n)`.
 *
 * @example
 * ```ts
 * product2d(tf.ones([2, 3]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D, false, true).shape; // [2, 4]
 * ```
 */
export function product2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (!isRecordingGradients()) return matMulT(a, b, transposeA, transposeB);
  return opWithLazyGradients(
    [a, b],
    (save) => {
      save([a, b]);
      return matMulT(a, b, transposeA, transposeB);
    },
    (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      // y = op(a) op(b): d op(a) = dy op(b)^T, d op(b) = op(a)^T dy; a transposed operand takes the transpose.
      const da = transposeA ? () => matMulT(sb, g, transposeB, true) : () => matMulT(g, sb, false, !transposeB);
      const db = transposeB ? () => matMulT(g, sa, true, transposeA) : () => matMulT(sa, g, !transposeA, false);
      return [da, db];
    }
  ) as tf.Tensor2D;
}

/**
 * Smallest per-item product (`m * k * n` multiply-adds) for which a batched
 * product runs faster as separate 2-D products than as one batched `matMul`
 * on wasm (measured: at (8, 128, 64) x (8, 64, 128) 2.8x faster per item;
 * at (64, 32, 32) x (64, 32, 32) 3x slower).
 */
const PER_ITEM_MIN_WORK = 1 << 17;

/**
 * The per-backend decision for batched products: true when `batch` products
 * of `(m, k) x (k, n)` should run as separate 2-D products. Only on wasm with
 * trax-ts's SIMD products switched off (`TRAX_SIMD=0`): tfjs-wasm sends only
 * unbatched, untransposed products to XNNPACK (20-28 GFLOP/s) and runs
 * batched ones in a scalar loop (1-3 GFLOP/s). trax-ts's own products take
 * batches at full speed, and the other backends too: never.
 *
 * @example
 * ```ts
 * productsPerItem(8, 1024, 64, 1024); // true on wasm with TRAX_SIMD=0
 * ```
 */
export function productsPerItem(batch: number, m: number, k: number, n: number): boolean {
  return batch > 1 && prefersExplicitTranspose() && m * k * n >= PER_ITEM_MIN_WORK;
}

/**
 * Batched `op(a) @ op(b)` over the last two axes (equal leading axes), as
 * separate 2-D products where that is faster ({@link productsPerItem}),
 * else as one batched `matMul` with transpose flags. Differentiable.
 *
 * Shapes: `a` `(..., m, k)` (`(..., k, m)` with `transposeA`), `b`
 * `(..., k, n)` (`(..., n, k)` with `transposeB`); result `(..., m, n)`.
 *
 * @example
 * ```ts
 * batchProduct(tf.ones([2, 3, 4]), tf.ones([2, 5, 4]), false, true).shape; // [2, 3, 5]
 * ```
 */
export function batchProduct(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const r = a.rank;
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((p, d) => p * d, 1);
  const m = transposeA ? a.shape[r - 1] : a.shape[r - 2];
  const k = transposeA ? a.shape[r - 2] : a.shape[r - 1];
  const n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  if (b.rank !== r || b.shape.slice(0, -2).join() !== lead.join()) return tf.matMul(a, b, transposeA, transposeB);
  if (!productsPerItem(batch, m, k, n)) {
    if (batch === 1 && prefersExplicitTranspose()) {
      return product2d(a.reshape(a.shape.slice(-2)) as tf.Tensor2D, b.reshape(b.shape.slice(-2)) as tf.Tensor2D, transposeA, transposeB).reshape([...lead, m, n]);
    }
    return tf.matMul(a, b, transposeA, transposeB);
  }
  const as = unstackRows(a.reshape([batch, ...a.shape.slice(-2)])) as tf.Tensor2D[];
  const bs = unstackRows(b.reshape([batch, ...b.shape.slice(-2)])) as tf.Tensor2D[];
  return stackRows(as.map((ai, i) => product2d(ai, bs[i], transposeA, transposeB))).reshape([...lead, m, n]);
}
