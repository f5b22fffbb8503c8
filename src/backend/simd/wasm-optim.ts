/**
 * trax-ts's fused optimizer updates on tfjs-backend-wasm as SIMD loops
 * ({@link instantiateOptim}) working in tfjs-wasm's own heap, one module
 * instance per backend object (single-threaded and threaded builds alike;
 * the loops themselves run on the calling thread). src/optimizers/fused.ts
 * uses them for its wasm kernels and keeps its JavaScript loops for the cpu
 * backend, for `simdOptimizers.enabled = false`, and for a backend whose
 * memory cannot be reached.
 * @module
 */
import { instantiateOptim, type OptimExports } from "./optim-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";

/**
 * Switch for tests and A/B benchmarks: `false` runs the fused optimizer
 * kernels' JavaScript loops on wasm too. Starts `false` when the environment
 * sets `TRAX_SIMD=0` (which also turns off the SIMD matrix products).
 *
 * @example
 * ```ts
 * simdOptimizers.enabled = false; // Adam's wasm kernel runs its float64 JavaScript loop
 * ```
 */
export const simdOptimizers = { enabled: process.env.TRAX_SIMD !== "0" };

/** Each backend's instance; `null` where its memory could not be reached. */
const optimOf = instancePerBackend(instantiateOptim);

/**
 * The SIMD update functions for `backend` (instantiated over its heap on first
 * use), or `undefined` when switched off or the backend's memory is not
 * reachable (then use the JavaScript loops).
 *
 * @example
 * ```ts
 * const optim = simdOptimizersOf(backend);
 * if (optim) optim.rms_prop(w, g, a, outW, outA, n, 0.9, 0.1, 1e-3, 1e-8);
 * ```
 */
export function simdOptimizersOf(backend: unknown): OptimExports | undefined {
  if (!simdOptimizers.enabled) return undefined;
  return optimOf(backend as WasmModuleMemory) ?? undefined;
}
