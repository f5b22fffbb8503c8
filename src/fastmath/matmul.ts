/**
 * Matrix products for the hot paths (Dense, attention), with gradients that
 * avoid tfjs's transposed `matMul` where it is slow (wasm: 5-6x slower than an
 * explicit `transpose` followed by a plain `matMul`).
 * @module
 */
import { tf } from "../backend/tf";
import { prefersExplicitTranspose } from "../backend";
import { isRecordingGradients, opWithLazyGradients } from "./lazy-grad";

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
  const [m, n] = [transposeA ? a.shape[1] : a.shape[0], transposeB ? b.shape[0] : b.shape[1]];
  const direct = (transposeA ? a.size : 0) + (transposeB ? b.size : 0);
  // (op(b)^T @ op(a)^T)^T: transposes whichever of a, b is not already transposed, and the m x n result.
  const swapped = (transposeA ? 0 : a.size) + (transposeB ? 0 : b.size) + m * n;
  if (swapped < direct) {
    return tf.matMul(transposeB ? b : b.transpose(), transposeA ? a : a.transpose()).transpose();
  }
  return tf.matMul(transposeA ? a.transpose() : a, transposeB ? b.transpose() : b);
}

/** `x @ w (+ b)` with no gradient machinery: `x` `(..., k)`, `w` `(k, n)`, `b` `(n,)`. */
function denseForward(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  if (x.rank === 2) {
    const y = tf.matMul(x as tf.Tensor2D, w);
    if (!b) return y;
    const yb = tf.add(y, b);
    y.dispose();
    return yb;
  }
  return tf.tidy(() => {
    const y = tf.matMul(x.reshape([-1, w.shape[0]]) as tf.Tensor2D, w);
    return (b ? tf.add(y, b) : y).reshape([...x.shape.slice(0, -1), w.shape[1]]);
  });
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
      const x2 = x.reshape([-1, w.shape[0]]) as tf.Tensor2D;
      save([x2, w]);
      const y = tf.matMul(x2, w);
      return (b ? tf.add(y, b) : y).reshape([...x.shape.slice(0, -1), w.shape[1]]);
    },
    (dy, saved) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = () => dy.reshape([-1, sw.shape[1]]) as tf.Tensor2D;
      const grads = [() => matMulT(dy2(), sw, false, true).reshape(x.shape), () => matMulT(sx, dy2(), true, false)];
      if (b) grads.push(() => dy2().sum(0));
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
