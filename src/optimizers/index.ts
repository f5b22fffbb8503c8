/**
 * `trax.optimizers`: SGD, Momentum (Nesterov), RMSProp, Adam (weight decay)
 * and Adafactor, with slots per weight and gradient clipping by global norm.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.Adam({ learningRate: 1e-3, clipGradNorm: 1 });
 * ```
 * @module
 */
export { Optimizer, SGD, l2Norm, clipGrads } from "./base";
export type { OptParams, Slots, OptimizerOptions, SGDOptions, TreeUpdateOptions, UpdateMetrics } from "./base";
export { Momentum } from "./momentum";
export type { MomentumOptions } from "./momentum";
export { RMSProp } from "./rms-prop";
export type { RMSPropOptions } from "./rms-prop";
export { Adam } from "./adam";
export type { AdamOptions } from "./adam";
export { Adafactor } from "./adafactor";
export type { AdafactorOptions } from "./adafactor";
