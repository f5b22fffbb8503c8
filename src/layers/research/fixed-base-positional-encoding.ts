/**
 * `FixedBasePositionalEncoding`: positions written as digits in several
 * bases, each digit scaling a learned vector (Trax's research encoding).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { EMPTY_STATE, Layer } from "../base";
import type { State } from "../base";
import { callable } from "../callable";
import { RandomUniformInitializer } from "../initializers";
import type { Initializer } from "../initializers";
import { checkMode } from "./self-attention";
import type { EfficientAttentionMode } from "./efficient-attention-base";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options of {@link FixedBasePositionalEncoding}. */
export interface FixedBasePositionalEncodingOptions {
  /** Number bases (default `[11, 13, 14, 15]`). */
  bases?: number[];
  /** Digits per base; the depth must be a multiple of it (default 8). */
  nDigits?: number;
  /** In training, start from position 0 one time in this many (default 2). */
  startFromZeroOneIn?: number;
  /** In training, drop each example's encoding one time in this many (default 100). */
  baseDropoutOneIn?: number;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
  /** Initializer of the digit vectors and the start vector (default uniform in ±1e-4). */
  initializer?: Initializer;
}

class FixedBasePositionalEncodingLayer extends Layer {
  /** @internal */ _bases: number[];
  /** @internal */ _nDigits: number;
  /** @internal */ _startFromZeroOneIn: number;
  /** @internal */ _baseDropoutOneIn: number;
  /** @internal */ _mode: EfficientAttentionMode;
  /** @internal */ _initializer: Initializer;

  constructor(options: FixedBasePositionalEncodingOptions = {}) {
    super({ name: "FixedBasePositionalEncoding" });
    this._bases = options.bases ?? [11, 13, 14, 15];
    this._nDigits = options.nDigits ?? 8;
    this._startFromZeroOneIn = options.startFromZeroOneIn ?? 2;
    this._baseDropoutOneIn = options.baseDropoutOneIn ?? 100;
    this._mode = checkMode("FixedBasePositionalEncoding", options.mode ?? "train");
    this._initializer = options.initializer ?? RandomUniformInitializer(1e-4);
    if (this._bases.length === 0 || this._bases.some((b) => !Number.isInteger(b) || b < 2)) throw new Error(`FixedBasePositionalEncoding: bases must be integers >= 2; got [${this._bases}]`);
    if (!Number.isInteger(this._nDigits) || this._nDigits < 1) throw new Error(`FixedBasePositionalEncoding: nDigits must be a positive integer; got ${this._nDigits}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`FixedBasePositionalEncoding expects (batch, length, d); got shape [${x.shape}]`);
    const [baseWeights, startVec] = this.weights as unknown as [tf.Tensor[][], tf.Tensor];
    const [b, length, d] = x.shape as [number, number, number];
    const dWeight = (baseWeights[0] as tf.Tensor[])[0]?.shape[1] as number;
    if (dWeight * this._nDigits !== d) throw new Error(`FixedBasePositionalEncoding was built for depth ${dWeight * this._nDigits}; got [${x.shape}]`);
    const maxPos = Math.min(...this._bases) ** this._nDigits;
    if (length >= maxPos) throw new Error(`length (${length}) >= max_pos (${maxPos})`);
    const [rng1, rng2, rng3] = random.split(this.rng, 3);
    // Per-example start positions (JS numbers: exact up to 2^53).
    const starts = new Array<number>(b).fill(0);
    if (this._mode === "train") {
      const nonzero = random.randintArray(rng1, b, 0, this._startFromZeroOneIn);
      const offs = random.randintArray(rng2, b, 0, maxPos - length);
      for (let i = 0; i < b; i++) starts[i] = (offs[i] as number) * Math.min(1, nonzero[i] as number);
    }
    let pos0 = 0;
    if (this._mode === "predict") pos0 = (this.state as tf.Tensor).dataSync()[0] as number;
    let keepBase: tf.Tensor | null = null;
    if (this._mode === "train") {
      const drop = random.randintArray(rng3, b, 0, this._baseDropoutOneIn);
      keepBase = tf.tensor(Float32Array.from(drop, (v) => Math.min(1, v)), [b, 1, 1]);
    }
    let res: tf.Tensor | null = null;
    this._bases.forEach((base, bn) => {
      // digits[i, t, k]: digit k of position (start_i + pos0 + t) in this base.
      const digits = new Float32Array(b * length * this._nDigits);
      for (let i = 0; i < b; i++) {
        for (let t = 0; t < length; t++) {
          let p = (starts[i] as number) + pos0 + t;
          for (let k = 0; k < this._nDigits; k++) {
            digits[(i * length + t) * this._nDigits + k] = p % base;
            p = Math.floor(p / base);
          }
        }
      }
      const dg = tf.tensor3d(digits, [b, length, this._nDigits]);
      const ws = baseWeights[bn] as tf.Tensor[];
      let emb = tf.concat(ws.map((w, k) => dg.slice([0, 0, k], [b, length, 1]).mul(w.reshape([1, 1, dWeight]))), -1);
      if (keepBase) emb = emb.mul(keepBase);
      res = res === null ? emb : res.add(emb);
    });
    let out = res as unknown as tf.Tensor;
    // The start vector marks the first position (in predict mode, only at the very start).
    if (this._mode !== "predict" || pos0 === 0) {
      const first = out.slice([0, 0, 0], [b, 1, d]).add(startVec.reshape([1, 1, d]));
      out = length > 1 ? tf.concat([first, out.slice([0, 1, 0], [b, length - 1, d])], 1) : first;
    }
    if (this._mode === "predict") this.state = tf.scalar(pos0 + length, "int32");
    return x.add(out);
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const d = inputSignature.shape[inputSignature.rank - 1] as number;
    if (d % this._nDigits !== 0) throw new Error(`d_feature(${d}) % self._n_digits(${this._nDigits}) != 0`);
    const dWeight = d / this._nDigits;
    const [rng1, rng2] = random.split(this.rng, 2);
    const digitRngs = random.split(rng1 as random.PRNGKey, this._nDigits);
    const baseWeights = this._bases.map(() => digitRngs.map((r) => this._initializer([1, dWeight], r)));
    const startVec = this._initializer([1, 1, d], rng2 as random.PRNGKey);
    this.weights = [baseWeights, startVec] as unknown as State;
    this.state = this._mode === "predict" ? tf.scalar(0, "int32") : (EMPTY_STATE as State);
  }
}

/**
 * Fixed-base positional encoding: position `p` is written with `nDigits`
 * digits in each base; digit `k` in base `b` scales a learned vector
 * `w[b][k] (1, d/nDigits)`; the digit vectors are concatenated per base and
 * summed over bases; a learned start vector is added at the first position.
 * In training, each example starts at a random position (one time in
 * `startFromZeroOneIn` at 0) and its encoding is dropped one time in
 * `baseDropoutOneIn`.
 *
 * Input and output `(batch, length, d)`, `d` a multiple of `nDigits`.
 * Weights `[[[w (1, d/nDigits)] x nDigits] x bases, startVec (1, 1, d)]`.
 * (As in Trax, every base uses the same digit vectors: they are drawn from
 * the same keys.)
 *
 * @example
 * ```ts
 * const pe = tl.FixedBasePositionalEncoding({ bases: [2, 3], nDigits: 3, mode: "eval" });
 * pe(tf.zeros([1, 5, 6])).shape; // [1, 5, 6] (positions below 2^3)
 * ```
 */
export const FixedBasePositionalEncoding = callable(FixedBasePositionalEncodingLayer, "FixedBasePositionalEncoding", {
  positional: [],
  options: optionKeys<FixedBasePositionalEncodingOptions>({
    bases: true, nDigits: true, startFromZeroOneIn: true, baseDropoutOneIn: true, mode: true,
    initializer: true,
  }),
});
export type FixedBasePositionalEncoding = FixedBasePositionalEncodingLayer;
