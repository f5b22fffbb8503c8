/**
 * Compositions around `PureLSHSelfAttention`: `MixedLSHSelfAttention` (plain
 * attention for short inputs, LSH for long ones) and
 * `PureLSHSelfAttentionWrapper` (projections, heads, LSH, output projection).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { Signature } from "../../shapes";
import { Fn, Layer } from "../base";
import type { State, Weights } from "../base";
import { callable } from "../callable";
import { Branch, Parallel, Serial } from "../combinators";
import { Dense } from "../core";
import { DotProductAttention, DotProductCausalAttention, MergeHeads, SplitIntoHeads } from "../attention";
import { PureLSHSelfAttention } from "./lsh-attention";
import type { LSHAttentionOptions } from "./lsh-attention";
import { withArgs, optionKeys } from "../arg-check";

/** Options of {@link MixedLSHSelfAttention}: its own, plus any option of `PureLSHSelfAttention`. */
export interface MixedLSHSelfAttentionOptions extends LSHAttentionOptions {
  /** Inputs up to this length use plain attention; null (default) always uses LSH. */
  stdLength?: number | null;
  /** Turn both dropouts off (default false). */
  forceNoDropout?: boolean;
}

class MixedLSHSelfAttentionLayer extends Layer {
  /** @internal */ _stdLength: number | null;

  constructor(options: MixedLSHSelfAttentionOptions = {}) {
    const { stdLength, forceNoDropout, ...rest } = options;
    const nHeads = rest.nHeads ?? 1;
    const attentionDropout = forceNoDropout ? 0 : rest.attentionDropout ?? 0;
    const outputDropout = forceNoDropout ? 0 : rest.outputDropout ?? 0;
    const mode = rest.mode ?? "train";
    const causal = rest.causal ?? false;
    const lsha = PureLSHSelfAttention({ ...rest, nHeads, dQk: rest.dQk ?? 64, dV: rest.dV ?? 64, attentionDropout, outputDropout, mode });
    let stda: Layer;
    if (causal) {
      stda = Serial(Fn("dup_shared_qk", (q: tf.Tensor, v: tf.Tensor) => [q, q, v], { nOut: 3 }), DotProductCausalAttention({ dropout: attentionDropout, mode }));
    } else {
      const addHeads = (m: tf.Tensor) => {
        const [b, l] = m.shape as [number, number];
        return tf.broadcastTo(m.reshape([b, 1, l]), [b, nHeads, l]).reshape([b * nHeads, 1, l]);
      };
      stda = Serial(
        Fn("dup_shared_qk_and_make_mask", (q: tf.Tensor, v: tf.Tensor, m: tf.Tensor) => [q, q, v, addHeads(m)], { nOut: 4 }),
        DotProductAttention({ dropout: attentionDropout, mode })
      );
    }
    if (stda.nIn !== lsha.nIn) {
      throw new Error(`MixedLSHSelfAttention: the plain and LSH attention take ${stda.nIn} and ${lsha.nIn} inputs; use masked: ${!causal} with causal: ${causal}`);
    }
    super({ nIn: stda.nIn, nOut: stda.nOut, name: "MixedLSHSelfAttention" });
    this._sublayers = [lsha, stda];
    this._weights = [null, null];
    this._state = [null, null];
    this._stdLength = stdLength ?? null;
  }

  initWeightsAndState(inputSignature: Signature): void {
    const weights: Weights[] = [];
    const states: State[] = [];
    for (const sub of this._sublayers) {
      const [w, s] = sub.init(inputSignature, { useCache: true });
      weights.push(w);
      states.push(s);
    }
    this.weights = weights as unknown as Weights;
    this.state = states as unknown as State;
  }

  forward(xs: tf.Tensor[]): tf.Tensor {
    const [rng1, rng2] = random.split(this.rng, 2);
    const length = xs[0].shape[1] as number;
    const useLsh = this._stdLength === null || length > this._stdLength;
    const i = useLsh ? 0 : 1;
    const weights = this.weights as unknown as Weights[];
    const state = this.state as unknown as State[];
    const [out, s] = this._sublayers[i].pureFn(xs, weights[i], state[i], useLsh ? rng1 : rng2, true);
    const next = state.slice();
    next[i] = s;
    this.state = next as unknown as State;
    return out;
  }
}

/**
 * Self-attention on per-head `(qk, v)` that uses plain dot-product attention
 * (`DotProductCausalAttention` when causal) for inputs up to `stdLength`
 * positions and `PureLSHSelfAttention` beyond. Causal layers take `(qk, v)`,
 * non-causal ones `(qk, v, mask)` (so set `masked: true` when not causal).
 *
 * Inputs `qk (batch*h, length, dQk)`, `v (batch*h, length, dV)` [, `mask (batch, length)`];
 * output `(batch*h, length, dV)`. Sublayers `[PureLSHSelfAttention, plain attention]`.
 *
 * @example
 * ```ts
 * const attn = tl.MixedLSHSelfAttention({ nHeads: 1, causal: true, stdLength: 8, chunkLen: 4, nBuckets: 4, mode: "eval" });
 * attn([tf.randomNormal([1, 8, 4]), tf.randomNormal([1, 8, 4])]).shape; // [1, 8, 4]: plain attention
 * ```
 */
export const MixedLSHSelfAttention = callable(MixedLSHSelfAttentionLayer, "MixedLSHSelfAttention", {
  positional: [],
  options: optionKeys<MixedLSHSelfAttentionOptions>({
    nHeads: true, dQk: true, dV: true, shareQk: true, causal: true, masked: true, chunkLen: true,
    nChunksBefore: true, nChunksAfter: true, nHashes: true, nBuckets: true, mode: true, predictMemLen: true,
    predictDropLen: true, attentionDropout: true, outputDropout: true, maxLengthForBuckets: true, bias: true,
    nParallelHeads: true, usePythonLoop: true, useReferenceCode: true, stdLength: true, forceNoDropout: true,
  }),
});
export type MixedLSHSelfAttention = MixedLSHSelfAttentionLayer;

/** Options of {@link PureLSHSelfAttentionWrapper}: its own plus the inner attention's. */
export interface PureLSHSelfAttentionWrapperOptions extends MixedLSHSelfAttentionOptions {
  /** The inner attention constructor (default `tl.PureLSHSelfAttention`). */
  pureLshImplementation?: (options: any) => Layer;
  /** Biases in the projections (default true). */
  bias?: boolean;
  /** 2 (`qk`, `v`) or 3 (`q`, `k`, `v`, with `q` and `k` averaged) projections (default 3). */
  numWeights?: 2 | 3;
  /** Only used by the `sparse` weights format, which trax-ts refuses: accepted and without effect (default 16). */
  sparsity?: number;
  /** Projection layout: `model` (Dense of `(dModel, dModel)`, default) is supported; `sparse` and `heads` are not. */
  weightsFormat?: "model" | "sparse" | "heads";
  /** Rotary position embeddings: not supported (must be false). */
  rotaryPositionEmb?: boolean;
}

/**
 * Full LSH self-attention block from pure parts, as Trax's
 * `PureLSHSelfAttentionWrapper`: `Dense` projections to `(qk, v)` (with 3
 * projections, `q` and `k` averaged into `qk`), `SplitIntoHeads`, the inner
 * attention, `MergeHeads` and an output `Dense`. `dModel = dQk * nHeads`.
 *
 * Input `(batch, length, dModel)` (and with `masked` a `(batch, length)` mask);
 * output `(batch, length, dModel)`. Returns a `Serial`.
 *
 * @example
 * ```ts
 * const block = tl.PureLSHSelfAttentionWrapper({ nHeads: 2, dQk: 4, dV: 4, causal: true, chunkLen: 4, nBuckets: 4, bias: false, mode: "eval" });
 * block(tf.randomNormal([1, 8, 8])).shape; // [1, 8, 8]
 * ```
 */
export const PureLSHSelfAttentionWrapper = withArgs("PureLSHSelfAttentionWrapper", {
  positional: [],
  options: optionKeys<PureLSHSelfAttentionWrapperOptions>({
    nHeads: true, dQk: true, dV: true, shareQk: true, causal: true, masked: true, chunkLen: true,
    nChunksBefore: true, nChunksAfter: true, nHashes: true, nBuckets: true, mode: true, predictMemLen: true,
    predictDropLen: true, attentionDropout: true, outputDropout: true, maxLengthForBuckets: true, bias: true,
    nParallelHeads: true, usePythonLoop: true, useReferenceCode: true, stdLength: true, forceNoDropout: true,
    pureLshImplementation: true, numWeights: true, sparsity: true, weightsFormat: true,
    rotaryPositionEmb: true,
  }),
}, function PureLSHSelfAttentionWrapper(options: PureLSHSelfAttentionWrapperOptions = {}): Layer {
  const { pureLshImplementation, bias, numWeights, sparsity, weightsFormat, rotaryPositionEmb, ...rest } = options;
  void sparsity;
  const nHeads = rest.nHeads ?? 1;
  const dQk = rest.dQk ?? 64;
  const dModel = dQk * nHeads;
  const useBias = bias ?? true;
  const nw = numWeights ?? 3;
  const format = weightsFormat ?? "model";
  if (format !== "model") throw new Error(`PureLSHSelfAttentionWrapper: weightsFormat "${format}" is not supported in trax-ts (use "model")`);
  if (rotaryPositionEmb) throw new Error("PureLSHSelfAttentionWrapper: rotaryPositionEmb is not supported in trax-ts");
  if (nw !== 2 && nw !== 3) throw new Error(`PureLSHSelfAttentionWrapper: numWeights must be 2 or 3; got ${nw}`);
  const make = pureLshImplementation ?? ((o: LSHAttentionOptions) => PureLSHSelfAttention(o));
  const attn = make({ ...rest, nHeads, dQk, dV: rest.dV ?? 64 });
  const qkv =
    nw === 3
      ? Serial(
          Branch(Dense(dModel, { useBias }), Dense(dModel, { useBias }), Dense(dModel, { useBias })),
          Fn("QKAvg", (x: tf.Tensor, y: tf.Tensor) => tf.div(tf.add(x, y), 2)),
          Parallel(SplitIntoHeads(nHeads), SplitIntoHeads(nHeads))
        )
      : Branch([Dense(dModel, { useBias }), SplitIntoHeads(nHeads)], [Dense(dModel, { useBias }), SplitIntoHeads(nHeads)]);
  return Serial(qkv, attn, MergeHeads(nHeads), Dense(dModel, { useBias }), { name: "PureLSHSelfAttentionWrapper" });
});
