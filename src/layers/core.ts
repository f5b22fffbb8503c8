/**
 * Core layers, as `trax.layers.core`.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { dense } from "../fastmath/matmul";
import { roundToBfloat16If } from "../fastmath/bfloat16";
import { ShapeDtype } from "../shapes";
import { Layer } from "./base";
import { callable } from "./callable";
import { GlorotUniformInitializer, RandomNormalInitializer } from "./initializers";
import type { Initializer } from "./initializers";

import { assertPromotable, resultDtype, toInexact } from "./core/checks";
import { optionKeys } from "./arg-check";

export { assertFloat } from "./core/checks";
export * from "./core/embedding";
export * from "./core/dropout";
export * from "./core/weights";
export * from "./core/summary";
export * from "./core/locally-connected";
export * from "./core/functions";
export * from "./core/gaussian";

// -------------------------------------------------------------------- Dense

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Kernel initializer (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /**
   * tfjs has no bfloat16: when true the kernel and bias are rounded to
   * bfloat16 precision at init and stored as float32 (the forward pass
   * computes in float32; training updates are not re-rounded).
   */
  useBfloat16?: boolean;
}

/**
 * `x @ w (+ b)` with JAX's dtype promotion: integer inputs with float32
 * weights give float32; integer inputs, weights and bias give int32
 * (computed in float32, so exact while every partial sum stays within
 * 2^24 in magnitude).
 */
function promotedDense(layer: string, x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const dtype = resultDtype(layer, x.dtype, w.dtype, ...(b ? [b.dtype] : []));
  if (dtype === "float32" && x.dtype === "float32" && w.dtype === "float32" && (!b || b.dtype === "float32")) return dense(x, w, b);
  return tf.tidy(() => {
    const y = dense(toInexact(layer, x), toInexact(layer, w), b ? toInexact(layer, b) : undefined);
    return dtype === "float32" ? y : y.cast(dtype);
  });
}

class DenseLayer extends Layer {
  /** @internal */ _nUnits: number;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;
  /** @internal */ _useBias: boolean;
  /** @internal */ _useBfloat16: boolean;

  constructor(nUnits: number, options: DenseOptions = {}) {
    if (!Number.isInteger(nUnits) || nUnits <= 0) throw new Error(`Dense needs a positive integer number of units, got ${nUnits}`);
    super({ name: `Dense_${nUnits}` });
    this._nUnits = nUnits;
    this._kernelInitializer = options.kernelInitializer ?? GlorotUniformInitializer();
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
    this._useBias = options.useBias ?? true;
    this._useBfloat16 = options.useBfloat16 ?? false;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this._useBias) {
      if (!Array.isArray(this.weights) || this.weights.length !== 2) {
        throw new Error(`Weights should be a [w, b] pair; instead got ${Array.isArray(this.weights) ? `${this.weights.length} items` : "one tensor"}`);
      }
      const [w, b] = this.weights as tf.Tensor[];
      this.checkInput(x, w);
      return promotedDense(this.name, x, w, b);
    }
    const w = this.weights as tf.Tensor;
    this.checkInput(x, w);
    return promotedDense(this.name, x, w);
  }

  private checkInput(x: tf.Tensor, w: tf.Tensor): void {
    if (x.rank < 1 || x.shape[x.rank - 1] !== w.shape[0]) {
      throw new Error(`${this.name} expects inputs with ${w.shape[0]} features on the last axis; got shape [${x.shape}]`);
    }
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    assertPromotable(this.name, inputSignature);
    if (inputSignature.rank < 1) throw new Error(`${this.name} needs inputs of rank >= 1`);
    const shapeW = [inputSignature.shape[inputSignature.rank - 1], this._nUnits];
    const [rngW, rngB] = random.split(this.rng, 2);
    const w = roundToBfloat16If(this._useBfloat16, this._kernelInitializer(shapeW, rngW));
    if (this._useBias) this.weights = [w, roundToBfloat16If(this._useBfloat16, this._biasInitializer([this._nUnits], rngB))];
    else this.weights = w;
  }
}

/**
 * A dense (fully-connected, affine) layer: `y = x @ w + b` over the last axis.
 * Weights: `w` of shape `(dIn, nUnits)` and `b` of shape `(nUnits,)`.
 *
 * Input `(..., dIn)`; output `(..., nUnits)`. Dtypes follow JAX: integer
 * inputs with the (float32) initialized weights give float32; integer inputs
 * with integer weights and bias give int32.
 *
 * @example
 * ```ts
 * const dense = tl.Dense(10);
 * dense(tf.ones([4, 3])).shape; // [4, 10]
 * tl.Dense(10, { useBias: false });
 * ```
 */
export const Dense = callable<typeof DenseLayer, tf.Tensor>(DenseLayer, "Dense", {
  positional: ["nUnits"],
  options: optionKeys<DenseOptions>({
    kernelInitializer: true, biasInitializer: true, useBias: true, useBfloat16: true,
  }),
});
export type Dense = DenseLayer;

// ------------------------------------------------------ functions on tensors

/**
 * One-hot vectors: a new last axis of size `nCategories`, 1 where the index
 * equals the value of `x` (integer ids), 0 elsewhere. Out-of-range ids give
 * all zeros, as in Trax.
 *
 * Input `(...)` ids; output `(..., nCategories)` of `dtype` (default float32).
 *
 * @example
 * ```ts
 * tl.oneHot(tf.tensor([0, 2], [2], "int32"), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(x: tf.Tensor, nCategories: number, dtype: "float32" | "int32" = "float32"): tf.Tensor {
  return tf.tidy(() => {
    const ids = x.dtype === "int32" ? x : x.toInt();
    return tf.equal(ids.expandDims(-1), tf.range(0, nCategories, 1, "int32")).cast(dtype);
  });
}

/**
 * Log-softmax along `axis` (default -1): `x - logsumexp(x, axis)`.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.logSoftmax(tf.tensor([[0, Math.log(3)]])).exp(); // [[0.25, 0.75]]
 * ```
 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.sub(x, tf.logSumExp(x, axis, true)));
}
