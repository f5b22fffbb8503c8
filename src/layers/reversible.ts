/**
 * The reversible module of the reference (`trax.layers.reversible`).
 * @module
 */
export {};
