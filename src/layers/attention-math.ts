/**
 * The math under the attention layers: batched products with gradients that
 * avoid tfjs's transposed `matMul` (slow on wasm), scaled dot-product
 * attention with masks and dropout, and the causal mask.
 * @module
 */
import { tf } from "../backend/tf";
import { isRecordingGradients } from "../fastmath/lazy-grad";
import { batchProduct, product2d, productsPerItem } from "../fastmath/matmul";
import * as random from "../fastmath/random";
import { stackRows, unstackRows } from "../fastmath/unstack";
import type { PRNGKey } from "../fastmath/random";

/** Swaps the last two axes of `x` (rank >= 2). */
export function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * Batched `a @ b` over the last two axes (equal leading axes); on wasm
 * large products run as separate 2-D products (see `batchProduct`).
 *
 * @example
 * ```ts
 * bmm(tf.ones([2, 3, 4]), tf.ones([2, 4, 5])).shape; // [2, 3, 5]
 * ```
 */
export function bmm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return batchProduct(a, b, false, false);
}

/**
 * Batched `a @ b^T` over the last two axes (equal leading axes); on wasm
 * large products run as separate 2-D products (see `batchProduct`).
 *
 * @example
 * ```ts
 * bmmT(tf.ones([2, 3, 4]), tf.ones([2, 5, 4])).shape; // [2, 3, 5]
 * ```
 */
export function bmmT(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return batchProduct(a, b, false, true);
}

/** True if `shape` broadcasts to `target` (numpy rules). */
export function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  if (shape.length > target.length) return false;
  const off = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[off + i]);
}

/** Logit added at masked positions (Trax writes -1e9 there). */
export const MASKED_LOGIT = -1e9;

/**
 * Additive causal bias `(1, nQueries, nKeys)` for queries at positions
 * `start ...` over keys `0 .. nKeys-1`: 0 where the key's position is at most
 * the query's, -1e9 elsewhere. Built on the host (one small upload, no ops).
 */
export function causalBias(nQueries: number, nKeys: number, start = 0): tf.Tensor {
  const bias = new Float32Array(nQueries * nKeys);
  for (let i = 0; i < nQueries; i++) {
    const row = i * nKeys;
    for (let j = start + i + 1; j < nKeys; j++) bias[row + j] = MASKED_LOGIT;
  }
  return tf.tensor3d(bias, [1, nQueries, nKeys]);
}

/** Boolean causal mask `(1, len, len)`: true on and below the diagonal. */
export function causalMask(length: number): tf.Tensor {
  return offsetCausalMask(length, length, 0);
}

/**
 * Mask for `nQueries` new queries at positions `start ...` over keys
 * `0 .. nKeys-1`: a key is visible when its position is at most the query's.
 * Shape `(1, nQueries, nKeys)`, boolean.
 */
export function offsetCausalMask(nQueries: number, nKeys: number, start: number): tf.Tensor {
  const visible = new Uint8Array(nQueries * nKeys);
  for (let i = 0; i < nQueries; i++) visible.fill(1, i * nKeys, i * nKeys + Math.min(nKeys, start + i + 1));
  return tf.tensor3d(visible, [1, nQueries, nKeys], "bool");
}

/** Options of {@link perHeadAttention}. */
export interface PerHeadAttentionOptions {
  /** Dropout rate on the attention probabilities (train mode only). */
  dropout?: number;
  /** Mode; dropout applies only in `train`. */
  mode?: string;
  /** Key for dropout. */
  rng?: PRNGKey | null;
  /**
   * An additive bias on the logits instead of a mask (0 visible, -1e9 hidden),
   * broadcasting to `(..., lq, lk)`, as {@link causalBias} makes it.
   */
  bias?: tf.Tensor | null;
}

/**
 * Scaled dot-product attention on per-head tensors, as Trax's
 * `_per_head_attention`: `softmax(q k^T / sqrt(d) masked) @ v`.
 *
 * Inputs `q (..., lq, d)`, `k (..., lk, d)`, `v (..., lk, dv)` with equal
 * leading axes; `mask` (bool or numeric, nonzero = visible) broadcasting to
 * `(..., lq, lk)`, or null. Masked logits become -1e9.
 *
 * @returns `[activations (..., lq, dv), probabilities (..., lq, lk)]`
 */
export function perHeadAttention(
  q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null, options: PerHeadAttentionOptions = {}
): [tf.Tensor, tf.Tensor] {
  const dropout = options.dropout ?? 0;
  if (dropout >= 1.0) throw new Error(`Dropout rate (${dropout}) must be lower than 1.`);
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) {
    throw new Error(`attention needs queries, keys and values of the same rank >= 2; got [${q.shape}], [${k.shape}], [${v.shape}]`);
  }
  const d = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== d) {
    throw new Error(`queries and keys must have the same depth; got queries [${q.shape}] and keys [${k.shape}]`);
  }
  if (k.shape[k.rank - 2] !== v.shape[v.rank - 2]) {
    throw new Error(`keys and values must have the same length; got keys [${k.shape}] and values [${v.shape}]`);
  }
  if (q.shape.slice(0, -2).join() !== k.shape.slice(0, -2).join() || k.shape.slice(0, -2).join() !== v.shape.slice(0, -2).join()) {
    throw new Error(`queries, keys and values must share their leading axes; got [${q.shape}], [${k.shape}], [${v.shape}]`);
  }
  const logitsShape = [...q.shape.slice(0, -1), k.shape[k.rank - 2]];
  let bias = options.bias ?? null;
  if (mask !== null && mask !== undefined) {
    if (!broadcastsTo(mask.shape, logitsShape)) {
      throw new Error(`mask of shape [${mask.shape}] does not broadcast to the attention logits of shape [${logitsShape}] (batch..., queries, keys)`);
    }
    // Masked logits become -1e9, as Trax's where(mask, dots, -1e9): an additive
    // bias of the mask's (small) shape, broadcast by the add kernel, instead of
    // a where over the full logits (which tiles the mask: slow on wasm).
    const visible = mask.dtype === "bool" ? mask : tf.notEqual(mask, 0);
    const maskBias = tf.where(visible, tf.zeros(mask.shape), tf.fill(mask.shape, MASKED_LOGIT));
    bias = bias ? bias.add(maskBias) : maskBias;
  }
  if (bias && !broadcastsTo(bias.shape, logitsShape)) {
    throw new Error(`attention bias of shape [${bias.shape}] does not broadcast to the logits of shape [${logitsShape}]`);
  }
  const lead = q.shape.slice(0, -2);
  const items = lead.reduce((p, n) => p * n, 1);
  const [lq, lk, dv] = [q.shape[q.rank - 2], k.shape[k.rank - 2], v.shape[v.rank - 1]];
  if (productsPerItem(items, lq, d, lk)) {
    return perItemAttention(q, k, v, bias, logitsShape, dropout > 0 && options.mode === "train" ? dropout : 0, options.rng ?? null);
  }
  let dots = bmmT(q, k).mul(1 / Math.sqrt(d));
  if (bias) dots = dots.add(bias);
  let probs = tf.softmax(dots, -1);
  if (dropout > 0 && options.mode === "train") {
    const keep = random.bernoulli(options.rng ?? random.getPrng(0), 1.0 - dropout, probs.shape);
    probs = tf.where(keep, probs.div(1.0 - dropout), tf.zerosLike(probs));
  }
  return [bmm(probs, v), probs];
}

/**
 * {@link perHeadAttention} one batch item (one head) at a time, each product
 * a 2-D one (where tfjs-wasm's own products reach XNNPACK, with
 * `TRAX_SIMD=0`), with no batched logits in between:
 * same math, same dropout draws. Returns `[activations, probabilities]`.
 */
function perItemAttention(
  q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor | null, logitsShape: number[], dropout: number, rng: PRNGKey | null
): [tf.Tensor, tf.Tensor] {
  const r = q.rank;
  const lead = q.shape.slice(0, -2);
  const items = lead.reduce((p, n) => p * n, 1);
  const [lq, d] = q.shape.slice(-2);
  const [lk, dv] = v.shape.slice(-2);
  const each = (t: tf.Tensor) => unstackRows(t.reshape([items, ...t.shape.slice(-2)])) as tf.Tensor2D[];
  const [qs, ks, vs] = [each(q), each(k), each(v)];
  // The bias per item: one shared 2-D bias when it does not vary over the leading axes.
  let biases: tf.Tensor[] | null = null;
  let shared: tf.Tensor | null = null;
  if (bias) {
    const full = [...new Array(r - bias.rank).fill(1), ...bias.shape];
    const [bq, bk] = full.slice(-2);
    if (full.slice(0, -2).every((n) => n === 1)) shared = bias.reshape([bq, bk]);
    else biases = unstackRows(tf.broadcastTo(bias.reshape(full), [...lead, bq, bk]).reshape([items, bq, bk]));
  }
  const keeps = dropout > 0 ? each(random.bernoulli(rng ?? random.getPrng(0), 1.0 - dropout, logitsShape)) : null;
  const outs: tf.Tensor[] = [];
  const probsEach: tf.Tensor[] = [];
  for (let i = 0; i < items; i++) {
    let dots = product2d(qs[i], ks[i], false, true).mul(1 / Math.sqrt(d));
    const b = shared ?? (biases ? biases[i] : null);
    if (b) dots = dots.add(b);
    let probs = tf.softmax(dots, -1);
    if (keeps) probs = tf.where(keeps[i], probs.div(1.0 - dropout), tf.zerosLike(probs));
    probsEach.push(probs);
    outs.push(product2d(probs as tf.Tensor2D, vs[i]));
  }
  return [stackRows(outs).reshape([...lead, lq, dv]), stackRows(probsEach).reshape([...lead, lq, lk])];
}

/** Values of int32 scalars this module made, so that reading them back needs no device sync. */
const scalarValues = new WeakMap<tf.Tensor, number>();

/** An int32 scalar whose value {@link scalarValue} reads without a device round trip. */
export function scalarOf(value: number): tf.Tensor {
  const t = tf.scalar(value, "int32");
  scalarValues.set(t, value);
  return t;
}

/** The value of an int32 scalar (remembered for those from {@link scalarOf}, else read). */
export function scalarValue(t: tf.Tensor): number {
  const known = scalarValues.get(t);
  if (known !== undefined) return known;
  if (t.size !== 1) throw new Error(`expected a scalar position; got a tensor of shape [${t.shape}]`);
  return t.dataSync()[0];
}

/**
 * Rows `start .. start+length-1` of a 2-D table `(n, d)`, by `gather`
 * (on wasm, `slice` of a large table is far slower than a gather of its
 * rows), with a gradient that pads `dy` with zero rows (tfjs's gather
 * gradient needs `UnsortedSegmentSum`, which wasm lacks); where no gradient
 * is recorded, the gather alone.
 */
export function rowsOf(table: tf.Tensor, start: number, length: number): tf.Tensor {
  if (table.rank !== 2) throw new Error(`expected a 2-D table; got shape [${table.shape}]`);
  const n = table.shape[0];
  if (start < 0 || start + length > n) throw new Error(`rows ${start}..${start + length - 1} are outside a table of ${n} rows`);
  if (start === 0 && length === n) return table;
  // No gradient recorded (a decoding step, an eager call): no custom-gradient machinery.
  if (!isRecordingGradients()) return tf.tidy(() => tf.gather(table, tf.range(start, start + length, 1, "int32")));
  const rows = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.gather(t, tf.range(start, start + length, 1, "int32")),
      gradFunc: (dy: tf.Tensor) => tf.pad(dy, [[start, n - start - length], [0, 0]]),
    };
  }) as any) as unknown as (t: tf.Tensor) => tf.Tensor;
  return rows(table);
}

/**
 * Attention of one query per batch row over all keys, for decoding steps:
 * `q (n, 1, d)`, `k (n, t, d)`, `v (n, t, dv)` to `(n, 1, dv)`, no mask
 * (a new position sees every cached one). The logits are a broadcast
 * product summed over depth: on wasm that beats a batched `matMul` against
 * a transposed key cache. Same math as {@link perHeadAttention}. On wasm a
 * decoding step usually runs as one kernel instead (`fusedDecodeAttention`,
 * which appends to the cache too); this is the path elsewhere.
 */
export function singleQueryAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const [n, one, d] = q.shape;
  const t = k.shape[1];
  if (one !== 1 || k.rank !== 3 || v.rank !== 3 || k.shape[0] !== n || k.shape[2] !== d || v.shape[0] !== n || v.shape[1] !== t) {
    throw new Error(`single-query attention needs q (n, 1, d), k (n, t, d), v (n, t, dv); got [${q.shape}], [${k.shape}], [${v.shape}]`);
  }
  const logits = tf.sum(tf.mul(q, k), -1).mul(1 / Math.sqrt(d as number)).reshape([n as number, 1, t as number]);
  return tf.matMul(tf.softmax(logits, -1), v);
}
