/**
 * `trax.layers.research`: efficient (chunked and LSH) attention and
 * experimental position encodings, exported flat into `tl`.
 * @module
 */
export * from "./attend";
export * from "./lsh-hash";
export * from "./permute";
export * from "./efficient-attention-base";
export * from "./self-attention";
export * from "./lsh-attention";
export * from "./enc-dec-attention";
export * from "./lsh-ff";
export * from "./mixed-lsh-attention";
