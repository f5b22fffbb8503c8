/**
 * The normalization module of the reference (`trax.layers.normalization`).
 * @module
 */
export {};
