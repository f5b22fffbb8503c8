/**
 * Adafactor (Trax's `Adafactor`, https://arxiv.org/abs/1804.04235).
 * @module
 */
import { tf } from "../backend/tf";
import { callable } from "../layers/callable";
import { Optimizer } from "./base";
import type { OptParams } from "./base";

/** Options of {@link Adafactor}. */
export interface AdafactorOptions {
  /** Learning rate. Default 0.05. */
  learningRate?: number;
  /** Factored second moment (row and column means) for weights of rank >= 2. Default true. */
  factored?: boolean;
  /** Scale the step by the weights' root mean square. Default true. */
  multiplyByParameterScale?: boolean;
  /** Clip the update's root mean square at `clippingThreshold`. Default true. */
  doClipping?: boolean;
  /** Keep a momentum slot. Default false. */
  doMomentum?: boolean;
  /** Momentum decay. Default 0. */
  beta1?: number;
  /** Exponent of the second-moment decay schedule `1 - (step+1)^-decayRate`. Default 0.8. */
  decayRate?: number;
  /** Update clipping threshold. Default 1. */
  clippingThreshold?: number;
  /** Weight decay. Default 1e-5. */
  weightDecayRate?: number;
  /** Decay weights only for this many steps, linearly less (0: always). Default 0. */
  weightDecayNSteps?: number;
  /** Added to squared gradients. Default 1e-16. */
  epsilon1?: number;
  /** Lower bound of the parameter scale. Default 1e-3. */
  epsilon2?: number;
}

/**
 * Adafactor: second moments kept as row and column means for matrices
 * (slots `[vRow, vCol]`, or `[v]` for vectors), optional momentum (one more
 * slot), update clipping and relative step sizes.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Adafactor({ learningRate: 0.05 });
 * ```
 */
class AdafactorOptimizer extends Optimizer {
  readonly factored: boolean;
  readonly multiplyByParameterScale: boolean;
  readonly doClipping: boolean;
  readonly doMomentum: boolean;

  constructor(options: AdafactorOptions = {}) {
    const {
      learningRate = 0.05, factored = true, multiplyByParameterScale = true, doClipping = true, doMomentum = false,
      beta1 = 0, decayRate = 0.8, clippingThreshold = 1, weightDecayRate = 1e-5, weightDecayNSteps = 0,
      epsilon1 = 1e-16, epsilon2 = 1e-3,
    } = options;
    super({ learningRate, beta1, decayRate, clippingThreshold, weightDecayRate, weightDecayNSteps, epsilon1, epsilon2 });
    this.factored = factored;
    this.multiplyByParameterScale = multiplyByParameterScale;
    this.doClipping = doClipping;
    this.doMomentum = doMomentum;
  }

  init(weights: tf.Tensor): tf.Tensor[] {
    const shape = weights.shape;
    const slots: tf.Tensor[] = [];
    if (this.factored && shape.length >= 2) {
      slots.push(tf.zeros(shape.slice(0, -1)), tf.zeros([...shape.slice(0, -2), shape[shape.length - 1]]));
    } else {
      slots.push(tf.zerosLike(weights));
    }
    if (this.doMomentum) slots.push(tf.zerosLike(weights));
    return slots;
  }

  update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], p: OptParams): [tf.Tensor, tf.Tensor[]] {
    const n = p.weightDecayNSteps;
    const wd = n < 1 ? p.weightDecayRate : (p.weightDecayRate * Math.max(n - step, 0)) / Math.max(n, 0);
    const decay = 1 - Math.pow(step + 1, -p.decayRate);
    const mixing = 1 - decay;
    let scale: tf.Tensor | number = p.learningRate;
    if (this.multiplyByParameterScale) {
      scale = tf.mul(p.learningRate, tf.maximum(tf.sqrt(tf.mean(tf.square(weights))), p.epsilon2));
    }
    const g2 = tf.square(grads);
    const updates: tf.Tensor[] = [];
    let y: tf.Tensor;
    if (this.factored && weights.shape.length >= 2) {
      const vRow = tf.add(tf.mul(slots[0], decay), tf.mul(tf.mean(g2, -1), mixing));
      const vCol = tf.add(tf.mul(slots[1], decay), tf.mul(tf.mean(g2, -2), mixing));
      updates.push(vRow, vCol);
      const rowMean = tf.mean(vRow, -1, true);
      const rowFactor = tf.sqrt(tf.div(rowMean, tf.add(vRow, p.epsilon1)));
      const colFactor = tf.rsqrt(tf.add(vCol, p.epsilon1));
      y = tf.mul(tf.mul(grads, tf.expandDims(rowFactor, -1)), tf.expandDims(colFactor, -2));
    } else {
      const v = tf.add(tf.mul(slots[0], decay), tf.mul(g2, mixing));
      updates.push(v);
      y = tf.mul(grads, tf.rsqrt(tf.add(v, p.epsilon1)));
    }
    if (this.doClipping) {
      const denom = tf.maximum(1, tf.div(tf.sqrt(tf.mean(tf.square(y))), p.clippingThreshold));
      y = tf.div(y, denom);
    }
    let subtrahend = tf.mul(y, scale);
    if (this.doMomentum) {
      const m = tf.add(tf.mul(slots[slots.length - 1], p.beta1), tf.mul(subtrahend, 1 - p.beta1));
      subtrahend = m;
      updates.push(m);
    }
    const decayed = wd === 0 ? weights : tf.mul(weights, 1 - wd);
    return [tf.sub(decayed, subtrahend), updates];
  }
}

/**
 * Adafactor: second moments kept as row and column means for matrices
 * (slots `[vRow, vCol]`, or `[v]` for vectors), optional momentum (one more
 * slot), update clipping and relative step sizes.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Adafactor({ learningRate: 0.05 });
 * ```
 */
export const Adafactor = callable(AdafactorOptimizer, "Adafactor");
export type Adafactor = AdafactorOptimizer;
