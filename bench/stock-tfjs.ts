/**
 * Benchmarks' plain-tfjs rows run tfjs-wasm as a tfjs user gets it: trax-ts
 * replaces some of tfjs-wasm's kernels process-wide (its SIMD products and
 * the sharing `Identity`), so while a plain-tfjs candidate runs they are
 * switched off.
 */
import { simdMatMul } from "../dist/backend/simd/wasm-matmul";
import { sharedIdentityKernel } from "../dist/backend/wasm-shared-identity";

/** `fn` run with tfjs-wasm's own kernels; returns its result. */
export function stockTfjs<T>(fn: () => T): T {
  const [products, identity] = [simdMatMul.enabled, sharedIdentityKernel.enabled];
  simdMatMul.enabled = false;
  sharedIdentityKernel.enabled = false;
  try {
    return fn();
  } finally {
    simdMatMul.enabled = products;
    sharedIdentityKernel.enabled = identity;
  }
}

/** `fn` (async) run with tfjs-wasm's own kernels. */
export async function stockTfjsAsync<T>(fn: () => Promise<T>): Promise<T> {
  const [products, identity] = [simdMatMul.enabled, sharedIdentityKernel.enabled];
  simdMatMul.enabled = false;
  sharedIdentityKernel.enabled = false;
  try {
    return await fn();
  } finally {
    simdMatMul.enabled = products;
    sharedIdentityKernel.enabled = identity;
  }
}

/** `fn` (async) run with trax-ts as it is except for tfjs-wasm's own products (as with `TRAX_SIMD=0`). */
export async function withoutSimdProducts<T>(fn: () => Promise<T>): Promise<T> {
  const products = simdMatMul.enabled;
  simdMatMul.enabled = false;
  try {
    return await fn();
  } finally {
    simdMatMul.enabled = products;
  }
}
