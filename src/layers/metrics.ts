/**
 * The metrics module of the reference (`trax.layers.metrics`).
 * @module
 */
export {};
