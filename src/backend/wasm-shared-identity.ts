/**
 * A sharing `Identity` kernel for the wasm backend. tfjs clones every tensor a
 * gradient needs (`engine.clone` runs `Identity`), and tfjs-backend-wasm's
 * `Identity` copies the data, so a training step copies each saved input and
 * output (a Dense layer's input and weights, every activation) and a custom
 * gradient copies all the weights it saves. Tensors are immutable, so the copy
 * buys nothing: this kernel shares the buffer and counts a reference, as
 * tfjs's cpu backend and the wasm `Reshape` kernel do. Measured on the MLP
 * 784-256-256-10 Adam step: 0.92 of the time; the peak memory of a
 * gradient through a custom-gradient layer no longer holds a second copy of
 * its weights.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { replaceWasmKernel, WasmHeapBackend } from "./wasm-heap";

type KernelArgs = { inputs: tfTypes.NamedTensorInfoMap; backend: unknown };

/** `Identity` that returns the input's own buffer with one more reference. */
function sharedIdentity({ inputs, backend }: KernelArgs): tfTypes.TensorInfo {
  const x = inputs.x as tfTypes.TensorInfo;
  (backend as WasmHeapBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let installed = false;

/** Switch for A/B benchmarks: `false` runs tfjs-wasm's copying `Identity` (benchmarks' plain-tfjs rows). */
export const sharedIdentityKernel = { enabled: true };

/**
 * Makes the wasm backend's `Identity` (what `tf.clone` and the gradient tape's
 * saved tensors run) share data instead of copying it. Idempotent.
 *
 * @example
 * ```ts
 * installSharedIdentity(tf);
 * const a = tf.tensor([1, 2]);
 * const b = a.clone(); // same buffer, one more reference; a.dispose() leaves b intact
 * ```
 */
export function installSharedIdentity(tf: typeof tfTypes): void {
  if (installed) return;
  // Strings live outside the wasm heap: tfjs's own kernel handles them.
  const original = replaceWasmKernel(tf, "Identity", (args: KernelArgs) =>
    args.inputs.x?.dtype === "string" || !sharedIdentityKernel.enabled ? original?.kernelFunc(args as never) : sharedIdentity(args)
  );
  installed = original !== undefined;
}
