/**
 * The functional core of Trax's efficient attention
 * (`trax.layers.research.efficient_attention`): length normalization, chunk
 * look-around, position-based masking, chunked dot-product attention that also
 * returns the softmax normalizer, and broadcast dropout.
 *
 * Trax writes these for one example (vmapped by JAX); here every function also
 * accepts leading batch axes, so the layers run all examples and heads at once.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import { bmm, bmmT } from "../attention-math";

/**
 * Scales vectors to unit root-mean-square over the last axis:
 * `x / sqrt(mean(x^2) + epsilon)` (the keys of shared-QK attention).
 *
 * Input any shape `(..., d)`; output the same shape.
 *
 * @example
 * ```ts
 * tl.lengthNormalized(tf.tensor([[3, 4]])); // [[0.8485, 1.1314]]: mean square 1
 * ```
 */
export function lengthNormalized(x: tf.Tensor, options: { epsilon?: number } = {}): tf.Tensor {
  const epsilon = options.epsilon ?? 1e-6;
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.div(x, tf.sqrt(tf.add(variance, epsilon)));
  });
}

/** {@link lookAdjacent} along any axis (the chunk axis). */
export function lookAdjacentAxis(x: tf.Tensor, nChunksBefore: number, nChunksAfter: number, axis: number): tf.Tensor {
  checkCount("nChunksBefore", nChunksBefore);
  checkCount("nChunksAfter", nChunksAfter);
  if (nChunksBefore === 0 && nChunksAfter === 0) return x;
  const ax = axis < 0 ? axis + x.rank : axis;
  if (ax < 0 || ax + 1 >= x.rank) throw new Error(`lookAdjacent needs a chunk axis followed by a position axis; got axis ${axis} of shape [${x.shape}]`);
  const n = x.shape[ax];
  return tf.tidy(() => {
    const pieces: tf.Tensor[] = [];
    for (let i = -nChunksBefore; i <= nChunksAfter; i++) {
      // Chunk j of the shifted copy is chunk (j + i) mod n: wraps around at both ends, as in Trax.
      const s = ((i % n) + n) % n;
      if (s === 0) pieces.push(x);
      else {
        // Fresh begin/size arrays per slice: tfjs keeps them for the gradient.
        const at = (b: number, len: number) => {
          const begin = x.shape.map((_, k) => (k === ax ? b : 0));
          const size = x.shape.map((d, k) => (k === ax ? len : d));
          return tf.slice(x, begin, size);
        };
        const head = at(s, n - s);
        const tail = at(0, s);
        pieces.push(tf.concat([head, tail], ax));
      }
    }
    return tf.concat(pieces, ax + 1);
  });
}

/**
 * Lets each chunk see its neighbours: chunk `j` of the result is chunks
 * `j - nChunksBefore .. j + nChunksAfter` of `x` (indices wrap around),
 * concatenated along the position axis.
 *
 * Input `(nChunks, chunkLen, ...)`; output `(nChunks, N * chunkLen, ...)`
 * with `N = 1 + nChunksBefore + nChunksAfter`.
 *
 * @example
 * ```ts
 * tl.lookAdjacent(tf.tensor([[1], [2], [3]]), 1, 0); // [[3, 1], [1, 2], [2, 3]]
 * ```
 */
export function lookAdjacent(x: tf.Tensor, nChunksBefore: number, nChunksAfter: number): tf.Tensor {
  if (x.rank < 2) throw new Error(`lookAdjacent expects (nChunks, chunkLen, ...); got shape [${x.shape}]`);
  return lookAdjacentAxis(x, nChunksBefore, nChunksAfter, 0);
}

/** Options of {@link maskSelfAttention}. */
export interface MaskSelfAttentionOptions {
  /** Hide keys at later positions than the query (default true). */
  causal?: boolean;
  /** Penalize (by 1e5) a query attending to its own position (default true). */
  excludeSelf?: boolean;
  /** Hide keys whose info is negative, i.e. padding (default false). */
  masked?: boolean;
}

/**
 * Masks attention logits by position info, as Trax's `mask_self_attention`:
 * `causal` subtracts 1e9 where `qInfo < kvInfo`, `excludeSelf` subtracts 1e5
 * where `qInfo == kvInfo`, `masked` subtracts 1e9 where `kvInfo < 0`.
 *
 * `dots (..., lq, lk)`; `qInfo` broadcasting to `(..., lq, 1)`; `kvInfo` to
 * `(..., 1, lk)`. Output like `dots`.
 *
 * @example
 * ```ts
 * const info = tf.tensor([0, 1], [2], "int32");
 * tl.maskSelfAttention(tf.zeros([2, 2]), info.reshape([2, 1]), info.reshape([1, 2]));
 * // [[-1e5, -1e9], [0, -1e5]]
 * ```
 */
export function maskSelfAttention(dots: tf.Tensor, qInfo: tf.Tensor, kvInfo: tf.Tensor, options: MaskSelfAttentionOptions = {}): tf.Tensor {
  const causal = options.causal ?? true;
  const excludeSelf = options.excludeSelf ?? true;
  const masked = options.masked ?? false;
  return tf.tidy(() => {
    const q = qInfo.toFloat();
    const kv = kvInfo.toFloat();
    let out = dots;
    if (causal) out = tf.sub(out, tf.mul(tf.less(q, kv).toFloat(), 1e9));
    if (excludeSelf) out = tf.sub(out, tf.mul(tf.equal(q, kv).toFloat(), 1e5));
    if (masked) out = tf.sub(out, tf.mul(tf.less(kv, 0).toFloat(), 1e9));
    return out;
  });
}

/** A mask function for {@link attend}: `(dots, qInfo (..., lq, 1), kvInfo (..., 1, lk)) => dots`. */
export type MaskFn = (dots: tf.Tensor, qInfo: tf.Tensor, kvInfo: tf.Tensor) => tf.Tensor;

/** Options of {@link attend}. */
export interface AttendOptions {
  /** Keys `(..., kvLen, dQk)`; null (default) shares them with the queries (length-normalized). */
  k?: tf.Tensor | null;
  /** Values `(..., kvLen, dV)` (required). */
  v?: tf.Tensor | null;
  /** Chunk length of the queries; null (default) means no chunking. */
  qChunkLen?: number | null;
  /** Chunk length of keys and values; null (default) means no chunking. */
  kvChunkLen?: number | null;
  /** How many previous chunks each chunk also attends to (default 0). */
  nChunksBefore?: number;
  /** How many following chunks each chunk also attends to (default 0). */
  nChunksAfter?: number;
  /** Masks the logits from position info (for example a bound {@link maskSelfAttention}). */
  maskFn?: MaskFn | null;
  /** 0-based info (position) per query, broadcasting to `(..., qLen)`; default the positions. */
  qInfo?: tf.Tensor | null;
  /** 0-based info per key, broadcasting to `(..., kvLen)`; default the positions (or `qInfo` when sharing QK). */
  kvInfo?: tf.Tensor | null;
  /** Dropout rate on the attention probabilities (default 0); needs `rng`. */
  dropout?: number;
  /** Key for dropout; the mask is shared by all chunks and leading axes, as in Trax. */
  rng?: PRNGKey | null;
}

/**
 * Dot-product attention with optional chunking and masking, as Trax's
 * `attend`: queries attend to keys in their own chunk and `nChunksBefore` /
 * `nChunksAfter` neighbouring chunks. Infos are shifted to 1-based before
 * masking, so position 0 can be masked too. Keys are scaled by `1/sqrt(dQk)`;
 * with shared QK (`k` null) they are length-normalized first.
 *
 * `q (..., qLen, dQk)`; returns `[output (..., qLen, dV), logsumexp (..., qLen)]`,
 * the second being each query's softmax normalizer (LSH attention combines
 * hash rounds with it).
 *
 * @example
 * ```ts
 * const q = tf.randomNormal([8, 4]), v = tf.randomNormal([8, 3]);
 * const [out, lse] = tl.attend(q, { k: q, v, qChunkLen: 4, kvChunkLen: 4, nChunksBefore: 1 });
 * out.shape; // [8, 3]
 * ```
 */
export function attend(q: tf.Tensor, options: AttendOptions = {}): [tf.Tensor, tf.Tensor] {
  const v = options.v ?? null;
  if (v === null) throw new Error("attend needs values: pass { v } of shape (..., kvLen, dV)");
  const shareQk = options.k === null || options.k === undefined;
  const nBefore = options.nChunksBefore ?? 0;
  const nAfter = options.nChunksAfter ?? 0;
  const dropout = options.dropout ?? 0;
  const qChunk = options.qChunkLen ?? null;
  let kvChunk = options.kvChunkLen ?? null;
  if (q.rank < 2) throw new Error(`attend expects queries (..., qLen, dQk); got shape [${q.shape}]`);
  if (v.rank !== q.rank) throw new Error(`attend expects values of the same rank as queries; got q [${q.shape}], v [${v.shape}]`);
  const lead = q.shape.slice(0, -2);
  if (v.shape.slice(0, -2).join() !== lead.join()) {
    throw new Error(`queries and values must share leading axes; got q [${q.shape}], v [${v.shape}]`);
  }
  const [qLen, dQk] = q.shape.slice(-2);
  const [kvLen, dV] = v.shape.slice(-2);
  if (shareQk) {
    if (kvChunk !== null && kvChunk !== qChunk) throw new Error(`with shared QK, kvChunkLen (${kvChunk}) must equal qChunkLen (${qChunk})`);
    kvChunk = qChunk;
    if (kvLen !== qLen) throw new Error(`with shared QK, values need one row per query; got q [${q.shape}], v [${v.shape}]`);
  } else {
    const k = options.k as tf.Tensor;
    if (k.shape.slice(0, -1).join() !== [...lead, kvLen].join() || k.shape[k.rank - 1] !== dQk) {
      throw new Error(`keys must have shape [${[...lead, kvLen, dQk]}] to match q [${q.shape}] and v [${v.shape}]; got [${k.shape}]`);
    }
  }
  if ((qChunk === null) !== (kvChunk === null)) throw new Error("attend chunks queries and keys together: give both qChunkLen and kvChunkLen, or neither");
  if (qChunk === null && (nBefore !== 0 || nAfter !== 0)) {
    throw new Error("nChunksBefore/nChunksAfter need chunking (qChunkLen and kvChunkLen)");
  }
  if (dropout < 0 || dropout >= 1) throw new Error(`Dropout rate (${dropout}) must be in [0, 1).`);
  if (dropout > 0 && !options.rng) throw new Error("attend with dropout needs a random key (rng)");
  const nq = qChunk === null ? 1 : chunkCount("query", qLen, qChunk);
  const nkv = kvChunk === null ? 1 : chunkCount("key", kvLen, kvChunk);
  if (nq !== nkv) throw new Error(`queries make ${nq} chunks but keys make ${nkv}; they must make the same number`);
  const cq = qLen / nq;
  const ckv = kvLen / nkv;
  const b = lead.reduce((a, c) => a * c, 1);

  return tf.tidy(() => {
    const info = (given: tf.Tensor | null | undefined, len: number): tf.Tensor => {
      const base = given ? given.toInt().add(1) : tf.range(1, len + 1, 1, "int32");
      if (!given) return tf.broadcastTo(base.reshape([1, len]), [b, len]).reshape([b, nq, len / nq]);
      const full = [...lead, len];
      if (!broadcasts(base.shape, full)) throw new Error(`info of shape [${base.shape}] does not broadcast to [${full}]`);
      return tf.broadcastTo(base, full).reshape([b, nq, len / nq]);
    };
    const qInfo = info(options.qInfo, qLen);
    const kvInfo0 = shareQk && !options.kvInfo ? qInfo : info(options.kvInfo, kvLen);
    const q4 = q.reshape([b, nq, cq, dQk]);
    let k4 = shareQk ? lengthNormalized(q4) : (options.k as tf.Tensor).reshape([b, nkv, ckv, dQk]);
    k4 = k4.mul(1 / Math.sqrt(dQk));
    const v4 = v.reshape([b, nkv, ckv, dV]);
    const kAdj = lookAdjacentAxis(k4, nBefore, nAfter, 1);
    const vAdj = lookAdjacentAxis(v4, nBefore, nAfter, 1);
    const kvInfo = lookAdjacentAxis(kvInfo0, nBefore, nAfter, 1);
    let dots = bmmT(q4, kAdj);
    if (options.maskFn) dots = options.maskFn(dots, qInfo.expandDims(-1), kvInfo.expandDims(-2));
    const lse = tf.logSumExp(dots, -1, true);
    let probs = tf.exp(tf.sub(dots, lse));
    if (dropout > 0) {
      const keepProb = 1 - dropout;
      const keep = random.bernoulli(options.rng as PRNGKey, keepProb, probs.shape.slice(-2));
      probs = probs.mul(keep.toFloat().div(keepProb));
    }
    const out = bmm(probs, vAdj);
    return [out.reshape([...lead, qLen, dV]), lse.reshape([...lead, qLen])] as unknown as tf.Tensor;
  }) as unknown as [tf.Tensor, tf.Tensor];
}

/**
 * Dropout whose mask is shared by all but the last axis: one keep/drop draw
 * per feature, as Trax's `apply_broadcasted_dropout`. A rate of 0 returns
 * `vecs` unchanged.
 *
 * Input `(..., d)`; output the same shape.
 *
 * @example
 * ```ts
 * tl.applyBroadcastedDropout(tf.ones([2, 4]), 0.5, trax.fastmath.random.getPrng(0));
 * // each column all 0 or all 2
 * ```
 */
export function applyBroadcastedDropout(vecs: tf.Tensor, dropoutRate: number, rng: PRNGKey | null): tf.Tensor {
  if (!(dropoutRate > 0)) return vecs;
  if (dropoutRate >= 1) throw new Error(`Dropout rate (${dropoutRate}) must be lower than 1.`);
  if (!rng) throw new Error("applyBroadcastedDropout needs a random key");
  return tf.tidy(() => {
    const keepProb = 1 - dropoutRate;
    const keep = random.bernoulli(rng, keepProb, [vecs.shape[vecs.rank - 1]]);
    return vecs.mul(keep.toFloat().div(keepProb));
  });
}

function chunkCount(what: string, len: number, chunk: number): number {
  if (!Number.isInteger(chunk) || chunk <= 0) throw new Error(`chunk length must be a positive integer; got ${chunk}`);
  if (len % chunk !== 0) throw new Error(`${what} length ${len} is not a multiple of the chunk length ${chunk}`);
  return len / chunk;
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer; got ${n}`);
}

function broadcasts(shape: readonly number[], target: readonly number[]): boolean {
  if (shape.length > target.length) return false;
  const off = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[off + i]);
}
