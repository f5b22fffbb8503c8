/**
 * `trax.layers.research`: efficient (chunked and LSH) attention and
 * experimental position encodings, exported flat into `tl`
 * (`tl.LSHSelfAttention`, `tl.threefry2x32Prf`, ...).
 * @module
 */
export { lengthNormalized, lookAdjacent, maskSelfAttention, attend, applyBroadcastedDropout } from "./attend";
export type { AttendOptions, MaskFn, MaskSelfAttentionOptions } from "./attend";
export { hashVecs } from "./lsh-hash";
export type { NBuckets } from "./lsh-hash";
export { permuteViaGather, permuteViaSort } from "./permute";
export { EfficientAttentionBase } from "./efficient-attention-base";
export type { EfficientAttentionBaseOptions, EfficientAttentionMode, HeadContext } from "./efficient-attention-base";
export { SelfAttention } from "./self-attention";
export type { SelfAttentionOptions } from "./self-attention";
export { LSHSelfAttention, PureLSHSelfAttention } from "./lsh-attention";
export type { LSHAttentionOptions } from "./lsh-attention";
export { MixedLSHSelfAttention, PureLSHSelfAttentionWrapper } from "./mixed-lsh-attention";
export type { MixedLSHSelfAttentionOptions, PureLSHSelfAttentionWrapperOptions } from "./mixed-lsh-attention";
export { EncDecAttention } from "./enc-dec-attention";
export type { EncDecAttentionOptions } from "./enc-dec-attention";
export { LSHFF } from "./lsh-ff";
export type { LSHFFOptions } from "./lsh-ff";
export { AxialPositionalEncoding } from "./axial-positional-encoding";
export type { AxialPositionalEncodingOptions } from "./axial-positional-encoding";
export { SinCosPositionalEncoding } from "./sincos-positional-encoding";
export type { SinCosPositionalEncodingOptions } from "./sincos-positional-encoding";
export { FixedBasePositionalEncoding } from "./fixed-base-positional-encoding";
export type { FixedBasePositionalEncodingOptions } from "./fixed-base-positional-encoding";
export { threefry2x32Prf, threefry2x32Prange } from "./threefry-prf";
export { InfinitePositionalEncoding, TimeBinPositionalEncoding } from "./infinite-positional-encoding";
export type { InfinitePositionalEncodingOptions, TimeBinPositionalEncodingOptions } from "./infinite-positional-encoding";
