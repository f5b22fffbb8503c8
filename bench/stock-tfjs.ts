/**
 * Benchmarks' plain-tfjs rows run tfjs-wasm as a tfjs user gets it: trax-ts
 * replaces some of tfjs-wasm's kernels process-wide (its SIMD products and
 * optimizer updates, and the sharing `Identity`), so while a plain-tfjs
 * candidate runs they are switched off.
 */
import { simdMatMul } from "../dist/backend/simd/wasm-matmul";
import { simdOptimizers } from "../dist/backend/simd/wasm-optim";
import { sharedIdentityKernel } from "../dist/backend/wasm-shared-identity";

/** `fn` (sync, or async until its promise settles) run with the kernel switches set as given. */
function withKernels<T>(simd: boolean, identity: boolean, fn: () => T): T {
  const saved = [simdMatMul.enabled, simdOptimizers.enabled, sharedIdentityKernel.enabled];
  const restore = () => {
    [simdMatMul.enabled, simdOptimizers.enabled, sharedIdentityKernel.enabled] = saved;
  };
  simdMatMul.enabled = simd;
  simdOptimizers.enabled = simd;
  sharedIdentityKernel.enabled = identity;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** `fn` (sync or async) run with tfjs-wasm's own kernels; returns its result. */
export function stockTfjs<T>(fn: () => T): T {
  return withKernels(false, false, fn);
}

/** `fn` (async) run with trax-ts as it is except for its SIMD kernels (products, optimizer updates), as with `TRAX_SIMD=0`. */
export function withoutSimd<T>(fn: () => Promise<T>): Promise<T> {
  return withKernels(false, sharedIdentityKernel.enabled, fn);
}
