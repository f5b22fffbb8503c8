/**
 * `trax.data`.
 * @module
 */
export {};
