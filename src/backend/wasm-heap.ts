/**
 * What trax-ts's own kernels use of tfjs-backend-wasm's backend object
 * (tensors live in the wasm heap), and how they take a kernel's place.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";

/**
 * The parts of tfjs-wasm's backend that kernels written in JavaScript use.
 * Allocate outputs before taking views: an allocation may grow the wasm
 * memory and detach the views taken before it.
 */
export interface WasmHeapBackend {
  /** A new output tensor in the heap. */
  makeOutput(shape: number[], dtype: tfTypes.DataType): tfTypes.TensorInfo;
  /** A view of a tensor's data in the heap (float32 tensors: a `Float32Array`). */
  typedArrayFromHeap(t: tfTypes.TensorInfo): Float32Array;
  /** One more reference to a tensor's buffer (for a kernel that returns its input's buffer). */
  incRef(dataId: tfTypes.DataId): void;
  /** Each tensor's place in the heap (`memoryOffset`: its byte address, unsigned). */
  dataIdMap: { get(dataId: tfTypes.DataId): { memoryOffset: number } | undefined };
}

/**
 * The byte address of a tensor's data in tfjs-wasm's heap, for our
 * WebAssembly kernels (which take addresses, not views).
 *
 * @example
 * ```ts
 * const ptr = heapAddress(backend, tensorInfo); // pass to an exported SIMD function
 * ```
 */
export function heapAddress(backend: unknown, t: tfTypes.TensorInfo): number {
  const data = (backend as WasmHeapBackend).dataIdMap.get(t.dataId);
  if (!data) throw new Error("trax-ts: a kernel input is not in tfjs-wasm's heap (was it disposed?)");
  return data.memoryOffset;
}

/**
 * A tensor of `shape` `(..., n)` as rows of its last axis: `[rows, n]`
 * (rows 0 when `n` is 0).
 *
 * @example
 * ```ts
 * rowsOfLastAxis([16, 32, 128]); // [512, 128]
 * ```
 */
export function rowsOfLastAxis(shape: number[]): [number, number] {
  const n = shape[shape.length - 1];
  return [n ? shape.reduce((p, d) => p * d, 1) / n : 0, n];
}

/**
 * A function that registers trax-ts's own wasm kernel `kernelName` (one the
 * wasm backend does not have) the first time it is called, and does nothing
 * after: kernels are registered when first used, not at load.
 *
 * @example
 * ```ts
 * const register = registersOnce(tf, "TraxAddRows", addRowsKernel);
 * register(); // before the first engine.runKernel("TraxAddRows", ...)
 * ```
 */
export function registersOnce(tf: typeof tfTypes, kernelName: string, kernelFunc: unknown): () => void {
  let registered = false;
  return () => {
    if (registered) return;
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as tfTypes.KernelFunc });
    registered = true;
  };
}

/**
 * Registers `kernelFunc` as the wasm backend's `kernelName`, in place of
 * tfjs-wasm's own (whose setup still runs, so `kernelFunc` may call the
 * returned original); returns the replaced kernel, or `undefined` (and does
 * nothing) when tfjs-backend-wasm has no such kernel loaded.
 *
 * @example
 * ```ts
 * const original = replaceWasmKernel(tf, "Identity", myIdentity);
 * ```
 */
export function replaceWasmKernel(tf: typeof tfTypes, kernelName: string, kernelFunc: unknown): tfTypes.KernelConfig | undefined {
  const original = tf.getKernel(kernelName, "wasm");
  if (!original) return undefined;
  tf.unregisterKernel(kernelName, "wasm");
  // The original's setup (binding its wasm function to each backend instance, the
  // threaded one included) still runs, so a replacement can fall back to it.
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as tfTypes.KernelFunc, setupFunc: original.setupFunc });
  return original;
}

/**
 * A loop of one of trax-ts's modules over `n` float32s at byte address `src`, written to `dst`.
 *
 * @example
 * ```ts
 * const relu: UnaryLoop = elementwiseOf(backend)!.relu;
 * ```
 */
export type UnaryLoop = (src: number, dst: number, n: number) => void;

/**
 * Replaces tfjs-wasm's unary kernel `kernelName` (input `x`) with one that
 * runs `loopFor(x, backend)` over the input into a new float32 output of its
 * shape where that gives a loop, and tfjs-wasm's own kernel where it gives
 * null (another dtype, switched off). Returns the original kernel, or
 * undefined without the wasm backend.
 *
 * @example
 * ```ts
 * replaceUnaryWasmKernel(tf, "Exp", (x, backend) => (x.dtype === "float32" ? expOf(backend)?.exp ?? null : null));
 * ```
 */
export function replaceUnaryWasmKernel(tf: typeof tfTypes, kernelName: string, loopFor: (x: tfTypes.TensorInfo, backend: unknown) => UnaryLoop | null): tfTypes.KernelConfig | undefined {
  const original = replaceWasmKernel(tf, kernelName, (args: { inputs: { x: tfTypes.TensorInfo }; backend: unknown }) => {
    const { x } = args.inputs;
    const loop = loopFor(x, args.backend);
    if (!loop) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(x.shape, "float32");
    const size = tf.util.sizeFromShape(x.shape);
    if (size > 0) loop(heapAddress(backend, x), heapAddress(backend, out), size);
    return out;
  });
  return original;
}
