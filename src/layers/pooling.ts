/**
 * The pooling module of the reference (`trax.layers.pooling`).
 * @module
 */
export {};
