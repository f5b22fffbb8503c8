/**
 * One decoding step of causal attention as a single wasm kernel,
 * `TraxDecodeAttention`: writes the new position's key and value into the
 * caches at their index and attends the single query over every position
 * held, where the tfjs path runs about eight kernels (two cache writes, a
 * slice, a multiply, a sum, a scaling, a softmax and a batched product),
 * each with about 10 us of bookkeeping, at every token of every layer. The
 * caches are written in place where no decoding state can see it
 * (`../decoding-cache.ts`), else into copies.
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
import { writingAt } from "../decoding-cache";

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
 * Writes each item's new row (`w` floats) into position `index` of a cache
 * `(items, capacity, w)`, in place.
 *
 * @example
 * ```ts
 * writeRowAt(view(keys), view(k), items, capacity, index, d); // keys now hold index + 1 positions
 * ```
 */
export function writeRowAt(cache: Float32Array, row: Float32Array, items: number, capacity: number, index: number, w: number): void {
  for (let i = 0; i < items; i++) cache.set(row.subarray(i * w, (i + 1) * w), (i * capacity + index) * w);
}

/**
 * Heap addresses (bytes) and sizes of {@link attendOneQuery}'s operands.
 *
 * @example
 * ```ts
 * const a: OneQueryAttention = { q, keys, values, out, logits, items: 4, positions: 9, capacity: 2048, depth: 64, valueDepth: 64 };
 * ```
 */
export interface OneQueryAttention {
  /** Queries `(items, depth)`. */
  q: number;
  /** Keys `(items, capacity, depth)`, of which the first `positions` are read. */
  keys: number;
  /** Values `(items, capacity, valueDepth)`, of which the first `positions` are read. */
  values: number;
  /** The output `(items, valueDepth)`. */
  out: number;
  /** Scratch for `items * positions` floats. */
  logits: number;
  items: number;
  positions: number;
  /** Positions each item's keys and values have room for (the stride between items). */
  capacity: number;
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
 * attendOneQuery(backend, { q, keys, values, out, logits, items: 4, positions: t + 1, capacity: 2048, depth: 64, valueDepth: 64 });
 * ```
 */
export function attendOneQuery(backend: DecodeBackend, a: OneQueryAttention): void {
  const { items: n, positions: t1, capacity: cap, depth: d, valueDepth: dv } = a;
  const gemm = gemmOf(backend); // (made with the backend's first product, before any view of the heap below)
  const { dots } = dotsOf(backend)!;
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < n; i++) dots(a.q + 4 * i * d, a.keys + 4 * i * cap * d, a.logits + 4 * i * t1, t1, d, scale);
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
  for (let i = 0; i < n; i++) gemvInPlace(gemm, a.logits + 4 * i * t1, 4 * t1, 4, a.values + 4 * i * cap * dv, a.out + 4 * i * dv, 1, dv, t1, 0, 0);
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

function decodeAttentionKernel({ inputs, backend, attrs }: { inputs: { q: Info; k: Info; v: Info; keys: Info; values: Info }; backend: unknown; attrs: { index: number } }): Info {
  const { q, k, v, keys, values } = inputs;
  const b = backend as DecodeBackend;
  const [n, , d] = q.shape;
  const capacity = keys.shape[1];
  const dv = v.shape[2];
  const t1 = attrs.index + 1;
  // Allocate everything first: allocation may grow the heap (and detach views of it).
  const act = b.makeOutput([n, 1, dv], "float32");
  return withScratch(b, n * t1, [act], (scratch) => {
    gemmOf(b); // (made before any view of the heap below)
    const view = (x: Info) => b.typedArrayFromHeap(x);
    writeRowAt(view(keys), view(k), n, capacity, attrs.index, d);
    writeRowAt(view(values), view(v), n, capacity, attrs.index, dv);
    const at = (x: Info) => heapAddress(backend, x);
    attendOneQuery(b, { q: at(q), keys: at(keys), values: at(values), out: at(act), logits: scratch, items: n, positions: t1, capacity, depth: d, valueDepth: dv });
  })[0];
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

/** Whether the kernel takes these inputs now (float32, heads a multiple of 4 wide, room at `index`, and {@link decodingKernelsRun}). */
function applies(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor, index: number): boolean {
  const all = [q, k, v, keys, values];
  if (all.some((x) => x.dtype !== "float32" || x.rank !== 3)) return false;
  const [n, one, d] = q.shape;
  if (one !== 1 || d % 4 !== 0 || !k.shape.every((s, i) => s === q.shape[i])) return false;
  if (v.shape[0] !== n || v.shape[1] !== 1 || keys.shape[0] !== n || keys.shape[2] !== d || values.shape[0] !== n) return false;
  if (values.shape[1] !== keys.shape[1] || values.shape[2] !== v.shape[2]) return false;
  if (!Number.isInteger(index) || index < 0 || index >= (keys.shape[1] as number)) return false;
  if (!decodingKernelsRun()) return false;
  register();
  return true;
}

/**
 * One decoding step of attention with a cache: writes `k`, `v` at position
 * `index` of `keys`, `values` and attends each item's single query over
 * the `index + 1` positions held (no mask: a new position sees every
 * cached one). Returns `[activations, keys, values]` (the caches after the
 * step: the same tensors, written in place, where no decoding state can
 * see it), or `null` where the kernel does not run (use the tfjs ops then).
 *
 * Shapes: `q`, `k` `(n, 1, d)`, `v` `(n, 1, dv)`, `keys` `(n, capacity, d)`,
 * `values` `(n, capacity, dv)`; activations `(n, 1, dv)`.
 *
 * @example
 * ```ts
 * const [act, keys2, values2] = fusedDecodeAttention(q, k, v, keys, values, index) ?? tfjsOps();
 * ```
 */
export function fusedDecodeAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor, index: number): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!applies(q, k, v, keys, values, index)) return null;
  return writingAt(keys, values, index, (ks, vs) =>
    tf.engine().runKernel("TraxDecodeAttention", { q, k, v, keys: ks, values: vs }, { index } as unknown as tf.NamedAttrMap) as tf.Tensor
  );
}
