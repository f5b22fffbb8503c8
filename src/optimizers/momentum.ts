/**
 * Momentum SGD, with or without Nesterov's correction (Trax's `Momentum`).
 * @module
 */
import { tf } from "../backend/tf";
import { callable } from "../layers/callable";
import { Optimizer } from "./base";
import { fusedMomentum } from "./fused";
import type { OptimizerOptions, OptParams } from "./base";

/** Options of {@link Momentum}. */
export interface MomentumOptions extends OptimizerOptions {
  /** Decay of the velocity (mu). Default 0.9. */
  mass?: number;
  /** Fraction of the weights subtracted every step. Default 1e-5. */
  weightDecayRate?: number;
  /** Nesterov's correction. Default true. */
  nesterov?: boolean;
}

/**
 * Momentum SGD: `v = mass * v + g`; `w = (1 - weightDecayRate) * w - lr * u`
 * with `u = mass * v + g` (Nesterov) or `u = v`. One slot per weight: `[v]`.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Momentum({ learningRate: 0.1, mass: 0.9, nesterov: false });
 * ```
 */
class MomentumOptimizer extends Optimizer {
  /** Whether the Nesterov correction is used. */
  readonly nesterov: boolean;

  constructor(options: MomentumOptions = {}) {
    const { learningRate = 0.01, mass = 0.9, weightDecayRate = 1e-5, nesterov = true, clipGradNorm = null } = options;
    super({ learningRate, mass, weightDecayRate, clipGradNorm });
    this.nesterov = nesterov;
  }

  init(weights: tf.Tensor): tf.Tensor[] {
    return [tf.zerosLike(weights)];
  }

  update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], p: OptParams): [tf.Tensor, tf.Tensor[]] {
    void step;
    const fused = fusedMomentum(weights, grads, slots[0], { mass: p.mass, lr: p.learningRate, keep: 1 - p.weightDecayRate, nesterov: this.nesterov });
    if (fused) return [fused[0], [fused[1]]];
    const newV = tf.add(tf.mul(slots[0], p.mass), grads);
    const u = this.nesterov ? tf.add(tf.mul(newV, p.mass), grads) : newV;
    const decayed = p.weightDecayRate === 0 ? weights : tf.mul(weights, 1 - p.weightDecayRate);
    return [tf.sub(decayed, tf.mul(u, p.learningRate)), [newV]];
  }
}

/**
 * Momentum SGD: `v = mass * v + g`; `w = (1 - weightDecayRate) * w - lr * u`
 * with `u = mass * v + g` (Nesterov) or `u = v`. One slot per weight: `[v]`.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Momentum({ learningRate: 0.1, mass: 0.9, nesterov: false });
 * ```
 */
export const Momentum = callable(MomentumOptimizer, "Momentum");
export type Momentum = MomentumOptimizer;
