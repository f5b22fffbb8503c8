/**
 * trax-ts's element-wise kernels on tfjs-backend-wasm: `Add`, `Sub`,
 * `Multiply`, `RealDiv` (float32, any broadcast) and `Relu`, `Neg`, `Abs`,
 * `Square` (float32), the loops of {@link instantiateElementwise} over
 * tfjs-wasm's heap, on the calling thread.
 *
 * Why: tfjs-wasm runs these through XNNPACK, and on its threaded build
 * XNNPACK hands each of them to its thread pool, whose threads spin after
 * every operation on the cores trax-ts's product workers compute on (a
 * (128, 256) `Relu` took 0.33 ms there against 0.02 ms on one thread, and
 * the products beside it slowed down). The results are the same bits:
 * each element is one IEEE float32 operation, as XNNPACK's; `relu` is
 * `max(x, +0)` (NaN stays NaN, -0 becomes +0, as tfjs-wasm's). Other dtypes,
 * and every input when switched off, go to tfjs-wasm's kernels.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateElementwise, ROW_MODE, type BinaryOp, type ElementwiseExports, type UnaryOp } from "./elementwise-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, replaceUnaryWasmKernel, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` leaves these kernels to
 * tfjs-wasm (XNNPACK). Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdElementwise.enabled = false; // tf.add runs XNNPACK's kernel
 * ```
 */
export const simdElementwise = { enabled: process.env.TRAX_SIMD !== "0" };

/**
 * Each backend's instance of the element-wise module; `null` where its
 * memory could not be reached.
 *
 * @example
 * ```ts
 * elementwiseOf(backend)?.relu(src, dst, n);
 * ```
 */
export const elementwiseOf = instancePerBackend(instantiateElementwise);

/**
 * One level of a broadcast loop: `size` output positions, each operand's step (in floats; 0 where it broadcasts).
 *
 * @example
 * ```ts
 * const rowsOfBias: BroadcastLevel = { size: 128, aStride: 256, bStride: 0 }; // (128, 256) + (256)
 * ```
 */
export interface BroadcastLevel {
  size: number;
  aStride: number;
  bStride: number;
}

/**
 * The loops of a broadcasting binary operation of row-major `aShape` and
 * `bShape` (already known to broadcast to `shape`), innermost first: axes
 * of size 1 in the output dropped, neighbours that broadcast alike merged.
 * The output is row-major, so its step at a level is the product of the
 * sizes inside it. An output of one element has one level of size 1.
 *
 * @example
 * ```ts
 * broadcastLevels([64, 32, 32], [1, 32, 32], [64, 32, 32]);
 * // [{ size: 1024, aStride: 1, bStride: 1 }, { size: 64, aStride: 1024, bStride: 0 }]
 * broadcastLevels([8, 1], [5], [8, 5]);
 * // [{ size: 5, aStride: 0, bStride: 1 }, { size: 8, aStride: 1, bStride: 0 }]
 * ```
 */
export function broadcastLevels(aShape: number[], bShape: number[], shape: number[]): BroadcastLevel[] {
  const rank = shape.length;
  const dim = (s: number[], axis: number) => s[axis - (rank - s.length)] ?? 1;
  // Innermost first: each level's size and whether each operand runs along it.
  const levels: { size: number; alongA: boolean; alongB: boolean }[] = [];
  for (let axis = rank - 1; axis >= 0; axis--) {
    const size = shape[axis];
    if (size === 1) continue;
    const [alongA, alongB] = [dim(aShape, axis) !== 1, dim(bShape, axis) !== 1];
    const inner = levels[levels.length - 1];
    if (inner && inner.alongA === alongA && inner.alongB === alongB) inner.size *= size;
    else levels.push({ size, alongA, alongB });
  }
  if (levels.length === 0) levels.push({ size: 1, alongA: true, alongB: true });
  let [aStep, bStep] = [1, 1];
  return levels.map(({ size, alongA, alongB }) => {
    const level = { size, aStride: alongA ? aStep : 0, bStride: alongB ? bStep : 0 };
    if (alongA) aStep *= size;
    if (alongB) bStep *= size;
    return level;
  });
}

/**
 * Runs `op` over the broadcast `levels` (see {@link broadcastLevels}) of
 * the floats at byte addresses `a` and `b` into `out`: the two innermost
 * levels as the module's rows and columns, any outer ones here.
 */
function runBroadcast(mod: ElementwiseExports, op: BinaryOp, levels: BroadcastLevel[], a: number, b: number, out: number): void {
  const [inner, rows = { size: 1, aStride: 0, bStride: 0 }] = levels;
  const mode = inner.aStride === 0 ? ROW_MODE.scalarA : inner.bStride === 0 ? ROW_MODE.scalarB : ROW_MODE.both;
  const block = inner.size * rows.size;
  const run = (aAt: number, bAt: number, outAt: number) => mod[op](aAt, bAt, outAt, rows.size, inner.size, 4 * rows.aStride, 4 * rows.bStride, mode);
  const outer = levels.slice(2);
  if (outer.length === 0) return run(a, b, out);
  // An odometer over the outer levels (innermost first), one block of rows each.
  const index = new Array<number>(outer.length).fill(0);
  let [aAt, bAt, outAt] = [a, b, out];
  for (;;) {
    run(aAt, bAt, outAt);
    outAt += 4 * block;
    let l = 0;
    for (; l < outer.length; l++) {
      aAt += 4 * outer[l].aStride;
      bAt += 4 * outer[l].bStride;
      if (++index[l] < outer[l].size) break;
      aAt -= 4 * outer[l].aStride * outer[l].size;
      bAt -= 4 * outer[l].bStride * outer[l].size;
      index[l] = 0;
    }
    if (l === outer.length) return;
  }
}

type BinaryArgs = { inputs: { a: tfTypes.TensorInfo; b: tfTypes.TensorInfo }; backend: unknown };

/** The module where a kernel whose inputs are all float32 (`float32`) runs here, else null (tfjs-wasm's kernel runs). */
function moduleFor(backend: unknown, float32: boolean): ElementwiseExports | null {
  return simdElementwise.enabled && float32 ? elementwiseOf(backend as WasmModuleMemory) : null;
}

function replaceBinary(tf: typeof tfTypes, kernelName: string, op: BinaryOp): boolean {
  const original = replaceWasmKernel(tf, kernelName, (args: BinaryArgs) => {
    const { a, b } = args.inputs;
    const mod = moduleFor(args.backend, a.dtype === "float32" && b.dtype === "float32");
    if (!mod) return original!.kernelFunc(args as never);
    const backend = args.backend as WasmHeapBackend;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.makeOutput(shape, "float32");
    if (tf.util.sizeFromShape(shape) === 0) return out;
    runBroadcast(mod, op, broadcastLevels(a.shape, b.shape, shape), heapAddress(backend, a), heapAddress(backend, b), heapAddress(backend, out));
    return out;
  });
  return original !== undefined;
}

function replaceUnary(tf: typeof tfTypes, kernelName: string, op: UnaryOp): void {
  replaceUnaryWasmKernel(tf, kernelName, (x, backend) => moduleFor(backend, x.dtype === "float32")?.[op] ?? null);
}

let installed = false;

/**
 * Registers trax-ts's `Add`, `Sub`, `Multiply`, `RealDiv`, `Relu`, `Neg`,
 * `Abs` and `Square` for tfjs-backend-wasm (once; a no-op when the wasm
 * backend is not loaded).
 *
 * @example
 * ```ts
 * installSimdElementwise(tf); // done by trax-ts at load
 * tf.add(x, bias);            // a SIMD loop on the calling thread
 * ```
 */
export function installSimdElementwise(tf: typeof tfTypes): void {
  if (installed) return;
  installed = replaceBinary(tf, "Add", "add");
  if (!installed) return;
  replaceBinary(tf, "Sub", "sub");
  replaceBinary(tf, "Multiply", "mul");
  replaceBinary(tf, "RealDiv", "div");
  replaceUnary(tf, "Relu", "relu");
  replaceUnary(tf, "Neg", "neg");
  replaceUnary(tf, "Abs", "abs");
  replaceUnary(tf, "Square", "square");
}
