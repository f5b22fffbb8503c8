/**
 * trax-ts's `Transpose` on tfjs-backend-wasm for permutations that keep the
 * last axis last (an attention layer's head split and merge, `(b, l, h, d)`
 * to `(b, h, l, d)` and back): whole rows copied 16 bytes at a time by
 * {@link instantiateTranspose}, the same values (a copy). Other
 * permutations, rows under 16 bytes, more than three leading axes, and
 * dtypes other than float32 and int32 go to tfjs-wasm's kernel.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateTranspose } from "./transpose-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves every transpose to
 * tfjs-wasm. Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdTranspose.enabled = false;
 * ```
 */
export const simdTranspose = { enabled: process.env.TRAX_SIMD !== "0" };

const moduleOf = instancePerBackend(instantiateTranspose);

type TransposeArgs = { inputs: { x: tfTypes.TensorInfo }; attrs: { perm: number[] }; backend: unknown };

/**
 * The copy of a transpose of `shape` by `perm` keeping the last axis, as
 * `copy_rows`' sizes and byte strides over three leading axes (size-1 axes
 * prepended), or `null` when it does not keep the last axis, has more than
 * three leading axes, or rows under 16 bytes (element size 4).
 *
 * @example
 * ```ts
 * rowCopyPlan([2, 5, 4, 8], [0, 2, 1, 3]); // { sizes: [2, 4, 5], strides: [640, 32, 128], rowBytes: 32 }
 * ```
 */
export function rowCopyPlan(shape: number[], perm: number[]): { sizes: number[]; strides: number[]; rowBytes: number } | null {
  const r = shape.length;
  if (r < 2 || perm[r - 1] !== r - 1 || r - 1 > 3) return null;
  const rowBytes = 4 * shape[r - 1];
  if (rowBytes < 16) return null;
  // The input's byte strides of its leading axes.
  const inStrides: number[] = new Array(r - 1);
  let stride = rowBytes;
  for (let a = r - 2; a >= 0; a--) {
    inStrides[a] = stride;
    stride *= shape[a];
  }
  const lead = perm.slice(0, r - 1);
  const sizes = lead.map((a) => shape[a]);
  const strides = lead.map((a) => inStrides[a]);
  while (sizes.length < 3) {
    sizes.unshift(1);
    strides.unshift(0);
  }
  return { sizes, strides, rowBytes };
}

let installed = false;

/**
 * Registers the row-copying `Transpose` for tfjs-backend-wasm (once; a no-op
 * without the wasm backend).
 *
 * @example
 * ```ts
 * installSimdTranspose(tf); // done by trax-ts at load
 * x.transpose([0, 2, 1, 3]); // rows of x's last axis copied whole
 * ```
 */
export function installSimdTranspose(tf: typeof tfTypes): void {
  if (installed) return;
  const original = replaceWasmKernel(tf, "Transpose", (args: TransposeArgs) => {
    const { x } = args.inputs;
    const plan = simdTranspose.enabled && (x.dtype === "float32" || x.dtype === "int32") ? rowCopyPlan(x.shape, args.attrs.perm) : null;
    const mod = plan ? moduleOf(args.backend as WasmModuleMemory) : null;
    if (!plan || !mod) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(args.attrs.perm.map((a) => x.shape[a]), x.dtype);
    if (tf.util.sizeFromShape(x.shape) > 0) {
      const [n0, n1, n2] = plan.sizes;
      const [s0, s1, s2] = plan.strides;
      mod.copy_rows(heapAddress(backend, x), heapAddress(backend, out), n0, n1, n2, s0, s1, s2, plan.rowBytes);
    }
    return out;
  });
  installed = original !== undefined;
}
