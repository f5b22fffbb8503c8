/**
 * LSH self-attention (Reformer): hash shared query-keys into buckets by random
 * rotations, sort by bucket, attend within chunks of the sorted sequence (and
 * the chunks before), undo the sort, and combine hash rounds weighted by their
 * softmax normalizers. `LSHSelfAttention` projects from `x`;
 * `PureLSHSelfAttention` takes already projected `(qk, v)`.
 * @module
 */
import { tf } from "../../backend/tf";
import { prefersHostRoundTrips } from "../../backend";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import type { Nested } from "../../fastmath/tree";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { Layer } from "../base";
import type { State } from "../base";
import { callable } from "../callable";
import { applyBroadcastedDropout, attend, lengthNormalized, maskSelfAttention } from "./attend";
import { EfficientAttentionBase, checkParallelHeads } from "./efficient-attention-base";
import type { EfficientAttentionMode, HeadContext } from "./efficient-attention-base";
import { hashVecsBatched } from "./lsh-hash";
import { gatherRows, permuteRows } from "./permute";
import type { NBuckets } from "./lsh-hash";
import { checkMode, checkRate, headKernel, maskedInfo, mergeHeadOutputs, projectHeads } from "./self-attention";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options shared by the LSH attention layers. */
export interface LSHAttentionOptions {
  /** Number of attention heads (default 2). */
  nHeads?: number;
  /**
   * Depth of shared query-keys per head (default 64). PureLSHSelfAttention
   * takes it and, as Trax's, never uses it: its inputs come projected.
   */
  dQk?: number;
  /** Depth of values per head (default 64); unused by PureLSHSelfAttention, as in Trax (its inputs come projected). */
  dV?: number;
  /** Never read: LSH attention always shares queries and keys (Trax's default is the string 'unused'); accepted for Trax compatibility. */
  shareQk?: unknown;
  /** Hide later positions (default false). */
  causal?: boolean;
  /**
   * Take a `(batch, length)` padding mask as the last input (default false). Every padded position is hidden, positions 0 and 1 included: a
   * deliberate difference from Trax, whose `pos * (+-1)` position trick (then
   * `+1` in `attend`) leaves padded positions 0 and 1 visible.
   */
  masked?: boolean;
  /** Chunk length in the sorted sequence (default 128); null attends over all hash rounds at once. */
  chunkLen?: number | null;
  /** Previous chunks each chunk attends to (default 1). */
  nChunksBefore?: number;
  /** Following chunks each chunk attends to (default 0). */
  nChunksAfter?: number;
  /** Hash rounds (default 1). */
  nHashes?: number;
  /**
   * Buckets (an even number, or a list of even factors); default derived as
   * Trax does: `2 * max(1, length // chunkLen)` (factorized above 128), where
   * in predict mode the length is the padded prefix, and 2 for each single
   * new token (Trax hashes it duplicated).
   */
  nBuckets?: NBuckets | null;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
  /** Positions kept for fast inference (default 2048). */
  predictMemLen?: number;
  /** Positions dropped when the cache is full (default 256). */
  predictDropLen?: number;
  /** Dropout on attention probabilities, train mode only (default 0). */
  attentionDropout?: number;
  /** Dropout on the output, train mode only (default 0); PureLSHSelfAttention has no output projection and, as Trax's, ignores it. */
  outputDropout?: number;
  /** Pad the stored buckets to this length, so inputs of several lengths share a state shape (default null). */
  maxLengthForBuckets?: number | null;
  /**
   * Must be false: the LSH projections have no biases (Trax's LSHSelfAttention
   * makes bias weights for `true`, then its forward cannot unpack them), so
   * `true` is refused.
   */
  bias?: boolean;
  /** Validated for Trax compatibility; all heads run in one batched pass (default 1). */
  nParallelHeads?: number | null;
  /** Accepted for Trax compatibility and has no effect: Trax chooses a Python or a compiled loop over head groups (the same numbers); trax-ts always loops in JavaScript. */
  usePythonLoop?: boolean;
  /**
   * Run the per-example, per-head reference loop (LSHSelfAttention; default
   * false). `PureLSHSelfAttention` (and the layers built on it) refuse `true`:
   * Trax has no reference code for it either (it raises NotImplementedError).
   */
  useReferenceCode?: boolean;
}

/** The validated settings of an LSH attention layer. */
interface LSHConfig {
  nHeads: number;
  dQk: number;
  dV: number;
  causal: boolean;
  masked: boolean;
  chunkLen: number | null;
  nChunksBefore: number;
  nChunksAfter: number;
  nHashes: number;
  nBuckets: NBuckets | null;
  mode: EfficientAttentionMode;
  memLen: number;
  dropLen: number;
  attentionDropout: number;
  outputDropout: number;
  maxLengthForBuckets: number | null;
}

function lshConfig(name: string, o: LSHAttentionOptions): LSHConfig {
  const mode = checkMode(name, o.mode ?? "train");
  const train = mode === "train";
  const chunkLen = o.chunkLen === undefined ? 128 : o.chunkLen;
  const nChunksBefore = o.nChunksBefore ?? 1;
  const nChunksAfter = o.nChunksAfter ?? 0;
  if (chunkLen !== null && (!Number.isInteger(chunkLen) || chunkLen <= 0)) throw new Error(`${name}: chunkLen must be a positive integer or null; got ${chunkLen}`);
  if (chunkLen === null && (nChunksBefore !== 0 || nChunksAfter !== 0)) throw new Error(`${name}: without chunkLen, set nChunksBefore and nChunksAfter to 0`);
  const nHashes = o.nHashes ?? 1;
  if (!Number.isInteger(nHashes) || nHashes <= 0) throw new Error(`${name}: nHashes must be a positive integer; got ${nHashes}`);
  if (chunkLen === null && (o.nBuckets === null || o.nBuckets === undefined)) throw new Error(`${name}: without chunkLen, nBuckets must be given`);
  if (o.bias) throw new Error(`${name}: bias is not supported (the LSH projections have no biases)`);
  const memLen = o.predictMemLen ?? 2048;
  const dropLen = o.predictDropLen ?? 256;
  if (mode === "predict") {
    if (!(o.causal ?? false)) throw new Error(`${name}: only causal attention supports fast inference (mode "predict"); set causal: true`);
    if (chunkLen === null) throw new Error(`${name}: predict mode needs chunkLen`);
    if (nChunksAfter !== 0) throw new Error(`${name}: predict mode needs nChunksAfter = 0`);
    if (!(0 < dropLen && dropLen <= memLen)) throw new Error(`${name}: need 0 < predictDropLen <= predictMemLen; got ${memLen}, ${dropLen}`);
  }
  return {
    nHeads: o.nHeads ?? 2,
    dQk: o.dQk ?? 64,
    dV: o.dV ?? 64,
    causal: o.causal ?? false,
    masked: o.masked ?? false,
    chunkLen,
    nChunksBefore,
    nChunksAfter,
    nHashes,
    nBuckets: o.nBuckets ?? null,
    mode,
    memLen,
    dropLen,
    attentionDropout: train ? checkRate(name, "attentionDropout", o.attentionDropout ?? 0) : 0,
    outputDropout: train ? checkRate(name, "outputDropout", o.outputDropout ?? 0) : 0,
    maxLengthForBuckets: o.maxLengthForBuckets ?? null,
  };
}

/** Default buckets for a length, as Trax: `2 * max(1, length // chunkLen)`, factorized above 128. */
function defaultBuckets(cfg: LSHConfig, length: number): NBuckets {
  if (cfg.nBuckets !== null) return cfg.nBuckets;
  const n = 2 * Math.max(1, Math.floor(length / (cfg.chunkLen as number)));
  if (n <= 128) return n;
  const div = 2 ** Math.ceil(Math.log2(Math.sqrt(n)));
  return [div, 2 * Math.floor(n / (2 * div))];
}

/** Keys stored as int32 pairs in state, read back as `Uint32Array` keys. */
function keysFrom(t: tf.Tensor): PRNGKey[] {
  const d = new Uint32Array(new Int32Array(t.dataSync() as Int32Array).buffer);
  const out: PRNGKey[] = [];
  for (let i = 0; i < d.length; i += 2) out.push(d.slice(i, i + 2));
  return out;
}

function keysTensor(keys: readonly PRNGKey[]): tf.Tensor {
  const flat = new Uint32Array(keys.length * 2);
  keys.forEach((k, i) => flat.set(k, 2 * i));
  return tf.tensor2d(new Int32Array(flat.buffer), [keys.length, 2], "int32");
}

/** A key as an int32 `(2,)` tensor (tfjs has no uint32). */
function keyTensor(key: PRNGKey): tf.Tensor {
  return tf.tensor1d(new Int32Array(new Uint32Array(key).buffer), "int32");
}

/**
 * Buckets `(rows, nHashes * length)` int32 for rows of `vecs (rows, length, d)`,
 * offset per hash round so rounds never share a bucket; padding gets its own
 * last bucket.
 */
function hashVectors(cfg: LSHConfig, vecs: tf.Tensor, rngs: PRNGKey[], mask: tf.Tensor | null, lengthForBuckets?: number): tf.Tensor {
  return tf.tidy(() => {
    const [r, l] = vecs.shape;
    let [buckets, n] = hashVecsBatched(vecs, defaultBuckets(cfg, lengthForBuckets ?? l), cfg.nHashes, rngs);
    if (mask) {
      n += 1;
      const valid = (mask.dtype === "bool" ? mask : tf.notEqual(mask, 0)).reshape([r, 1, l]);
      buckets = tf.where(tf.broadcastTo(valid, buckets.shape), buckets, tf.fill(buckets.shape, n - 1, "int32"));
    }
    const offsets = tf.range(0, cfg.nHashes, 1, "int32").mul(n).reshape([1, cfg.nHashes, 1]);
    return buckets.add(offsets).reshape([r, cfg.nHashes * l]);
  });
}

/** Row-wise stable argsort of int keys, and its inverse. */
function sortOrder(keys: Int32Array, rows: number, n: number): [Int32Array, Int32Array] {
  const order = new Int32Array(rows * n);
  const undo = new Int32Array(rows * n);
  const idx = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => keys[off + a] - keys[off + b] || a - b);
    for (let i = 0; i < n; i++) {
      order[off + i] = idx[i];
      undo[off + idx[i]] = i;
    }
  }
  return [order, undo];
}

/**
 * The sort of {@link lshAttendRows} on the host (wasm, cpu: tensors already
 * live in host memory): `[order, undo, order % l]`, each `(r, n)` int32.
 */
function sortOnHost(buckets: tf.Tensor, r: number, l: number, n: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const b = buckets.dataSync() as Int32Array;
  const keys = new Int32Array(r * n);
  for (let i = 0; i < r * n; i++) keys[i] = l * b[i] + ((i % n) % l);
  const [orderArr, undoArr] = sortOrder(keys, r, n);
  const st = new Int32Array(r * n);
  for (let i = 0; i < r * n; i++) st[i] = (orderArr[i] as number) % l;
  return [tf.tensor2d(orderArr, [r, n], "int32"), tf.tensor2d(undoArr, [r, n], "int32"), tf.tensor2d(st, [r, n], "int32")];
}

/**
 * The same sort on the device (webgpu: no wait for a GPU-to-host copy). The
 * keys `l * bucket + position` are distinct within a row (buckets carry their
 * hash round), so `topk` of the negated keys is the stable ascending order,
 * and `topk` of the negated order is its inverse.
 */
function sortOnDevice(buckets: tf.Tensor, r: number, l: number, n: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const sorted = offTape(() => {
    const len = tf.scalar(l, "int32");
    const pos = tf.range(0, n, 1, "int32").mod(len).reshape([1, n]);
    const keys = tf.add(tf.mul(buckets.toInt(), len), pos);
    const order = tf.topk(tf.neg(keys), n, true).indices;
    const undo = tf.topk(tf.neg(order), n, true).indices;
    return tf.stack([order, undo, tf.mod(order, len)]);
  });
  return tf.unstack(sorted) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Runs `f` without recording it for gradients, as the host sort's fresh
 * tensors are: the integer bucket computation (argmax, equal) has no gradient
 * and must not sit on the path from the weights to the loss. Ops inside a
 * custom-gradient forward function are not taped; the one taped node takes
 * only a fresh dummy input.
 */
function offTape(f: () => tf.Tensor): tf.Tensor {
  const run = tf.customGrad(((_dummy: tf.Tensor) => ({ value: f(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as never) as unknown as (d: tf.Tensor) => tf.Tensor;
  return run(tf.scalar(0));
}

/**
 * LSH attention on rows: `qk (r, l, d)`, `v (r, l, dv)`, `mask (r, l)` or null,
 * `buckets (r, nHashes * l)`: sort, attend in chunks, unsort, combine rounds.
 * Returns `(r, l, dv)`.
 */
function lshAttendRows(cfg: LSHConfig, qk: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null, buckets: tf.Tensor, rng: PRNGKey): tf.Tensor {
  return tf.tidy(() => {
    const [r, l, d] = qk.shape as [number, number, number];
    const dv = v.shape[2] as number;
    const n = cfg.nHashes * l;
    if (cfg.chunkLen !== null && n % cfg.chunkLen !== 0) {
      throw new Error(`LSH attention: nHashes * length = ${cfg.nHashes} * ${l} is not a multiple of chunkLen ${cfg.chunkLen}`);
    }
    // Sort by (bucket, position): the key is length * bucket + position.
    const [order, undo, stT] = prefersHostRoundTrips() ? sortOnHost(buckets, r, l, n) : sortOnDevice(buckets, r, l, n);
    // One copy of the inputs per hash round, permuted into sorted order (gradients by gathers only).
    const tiled = (t: tf.Tensor) => (cfg.nHashes === 1 ? t : tf.concat(new Array(cfg.nHashes).fill(t), 1));
    const sq = permuteRows(tiled(qk), order, undo);
    const sv = permuteRows(tiled(v), order, undo);
    const kvInfo = mask ? maskedInfo(stT, gatherRows(mask, stT)) : null;
    const maskFn = (dots: tf.Tensor, qi: tf.Tensor, kvi: tf.Tensor) =>
      maskSelfAttention(dots, qi, kvi, { causal: cfg.causal, excludeSelf: true, masked: cfg.masked });
    const [so, slogits] = attend(sq, {
      v: sv, qChunkLen: cfg.chunkLen, kvChunkLen: cfg.chunkLen,
      nChunksBefore: cfg.nChunksBefore, nChunksAfter: cfg.nChunksAfter,
      maskFn, qInfo: stT, kvInfo, dropout: cfg.attentionDropout, rng,
    });
    let o = permuteRows(so, undo, order);
    const logits = permuteRows(slogits, undo, order);
    if (cfg.nHashes > 1) {
      const o4 = o.reshape([r, cfg.nHashes, l, dv]);
      const lg = logits.reshape([r, cfg.nHashes, l, 1]);
      const probs = tf.exp(tf.sub(lg, tf.logSumExp(lg, 1, true)));
      o = tf.sum(o4.mul(probs), 1);
    }
    void d;
    return o;
  });
}

/** New hash keys and the subkeys to hash with, from the keys in state (as Trax splits them per call). */
function nextHashKeys(state: tf.Tensor): [PRNGKey[], PRNGKey[]] {
  const pairs = keysFrom(state).map((k) => random.split(k, 2));
  return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
}

/** Stored buckets, padded to `maxLengthForBuckets` when set. */
function storeBuckets(cfg: LSHConfig, buckets: tf.Tensor): tf.Tensor {
  if (!cfg.maxLengthForBuckets) return buckets;
  const want = cfg.nHashes * cfg.maxLengthForBuckets;
  const have = buckets.shape[1] as number;
  if (have > want) throw new Error(`LSH attention: the input is longer than maxLengthForBuckets (${cfg.maxLengthForBuckets})`);
  return have === want ? buckets : tf.concat([buckets, tf.zeros([buckets.shape[0], want - have], "int32")], 1);
}

/** Initial per-row state: `[buckets (rows, nHashes*len), keys (rows, 2)]`, or the predict-mode triple. */
function initialRowState(cfg: LSHConfig, rows: number, length: number, rng: PRNGKey): State {
  const keys = keysTensor(random.split(rng, rows));
  if (cfg.mode === "predict") {
    return [tf.zeros([rows, cfg.nHashes * cfg.memLen], "int32"), tf.zeros([rows], "int32"), keys] as unknown as State;
  }
  const len = cfg.maxLengthForBuckets ?? length;
  return [tf.zeros([rows, cfg.nHashes * len], "int32"), keys] as unknown as State;
}

// ------------------------------------------------------------ fast inference

/**
 * One new position per row in predict mode, as Trax's single-token LSH path:
 * hash the new query, prefer cached keys that share one of its buckets (most
 * recent first), attend to the best `nHashes * chunkLen * (1 + nChunksBefore)`
 * of them (causal, self excluded). `qkMem`/`vMem (r, m, d)` hold the cache;
 * `bucketsMem (r, nHashes * m)`. Returns `[out (r, 1, dv), new buckets]`.
 */
function lshPredictOne(
  cfg: LSHConfig, qkMem: tf.Tensor, vMem: tf.Tensor, bucketsMem: tf.Tensor, qStart: number, hashKeys: PRNGKey[], rng: PRNGKey
): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [r, m, d] = qkMem.shape;
    const nH = cfg.nHashes;
    const q = qkMem.slice([0, qStart, 0], [r, 1, d]);
    // Trax hashes the new query duplicated (length 2), so without nBuckets the default is 2 * max(1, 2 // chunkLen).
    const qb = hashVectors(cfg, q, hashKeys, null, 2).dataSync() as Int32Array; // (r, nH)
    const old = bucketsMem.dataSync() as Int32Array;
    const nb = new Int32Array(old);
    for (let i = 0; i < r; i++) for (let h = 0; h < nH; h++) nb[i * nH * m + h * m + qStart] = qb[i * nH + h];
    const want = Math.min(m, nH * (cfg.chunkLen as number) * (1 + cfg.nChunksBefore));
    const idx = new Int32Array(r * want);
    for (let i = 0; i < r; i++) {
      const prio: number[] = [];
      for (let t = 0; t < m; t++) {
        let valid = 0;
        for (let h = 0; h < nH; h++) if (nb[i * nH * m + h * m + t] === qb[i * nH + h]) valid = 1;
        const p = t > qStart + 1 ? -(m + t) : t;
        prio.push(p + m * valid);
      }
      const order = prio.map((_, t) => t).sort((a, b) => prio[a] - prio[b] || a - b);
      idx.set(order.slice(m - want), i * want);
    }
    const kvIdx = tf.tensor2d(idx, [r, want], "int32");
    const k = lengthNormalized(gatherRows(qkMem, kvIdx));
    const v = gatherRows(vMem, kvIdx);
    const maskFn = (dots: tf.Tensor, qi: tf.Tensor, kvi: tf.Tensor) => maskSelfAttention(dots, qi, kvi, { causal: true, masked: true, excludeSelf: true });
    const [o] = attend(q, { k, v, maskFn, qInfo: tf.fill([r, 1], qStart, "int32"), kvInfo: kvIdx, dropout: cfg.attentionDropout, rng });
    return [o, tf.tensor2d(nb, [r, nH * m], "int32")] as unknown as tf.Tensor;
  }) as unknown as [tf.Tensor, tf.Tensor];
}

/**
 * Predict-mode LSH on rows: `qkMem`, `vMem` the updated caches, state
 * `[buckets, bucketsIdx, keys]`. A prefix (qLen > 1, at the start) runs the
 * full LSH pass and stores its buckets; single positions use {@link lshPredictOne}.
 */
function lshPredictRows(
  cfg: LSHConfig, qkMem: tf.Tensor, vMem: tf.Tensor, state: tf.Tensor[], qStart: number, qLen: number, rng: PRNGKey
): [tf.Tensor, State] {
  const [buckets, bucketsIdx, keysT] = state;
  const keys = keysFrom(keysT);
  const nH = cfg.nHashes;
  return tf.tidy(() => {
    const [r, m] = qkMem.shape;
    if (qLen > 1) {
      if (qStart !== 0) throw new Error("LSH attention predict: several positions at once only work at the start of a sequence");
      const chunk = cfg.chunkLen as number;
      const len = qkMem.shape[1] as number;
      const pad = len % chunk === 0 ? 0 : chunk - (len % chunk);
      const padT = (t: tf.Tensor) => (pad ? tf.pad(t, [[0, 0], [0, pad], [0, 0]]) : t);
      const qk = padT(qkMem);
      const v = padT(vMem);
      const upd = hashVectors(cfg, qk, keys, null);
      const o = lshAttendRows(cfg, qk, v, null, upd, rng).slice([0, 0, 0], [r, qLen, v.shape[2] as number]);
      const lp = qk.shape[1] as number;
      let kept = upd.reshape([r, nH, lp]).slice([0, 0, 0], [r, nH, Math.min(qLen, lp)]);
      const memLen = (buckets.shape[1] as number) / nH;
      if (qLen > memLen) kept = kept.slice([0, 0, qLen - memLen], [r, nH, memLen]);
      const w = kept.shape[2] as number;
      const rest = buckets.reshape([r, nH, memLen]).slice([0, 0, w], [r, nH, memLen - w]);
      const nb = tf.concat([kept, rest], 2).reshape([r, nH * memLen]);
      return [o, [nb, bucketsIdx.add(qLen), keysT]] as unknown as tf.TensorContainer;
    }
    // Keep the bucket cache aligned with the input cache when it rolled.
    const idx = (bucketsIdx.dataSync() as Int32Array)[0];
    let b = buckets;
    if (idx > qStart) {
      const shift = idx - qStart;
      const b3 = b.reshape([r, nH, m]);
      b = tf.concat([b3.slice([0, 0, shift], [r, nH, m - shift]), tf.zeros([r, nH, shift], "int32")], 2).reshape([r, nH * m]);
    }
    const [o, nb] = lshPredictOne(cfg, qkMem, vMem, b, qStart, keys, rng);
    return [o, [nb, tf.fill([r], qStart + 1, "int32"), keysT]] as unknown as tf.TensorContainer;
  }) as unknown as [tf.Tensor, State];
}

// ----------------------------------------------------------- LSHSelfAttention

class LSHSelfAttentionLayer extends EfficientAttentionBase {
  /** @internal */ _cfg: LSHConfig;

  constructor(options: LSHAttentionOptions = {}) {
    const cfg = lshConfig("LSHSelfAttention", options);
    if (cfg.mode === "predict" && cfg.masked) throw new Error("LSHSelfAttention: predict mode takes no padding mask; set masked: false");
    super(cfg.nHeads, {
      nIn: cfg.masked ? 2 : 1,
      nParallelHeads: options.nParallelHeads === undefined ? 1 : options.nParallelHeads,
      incremental: cfg.mode === "predict",
      predictMemLen: cfg.memLen,
      predictDropLen: cfg.dropLen,
      useReferenceCode: options.useReferenceCode,
      name: "LSHSelfAttention",
    });
    this._cfg = cfg;
  }

  protected signatureInputs(sigs: ShapeDtype[]): ShapeDtype[] {
    return sigs.slice(0, 1);
  }

  createWeightsUnbatched(sigs: ShapeDtype[], rng: PRNGKey): Nested<tf.Tensor> {
    const dModel = sigs[0].shape[sigs[0].rank - 1];
    const [rq, , rv, ro] = random.split(rng, 4);
    const h = this._nHeads;
    const wO0 = headKernel([dModel, this._cfg.dV], ro, h);
    const wO = wO0.transpose();
    wO0.dispose();
    return [headKernel([dModel, this._cfg.dQk], rq, h), headKernel([dModel, this._cfg.dV], rv, h), wO];
  }

  initWeightsAndState(inputSignature: Signature): void {
    super.initWeightsAndState(inputSignature);
    // Replace the (empty) per-row state by buckets and per-row hash keys, made for all rows at once.
    const sig = (Array.isArray(inputSignature) ? inputSignature[0] : inputSignature) as ShapeDtype;
    const rows = sig.shape[0] * this._nHeads;
    const perRow = initialRowState(this._cfg, rows, sig.shape[1], this.rng);
    if (this._incremental) {
      const [end, mem] = this.state as unknown as [tf.Tensor, tf.Tensor[]];
      this.state = [end, mem, perRow] as unknown as State;
    } else {
      this.state = perRow;
    }
  }

  protected checkInputs(xs: tf.Tensor[]): void {
    super.checkInputs(xs);
    const [b, l] = xs[0].shape;
    if (xs[0].dtype !== "float32") throw new TypeError(`LSHSelfAttention needs float32 inputs; got ${xs[0].dtype}`);
    if (this._cfg.masked && (xs[1].rank !== 2 || xs[1].shape[0] !== b || xs[1].shape[1] !== l)) {
      throw new Error(`LSHSelfAttention expects a mask of shape [${b}, ${l}] (batch, length); got [${xs[1].shape}]`);
    }
    const rows = (this._incremental ? (this.state as unknown as State[])[2] : this.state) as unknown as tf.Tensor[];
    if (!Array.isArray(rows) || rows[0].shape[0] !== b * this._nHeads) {
      throw new Error(`LSHSelfAttention state is for ${Array.isArray(rows) ? rows[0].shape[0] / this._nHeads : "?"} examples; got a batch of ${b} (re-init for a new batch size)`);
    }
  }

  forwardBatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const cfg = this._cfg;
    const [wQ, wV, wO] = ctx.weights as tf.Tensor[];
    const [attendRng, outputRng] = random.split(ctx.rng, 2);
    const x = xs[0];
    const [b, l] = x.shape;
    const h = this._nHeads;
    const rows = b * h;
    const qk = projectHeads(x, wQ).reshape([rows, l, cfg.dQk]);
    const v = projectHeads(x, wV).reshape([rows, l, cfg.dV]);
    let o: tf.Tensor;
    let newState: State;
    if (ctx.qStart !== undefined) {
      [o, newState] = lshPredictRows(cfg, qk, v, ctx.state as unknown as tf.Tensor[], ctx.qStart, ctx.qLen as number, attendRng);
      o = o.reshape([b as number, h, o.shape[1] as number, cfg.dV]);
    } else {
      const mask = cfg.masked ? tf.broadcastTo(xs[1].reshape([b, 1, l]), [b, h, l]).reshape([rows, l]) : null;
      const [bucketsOld, keysT] = ctx.state as unknown as tf.Tensor[];
      if (ctx.reuseState) {
        // The backward pass: attend with the buckets the forward stored (as Trax, with update_state=False).
        const buckets = bucketsOld.slice([0, 0], [rows, cfg.nHashes * l]);
        o = lshAttendRows(cfg, qk, v, mask, buckets, attendRng).reshape([b, h, l, cfg.dV]);
        newState = ctx.state;
      } else {
        const [nextKeys, subKeys] = nextHashKeys(keysT);
        const buckets = hashVectors(cfg, qk, subKeys, mask);
        o = lshAttendRows(cfg, qk, v, mask, buckets, attendRng).reshape([b, h, l, cfg.dV]);
        newState = [storeBuckets(cfg, buckets), keysTensor(nextKeys)] as unknown as State;
      }
    }
    const out = mergeHeadOutputs(o, wO);
    return [applyBroadcastedDropout(out, cfg.outputDropout, outputRng), newState];
  }

  forwardUnbatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const batched = xs.map((x) => x.expandDims(0));
    const weights = (ctx.weights as tf.Tensor[]).map((w) => w.expandDims(0));
    const state = (ctx.state as unknown as tf.Tensor[]).map((s) => s.expandDims(0));
    const savedHeads = this._nHeads;
    this._nHeads = 1;
    try {
      const [out, s] = this.forwardBatched(batched, { ...ctx, weights, state: state as unknown as State });
      return [out.squeeze([0]), (s as unknown as tf.Tensor[]).map((t) => t.squeeze([0])) as unknown as State];
    } finally {
      this._nHeads = savedHeads;
    }
  }

  incrementalForwardUnbatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    return this.forwardUnbatched(xs, ctx);
  }
}

/** The option keys of {@link LSHSelfAttention} and {@link PureLSHSelfAttention}. */
const LSH_OPTION_KEYS = optionKeys<LSHAttentionOptions>({
  nHeads: true, dQk: true, dV: true, shareQk: true, causal: true, masked: true, chunkLen: true,
  nChunksBefore: true, nChunksAfter: true, nHashes: true, nBuckets: true, mode: true, predictMemLen: true,
  predictDropLen: true, attentionDropout: true, outputDropout: true, maxLengthForBuckets: true, bias: true,
  nParallelHeads: true, usePythonLoop: true, useReferenceCode: true,
});

/**
 * LSH self-attention (Reformer, Trax's second implementation): per head a
 * shared query-key projection `qk = x wQ` and values `v = x wV`; positions are
 * hashed into `nBuckets` buckets by `nHashes` random rotations, sorted by
 * bucket, and attend within chunks of `chunkLen` of the sorted order (plus
 * `nChunksBefore` chunks), never to themselves unless nothing else is
 * visible; hash rounds are combined by their softmax normalizers. The hash
 * keys live in the state, one per example and head, and advance on every call.
 *
 * Input `(batch, length, dModel)` (and with `masked` a `(batch, length)` mask);
 * output the same shape. Weights `[wQ (h, d, dQk), wV (h, d, dV), wO (h, dV, d)]`;
 * state `[buckets (batch*h, nHashes*length) int32, keys (batch*h, 2) int32]`.
 * `predict` mode (causal) caches inputs and buckets and attends, for each new
 * token, to the cached positions that share one of its buckets (most recent
 * first), as Trax's fast inference does.
 *
 * @example
 * ```ts
 * const lsh = tl.LSHSelfAttention({ nHeads: 2, dQk: 4, dV: 4, chunkLen: 4, nHashes: 2, nBuckets: 4, mode: "eval" });
 * lsh(tf.randomNormal([1, 16, 8])).shape; // [1, 16, 8]
 * ```
 */
export const LSHSelfAttention = callable(LSHSelfAttentionLayer, "LSHSelfAttention", {
  positional: [],
  options: LSH_OPTION_KEYS,
});
export type LSHSelfAttention = LSHSelfAttentionLayer;

// ------------------------------------------------------- PureLSHSelfAttention

class PureLSHSelfAttentionLayer extends Layer {
  /** @internal */ _cfg: LSHConfig;

  constructor(options: LSHAttentionOptions = {}) {
    const cfg = lshConfig("PureLSHSelfAttention", options);
    if (options.useReferenceCode) {
      throw new Error("PureLSHSelfAttention: useReferenceCode is not implemented (Trax raises NotImplementedError for it too); leave it false");
    }
    super({ nIn: cfg.masked ? 3 : 2, nOut: 1, name: "PureLSHSelfAttention" });
    checkParallelHeads(cfg.nHeads, options.nParallelHeads === undefined ? 1 : options.nParallelHeads);
    if (cfg.mode === "predict" && cfg.masked) throw new Error("PureLSHSelfAttention: predict mode takes no padding mask; set masked: false");
    this._cfg = cfg;
  }

  /** Number of attention heads (merged into the batch axis of the inputs). */
  get nHeads(): number {
    return this._cfg.nHeads;
  }

  initWeightsAndState(inputSignature: Signature): void {
    const n = this._cfg.masked ? 3 : 2;
    if (!Array.isArray(inputSignature) || inputSignature.length !== n) {
      throw new Error(`PureLSHSelfAttention: input signature should be a ${n}-tuple (qk, v${this._cfg.masked ? ", mask" : ""}); got ${String(inputSignature)}`);
    }
    const [qk, v] = inputSignature as ShapeDtype[];
    if (qk.rank !== 3 || qk.shape[0] % this._cfg.nHeads !== 0) {
      throw new Error(`PureLSHSelfAttention expects qk of shape (batch * ${this._cfg.nHeads} heads, length, dHead); got [${qk.shape}]`);
    }
    const rows = qk.shape[0];
    const perRow = initialRowState(this._cfg, rows, qk.shape[1], this.rng);
    if (this._cfg.mode === "predict") {
      const mem = [qk, v].map((s) => tf.zeros([s.shape[0], this._cfg.memLen, ...s.shape.slice(2)], s.dtype));
      this.state = [tf.scalar(0, "int32"), mem, perRow] as unknown as State;
    } else {
      this.state = perRow;
    }
    this.weights = [] as unknown as State;
  }

  forward(inputs: tf.Tensor[]): tf.Tensor {
    const cfg = this._cfg;
    const [qk, v] = inputs;
    if (qk.rank !== 3 || v.rank !== 3 || qk.shape[0] !== v.shape[0] || qk.shape[1] !== v.shape[1]) {
      throw new Error(`PureLSHSelfAttention expects qk (batch*heads, length, dQk) and v (batch*heads, length, dV) of equal leading axes; got [${qk.shape}] and [${v.shape}]`);
    }
    const [rows, l] = qk.shape;
    if (rows % cfg.nHeads !== 0) throw new Error(`PureLSHSelfAttention: leading axis ${rows} is not a multiple of nHeads ${cfg.nHeads}`);
    const [attendRng] = random.split(this.rng, 2);
    if (cfg.mode === "predict") return this.predictForward(qk, v, attendRng);
    let mask: tf.Tensor | null = null;
    if (cfg.masked) {
      const m = inputs[2];
      const b = rows / cfg.nHeads;
      if (m.rank !== 2 || m.shape[0] !== b || m.shape[1] !== l) throw new Error(`PureLSHSelfAttention expects a mask of shape [${b}, ${l}] (batch, length); got [${m.shape}]`);
      mask = tf.broadcastTo(m.reshape([b, 1, l]), [b, cfg.nHeads, l]).reshape([rows, l]);
    }
    const [bucketsOld, keysT] = this.state as unknown as tf.Tensor[];
    if (!keysT || keysT.shape[0] !== rows) throw new Error(`PureLSHSelfAttention state is for ${keysT ? keysT.shape[0] : "?"} rows; got ${rows} (re-init for a new batch size)`);
    void bucketsOld;
    const [nextKeys, subKeys] = nextHashKeys(keysT);
    const buckets = hashVectors(cfg, qk, subKeys, mask);
    const o = lshAttendRows(cfg, qk, v, mask, buckets, attendRng);
    this.state = [storeBuckets(cfg, buckets), keysTensor(nextKeys)] as unknown as State;
    return o;
  }

  private predictForward(qk: tf.Tensor, v: tf.Tensor, rng: PRNGKey): tf.Tensor {
    const [memEnd, mem, rowState] = this.state as unknown as [tf.Tensor, tf.Tensor[], tf.Tensor[]];
    const helper = new PredictMem(this._cfg.memLen, this._cfg.dropLen, this.name);
    const [used, qStart, newMem, newEnd] = helper.use([qk, v], mem, memEnd.dataSync()[0]);
    const [o, s] = lshPredictRows(this._cfg, used[0], used[1], rowState, qStart, qk.shape[1] as number, rng);
    this.state = [tf.scalar(newEnd, "int32"), newMem, s] as unknown as State;
    return o;
  }
}

/** The predict-mode input cache of {@link EfficientAttentionBase}, for a layer that is not one. */
class PredictMem extends EfficientAttentionBase {
  constructor(memLen: number, dropLen: number, name: string) {
    super(1, { incremental: true, predictMemLen: memLen, predictDropLen: dropLen, name });
  }

  use(xs: tf.Tensor[], mem: tf.Tensor[], memEnd: number): [tf.Tensor[], number, tf.Tensor[], number] {
    return this.usePredictMem(xs, mem, memEnd);
  }
}

/**
 * LSH self-attention without weights: takes per-head shared query-keys and
 * values, already split into heads and merged with the batch axis (as
 * `tl.SplitIntoHeads` makes them), and returns per-head outputs.
 *
 * Inputs `qk (batch*h, length, dQk)`, `v (batch*h, length, dV)` (and with
 * `masked` a `(batch, length)` mask); output `(batch*h, length, dV)`. State
 * `[buckets (batch*h, nHashes*length), keys (batch*h, 2)]`. Unlike
 * `LSHSelfAttention` there is no output dropout (as in Trax).
 *
 * @example
 * ```ts
 * const pure = tl.PureLSHSelfAttention({ nHeads: 2, chunkLen: 4, nHashes: 2, nBuckets: 4, mode: "eval" });
 * pure([tf.randomNormal([2, 8, 4]), tf.randomNormal([2, 8, 4])]).shape; // [2, 8, 4]
 * ```
 */
export const PureLSHSelfAttention = callable(PureLSHSelfAttentionLayer, "PureLSHSelfAttention", {
  positional: [],
  options: LSH_OPTION_KEYS,
});
export type PureLSHSelfAttention = PureLSHSelfAttentionLayer;

