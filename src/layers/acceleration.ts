/**
 * The acceleration module of the reference (`trax.layers.acceleration`).
 * @module
 */
export {};
