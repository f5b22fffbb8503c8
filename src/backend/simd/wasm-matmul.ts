/**
 * trax-ts's matrix products on tfjs-backend-wasm: `BatchMatMul` and
 * `_FusedMatMul` (bias, ReLU) through our SIMD GEMM ({@link
 * instantiateGemm}), which works in tfjs-wasm's own heap. tfjs-wasm sends
 * only unbatched, untransposed products to XNNPACK, which repacks the right
 * operand whenever it is a new tensor (every training step), and runs every
 * other product in a scalar loop at 1-3 GFLOP/s; ours takes transposed and
 * batched operands at full speed (about 20 GFLOP/s on one core, measured
 * against XNNPACK's 8-14 with its repacking, same run).
 *
 * On the threaded build, XNNPACK's products use every thread while ours
 * uses one, so there ours takes only what tfjs would run in its scalar loop
 * (batched or transposed products). Products it does not take (an
 * activation other than ReLU, a PReLU weight, batch shapes that broadcast
 * other than one side being 1) go to tfjs-wasm's kernels.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { instantiateGemm, TILE_N, type GemmExports, type WasmMemory } from "./gemm-module";
import { replaceWasmKernel } from "../wasm-heap";

/** What these kernels use of tfjs-wasm's backend object. */
interface WasmMatMulBackend {
  wasm: {
    /** The module's exports: the memory of the single-threaded build, the thread count. */
    asm: { memory?: WasmMemory; get_threads_count?: () => number };
    /** The memory of the threaded build (imported by its module, so not in `asm`). */
    wasmMemory?: WasmMemory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    HEAPF32: Float32Array;
  };
  dataIdMap: { get(dataId: tfTypes.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tfTypes.DataType): tfTypes.TensorInfo;
}

/** One backend's GEMM instance and scratch buffer. */
interface GemmState {
  gemm: GemmExports;
  threads: number;
  scratch: number;
  scratchBytes: number;
}

const states = new WeakMap<object, GemmState>();

function stateOf(backend: WasmMatMulBackend): GemmState {
  let s = states.get(backend);
  if (!s) {
    const threads = backend.wasm.asm.get_threads_count?.() ?? 1;
    const memory = backend.wasm.asm.memory ?? backend.wasm.wasmMemory;
    if (!memory) throw new Error("trax-ts: tfjs-backend-wasm's module has no memory to share (set TRAX_SIMD=0 to use its own products)");
    s = { gemm: instantiateGemm(memory), threads, scratch: 0, scratchBytes: 0 };
    states.set(backend, s);
  }
  return s;
}

/** A 16-byte aligned scratch area of at least `bytes` in the heap (kept and grown). */
function scratchOf(backend: WasmMatMulBackend, s: GemmState, bytes: number): number {
  if (s.scratchBytes < bytes) {
    if (s.scratch) backend.wasm._free(s.scratch);
    s.scratchBytes = Math.max(bytes, 2 * s.scratchBytes, 1024);
    s.scratch = backend.wasm._malloc(s.scratchBytes + 16);
    if (!s.scratch) throw new Error(`trax-ts: out of wasm memory for a ${s.scratchBytes}-byte matrix product scratch area`);
  }
  return (s.scratch + 15) & ~15;
}

/**
 * Switch for tests and A/B benchmarks: `false` leaves every product to
 * tfjs-wasm. Starts `false` when the environment sets `TRAX_SIMD=0`.
 */
export const simdMatMul = { enabled: process.env.TRAX_SIMD !== "0" };

type KernelArgs = {
  inputs: { a: tfTypes.TensorInfo; b: tfTypes.TensorInfo; bias?: tfTypes.TensorInfo; preluActivationWeights?: tfTypes.TensorInfo };
  attrs: { transposeA: boolean; transposeB: boolean; activation?: string };
  backend: unknown;
};

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/** The broadcast of two batch shapes (aligned right), or `undefined` when they do not broadcast. */
function broadcastShapes(x: number[], y: number[]): number[] | undefined {
  const out: number[] = [];
  for (let i = 1; i <= Math.max(x.length, y.length); i++) {
    const [dx, dy] = [x[x.length - i] ?? 1, y[y.length - i] ?? 1];
    if (dx !== dy && dx !== 1 && dy !== 1) return undefined;
    out.unshift(dx === 1 ? dy : dx);
  }
  return out;
}

/** The output of `op(a) @ op(b) (+ bias) (ReLU)`, or `undefined` when this kernel does not take the product. */
function simdProduct(args: KernelArgs): tfTypes.TensorInfo | undefined {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  const activation = args.attrs.activation ?? "linear";
  if (!simdMatMul.enabled || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  if (preluActivationWeights || (activation !== "linear" && activation !== "relu")) return undefined;
  if (bias && (bias.shape.length !== 1 || bias.dtype !== "float32")) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (k !== kb || (bias && bias.shape[0] !== n)) return undefined; // tfjs's kernel says what is wrong
  const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!lead) return undefined;
  // Each side is either one matrix for every item or one matrix per item, in order.
  const batch = product(lead);
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return undefined;
  const backend = args.backend as WasmMatMulBackend;
  const state = stateOf(backend);
  if (state.threads > 1 && !transposeA && !transposeB && batchA === 1 && batchB === 1) return undefined; // XNNPACK on every thread
  const out = backend.makeOutput([...lead, m, n], "float32");
  if (m * n * batch === 0) return out;
  const panelsB = Math.ceil(n / TILE_N) * TILE_N;
  const packedBytes = 4 * panelsB * k;
  const biasBytes = bias ? 4 * panelsB : 0;
  // Allocate (and so maybe grow the heap) before reading any offset or view.
  const scratch = scratchOf(backend, state, packedBytes + biasBytes);
  const offset = (t: tfTypes.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;
  const [aPtr, bPtr, cPtr] = [offset(a), offset(b), offset(out)];
  let biasPtr = 0;
  if (bias) {
    biasPtr = scratch + packedBytes;
    const padded = new Float32Array(backend.wasm.HEAPF32.buffer, biasPtr, panelsB);
    padded.set(new Float32Array(backend.wasm.HEAPF32.buffer, offset(bias), n));
    padded.fill(0, n);
  }
  const { gemm } = state;
  // A's strides in bytes; B's in elements.
  const [aRow, aCol] = transposeA ? [4, 4 * m] : [4 * k, 4];
  const [bK, bN] = transposeB ? [1, k] : [n, 1];
  const relu = activation === "relu" ? 1 : 0;
  if (batchB === 1 && batchA > 1 && !transposeA) {
    // One product of all of A's rows.
    gemm.pack_b(bPtr, scratch, k, n, bK, bN);
    gemm.gemm(aPtr, aRow, aCol, scratch, cPtr, batchA * m, n, k, biasPtr, relu);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    if (i === 0 || batchB > 1) gemm.pack_b(bPtr + (batchB > 1 ? 4 * i * k * n : 0), scratch, k, n, bK, bN);
    gemm.gemm(aPtr + (batchA > 1 ? 4 * i * m * k : 0), aRow, aCol, scratch, cPtr + 4 * i * m * n, m, n, k, biasPtr, relu);
  }
  return out;
}

let installed = false;

/**
 * Makes tfjs-wasm's `BatchMatMul` and `_FusedMatMul` run trax-ts's SIMD
 * GEMM where it takes the product (see the module comment), tfjs-wasm's
 * own kernels elsewhere. Idempotent.
 *
 * @example
 * ```ts
 * installSimdMatMul(tf);
 * tf.matMul(tf.ones([2, 3]), tf.ones([4, 3]), false, true); // (2, 4) of 3s, no scalar loop
 * ```
 */
export function installSimdMatMul(tf: typeof tfTypes): void {
  if (installed) return;
  const batchMatMul = replaceWasmKernel(tf, "BatchMatMul", (args: KernelArgs) => simdProduct(args) ?? batchMatMul?.kernelFunc(args as never));
  const fusedMatMul = replaceWasmKernel(tf, "_FusedMatMul", (args: KernelArgs) => simdProduct(args) ?? fusedMatMul?.kernelFunc(args as never));
  installed = batchMatMul !== undefined;
}
