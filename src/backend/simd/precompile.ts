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
import { elementwiseModuleBytes } from "./elementwise-module";
import { optimModuleBytes } from "./optim-module";
import { transposeModuleBytes } from "./transpose-module";
import { simdMatMul } from "./wasm-matmul";

/**
 * Compiles trax-ts's SIMD modules for a plain (`sharedMemory` false) or
 * shared memory, unless `TRAX_SIMD=0`: those an eager call can run
 * (products, exp and tanh, sums, element-wise arithmetic, transposes) and the optimizers'. Cheap
 * (baseline code, about a millisecond each); V8 optimizes them in background
 * threads. The kernels of training (ReLU's gradient, LayerNorm while a
 * gradient is recorded, the cross-entropy loss) compile the same way at
 * their first use, so an import for inference does not encode them.
 *
 * @example
 * ```ts
 * precompileSimdKernels(false); // done by trax-ts at import
 * ```
 */
export function precompileSimdKernels(sharedMemory: boolean): void {
  if (!simdMatMul.enabled) return;
  for (const bytes of [gemmModuleBytesFor(simdMatMul.fma), expModuleBytes, sumsModuleBytes, elementwiseModuleBytes, optimModuleBytes, transposeModuleBytes]) precompile(bytes, sharedMemory);
}
