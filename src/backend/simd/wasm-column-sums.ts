/**
 * trax-ts's `Sum` over leading axes on tfjs-backend-wasm: the SIMD loop of
 * {@link instantiateColumnSums} over tfjs-wasm's heap, for the reductions
 * of every bias and broadcast gradient (`sum(dy, [0, 1])` of a (batch,
 * length, d) gradient). tfjs-wasm transposes such an input before summing
 * it (a (512, 128) input: about 0.3 ms, against about 0.02 ms here); the
 * results are the same, bit for bit. Other sums (the last axes, all axes,
 * int32) go to tfjs-wasm's kernel, which needs no transpose for them.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateColumnSums } from "./column-sums-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves every `Sum` to
 * tfjs-wasm. Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdColumnSums.enabled = false; // tf.sum(x, 0) transposes x first, as tfjs-wasm does
 * ```
 */
export const simdColumnSums = { enabled: process.env.TRAX_SIMD !== "0" };

/** Each backend's instance; `null` where its memory could not be reached. */
const moduleOf = instancePerBackend(instantiateColumnSums);

type SumArgs = { inputs: { x: tfTypes.TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: unknown };

/**
 * How many leading axes a sum over `axes` of a rank-`rank` input reduces
 * when they are given in order (axes 0 .. r-1, 0 < r < rank), else 0.
 * (tfjs-wasm sums axes given out of order in another order, so its results
 * differ in the last bits; those stay with its kernel.)
 *
 * @example
 * ```ts
 * leadingAxes([0, 1], 3); // 2
 * leadingAxes([1], 3);    // 0
 * ```
 */
export function leadingAxes(axes: number[], rank: number): number {
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

let installed = false;

/**
 * Registers the column-sums `Sum` for tfjs-backend-wasm (once; a no-op when
 * the wasm backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdColumnSums(tf); // done by trax-ts at load
 * tf.sum(dy, [0, 1]);         // a bias gradient, no transpose
 * ```
 */
export function installSimdColumnSums(tf: typeof tfTypes): void {
  if (installed) return;
  const original = replaceWasmKernel(tf, "Sum", (args: SumArgs) => {
    const { x } = args.inputs;
    const r = simdColumnSums.enabled && x.dtype === "float32" ? leadingAxes(tf.util.parseAxisParam(args.attrs.axis, x.shape), x.shape.length) : 0;
    const mod = r > 0 ? moduleOf(args.backend as WasmModuleMemory) : null;
    if (!mod) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const rest = x.shape.slice(r);
    const out = backend.makeOutput(args.attrs.keepDims ? [...x.shape.slice(0, r).map(() => 1), ...rest] : rest, "float32");
    const cols = tf.util.sizeFromShape(rest);
    if (cols > 0) mod.column_sums(heapAddress(backend, x), heapAddress(backend, out), tf.util.sizeFromShape(x.shape.slice(0, r)), cols);
    return out;
  });
  installed = original !== undefined;
}
