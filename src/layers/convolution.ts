/**
 * The convolution module of the reference (`trax.layers.convolution`).
 * @module
 */
export {};
