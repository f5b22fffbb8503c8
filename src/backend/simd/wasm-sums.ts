/**
 * trax-ts's `Sum` and `Mean` on tfjs-backend-wasm over leading or trailing
 * axes: the loops of {@link instantiateSums} over tfjs-wasm's heap (a mean
 * is the sum divided by its count, as tfjs-wasm computes it).
 *
 * - Leading axes are the reductions of every bias and broadcast gradient
 *   (`sum(dy, [0, 1])` of a (batch, length, d) gradient). tfjs-wasm
 *   transposes such an input before summing it: a (512, 128) input took
 *   about 0.3 ms, against about 0.03 ms here.
 * - Trailing axes (`sum(x, -1)`): four rows at once, 3-6x faster.
 *
 * The results are tfjs-wasm's own, bit for bit. Other sums (all axes, axes
 * in the middle or out of order, int32) go to tfjs-wasm's kernel.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateSums } from "./sums-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves every `Sum` and
 * `Mean` to tfjs-wasm. Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdSums.enabled = false; // tf.sum(x, 0) transposes x first, as tfjs-wasm does
 * ```
 */
export const simdSums = { enabled: process.env.TRAX_SIMD !== "0" };

/**
 * Each backend's instance of the sums module; `null` where its memory could
 * not be reached. Shared with other kernels that sum rows in the same heap.
 *
 * @example
 * ```ts
 * sumsOf(backend)?.row_sums(src, dst, rows, cols);
 * ```
 */
export const sumsOf = instancePerBackend(instantiateSums);

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

/**
 * The first axis of a sum over `axes` of a rank-`rank` input when they are
 * the trailing axes in order (axes r .. rank-1, 0 < r < rank), else 0.
 *
 * @example
 * ```ts
 * trailingAxes([2], 3);    // 2
 * trailingAxes([1, 2], 3); // 1
 * trailingAxes([0, 1], 2); // 0 (all axes)
 * ```
 */
export function trailingAxes(axes: number[], rank: number): number {
  if (axes.length === 0 || axes.length >= rank) return 0;
  const first = rank - axes.length;
  return axes.every((a, i) => a === first + i) ? first : 0;
}

/**
 * The kernel function of `Sum` (or, with `mean`, of `Mean`: each sum then
 * divided by the count it summed, as tfjs-wasm's `Mean` does) over leading
 * or trailing axes; anything else goes to `original`.
 */
function sumKernel(tf: typeof tfTypes, original: () => tfTypes.KernelConfig, mean: boolean) {
  return (args: SumArgs): tfTypes.TensorInfo => {
    const { x } = args.inputs;
    const mod = simdSums.enabled && x.dtype === "float32" ? sumsOf(args.backend as WasmModuleMemory) : null;
    const axes = mod ? tf.util.parseAxisParam(args.attrs.axis, x.shape) : [];
    const rank = x.shape.length;
    const leading = mod ? leadingAxes(axes, rank) : 0;
    const trailing = mod && !leading ? trailingAxes(axes, rank) : 0;
    if (!mod || (!leading && !trailing)) return original().kernelFunc(args as never) as tfTypes.TensorInfo;
    const backend = args.backend as WasmHeapBackend;
    // (rows, columns) of x seen as a matrix; the output keeps the axes not reduced
    const split = leading || trailing;
    const [rows, cols] = [tf.util.sizeFromShape(x.shape.slice(0, split)), tf.util.sizeFromShape(x.shape.slice(split))];
    const kept = leading ? x.shape.slice(split) : x.shape.slice(0, split);
    const ones = (n: number) => new Array<number>(n).fill(1);
    const shape = !args.attrs.keepDims ? kept : leading ? [...ones(split), ...kept] : [...kept, ...ones(rank - split)];
    const out = backend.makeOutput(shape, "float32");
    if (tf.util.sizeFromShape(shape) === 0) return out;
    const [src, dst] = [heapAddress(backend, x), heapAddress(backend, out)];
    if (leading) mod.column_sums(src, dst, rows, cols);
    else mod.row_sums(src, dst, rows, cols);
    if (mean) {
      // float32 sum / count, rounded once (a quotient of floats in float64 rounds to the float32 one)
      const count = leading ? rows : cols;
      const values = backend.typedArrayFromHeap(out);
      for (let i = 0; i < values.length; i++) values[i] = values[i] / count;
    }
    return out;
  };
}

let installed = false;

/**
 * Registers our `Sum` and `Mean` for tfjs-backend-wasm (once; a no-op when
 * the wasm backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdSums(tf); // done by trax-ts at load
 * tf.sum(dy, [0, 1]);   // a bias gradient, no transpose
 * tf.mean(x, -1);       // four rows at a time
 * ```
 */
export function installSimdSums(tf: typeof tfTypes): void {
  if (installed) return;
  const sum = replaceWasmKernel(tf, "Sum", sumKernel(tf, () => sum!, false));
  const mean = replaceWasmKernel(tf, "Mean", sumKernel(tf, () => mean!, true));
  installed = sum !== undefined;
}
