/**
 * `AxialPositionalEncoding`: positions laid out on a grid, with one learned
 * embedding per coordinate of each axis (Reformer).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { EMPTY_STATE, Layer } from "../base";
import type { State } from "../base";
import { callable } from "../callable";
import { RandomNormalInitializer } from "../initializers";
import type { Initializer } from "../initializers";
import { checkMode } from "./self-attention";
import type { EfficientAttentionMode } from "./efficient-attention-base";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options of {@link AxialPositionalEncoding}. */
export interface AxialPositionalEncodingOptions {
  /** Grid shape; the sequence length is its product (default `[64, 64, 3]`). */
  shape?: number[];
  /** Embedding depth per axis; they sum to the input depth (default `[384, 384, 256]`). */
  dEmbs?: number[];
  /** Initializer of the axis embeddings (default normal with stddev 1). */
  kernelInitializer?: Initializer;
  /** Dropout rate on the embeddings, train mode only (default 0). */
  dropout?: number;
  /** Axes of the `(batch, ...shape, d)` embedding along which the dropout mask is shared (default none). */
  dropoutBroadcastDims?: number[];
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
}

class AxialPositionalEncodingLayer extends Layer {
  /** @internal */ _shape: number[];
  /** @internal */ _dEmbs: number[];
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _dropout: number;
  /** @internal */ _dropoutBroadcastDims: number[];
  /** @internal */ _mode: EfficientAttentionMode;

  constructor(options: AxialPositionalEncodingOptions = {}) {
    super({ name: "AxialPositionalEncoding" });
    this._shape = options.shape ?? [64, 64, 3];
    this._dEmbs = options.dEmbs ?? [384, 384, 256];
    if (this._shape.length !== this._dEmbs.length) {
      throw new Error(`AxialPositionalEncoding: shape and dEmbs need one entry per axis; got ${this._shape.length} and ${this._dEmbs.length}`);
    }
    this._kernelInitializer = options.kernelInitializer ?? RandomNormalInitializer(1.0);
    const dropout = options.dropout ?? 0;
    if (dropout >= 1.0) throw new Error("Dropout rates must be lower than 1.");
    this._mode = checkMode("AxialPositionalEncoding", options.mode ?? "train");
    this._dropout = this._mode === "train" ? dropout : 0;
    this._dropoutBroadcastDims = options.dropoutBroadcastDims ?? [];
  }

  /** The full embedding `(batch, ...shape, sum(dEmbs))` (each axis broadcast, then concatenated). */
  private embedding(batch: number): tf.Tensor {
    const embs = (this.weights as tf.Tensor[]).map((w) => tf.broadcastTo(w, [batch, ...this._shape, w.shape[w.rank - 1] as number]));
    return tf.concat(embs, -1);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const total = this._shape.reduce((a, b) => a * b, 1);
    const d = this._dEmbs.reduce((a, b) => a + b, 0);
    if (x.rank !== 3 || x.shape[2] !== d) throw new Error(`AxialPositionalEncoding expects (batch, length, ${d}); got shape [${x.shape}]`);
    const [b, l] = x.shape as [number, number, number];
    if (this._mode === "predict") {
      const pos = (this.state as tf.Tensor).dataSync()[0] as number;
      if (pos + l > total) throw new Error(`AxialPositionalEncoding in predict mode is at position ${pos}; ${l} more positions pass the grid size ${total}`);
      const emb = this.embedding(b).reshape([b, total, d]).slice([0, pos, 0], [b, l, d]);
      this.state = tf.scalar(pos + l, "int32");
      return x.add(emb);
    }
    if (l !== total) throw new Error(`AxialPositionalEncoding with grid [${this._shape}] needs sequences of length ${total}; got ${l}`);
    if (this._dropout === 0) return x.add(this.embedding(b).reshape([b, l, d]));
    const emb = this.embedding(b);
    const noiseShape = [...emb.shape];
    for (const dim of this._dropoutBroadcastDims) noiseShape[dim < 0 ? dim + noiseShape.length : dim] = 1;
    const keepProb = 1.0 - this._dropout;
    const keep = random.bernoulli(this.rng, keepProb, noiseShape);
    return x.add(emb.mul(keep.toFloat().div(keepProb)).reshape([b, l, d]));
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const d = inputSignature.shape[inputSignature.rank - 1];
    const sum = this._dEmbs.reduce((a, c) => a + c, 0);
    if (sum !== d) throw new Error(`sum(dEmbs) != dFeature: sum([${this._dEmbs}]) = ${sum} vs dFeature ${d}`);
    const rngs = random.split(this.rng, this._dEmbs.length);
    this.weights = this._dEmbs.map((dEmb, ax) => {
      const axShape = this._shape.map((n, i) => (i === ax ? n : 1));
      return this._kernelInitializer([1, ...axShape, dEmb], rngs[ax] as random.PRNGKey);
    });
    this.state = this._mode === "predict" ? tf.scalar(0, "int32") : (EMPTY_STATE as State);
  }
}

/**
 * Axial positional encoding: a sequence of `prod(shape)` positions is laid
 * out row-major on the grid `shape`; axis `a` has a learned embedding of
 * depth `dEmbs[a]` per coordinate, and a position's encoding is the
 * concatenation of its coordinates' embeddings (added to the input).
 *
 * Input and output `(batch, prod(shape), sum(dEmbs))`. Weights: one tensor per
 * axis, `(1, 1, .., shape[a], .., 1, dEmbs[a])`. In predict mode the state is
 * the next position and inputs may come a few positions at a time.
 *
 * @example
 * ```ts
 * const ape = tl.AxialPositionalEncoding({ shape: [4, 3], dEmbs: [2, 6], mode: "eval" });
 * ape(tf.zeros([1, 12, 8])).shape; // [1, 12, 8]
 * ```
 */
export const AxialPositionalEncoding = callable(AxialPositionalEncodingLayer, "AxialPositionalEncoding", {
  positional: [],
  options: optionKeys<AxialPositionalEncodingOptions>({
    shape: true, dEmbs: true, kernelInitializer: true, dropout: true, dropoutBroadcastDims: true, mode: true,
  }),
});
export type AxialPositionalEncoding = AxialPositionalEncodingLayer;
