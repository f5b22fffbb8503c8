/**
 * `LSHFF`: a feed-forward block whose first layer only computes the units that
 * share an LSH bucket with the input (Trax's `LSHFF`).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { dense } from "../../fastmath/matmul";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { Layer } from "../base";
import { callable } from "../callable";
import { GlorotUniformInitializer, RandomNormalInitializer } from "../initializers";
import type { Initializer } from "../initializers";
import { hashVecs, bucketSpec } from "./lsh-hash";
import type { NBuckets } from "./lsh-hash";
import { checkMode } from "./self-attention";
import type { EfficientAttentionMode } from "./efficient-attention-base";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options of {@link LSHFF}. */
export interface LSHFFOptions {
  /** Hash rounds; a unit is kept if any round matches (default 4). */
  nHashes?: number;
  /** `train`, `eval` or `predict` (default `train`; the block is the same in all). */
  mode?: ModeLike<EfficientAttentionMode>;
  /** Initializer of `w1` and `w2` (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /** Initializer of `b2` (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
}

class LSHFFLayer extends Layer {
  /** @internal */ _dFf: number;
  /** @internal */ _nBuckets: NBuckets;
  /** @internal */ _nHashes: number;
  /** @internal */ _mode: EfficientAttentionMode;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;

  constructor(dFf: number, nBuckets: NBuckets, options: LSHFFOptions = {}) {
    if (!Number.isInteger(dFf) || dFf <= 0) throw new Error(`LSHFF needs a positive integer dFf; got ${dFf}`);
    bucketSpec(nBuckets);
    super({ name: `LSHFF_${dFf}` });
    this._dFf = dFf;
    this._nBuckets = nBuckets;
    this._nHashes = options.nHashes ?? 4;
    if (!Number.isInteger(this._nHashes) || this._nHashes <= 0) throw new Error(`LSHFF: nHashes must be a positive integer; got ${this._nHashes}`);
    this._mode = checkMode("LSHFF", options.mode ?? "train");
    this._kernelInitializer = options.kernelInitializer ?? GlorotUniformInitializer();
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [w1, w2, b2] = this.weights as tf.Tensor[];
    const d = w1.shape[1] as number;
    if (x.dtype !== "float32") throw new TypeError(`LSHFF needs float32 input; got ${x.dtype}`);
    if (x.rank < 1 || x.shape[x.rank - 1] !== d) throw new Error(`LSHFF expects inputs with ${d} features on the last axis; got shape [${x.shape}]`);
    const flat = x.reshape([-1, d]);
    // The same key hashes inputs and first-layer units, so they share rotations.
    const [xb] = hashVecs(flat, this._nBuckets, this._nHashes, this.rng); // (nHashes, n)
    const [wb] = hashVecs(w1, this._nBuckets, this._nHashes, this.rng); // (nHashes, dFf)
    const same = tf.equal(xb.expandDims(2), wb.expandDims(1)).toFloat(); // (nHashes, n, dFf)
    const hashMask = tf.minimum(tf.sum(same, 0), 1);
    const mid = dense(flat, w1.transpose()).mul(hashMask);
    const out = dense(tf.relu(mid), w2, b2);
    return out.reshape(x.shape);
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const d = inputSignature.shape[inputSignature.rank - 1] as number;
    const [r1, r2, rb] = random.split(this.rng, 3);
    this.weights = [this._kernelInitializer([this._dFf, d], r1), this._kernelInitializer([this._dFf, d], r2), this._biasInitializer([d], rb)];
  }
}

/**
 * Feed-forward block with LSH: `relu((x w1^T) * hashMask) w2 + b2`, where
 * `hashMask[i, j]` is 1 when input `i` and row `j` of `w1` share a bucket in
 * any of `nHashes` random-rotation hashes (the units likely to be active).
 *
 * Input `(..., d)`; output the same shape. Weights `w1 (dFf, d)`,
 * `w2 (dFf, d)`, `b2 (d,)`. The hash rotations come from the layer's key.
 *
 * @example
 * ```ts
 * const ff = tl.LSHFF(64, 8, { nHashes: 2 });
 * ff(tf.randomNormal([2, 5, 16])).shape; // [2, 5, 16]
 * ```
 */
export const LSHFF = callable(LSHFFLayer, "LSHFF", {
  positional: ["dFf", "nBuckets"],
  options: optionKeys<LSHFFOptions>({
    nHashes: true, mode: true, kernelInitializer: true, biasInitializer: true,
  }),
});
export type LSHFF = LSHFFLayer;
