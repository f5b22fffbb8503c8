/**
 * Layers that take no input: `Weights` (learned) and `RandomUniform` (random).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { roundToBfloat16If } from "../../fastmath/bfloat16";
import { Layer } from "../base";
import { callable } from "../callable";
import type { Initializer } from "../initializers";
import { initializerResult, pyShape } from "./checks";
import { optionKeys } from "../arg-check";

function checkShape(layer: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${layer}: shape must be an array of non-negative integers; got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** Options of {@link Weights}. */
export interface WeightsOptions {
  /** Shape of the learned tensor (default `[]`, a scalar). */
  shape?: readonly number[];
  /** tfjs has no bfloat16: when true, values are rounded to bfloat16 precision (float32 storage). */
  useBfloat16?: boolean;
}

class WeightsLayer extends Layer {
  /** @internal */ _shape: number[];
  /** @internal */ _initializer: Initializer;
  /** @internal */ _useBfloat16: boolean;

  constructor(initializer: Initializer, options: WeightsOptions = {}) {
    if (typeof initializer !== "function") throw new TypeError(`Weights needs an initializer function (shape, rng) => tensor; got ${typeof initializer}`);
    const shape = checkShape("Weights", options.shape ?? []);
    super({ name: `Weights_${pyShape(shape)}`, nIn: 0, nOut: 1 });
    this._shape = shape;
    this._initializer = initializer;
    this._useBfloat16 = options.useBfloat16 ?? false;
  }

  forward(inputs: readonly tf.Tensor[]): tf.Tensor {
    void inputs;
    const w = this.weights;
    if (!(w instanceof tf.Tensor)) throw new Error(`${this.name} has no weight tensor; initialize it first`);
    // A new tensor (sharing the data), so that disposing the output leaves the weights alone.
    return w.clone();
  }

  initWeightsAndState(inputSignature: unknown): void {
    void inputSignature;
    const w = initializerResult(this.name, this._initializer(this._shape, this.rng), this._shape);
    this.weights = roundToBfloat16If(this._useBfloat16, w);
  }
}

/**
 * Learnable weights as a layer: takes no input (`nIn = 0`) and returns its
 * one weight tensor, made by `initializer(shape, rng)`.
 *
 * Input: none (call it with `[]`); output: the weights, of `shape`.
 *
 * @example
 * ```ts
 * const bias = tl.Weights(tl.RandomNormalInitializer(), { shape: [5, 10, 3] });
 * bias([]).shape; // [5, 10, 3]
 * ```
 */
export const Weights = callable(WeightsLayer, "Weights", {
  positional: ["initializer"],
  options: optionKeys<WeightsOptions>({
    shape: true, useBfloat16: true,
  }),
});
export type Weights = WeightsLayer;

/** Options of {@link RandomUniform}. */
export interface RandomUniformOptions {
  /** Lower end (inclusive; default 0). */
  minVal?: number;
  /** Upper end (exclusive; default 1). */
  maxVal?: number;
  /** Shape of the result (default `[]`). */
  shape?: readonly number[];
  /** Element type; only `"float32"` (the default), as JAX's uniform. */
  dtype?: "float32";
  /** Synchronise the key across devices: tfjs runs on one device, so this changes nothing. */
  sync?: boolean;
}

class RandomUniformLayer extends Layer {
  /** @internal */ _minVal: number;
  /** @internal */ _maxVal: number;
  /** @internal */ _shape: number[];

  constructor(options: RandomUniformOptions = {}) {
    super({ name: "RandomUniform", nIn: 0, nOut: 1 });
    this._minVal = options.minVal ?? 0.0;
    this._maxVal = options.maxVal ?? 1.0;
    this._shape = checkShape("RandomUniform", options.shape ?? []);
    if ((options.dtype ?? "float32") !== "float32") throw new Error(`RandomUniform makes float32 values; got dtype ${options.dtype}`);
    if (!(this._maxVal >= this._minVal)) throw new Error(`RandomUniform needs minVal <= maxVal; got [${this._minVal}, ${this._maxVal})`);
  }

  forward(inputs: readonly tf.Tensor[]): tf.Tensor {
    void inputs;
    return random.uniform(this.rng, this._shape, { minval: this._minVal, maxval: this._maxVal });
  }
}

/**
 * A layer with no input that returns values uniform in `[minVal, maxVal)`,
 * drawn from the layer's key (the same key gives the same values).
 *
 * Input: none (call it with `[]`); output float32 of `shape`.
 *
 * @example
 * ```ts
 * tl.RandomUniform({ minVal: 1, maxVal: 2, shape: [1000] })([]); // values in [1, 2)
 * ```
 */
export const RandomUniform = callable(RandomUniformLayer, "RandomUniform", {
  positional: [],
  options: optionKeys<RandomUniformOptions>({
    minVal: true, maxVal: true, shape: true, dtype: true, sync: true,
  }),
});
export type RandomUniform = RandomUniformLayer;
