/**
 * The attention module of the reference (`trax.layers.attention`).
 * @module
 */
export {};
