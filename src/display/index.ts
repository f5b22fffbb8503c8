/**
 * `trax.display`.
 * @module
 */
export {};
