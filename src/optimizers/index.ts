/**
 * `trax.optimizers`.
 * @module
 */
export {};
