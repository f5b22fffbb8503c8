/**
 * A decoding step of a whole attention layer as one wasm kernel,
 * `TraxDecodeAttentionLayer`: the query, key and value projections of the
 * new position, the write into the caches (in place where no decoding state
 * can see it, as `TraxDecodeAttention`), the attention and the output
 * projection. The layer path runs
 * fifteen layer calls and nine kernels for the same step (three products,
 * three head splits, the attention, a head merge and a product), each with
 * its bookkeeping, at every token of every layer.
 *
 * For one position, splitting into heads and merging them are reshapes that
 * move nothing: rows `(batch, heads * depth)` are items `(batch * heads,
 * depth)`. The products are the `gemv` calls that trax-ts's products of a
 * few rows run (`src/backend/simd/wasm-matmul.ts`), four rows at a time, so
 * the step gives exactly the layers' results.
 * @module
 */
import { tf } from "../tf";
import { heapAddress, registersOnce } from "../wasm-heap";
import { gemmOf, gemvInPlace } from "./wasm-matmul";
import { attendOneQuery, decodingKernelsRun, withScratch, writeRowAt, type DecodeBackend } from "./wasm-decode-attention";
import { writingAt } from "../decoding-cache";

/**
 * Switch for tests and A/B benchmarks: `false` runs a decoding step of an
 * attention layer as its layers (whose attention may still be one kernel,
 * `TraxDecodeAttention`). Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdDecodeAttentionLayer.enabled = false;
 * ```
 */
export const simdDecodeAttentionLayer = { enabled: process.env.TRAX_SIMD !== "0" };

type Info = tf.TensorInfo;

/** Most rows of A one `gemv` call takes. */
const GEMV_ROWS = 4;

/** `c = a @ w + bias` for `rows` rows of `k` floats, a row-major `w` `(k, n)`, all addresses in the heap. */
function rowsProduct(backend: DecodeBackend, a: number, w: number, bias: number, c: number, rows: number, k: number, n: number): void {
  const gemm = gemmOf(backend);
  for (let r = 0; r < rows; r += GEMV_ROWS) {
    gemvInPlace(gemm, a + 4 * r * k, 4 * k, 4, w, c + 4 * r * n, Math.min(GEMV_ROWS, rows - r), n, k, bias, 0);
  }
}

type LayerInputs = { x: Info; wq: Info; bq: Info; wk: Info; bk: Info; wv: Info; bv: Info; wo: Info; bo: Info; keys: Info; values: Info };

function decodeAttentionLayerKernel({ inputs, backend, attrs }: { inputs: LayerInputs; backend: unknown; attrs: { nHeads: number; index: number } }): Info {
  const { x, wq, bq, wk, bk, wv, bv, wo, bo, keys, values } = inputs;
  const b = backend as DecodeBackend;
  const rows = x.shape[0];
  const [dIn, dq] = wq.shape;
  const dv = wv.shape[1];
  const dOut = wo.shape[1];
  const heads = attrs.nHeads;
  const [n, d, dvh] = [rows * heads, dq / heads, dv / heads];
  const capacity = keys.shape[1];
  const t1 = attrs.index + 1;
  // Allocate everything first: allocation may grow the heap (and detach views of it).
  const y = b.makeOutput([rows, 1, dOut], "float32");
  // Scratch: q, k (rows, dq), v, attention output (rows, dv), logits (n, index + 1).
  return withScratch(b, rows * (2 * dq + 2 * dv) + n * t1, [y], (scratch) => {
    const at = (info: Info) => heapAddress(backend, info);
    const [qAt, kAt] = [scratch, scratch + 4 * rows * dq];
    const vAt = kAt + 4 * rows * dq;
    const actAt = vAt + 4 * rows * dv;
    const logitsAt = actAt + 4 * rows * dv;
    rowsProduct(b, at(x), at(wq), at(bq), qAt, rows, dIn, dq);
    rowsProduct(b, at(x), at(wk), at(bk), kAt, rows, dIn, dq);
    rowsProduct(b, at(x), at(wv), at(bv), vAt, rows, dIn, dv);
    // Views only after the products (the first made the GEMM instance, which may allocate).
    const heap = b.wasm.HEAPF32.buffer;
    const view = (info: Info) => b.typedArrayFromHeap(info);
    writeRowAt(view(keys), new Float32Array(heap, kAt, rows * dq), n, capacity, attrs.index, d);
    writeRowAt(view(values), new Float32Array(heap, vAt, rows * dv), n, capacity, attrs.index, dvh);
    attendOneQuery(b, { q: qAt, keys: at(keys), values: at(values), out: actAt, logits: logitsAt, items: n, positions: t1, capacity, depth: d, valueDepth: dvh });
    rowsProduct(b, actAt, at(wo), at(bo), at(y), rows, dv, dOut);
  })[0];
}

/**
 * The weights of a Dense layer with a bias: `[w (dIn, dOut), b (dOut,)]`.
 *
 * @example
 * ```ts
 * const q = tl.Dense(8).weights as unknown as DenseWeights; // once initialized
 * ```
 */
export type DenseWeights = [tf.Tensor, tf.Tensor];

/**
 * The projections of an attention layer: queries, keys, values and the output.
 *
 * @example
 * ```ts
 * const p: AttentionProjections = { q: [wq, bq], k: [wk, bk], v: [wv, bv], out: [wo, bo] };
 * ```
 */
export interface AttentionProjections {
  q: DenseWeights;
  k: DenseWeights;
  v: DenseWeights;
  out: DenseWeights;
}

const isDenseOf = ([w, b]: DenseWeights, dIn: number): boolean =>
  w.dtype === "float32" && b.dtype === "float32" && w.rank === 2 && w.shape[0] === dIn && b.rank === 1 && b.shape[0] === w.shape[1];

const register = registersOnce(tf, "TraxDecodeAttentionLayer", decodeAttentionLayerKernel);

/** Whether the kernel takes these operands now (switched on, float32, fitting shapes, heads a multiple of 4 wide, room at `index`, and the decoding kernels run). */
function applies(x: tf.Tensor, p: AttentionProjections, keys: tf.Tensor, values: tf.Tensor, nHeads: number, index: number): boolean {
  if (!simdDecodeAttentionLayer.enabled) return false;
  if (x.dtype !== "float32" || x.rank !== 3 || x.shape[1] !== 1) return false;
  const dIn = x.shape[2] as number;
  if (!isDenseOf(p.q, dIn) || !isDenseOf(p.k, dIn) || !isDenseOf(p.v, dIn)) return false;
  const [dq, dv] = [p.q[0].shape[1] as number, p.v[0].shape[1] as number];
  if (p.k[0].shape[1] !== dq || !isDenseOf(p.out, dv)) return false;
  if (!Number.isInteger(nHeads) || nHeads <= 0 || dq % nHeads !== 0 || dv % nHeads !== 0 || (dq / nHeads) % 4 !== 0) return false;
  const n = (x.shape[0] as number) * nHeads;
  if (keys.dtype !== "float32" || values.dtype !== "float32" || keys.rank !== 3 || values.rank !== 3) return false;
  if (keys.shape[0] !== n || keys.shape[2] !== dq / nHeads || values.shape[0] !== n || values.shape[2] !== dv / nHeads) return false;
  if (values.shape[1] !== keys.shape[1]) return false;
  if (!Number.isInteger(index) || index < 0 || index >= (keys.shape[1] as number)) return false;
  if (!decodingKernelsRun()) return false;
  register();
  return true;
}

/**
 * One decoding step of a multi-head attention layer with a cache: `x` one
 * new position per batch row; its queries, keys and values are
 * `x @ w + b` of `p.q`, `p.k`, `p.v`, split into `nHeads` heads; the keys
 * and values are written at position `index` of `keys`, `values`, each
 * head's query attends over the `index + 1` positions held (no mask), and
 * the merged heads go through `p.out`. Returns `[output, keys, values]`
 * (the caches after the step: the same tensors, written in place, where no
 * decoding state can see it), or `null` where the kernel does not run (use
 * the layers then).
 *
 * Shapes: `x` `(b, 1, dIn)`; `p.q`, `p.k` `[(dIn, dq), (dq,)]`, `p.v`
 * `[(dIn, dv), (dv,)]`, `p.out` `[(dv, dOut), (dOut,)]`; `keys`
 * `(b * nHeads, capacity, dq / nHeads)`, `values` `(b * nHeads, capacity,
 * dv / nHeads)`; output `(b, 1, dOut)`.
 *
 * @example
 * ```ts
 * const step = fusedDecodeAttentionLayer(x, { q: [wq, bq], k: [wk, bk], v: [wv, bv], out: [wo, bo] }, keys, values, index, 4);
 * if (step) [y, keys, values] = step;
 * ```
 */
export function fusedDecodeAttentionLayer(
  x: tf.Tensor, p: AttentionProjections, keys: tf.Tensor, values: tf.Tensor, index: number, nHeads: number
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!applies(x, p, keys, values, nHeads, index)) return null;
  return writingAt(keys, values, index, (ks, vs) => {
    const inputs = { x, wq: p.q[0], bq: p.q[1], wk: p.k[0], bk: p.k[1], wv: p.v[0], bv: p.v[1], wo: p.out[0], bo: p.out[1], keys: ks, values: vs };
    return tf.engine().runKernel("TraxDecodeAttentionLayer", inputs, { nHeads, index } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}
