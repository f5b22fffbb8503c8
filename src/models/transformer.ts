/**
 * Transformer models, as `trax.models.transformer`: encoder (classifier),
 * decoder, language model and encoder-decoder. The layer trees are Trax's,
 * sublayer for sublayer, so a Trax checkpoint of the same model loads.
 * @module
 */
import * as tl from "../layers";
import type { Layer } from "../layers/base";
import { recordedConstructor } from "../layers/constructor-call";
import { checkModelOptions } from "./options";
import type { LayerFactory, ModelMode } from "./options";

/** Options shared by the Transformer models (Trax's keyword arguments and defaults). */
export interface TransformerBlockOptions {
  /** Depth of activations throughout the model (default 512). */
  dModel?: number;
  /** Depth of the feed-forward block's hidden layer (default 2048). */
  dFf?: number;
  /** Number of attention heads (default 8). */
  nHeads?: number;
  /** Maximum sequence length of the positional encoding (default 2048). */
  maxLen?: number;
  /** Dropout rate in every block, attention included (default 0.1). */
  dropout?: number;
  /** Axes on which dropout masks are shared (default none). */
  dropoutSharedAxes?: readonly number[] | null;
  /** `"train"` (default) applies dropout; `"eval"` does not; `"predict"` decodes one token at a time. */
  mode?: ModelMode;
  /** The feed-forward activation, a layer constructor (default `tl.Relu`). */
  ffActivation?: LayerFactory;
}

/** Options of {@link TransformerEncoder}. */
export interface TransformerEncoderOptions extends TransformerBlockOptions {
  /** Number of output classes (default 10). */
  nClasses?: number;
  /** Number of encoder blocks (default 6). */
  nLayers?: number;
}

/** Options of {@link TransformerDecoder}. */
export interface TransformerDecoderOptions extends TransformerBlockOptions {
  /** Input vocabulary size; `null` (default) takes `dModel`-deep vectors instead of tokens. */
  vocabSize?: number | null;
  /** Number of decoder blocks (default 6). */
  nLayers?: number;
}

/** Options of {@link TransformerLM}. */
export interface TransformerLMOptions extends TransformerBlockOptions {
  /** Number of decoder blocks (default 6). */
  nLayers?: number;
}

/** Options of {@link Transformer}. */
export interface TransformerOptions extends TransformerBlockOptions {
  /** Target vocabulary size; `null` (default) shares the input vocabulary and its embedding. */
  outputVocabSize?: number | null;
  /** Number of encoder blocks (default 6). */
  nEncoderLayers?: number;
  /** Number of decoder blocks (default 6). */
  nDecoderLayers?: number;
}

const BLOCK_KEYS = ["dModel", "dFf", "nHeads", "maxLen", "dropout", "dropoutSharedAxes", "mode", "ffActivation"] as const;

interface BlockConfig {
  dModel: number;
  dFf: number;
  nHeads: number;
  maxLen: number;
  dropout: number;
  dropoutSharedAxes: readonly number[] | null;
  mode: ModelMode;
  ffActivation: LayerFactory;
}

function blockConfig(o: TransformerBlockOptions): BlockConfig {
  return {
    dModel: o.dModel ?? 512,
    dFf: o.dFf ?? 2048,
    nHeads: o.nHeads ?? 8,
    maxLen: o.maxLen ?? 2048,
    dropout: o.dropout ?? 0.1,
    dropoutSharedAxes: o.dropoutSharedAxes ?? null,
    mode: o.mode ?? "train",
    ffActivation: o.ffActivation ?? tl.Relu,
  };
}

function dropoutLayer(c: BlockConfig): Layer {
  return tl.Dropout({ rate: c.dropout, sharedAxes: c.dropoutSharedAxes, mode: c.mode });
}

/** Trax's `_FeedForwardBlock`: Dense(dFf), activation, Dropout, Dense(dModel). */
function feedForwardBlock(c: BlockConfig): Layer[] {
  return [tl.Dense(c.dFf), c.ffActivation(), dropoutLayer(c), tl.Dense(c.dModel)];
}

/** Trax's `_EncoderBlock`: (activations, mask) to the same. */
function encoderBlock(c: BlockConfig): Layer[] {
  return [
    tl.Residual(tl.LayerNorm(), tl.Attention(c.dModel, { nHeads: c.nHeads, dropout: c.dropout, mode: c.mode }), dropoutLayer(c)),
    tl.Residual(tl.LayerNorm(), feedForwardBlock(c), dropoutLayer(c)),
  ];
}

/** Trax's `_DecoderBlock`: causal self-attention and feed-forward, each a residual. */
function decoderBlock(c: BlockConfig): Layer[] {
  return [
    tl.Residual(tl.LayerNorm(), tl.CausalAttention(c.dModel, { nHeads: c.nHeads, dropout: c.dropout, mode: c.mode }), dropoutLayer(c)),
    tl.Residual(tl.LayerNorm(), feedForwardBlock(c), dropoutLayer(c)),
  ];
}

/** Trax's `_EncoderDecoderBlock`: (decoder activations, mask, encoder activations) to the same. */
function encoderDecoderBlock(c: BlockConfig): Layer[] {
  return [
    tl.Residual(tl.LayerNorm(), tl.CausalAttention(c.dModel, { nHeads: c.nHeads, mode: c.mode }), dropoutLayer(c)),
    tl.Residual(
      tl.LayerNorm(),
      tl.Select([0, 2, 2, 1, 2]),
      tl.AttentionQKV(c.dModel, { nHeads: c.nHeads, dropout: c.dropout, mode: c.mode, cacheKVInPredict: true }),
      dropoutLayer(c)
    ),
    tl.Residual(tl.LayerNorm(), feedForwardBlock(c), dropoutLayer(c)),
  ];
}

function repeat<T>(n: number, make: () => T[]): T[][] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`the number of layers must be a non-negative integer; got ${n}`);
  return Array.from({ length: n }, make);
}

function checkVocab(model: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) <= 0) {
    throw new TypeError(`trax.models.${model}: ${name} must be a positive integer; got ${String(v)}`);
  }
  return v as number;
}

function transformerEncoder(vocabSize: number, options: TransformerEncoderOptions = {}): Layer {
  const o = checkModelOptions("TransformerEncoder", options, [...BLOCK_KEYS, "nClasses", "nLayers"]);
  checkVocab("TransformerEncoder", "vocabSize", vocabSize);
  const c = blockConfig(o);
  return tl.Serial(
    tl.Branch([], tl.PaddingMask()),
    tl.Embedding(vocabSize, c.dModel),
    dropoutLayer(c),
    tl.PositionalEncoding({ maxLen: c.maxLen }),
    repeat(o.nLayers ?? 6, () => encoderBlock(c)),
    tl.Select([0], { nIn: 2 }),
    tl.LayerNorm(),
    tl.Mean({ axis: 1 }),
    tl.Dense(o.nClasses ?? 10)
  );
}

function transformerDecoder(options: TransformerDecoderOptions = {}): Layer {
  const o = checkModelOptions("TransformerDecoder", options, [...BLOCK_KEYS, "vocabSize", "nLayers"]);
  const c = blockConfig(o);
  const vocabSize = o.vocabSize ?? null;
  if (vocabSize !== null) checkVocab("TransformerDecoder", "vocabSize", vocabSize);
  return tl.Serial(
    vocabSize !== null ? tl.Embedding(vocabSize, c.dModel) : tl.Dense(c.dModel),
    dropoutLayer(c),
    tl.PositionalEncoding({ maxLen: c.maxLen }),
    repeat(o.nLayers ?? 6, () => decoderBlock(c)),
    tl.LayerNorm()
  );
}

function transformerLM(vocabSize: number, options: TransformerLMOptions = {}): Layer {
  const o = checkModelOptions("TransformerLM", options, [...BLOCK_KEYS, "nLayers"]);
  checkVocab("TransformerLM", "vocabSize", vocabSize);
  const c = blockConfig(o);
  return tl.Serial(
    tl.ShiftRight({ mode: c.mode }),
    tl.Embedding(vocabSize, c.dModel),
    dropoutLayer(c),
    tl.PositionalEncoding({ maxLen: c.maxLen, mode: c.mode }),
    repeat(o.nLayers ?? 6, () => decoderBlock(c)),
    tl.LayerNorm(),
    tl.Dense(vocabSize)
  );
}

function transformer(inputVocabSize: number, options: TransformerOptions = {}): Layer {
  const o = checkModelOptions("Transformer", options, [...BLOCK_KEYS, "outputVocabSize", "nEncoderLayers", "nDecoderLayers"]);
  checkVocab("Transformer", "inputVocabSize", inputVocabSize);
  const c = blockConfig(o);
  // The encoder never runs step by step: 'predict' becomes 'eval' there.
  const encoderMode: ModelMode = c.mode === "predict" ? "eval" : c.mode;
  const inEmbedder = tl.Embedding(inputVocabSize, c.dModel);
  let outputVocabSize = o.outputVocabSize ?? null;
  let outEmbedder: Layer = inEmbedder;
  if (outputVocabSize === null) {
    outputVocabSize = inputVocabSize;
  } else {
    checkVocab("Transformer", "outputVocabSize", outputVocabSize);
    outEmbedder = tl.Embedding(outputVocabSize, c.dModel);
  }
  const encoderLayers = tl.Serial(
    inEmbedder,
    dropoutLayer(c),
    tl.PositionalEncoding({ maxLen: c.maxLen, mode: encoderMode }),
    repeat(o.nEncoderLayers ?? 6, () => encoderBlock(c)),
    tl.LayerNorm()
  );
  const encoder = c.mode === "predict" ? tl.Cache(encoderLayers) : encoderLayers;
  return tl.Serial(
    tl.Select([0, 1, 1]), // copies the decoder tokens for the loss
    tl.Branch([], tl.PaddingMask()), // tok_e masks tok_d tok_d
    encoder,
    tl.Select([2, 1, 0]), // tok_d masks vec_e ...
    tl.ShiftRight({ mode: c.mode }),
    outEmbedder,
    dropoutLayer(c),
    tl.PositionalEncoding({ maxLen: c.maxLen, mode: c.mode }),
    tl.Branch([], tl.EncoderDecoderMask()), // vec_d masks ...
    repeat(o.nDecoderLayers ?? 6, () => encoderDecoderBlock(c)),
    tl.LayerNorm(),
    tl.Select([0], { nIn: 3 }), // drops the masks and the encoding
    tl.Dense(outputVocabSize)
  );
}

/**
 * A Transformer encoder for N-way classification, as Trax's
 * `trax.models.TransformerEncoder`.
 *
 * In: token ids `(batch, length)` (0 is padding). Out: `(batch, nClasses)`
 * raw activations.
 *
 * @example
 * ```ts
 * const model = trax.models.TransformerEncoder(100, { dModel: 16, dFf: 32, nLayers: 1, nHeads: 2, nClasses: 3 });
 * model(tf.tensor2d([[5, 7, 0]], [1, 3], "int32")).shape; // [1, 3]
 * ```
 */
export const TransformerEncoder = recordedConstructor("TransformerEncoder", transformerEncoder, "trax.models");

/**
 * A Transformer decoder (causal attention, no right shift), as Trax's
 * `trax.models.TransformerDecoder`.
 *
 * In: token ids `(batch, length)` when `vocabSize` is set, else vectors
 * `(batch, length, dModel)`. Out: `(batch, length, dModel)`.
 *
 * @example
 * ```ts
 * const model = trax.models.TransformerDecoder({ vocabSize: 50, dModel: 16, dFf: 32, nLayers: 1, nHeads: 2 });
 * model(tf.tensor2d([[5, 7, 9]], [1, 3], "int32")).shape; // [1, 3, 16]
 * ```
 */
export const TransformerDecoder = recordedConstructor("TransformerDecoder", transformerDecoder, "trax.models");

/**
 * A Transformer language model, as Trax's `trax.models.TransformerLM`:
 * ShiftRight, Embedding, Dropout, PositionalEncoding, `nLayers` decoder
 * blocks, LayerNorm, Dense(vocabSize). In `"predict"` mode it decodes one
 * token per call, keeping its caches in the layer state.
 *
 * In: token ids `(batch, length)`. Out: `(batch, length, vocabSize)` raw
 * activations.
 *
 * @example
 * ```ts
 * const lm = trax.models.TransformerLM(32, { dModel: 16, dFf: 32, nLayers: 2, nHeads: 2 });
 * lm(tf.tensor2d([[1, 2, 3]], [1, 3], "int32")).shape; // [1, 3, 32]
 * ```
 */
export const TransformerLM = recordedConstructor("TransformerLM", transformerLM, "trax.models");

/**
 * An encoder-decoder Transformer, as Trax's `trax.models.Transformer`.
 *
 * In: source tokens `(batch, lengthIn)` and target tokens
 * `(batch, lengthOut)`. Out: activations `(batch, lengthOut,
 * outputVocabSize)` and the target tokens (for the loss).
 *
 * @example
 * ```ts
 * const model = trax.models.Transformer(40, { dModel: 16, dFf: 32, nEncoderLayers: 1, nDecoderLayers: 1, nHeads: 2 });
 * const src = tf.tensor2d([[5, 7, 0]], [1, 3], "int32");
 * const tgt = tf.tensor2d([[1, 2]], [1, 2], "int32");
 * const [logits, targets] = model([src, tgt]); // logits (1, 2, 40), targets tgt
 * ```
 */
export const Transformer = recordedConstructor("Transformer", transformer, "trax.models");
