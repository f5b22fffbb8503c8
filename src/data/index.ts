/**
 * `trax.data`: the datasets that ship with trax-ts and streams of batches
 * the way Trax's data pipelines make them (shuffle with a seed, batch, pad,
 * bucket, split), ready for a `TrainTask`.
 *
 * @example
 * ```ts
 * const [train, evalSet] = trax.data.digits({ shape: [64] }).split({ evalFraction: 0.2, seed: 0 });
 * const stream = trax.data.batches(train, 32, { seed: 0 }); // endless [x: [32, 64], y: [32]] batches
 * ```
 * @module
 */
export * from "./examples";
export * from "./streams";
export * from "./paths";
export * from "./datasets";
export * from "./text";
export * from "./tasks";
