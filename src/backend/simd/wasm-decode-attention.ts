/**
 * One decoding step of causal attention as a single wasm kernel,
 * `TraxDecodeAttention`: appends the new position's key and value to the
 * cache and attends the single query over every position, where the tfjs
 * path runs eight kernels (two concats, a multiply, a sum, a scaling, a
 * reshape, a softmax and a batched product), each with about 10 us of
 * bookkeeping, at every token of every layer.
 *
 * Per item (batch row and head): the logits are dot products with each key
 * ({@link instantiateDots}, four keys at a time), times `1 / sqrt(d)`; the softmax subtracts the
 * row's maximum, takes `exp` with trax-ts's SIMD exp and divides by the
 * sum; the output is the probabilities' product with the values, by the
 * same `gemv1` as trax-ts's products of one row. The same math as the tfjs
 * path; sums in another order, so results agree to rounding.
 * @module
 */
import { tf } from "../tf";
import { instantiateDots } from "./dots-module";
import { expOf } from "./wasm-exp";
import { gemmOf, gemvInPlace, simdMatMul } from "./wasm-matmul";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, registersOnce, type WasmHeapBackend } from "../wasm-heap";
import { isRecordingGradients } from "../../fastmath/lazy-grad";

/**
 * Switch for tests and A/B benchmarks: `false` runs a decoding step as tfjs
 * ops. Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdDecodeAttention.enabled = false;
 * ```
 */
export const simdDecodeAttention = { enabled: process.env.TRAX_SIMD !== "0" };

const dotsOf = instancePerBackend(instantiateDots);

type Info = tf.TensorInfo;

/**
 * What the decoding kernels use of tfjs-wasm's backend object.
 *
 * @example
 * ```ts
 * const b = backend as DecodeBackend; // in a kernel function
 * const scratch = b.wasm._malloc(4 * floats);
 * ```
 */
export interface DecodeBackend extends WasmHeapBackend, WasmModuleMemory {
  wasm: WasmModuleMemory["wasm"] & { _malloc(bytes: number): number; _free(ptr: number): void; HEAPF32: Float32Array };
  /** Frees a buffer this kernel made (when it cannot finish). */
  disposeData(dataId: tf.DataId): boolean;
}

/**
 * Copies each item's `t` cached rows and its new row into the `t + 1` rows
 * of `out` (all rows `w` floats; `cache` null when `t` is 0).
 *
 * @example
 * ```ts
 * appendRows(view(keys), view(k), view(newKeys), items, t, d); // newKeys (items, t + 1, d)
 * ```
 */
export function appendRows(cache: Float32Array | null, row: Float32Array, out: Float32Array, items: number, t: number, w: number): void {
  for (let i = 0; i < items; i++) {
    if (cache) out.set(cache.subarray(i * t * w, (i + 1) * t * w), i * (t + 1) * w);
    out.set(row.subarray(i * w, (i + 1) * w), (i * (t + 1) + t) * w);
  }
}

/**
 * Heap addresses (bytes) and sizes of {@link attendOneQuery}'s operands.
 *
 * @example
 * ```ts
 * const a: OneQueryAttention = { q, keys, values, out, logits, items: 4, positions: 9, depth: 64, valueDepth: 64 };
 * ```
 */
export interface OneQueryAttention {
  /** Queries `(items, depth)`. */
  q: number;
  /** Keys `(items, positions, depth)`. */
  keys: number;
  /** Values `(items, positions, valueDepth)`. */
  values: number;
  /** The output `(items, valueDepth)`. */
  out: number;
  /** Scratch for `items * positions` floats. */
  logits: number;
  items: number;
  positions: number;
  /** A multiple of 4. */
  depth: number;
  valueDepth: number;
}

/**
 * Attention of each item's single query over its `positions` keys and
 * values, in the wasm heap, no mask: logits `q . k / sqrt(depth)` four keys
 * at a time, a softmax (the row's maximum subtracted, trax-ts's SIMD exp,
 * divided by the sum), then the product of the probabilities with the
 * values by `gemv1`. Call it after every allocation of the kernel (it takes
 * a view of the heap).
 *
 * @example
 * ```ts
 * attendOneQuery(backend, { q, keys, values, out, logits, items: 4, positions: t + 1, depth: 64, valueDepth: 64 });
 * ```
 */
export function attendOneQuery(backend: DecodeBackend, a: OneQueryAttention): void {
  const { items: n, positions: t1, depth: d, valueDepth: dv } = a;
  const gemm = gemmOf(backend); // (made with the backend's first product, before any view of the heap below)
  const { dots } = dotsOf(backend)!;
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < n; i++) dots(a.q + 4 * i * d, a.keys + 4 * i * t1 * d, a.logits + 4 * i * t1, t1, d, scale);
  // softmax over each item's t + 1 logits: e^(x - max) / sum
  const logits = new Float32Array(backend.wasm.HEAPF32.buffer, a.logits, n * t1);
  for (let start = 0; start < n * t1; start += t1) {
    let max = -Infinity;
    for (let j = start; j < start + t1; j++) if (logits[j] > max) max = logits[j];
    for (let j = start; j < start + t1; j++) logits[j] -= max;
  }
  expOf(backend)!.exp(a.logits, a.logits, n * t1);
  for (let start = 0; start < n * t1; start += t1) {
    let sum = 0;
    for (let j = start; j < start + t1; j++) sum = Math.fround(sum + logits[j]);
    for (let j = start; j < start + t1; j++) logits[j] /= sum;
  }
  for (let i = 0; i < n; i++) gemvInPlace(gemm, a.logits + 4 * i * t1, 4 * t1, 4, a.values + 4 * i * t1 * dv, a.out + 4 * i * dv, 1, dv, t1, 0, 0);
}

/**
 * Runs `body` with a scratch area of `floats` floats in the heap and returns
 * `outs`; if `body` (or the allocation) fails, frees `outs` before
 * rethrowing, so a failed step leaves nothing behind. The scratch is freed
 * either way.
 *
 * @example
 * ```ts
 * return withScratch(backend, n * t1, outs, (scratch) => attendOneQuery(backend, { ..., logits: scratch }));
 * ```
 */
export function withScratch(backend: DecodeBackend, floats: number, outs: Info[], body: (scratch: number) => void): Info[] {
  let scratch = 0;
  try {
    scratch = backend.wasm._malloc(4 * Math.max(floats, 1)) >>> 0;
    if (!scratch) throw new Error(`trax-ts: out of wasm memory for ${floats} floats of decoding scratch`);
    body(scratch);
    return outs;
  } catch (e) {
    // Nothing half-made is left behind.
    for (const out of outs) backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (scratch) backend.wasm._free(scratch);
  }
}

function decodeAttentionKernel({ inputs, backend }: { inputs: { q: Info; k: Info; v: Info; keys: Info; values: Info }; backend: unknown }): Info[] {
  const { q, k, v, keys, values } = inputs;
  const b = backend as DecodeBackend;
  const [n, , d] = q.shape;
  const t = keys.shape[1];
  const dv = v.shape[2];
  const t1 = t + 1;
  // Allocate everything first: allocation may grow the heap (and detach views of it).
  const outs = [b.makeOutput([n, 1, dv], "float32"), b.makeOutput([n, t1, d], "float32"), b.makeOutput([n, t1, dv], "float32")];
  const [act, newKeys, newValues] = outs;
  return withScratch(b, n * t1, outs, (scratch) => {
    gemmOf(b); // (made before any view of the heap below)
    const view = (x: Info) => b.typedArrayFromHeap(x);
    // An empty cache (the first token) has no data to read.
    appendRows(t > 0 ? view(keys) : null, view(k), view(newKeys), n, t, d);
    appendRows(t > 0 ? view(values) : null, view(v), view(newValues), n, t, dv);
    const at = (x: Info) => heapAddress(backend, x);
    attendOneQuery(b, { q: at(q), keys: at(newKeys), values: at(newValues), out: at(act), logits: scratch, items: n, positions: t1, depth: d, valueDepth: dv });
  });
}

/**
 * Whether trax-ts's decoding kernels can run on the current backend now:
 * wasm, switched on (with trax-ts's products), no gradient being recorded
 * (they have none), and their modules available.
 *
 * @example
 * ```ts
 * if (decodingKernelsRun()) ... // else the tfjs ops
 * ```
 */
export function decodingKernelsRun(): boolean {
  if (!simdDecodeAttention.enabled || !simdMatMul.enabled || tf.getBackend() !== "wasm") return false;
  // No gradient through these kernels: a recorded step takes the tfjs ops.
  if (isRecordingGradients()) return false;
  const backend = tf.backend() as unknown as WasmModuleMemory;
  return !!dotsOf(backend) && !!expOf(backend);
}

const register = registersOnce(tf, "TraxDecodeAttention", decodeAttentionKernel);

/** Whether the kernel takes these inputs now (float32, heads a multiple of 4 wide, and {@link decodingKernelsRun}). */
function applies(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): boolean {
  const all = [q, k, v, keys, values];
  if (all.some((x) => x.dtype !== "float32" || x.rank !== 3)) return false;
  const [n, one, d] = q.shape;
  if (one !== 1 || d % 4 !== 0 || !k.shape.every((s, i) => s === q.shape[i])) return false;
  if (v.shape[0] !== n || v.shape[1] !== 1 || keys.shape[0] !== n || keys.shape[2] !== d || values.shape[0] !== n) return false;
  if (values.shape[1] !== keys.shape[1] || values.shape[2] !== v.shape[2]) return false;
  if (!decodingKernelsRun()) return false;
  register();
  return true;
}

/**
 * One decoding step of attention with a cache: appends `k`, `v` to `keys`,
 * `values` and attends each item's single query over all `t + 1`
 * positions (no mask: a new position sees every cached one). Returns
 * `[activations, newKeys, newValues]`, or `null` where the kernel does not
 * run (use the tfjs ops then).
 *
 * Shapes: `q`, `k` `(n, 1, d)`, `v` `(n, 1, dv)`, `keys` `(n, t, d)`,
 * `values` `(n, t, dv)`; activations `(n, 1, dv)`, new caches `(n, t + 1, ·)`.
 *
 * @example
 * ```ts
 * const [act, keys2, values2] = fusedDecodeAttention(q, k, v, keys, values) ?? tfjsOps();
 * ```
 */
export function fusedDecodeAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!applies(q, k, v, keys, values)) return null;
  return tf.engine().runKernel("TraxDecodeAttention", { q, k, v, keys, values }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
