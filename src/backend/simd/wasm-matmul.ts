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
 * On the threaded build, worker threads share each large product with the
 * calling thread ({@link GemmPool}: rows, or a batch's items). Products it
 * does not take (an activation other than ReLU, a PReLU weight, batch shapes
 * that broadcast other than one side being 1) go to tfjs-wasm's kernels.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { gemmModuleBytesFor, instantiateGemm, TILE_M, TILE_N, type GemmExports } from "./gemm-module";
import { fusedMultiplyAdd } from "./fused-multiply-add";
import { compiledModule, heapMemory, isSharedMemory, type WasmModuleMemory } from "./instantiate";
import { GemmPool, type GemmCall } from "./gemm-pool";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "../wasm-heap";

/** What these kernels use of tfjs-wasm's backend object. */
interface WasmMatMulBackend extends WasmHeapBackend, WasmModuleMemory {
  wasm: WasmModuleMemory["wasm"] & {
    /** The module's exports: its memory (single-threaded build), the thread count. */
    asm: { get_threads_count?: () => number };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    HEAPF32: Float32Array;
  };
}

/** One backend's GEMM instance, worker threads (threaded build) and scratch buffer. */
interface GemmState {
  gemm: GemmExports;
  pool: GemmPool | null;
  scratch: number;
  scratchBytes: number;
}

const states = new WeakMap<object, GemmState>();

function stateOf(backend: WasmMatMulBackend): GemmState {
  let s = states.get(backend);
  if (!s) {
    const threads = backend.wasm.asm.get_threads_count?.() ?? 1;
    const memory = heapMemory(backend);
    if (!memory) throw new Error("trax-ts: tfjs-backend-wasm's module has no memory to share (set TRAX_SIMD=0 to use its own products)");
    // On the threaded build, threads - 1 workers share each large product with the calling thread.
    const fma = simdMatMul.fma;
    const pool = threads > 1 && isSharedMemory(memory) ? new GemmPool(compiledModule(memory, gemmModuleBytesFor(fma)), memory, threads - 1) : null;
    s = { gemm: instantiateGemm(memory, fma), pool, scratch: 0, scratchBytes: 0 };
    states.set(backend, s);
  }
  return s;
}

/** Fewest multiply-adds per thread for which a product is shared among threads. */
const MIN_WORK_PER_THREAD = 1 << 16;

/**
 * Runs `calls` (independent products writing separate outputs) on the
 * calling thread and the pool's ready workers, or all here without a pool.
 * `work` is the multiply-adds of one call.
 */
function runCalls(state: GemmState, calls: GemmCall[], work: number): void {
  const threads = Math.min(1 + (state.pool?.readyWorkers() ?? 0), calls.length, Math.max(1, Math.floor((work * calls.length) / MIN_WORK_PER_THREAD)));
  if (threads <= 1 || !state.pool) {
    for (const call of calls) state.gemm.gemm(...call);
    return;
  }
  // Contiguous runs of calls per thread, in rounds of at most 64 calls a thread.
  const perThread = Math.ceil(calls.length / threads);
  for (let start = 0; start < perThread; start += 64) {
    const shares: GemmCall[][] = [];
    for (let t = 0; t < threads; t++) shares.push(calls.slice(t * perThread + start, Math.min((t + 1) * perThread, t * perThread + start + 64)));
    state.pool.run(shares.filter((share, t) => t === 0 || share.length > 0), state.gemm.gemm);
  }
}

/** `call`'s rows split into `parts` calls (multiples of the tile's 4 rows). */
function splitRows(call: GemmCall, parts: number): GemmCall[] {
  const [a, aRow, aCol, b, bkStride, bPanelStride, c, ldc, m, n, k, bias, relu, aRowStep] = call;
  // Whole tiles per part (A packed in panels of TILE_M rows is split between panels).
  const rows = Math.ceil(m / parts / TILE_M) * TILE_M;
  const out: GemmCall[] = [];
  for (let r0 = 0; r0 < m; r0 += rows) {
    out.push([a + r0 * aRow, aRow, aCol, b, bkStride, bPanelStride, c + 4 * r0 * ldc, ldc, Math.min(rows, m - r0), n, k, bias, relu, aRowStep]);
  }
  return out;
}

/**
 * Most rows for which a row-major B is read in place (`gemv<rows>`, row by
 * row) rather than packed: a few rows reuse each packed panel too little to
 * repay packing (a 1 x 1024 @ 1024 x 1024 product: 0.2 ms in place, 1.6 ms
 * packing first; tfjs-wasm's XNNPACK with its packed copy kept 0.3 ms).
 */
const IN_PLACE_MAX_ROWS = 4;

/** A 16-byte aligned scratch area of at least `bytes` in the heap (kept and grown). */
function scratchOf(backend: WasmMatMulBackend, s: GemmState, bytes: number): number {
  if (s.scratchBytes < bytes) {
    if (s.scratch) backend.wasm._free(s.scratch);
    s.scratchBytes = Math.max(bytes, 2 * s.scratchBytes, 1024);
    s.scratch = backend.wasm._malloc(s.scratchBytes + 16) >>> 0; // unsigned: the heap may pass 2 GiB
    if (!s.scratch) throw new Error(`trax-ts: out of wasm memory for a ${s.scratchBytes}-byte matrix product scratch area`);
  }
  return (s.scratch + 15 - ((s.scratch + 15) % 16)) >>> 0;
}

/**
 * Switches for tests and A/B benchmarks. `enabled: false` leaves every
 * product to tfjs-wasm (starts `false` when the environment sets
 * `TRAX_SIMD=0`). `fma`: whether our products use fused multiply-adds
 * ({@link fusedMultiplyAdd}; `TRAX_FMA=0` for separate multiplies and adds),
 * read when a backend's first product runs.
 */
export const simdMatMul = { enabled: process.env.TRAX_SIMD !== "0", fma: process.env.TRAX_SIMD !== "0" && fusedMultiplyAdd() };

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
  const out = backend.makeOutput([...lead, m, n], "float32");
  if (m * n * batch === 0) return out;
  const panelsB = Math.ceil(n / TILE_N) * TILE_N;
  const packedBytes = 4 * panelsB * k;
  const biasBytes = bias ? 4 * panelsB : 0;
  // B's items packed all at once (so threads can take items), unless that is large.
  const packAll = batchB > 1 && batchB * packedBytes <= MAX_PACKED_BYTES;
  const packs = packAll ? batchB : 1;
  // A single transposed A whose columns lie PACK_A_MIN_STRIDE bytes apart or more is packed too.
  const packA = transposeA && batchA === 1 && batchB === 1 && 4 * m >= PACK_A_MIN_STRIDE && m > IN_PLACE_MAX_ROWS;
  const packedABytes = packA ? 4 * Math.ceil(m / TILE_M) * TILE_M * k : 0;
  // Allocate (and so maybe grow the heap) before reading any offset or view.
  const scratch = scratchOf(backend, state, packs * packedBytes + biasBytes + packedABytes);
  const [aPtr, bPtr, cPtr] = [a, b, out].map((t) => heapAddress(backend, t));
  let biasPtr = 0;
  if (bias) {
    biasPtr = scratch + packs * packedBytes;
    const padded = new Float32Array(backend.wasm.HEAPF32.buffer, biasPtr, panelsB);
    padded.set(backend.typedArrayFromHeap(bias));
    padded.fill(0, n);
  }
  const { gemm } = state;
  // A's strides in bytes; B's in elements.
  const [aRow, aCol] = transposeA ? [4, 4 * m] : [4 * k, 4];
  const [bK, bN] = transposeB ? [1, k] : [n, 1];
  const relu = activation === "relu" ? 1 : 0;
  const work = m * n * k;
  /** The call of one product of `rows` rows with B's item at `bItem`, packed at `packed` (packing it when `pack`). */
  const packedCall = (aItem: number, bItem: number, packed: number, cItem: number, rows: number, pack: boolean): GemmCall => {
    if (pack) gemm.pack_b(bItem, packed, k, n, bK, bN);
    return [aItem, aRow, aCol, packed, 32, 32 * k, cItem, n, rows, n, k, biasPtr, relu, aRow];
  };
  /** One product of 1-4 rows with a row-major B read in place (no packing), here. */
  const inPlace = (aItem: number, bItem: number, cItem: number, rows: number): void =>
    gemm[`gemv${rows as 1 | 2 | 3 | 4}`](aItem, aRow, aCol, bItem, 4 * n, cItem, n, n, k, biasPtr, relu);
  const threadsFor = (w: number) => Math.min(1 + (state.pool?.readyWorkers() ?? 0), Math.max(1, Math.floor(w / MIN_WORK_PER_THREAD)));
  /** Runs one product's call, its rows shared among threads where it is large. */
  const runShared = (call: GemmCall, w: number): void => {
    const parts = threadsFor(w);
    runCalls(state, parts > 1 ? splitRows(call, parts) : [call], w / parts);
  };
  const fewRows = (rows: number) => !transposeB && rows <= IN_PLACE_MAX_ROWS;
  if (batchB === 1 && (batchA === 1 || !transposeA)) {
    // One product of all of A's rows (items stacked), its rows shared among threads.
    const rows = batchA * m;
    if (fewRows(rows)) inPlace(aPtr, bPtr, cPtr, rows);
    else if (packA) {
      // A transposed with its columns far apart: panels of 4 rows first.
      const panelsA = scratch + packedBytes + biasBytes;
      gemm.pack_a_t(aPtr, panelsA, m, k, m);
      const call = packedCall(panelsA, bPtr, scratch, cPtr, rows, true);
      [call[1], call[2], call[13]] = [4 * k, 16, 4]; // aRowStride (a panel per 4 rows), aColStride, aRowStep
      runShared(call, rows * n * k);
    } else runShared(packedCall(aPtr, bPtr, scratch, cPtr, rows, true), rows * n * k);
    return out;
  }
  const aAt = (i: number) => aPtr + (batchA > 1 ? 4 * i * m * k : 0);
  const bAt = (i: number) => bPtr + (batchB > 1 ? 4 * i * k * n : 0);
  const cAt = (i: number) => cPtr + 4 * i * m * n;
  if (fewRows(m)) {
    for (let i = 0; i < batch; i++) inPlace(aAt(i), bAt(i), cAt(i), m);
    return out;
  }
  if (!packAll && batchB > 1) {
    // Large items: one at a time, each shared among threads by rows.
    for (let i = 0; i < batch; i++) runShared(packedCall(aAt(i), bAt(i), scratch, cAt(i), m, true), work);
    return out;
  }
  // Many items: each a call, the items shared among threads; B's items packed all at once
  // (a single B packed once).
  const calls: GemmCall[] = [];
  for (let i = 0; i < batch; i++) calls.push(packedCall(aAt(i), bAt(i), scratch + (batchB > 1 ? i * packedBytes : 0), cAt(i), m, batchB > 1 || i === 0));
  runCalls(state, calls, work);
  return out;
}

/**
 * Smallest distance in bytes between a transposed A's columns (4 m) for
 * which it is copied into panels of 4 rows before the product: at 2 KB and
 * more each of the tile's steps reads a new cache line, which map onto a
 * few cache sets (measured: 512x512 @ 512x128 transposed 19 GFLOP/s as it
 * is, 28 untransposed; 26 packed first, the copy included).
 */
const PACK_A_MIN_STRIDE = 1024;

/** The most scratch bytes a batched product packs its right operands into at once. */
const MAX_PACKED_BYTES = 16 << 20;

/**
 * The threads trax-ts's products on `backend` use now: 1, or on the threaded
 * build 1 + its worker threads that have started (they start with the first
 * product, in the background).
 *
 * @example
 * ```ts
 * simdProductThreads(tf.backend()); // 4 on the threaded build with TRAX_THREADS=4, once started
 * ```
 */
export function simdProductThreads(backend: unknown): number {
  const state = states.get(backend as object);
  return 1 + (state?.pool?.readyWorkers() ?? 0);
}

/**
 * Stops the worker threads of `backend`'s products (when the threaded build
 * is given up after an interrupt); its later products run on the calling
 * thread.
 *
 * @example
 * ```ts
 * stopSimdWorkers(oldThreadedBackend);
 * ```
 */
export function stopSimdWorkers(backend: unknown): void {
  const state = states.get(backend as object);
  if (!state?.pool) return;
  state.pool.terminate();
  state.pool = null;
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
