/**
 * `trax.layers` (also `tl`): every layer, combinator, initializer and metric.
 *
 * @example
 * ```ts
 * import * as tl from "trax-ts/layers";
 * const model = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(2));
 * ```
 * @module
 */
export * from "./base";
// tl.Layer is the base class made callable without `new` (it shadows the class exported by ./base).
export { Layer } from "./layer-callable";
export * from "./combinators";
export * from "./core";
export * from "./activation-fns";
export * from "./initializers";
export * from "./normalization";
export * from "./pooling";
export * from "./convolution";
export * from "./metrics";
export * from "./attention";
export * from "./rnn";
export * from "./reversible";
export * from "./acceleration";
export * from "./np-file";
export * from "./assert-shape";
// `Weights` is both the weights-tree type of ./base and the layer of ./core: tl.Weights is the layer (as in Trax).
export { Weights } from "./core";
export * from "./research";
// Call output types where constructors know them, and modes as code writes them (types only).
export type { Returns, OneOutput, TwoOutputs } from "./typed-output";
export type { Mode, ModeLike } from "./mode";
