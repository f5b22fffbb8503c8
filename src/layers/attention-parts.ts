/**
 * Private parts of the attention layers: the multiplicative sparse projection
 * Trax's `AttentionQKV` uses for an integer `qSparsity`/`resultSparsity`
 * (FactoredDense followed by LocallyConvDense, from `trax.layers.research.sparsity`),
 * and a causal depthwise convolution with a `predict` mode for `useDconv`.
 * Not exported from `tl`.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { dense } from "../fastmath/matmul";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { EMPTY_STATE, Layer } from "./base";
import type { State } from "./base";
import { Serial } from "./combinators";
import { Dense } from "./core";
import { GlorotUniformInitializer, RandomNormalInitializer } from "./initializers";

function oneInput(layer: string, sig: Signature): ShapeDtype {
  if (!(sig instanceof ShapeDtype)) throw new Error(`${layer} takes one input`);
  return sig;
}

/**
 * Causal depthwise convolution along axis 1 (Trax's `CausalDepthwiseConv`:
 * `y[t] = sum_i x[t-i] * w[i]`, weights `(kernelSize, d)`), which in `predict`
 * mode remembers the last `kernelSize - 1` inputs as state.
 */
export class CausalDepthwiseConvPredictable extends Layer {
  /** @internal */ _kernelSize: number;
  /** @internal */ _mode: string;

  constructor(kernelSize = 3, mode = "train") {
    super({ name: "CausalDepthwiseConv" });
    this._kernelSize = kernelSize;
    this._mode = mode;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`CausalDepthwiseConv expects (batch, length, depth); got shape [${x.shape}]`);
    const w = this.weights as tf.Tensor;
    const k = this._kernelSize;
    const [b, l, d] = x.shape;
    if (d !== w.shape[1]) throw new Error(`CausalDepthwiseConv has weights for depth ${w.shape[1]}; got input [${x.shape}]`);
    let memory: tf.Tensor;
    if (this._mode === "predict") {
      memory = this.state as tf.Tensor;
      if (memory.shape[0] !== b) throw new Error(`CausalDepthwiseConv predict cache has batch ${memory.shape[0]}; got input [${x.shape}]`);
    } else {
      memory = tf.zeros([b, k - 1, d]);
    }
    const xp = k > 1 ? tf.concat([memory, x], 1) : x;
    let res: tf.Tensor | null = null;
    for (let i = 0; i < k; i++) {
      const term = xp.slice([0, k - 1 - i, 0], [b, l, d]).mul(w.slice([i, 0], [1, d]).reshape([1, 1, d]));
      res = res ? res.add(term) : term;
    }
    if (this._mode === "predict" && k > 1) this.state = xp.slice([0, l, 0], [b, k - 1, d]);
    return res as tf.Tensor;
  }

  initWeightsAndState(inputSignature: Signature): void {
    const sig = oneInput(this.name, inputSignature);
    const [rngW] = random.split(this.rng, 2);
    this.weights = GlorotUniformInitializer()([this._kernelSize, sig.shape[sig.rank - 1]], rngW);
    this.state = this._mode === "predict" && this._kernelSize > 1
      ? tf.zeros([sig.shape[0], this._kernelSize - 1, sig.shape[sig.rank - 1]])
      : (EMPTY_STATE as State);
  }
}

/** A causal depthwise convolution (private fallback, with predict mode). */
export function CausalDepthwiseConvFallback(kernelSize: number, mode: string): Layer {
  return new CausalDepthwiseConvPredictable(kernelSize, mode);
}

/**
 * Trax's `FactoredDense(nModules, dIn, dOut)`: `x` gated by `nModules`
 * trained vectors, each projected by one shared `(dIn, dOut/nModules)` matrix,
 * concatenated, plus a bias. Weights `[gating (M, dIn), projection (dIn, dOut/M), bias (dOut)]`.
 */
class FactoredDenseLayer extends Layer {
  /** @internal */ _nModules: number;
  /** @internal */ _dOut: number;

  constructor(nModules: number, dOut: number) {
    super({ name: "FactoredDense" });
    this._nModules = nModules;
    this._dOut = dOut;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [gating, proj, bias] = this.weights as tf.Tensor[];
    const dIn = gating.shape[1];
    if (x.shape[x.rank - 1] !== dIn) throw new Error(`FactoredDense expects ${dIn} features; got shape [${x.shape}]`);
    const lead = x.shape.slice(0, -1);
    const gated = x.reshape([...lead, 1, dIn]).mul(gating);
    return dense(gated, proj).reshape([...lead, this._dOut]).add(bias);
  }

  initWeightsAndState(inputSignature: Signature): void {
    const sig = oneInput(this.name, inputSignature);
    const dIn = sig.shape[sig.rank - 1];
    const [r1, r2, r3] = random.split(this.rng, 3);
    this.weights = [
      RandomNormalInitializer(0.5)([this._nModules, dIn], r1),
      GlorotUniformInitializer()([dIn, this._dOut / this._nModules], r2),
      RandomNormalInitializer(1e-6)([this._dOut], r3),
    ];
  }
}

/**
 * Trax's `LocallyConvDense(nModules, nUnits, mode, kernelSize, lengthKernelSize)`:
 * splits the last axis into modules, and convolves over (positions, modules)
 * with a `(lengthKernelSize, kernelSize)` kernel, causal along positions (in
 * `predict` mode the last `lengthKernelSize - 1` positions are state).
 * Weights `[kernel (lk, k, d/M, nUnits), bias (nUnits)]`.
 */
class LocallyConvDenseLayer extends Layer {
  /** @internal */ _nModules: number;
  /** @internal */ _nUnits: number;
  /** @internal */ _mode: string;
  /** @internal */ _k: number;
  /** @internal */ _lk: number;

  constructor(nModules: number, nUnits: number, mode: string, kernelSize = 3, lengthKernelSize = 3) {
    super({ name: "LocallyConvDense" });
    if (kernelSize % 2 !== 1) throw new Error("Currently we only handle odd kernel sizes.");
    this._nModules = nModules;
    this._nUnits = nUnits;
    this._mode = mode;
    this._k = kernelSize;
    this._lk = lengthKernelSize;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`LocallyConvDense expects (batch, length, depth); got shape [${x.shape}]`);
    const [kernel, bias] = this.weights as tf.Tensor[];
    const [b, l, d] = x.shape;
    const m = this._nModules;
    const half = (this._k - 1) / 2;
    let xs = x.reshape([b, l, m, d / m]);
    xs = tf.pad(xs, [[0, 0], [0, 0], [half, half], [0, 0]]);
    const keep = this._lk - 1;
    if (keep > 0) {
      const memory = this._mode === "predict" ? (this.state as tf.Tensor) : tf.zeros([b, keep, m + 2 * half, d / m]);
      xs = tf.concat([memory, xs], 1);
      if (this._mode === "predict") this.state = xs.slice([0, l, 0, 0], [b, keep, m + 2 * half, d / m]);
    }
    // VALID convolution over (positions, modules) as one matrix product over
    // patches: differentiable on every backend (wasm has no conv2d filter gradient).
    const dm = d / m;
    const taps: tf.Tensor[] = [];
    for (let p = 0; p < this._lk; p++) {
      for (let q = 0; q < this._k; q++) taps.push(xs.slice([0, p, q, 0], [b, l, m, dm]));
    }
    const patches = (taps.length === 1 ? taps[0] : tf.concat(taps, 3)).reshape([b * l * m, this._lk * this._k * dm]);
    const y = dense(patches, kernel.reshape([this._lk * this._k * dm, this._nUnits]), bias);
    return y.reshape([b, l, m * this._nUnits]);
  }

  initWeightsAndState(inputSignature: Signature): void {
    const sig = oneInput(this.name, inputSignature);
    const d = sig.shape[sig.rank - 1];
    if (d % this._nModules !== 0) throw new Error(`LocallyConvDense: depth ${d} is not a multiple of ${this._nModules} modules`);
    const [r1, r2] = random.split(this.rng, 2);
    this.weights = [
      GlorotUniformInitializer()([this._lk, this._k, d / this._nModules, this._nUnits], r1),
      RandomNormalInitializer(1e-6)([this._nUnits], r2),
    ];
    const keep = this._lk - 1;
    this.state = this._mode === "predict" && keep > 0
      ? tf.zeros([sig.shape[0], keep, this._nModules + this._k - 1, d / this._nModules])
      : (EMPTY_STATE as State);
  }
}

/**
 * The multiplicative sparse projection of `AttentionQKV` for an integer
 * sparsity `s`: `Serial(FactoredDense(s, d, d), LocallyConvDense(s, d/s, mode, 3, 3))`.
 */
export function SparseProjection(sparsity: number, dFeature: number, mode: string): Layer {
  const dModule = dFeature / sparsity;
  const local = sparsity === 1 ? Dense(dModule) : new LocallyConvDenseLayer(sparsity, dModule, mode, 3, 3);
  return Serial(new FactoredDenseLayer(sparsity, dFeature), local, {
    name: `SparseProjection_${sparsity}`,
  });
}
