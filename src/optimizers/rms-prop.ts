/**
 * RMSProp (Trax's `RMSProp`).
 * @module
 */
import { tf } from "../backend/tf";
import { callable } from "../layers/callable";
import { Optimizer } from "./base";
import { fusedRMSProp } from "./fused";
import type { OptimizerOptions, OptParams } from "./base";

/** Options of {@link RMSProp}. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the mean squared gradient. Default 0.9. */
  gamma?: number;
  /** Added to the root mean square. Default 1e-8. */
  eps?: number;
}

/**
 * RMSProp: `a = gamma * a + (1 - gamma) * g^2`; `w = w - lr * g / (sqrt(a) + eps)`.
 * One slot per weight, `[a]`, starting at ones (as in Trax).
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.RMSProp({ learningRate: 0.001 });
 * ```
 */
class RMSPropOptimizer extends Optimizer {
  constructor(options: RMSPropOptions = {}) {
    const { learningRate = 0.001, gamma = 0.9, eps = 1e-8, clipGradNorm = null } = options;
    super({ learningRate, gamma, eps, clipGradNorm });
  }

  init(weights: tf.Tensor): tf.Tensor[] {
    return [tf.onesLike(weights)];
  }

  update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], p: OptParams): [tf.Tensor, tf.Tensor[]] {
    void step;
    const fused = fusedRMSProp(weights, grads, slots[0], { gamma: p.gamma, lr: p.learningRate, eps: p.eps });
    if (fused) return [fused[0], [fused[1]]];
    const avg = tf.add(tf.mul(slots[0], p.gamma), tf.mul(tf.square(grads), 1 - p.gamma));
    const w = tf.sub(weights, tf.div(tf.mul(grads, p.learningRate), tf.add(tf.sqrt(avg), p.eps)));
    return [w, [avg]];
  }
}

/**
 * RMSProp: `a = gamma * a + (1 - gamma) * g^2`; `w = w - lr * g / (sqrt(a) + eps)`.
 * One slot per weight, `[a]`, starting at ones (as in Trax).
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.RMSProp({ learningRate: 0.001 });
 * ```
 */
export const RMSProp = callable(RMSPropOptimizer, "RMSProp");
export type RMSProp = RMSPropOptimizer;
