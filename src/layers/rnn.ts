/**
 * The rnn module of the reference (`trax.layers.rnn`).
 * @module
 */
export {};
