/**
 * `SinCosPositionalEncoding`: sinusoids computed on the fly, with random
 * start offsets in training (Trax's research position encoding).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { EMPTY_STATE, Layer } from "../base";
import type { State } from "../base";
import { callable } from "../callable";
import { checkMode } from "./self-attention";
import type { EfficientAttentionMode } from "./efficient-attention-base";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** `(1, length, d)`: `sin` of `(start + t) * exp(-i ln(10000) / d)` for even `i` in the first half, `cos` in the second. */
export function sinCosTable(start: number, length: number, d: number): tf.Tensor {
  const half = d / 2;
  const data = new Float32Array(length * d);
  for (let t = 0; t < length; t++) {
    const pos = start + t;
    for (let j = 0; j < half; j++) {
      const angle = pos * Math.exp(2 * j * -(Math.log(10000.0) / d));
      data[t * d + j] = Math.sin(angle);
      data[t * d + half + j] = Math.cos(angle);
    }
  }
  return tf.tensor3d(data, [1, length, d]);
}

/** Options of {@link SinCosPositionalEncoding}. */
export interface SinCosPositionalEncodingOptions {
  /** Largest random offset added to positions in training (default 2048). */
  addOffset?: number;
  /** Probability of *not* adding the encoding at a position, train mode only (default 0). */
  dropout?: number;
  /** Axes along which the dropout mask is shared (default `[-2]`). */
  dropoutBroadcastDims?: number[];
  /** In training, start from position 0 one time in this many (default 2). */
  startFromZeroOneIn?: number;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
}

class SinCosPositionalEncodingLayer extends Layer {
  /** @internal */ _addOffset: number;
  /** @internal */ _dropout: number;
  /** @internal */ _dropoutBroadcastDims: number[];
  /** @internal */ _startFromZeroOneIn: number;
  /** @internal */ _mode: EfficientAttentionMode;

  constructor(options: SinCosPositionalEncodingOptions = {}) {
    super({ name: "SinCosPositionalEncoding" });
    this._addOffset = options.addOffset ?? 2048;
    const dropout = options.dropout ?? 0;
    if (dropout >= 1.0) throw new Error("Dropout rates must be lower than 1.");
    this._mode = checkMode("SinCosPositionalEncoding", options.mode ?? "train");
    this._dropout = this._mode === "train" ? dropout : 0;
    this._dropoutBroadcastDims = options.dropoutBroadcastDims ?? [-2];
    this._startFromZeroOneIn = options.startFromZeroOneIn ?? 2;
    if (!Number.isInteger(this._addOffset) || this._addOffset < 1) throw new Error(`SinCosPositionalEncoding: addOffset must be a positive integer; got ${this._addOffset}`);
    if (!Number.isInteger(this._startFromZeroOneIn) || this._startFromZeroOneIn < 1) throw new Error(`SinCosPositionalEncoding: startFromZeroOneIn must be a positive integer; got ${this._startFromZeroOneIn}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`SinCosPositionalEncoding expects (batch, length, d); got shape [${x.shape}]`);
    if (x.dtype !== "float32") throw new TypeError(`SinCosPositionalEncoding needs float32 input; got ${x.dtype}`);
    const [, length, d] = x.shape as [number, number, number];
    if (d % 2 !== 0) throw new Error(`SinCosPositionalEncoding needs an even depth (sin and cos halves); got ${d}`);
    if (this._mode === "predict") {
      const pos = (this.state as tf.Tensor).dataSync()[0] as number;
      this.state = tf.scalar(pos + length, "int32");
      return x.add(sinCosTable(pos, length, d));
    }
    let start = 0;
    if (this._mode === "train") {
      const [rng1, rng2] = random.split(this.rng, 2);
      const offset = random.randintArray(rng1, 1, 0, this._addOffset)[0] as number;
      const nonzero = Math.min(1, random.randintArray(rng2, 1, 0, this._startFromZeroOneIn)[0] as number);
      start = offset * nonzero;
    }
    const px = sinCosTable(start, length, d);
    if (this._dropout === 0) return x.add(px);
    const noiseShape = [...px.shape];
    for (const dim of this._dropoutBroadcastDims) noiseShape[dim < 0 ? dim + noiseShape.length : dim] = 1;
    const keepProb = 1.0 - this._dropout;
    const keep = random.bernoulli(this.rng, keepProb, noiseShape);
    return x.add(px.mul(keep.toFloat().div(keepProb)));
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    this.state = this._mode === "predict" ? tf.scalar(0, "int32") : (EMPTY_STATE as State);
  }
}

/**
 * Adds sin-cos positional encodings computed on the fly:
 * `pe[t, j] = sin((s + t) w_j)` and `pe[t, d/2 + j] = cos((s + t) w_j)` with
 * `w_j = 10000^(-2j/d)` (sines in the first half of the features, cosines in
 * the second). In training the start `s` is random below `addOffset` (and 0
 * one time in `startFromZeroOneIn`); in eval it is 0; in predict mode the
 * state is the next position.
 *
 * Input and output `(batch, length, d)` with even `d`. No weights.
 *
 * @example
 * ```ts
 * const pe = tl.SinCosPositionalEncoding({ mode: "eval" });
 * pe(tf.zeros([1, 3, 4])); // rows [sin t, sin t/100, cos t, cos t/100] for t = 0, 1, 2
 * ```
 */
export const SinCosPositionalEncoding = callable(SinCosPositionalEncodingLayer, "SinCosPositionalEncoding", {
  positional: [],
  options: optionKeys<SinCosPositionalEncodingOptions>({
    addOffset: true, dropout: true, dropoutBroadcastDims: true, startFromZeroOneIn: true, mode: true,
  }),
});
export type SinCosPositionalEncoding = SinCosPositionalEncodingLayer;
