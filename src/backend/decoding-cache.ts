/**
 * The key and value caches of predict-mode causal attention, as Trax keeps
 * them: buffers of a fixed capacity `(items, maxInferenceLength, depth)`
 * beside an index, the number of positions held. A decoding step writes its
 * positions at the index.
 *
 * Trax writes with `dynamic_update_slice`, a new buffer every step. Here a
 * step writes **in place** when no decoding state can see the change: on
 * the wasm backend, with no gradient recorded, into a buffer trax-ts made,
 * at or past the most positions any state over that buffer has held (its
 * *frontier*). Rows at and past a state's index are scratch to it, so every
 * state a caller still holds stays valid: decoding on from an earlier state
 * (a second branch) finds the frontier past its index and gets a copy of its
 * valid rows instead (copy-on-write). Elsewhere (other backends, a gradient
 * tape) a step makes a new buffer, as Trax does.
 *
 * Writing in place spares a decoding step the copy of both caches, which
 * grows with the positions held.
 * @module
 */
import { tf } from "./tf";
import { isRecordingGradients } from "../fastmath/lazy-grad";
import type { WasmHeapBackend } from "./wasm-heap";
import { assertFitsInBackend } from "./engine-health";

/** Per buffer (by data id, shared with its clones and reshapes): the most positions any state over it holds. */
const frontiers = new WeakMap<object, number>();

/**
 * Switch for tests and A/B benchmarks: `false` makes every decoding step
 * write a new cache buffer (Trax's `dynamic_update_slice`).
 *
 * @example
 * ```ts
 * inPlaceCacheWrites.enabled = false;
 * ```
 */
export const inPlaceCacheWrites = { enabled: true };

/**
 * A new, empty cache: zeros `(items, capacity, depth)` that decoding steps
 * may write in place. Throws, saying how large it is, when it cannot be
 * allocated; on wasm before allocating, when it would not fit in the heap
 * (an allocation past it would lose the backend).
 *
 * @example
 * ```ts
 * const keys = emptyDecodingCache(8, 2048, 64, "float32"); // 8 = batch * heads
 * ```
 */
export function emptyDecodingCache(items: number, capacity: number, depth: number, dtype: tf.DataType): tf.Tensor {
  const what = `the decoding cache (${items} items x ${capacity} positions x ${depth}; a smaller maxInferenceLength or batch needs less)`;
  assertFitsInBackend(4 * items * capacity * depth, what);
  let cache: tf.Tensor;
  try {
    cache = tf.zeros([items, capacity, depth], dtype);
  } catch (e) {
    throw new Error(`${what} could not be allocated: ${e instanceof Error ? e.message : String(e)}`);
  }
  frontiers.set(cache.dataId, 0);
  return cache;
}

/** The parts of tfjs's engine that say which backend holds a tensor's data. */
interface EngineTensorInfo {
  state: { tensorInfo: { get(dataId: object): { backend: unknown } | undefined } };
}

/**
 * Whether `t`'s data is in the backend in use (a tensor made before a switch
 * of backend is moved there only when a kernel first takes it).
 */
function onCurrentBackend(t: tf.Tensor): boolean {
  return (tf.engine() as unknown as EngineTensorInfo).state.tensorInfo.get(t.dataId)?.backend === tf.backend();
}

/**
 * Whether a step may write positions `index ..` of `cache` in place: in-place
 * writes on, the wasm backend, float32, no gradient recorded, a buffer
 * trax-ts made, no state over it holding more than `index` positions, and
 * none of `others` (the step's other cache) sharing it.
 *
 * @example
 * ```ts
 * if (writableInPlace(keys, 5, [values])) ... // a kernel may write position 5 into keys
 * ```
 */
export function writableInPlace(cache: tf.Tensor, index: number, others: tf.Tensor[] = []): boolean {
  if (!inPlaceCacheWrites.enabled || cache.dtype !== "float32" || tf.getBackend() !== "wasm" || isRecordingGradients()) return false;
  const frontier = frontiers.get(cache.dataId);
  return frontier !== undefined && index >= frontier && others.every((o) => o.dataId !== cache.dataId) && onCurrentBackend(cache);
}

/**
 * Records that a state over `cache` now holds `total` positions: later
 * writes before `total` copy the buffer first.
 */
function heldPositions(cache: tf.Tensor, total: number): void {
  if (total > (frontiers.get(cache.dataId) ?? -1)) frontiers.set(cache.dataId, total);
}

/**
 * A cache a step may write at `index` in place: `cache` itself where
 * {@link writableInPlace} (not sharing a buffer with `others`), else a new
 * buffer with its first `index` positions and zeros after (the caller frees
 * it if its step fails).
 */
function writableCache(cache: tf.Tensor, index: number, others: tf.Tensor[] = []): tf.Tensor {
  if (writableInPlace(cache, index, others)) return cache;
  const [items, capacity, depth] = cache.shape as [number, number, number];
  const copy = tf.tidy(() =>
    index === 0
      ? tf.zeros([items, capacity, depth], cache.dtype)
      : tf.concat([tf.slice(cache, [0, 0, 0], [items, index, depth]), tf.zeros([items, capacity - index, depth], cache.dtype)], 1)
  );
  frontiers.set(copy.dataId, index);
  return copy;
}

/**
 * Runs a decoding kernel that writes position `index` of `keys` and
 * `values` in place: on the caches themselves where no decoding state can
 * see the write, else on copies of their first `index` positions (freed if
 * the kernel fails). Returns `[result, keys, values]` as they are after the
 * step, each holding `index + 1` positions.
 *
 * @example
 * ```ts
 * const [act, keys2, values2] = writingAt(keys, values, index, (ks, vs) => runKernel(..., ks, vs));
 * ```
 */
export function writingAt<T>(keys: tf.Tensor, values: tf.Tensor, index: number, step: (keys: tf.Tensor, values: tf.Tensor) => T): [T, tf.Tensor, tf.Tensor] {
  const caches: tf.Tensor[] = [];
  try {
    // (keys and values sharing a buffer: one of them is copied)
    caches.push(writableCache(keys, index, [values]));
    caches.push(writableCache(values, index, [caches[0]!]));
    const result = step(caches[0]!, caches[1]!);
    for (const cache of caches) heldPositions(cache, index + 1);
    return [result, caches[0]!, caches[1]!];
  } catch (e) {
    tf.dispose(caches.filter((c) => c !== keys && c !== values));
    throw e;
  }
}

/**
 * The cache with `rows` `(items, n, depth)` written at positions
 * `index .. index + n - 1` and its first `index` positions kept: `cache`
 * itself, written in place where {@link writableInPlace} (not sharing a
 * buffer with `others`); else a new buffer (`dynamic_update_slice`),
 * through which gradients flow.
 *
 * @example
 * ```ts
 * const keys2 = withRowsAt(keys, k, index, [values]); // keys2 holds index + k.shape[1] positions
 * ```
 */
export function withRowsAt(cache: tf.Tensor, rows: tf.Tensor, index: number, others: tf.Tensor[] = []): tf.Tensor {
  const [items, capacity, depth] = cache.shape as [number, number, number];
  const n = rows.shape[1] as number;
  if (rows.rank !== 3 || rows.shape[0] !== items || rows.shape[2] !== depth || index + n > capacity) {
    throw new Error(`cannot write rows [${rows.shape}] at position ${index} of a decoding cache [${cache.shape}]`);
  }
  if (rows.dtype === cache.dtype && writableInPlace(cache, index, [rows, ...others]) && onCurrentBackend(rows)) {
    const backend = tf.backend() as unknown as WasmHeapBackend;
    const from = backend.typedArrayFromHeap(rows as unknown as tf.TensorInfo);
    const into = backend.typedArrayFromHeap(cache as unknown as tf.TensorInfo);
    for (let i = 0; i < items; i++) into.set(from.subarray(i * n * depth, (i + 1) * n * depth), (i * capacity + index) * depth);
    heldPositions(cache, index + n);
    return cache;
  }
  let pieces = 0;
  const out = tf.tidy(() => {
    const parts = [
      tf.slice(cache, [0, 0, 0], [items, index, depth]),
      rows.dtype === cache.dtype ? rows : rows.cast(cache.dtype),
      tf.slice(cache, [0, index + n, 0], [items, capacity - index - n, depth]),
    ].filter((t) => t.size > 0);
    pieces = parts.length;
    return tf.concat(parts, 1);
  });
  // (of one piece tf.concat makes a clone sharing that piece's buffer, which must stay unwritten)
  if (pieces > 1 && !isRecordingGradients()) frontiers.set(out.dataId, index + n);
  return out;
}
