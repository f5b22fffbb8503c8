/**
 * trax-ts's matrix products on tfjs-backend-wasm: `BatchMatMul` and
 * `_FusedMatMul` (bias, ReLU) through our SIMD GEMM ({@link
 * instantiateGemm}), which works in tfjs-wasm's own heap. tfjs-wasm sends
 * only unbatched, untransposed products to XNNPACK, which repacks the right
 * operand whenever it is a new tensor (every training step), and runs every
 * other product in a scalar loop at 1-3 GFLOP/s; ours packs both operands
 * (absorbing transposes) and takes transposed and batched products at full
 * speed (about 30 GFLOP/s on one core with fused multiply-adds, against
 * XNNPACK's 8-14 with its repacking).
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

/** Threads set for a backend's products by {@link setSimdProductThreads}. */
const productThreads = new WeakMap<object, number>();

/**
 * Sets the threads `backend`'s products run on (the calling thread and
 * `threads - 1` workers over its shared heap), before its first product;
 * unset, they follow the build's pool (`get_threads_count`).
 *
 * @example
 * ```ts
 * setSimdProductThreads(threadedBackend, 4); // XNNPACK may have fewer
 * ```
 */
export function setSimdProductThreads(backend: object, threads: number): void {
  productThreads.set(backend, threads);
}

function stateOf(backend: WasmMatMulBackend): GemmState {
  let s = states.get(backend);
  if (!s) {
    const threads = productThreads.get(backend) ?? backend.wasm.asm.get_threads_count?.() ?? 1;
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

/**
 * Fewest multiply-adds per thread for which a product is shared among
 * threads: half a million take about 20 us here, what handing a share to a
 * worker and collecting it can cost (a (128, 10) x (10, 256) gradient
 * product of an MLP step took 34 us on one thread and 274 us shared, its
 * worker asleep since the forward pass, when the bar was 65536).
 */
const MIN_WORK_PER_THREAD = 1 << 19;

/**
 * Runs `calls` (independent products writing separate outputs) on the
 * calling thread and the pool's ready workers, or all here without a pool.
 * `work` is the multiply-adds of one call.
 */
function runCalls(state: GemmState, calls: GemmCall[], work: number): void {
  const threads = Math.min(simdMatMul.maxThreads, 1 + (state.pool?.readyWorkers() ?? 0), calls.length, Math.max(1, Math.floor((work * calls.length) / MIN_WORK_PER_THREAD)));
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

/** `call`'s rows split into `parts` calls, between A's packed panels of {@link TILE_M} rows. */
function splitRows(call: GemmCall, parts: number): GemmCall[] {
  const [a, b, c, ldc, m, n, k, bias, relu] = call;
  const rows = Math.ceil(m / parts / TILE_M) * TILE_M;
  const out: GemmCall[] = [];
  for (let r0 = 0; r0 < m; r0 += rows) out.push([a + 4 * r0 * k, b, c + 4 * r0 * ldc, ldc, Math.min(rows, m - r0), n, k, bias, relu]);
  return out;
}

/**
 * Most rows for which a row-major B is read in place (`gemv<rows>`, row by
 * row) rather than packed: a few rows reuse each packed panel too little to
 * repay packing (a 1 x 1024 @ 1024 x 1024 product: 0.2 ms in place, 1.6 ms
 * packing first; tfjs-wasm's XNNPACK with its packed copy kept 0.3 ms).
 */
const IN_PLACE_MAX_ROWS = 4;

/**
 * `C = A B (+ bias) (ReLU)` for `rows` (1-4) rows of A read through byte
 * strides and a row-major `k x n` B read in place (`gemv<rows>`); C's rows
 * `n` floats apart; `bias` the address of `n` floats (read in place: the
 * one-row products need no padding) or 0.
 *
 * @example
 * ```ts
 * gemvInPlace(gemmOf(backend), xPtr, 4 * k, 4, wPtr, yPtr, 1, n, k, biasPtr, 0); // y = x @ w + bias
 * ```
 */
export function gemvInPlace(gemm: GemmExports, a: number, aRowBytes: number, aColBytes: number, b: number, c: number, rows: number, n: number, k: number, bias: number, relu: number): void {
  gemm[`gemv${rows as 1 | 2 | 3 | 4}`](a, aRowBytes, aColBytes, b, 4 * n, c, n, n, k, bias, relu);
}

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
 * read when a backend's first product runs. `maxThreads`: the most threads
 * a product is shared among (the pool's workers stay; for comparing one
 * thread with all in one process).
 *
 * @example
 * ```ts
 * simdMatMul.maxThreads = 1; // products on the calling thread only
 * ```
 */
export const simdMatMul = { enabled: process.env.TRAX_SIMD !== "0", fma: process.env.TRAX_SIMD !== "0" && fusedMultiplyAdd(), maxThreads: Infinity };

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

/**
 * The product of a row-major `a` of at most {@link IN_PLACE_MAX_ROWS} rows
 * (all its leading axes together) and a 2-D row-major `b`, read in place,
 * with the bias read in place too; `undefined` for more rows. The path of
 * an eager layer call or a decoding step, kept free of the general path's
 * shape bookkeeping: the same `gemv` call as there.
 */
function fewRowsProduct(backend: WasmMatMulBackend, a: tfTypes.TensorInfo, b: tfTypes.TensorInfo, bias: tfTypes.TensorInfo | undefined, m: number, n: number, k: number, relu: boolean): tfTypes.TensorInfo | undefined {
  const ra = a.shape.length;
  let rows = m;
  for (let i = 0; i < ra - 2; i++) rows *= a.shape[i];
  if (rows > IN_PLACE_MAX_ROWS) return undefined;
  const state = stateOf(backend);
  const shape = a.shape.slice();
  shape[ra - 1] = n;
  const out = backend.makeOutput(shape, "float32");
  if (rows * n === 0) return out;
  const at = (t: tfTypes.TensorInfo) => heapAddress(backend, t);
  gemvInPlace(state.gemm, at(a), 4 * k, 4, at(b), at(out), rows, n, k, bias ? at(bias) : 0, relu ? 1 : 0);
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
  if (rb === 2 && !transposeA && !transposeB) {
    const few = fewRowsProduct(args.backend as WasmMatMulBackend, a, b, bias, m, n, k, activation === "relu");
    if (few) return few;
  }
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
  const packedBBytes = 4 * panelsB * k;
  const packedABytes = 4 * Math.ceil(m / TILE_M) * TILE_M * k;
  const biasBytes = bias ? 4 * panelsB : 0;
  const { gemm } = state;
  const relu = activation === "relu" ? 1 : 0;
  const work = m * n * k;
  // A's element (i, k) at `4 (i aRow + k aCol)` bytes from its item; B's (k, j) at `4 (k bK + j bN)`.
  const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
  const [bK, bN] = transposeB ? [1, k] : [n, 1];
  /**
   * Scratch for `packsB` packed B items, then the padded bias, then `packsA`
   * packed A items of `aRows` rows; allocated (which may grow the heap)
   * before any address or view of the heap is read.
   */
  const layout = (packsB: number, packsA: number, aRows = m) => {
    const aBytes = 4 * Math.ceil(aRows / TILE_M) * TILE_M * k;
    const scratch = scratchOf(backend, state, packsB * packedBBytes + biasBytes + packsA * aBytes);
    const biasPtr = bias ? scratch + packsB * packedBBytes : 0;
    if (bias) {
      const padded = new Float32Array(backend.wasm.HEAPF32.buffer, biasPtr, panelsB);
      padded.set(backend.typedArrayFromHeap(bias));
      padded.fill(0, n);
    }
    const [aPtr, bPtr, cPtr] = [a, b, out].map((t) => heapAddress(backend, t));
    return { packedB: scratch, packedA: scratch + packsB * packedBBytes + biasBytes, biasPtr, aPtr, bPtr, cPtr };
  };
  const packA = (src: number, dst: number, rows: number): number => (gemm.pack_a(src, dst, rows, k, aRow, aCol), dst);
  const packB = (src: number, dst: number): number => (gemm.pack_b(src, dst, k, n, bK, bN), dst);
  const threadsFor = (w: number) => Math.min(simdMatMul.maxThreads, 1 + (state.pool?.readyWorkers() ?? 0), Math.max(1, Math.floor(w / MIN_WORK_PER_THREAD)));
  /** Runs one product's call, its rows shared among threads where it is large. */
  const runShared = (call: GemmCall, w: number): void => {
    const parts = threadsFor(w);
    runCalls(state, parts > 1 ? splitRows(call, parts) : [call], w / parts);
  };
  /** Products of 1-4 rows with a row-major B read in place (no packing), here. */
  const fewRows = (rows: number) => !transposeB && rows <= IN_PLACE_MAX_ROWS;
  const inPlace = (aItem: number, bItem: number, cItem: number, rows: number): void =>
    gemvInPlace(gemm, aItem, 4 * aRow, 4 * aCol, bItem, cItem, rows, n, k, bias ? heapAddress(backend, bias) : 0, relu);
  const addresses = () => [a, b, out].map((t) => heapAddress(backend, t));
  if (batchB === 1 && (batchA === 1 || !transposeA)) {
    // One product of all of A's rows (items stacked), its rows shared among threads.
    const rows = batchA * m;
    if (fewRows(rows)) {
      const [aPtr, bPtr, cPtr] = addresses();
      inPlace(aPtr, bPtr, cPtr, rows);
      return out;
    }
    const { packedA, packedB, biasPtr, aPtr, bPtr, cPtr } = layout(1, 1, rows);
    runShared([packA(aPtr, packedA, rows), packB(bPtr, packedB), cPtr, n, rows, n, k, biasPtr, relu], rows * n * k);
    return out;
  }
  const aAt = (base: number, i: number) => base + (batchA > 1 ? 4 * i * m * k : 0);
  const bAt = (base: number, i: number) => base + (batchB > 1 ? 4 * i * k * n : 0);
  const cAt = (base: number, i: number) => base + 4 * i * m * n;
  if (fewRows(m)) {
    const [aPtr, bPtr, cPtr] = addresses();
    for (let i = 0; i < batch; i++) inPlace(aAt(aPtr, i), bAt(bPtr, i), cAt(cPtr, i), m);
    return out;
  }
  // Each item packed (a side that is one matrix for every item, once).
  const packsA = batchA > 1 ? batch : 1;
  const packsB = batchB > 1 ? batch : 1;
  if (packsA * packedABytes + packsB * packedBBytes > MAX_PACKED_BYTES) {
    // Large items: one at a time, each shared among threads by rows.
    const { packedA, packedB, biasPtr, aPtr, bPtr, cPtr } = layout(1, 1);
    for (let i = 0; i < batch; i++) {
      if (batchA > 1 || i === 0) packA(aAt(aPtr, i), packedA, m);
      if (batchB > 1 || i === 0) packB(bAt(bPtr, i), packedB);
      runShared([packedA, packedB, cAt(cPtr, i), n, m, n, k, biasPtr, relu], work);
    }
    return out;
  }
  // Many items: all packed first, then each a call, the items shared among threads.
  const { packedA, packedB, biasPtr, aPtr, bPtr, cPtr } = layout(packsB, packsA);
  const calls: GemmCall[] = [];
  for (let i = 0; i < batch; i++) {
    const aItem = batchA > 1 || i === 0 ? packA(aAt(aPtr, i), packedA + (batchA > 1 ? i * packedABytes : 0), m) : packedA;
    const bItem = batchB > 1 || i === 0 ? packB(bAt(bPtr, i), packedB + (batchB > 1 ? i * packedBBytes : 0)) : packedB;
    calls.push([aItem, bItem, cAt(cPtr, i), n, m, n, k, biasPtr, relu]);
  }
  runCalls(state, calls, work);
  return out;
}

/** The most scratch bytes a batched product packs its right operands into at once. */
const MAX_PACKED_BYTES = 16 << 20;

/**
 * The GEMM module instance of `backend`'s products (made with the first
 * product), for other kernels that run one-row products in the same heap.
 *
 * @example
 * ```ts
 * gemvInPlace(gemmOf(backend), ...args);
 * ```
 */
export function gemmOf(backend: unknown): GemmExports {
  return stateOf(backend as WasmMatMulBackend).gemm;
}

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
