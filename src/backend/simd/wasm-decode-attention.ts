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
import { heapAddress, type WasmHeapBackend } from "../wasm-heap";
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

/** What the kernel uses of tfjs-wasm's backend object. */
interface DecodeBackend extends WasmHeapBackend, WasmModuleMemory {
  wasm: WasmModuleMemory["wasm"] & { _malloc(bytes: number): number; _free(ptr: number): void; HEAPF32: Float32Array };
  /** Frees a buffer this kernel made (when it cannot finish). */
  disposeData(dataId: tf.DataId): boolean;
}

/** Copies each item's `t` cached rows and its new row into the `t + 1` rows of `out` (all rows `w` floats). */
function appendRows(cache: Float32Array | null, row: Float32Array, out: Float32Array, items: number, t: number, w: number): void {
  for (let i = 0; i < items; i++) {
    if (cache) out.set(cache.subarray(i * t * w, (i + 1) * t * w), i * (t + 1) * w);
    out.set(row.subarray(i * w, (i + 1) * w), (i * (t + 1) + t) * w);
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
  let scratch = 0;
  try {
    scratch = b.wasm._malloc(4 * n * t1) >>> 0;
    if (!scratch) throw new Error(`trax-ts: out of wasm memory for ${n * t1} attention logits`);
    const gemm = gemmOf(b); // (made with the backend's first product, before any view of the heap below)
    const view = (x: Info) => b.typedArrayFromHeap(x);
    // An empty cache (the first token) has no data to read.
    appendRows(t > 0 ? view(keys) : null, view(k), view(newKeys), n, t, d);
    appendRows(t > 0 ? view(values) : null, view(v), view(newValues), n, t, dv);
    const at = (x: Info) => heapAddress(backend, x);
    const { dots } = dotsOf(b)!;
    const scale = 1 / Math.sqrt(d);
    for (let i = 0; i < n; i++) dots(at(q) + 4 * i * d, at(newKeys) + 4 * i * t1 * d, scratch + 4 * i * t1, t1, d, scale);
    // softmax over each item's t + 1 logits: e^(x - max) / sum
    const logits = new Float32Array(b.wasm.HEAPF32.buffer, scratch, n * t1);
    for (let start = 0; start < n * t1; start += t1) {
      let max = -Infinity;
      for (let j = start; j < start + t1; j++) if (logits[j] > max) max = logits[j];
      for (let j = start; j < start + t1; j++) logits[j] -= max;
    }
    expOf(b)!.exp(scratch, scratch, n * t1);
    for (let start = 0; start < n * t1; start += t1) {
      let sum = 0;
      for (let j = start; j < start + t1; j++) sum = Math.fround(sum + logits[j]);
      for (let j = start; j < start + t1; j++) logits[j] /= sum;
    }
    for (let i = 0; i < n; i++) gemvInPlace(gemm, scratch + 4 * i * t1, 4 * t1, 4, at(newValues) + 4 * i * t1 * dv, at(act) + 4 * i * dv, 1, dv, t1, 0, 0);
    return outs;
  } catch (e) {
    // Nothing half-made is left behind.
    for (const out of outs) b.disposeData(out.dataId);
    throw e;
  } finally {
    if (scratch) b.wasm._free(scratch);
  }
}

let registered = false;

/** Whether the kernel takes these inputs now (wasm, float32, heads a multiple of 4 wide, no gradient recorded, switched on). */
function applies(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): boolean {
  if (!simdDecodeAttention.enabled || !simdMatMul.enabled || tf.getBackend() !== "wasm") return false;
  const all = [q, k, v, keys, values];
  if (all.some((x) => x.dtype !== "float32" || x.rank !== 3)) return false;
  const [n, one, d] = q.shape;
  if (one !== 1 || d % 4 !== 0 || !k.shape.every((s, i) => s === q.shape[i])) return false;
  if (v.shape[0] !== n || v.shape[1] !== 1 || keys.shape[0] !== n || keys.shape[2] !== d || values.shape[0] !== n) return false;
  if (values.shape[1] !== keys.shape[1] || values.shape[2] !== v.shape[2]) return false;
  // No gradient through this kernel: a recorded step takes the tfjs ops.
  if (isRecordingGradients()) return false;
  const backend = tf.backend() as unknown as WasmModuleMemory;
  if (!dotsOf(backend) || !expOf(backend)) return false;
  if (!registered) {
    tf.registerKernel({ kernelName: "TraxDecodeAttention", backendName: "wasm", kernelFunc: decodeAttentionKernel as unknown as tf.KernelFunc });
    registered = true;
  }
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
