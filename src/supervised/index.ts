/**
 * `trax.supervised`.
 * @module
 */
export {};
