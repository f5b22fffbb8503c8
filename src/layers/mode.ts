/**
 * Modes as code writes them: one of Trax's modes, or any string (a
 * `function Decoder(mode = "train")` parameter is a `string`), checked when
 * the layer is built.
 * @module
 */

/** Trax's modes: dropout only in train, decoding caches in predict. */
export type Mode = "train" | "eval" | "predict";

/**
 * A mode option: one of the modes `M` (which editors suggest) or any string;
 * the layer's constructor refuses a string that is not one of them.
 *
 * @example
 * ```ts
 * function Decoder(mode = "train") {
 *   return tl.Serial(tl.Dense(8), tl.Dropout({ rate: 0.1, mode })); // mode: string is accepted
 * }
 * Decoder("tran"); // throws: Dropout: mode must be "train", "eval", "predict" or "viz"; got "tran"
 * ```
 */
export type ModeLike<M extends string = Mode> = M | (string & Record<never, never>);
