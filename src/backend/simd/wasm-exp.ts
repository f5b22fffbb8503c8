/**
 * trax-ts's `Exp` and `Tanh` kernels on tfjs-backend-wasm: the SIMD loops of
 * {@link instantiateExp} over tfjs-wasm's heap (about 10x faster than
 * tfjs-wasm's element-at-a-time `expf` and `tanhf`; within 1 and 1.3 float32
 * ulps of the exact values on every input tested, where the C library's
 * are within 1). Inputs that are not float32, and every input when switched
 * off, go to tfjs-wasm's own kernels.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateExp } from "./exp-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { replaceUnaryWasmKernel } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves `Exp` and `Tanh` to tfjs-wasm.
 * Starts `false` when the environment sets `TRAX_SIMD=0` (which turns off
 * every SIMD kernel of trax-ts).
 *
 * @example
 * ```ts
 * simdExp.enabled = false; // tf.exp runs tfjs-wasm's expf loop
 * ```
 */
export const simdExp = { enabled: process.env.TRAX_SIMD !== "0" };

/**
 * Each backend's instance of the exp module; `null` where its memory could
 * not be reached. Shared with other kernels that take exp in the same heap.
 *
 * @example
 * ```ts
 * expOf(backend)?.exp(src, dst, n);
 * ```
 */
export const expOf = instancePerBackend(instantiateExp);

/** Registers `kernelName` as `fn` of the module over float32 inputs, else tfjs-wasm's kernel; whether it was loaded. */
function replaceUnary(tf: typeof tfTypes, kernelName: string, fn: "exp" | "tanh"): boolean {
  const loopFor = (x: tfTypes.TensorInfo, backend: unknown) => (simdExp.enabled && x.dtype === "float32" ? expOf(backend as WasmModuleMemory)?.[fn] ?? null : null);
  return replaceUnaryWasmKernel(tf, kernelName, loopFor) !== undefined;
}

let installed = false;

/**
 * Registers the SIMD `Exp` and `Tanh` for tfjs-backend-wasm (once; a no-op
 * when the wasm backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdExp(tf); // done by trax-ts at load
 * tf.exp(logits);      // the SIMD loop on wasm
 * ```
 */
export function installSimdExp(tf: typeof tfTypes): void {
  if (installed) return;
  installed = replaceUnary(tf, "Exp", "exp");
  if (installed) replaceUnary(tf, "Tanh", "tanh");
}
