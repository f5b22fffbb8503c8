/**
 * trax-ts's `Softmax` on tfjs-backend-wasm (float32, over the last axis, the
 * only axis tfjs's `softmax` takes): one SIMD pass per row for its maximum,
 * one for `exp(x - max)` (Cephes' `expf`, as trax-ts's `Exp`) and its sum,
 * one to scale by `1 / sum` ({@link instantiateSoftmax}), on the calling
 * thread: 0.9x XNNPACK's time on one thread for an attention's (64, 32, 32)
 * scores, 1.3x for rows of 1000.
 *
 * tfjs-wasm runs XNNPACK's softmax, which on its threaded build goes to its
 * thread pool (a (64, 32, 32) attention softmax took 0.74 ms there against
 * 0.14 ms on one thread, its spinning threads slowing the products beside
 * it). Values differ from XNNPACK's in the last bits (another `exp`, sums
 * in another order); a row holding NaN or +∞, or only -∞, is NaN. Switched
 * off, every input goes to tfjs-wasm's kernel.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateSoftmax } from "./softmax-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceWasmKernel, rowsOfLastAxis, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves `Softmax` to
 * tfjs-wasm (XNNPACK). Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdSoftmax.enabled = false;
 * ```
 */
export const simdSoftmax = { enabled: process.env.TRAX_SIMD !== "0" };

const softmaxOf = instancePerBackend(instantiateSoftmax);

type SoftmaxArgs = { inputs: { logits: tfTypes.TensorInfo }; attrs: { dim: number }; backend: unknown };

let installed = false;

/**
 * Registers trax-ts's `Softmax` for tfjs-backend-wasm (once; a no-op when
 * the wasm backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdSoftmax(tf); // done by trax-ts at load
 * tf.softmax(scores);     // on the calling thread
 * ```
 */
export function installSimdSoftmax(tf: typeof tfTypes): void {
  if (installed) return;
  const original = replaceWasmKernel(tf, "Softmax", (args: SoftmaxArgs) => {
    const { logits } = args.inputs;
    const applies = simdSoftmax.enabled && logits.dtype === "float32" && args.attrs.dim === logits.shape.length - 1;
    const mod = applies ? softmaxOf(args.backend as WasmModuleMemory) : null;
    if (!mod) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(logits.shape, "float32");
    const [rows, n] = rowsOfLastAxis(logits.shape);
    if (rows > 0) mod.softmax(heapAddress(backend, logits), heapAddress(backend, out), rows, n);
    return out;
  });
  installed = original !== undefined;
}
