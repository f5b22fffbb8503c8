/**
 * The normalization module of the reference (`trax.layers.normalization`):
 * batch, layer and filter-response normalization.
 * @module
 */
import { tf } from "../backend/tf";
import { isRecordingGradients } from "../fastmath/lazy-grad";
import { layerNormPaths, layerNormRecorded } from "./layer-norm-op";
import { ShapeDtype } from "../shapes";
import { EMPTY_WEIGHTS, Layer } from "./base";
import { callable } from "./callable";
import { checkMode } from "./core/checks";
import { optionKeys } from "./arg-check";
import { assertPromotable, toInexact } from "./core/checks";
import type { ModeLike } from "./mode";

type Mode = "train" | "eval" | "predict";

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** Throws unless `inputSignature` is one float32 input (not a list). */
function assertOneFloatInput(layer: string, inputSignature: ShapeDtype): void {
  if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${layer} takes one input`);
  assertPromotable(layer, inputSignature);
}

// ------------------------------------------------------------------ BatchNorm

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Axes the statistics are taken over (default `[0, 1, 2]`); a number for one axis. */
  axis?: number | readonly number[];
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
  /** Whether to add the learned offset `beta` (default true). */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma` (default true). */
  scale?: boolean;
  /** Weight of the old value in the running averages (default 0.999). */
  momentum?: number;
  /** `"train"` (default) normalizes with batch statistics and updates the running ones; other modes use the running ones. */
  mode?: ModeLike;
}

class BatchNormLayer extends Layer {
  /** @internal */ _axis: number[];
  /** @internal */ _epsilon: number;
  /** @internal */ _center: boolean;
  /** @internal */ _scale: boolean;
  /** @internal */ _momentum: number;
  /** @internal */ _mode: Mode;

  constructor(options: BatchNormOptions = {}) {
    super();
    const axis = options.axis ?? [0, 1, 2];
    this._axis = typeof axis === "number" ? [axis] : [...axis];
    if (this._axis.some((a) => !Number.isInteger(a))) throw new Error(`BatchNorm: axis must be integers; got [${this._axis}]`);
    this._epsilon = options.epsilon ?? 1e-5;
    this._center = options.center ?? true;
    this._scale = options.scale ?? true;
    this._momentum = options.momentum ?? 0.999;
    const mode = options.mode ?? "train";
    checkMode("BatchNorm", mode);
    this._mode = mode as Mode;
  }

  /** Axes as non-negative numbers for inputs of rank `rank`. */
  private axesFor(rank: number, shape: readonly number[]): number[] {
    const axes = this._axis.map((a) => (a < 0 ? a + rank : a));
    axes.forEach((a, i) => {
      if (a < 0 || a >= rank) {
        throw new Error(`${this.name}: axis ${this._axis[i]} is out of range for inputs of rank ${rank} (shape [${shape}]); pass { axis } with axes below ${rank}`);
      }
    });
    return axes;
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    const axes = this.axesFor(x.rank, x.shape);
    const statsShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const [runningMean, runningVar, nBatches] = this.state as tf.Tensor[];
    if (!isTensor(runningMean) || !isTensor(runningVar) || !isTensor(nBatches)) {
      throw new Error(`${this.name}: state should be [runningMean, runningVar, nBatches]`);
    }
    if (runningMean.rank !== x.rank || runningMean.shape.some((d, i) => d !== statsShape[i])) {
      throw new Error(`${this.name} was initialized for statistics of shape [${runningMean.shape}]; inputs of shape [${x.shape}] need [${statsShape}]`);
    }
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (this._mode === "train") {
      if (axes.some((a) => x.shape[a] === 0)) {
        throw new Error(`${this.name}: the batch is empty (shape [${x.shape}]): no statistics to normalize with; the running statistics are left unchanged`);
      }
      mean = tf.mean(x, axes, true);
      // The fast (less stable) variance Trax uses: E[x^2] - E[x]^2.
      variance = tf.sub(tf.mean(tf.square(x), axes, true), tf.square(mean));
      const m = this._momentum;
      const newMean = tf.add(runningMean.mul(m), mean.mul(1 - m));
      const newVar = tf.add(runningVar.mul(m), variance.mul(1 - m));
      this.state = [newMean, newVar, nBatches.add(tf.scalar(1, "int32"))];
    } else {
      mean = runningMean;
      variance = runningVar;
    }
    const z = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this._epsilon)));
    const [beta, gamma] = this.weights as unknown as [tf.Tensor | [], tf.Tensor | []];
    let out = z;
    if (this._scale) out = tf.mul(out, this.param(gamma, "gamma", statsShape));
    if (this._center) out = tf.add(out, this.param(beta, "beta", statsShape));
    return out;
  }

  /** A weight reshaped to broadcast against the input (1 on the normalized axes). */
  private param(w: tf.Tensor | [], what: string, statsShape: number[]): tf.Tensor {
    const expected = statsShape.filter((_, i) => !this.axesFor(statsShape.length, statsShape).includes(i));
    if (!isTensor(w) || w.shape.length !== expected.length || w.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`${this.name}: ${what} should have shape [${expected}]; got ${isTensor(w) ? `[${w.shape}]` : "none"}`);
    }
    return w.reshape(statsShape);
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    assertOneFloatInput(this.name, inputSignature);
    const shape = [...inputSignature.shape];
    const axes = this.axesFor(shape.length, shape);
    const paramShape = shape.filter((_, i) => !axes.includes(i));
    const statsShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const beta = this._center ? tf.zeros(paramShape, "float32") : [];
    const gamma = this._scale ? tf.ones(paramShape, "float32") : [];
    this.weights = [beta, gamma] as never;
    this.state = [tf.zeros(statsShape, "float32"), tf.ones(statsShape, "float32"), tf.scalar(0, "int32")];
  }
}

/**
 * Batch normalization: normalizes over `axis` with the batch's mean and
 * variance in train mode (and updates the running averages
 * `running = momentum * running + (1 - momentum) * batch`), or with the
 * running averages in eval/predict mode; then scales by `gamma` and shifts
 * by `beta`.
 *
 * Input `(...)` float32; output the same shape. Weights `[beta, gamma]` of the
 * non-normalized axes' shape (`[]` for one left out by `center`/`scale`);
 * state `[runningMean, runningVar, nBatches]`, the running statistics with 1
 * on the normalized axes and an int32 count of training batches.
 *
 * @example
 * ```ts
 * const bn = tl.BatchNorm({ axis: [0] });
 * bn(tf.tensor([[1, 2], [3, 6]])); // [[-1, -1], [1, 1]] (nearly)
 * const [runningMean, runningVar, nBatches] = bn.state as tf.Tensor[];
 * ```
 */
export const BatchNorm = callable<typeof BatchNormLayer, tf.Tensor>(BatchNormLayer, "BatchNorm", {
  positional: [],
  options: optionKeys<BatchNormOptions>({
    axis: true, epsilon: true, center: true, scale: true, momentum: true, mode: true,
  }),
});
export type BatchNorm = BatchNormLayer;

// ------------------------------------------------------------------ LayerNorm

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Whether to subtract the mean and add the learned bias (default true). */
  center?: boolean;
  /** Added to the variance before the square root (default 1e-6). */
  epsilon?: number;
}

class LayerNormLayer extends Layer {
  /** @internal */ _center: boolean;
  /** @internal */ _epsilon: number;

  constructor(options: LayerNormOptions = {}) {
    super();
    this._center = options.center ?? true;
    this._epsilon = options.epsilon ?? 1e-6;
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    const [scale, bias] = this.weights as tf.Tensor[];
    if (x.rank < 1 || x.shape[x.rank - 1] !== scale.shape[0]) {
      throw new Error(`${this.name} expects inputs with ${scale.shape[0]} features on the last axis; got shape [${x.shape}]`);
    }
    if (this._center && layerNormPaths.fused && isRecordingGradients()) return layerNormRecorded(x, scale, bias, this._epsilon);
    const centered = this._center ? tf.sub(x, tf.mean(x, -1, true)) : x;
    const variance = tf.mean(tf.square(centered), -1, true);
    const scaled = tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, this._epsilon))), scale);
    return this._center ? tf.add(scaled, bias) : scaled;
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    assertOneFloatInput(this.name, inputSignature);
    if (inputSignature.rank < 1) throw new Error(`${this.name} needs inputs of rank >= 1; got a scalar`);
    const features = inputSignature.shape[inputSignature.rank - 1];
    this.weights = [tf.ones([features], "float32"), tf.zeros([features], "float32")];
  }
}

/**
 * Layer normalization over the last axis:
 * `(x - mean) / sqrt(var + epsilon) * scale + bias` (without the mean and
 * the bias when `center` is false).
 *
 * Input `(..., d)` float32; output the same shape. Weights `[scale, bias]`,
 * each `(d,)`, initialized to ones and zeros.
 *
 * @example
 * ```ts
 * tl.LayerNorm()(tf.tensor([[1, 3]])); // [[-1, 1]] (nearly)
 * ```
 */
export const LayerNorm = callable<typeof LayerNormLayer, tf.Tensor>(LayerNormLayer, "LayerNorm", {
  positional: [],
  options: optionKeys<LayerNormOptions>({
    center: true, epsilon: true,
  }),
});
export type LayerNorm = LayerNormLayer;

// --------------------------------------------------------- FilterResponseNorm

/** Options of {@link FilterResponseNorm}. */
export interface FilterResponseNormOptions {
  /** Accepted and never read, as in Trax (which deletes it unread): the layer is the same in every mode. */
  mode?: ModeLike | null;
  /** Whether epsilon is learned: `initEpsilon + |learnt|` (default false). */
  learnEpsilon?: boolean;
  /** The fixed part of epsilon (default 1e-6, must be > 0). */
  initEpsilon?: number;
  /** Initial learned part of epsilon (default 1e-4, must be > 0). */
  initLearntEpsilon?: number;
}

class FilterResponseNormLayer extends Layer {
  /** @internal */ _learnEpsilon: boolean;
  /** @internal */ _initEpsilon: number;
  /** @internal */ _initLearntEpsilon: number;

  constructor(options: FilterResponseNormOptions = {}) {
    super();
    this._learnEpsilon = options.learnEpsilon ?? false;
    this._initEpsilon = options.initEpsilon ?? 1e-6;
    this._initLearntEpsilon = options.initLearntEpsilon ?? 1e-4;
    if (!(this._initEpsilon > 0)) throw new Error(`FilterResponseNorm: initEpsilon must be > 0; got ${this._initEpsilon}`);
    if (!(this._initLearntEpsilon > 0)) throw new Error(`FilterResponseNorm: initLearntEpsilon must be > 0; got ${this._initLearntEpsilon}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    const [gamma, beta, epsilonL] = this.weights as unknown as [tf.Tensor, tf.Tensor, tf.Tensor[]];
    if (x.rank < 2 || x.shape[x.rank - 1] !== gamma.shape[0]) {
      throw new Error(`${this.name} expects inputs (batch, ..., ${gamma.shape[0]} channels) of rank >= 2; got shape [${x.shape}]`);
    }
    let epsilon: tf.Tensor = tf.scalar(this._initEpsilon);
    if (Array.isArray(epsilonL) && epsilonL.length > 0) epsilon = tf.add(epsilon, tf.abs(epsilonL[0]));
    const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
    const nu2 = axes.length > 0 ? tf.mean(tf.square(x), axes, true) : tf.square(x);
    const xhat = tf.div(x, tf.sqrt(tf.add(nu2, epsilon)));
    return tf.add(tf.mul(gamma, xhat), beta);
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    assertOneFloatInput(this.name, inputSignature);
    if (inputSignature.rank < 2) throw new Error(`${this.name} needs inputs (batch, ..., channels) of rank >= 2; got shape [${inputSignature.shape}]`);
    const channels = inputSignature.shape[inputSignature.rank - 1];
    const epsilonL = this._learnEpsilon ? [tf.scalar(this._initLearntEpsilon, "float32")] : EMPTY_WEIGHTS;
    this.weights = [tf.ones([channels], "float32"), tf.zeros([channels], "float32"), epsilonL] as never;
  }
}

/**
 * Filter response normalization (without the thresholded linear unit):
 * `gamma * x / sqrt(mean(x^2 over the spatial axes) + epsilon) + beta`,
 * per example and channel.
 *
 * Input `(batch, ..., channels)` float32; output the same shape. Weights
 * `[gamma, beta, epsilonL]`: `(channels,)` ones, `(channels,)` zeros, and
 * `[learntEpsilon]` when `learnEpsilon` (else empty).
 *
 * @example
 * ```ts
 * tl.FilterResponseNorm()(tf.ones([2, 5, 7, 3])).shape; // [2, 5, 7, 3]
 * ```
 */
export const FilterResponseNorm = callable<typeof FilterResponseNormLayer, tf.Tensor>(FilterResponseNormLayer, "FilterResponseNorm", {
  positional: [],
  options: optionKeys<FilterResponseNormOptions>({
    mode: true, learnEpsilon: true, initEpsilon: true, initLearntEpsilon: true,
  }),
});
export type FilterResponseNorm = FilterResponseNormLayer;
