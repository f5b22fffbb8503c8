/**
 * `InfinitePositionalEncoding` (cosines of drifting frequencies, noise from a
 * fixed threefry stream, so any length works) and `TimeBinPositionalEncoding`
 * (its engineered time-bin features alone).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { EMPTY_STATE, EMPTY_WEIGHTS, Layer } from "../base";
import type { State, Weights } from "../base";
import { callable } from "../callable";
import { OrthogonalInitializer } from "../initializers";
import { checkMode } from "./self-attention";
import type { EfficientAttentionMode } from "./efficient-attention-base";
import { threefry2x32PrangeFlat } from "./threefry-prf";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** The fixed key of the noise stream (JAX: `split(PRNGKey(234234535))[0]`). */
const NOISE_KEY: PRNGKey = random.split(random.getPrng(234234535), 2)[0] as PRNGKey;

/** Time-bin features of position `t`: `[1 / (1 + t div L), (t mod L) / L, (t div L) mod 2]`. */
function timeBinFeatures(t: number, binLength: number): [number, number, number] {
  const inter = Math.floor(t / binLength);
  const intra = t - inter * binLength;
  return [1 / (1 + inter), intra / binLength, inter % 2];
}

/** Options of {@link InfinitePositionalEncoding}. */
export interface InfinitePositionalEncodingOptions {
  /** Variance of the position difference per unit of difference (default 0.03). */
  drift?: number;
  /** Randomize the phase of every channel on each call (default true). */
  affine?: boolean;
  /** Learned transform after the encoding: `any` (a matrix), `diag` (softplus scales) or `none` (default `any`). */
  transform?: "any" | "diag" | "none";
  /** When set, the last 3 channels become time-bin features for bins of this length (default null). */
  timeBinLength?: number | null;
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
}

class InfinitePositionalEncodingLayer extends Layer {
  /** @internal */ _drift: number;
  /** @internal */ _affine: boolean;
  /** @internal */ _transform: "any" | "diag" | "none";
  /** @internal */ _timeBinLength: number | null;
  /** @internal */ _mode: EfficientAttentionMode;
  /** @internal */ _noise: Float32Array | null = null;
  /** @internal */ _noiseLen = 0;
  /** @internal */ _noiseDepth = 0;

  constructor(options: InfinitePositionalEncodingOptions = {}) {
    super({ name: "InfinitePositionalEncoding" });
    const transform = options.transform ?? "any";
    if (transform !== "any" && transform !== "diag" && transform !== "none") throw new Error(`InfinitePositionalEncoding: transform must be "any", "diag" or "none"; got ${JSON.stringify(transform)}`);
    this._drift = options.drift ?? 0.03;
    this._affine = options.affine ?? true;
    this._transform = transform;
    this._timeBinLength = options.timeBinLength ?? null;
    this._mode = checkMode("InfinitePositionalEncoding", options.mode ?? "train");
  }

  /** Noise rows `lo..hi-1` of depth `depth`: a cumulative sum of uniform steps (float32, as Trax). */
  private noise(lo: number, hi: number, depth: number): Float32Array {
    if (this._noise === null || this._noiseLen < hi || this._noiseDepth !== depth) {
      let len = 1;
      while (len < hi) len *= 2;
      const words = threefry2x32PrangeFlat(NOISE_KEY, 0, len * depth);
      const scale = Math.fround(2 ** 31 - 1);
      const sqrt3 = Math.fround(Math.sqrt(3));
      const noise = new Float32Array(len * depth);
      for (let i = 0; i < len * depth; i++) {
        const v = Math.fround(Math.fround(Math.fround(words[2 * i] as number) / scale) * sqrt3);
        noise[i] = i >= depth ? Math.fround((noise[i - depth] as number) + v) : v;
      }
      this._noise = noise;
      this._noiseLen = len;
      this._noiseDepth = depth;
    }
    return this._noise.subarray(lo * depth, hi * depth);
  }

  /** Embeddings of positions `lo..hi-1`: `(hi - lo, depth)`. */
  embeddings(lo: number, hi: number, depth: number, rng: PRNGKey | null): tf.Tensor {
    const half = Math.floor((depth + 1) / 2);
    const noise = this.noise(lo, hi, half);
    let drift = this._drift;
    if (depth > 2) drift = drift ** (half / Math.floor(depth / 2));
    // geomspace(0.5, 0.5 * drift^2, half)
    const freq = new Float64Array(half);
    for (let j = 0; j < half; j++) freq[j] = half === 1 ? 0.5 : 0.5 * Math.exp((j / (half - 1)) * Math.log(drift * drift));
    const phase = this._affine ? random.uniformArray(rng as PRNGKey, depth) : null;
    const sqrtDrift = Math.sqrt(this._drift);
    const n = hi - lo;
    const out = new Float32Array(n * depth);
    for (let r = 0; r < n; r++) {
      const t = lo + r;
      for (let c = 0; c < depth; c++) {
        const j = c >> 1;
        let cycles = (c % 2) / 4 + (freq[j] as number) * t + ((noise[r * half + j] as number) * sqrtDrift) / 4;
        if (phase) cycles += phase[c] as number;
        out[r * depth + c] = Math.cos(2 * Math.PI * cycles);
      }
      if (this._timeBinLength !== null) {
        const f = timeBinFeatures(t, this._timeBinLength);
        for (let k = 0; k < 3; k++) if (depth - 3 + k >= 0) out[r * depth + depth - 3 + k] = f[k] as number;
      }
    }
    return tf.tensor2d(out, [n, depth]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`InfinitePositionalEncoding expects (batch, length, d); got shape [${x.shape}]`);
    if (x.dtype !== "float32") throw new TypeError(`InfinitePositionalEncoding needs float32 input; got ${x.dtype}`);
    const [b, l, d] = x.shape as [number, number, number];
    if (this._timeBinLength !== null && d < 3) throw new Error(`InfinitePositionalEncoding with timeBinLength needs depth >= 3; got ${d}`);
    let emb: tf.Tensor;
    if (this._mode === "predict") {
      if (l !== 1) throw new Error(`InfinitePositionalEncoding in predict mode takes one position at a time; got length ${l}`);
      const [index, keyT] = this.state as unknown as [tf.Tensor, tf.Tensor];
      if (index.shape[0] !== b) throw new Error(`InfinitePositionalEncoding state is for a batch of ${index.shape[0]}; got ${b}`);
      const idx = Array.from(index.dataSync() as Int32Array);
      const key = new Uint32Array(new Int32Array(keyT.dataSync() as Int32Array).buffer);
      const lo = Math.min(...idx);
      const hi = Math.max(...idx) + 1;
      const table = this.embeddings(lo, hi, d, key);
      emb = tf.gather(table, tf.tensor1d(idx.map((i) => i - lo), "int32")).reshape([b, 1, d]);
      this.state = [index.add(1), keyT] as unknown as State;
    } else {
      emb = this.embeddings(0, l, d, this.rng).reshape([1, l, d]);
    }
    if (this._transform === "diag") emb = emb.mul(tf.softplus(this.weights as tf.Tensor));
    else if (this._transform === "any") emb = tf.matMul(emb.reshape([-1, d]), this.weights as tf.Tensor).reshape(emb.shape);
    return x.add(emb);
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const d = inputSignature.shape[inputSignature.rank - 1] as number;
    if (this._transform === "diag") this.weights = tf.fill([d], 1e-4);
    else if (this._transform === "any") this.weights = OrthogonalInitializer()([d, d], this.rng);
    else this.weights = EMPTY_WEIGHTS as Weights;
    if (this._mode === "predict") {
      const key = tf.tensor1d(new Int32Array(new Uint32Array(this.rng).buffer), "int32");
      this.state = [tf.zeros([inputSignature.shape[0] as number], "int32"), key] as unknown as State;
    } else {
      this.state = EMPTY_STATE as State;
    }
  }
}

/**
 * Infinite positional encoding: channel pairs are cosines (even channels) and
 * sines (odd: a quarter-cycle shift) of positions times geometrically spaced
 * frequencies from 1/2 down to `drift^2 / 2`, with a slowly drifting random
 * phase (a fixed pseudorandom walk, so any position has an encoding) and,
 * with `affine`, a random phase per call. A learned transform follows
 * (`any`: a `(d, d)` matrix, orthogonal at init; `diag`: softplus scales).
 *
 * Input and output `(batch, length, d)`. In predict mode positions come one
 * at a time; the state is `[next index per example (batch,), phase key]`.
 *
 * @example
 * ```ts
 * const pe = tl.InfinitePositionalEncoding({ affine: false, mode: "eval" });
 * pe(tf.zeros([1, 5, 8])).shape; // [1, 5, 8]
 * ```
 */
export const InfinitePositionalEncoding = callable(InfinitePositionalEncodingLayer, "InfinitePositionalEncoding", {
  positional: [],
  options: optionKeys<InfinitePositionalEncodingOptions>({
    drift: true, affine: true, transform: true, timeBinLength: true, mode: true,
  }),
});
export type InfinitePositionalEncoding = InfinitePositionalEncodingLayer;

/** Options of {@link TimeBinPositionalEncoding}. */
export interface TimeBinPositionalEncodingOptions {
  /** `train`, `eval` or `predict` (default `train`). */
  mode?: ModeLike<EfficientAttentionMode>;
}

class TimeBinPositionalEncodingLayer extends Layer {
  /** Number of features written (the last channels of the input). */
  static readonly numFeatures = 3;
  /** @internal */ _timeBinLength: number;
  /** @internal */ _mode: EfficientAttentionMode;

  constructor(timeBinLength: number, options: TimeBinPositionalEncodingOptions = {}) {
    if (!Number.isInteger(timeBinLength) || timeBinLength <= 0) throw new Error(`TimeBinPositionalEncoding needs a positive integer timeBinLength; got ${timeBinLength}`);
    super({ name: "TimeBinPositionalEncoding" });
    this._timeBinLength = timeBinLength;
    this._mode = checkMode("TimeBinPositionalEncoding", options.mode ?? "train");
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`TimeBinPositionalEncoding expects (batch, length, d); got shape [${x.shape}]`);
    const [b, l, d] = x.shape as [number, number, number];
    let positions: number[][];
    if (this._mode === "predict") {
      if (l !== 1) throw new Error(`TimeBinPositionalEncoding in predict mode takes one position at a time; got length ${l}`);
      const state = this.state as tf.Tensor;
      if (state.shape[0] !== b) throw new Error(`TimeBinPositionalEncoding state is for a batch of ${state.shape[0]}; got ${b}`);
      positions = Array.from(state.dataSync() as Int32Array, (t) => [t]);
      this.state = state.add(1);
    } else {
      const row = Array.from({ length: l }, (_, t) => t);
      positions = Array.from({ length: b }, () => row);
    }
    const feats = new Float32Array(b * l * 3);
    positions.forEach((row, i) => row.forEach((t, j) => feats.set(timeBinFeatures(t, this._timeBinLength), (i * l + j) * 3)));
    const emb = tf.tensor3d(feats, [b, l, 3]).cast(x.dtype);
    // Replace the last 3 channels; with fewer than 3 channels keep the last d features.
    const kept = d > 3 ? x.slice([0, 0, 0], [b, l, d - 3]) : null;
    const out = kept ? tf.concat([kept, emb], -1) : emb;
    return out.shape[2] === d ? out : out.slice([0, 0, (out.shape[2] as number) - d], [b, l, d]);
  }

  initWeightsAndState(inputSignature: Signature): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    this.state = this._mode === "predict" ? tf.zeros([inputSignature.shape[0] as number], "int32") : (EMPTY_STATE as State);
  }
}

/**
 * Writes the time-bin features of {@link InfinitePositionalEncoding} into the
 * last 3 channels of the input: for position `t` and bin length `L`,
 * `[1 / (1 + t div L), (t mod L) / L, (t div L) mod 2]`. With fewer than 3
 * channels, only the last ones are kept.
 *
 * Input and output `(batch, length, d)`. In predict mode positions come one at
 * a time; the state is the next position per example `(batch,)`.
 *
 * @example
 * ```ts
 * const tb = tl.TimeBinPositionalEncoding(5, { mode: "eval" });
 * tb(tf.zeros([1, 7, 4])); // position 6: [0, 0.5, 0.2, 1]
 * ```
 */
export const TimeBinPositionalEncoding = callable(TimeBinPositionalEncodingLayer, "TimeBinPositionalEncoding", {
  positional: ["timeBinLength"],
  options: optionKeys<TimeBinPositionalEncodingOptions>({
    mode: true,
  }),
});
export type TimeBinPositionalEncoding = TimeBinPositionalEncodingLayer;
