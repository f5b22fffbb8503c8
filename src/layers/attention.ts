/**
 * The attention module of the reference (`trax.layers.attention`): attention
 * layers, masks, head splitting, shifting and positional encodings, with
 * Trax's three modes (`train`, `eval`, `predict`) and `viz`.
 *
 * In `predict` mode the causal layers decode incrementally: keys and values of
 * the positions seen so far live in layer state, `PositionalEncoding` keeps
 * its position and `ShiftRight` does nothing, so feeding a decoder one token at
 * a time gives the outputs of the whole sequence in `eval` mode.
 *
 * In `viz` mode (eval otherwise) the layer that computes attention
 * probabilities keeps those of its last call as its **state**: a float32
 * tensor of shape `(batch, heads, queries, keys)`, each row summing to 1 and
 * exactly 0 at masked keys. The layers that hold it are `PureAttention` (inside
 * `Attention` and `AttentionQKV`), `DotProductCausalAttention` (inside
 * `CausalAttention`) and `DotProductAttention`; find them in a model with
 * `layer.sublayers` and read `.state`.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { dense } from "../fastmath/matmul";
import { fusedDecodeAttention } from "../backend/simd/wasm-decode-attention";
import { emptyDecodingCache, withRowsAt } from "../backend/decoding-cache";
import { fusedDecodeAttentionLayer, type DenseWeights } from "../backend/simd/wasm-decode-attention-layer";
import { addRows } from "../backend/wasm-add-rows";
import { roundToBfloat16 } from "../fastmath/bfloat16";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { EMPTY_STATE, Fn, Layer, LayerError, renameLayer } from "./base";
import type { State } from "./base";
import { callable } from "./callable";
import { inAbstractEvaluation } from "./abstract-eval";
import { Branch, Cache, Parallel, Select, Serial } from "./combinators";
import { Dense } from "./core";
import { GlorotUniformInitializer } from "./initializers";
import { broadcastsTo, causalBias, perHeadAttention, rowsOf, scalarOf, scalarValue, singleQueryAttention } from "./attention-math";
import { CausalDepthwiseConvFallback, SparseProjection } from "./attention-parts";
import { CausalDepthwiseConv } from "./convolution";
import { withArgs, optionKeys } from "./arg-check";
import { toInexact } from "./core/checks";
import type { ModeLike } from "./mode";
import { oneOutput, twoOutputs, type OneOutput, type TwoOutputs } from "./typed-output";

export { perHeadAttention, bmm, bmmT } from "./attention-math";

/** A mode of the attention layers. */
export type AttentionMode = "train" | "eval" | "predict" | "viz";

const MODES = ["train", "eval", "predict", "viz"];

function checkMode(layer: string, mode: string): AttentionMode {
  if (!MODES.includes(mode)) throw constructionError(layer, `mode must be one of ${MODES.join(", ")}; got '${mode}'`);
  return mode as AttentionMode;
}

function constructionError(layer: string, message: string): LayerError {
  return new LayerError(layer, "construct", null, new Error(message));
}

function checkHeads(layer: string, dFeature: number, nHeads: number): void {
  if (!Number.isInteger(nHeads) || nHeads <= 0) throw constructionError(layer, `nHeads must be a positive integer; got ${nHeads}`);
  if (dFeature % nHeads !== 0) {
    throw constructionError(
      layer,
      `Dimensionality of feature embedding (${dFeature}) is not a multiple of the requested number of attention heads (${nHeads}).`
    );
  }
}

/** Reshapes `(b*h, q, k)` probabilities to `(b, h, q, k)`; rank-4 stays. */
function vizLayout(probs: tf.Tensor, nHeads: number): tf.Tensor {
  if (probs.rank === 4) return probs;
  if (probs.rank === 3) {
    const [bh, q, k] = probs.shape;
    const h = bh % nHeads === 0 ? nHeads : 1;
    return probs.reshape([bh / h, h, q, k]);
  }
  return probs.reshape([1, 1, ...probs.shape.slice(-2)]);
}

// ------------------------------------------------------------ heads

/** Options of {@link SplitIntoHeads} and {@link MergeHeads}. */
export interface HeadsOptions {
  /** Merge batch and head axes (`(b*h, l, dHead)`, default true) or keep them apart (`(b, h, l, dHead)`). */
  mergedBatchAndHead?: boolean;
}

function splitHeads(x: tf.Tensor, nHeads: number, merged: boolean): tf.Tensor {
  if (x.rank !== 3) throw new Error(`SplitIntoHeads expects (batch, length, dFeature) of rank 3; got shape [${x.shape}]`);
  const [b, l, d] = x.shape;
  if (d % nHeads !== 0) {
    throw new Error(`Feature embedding dimensionality (${d}) is not a multiple of the requested number of attention heads (${nHeads}).`);
  }
  // One position (a decoding step): moving the head axis is a pure reshape.
  if (l === 1) return x.reshape(merged ? [b * nHeads, 1, d / nHeads] : [b, nHeads, 1, d / nHeads]);
  const y = x.reshape([b, l, nHeads, d / nHeads]).transpose([0, 2, 1, 3]);
  return merged ? y.reshape([b * nHeads, l, d / nHeads]) : y;
}

function mergeHeads(x: tf.Tensor, nHeads: number, merged: boolean): tf.Tensor {
  let y = x;
  if (merged) {
    if (x.rank !== 3) throw new Error(`MergeHeads expects (batch*heads, length, dHead) of rank 3; got shape [${x.shape}]`);
    const [d0, l, dh] = x.shape;
    if (d0 % nHeads !== 0) {
      throw new Error(`Array's leading dimension (${d0}) is not a multiple of the number of attention heads (${nHeads}).`);
    }
    // One position (a decoding step): moving the head axis back is one pure reshape.
    if (l === 1) return x.reshape([d0 / nHeads, 1, nHeads * dh]);
    y = x.reshape([d0 / nHeads, nHeads, l, dh]);
  } else if (x.rank !== 4 || x.shape[1] !== nHeads) {
    throw new Error(`MergeHeads expects (batch, ${nHeads} heads, length, dHead); got shape [${x.shape}]`);
  }
  const [b, h, l, dh] = y.shape;
  if (l === 1) return y.reshape([b, 1, h * dh]);
  return y.transpose([0, 2, 1, 3]).reshape([b, l, h * dh]);
}

/**
 * Reshapes activations for multi-head computation: `(b, l, d)` to
 * `(b*h, l, d/h)` (or `(b, h, l, d/h)` with `mergedBatchAndHead: false`).
 *
 * @example
 * ```ts
 * tl.SplitIntoHeads(2)(tf.ones([3, 5, 8])).shape; // [6, 5, 4]
 * ```
 */
export const SplitIntoHeads = withArgs("SplitIntoHeads", {
  positional: ["nHeads"],
  options: optionKeys<HeadsOptions>({
    mergedBatchAndHead: true,
  }),
}, function SplitIntoHeads(nHeads: number, options: HeadsOptions = {}): Layer {
  const merged = options.mergedBatchAndHead ?? true;
  return Fn("SplitIntoHeads", (x: tf.Tensor) => splitHeads(x, nHeads, merged));
});

/**
 * Rejoins heads after multi-head computation: `(b*h, l, dHead)` (or
 * `(b, h, l, dHead)`) to `(b, l, h*dHead)`.
 *
 * @example
 * ```ts
 * tl.MergeHeads(2)(tf.ones([6, 5, 4])).shape; // [3, 5, 8]
 * ```
 */
export const MergeHeads = withArgs("MergeHeads", {
  positional: ["nHeads"],
  options: optionKeys<HeadsOptions>({
    mergedBatchAndHead: true,
  }),
}, function MergeHeads(nHeads: number, options: HeadsOptions = {}): Layer {
  const merged = options.mergedBatchAndHead ?? true;
  return Fn("MergeHeads", (x: tf.Tensor) => mergeHeads(x, nHeads, merged));
});

// ----------------------------------------------------- DotProductAttention

/** Options of {@link DotProductAttention}. */
export interface DotProductAttentionOptions {
  /** Dropout rate on attention probabilities, in `train` mode (default 0). */
  dropout?: number;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
  /**
   * Heads merged into axis 0 of the inputs (trax-ts addition, default 1): in
   * `viz` mode, rank-3 probabilities `(b*h, q, k)` are kept as `(b, h, q, k)`.
   */
  nHeads?: number;
}

class DotProductAttentionLayer extends Layer {
  /** @internal */ _dropout: number;
  /** @internal */ _mode: AttentionMode;
  /** @internal */ _nHeads: number;

  constructor(options: DotProductAttentionOptions = {}) {
    super({ nIn: 4, nOut: 1 });
    this._dropout = options.dropout ?? 0;
    this._mode = checkMode("DotProductAttention", options.mode ?? "train");
    this._nHeads = options.nHeads ?? 1;
    checkMode("DotProductAttention", this._mode);
    if (this._dropout >= 1) throw constructionError("DotProductAttention", `Dropout rate (${this._dropout}) must be lower than 1.`);
  }

  forward([q, k, v, mask]: tf.Tensor[]): tf.Tensor {
    const [act, probs] = perHeadAttention(q, k, v, mask, { dropout: this._dropout, mode: this._mode, rng: this.rng });
    if (this._mode === "viz") this.state = vizLayout(probs, this._nHeads);
    return act;
  }
}

/**
 * Per-head scaled dot-product attention: `(Q, K, V, mask)` to
 * `softmax(Q K^T / sqrt(d), masked) V`.
 *
 * Inputs: `q (..., lq, d)`, `k (..., lk, d)`, `v (..., lk, dv)` already split
 * into heads, and a mask (nonzero/true = visible) broadcasting to
 * `(..., lq, lk)`. Output `(..., lq, dv)`.
 *
 * In `viz` mode the layer's **state** holds the attention probabilities of the
 * last call, float32 of shape `(batch, heads, queries, keys)` (rank-3 inputs
 * `(b*h, l, d)` are unmerged with the `nHeads` option).
 *
 * @example
 * ```ts
 * const att = tl.DotProductAttention({ mode: "eval" });
 * const q = tf.ones([1, 2, 3, 4]);
 * att([q, q, q, tf.ones([1, 1, 1, 3], "bool")]).shape; // [1, 2, 3, 4]
 * ```
 */
export const DotProductAttention = callable(DotProductAttentionLayer, "DotProductAttention", {
  positional: [],
  options: optionKeys<DotProductAttentionOptions>({
    dropout: true, mode: true, nHeads: true,
  }),
});
export type DotProductAttention = DotProductAttentionLayer;

// ------------------------------------------------------------ PureAttention

/** Options of {@link PureAttention}. */
export interface PureAttentionOptions {
  /** Number of heads (default 1). */
  nHeads?: number;
  /** Dropout rate on attention probabilities, in `train` mode (default 0). */
  dropout?: number;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
}

class PureAttentionLayer extends Layer {
  /** @internal */ _nHeads: number;
  /** @internal */ _dropout: number;
  /** @internal */ _mode: AttentionMode;

  constructor(options: PureAttentionOptions = {}) {
    super({ nIn: 4, nOut: 2 });
    this._nHeads = options.nHeads ?? 1;
    this._dropout = options.dropout ?? 0;
    this._mode = checkMode("PureAttention", options.mode ?? "train");
    if (this._dropout >= 1) throw constructionError("PureAttention", `Dropout rate (${this._dropout}) must be lower than 1.`);
  }

  forward([q, k, v, mask]: tf.Tensor[]): tf.Tensor[] {
    const h = this._nHeads;
    const d = q.shape[q.rank - 1];
    if (d % h !== 0) {
      throw new Error(`Dimensionality of feature embedding (${d}) is not a multiple of the requested number of attention heads (${h}).`);
    }
    const logits = [q.shape[0], h, q.shape[1], k.shape[1]] as number[];
    if (mask && !broadcastsTo(mask.shape, logits)) {
      throw new Error(`mask of shape [${mask.shape}] does not broadcast to (batch, heads, queries, keys) = [${logits}]; a padding mask is (batch, 1, 1, keys)`);
    }
    const [act, probs] = perHeadAttention(splitHeads(q, h, false), splitHeads(k, h, false), splitHeads(v, h, false), mask, {
      dropout: this._dropout, mode: this._mode, rng: this.rng,
    });
    if (this._mode === "viz") this.state = probs;
    return [mergeHeads(act, h, false), mask];
  }
}

/**
 * The inner workings of multi-head attention: `(Q, K, V, mask)` to
 * `(activations, mask)`, splitting `Q`, `K`, `V` of shape `(b, l, d)` into
 * `nHeads` heads, attending, and merging back to `(b, lq, d)`.
 *
 * In `viz` mode the state holds the probabilities `(batch, heads, queries, keys)`.
 *
 * @example
 * ```ts
 * const x = tf.ones([2, 3, 8]);
 * const [y, mask] = tl.PureAttention({ nHeads: 2 })([x, x, x, tf.ones([2, 1, 1, 3], "bool")]);
 * y.shape; // [2, 3, 8]
 * ```
 */
export const PureAttention = callable(PureAttentionLayer, "PureAttention", {
  positional: [],
  options: optionKeys<PureAttentionOptions>({
    nHeads: true, dropout: true, mode: true,
  }),
});
export type PureAttention = PureAttentionLayer;

// ------------------------------------------------------------- AttentionQKV

/** Options of {@link AttentionQKV}. */
export interface AttentionQKVOptions {
  /** Number of heads (default 1). */
  nHeads?: number;
  /** Attention dropout rate in `train` mode (default 0). */
  dropout?: number;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
  /** In `predict` mode, compute the K and V projections once and reuse them (default false). */
  cacheKVInPredict?: boolean;
  /**
   * How queries are projected: `null` a Dense layer (default), `"noop"` none,
   * an integer `s` a multiplicative sparse projection (FactoredDense with `s`
   * modules, then a local convolution over modules and positions), as Trax.
   */
  qSparsity?: number | "noop" | null;
  /** Projection of the result, as `qSparsity`. */
  resultSparsity?: number | "noop" | null;
}

function sparsifiableDense(dFeature: number, sparsity: number | "noop" | null | undefined, mode: string): Layer {
  if (sparsity === null || sparsity === undefined) return Dense(dFeature);
  if (sparsity === "noop") return Serial();
  if (!Number.isInteger(sparsity) || sparsity <= 0) {
    throw constructionError("AttentionQKV", `sparsity must be null, "noop" or a positive integer; got ${String(sparsity)}`);
  }
  if (dFeature % sparsity !== 0) {
    throw constructionError("AttentionQKV", `dFeature (${dFeature}) must be a multiple of the sparsity (${sparsity}).`);
  }
  return SparseProjection(sparsity, dFeature, mode);
}

/**
 * Multi-head attention from separate sources: `(AQ, AK, AV, mask)` to
 * `(activations, mask)`. Projects `AQ (b, lq, dq)`, `AK (b, lk, dk)`,
 * `AV (b, lk, dv)` to `dFeature`, attends with `nHeads` heads and projects the
 * result: output `(b, lq, dFeature)`; the mask `(b, 1, 1|lq, lk)` passes through.
 * In `viz` mode its `PureAttention` sublayer keeps the probabilities
 * `(batch, heads, lq, lk)` as state.
 *
 * @example
 * ```ts
 * const att = tl.AttentionQKV(8, { nHeads: 2, mode: "eval" });
 * const [y] = att([tf.ones([1, 2, 8]), tf.ones([1, 5, 8]), tf.ones([1, 5, 8]), tf.ones([1, 1, 1, 5], "bool")]);
 * y.shape; // [1, 2, 8]
 * ```
 */
export const AttentionQKV = withArgs("AttentionQKV", {
  positional: ["dFeature"],
  options: optionKeys<AttentionQKVOptions>({
    nHeads: true, dropout: true, mode: true, cacheKVInPredict: true, qSparsity: true, resultSparsity: true,
  }),
}, function AttentionQKV(dFeature: number, options: AttentionQKVOptions = {}): TwoOutputs {
  const nHeads = options.nHeads ?? 1;
  const mode = options.mode ?? "train";
  checkHeads("AttentionQKV", dFeature, nHeads);
  checkMode("AttentionQKV", mode);
  const cacheable = () => (options.cacheKVInPredict && mode === "predict" ? Cache(Dense(dFeature)) : Dense(dFeature));
  return twoOutputs(
    Serial(
      Parallel(sparsifiableDense(dFeature, options.qSparsity, mode), cacheable(), cacheable()),
      PureAttention({ nHeads, dropout: options.dropout ?? 0, mode }),
      sparsifiableDense(dFeature, options.resultSparsity, mode),
      { name: "AttentionQKV" }
    )
  );
});

/** Options of {@link Attention}. */
export interface AttentionOptions {
  /** Number of heads (default 1). */
  nHeads?: number;
  /** Attention dropout rate in `train` mode (default 0). */
  dropout?: number;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
}

/**
 * Multi-head self-attention with a padding mask: `(x, mask)` to
 * `(newX, mask)`, `x` of shape `(b, l, dFeature)`, mask `(b, 1, 1, l)` (as
 * {@link PaddingMask} makes it); masked positions get no attention.
 * In `viz` mode its `PureAttention` sublayer keeps the probabilities
 * `(batch, heads, l, l)` as state.
 *
 * @example
 * ```ts
 * const att = tl.Attention(8, { nHeads: 2, mode: "eval" });
 * const [y, mask] = att([tf.ones([1, 3, 8]), tf.tensor([[[[1, 1, 0]]]]).cast("bool")]);
 * y.shape; // [1, 3, 8]
 * ```
 */
export const Attention = withArgs("Attention", {
  positional: ["dFeature"],
  options: optionKeys<AttentionOptions>({
    nHeads: true, dropout: true, mode: true,
  }),
}, function Attention(dFeature: number, options: AttentionOptions = {}): TwoOutputs {
  return twoOutputs(Serial(Select([0, 0, 0]), AttentionQKV(dFeature, options), { name: "Attention" }));
});

// ---------------------------------------------------- ConfigurableAttention

/** Options of {@link ConfigurableAttention}. */
export interface ConfigurableAttentionOptions {
  /** Number of heads (default 1). */
  nHeads?: number;
}

/**
 * Multi-head self-attention from configurable parts: `qLayer`, `kLayer`,
 * `vLayer` map `x (b, l, d)` to queries, keys and values, which are split
 * into heads; `qkvAttentionLayer` attends (3 inputs, per head); heads are
 * merged and `finalLayer` maps the result back. Input and output `(b, l, d)`.
 *
 * @example
 * ```ts
 * const att = tl.ConfigurableAttention(tl.Dense(8), tl.Dense(8), tl.Dense(8), tl.Dense(8),
 *   tl.DotProductCausalAttention({ mode: "eval" }), { nHeads: 2 });
 * att(tf.ones([1, 3, 8])).shape; // [1, 3, 8]
 * ```
 */
export const ConfigurableAttention = withArgs("ConfigurableAttention", {
  positional: ["qLayer", "kLayer", "vLayer", "finalLayer", "qkvAttentionLayer"],
  options: optionKeys<ConfigurableAttentionOptions>({
    nHeads: true,
  }),
}, function ConfigurableAttention(
  qLayer: Layer, kLayer: Layer, vLayer: Layer, finalLayer: Layer, qkvAttentionLayer: Layer,
  options: ConfigurableAttentionOptions = {}
): Layer {
  return new ConfigurableAttentionLayer(qLayer, kLayer, vLayer, finalLayer, qkvAttentionLayer, options.nHeads ?? 1);
});

/**
 * ConfigurableAttention's layers: `Serial(Branch([q, split], [k, split],
 * [v, split]), attention, merge, final)`. A `predict`-mode step of one
 * position, where the projections are plain `Dense` layers and the
 * attention is a `DotProductCausalAttention`, runs as one wasm kernel
 * (`fusedDecodeAttentionLayer`) with the same results; everything else
 * runs the layers.
 */
class ConfigurableAttentionLayer extends Serial {
  /** @internal */ _splits: Layer[];
  /** @internal */ _merge: Layer;
  /** @internal */ _nHeads: number;

  constructor(qLayer: Layer, kLayer: Layer, vLayer: Layer, finalLayer: Layer, qkvAttentionLayer: Layer, nHeads: number) {
    const splits = [0, 1, 2].map(() => SplitIntoHeads(nHeads));
    const merge = MergeHeads(nHeads);
    super(
      Branch([qLayer, splits[0]], [kLayer, splits[1]], [vLayer, splits[2]]),
      qkvAttentionLayer,
      merge,
      finalLayer,
      { name: "ConfigurableAttention" }
    );
    this._splits = splits;
    this._merge = merge;
    this._nHeads = nHeads;
  }

  forward(x: unknown): any {
    return this.decodingStep(x) ?? super.forward(x);
  }

  /**
   * The projections (q, k, v, final) and the attention layer as the tree
   * holds them now (sublayers may have been replaced since construction),
   * or `null` when the tree no longer has this layer's shape.
   */
  private parts(): { projections: Layer[]; attention: Layer } | null {
    const subs = this._sublayers;
    if (subs.length !== 4 || subs[2] !== this._merge) return null;
    const arms = subs[0].sublayers[1]?.sublayers;
    if (!arms || arms.length !== 3) return null;
    const projections: Layer[] = [];
    for (let i = 0; i < 3; i++) {
      const arm = arms[i].sublayers;
      if (arm.length !== 2 || arm[1] !== this._splits[i]) return null;
      projections.push(arm[0]);
    }
    projections.push(subs[3]);
    return { projections, attention: subs[1] };
  }

  /** A predict-mode step of one position as one kernel, or `null` where the layers must run. */
  private decodingStep(x: unknown): tf.Tensor | null {
    if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[1] !== 1 || inAbstractEvaluation()) return null;
    const parts = this.parts();
    const attention = parts?.attention;
    if (!(attention instanceof DotProductCausalAttentionLayer) || attention._mode !== "predict") return null;
    const [q, k, v, out] = parts!.projections.map(plainDenseWeights);
    if (!q || !k || !v || !out) return null;
    const state = attention.state;
    if (!Array.isArray(state) || state.length !== 3) return null;
    const [keys, values, indexT] = state as tf.Tensor[];
    const index = scalarValue(indexT);
    // A full cache: the layers say so.
    if (index + 1 > attention.maxInferenceLength) return null;
    const step = fusedDecodeAttentionLayer(x, { q, k, v, out }, keys, values, index, this._nHeads);
    if (!step) return null;
    attention.state = [step[1], step[2], scalarOf(index + 1)];
    return step[0];
  }
}

/** `[w, b]` of a Dense layer of trax-ts's own class with a float32 bias, else `undefined`. */
function plainDenseWeights(layer: Layer): DenseWeights | undefined {
  if (Object.getPrototypeOf(layer) !== Dense.prototype) return undefined;
  const dense = layer as Dense;
  if (!dense._useBias || dense._useBfloat16) return undefined;
  const weights = dense.weights;
  if (!Array.isArray(weights) || weights.length !== 2 || !weights.every((w) => w instanceof tf.Tensor)) return undefined;
  return weights as unknown as DenseWeights;
}

// --------------------------------------------- DotProductCausalAttention

/** Options of {@link DotProductCausalAttention}. */
export interface DotProductCausalAttentionOptions {
  /** Dropout rate on attention probabilities, in `train` mode (default 0). */
  dropout?: number;
  /** Most positions `predict` mode can hold (default 2048). */
  maxInferenceLength?: number;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
  /** Heads merged into axis 0 (trax-ts addition, for the `viz` state layout; default 1). */
  nHeads?: number;
}

class DotProductCausalAttentionLayer extends Layer {
  /** @internal */ _dropout: number;
  /** @internal */ _maxLen: number;
  /** @internal */ _mode: AttentionMode;
  /** @internal */ _nHeads: number;

  constructor(options: DotProductCausalAttentionOptions = {}) {
    super({ nIn: 3, nOut: 1 });
    this._dropout = options.dropout ?? 0;
    this._maxLen = options.maxInferenceLength ?? 2048;
    this._mode = checkMode("DotProductCausalAttention", options.mode ?? "train");
    this._nHeads = options.nHeads ?? 1;
    checkMode("DotProductCausalAttention", this._mode);
    if (this._dropout >= 1) throw constructionError("DotProductCausalAttention", `Dropout rate (${this._dropout}) must be lower than 1.`);
    if (!Number.isInteger(this._maxLen) || this._maxLen <= 0) {
      throw constructionError("DotProductCausalAttention", `maxInferenceLength must be a positive integer; got ${this._maxLen}`);
    }
  }

  /** The most positions the predict-mode cache holds. */
  get maxInferenceLength(): number {
    return this._maxLen;
  }

  forward([q, k, v]: tf.Tensor[]): tf.Tensor {
    if (this._mode !== "predict") {
      const length = q.shape[q.rank - 2];
      if (k.shape[k.rank - 2] !== length) {
        throw new Error(`causal attention needs as many keys as queries; got queries [${q.shape}] and keys [${k.shape}]`);
      }
      const [act, probs] = perHeadAttention(q, k, v, null, {
        bias: causalBias(length, length), dropout: this._dropout, mode: this._mode, rng: this.rng,
      });
      if (this._mode === "viz") this.state = vizLayout(probs, this._nHeads);
      return act;
    }
    return this.predictStep(q, k, v);
  }

  /** One predict-mode call: write the new keys/values into the cache at its index and attend over every position held. */
  private predictStep(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
    const state = this.state as tf.Tensor[];
    if (!Array.isArray(state) || state.length !== 3) {
      throw new Error(`${this.name} in predict mode has no decoding cache; initialize it with init(signature) first`);
    }
    const [ks, vs, idxT] = state;
    if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) {
      throw new Error(`predict mode expects queries, keys and values of shape (batch, length, depth); got [${q.shape}], [${k.shape}], [${v.shape}]`);
    }
    const [b, len] = k.shape;
    if (ks.rank !== 3 || vs.rank !== 3 || b !== ks.shape[0] || b !== vs.shape[0] || k.shape[2] !== ks.shape[2] || v.shape[2] !== vs.shape[2]
      || v.shape[1] !== len || q.shape[1] !== len || ks.shape[1] !== vs.shape[1]) {
      throw new Error(
        `predict-mode inputs [${q.shape}], [${k.shape}], [${v.shape}] do not fit the decoding cache of keys [${ks.shape}] and values [${vs.shape}]`
      );
    }
    const idx = scalarValue(idxT);
    const capacity = Math.min(this._maxLen, ks.shape[1] as number);
    if (idx + len > capacity) {
      throw new Error(
        `predict mode: ${idx} positions are cached and ${len} more came, beyond maxInferenceLength ${capacity}; the cache is left as it was`
      );
    }
    const total = idx + len;
    // Shapes only (init, an output signature): nothing to compute, and the cache must not be written.
    if (inAbstractEvaluation()) return tf.zeros([b as number, len as number, vs.shape[2] as number]);
    // One new position (a token being decoded) sees every cached one: no mask needed;
    // on wasm one kernel writes it into the cache and attends.
    const fused = len === 1 ? fusedDecodeAttention(q, k, v, ks, vs, idx) : null;
    if (fused) {
      this.state = [fused[1], fused[2], scalarOf(total)];
      return fused[0];
    }
    const newKs = withRowsAt(ks, k, idx, [vs]);
    const newVs = withRowsAt(vs, v, idx, [newKs]);
    // Attention reads the positions held, not the scratch rows past them.
    const [held, heldValues] = total === ks.shape[1] ? [newKs, newVs] : [positionsHeld(newKs, total), positionsHeld(newVs, total)];
    const act = len === 1
      ? singleQueryAttention(q, held, heldValues)
      : perHeadAttention(q, held, heldValues, null, { bias: causalBias(len, total, idx), dropout: 0, mode: "predict" })[0];
    this.state = [newKs, newVs, scalarOf(total)];
    return act;
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (this._mode !== "predict") return;
    const sigs = inputSignature as ShapeDtype[];
    if (!Array.isArray(sigs) || sigs.length !== 3) throw new Error(`${this.name} takes (queries, keys, values)`);
    const [, sk, sv] = sigs;
    if (sk.rank !== 3 || sv.rank !== 3) {
      throw new Error(`predict mode expects keys and values of shape (batch, length, depth); got [${sk.shape}] and [${sv.shape}]`);
    }
    const b = sk.shape[0] as number;
    const keys = emptyDecodingCache(b, this._maxLen, sk.shape[2] as number, sk.dtype);
    let values: tf.Tensor;
    try {
      values = emptyDecodingCache(b, this._maxLen, sv.shape[2] as number, sv.dtype);
    } catch (e) {
      keys.dispose();
      throw e;
    }
    this.state = [keys, values, scalarOf(0)];
  }
}

/** The first `n` positions of a cache `(items, capacity, depth)`. */
function positionsHeld(cache: tf.Tensor, n: number): tf.Tensor {
  return tf.slice(cache, [0, 0, 0], [cache.shape[0] as number, n, cache.shape[2] as number]);
}

/**
 * Per-head causal attention: `(Q, K, V)` to activations, each position
 * attending only to itself and earlier ones. Inputs `(b*h, l, d)` (already
 * split into heads); output `(b*h, l, dv)`.
 *
 * In `predict` mode the **state** is Trax's decoding cache
 * `[keys (b*h, maxInferenceLength, d), values (b*h, maxInferenceLength, dv),
 * index]`: the first `index` positions (an int32 scalar, 0 after init) are
 * those seen so far. Each call writes its positions at the index and
 * attends over all positions held; several positions in one call (a
 * prompt) are masked causally among themselves. A call that would pass
 * `maxInferenceLength` throws a `LayerError` and leaves the cache as it was.
 *
 * Rows at and past the index are scratch: where no state can see the change
 * (on wasm, no gradient recorded) a step writes its positions into the
 * buffers in place instead of copying them, so an earlier state's buffers
 * may show positions decoded after it. Its own positions never change:
 * decoding on from an earlier state copies them first. In `viz` mode the state holds
 * the probabilities `(batch, heads, queries, keys)`.
 *
 * @example
 * ```ts
 * const att = tl.DotProductCausalAttention({ mode: "eval" });
 * const x = tf.randomNormal([2, 4, 8]);
 * att([x, x, x]).shape; // [2, 4, 8]
 * ```
 */
export const DotProductCausalAttention = callable<typeof DotProductCausalAttentionLayer, tf.Tensor>(DotProductCausalAttentionLayer, "DotProductCausalAttention", {
  positional: [],
  options: optionKeys<DotProductCausalAttentionOptions>({
    dropout: true, maxInferenceLength: true, mode: true, nHeads: true,
  }),
});
export type DotProductCausalAttention = DotProductCausalAttentionLayer;

// ---------------------------------------------------------- CausalAttention

/** Options of {@link CausalAttention}. */
export interface CausalAttentionOptions {
  /** Number of heads (default 1). */
  nHeads?: number;
  /** Attention dropout rate in `train` mode (default 0). */
  dropout?: number;
  /** Most positions `predict` mode can hold (default 2048). */
  maxInferenceLength?: number;
  /** Add a causal depthwise convolution after each Q, K, V projection (default false). */
  useDconv?: boolean;
  /** `train`, `eval`, `predict` or `viz` (default `train`). */
  mode?: ModeLike<AttentionMode>;
}

/**
 * Multi-head causal self-attention: `(b, l, dFeature)` to `(b, l, dFeature)`,
 * each position attending only to itself and earlier ones. In `predict` mode
 * it decodes incrementally (see {@link DotProductCausalAttention}); in `viz`
 * mode its `DotProductCausalAttention` sublayer keeps the probabilities
 * `(batch, heads, l, l)` as state.
 *
 * @example
 * ```ts
 * const att = tl.CausalAttention(8, { nHeads: 2, mode: "eval" });
 * att(tf.ones([1, 5, 8])).shape; // [1, 5, 8]
 * ```
 */
export const CausalAttention = withArgs("CausalAttention", {
  positional: ["dFeature"],
  options: optionKeys<CausalAttentionOptions>({
    nHeads: true, dropout: true, maxInferenceLength: true, useDconv: true, mode: true,
  }),
}, function CausalAttention(dFeature: number, options: CausalAttentionOptions = {}): OneOutput {
  const nHeads = options.nHeads ?? 1;
  const mode = options.mode ?? "train";
  checkHeads("CausalAttention", dFeature, nHeads);
  checkMode("CausalAttention", mode);
  const qkv = () => (options.useDconv ? Serial(Dense(dFeature), causalDepthwiseConv(mode)) : Dense(dFeature));
  return oneOutput(
    withName(
      ConfigurableAttention(qkv(), qkv(), qkv(), Dense(dFeature),
        DotProductCausalAttention({ dropout: options.dropout ?? 0, maxInferenceLength: options.maxInferenceLength ?? 2048, mode, nHeads }),
        { nHeads }),
      "CausalAttention"
    )
  );
});

function withName(layer: Layer, name: string): Layer {
  renameLayer(layer, name);
  return layer;
}

/**
 * `tl.CausalDepthwiseConv` (kernel 3), as Trax's `useDconv`. Trax's layer has
 * no predict mode; in `predict` mode a private layer with the same math and
 * weights `(3, d)` remembers the last two inputs, so decoding step by step
 * matches the whole sequence.
 */
function causalDepthwiseConv(mode: string): Layer {
  return mode === "predict" ? CausalDepthwiseConvFallback(3, mode) : CausalDepthwiseConv({ kernelSize: 3 });
}

// ------------------------------------------------------------------ shifts

/** Options of {@link ShiftRight}. */
export interface ShiftRightOptions {
  /** How many positions to shift by (default 1). */
  nPositions?: number;
  /** `train`, `eval` or `predict` (predict: no shift) (default `train`). */
  mode?: ModeLike<AttentionMode>;
}

/**
 * Shifts sequences right along axis 1 by `nPositions`, padding with zeros
 * (the last positions drop off). In `predict` mode it does nothing: the
 * decoder is fed the already-shifted tokens, one call after another.
 *
 * Input `(b, l, ...)`, output the same shape and dtype.
 *
 * @example
 * ```ts
 * tl.ShiftRight()(tf.tensor([[1, 2, 3]])); // [[0, 1, 2]]
 * tl.ShiftRight({ nPositions: 2 })(tf.tensor([[1, 2, 3]])); // [[0, 0, 1]]
 * ```
 */
export const ShiftRight = withArgs("ShiftRight", {
  positional: [],
  options: optionKeys<ShiftRightOptions>({
    nPositions: true, mode: true,
  }),
}, function ShiftRight(options: ShiftRightOptions = {}): Layer {
  if (typeof options !== "object" || options === null) {
    throw constructionError("ShiftRight", `ShiftRight takes an options object ({ nPositions, mode }); got ${String(options)}`);
  }
  const nPositions = options.nPositions ?? 1;
  const mode = options.mode ?? "train";
  checkMode("ShiftRight", mode);
  if (!Number.isInteger(nPositions) || nPositions < 0) {
    throw constructionError("ShiftRight", `nPositions must be a non-negative integer; got ${nPositions}`);
  }
  return Fn(`ShiftRight(${nPositions})`, (x: tf.Tensor) => {
    if (mode === "predict") return x;
    if (x.rank < 2) throw new Error(`ShiftRight expects (batch, length, ...) of rank >= 2; got shape [${x.shape}]`);
    const l = x.shape[1] as number;
    const n = Math.min(nPositions, l);
    if (n === 0) return x.clone();
    const pads = x.shape.map((): [number, number] => [0, 0]);
    pads[1] = [n, 0];
    const kept = x.slice(x.shape.map(() => 0), [x.shape[0], l - n, ...x.shape.slice(2)] as number[]);
    return tf.pad(kept, pads);
  });
});

// ------------------------------------------------------------------- masks

/** Options of {@link PaddingMask}. */
export interface PaddingMaskOptions {
  /** The id that marks padding (default 0). */
  pad?: number;
}

/**
 * Padding mask from token ids: `(b, l)` to a boolean `(b, 1, 1, l)`, true
 * where the id is not `pad` (broadcasts over heads and query positions).
 *
 * @example
 * ```ts
 * tl.PaddingMask()(tf.tensor([[5, 7, 0]])); // [[[[true, true, false]]]]
 * ```
 */
export const PaddingMask = withArgs("PaddingMask", {
  positional: [],
  options: optionKeys<PaddingMaskOptions>({
    pad: true,
  }),
}, function PaddingMask(options: PaddingMaskOptions = {}): Layer {
  const pad = options.pad ?? 0;
  return Fn(`PaddingMask(${pad})`, (x: tf.Tensor) => {
    if (x.rank !== 2) {
      throw new Error(`Input to PaddingMask must be a 2-D array with shape (batch_size, sequence_length); instead got shape [${x.shape}].`);
    }
    const [b, l] = x.shape;
    return tf.notEqual(x, tf.scalar(pad, x.dtype)).reshape([b, 1, 1, l]);
  });
});

/**
 * Mask for encoder-decoder attention: `(decoderInput (b, ld, d), mask (b, ..., le))`
 * to a float32 `(b, 1, ld, le)` (1 = visible), as Trax's `mask + zeros`.
 *
 * @example
 * ```ts
 * tl.EncoderDecoderMask()([tf.ones([1, 2, 4]), tf.tensor([[[[1, 0, 1]]]])]).shape; // [1, 1, 2, 3]
 * ```
 */
export const EncoderDecoderMask = withArgs("EncoderDecoderMask", {
  positional: [],
  options: [],
}, function EncoderDecoderMask(): Layer {
  return Fn("EncoderDecoderMask", (decoderInput: tf.Tensor, mask: tf.Tensor) => {
    if (decoderInput.rank !== 3) {
      throw new Error(
        `Decoder input to EncoderDecoderMask must be a 3-D array with shape (batch_size, decoder_sequence_length, d_model); instead got shape [${decoderInput.shape}].`
      );
    }
    const b = mask.shape[0];
    const le = mask.shape[mask.rank - 1];
    if (mask.size !== b * le) throw new Error(`EncoderDecoderMask expects a padding mask of b*le = ${b}*${le} entries, as (b, 1, 1, le); got shape [${mask.shape}]`);
    if (b !== decoderInput.shape[0]) throw new Error(`batch sizes differ: decoder input [${decoderInput.shape}], mask [${mask.shape}]`);
    const m = mask.cast("float32").reshape([b, 1, 1, le]);
    return tf.add(m, tf.zeros([1, 1, decoderInput.shape[1] as number, 1]));
  });
});

// ------------------------------------------------------- PositionalEncoding

/** Options of {@link PositionalEncoding}. */
export interface PositionalEncodingOptions {
  /** Maximum sequence length (default 2048). */
  maxLen?: number;
  /** Probability of *not* adding the encoding, in `train` mode (default 0). */
  dropout?: number;
  /** Axes along which the dropout mask is shared (default `[-2]`: the same for every position). */
  dropoutBroadcastDims?: number[];
  /** Round the encodings to bfloat16 precision (stored as float32) (default false). */
  useBfloat16?: boolean;
  /** In `train` mode, how often to start from position 0 (default 1: always). */
  startFromZeroProb?: number;
  /** In `train` mode, the largest random offset added to positions when not starting from 0 (default 0). */
  maxOffsetToAdd?: number;
  /** Depth of the sinusoids; when set, a trained `(dFeature, d)` matrix maps them to the input depth (default null). */
  dFeature?: number | null;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<AttentionMode>;
}

class PositionalEncodingLayer extends Layer {
  /** @internal */ _maxLen: number;
  /** @internal */ _dropout: number;
  /** @internal */ _dropoutBroadcastDims: number[];
  /** @internal */ _useBfloat16: boolean;
  /** @internal */ _startFromZeroProb: number;
  /** @internal */ _maxOffsetToAdd: number;
  /** @internal */ _dFeature: number | null;
  /** @internal */ _mode: AttentionMode;

  constructor(options: PositionalEncodingOptions = {}) {
    super({ name: "PositionalEncoding" });
    this._maxLen = options.maxLen ?? 2048;
    const dropout = options.dropout ?? 0;
    if (dropout >= 1.0) throw constructionError("PositionalEncoding", "Dropout rates must be lower than 1.");
    this._mode = checkMode("PositionalEncoding", options.mode ?? "train");
    this._dropout = this._mode === "train" ? dropout : 0;
    this._dropoutBroadcastDims = options.dropoutBroadcastDims ?? [-2];
    this._useBfloat16 = options.useBfloat16 ?? false;
    this._startFromZeroProb = options.startFromZeroProb ?? 1.0;
    this._maxOffsetToAdd = options.maxOffsetToAdd ?? 0;
    this._dFeature = options.dFeature ?? null;
  }

  /** Encodings for positions `start .. start+length-1`: `(1, length, d)`. */
  private encodings(start: number, length: number, d: number): tf.Tensor {
    let pe: tf.Tensor;
    if (this._dFeature !== null) {
      const [w, ff] = this.weights as tf.Tensor[];
      pe = dense(rowsOf(w, start, length), ff);
    } else {
      const w = this.weights as tf.Tensor;
      pe = rowsOf(w.rank === 3 ? w.reshape(w.shape.slice(1)) : w, start, length);
    }
    if (pe.shape[pe.shape.length - 1] !== d) {
      throw new Error(`PositionalEncoding has encodings of depth ${pe.shape[pe.shape.length - 1]}; the input has depth ${d}`);
    }
    return pe.reshape([1, length, d]);
  }

  /** `x (b, length, d)` plus the encodings of positions `start ..`: one kernel where it runs (a 2-D table, nothing recorded), else the ops. */
  private withEncodings(x: tf.Tensor, start: number, length: number, d: number): tf.Tensor {
    const table = this._dFeature === null ? (this.weights as tf.Tensor) : null;
    const fused = table && table.rank === 2 && table.shape[1] === d ? addRows(x, table, start) : null;
    return fused ?? x.add(this.encodings(start, length, d));
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    if (x.rank !== 3) throw new Error(`PositionalEncoding expects (batch, length, depth); got shape [${x.shape}]`);
    const [, length, d] = x.shape;
    if (this._mode === "predict") {
      const pos = scalarValue(this.state as tf.Tensor);
      if (pos + length > this._maxLen) {
        throw new Error(`PositionalEncoding in predict mode is at position ${pos}; ${length} more positions pass maxLen ${this._maxLen}`);
      }
      const out = this.withEncodings(x, pos, length, d);
      this.state = scalarOf(pos + length);
      return out;
    }
    if (length > this._maxLen) throw new Error(`PositionalEncoding: sequence of length ${length} is longer than maxLen ${this._maxLen}`);
    let start = 0;
    if (this._mode === "train" && this._startFromZeroProb < 1.0) {
      const [rng1, rng2] = random.split(this.rng, 2);
      const offset = this._maxOffsetToAdd > 0 ? random.randintArray(rng1, 1, 0, this._maxOffsetToAdd)[0] : 0;
      const u = random.uniformArray(rng2, 1)[0];
      start = u < this._startFromZeroProb ? 0 : offset;
      if (start + length > this._maxLen) {
        throw new Error(`PositionalEncoding: offset ${start} plus length ${length} passes maxLen ${this._maxLen}; lower maxOffsetToAdd`);
      }
    }
    if (this._dropout === 0) return this.withEncodings(x, start, length, d);
    const px = this.encodings(start, length, d);
    const noiseShape = [...px.shape];
    for (const dim of this._dropoutBroadcastDims) noiseShape[dim < 0 ? dim + noiseShape.length : dim] = 1;
    const keepProb = 1.0 - this._dropout;
    const keep = random.bernoulli(this.rng, keepProb, noiseShape);
    return x.add(px.mul(keep.cast("float32").div(keepProb)));
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const dIn = inputSignature.shape[inputSignature.rank - 1];
    const d = this._dFeature ?? dIn;
    const pe = new Float32Array(this._maxLen * d);
    for (let pos = 0; pos < this._maxLen; pos++) {
      for (let i = 0; i < d; i += 2) {
        const angle = pos * Math.exp(i * -(Math.log(10000.0) / d));
        pe[pos * d + i] = Math.sin(angle);
        if (i + 1 < d) pe[pos * d + i + 1] = Math.cos(angle);
      }
    }
    let w: tf.Tensor = tf.tensor2d(pe, [this._maxLen, d]);
    if (this._useBfloat16) {
      const r = tf.tidy(() => roundToBfloat16(w));
      w.dispose();
      w = r;
    }
    if (this._dFeature !== null) {
      const ff = GlorotUniformInitializer()([d, dIn], this.rng);
      this.weights = [w, ff];
    } else {
      this.weights = w;
    }
    this.state = this._mode === "predict" ? scalarOf(0) : (EMPTY_STATE as State);
  }
}

/**
 * Adds sinusoidal positional encodings: `pe[pos, 2i] = sin(pos / 10000^(2i/d))`,
 * `pe[pos, 2i+1] = cos(pos / 10000^(2i/d))` (trainable weights `(maxLen, d)`).
 * Input and output `(b, l, d)`.
 *
 * In `train` mode, `dropout` leaves out the encoding at random (the mask is
 * shared along `dropoutBroadcastDims`), and with `startFromZeroProb < 1`
 * positions start at a random offset below `maxOffsetToAdd`. In `predict` mode
 * the state is the next position (int32 scalar), so tokens can be fed one at
 * a time.
 *
 * @example
 * ```ts
 * const pe = tl.PositionalEncoding({ maxLen: 16, mode: "eval" });
 * pe(tf.zeros([1, 3, 4])); // the encodings of positions 0, 1, 2
 * ```
 */
export const PositionalEncoding = callable<typeof PositionalEncodingLayer, tf.Tensor>(PositionalEncodingLayer, "PositionalEncoding", {
  positional: [],
  options: optionKeys<PositionalEncodingOptions>({
    maxLen: true, dropout: true, dropoutBroadcastDims: true, useBfloat16: true, startFromZeroProb: true,
    maxOffsetToAdd: true, dFeature: true, mode: true,
  }),
});
export type PositionalEncoding = PositionalEncodingLayer;
