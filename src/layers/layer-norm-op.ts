/**
 * Layer normalization over the last axis as one op with a closed-form
 * gradient, for `LayerNorm` while a gradient is recorded: tfjs's autograd of
 * the nine ops of the forward walks back through each of them (broadcasts
 * and reductions); the closed form takes a few passes (measured on wasm, a
 * Transformer block's (16, 32, 128): forward + backward 0.62 of the time, or
 * 0.75 when only the scale and bias gradients are asked for). On wasm the
 * forward and the input gradient each run as one kernel of trax-ts's
 * (`src/backend/simd/wasm-layer-norm.ts`), with the same bits.
 * @module
 */
import { tf } from "../backend/tf";
import { opWithLazyGradients } from "../fastmath/lazy-grad";
import { fusedLayerNorm, fusedLayerNormGrad } from "../backend/simd/wasm-layer-norm";

/** Switch for tests and A/B benchmarks to run the autograd path instead (internal). */
export const layerNormPaths = { fused: true };

/**
 * `(x - mean) / sqrt(var + epsilon) * scale + bias` over the last axis, the
 * forward ops of `LayerNorm` in the same order (the same values), recorded as
 * one op whose gradients (each computed only when asked for) are
 * `dx = (g - mean(g) - xhat mean(g xhat)) / sqrt(var + epsilon)` with
 * `g = dy scale`, `dscale = sum(dy xhat)` and `dbias = sum(dy)` over the
 * leading axes.
 *
 * Shapes: `x` `(..., f)` float32, `scale` and `bias` `(f,)`; result like `x`.
 *
 * @example
 * ```ts
 * tf.grad((x: tf.Tensor) => layerNormRecorded(x, tf.ones([2]), tf.zeros([2]), 1e-6).sum())(tf.tensor([[1, 3]])); // ~[[0, 0]]
 * ```
 */
export function layerNormRecorded(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, epsilon: number): tf.Tensor {
  const leading = x.shape.slice(0, -1).map((_, i) => i);
  return opWithLazyGradients(
    [x, scale, bias],
    (save) => {
      // On wasm: one kernel, the same ops in the same order (wasm-layer-norm.ts).
      const fused = fusedLayerNorm(x, scale, bias, epsilon);
      if (fused) {
        const [y, normalized, std] = fused;
        save([normalized, std, scale]);
        return y;
      }
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.square(centered), -1, true);
      const std = tf.sqrt(tf.add(variance, epsilon));
      const normalized = tf.div(centered, std);
      save([normalized, std, scale]);
      return tf.add(tf.mul(normalized, scale), bias);
    },
    (dy, [normalized, std, s]) => [
      () =>
        fusedLayerNormGrad(dy, normalized, std, s) ??
        tf.tidy(() => {
          const g = tf.mul(dy, s);
          const meanG = tf.mean(g, -1, true);
          const meanGX = tf.mean(tf.mul(g, normalized), -1, true);
          return tf.div(tf.sub(tf.sub(g, meanG), tf.mul(normalized, meanGX)), std);
        }),
      // Over the leading axes as they are (on wasm, reducing a (16, 32, 128) over
      // its first two axes is faster than reducing the (512, 128) reshape over one).
      () => tf.tidy(() => tf.sum(tf.mul(dy, normalized), leading)),
      () => tf.sum(dy, leading),
    ]
  );
}
