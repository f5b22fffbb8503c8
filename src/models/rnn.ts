/**
 * Recurrent models, as `trax.models.rnn`: RNNLM, GRULM, LSTMSeq2SeqAttn.
 * The layer trees are Trax's, so a Trax checkpoint of the same model loads.
 * @module
 */
import { tf } from "../backend/tf";
import * as tl from "../layers";
import type { Layer } from "../layers/base";
import { recordedConstructor } from "../layers/constructor-call";
import { checkModelOptions } from "./options";
import type { ModelMode } from "./options";

/** Options of {@link RNNLM}. */
export interface RNNLMOptions {
  /** Embedding and cell depth (default 512). */
  dModel?: number;
  /** Number of RNN layers; Trax supports only 2 (default 2). */
  nLayers?: number;
  /** The cell, a constructor taking the number of units (default `tl.LSTMCell`). */
  rnnCell?: (nUnits: number) => Layer;
  /** Depth of one cell's state as a multiple of `dModel` (default 2, an LSTM's c and h). */
  rnnCellDStateMultiplier?: number;
  /** Dropout rate after the embedding (default 0.1). */
  dropout?: number;
  /** `"train"` (default), `"eval"` or `"predict"` (one token per call). */
  mode?: ModelMode;
}

/** Options of {@link GRULM}. */
export interface GRULMOptions {
  /** Vocabulary size (default 256). */
  vocabSize?: number;
  /** Embedding and GRU depth (default 512). */
  dModel?: number;
  /** Number of GRU layers (default 1). */
  nLayers?: number;
  /** `"train"` (default), `"eval"` or `"predict"` (one token per call). */
  mode?: ModelMode;
}

/** Options of {@link LSTMSeq2SeqAttn}. */
export interface LSTMSeq2SeqAttnOptions {
  /** Source vocabulary size (default 256). */
  inputVocabSize?: number;
  /** Target vocabulary size (default 256). */
  targetVocabSize?: number;
  /** Depth of embeddings, LSTMs and attention (default 512). */
  dModel?: number;
  /** LSTM layers of the encoder (default 2). */
  nEncoderLayers?: number;
  /** LSTM layers of the decoder after attention (default 2). */
  nDecoderLayers?: number;
  /** Attention heads (default 1). */
  nAttentionHeads?: number;
  /** Attention dropout rate (default 0). */
  attentionDropout?: number;
  /** `"train"` (default), `"eval"` or `"predict"`. */
  mode?: ModelMode;
}

function rnnLM(vocabSize: number, options: RNNLMOptions = {}): Layer {
  const o = checkModelOptions("RNNLM", options, ["dModel", "nLayers", "rnnCell", "rnnCellDStateMultiplier", "dropout", "mode"]);
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TypeError(`trax.models.RNNLM: vocabSize must be a positive integer; got ${String(vocabSize)}`);
  const dModel = o.dModel ?? 512;
  const nLayers = o.nLayers ?? 2;
  const rnnCell = o.rnnCell ?? ((n: number) => tl.LSTMCell(n));
  const mode = o.mode ?? "train";
  if (nLayers !== 2) throw new RangeError(`trax.models.RNNLM: the number of layers must be 2 (as in Trax); got ${nLayers}`);
  const multiRNNCell = tl.Serial(
    tl.Parallel([], tl.Split({ nItems: nLayers })),
    tl.SerialWithSideOutputs(Array.from({ length: nLayers }, () => rnnCell(dModel))),
    tl.Parallel([], tl.Concatenate({ nItems: nLayers }))
  );
  const zeroState = tl.MakeZeroState({ depthMultiplier: nLayers * (o.rnnCellDStateMultiplier ?? 2) });
  return tl.Serial(
    tl.ShiftRight({ mode }),
    tl.Embedding(vocabSize, dModel),
    tl.Dropout({ rate: o.dropout ?? 0.1, mode }),
    tl.Branch([], zeroState),
    tl.Scan(multiRNNCell, { axis: 1, mode }),
    tl.Select([0], { nIn: 2 }), // drops the RNN state
    tl.Dense(vocabSize)
  );
}

function gruLM(options: GRULMOptions = {}): Layer {
  const o = checkModelOptions("GRULM", options, ["vocabSize", "dModel", "nLayers", "mode"]);
  const vocabSize = o.vocabSize ?? 256;
  const dModel = o.dModel ?? 512;
  const mode = o.mode ?? "train";
  return tl.Serial(
    tl.ShiftRight({ mode }),
    tl.Embedding(vocabSize, dModel),
    Array.from({ length: o.nLayers ?? 1 }, () => tl.GRU(dModel, { mode })),
    tl.Dense(vocabSize)
  );
}

/**
 * Trax's `PrepareAttentionInputs` (a `tl.Fn` inside LSTMSeq2SeqAttn):
 * (encoder activations, decoder activations, input tokens) to queries, keys,
 * values and a float mask `(batch, 1, decoderLength, encoderLength)` that
 * is 1 where the input is not padding.
 */
function prepareAttentionInputs(): Layer {
  return tl.Fn(
    "PrepareAttentionInputs",
    (encoderActivations: tf.Tensor, decoderActivations: tf.Tensor, inputTokens: tf.Tensor) => {
      const [batch, inLength] = inputTokens.shape as [number, number];
      const decLength = decoderActivations.shape[1] as number;
      const notPad = tf.notEqual(inputTokens, tf.scalar(0, inputTokens.dtype)).toFloat().reshape([batch, 1, 1, inLength]);
      const mask = tf.add(notPad, tf.zeros([1, 1, decLength, 1]));
      return [decoderActivations, encoderActivations, encoderActivations, mask];
    },
    { nOut: 4 }
  );
}

function lstmSeq2SeqAttn(options: LSTMSeq2SeqAttnOptions = {}): Layer {
  const o = checkModelOptions("LSTMSeq2SeqAttn", options, [
    "inputVocabSize", "targetVocabSize", "dModel", "nEncoderLayers", "nDecoderLayers", "nAttentionHeads", "attentionDropout", "mode",
  ]);
  const dModel = o.dModel ?? 512;
  const mode = o.mode ?? "train";
  const targetVocabSize = o.targetVocabSize ?? 256;
  const inputEncoder = tl.Serial(
    tl.Embedding(o.inputVocabSize ?? 256, dModel),
    Array.from({ length: o.nEncoderLayers ?? 2 }, () => tl.LSTM(dModel))
  );
  const preAttentionDecoder = tl.Serial(
    tl.ShiftRight({ mode }),
    tl.Embedding(targetVocabSize, dModel),
    tl.LSTM(dModel, { mode })
  );
  return tl.Serial(
    tl.Select([0, 1, 0, 1]), // in-toks target-toks in-toks target-toks
    tl.Parallel(inputEncoder, preAttentionDecoder),
    prepareAttentionInputs(), // q k v mask target-toks
    tl.Residual(
      tl.AttentionQKV(dModel, { nHeads: o.nAttentionHeads ?? 1, dropout: o.attentionDropout ?? 0, mode, cacheKVInPredict: true })
    ), // decoder-vecs mask target-toks
    tl.Select([0, 2]), // decoder-vecs target-toks
    Array.from({ length: o.nDecoderLayers ?? 2 }, () => tl.LSTM(dModel, { mode })),
    tl.Dense(targetVocabSize),
    tl.LogSoftmax()
  );
}

/**
 * An RNN language model, as Trax's `trax.models.RNNLM`: two LSTM cells
 * scanned over the sequence, their states carried in one concatenated
 * tensor.
 *
 * In: token ids `(batch, length)`. Out: `(batch, length, vocabSize)` raw
 * activations.
 *
 * @example
 * ```ts
 * const lm = trax.models.RNNLM(20, { dModel: 8 });
 * lm(tf.tensor2d([[1, 2, 3]], [1, 3], "int32")).shape; // [1, 3, 20]
 * ```
 */
export const RNNLM = recordedConstructor("RNNLM", rnnLM, "trax.models");

/**
 * A GRU language model, as Trax's `trax.models.GRULM`.
 *
 * In: token ids `(batch, length)`. Out: `(batch, length, vocabSize)` raw
 * activations.
 *
 * @example
 * ```ts
 * const lm = trax.models.GRULM({ vocabSize: 20, dModel: 8 });
 * lm(tf.tensor2d([[1, 2, 3]], [1, 3], "int32")).shape; // [1, 3, 20]
 * ```
 */
export const GRULM = recordedConstructor("GRULM", gruLM, "trax.models");

/**
 * An LSTM sequence-to-sequence model with attention, as Trax's
 * `trax.models.LSTMSeq2SeqAttn`. Its `PrepareAttentionInputs` step is a
 * `tl.Fn`, as in Trax.
 *
 * In: source tokens `(batch, lengthIn)` and target tokens
 * `(batch, lengthOut)`. Out: log-probabilities `(batch, lengthOut,
 * targetVocabSize)` and the target tokens.
 *
 * @example
 * ```ts
 * const model = trax.models.LSTMSeq2SeqAttn({ inputVocabSize: 20, targetVocabSize: 20, dModel: 8 });
 * const src = tf.tensor2d([[5, 7, 0]], [1, 3], "int32");
 * const tgt = tf.tensor2d([[1, 2]], [1, 2], "int32");
 * const [logProbs, targets] = model([src, tgt]); // logProbs (1, 2, 20), targets tgt
 * ```
 */
export const LSTMSeq2SeqAttn = recordedConstructor("LSTMSeq2SeqAttn", lstmSeq2SeqAttn, "trax.models");
