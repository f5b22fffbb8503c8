/**
 * `EncDecAttention`: Trax's memory-efficient encoder-decoder attention.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import type { Nested } from "../../fastmath/tree";
import { ShapeDtype } from "../../shapes";
import type { State } from "../base";
import { callable } from "../callable";
import { applyBroadcastedDropout, attend } from "./attend";
import { EfficientAttentionBase } from "./efficient-attention-base";
import type { EfficientAttentionMode, HeadContext } from "./efficient-attention-base";
import { checkMode, checkRate, headKernel, mergeHeadOutputs, projectHeads } from "./self-attention";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options of {@link EncDecAttention}. */
export interface EncDecAttentionOptions {
  /** Number of attention heads (default 2). */
  nHeads?: number;
  /** Depth of queries and keys per head (default 64). */
  dQk?: number;
  /** Depth of values per head (default 64). */
  dV?: number;
  /**
   * Take a third input, the `(batch, kvLength)` encoder padding mask (default true). Every padded position is hidden, positions 0 and 1 included: a
   * deliberate difference from Trax, whose `pos * (+-1)` position trick (then
   * `+1` in `attend`) leaves padded positions 0 and 1 visible.
   */
  masked?: boolean;
  /** `train`, `eval` or `predict` (default `train`; predict behaves as eval). */
  mode?: ModeLike<EfficientAttentionMode>;
  /** Dropout on attention probabilities, train mode only (default 0). */
  attentionDropout?: number;
  /** Dropout on the output, train mode only (default 0). */
  outputDropout?: number;
  /** Validated for Trax compatibility; all heads run in one batched pass. */
  nParallelHeads?: number | null;
  /** Accepted for Trax compatibility and has no effect: Trax chooses a Python or a compiled loop over head groups (the same numbers); trax-ts always loops in JavaScript. */
  usePythonLoop?: boolean;
  /** Run the per-example, per-head reference loop (default false). */
  useReferenceCode?: boolean;
}

class EncDecAttentionLayer extends EfficientAttentionBase {
  /** @internal */ _dQk: number;
  /** @internal */ _dV: number;
  /** @internal */ _masked: boolean;
  /** @internal */ _mode: EfficientAttentionMode;
  /** @internal */ _attentionDropout: number;
  /** @internal */ _outputDropout: number;

  constructor(options: EncDecAttentionOptions = {}) {
    const masked = options.masked ?? true;
    super(options.nHeads ?? 2, {
      nIn: masked ? 3 : 2,
      nParallelHeads: options.nParallelHeads,
      useReferenceCode: options.useReferenceCode,
      name: "EncDecAttention",
    });
    this._dQk = options.dQk ?? 64;
    this._dV = options.dV ?? 64;
    this._masked = masked;
    this._mode = checkMode("EncDecAttention", options.mode ?? "train");
    const train = this._mode === "train";
    this._attentionDropout = train ? checkRate("EncDecAttention", "attentionDropout", options.attentionDropout ?? 0) : 0;
    this._outputDropout = train ? checkRate("EncDecAttention", "outputDropout", options.outputDropout ?? 0) : 0;
  }

  createWeightsUnbatched(sigs: ShapeDtype[], rng: PRNGKey): Nested<tf.Tensor> {
    const dModel = sigs[0].shape[sigs[0].rank - 1] as number;
    const dKv = sigs[1].shape[sigs[1].rank - 1] as number;
    const [rq, rk, rv, ro] = random.split(rng, 4);
    const h = this._nHeads;
    const wO0 = headKernel([dModel, this._dV], ro, h);
    const wO = wO0.transpose();
    wO0.dispose();
    return [headKernel([dModel, this._dQk], rq, h), headKernel([dKv, this._dQk], rk, h), headKernel([dKv, this._dV], rv, h), wO];
  }

  protected checkInputs(xs: tf.Tensor[]): void {
    super.checkInputs(xs);
    const [q, kv] = xs;
    if (kv.rank !== 3 || kv.shape[0] !== q.shape[0]) {
      throw new Error(`EncDecAttention expects encoder activations (batch ${q.shape[0]}, kvLength, dKv); got [${kv.shape}]`);
    }
    if (q.dtype !== "float32" || kv.dtype !== "float32") throw new TypeError(`EncDecAttention needs float32 activations; got ${q.dtype} and ${kv.dtype}`);
    if (this._masked) {
      const m = xs[2];
      if (m.rank !== 2 || m.shape[0] !== kv.shape[0] || m.shape[1] !== kv.shape[1]) {
        throw new Error(`EncDecAttention expects a mask of shape [${kv.shape[0]}, ${kv.shape[1]}] (batch, kvLength); got [${m.shape}]`);
      }
    }
  }

  forwardBatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const [wQ, wK, wV, wO] = ctx.weights as tf.Tensor[];
    const [attendRng, outputRng] = random.split(ctx.rng, 2);
    const [qa, kva] = xs;
    const q = projectHeads(qa, wQ);
    const k = projectHeads(kva, wK);
    const v = projectHeads(kva, wV);
    let kvInfo: tf.Tensor | null = null;
    let maskFn = null;
    if (this._masked) {
      // Padding gets info -2 (-1 after attend's shift to 1-based), real tokens 0.
      const [b, l] = kva.shape as [number, number];
      const m = xs[2];
      const valid = m.dtype === "bool" ? m : tf.notEqual(m, 0);
      kvInfo = tf.where(valid, tf.zeros([b, l], "int32"), tf.fill([b, l], -2, "int32")).reshape([b, 1, l]);
      maskFn = (dots: tf.Tensor, _q: tf.Tensor, kv: tf.Tensor) => tf.sub(dots, tf.mul(tf.less(kv, 0).toFloat(), 1e9));
    }
    const [o] = attend(q, { k, v, maskFn, kvInfo, dropout: this._attentionDropout, rng: attendRng });
    const out = mergeHeadOutputs(o, wO);
    return [applyBroadcastedDropout(out, this._outputDropout, outputRng), ctx.state];
  }

  forwardUnbatched(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const weights = (ctx.weights as tf.Tensor[]).map((w) => w.expandDims(0));
    const [out, s] = this.forwardBatched(xs.map((x) => x.expandDims(0)), { ...ctx, weights });
    return [out.squeeze([0]), s];
  }
}

/**
 * Memory-efficient multi-head encoder-decoder attention: decoder activations
 * attend to encoder activations, hiding encoder padding. Per head
 * `q = xDec wQ`, `k = xEnc wK`, `v = xEnc wV`; outputs projected by `wO` and
 * summed over heads.
 *
 * Inputs `xDec (batch, lq, dModel)`, `xEnc (batch, lkv, dKv)` and, with
 * `masked` (default), `mask (batch, lkv)` (true/nonzero = real token); output
 * `(batch, lq, dModel)`. Weights `[wQ (h, dModel, dQk), wK (h, dKv, dQk),
 * wV (h, dKv, dV), wO (h, dV, dModel)]`. Trax's version shifts its mask info
 * so that every key, valid or not, is penalized by 1e9 or more (losing
 * float32 precision); here only padding is hidden.
 *
 * @example
 * ```ts
 * const attn = tl.EncDecAttention({ nHeads: 2, dQk: 4, dV: 4, mode: "eval" });
 * attn([tf.ones([1, 3, 6]), tf.ones([1, 5, 6]), tf.tensor([[1, 1, 1, 0, 0]], [1, 5], "bool")]).shape; // [1, 3, 6]
 * ```
 */
export const EncDecAttention = callable(EncDecAttentionLayer, "EncDecAttention", {
  positional: [],
  options: optionKeys<EncDecAttentionOptions>({
    nHeads: true, dQk: true, dV: true, masked: true, mode: true, attentionDropout: true, outputDropout: true,
    nParallelHeads: true, usePythonLoop: true, useReferenceCode: true,
  }),
});
export type EncDecAttention = EncDecAttentionLayer;
