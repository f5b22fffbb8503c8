/**
 * `trax.models`: the models Trax users start from, built from trax-ts
 * layers with Trax's constructors, defaults and layer trees (so a Trax
 * checkpoint of the same model loads into them). Each prints as its
 * `trax.models.X(...)` call in `layer.toPython()`.
 *
 * @example
 * ```ts
 * import * as trax from "trax-ts";
 * const lm = trax.models.TransformerLM(32, { dModel: 16, dFf: 32, nLayers: 2, nHeads: 2 });
 * lm.toPython(); // "trax.models.TransformerLM(32, d_model=16, d_ff=32, n_layers=2, n_heads=2)"
 * ```
 * @module
 */
export { MLP } from "./mlp";
export type { MLPOptions } from "./mlp";
export { TransformerEncoder, TransformerDecoder, TransformerLM, Transformer } from "./transformer";
export type {
  TransformerBlockOptions, TransformerEncoderOptions, TransformerDecoderOptions, TransformerLMOptions, TransformerOptions,
} from "./transformer";
export { ReformerLM } from "./reformer";
export type { ReformerLMOptions, ReformerAttentionOptions, ReformerAttentionType } from "./reformer";
export { RNNLM, GRULM, LSTMSeq2SeqAttn } from "./rnn";
export type { RNNLMOptions, GRULMOptions, LSTMSeq2SeqAttnOptions } from "./rnn";
export type { ModelMode, LayerFactory } from "./options";
