/**
 * The Reformer language model, as `trax.models.reformer.ReformerLM`: a
 * reversible Transformer decoder (two activation halves, reversible
 * half-residual attention and feed-forward) over efficient attention
 * (`tl.SelfAttention`, `tl.LSHSelfAttention`). The layer tree is Trax's.
 * @module
 */
import * as tl from "../layers";
import type { Layer } from "../layers/base";
import { recordedConstructor } from "../layers/constructor-call";
import { checkModelOptions } from "./options";
import type { LayerFactory, ModelMode } from "./options";

/** What an efficient attention constructor receives from the Reformer, as Trax's `ApplyAttentionLayer` passes it. */
export interface ReformerAttentionOptions {
  nHeads: number;
  dQk: number;
  dV: number;
  causal: boolean;
  masked: boolean;
  outputDropout: number;
  attentionDropout: number;
  mode: ModelMode;
}

/**
 * An attention constructor for the Reformer: `tl.SelfAttention`,
 * `tl.LSHSelfAttention`, or any function of these options. `tl.CausalAttention`
 * and `tl.Attention` are accepted too (called as `(dModel, { nHeads,
 * dropout, mode })`, as Trax falls back to), through a cast.
 */
export type ReformerAttentionType = (options: ReformerAttentionOptions) => Layer;

/** Options of {@link ReformerLM} (Trax's keyword arguments and defaults). */
export interface ReformerLMOptions {
  /** Depth of each of the two activation halves (default 512). */
  dModel?: number;
  /** Feed-forward hidden depth (default 2048). */
  dFf?: number;
  /** Key depth per head (default 64). */
  dAttentionKey?: number;
  /** Value depth per head (default 64). */
  dAttentionValue?: number;
  /** Number of decoder blocks (default 6). */
  nLayers?: number;
  /** Number of attention heads (default 8). */
  nHeads?: number;
  /** Dropout rate (default 0.1). */
  dropout?: number;
  /** Maximum length of the positional encoding (default 2048). */
  maxLen?: number;
  /** Attention constructor, or a list cycled over the layers (default `tl.SelfAttention`). */
  attentionType?: ReformerAttentionType | ReformerAttentionType[];
  /** Positional encoding: `null` (default, `tl.PositionalEncoding`), `"sin-cos"`, `"fixed-base"`, `"infinite"`, `"infinite-affine"`, `"no"`, or any other string with `posAxialShape` for axial. */
  posType?: string | null;
  /** Axial positional encoding shape (default `[]`). */
  posAxialShape?: number[];
  /** Axial embedding depths, summing to `dModel` (default null). */
  posDAxialEmbs?: number[] | null;
  /** How often training starts positions from 0 (default 1). */
  posStartFromZeroProb?: number;
  /** Largest random position offset in training (default 0). */
  posMaxOffsetToAdd?: number;
  /** Feed-forward activation (default `tl.FastGelu`). */
  ffActivation?: LayerFactory;
  /** Chunk the feed-forward block into this many positions (default 0: no chunking). */
  ffChunkSize?: number;
  /** SRU layers beside the feed-forward block; only 0 (default) is supported. */
  ffUseSru?: number;
  /** Sparse feed-forward; only 0 (default) is supported. */
  ffSparsity?: number;
  /** Sparse loss layer type (default `"mult"`; unused while `lossSparsity` is 0). */
  lossSparsityType?: string | null;
  /** Sparse loss layer; only 0 (default) is supported. */
  lossSparsity?: number;
  /** Low-rank depth of a sparse loss layer (default 0, unused). */
  lossDLowrank?: number;
  /** Probability of the sparse loss layer; only null (default) is supported. */
  lossSparsityProb?: number | null;
  /** Run attention in chunks of this many batch items (default 0: no chunking). */
  attentionChunkSize?: number;
  /** `"train"` (default), `"eval"` or `"predict"`. */
  mode?: ModelMode;
}

const REFORMER_KEYS = [
  "dModel", "dFf", "dAttentionKey", "dAttentionValue", "nLayers", "nHeads", "dropout", "maxLen", "attentionType",
  "posType", "posAxialShape", "posDAxialEmbs", "posStartFromZeroProb", "posMaxOffsetToAdd", "ffActivation",
  "ffChunkSize", "ffUseSru", "ffSparsity", "lossSparsityType", "lossSparsity", "lossDLowrank", "lossSparsityProb",
  "attentionChunkSize", "mode",
] as const;

/** Trax's `configurable_transformer.PositionalEncoder`, wrapped in its `...d->...d` shape assert (Trax's `@assert_shape`). */
function positionalEncoder(o: ReformerLMOptions, mode: ModelMode, dropout: number, maxLen: number): Layer {
  const posType = o.posType ?? null;
  let pe: Layer;
  if (!posType) {
    pe = tl.PositionalEncoding({
      maxLen, dropout, startFromZeroProb: o.posStartFromZeroProb ?? 1, maxOffsetToAdd: o.posMaxOffsetToAdd ?? 0, mode,
    });
  } else if (posType === "sin-cos") {
    pe = tl.SinCosPositionalEncoding({ mode });
  } else if (posType === "fixed-base") {
    pe = tl.FixedBasePositionalEncoding({ mode });
  } else if (posType === "infinite") {
    pe = tl.InfinitePositionalEncoding({ affine: false });
  } else if (posType === "infinite-affine") {
    pe = tl.InfinitePositionalEncoding();
  } else if (posType === "time-bin") {
    // Trax calls tl.TimeBinPositionalEncoding() without its required time_bin_length, which fails there too.
    throw new RangeError('trax.models.ReformerLM: posType "time-bin" fails in Trax too (TimeBinPositionalEncoding needs a time_bin_length)');
  } else if (posType === "no") {
    pe = tl.Serial();
  } else {
    const shape = o.posAxialShape ?? [];
    if (!o.posDAxialEmbs) throw new TypeError(`trax.models.ReformerLM: posType ${JSON.stringify(posType)} (axial) needs posDAxialEmbs`);
    pe = tl.AxialPositionalEncoding({
      shape, dEmbs: o.posDAxialEmbs, dropoutBroadcastDims: shape.map((_, i) => i + 1), dropout, mode,
    });
  }
  return tl.AssertFunction("...d->...d", pe);
}

function attentionLayer(type: ReformerAttentionType, dModel: number, a: ReformerAttentionOptions, chunkSize: number): Layer {
  const positional = (type as unknown) === tl.CausalAttention || (type as unknown) === tl.Attention;
  const attention = positional
    ? (type as unknown as typeof tl.CausalAttention)(dModel, { nHeads: a.nHeads, dropout: a.attentionDropout, mode: a.mode })
    : type(a);
  return tl.Chunk(attention, chunkSize);
}

function reformerLM(vocabSize: number, options: ReformerLMOptions = {}): Layer {
  const o = checkModelOptions("ReformerLM", options, [...REFORMER_KEYS]);
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TypeError(`trax.models.ReformerLM: vocabSize must be a positive integer; got ${String(vocabSize)}`);
  for (const key of ["ffUseSru", "ffSparsity", "lossSparsity"] as const) {
    if (o[key]) throw new RangeError(`trax.models.ReformerLM: ${key} ${String(o[key])} needs Trax's sparse or SRU feed-forward layers, which trax-ts does not have; use 0`);
  }
  if (o.lossSparsityProb !== undefined && o.lossSparsityProb !== null) {
    throw new RangeError("trax.models.ReformerLM: lossSparsityProb needs Trax's RandomLayer and sparse dense layers, which trax-ts does not have; use null");
  }
  const dModel = o.dModel ?? 512;
  const dFf = o.dFf ?? 2048;
  const nLayers = o.nLayers ?? 6;
  const dropout = o.dropout ?? 0.1;
  const mode = o.mode ?? "train";
  const ffActivation = o.ffActivation ?? tl.FastGelu;
  const ffChunkSize = o.ffChunkSize ?? 0;
  const types = Array.isArray(o.attentionType) ? o.attentionType : [o.attentionType ?? tl.SelfAttention];
  if (types.length === 0 || nLayers % types.length !== 0) {
    throw new RangeError(`trax.models.ReformerLM: nLayers ${nLayers} must be a multiple of the number of attention types ${types.length}`);
  }
  const attentionOptions: ReformerAttentionOptions = {
    nHeads: o.nHeads ?? 8, dQk: o.dAttentionKey ?? 64, dV: o.dAttentionValue ?? 64,
    causal: true, masked: false, outputDropout: dropout, attentionDropout: dropout, mode,
  };

  // Trax's configurable_transformer.FeedForwardWithOptions with no SRU and no sparsity.
  const feedForward = (): Layer | Layer[] => {
    const ff: Layer[] = [
      tl.Dense(dFf),
      tl.Dropout({ rate: dropout, sharedAxes: [-2], mode }),
      ffActivation(),
      tl.Dense(dModel),
    ];
    const res: (Layer | Layer[])[] = [tl.LayerNorm(), ff, tl.Dropout({ rate: dropout, sharedAxes: [-2], mode })];
    if (ffChunkSize > 0) return tl.BatchLeadingAxes(tl.Chunk(tl.Serial(res), ffChunkSize));
    return res as Layer[];
  };

  const decoderBlocks = Array.from({ length: nLayers }, (_, i) => [
    tl.ReversibleHalfResidual(tl.LayerNorm(), {
      attentionLayer: attentionLayer(types[i % types.length], dModel, attentionOptions, o.attentionChunkSize ?? 0),
      name: "ReversibleHalfResidualDecoderAttn",
    }),
    tl.ReversibleSwap(),
    tl.ReversibleHalfResidual(feedForward(), { name: "ReversibleHalfResidualDecoderFF" }),
    tl.ReversibleSwap(),
  ]);

  return tl.Serial(
    tl.ShiftRight({ mode }),
    tl.Embedding(vocabSize, dModel),
    tl.Dropout({ rate: dropout, sharedAxes: [-2], mode }),
    positionalEncoder(o, mode, dropout, o.maxLen ?? 2048),
    tl.Dup(),
    tl.ReversibleSerial(decoderBlocks),
    tl.Concatenate(),
    tl.LayerNorm(),
    tl.Dropout({ rate: dropout, sharedAxes: [-2], mode }),
    tl.AssertFunction("...a->...b", tl.Dense(vocabSize))
  );
}

/**
 * The Reformer language model, as Trax's `trax.models.ReformerLM`: a
 * reversible decoder over efficient attention (`tl.SelfAttention` by
 * default, `tl.LSHSelfAttention` for LSH). Sparse and SRU options are not
 * supported (an error says so). For `"predict"` mode, give an attention
 * constructor that sets `predictMemLen` and `predictDropLen` (what Trax
 * configures through gin).
 *
 * In: token ids `(batch, length)`. Out: `(batch, length, vocabSize)` raw
 * activations.
 *
 * @example
 * ```ts
 * const lm = trax.models.ReformerLM(32, { dModel: 16, dFf: 32, dAttentionKey: 8, dAttentionValue: 8, nLayers: 2, nHeads: 2 });
 * lm(tf.tensor2d([[1, 2, 3, 4]], [1, 4], "int32")).shape; // [1, 4, 32]
 * ```
 */
export const ReformerLM = recordedConstructor("ReformerLM", reformerLM, "trax.models");
