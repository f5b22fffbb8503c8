/**
 * Compiling trax-ts's SIMD modules ahead of their first use, so that V8 has
 * optimized them by then (see `precompile` in instantiate.ts): at import for
 * the single-threaded wasm build, when the threaded build starts for its
 * shared memory.
 * @module
 */
import { precompile } from "./instantiate";
import { gemmModuleBytesFor } from "./gemm-module";
import { expModuleBytes } from "./exp-module";
import { sumsModuleBytes } from "./sums-module";
import { optimModuleBytes } from "./optim-module";
import { reluGradModuleBytes } from "./wasm-relu-grad";
import { layerNormModuleBytes } from "./layer-norm-module";
import { crossEntropyModuleBytes } from "./cross-entropy-module";
import { transposeModuleBytes } from "./transpose-module";
import { simdMatMul } from "./wasm-matmul";

/**
 * Compiles every SIMD module of trax-ts for a plain (`sharedMemory` false)
 * or shared memory, unless `TRAX_SIMD=0`. Cheap (baseline code, about a
 * millisecond); V8 optimizes them in background threads.
 *
 * @example
 * ```ts
 * precompileSimdKernels(false); // done by trax-ts at import
 * ```
 */
export function precompileSimdKernels(sharedMemory: boolean): void {
  if (!simdMatMul.enabled) return;
  for (const bytes of [gemmModuleBytesFor(simdMatMul.fma), expModuleBytes, sumsModuleBytes, optimModuleBytes, reluGradModuleBytes, layerNormModuleBytes, crossEntropyModuleBytes, transposeModuleBytes]) precompile(bytes, sharedMemory);
}
