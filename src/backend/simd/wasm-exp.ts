/**
 * trax-ts's `Exp` kernel on tfjs-backend-wasm: the SIMD loop of
 * {@link instantiateExp} over tfjs-wasm's heap (about 10x faster than
 * tfjs-wasm's element-at-a-time `expf`; within 1 float32 ulp of the exact
 * value on every input tested, where `expf` is correctly rounded). Inputs
 * that are not float32, and every input when switched off, go to
 * tfjs-wasm's own kernel.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateExp, type ExpExports } from "./exp-module";
import { heapMemory, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves `Exp` to tfjs-wasm.
 * Starts `false` when the environment sets `TRAX_SIMD=0` (which turns off
 * every SIMD kernel of trax-ts).
 *
 * @example
 * ```ts
 * simdExp.enabled = false; // tf.exp runs tfjs-wasm's expf loop
 * ```
 */
export const simdExp = { enabled: process.env.TRAX_SIMD !== "0" };

/** Each backend's instance; `null` where its memory could not be reached. */
const instances = new WeakMap<object, ExpExports | null>();

function expOf(backend: WasmModuleMemory): ExpExports | null {
  let mod = instances.get(backend);
  if (mod === undefined) {
    const memory = backend.wasm?.asm ? heapMemory(backend) : undefined;
    mod = memory ? instantiateExp(memory) : null;
    instances.set(backend, mod);
  }
  return mod;
}

type ExpArgs = { inputs: { x: tfTypes.TensorInfo }; backend: unknown };

let installed = false;

/**
 * Registers the SIMD `Exp` for tfjs-backend-wasm (once; a no-op when the
 * wasm backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdExp(tf); // done by trax-ts at load
 * tf.exp(logits);      // the SIMD loop on wasm
 * ```
 */
export function installSimdExp(tf: typeof tfTypes): void {
  if (installed) return;
  const original = replaceWasmKernel(tf, "Exp", (args: ExpArgs) => {
    const { x } = args.inputs;
    const mod = simdExp.enabled && x.dtype === "float32" ? expOf(args.backend as WasmModuleMemory) : null;
    if (!mod) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(x.shape, "float32");
    const size = tf.util.sizeFromShape(x.shape);
    if (size > 0) mod.exp(heapAddress(backend, x), heapAddress(backend, out), size);
    return out;
  });
  installed = original !== undefined;
}
