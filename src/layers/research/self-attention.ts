/**
 * `SelfAttention`: Trax's memory-efficient multi-head self-attention, with
 * optional chunking (local attention), shared QK, causal and padding masks,
 * and incremental fast inference.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import { dense } from "../../fastmath/matmul";
import type { Nested } from "../../fastmath/tree";
import { ShapeDtype } from "../../shapes";
import type { State } from "../base";
import { callable } from "../callable";
import { applyBroadcastedDropout, attend, lengthNormalized, maskSelfAttention } from "./attend";
import { EfficientAttentionBase } from "./efficient-attention-base";
import type { EfficientAttentionMode, HeadContext } from "./efficient-attention-base";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/**
 * Glorot-uniform over the total width of all heads, one head at a time, as
 * Trax's efficient attention initializes: limit `sqrt(6 / (fanIn + fanOut * nHeads))`.
 */
export function headKernel(shape: [number, number], rng: PRNGKey, nHeads: number): tf.Tensor {
  const lim = Math.sqrt(6.0 / (shape[0] + shape[1] * nHeads));
  return random.uniform(rng, shape, { minval: -lim, maxval: lim });
}

/** `x (b, l, d)` times per-head `w (h, d, e)`: `(b, h, l, e)`. */
export function projectHeads(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const [h, d, e] = w.shape;
  const [b, l] = x.shape;
  const w2 = w.transpose([1, 0, 2]).reshape([d, h * e]);
  return dense(x, w2).reshape([b, l, h, e]).transpose([0, 2, 1, 3]);
}

/** Per-head outputs `o (b, h, l, e)` times `wO (h, e, d)`, summed over heads: `(b, l, d)`. */
export function mergeHeadOutputs(o: tf.Tensor, wO: tf.Tensor): tf.Tensor {
  const [b, h, l, e] = o.shape as [number, number, number, number];
  const d = wO.shape[2] as number;
  return dense(o.transpose([0, 2, 1, 3]).reshape([b, l, h * e]), wO.reshape([h * e, d]));
}

/** Position info with padding: valid positions keep `p`, padding gets `-p - 2` (negative after attend's +1). */
export function maskedInfo(positions: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const valid = mask.dtype === "bool" ? mask : tf.notEqual(mask, 0);
  return tf.where(valid, positions, tf.sub(tf.neg(positions), 2));
}

export function checkMode(name: string, mode: string): EfficientAttentionMode {
  if (mode !== "train" && mode !== "eval" && mode !== "predict") throw new Error(`${name}: mode must be "train", "eval" or "predict"; got ${JSON.stringify(mode)}`);
  return mode;
}

export function checkRate(name: string, what: string, rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new Error(`${name}: ${what} must be in [0, 1); got ${rate}`);
  return rate;
}

/** Options of {@link SelfAttention}. */
export interface SelfAttentionOptions {
  /** Number of attention heads (default 2). */
  nHeads?: number;
  /** Depth of queries and keys per head (default 64). */
  dQk?: number;
  /** Depth of values per head (default 64). */
  dV?: number;
  /** Share query and key projections (keys length-normalized, self-attention penalized) (default false). */
  shareQk?: boolean;
  /** Hide later positions (default false). */
  causal?: boolean;
  /**
   * Take a second input, a `(batch, length)` mask (true or nonzero = real
   * token) (default false). Every padded position is hidden, positions 0 and 1 included: a
   * deliberate difference from Trax, whose `pos * (+-1)` position trick (then
   * `+1` in `attend`) leaves padded positions 0 and 1 visible.
   */
  masked?: boolean;
  /** Chunk length for local attention; null (default) attends to the whole sequence. */
  chunkLen?: number | null;
  /** Previous chunks each chunk attends to (default 0). */
  nChunksBefore?: number;
  /** Following chunks each chunk attends to (default 0; wraps around, as in Trax). */
  nChunksAfter?: number;
  /** Add biases to the query/key/value projections (default false). */
  bias?: boolean;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
  /** Positions kept for fast inference (default `chunkLen * (1 + nChunksBefore)`). */
  predictMemLen?: number | null;
  /** Positions dropped when the cache is full (default `chunkLen`). */
  predictDropLen?: number | null;
  /** Dropout on attention probabilities, train mode only (default 0). */
  attentionDropout?: number;
  /** Dropout on the output, shared across positions, train mode only (default 0). */
  outputDropout?: number;
  /** Validated for Trax compatibility; all heads always run in one batched pass. */
  nParallelHeads?: number | null;
  /** Accepted for Trax compatibility and has no effect: Trax chooses a Python or a compiled loop over head groups (the same numbers); trax-ts always loops in JavaScript. */
  usePythonLoop?: boolean;
  /** Run the per-example, per-head reference loop (default false). */
  useReferenceCode?: boolean;
}

class SelfAttentionLayer extends EfficientAttentionBase {
  /** @internal */ _dQk: number;
  /** @internal */ _dV: number;
  /** @internal */ _shareQk: boolean;
  /** @internal */ _causal: boolean;
  /** @internal */ _masked: boolean;
  /** @internal */ _chunkLen: number | null;
  /** @internal */ _nChunksBefore: number;
  /** @internal */ _nChunksAfter: number;
  /** @internal */ _bias: boolean;
  /** @internal */ _mode: EfficientAttentionMode;
  /** @internal */ _attentionDropout: number;
  /** @internal */ _outputDropout: number;

  constructor(options: SelfAttentionOptions = {}) {
    const mode = checkMode("SelfAttention", options.mode ?? "train");
    const masked = options.masked ?? false;
    const causal = options.causal ?? false;
    const chunkLen = options.chunkLen ?? null;
    const nChunksBefore = options.nChunksBefore ?? 0;
    const incremental = mode === "predict";
    let memLen = options.predictMemLen ?? null;
    let dropLen = options.predictDropLen ?? null;
    if (incremental) {
      if (!causal) throw new Error("SelfAttention: only causal attention supports fast inference (mode \"predict\"); set causal: true");
      if (masked) throw new Error("SelfAttention: predict mode takes no padding mask; set masked: false");
      if (chunkLen === null && !(memLen && dropLen)) {
        throw new Error("SelfAttention: predict mode needs chunkLen, or both predictMemLen and predictDropLen");
      }
      memLen = memLen || (chunkLen as number) * (1 + nChunksBefore);
      dropLen = dropLen || (chunkLen as number);
    }
    super(options.nHeads ?? 2, {
      nIn: masked ? 2 : 1,
      nParallelHeads: options.nParallelHeads,
      incremental,
      predictMemLen: memLen,
      predictDropLen: dropLen,
      useReferenceCode: options.useReferenceCode,
      name: "SelfAttention",
    });
    this._dQk = options.dQk ?? 64;
    this._dV = options.dV ?? 64;
    this._shareQk = options.shareQk ?? false;
    this._causal = causal;
    this._masked = masked;
    if (chunkLen !== null && (!Number.isInteger(chunkLen) || chunkLen <= 0)) throw new Error(`SelfAttention: chunkLen must be a positive integer or null; got ${chunkLen}`);
    this._chunkLen = chunkLen;
    this._nChunksBefore = nChunksBefore;
    this._nChunksAfter = options.nChunksAfter ?? 0;
    if (chunkLen === null && (this._nChunksBefore !== 0 || this._nChunksAfter !== 0)) {
      throw new Error("SelfAttention: nChunksBefore/nChunksAfter need chunkLen");
    }
    this._bias = options.bias ?? false;
    this._mode = mode;
    const train = mode === "train";
    this._attentionDropout = train ? checkRate("SelfAttention", "attentionDropout", options.attentionDropout ?? 0) : 0;
    this._outputDropout = train ? checkRate("SelfAttention", "outputDropout", options.outputDropout ?? 0) : 0;
  }

  protected signatureInputs(sigs: ShapeDtype[]): ShapeDtype[] {
    return sigs.slice(0, 1);
  }

  createWeightsUnbatched(sigs: ShapeDtype[], rng: PRNGKey): Nested<tf.Tensor> {
    const dModel = sigs[0].shape[sigs[0].rank - 1];
    const [rq, rk, rv, ro] = random.split(rng, 4);
    const h = this._nHeads;
    const wQ = headKernel([dModel, this._dQk], rq, h);
    const wK = this._shareQk ? null : headKernel([dModel, this._dQk], rk, h);
    const wV = headKernel([dModel, this._dV], rv, h);
    const wO0 = headKernel([dModel, this._dV], ro, h);
    const wO = wO0.transpose();
    wO0.dispose();
    const ws: tf.Tensor[] = wK ? [wQ, wK, wV, wO] : [wQ, wV, wO];
    if (this._bias) {
      ws.push(tf.zeros([this._dQk]));
      if (!this._shareQk) ws.push(tf.zeros([this._dQk]));
      ws.push(tf.zeros([this._dV]));
    }
    return ws;
  }

  protected checkInputs(xs: tf.Tensor[]): void {
    super.checkInputs(xs);
    const [b, l] = xs[0].shape;
    if (xs[0].dtype !== "float32") throw new TypeError(`SelfAttention needs float32 inputs; got ${xs[0].dtype}`);
    if (this._masked && (xs[1].rank !== 2 || xs[1].shape[0] !== b || xs[1].shape[1] !== l)) {
      throw new Error(`SelfAttention expects a mask of shape [${b}, ${l}] (batch, length); got [${xs[1].shape}]`);
    }
    if (this._chunkLen !== null && !this._incremental && l % this._chunkLen !== 0) {
      throw new Error(`SelfAttention: sequence length ${l} is not a multiple of chunkLen ${this._chunkLen}`);
    }
  }

  /** `[wQ, wK | null, wV, wO, bQ, bK, bV]` from the weight tuple. */
  private unpack(weights: unknown): (tf.Tensor | null)[] {
    const w = weights as tf.Tensor[];
    const n = (this._shareQk ? 3 : 4) + (this._bias ? (this._shareQk ? 2 : 3) : 0);
    if (!Array.isArray(w) || w.length !== n) throw new Error(`SelfAttention expects ${n} weight tensors; got ${Array.isArray(w) ? w.length : "one"}`);
    const [wQ, wK, wV, wO] = this._shareQk ? [w[0], null, w[1], w[2]] : [w[0], w[1], w[2], w[3]];
    const rest = w.slice(this._shareQk ? 3 : 4);
    const [bQ, bK, bV] = !this._bias ? [null, null, null] : this._shareQk ? [rest[0], null, rest[1]] : [rest[0], rest[1], rest[2]];
    return [wQ, wK, wV, wO, bQ, bK, bV];
  }

  /** Works on stacked weights `(h, ...)` and batched inputs `(b, l, d)`. */
  forwardBatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const [wQ, wK, wV, wO, bQ, bK, bV] = this.unpack(ctx.weights);
    const [attendRng, outputRng] = random.split(ctx.rng, 2);
    const withBias = (t: tf.Tensor, bias: tf.Tensor | null) => (bias ? t.add(bias.reshape([bias.shape[0] as number, 1, bias.shape[1] as number])) : t);
    const x = xs[0];
    const incremental = ctx.qStart !== undefined;
    const maskFn = (d: tf.Tensor, q: tf.Tensor, kv: tf.Tensor) =>
      maskSelfAttention(d, q, kv, { causal: this._causal, excludeSelf: this._shareQk, masked: this._masked });
    let o: tf.Tensor;
    if (!incremental) {
      const l = x.shape[1] as number;
      const q = withBias(projectHeads(x, wQ as tf.Tensor), bQ);
      const k = wK ? withBias(projectHeads(x, wK), bK) : null;
      const v = withBias(projectHeads(x, wV as tf.Tensor), bV);
      const pos = tf.range(0, l, 1, "int32");
      const kvInfo = this._masked ? maskedInfo(pos.reshape([1, 1, l]), xs[1].reshape([x.shape[0] as number, 1, l])) : pos;
      [o] = attend(q, {
        k, v, qChunkLen: this._chunkLen, kvChunkLen: this._chunkLen,
        nChunksBefore: this._nChunksBefore, nChunksAfter: this._nChunksAfter,
        maskFn, qInfo: pos, kvInfo, dropout: this._attentionDropout, rng: attendRng,
      });
    } else {
      const qStart = ctx.qStart as number;
      const qLen = ctx.qLen as number;
      const [b, m, d] = x.shape;
      const xq = x.slice([0, qStart, 0], [b, qLen, d]);
      const q = withBias(projectHeads(xq, wQ as tf.Tensor), bQ);
      const k = wK ? withBias(projectHeads(x, wK), bK) : lengthNormalized(withBias(projectHeads(x, wQ as tf.Tensor), bQ));
      const v = withBias(projectHeads(x, wV as tf.Tensor), bV);
      const qInfo = tf.range(qStart, qStart + qLen, 1, "int32");
      const kvInfo = tf.range(0, m, 1, "int32");
      const chunked = this._chunkLen !== null && qLen > this._chunkLen;
      if (chunked && (qStart !== 0 || qLen % (this._chunkLen as number) !== 0 || m !== qLen)) {
        throw new Error(`SelfAttention predict: a prefix of ${qLen} positions must be a multiple of chunkLen ${this._chunkLen}`);
      }
      [o] = attend(q, {
        k, v,
        ...(chunked ? { qChunkLen: this._chunkLen, kvChunkLen: this._chunkLen, nChunksBefore: this._nChunksBefore, nChunksAfter: this._nChunksAfter } : {}),
        maskFn, qInfo, kvInfo, dropout: this._attentionDropout, rng: attendRng,
      });
    }
    const out = mergeHeadOutputs(o, wO as tf.Tensor);
    return [applyBroadcastedDropout(out, this._outputDropout, outputRng), ctx.state];
  }

  /** One example, one head: the batched pass on a batch of one and a single head. */
  forwardUnbatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const batched = xs.map((x) => x.expandDims(0));
    const weights = (ctx.weights as tf.Tensor[]).map((w) => w.expandDims(0));
    const [out, s] = this.forwardBatched(batched, { ...ctx, weights });
    return [out.squeeze([0]), s];
  }

  incrementalForwardUnbatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    return this.forwardUnbatched(xs, ctx);
  }
}

/**
 * Memory-efficient multi-head self-attention (Trax's second implementation).
 * Per head: `q = x wQ`, `k = x wK` (or shared with `q` and length-normalized),
 * `v = x wV`; attention within chunks of `chunkLen` (plus `nChunksBefore` /
 * `nChunksAfter` neighbouring chunks) or over the whole sequence; head
 * outputs are projected by `wO` and summed.
 *
 * Input `(batch, length, dModel)` (and, with `masked`, a `(batch, length)`
 * mask); output `(batch, length, dModel)`. Weights `[wQ (h, d, dQk), wK,
 * wV (h, d, dV), wO (h, dV, d)]` (no `wK` with `shareQk`; biases after).
 * In `predict` mode (causal only) the state caches the last inputs:
 * `[memEnd, [mem (batch, predictMemLen, d)], []]`, and tokens may be fed
 * one (or a few) at a time.
 *
 * @example
 * ```ts
 * const attn = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 4, causal: true, chunkLen: 4, nChunksBefore: 1, mode: "eval" });
 * attn(tf.randomNormal([1, 8, 6])).shape; // [1, 8, 6]
 * ```
 */
export const SelfAttention = callable(SelfAttentionLayer, "SelfAttention", {
  positional: [],
  options: optionKeys<SelfAttentionOptions>({
    nHeads: true, dQk: true, dV: true, shareQk: true, causal: true, masked: true, chunkLen: true,
    nChunksBefore: true, nChunksAfter: true, bias: true, mode: true, predictMemLen: true,
    predictDropLen: true, attentionDropout: true, outputDropout: true, nParallelHeads: true,
    usePythonLoop: true, useReferenceCode: true,
  }),
});
export type SelfAttention = SelfAttentionLayer;
