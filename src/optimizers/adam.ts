/**
 * Adam with weight decay (Trax's `Adam`).
 * @module
 */
import { tf } from "../backend/tf";
import { callable } from "../layers/callable";
import { Optimizer } from "./base";
import { fusedAdam } from "./fused";
import type { OptimizerOptions, OptParams } from "./base";

/** Options of {@link Adam}. */
export interface AdamOptions extends OptimizerOptions {
  /** Fraction of the weights subtracted every step (not part of Adam proper). Default 1e-5. */
  weightDecayRate?: number;
  /** Decay of the first moment. Default 0.9. */
  b1?: number;
  /** Decay of the second moment. Default 0.999. */
  b2?: number;
  /** Added to the root of the second moment. Default 1e-5. */
  eps?: number;
}

/**
 * Adam (https://arxiv.org/abs/1412.6980) as Trax computes it:
 * `m = (1-b1) g + b1 m`, `v = (1-b2) g^2 + b2 v`, bias-corrected with
 * `t = step + 1`, then `w = (1 - weightDecayRate) w - lr * mhat / (sqrt(vhat) + eps)`.
 * Two slots per weight: `[m, v]`.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Adam({ learningRate: 1e-3, weightDecayRate: 0 });
 * ```
 */
class AdamOptimizer extends Optimizer {
  constructor(options: AdamOptions = {}) {
    const { learningRate = 0.0001, weightDecayRate = 1e-5, b1 = 0.9, b2 = 0.999, eps = 1e-5, clipGradNorm = null } = options;
    super({ learningRate, weightDecayRate, b1, b2, eps, clipGradNorm });
  }

  init(weights: tf.Tensor): tf.Tensor[] {
    return [tf.zerosLike(weights), tf.zerosLike(weights)];
  }

  update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], p: OptParams): [tf.Tensor, tf.Tensor[]] {
    const { b1, b2, eps, learningRate, weightDecayRate } = p;
    // mhat / (sqrt(vhat) + eps) == (c2 / c1) * m / (sqrt(v) + eps * c2), with c1 = 1 - b1^t, c2 = sqrt(1 - b2^t):
    // the bias corrections become scalars (two fewer full-size ops per weight).
    const t = step + 1;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = Math.sqrt(1 - Math.pow(b2, t));
    const stepSize = (learningRate * c2) / c1;
    // On wasm and cpu: one pass over w, g, m, v (src/optimizers/fused.ts) instead of 12 tfjs ops.
    const fused = fusedAdam(weights, grads, slots[0], slots[1], { b1, b2, stepSize, epsHat: eps * c2, keep: 1 - weightDecayRate });
    if (fused) return [fused[0], [fused[1], fused[2]]];
    const m = tf.add(tf.mul(grads, 1 - b1), tf.mul(slots[0], b1));
    const v = tf.add(tf.mul(tf.square(grads), 1 - b2), tf.mul(slots[1], b2));
    const delta = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), eps * c2));
    const decayed = weightDecayRate === 0 ? weights : tf.mul(weights, 1 - weightDecayRate);
    return [tf.sub(decayed, delta), [m, v]];
  }
}

/**
 * Adam (https://arxiv.org/abs/1412.6980) as Trax computes it:
 * `m = (1-b1) g + b1 m`, `v = (1-b2) g^2 + b2 v`, bias-corrected with
 * `t = step + 1`, then `w = (1 - weightDecayRate) w - lr * mhat / (sqrt(vhat) + eps)`.
 * Two slots per weight: `[m, v]`.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Adam({ learningRate: 1e-3, weightDecayRate: 0 });
 * ```
 */
export const Adam = callable(AdamOptimizer, "Adam");
export type Adam = AdamOptimizer;
