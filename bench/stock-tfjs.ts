/**
 * Benchmarks' plain-tfjs rows run tfjs-wasm as a tfjs user gets it: trax-ts
 * replaces some of tfjs-wasm's kernels process-wide (its SIMD products,
 * exp, column sums, element-wise arithmetic, softmax, transposes, ReLU's gradient and optimizer updates, the
 * block-copy gather and the sharing `Identity`) and adds fused kernels of
 * its own, so while a plain-tfjs candidate runs they are all switched off.
 */
import { simdMatMul } from "../dist/backend/simd/wasm-matmul";
import { simdOptimizers } from "../dist/backend/simd/wasm-optim";
import { simdExp } from "../dist/backend/simd/wasm-exp";
import { simdSums } from "../dist/backend/simd/wasm-sums";
import { simdElementwise } from "../dist/backend/simd/wasm-elementwise";
import { simdSoftmax } from "../dist/backend/simd/wasm-softmax";
import { simdTranspose } from "../dist/backend/simd/wasm-transpose";
import { simdReluGrad } from "../dist/backend/simd/wasm-relu-grad";
import { simdLayerNorm } from "../dist/backend/simd/wasm-layer-norm";
import { simdCrossEntropy } from "../dist/backend/simd/wasm-cross-entropy";
import { simdDecodeAttention } from "../dist/backend/simd/wasm-decode-attention";
import { simdDecodeAttentionLayer } from "../dist/backend/simd/wasm-decode-attention-layer";
import { wasmAddRows } from "../dist/backend/wasm-add-rows";
import { fastGather } from "../dist/backend/wasm-gather";
import { sharedIdentityKernel } from "../dist/backend/wasm-shared-identity";

/** What `TRAX_SIMD=0` turns off: every SIMD kernel, the fused ones included. */
const SIMD_SWITCHES = [simdMatMul, simdOptimizers, simdExp, simdSums, simdElementwise, simdSoftmax, simdTranspose, simdReluGrad, simdLayerNorm, simdCrossEntropy, simdDecodeAttention, simdDecodeAttentionLayer, wasmAddRows];
/** Replacements that are not SIMD (`TRAX_SIMD=0` keeps them). */
const OTHER_SWITCHES = [fastGather, sharedIdentityKernel];

/** `fn` (sync, or async until its promise settles) run with the kernel switches set as given. */
function withKernels<T>(simd: boolean, others: boolean, fn: () => T): T {
  const switches = [...SIMD_SWITCHES, ...OTHER_SWITCHES];
  const saved = switches.map((s) => s.enabled);
  const restore = () => switches.forEach((s, i) => (s.enabled = saved[i]));
  SIMD_SWITCHES.forEach((s) => (s.enabled = simd));
  OTHER_SWITCHES.forEach((s) => (s.enabled = others));
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

/** `fn` (async) run with trax-ts as it is except for its SIMD kernels, as with `TRAX_SIMD=0`. */
export function withoutSimd<T>(fn: () => Promise<T>): Promise<T> {
  return withKernels(false, true, fn);
}
