/**
 * `LocallyConnected1d`: a convolution-like layer with separate weights per position.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { ShapeDtype } from "../../shapes";
import { Layer } from "../base";
import { callable } from "../callable";
import { GlorotUniformInitializer, RandomNormalInitializer } from "../initializers";
import type { Initializer } from "../initializers";
import { initializerResult } from "./checks";
import { optionKeys } from "../arg-check";
import { assertPromotable, toInexact } from "./checks";

/** Padding of {@link LocallyConnected1d}: drop the edges, pad with zeros, or wrap around. */
export type LocalPadding = "VALID" | "SAME" | "WRAP";

/** Options of {@link LocallyConnected1d}. */
export interface LocallyConnected1dOptions {
  /** Initializer of the `(L, kernelSize, D, filters)` kernel (default Glorot uniform, position axis non-receptive). */
  kernelInitializer?: Initializer;
  /** Initializer of the `(L', filters)` bias (default normal, stddev 1e-6). */
  biasInitializer?: Initializer;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** `"VALID"` (default), `"SAME"` or `"WRAP"`. */
  padding?: LocalPadding;
}

class LocallyConnected1dLayer extends Layer {
  /** @internal */ _filters: number;
  /** @internal */ _kernelSize: number;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;
  /** @internal */ _useBias: boolean;
  /** @internal */ _padding: LocalPadding;

  constructor(filters: number, kernelSize: number, options: LocallyConnected1dOptions = {}) {
    if (!Number.isInteger(filters) || filters <= 0) throw new Error(`LocallyConnected1d needs a positive integer number of filters; got ${filters}`);
    if (!Number.isInteger(kernelSize) || kernelSize <= 0 || kernelSize % 2 !== 1) {
      throw new Error(`LocallyConnected1d needs an odd positive kernelSize; got ${kernelSize}`);
    }
    const padding = options.padding ?? "VALID";
    if (padding !== "VALID" && padding !== "SAME" && padding !== "WRAP") {
      throw new Error(`LocallyConnected1d padding must be "VALID", "SAME" or "WRAP"; got ${JSON.stringify(padding)}`);
    }
    super({ name: `LocallyConnected1d_${filters}_${kernelSize}` });
    this._filters = filters;
    this._kernelSize = kernelSize;
    this._kernelInitializer = options.kernelInitializer ?? GlorotUniformInitializer();
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
    this._useBias = options.useBias ?? true;
    this._padding = padding;
  }

  /** Output length for `n` positions. */
  private outLength(n: number): number {
    return this._padding === "VALID" ? n - this._kernelSize + 1 : n;
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    let w: tf.Tensor;
    let b: tf.Tensor | null = null;
    if (this._useBias) {
      if (!Array.isArray(this.weights) || this.weights.length !== 2) throw new Error(`Weights should be a [w, b] pair; got ${JSON.stringify(Array.isArray(this.weights) ? `${this.weights.length} items` : "one tensor")}`);
      [w, b] = this.weights as tf.Tensor[];
    } else {
      w = this.weights as tf.Tensor;
    }
    const [nPos, k, d, f] = w.shape;
    if (x.rank < 2 || x.shape[x.rank - 2] !== nPos || x.shape[x.rank - 1] !== d) {
      throw new Error(`${this.name} expects inputs of shape (..., ${nPos}, ${d}) (the length is fixed at init); got [${x.shape}]`);
    }
    const lead = x.shape.slice(0, -2);
    // linear[l, n, i, :] = x[n, l, :] @ w[l, i, :, :]: one batched matmul over positions l.
    const xs = x.reshape([-1, nPos, d]).transpose([1, 0, 2]); // (L, N, D)
    const ws = w.transpose([0, 2, 1, 3]).reshape([nPos, d, k * f]); // (L, D, k*F)
    const linear = tf.matMul(xs, ws).reshape([nPos, -1, k, f]); // (L, N, k, F)
    const nOut = this.outLength(nPos);
    const h = (k - 1) / 2;
    let out: tf.Tensor | null = null;
    for (let i = 0; i < k; i++) {
      const part = linear.slice([0, 0, i, 0], [nPos, -1, 1, f]).squeeze([2]); // (L, N, F)
      let shifted: tf.Tensor;
      if (k === 1) shifted = part;
      else if (this._padding === "VALID") {
        // out[m] += linear_i[m + (k - 1) - i]
        shifted = part.slice([k - 1 - i, 0, 0], [nOut, -1, -1]);
      } else if (this._padding === "SAME") {
        // out[m] += linear_i[m + i - h], zero outside [0, L)
        shifted = tf.pad(part, [[h, h], [0, 0], [0, 0]]).slice([i, 0, 0], [nOut, -1, -1]);
      } else {
        // WRAP: out[m] += linear_i[(m + i - h) mod L], a roll by slices (Gather has no wasm gradient)
        const o = (((i - h) % nPos) + nPos) % nPos;
        shifted = o === 0 ? part : tf.concat([part.slice([o, 0, 0], [nPos - o, -1, -1]), part.slice([0, 0, 0], [o, -1, -1])], 0);
      }
      out = out === null ? shifted : tf.add(out, shifted);
    }
    let y = (out as tf.Tensor).transpose([1, 0, 2]).reshape([...lead, nOut, f]);
    if (b) y = tf.add(y, b);
    return y;
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    assertPromotable(this.name, inputSignature);
    if (inputSignature.rank < 2) throw new Error(`${this.name} needs inputs of shape (..., length, depth); got rank ${inputSignature.rank}`);
    const [n, d] = inputSignature.shape.slice(-2);
    const nOut = this.outLength(n);
    if (nOut < 1) throw new Error(`${this.name} with VALID padding needs length >= kernelSize (${this._kernelSize}); got ${n}`);
    const shapeW = [n, this._kernelSize, d, this._filters];
    const shapeB = [nOut, this._filters];
    const [rngW, rngB] = random.split(this.rng, 2);
    const w = initializerResult(this.name, this._kernelInitializer(shapeW, rngW, [0]), shapeW);
    if (this._useBias) this.weights = [w, initializerResult(this.name, this._biasInitializer(shapeB, rngB), shapeB)];
    else this.weights = w;
  }
}

/**
 * A locally-connected 1-D layer: like a 1-D convolution with stride 1, but
 * with a different set of filters at each position (weights are not shared,
 * so the length is fixed at init). The kernel size must be odd.
 *
 * Input `(..., L, D)` float32; output `(..., L, filters)` for `"SAME"` and
 * `"WRAP"` padding, `(..., L - kernelSize + 1, filters)` for `"VALID"`.
 * Weights: kernel `(L, kernelSize, D, filters)` (indexed by input position,
 * as Trax), bias `(L', filters)`.
 *
 * @example
 * ```ts
 * const lc = tl.LocallyConnected1d(6, 3, { padding: "SAME" });
 * lc(tf.ones([3, 2])).shape; // [3, 6]
 * ```
 */
export const LocallyConnected1d = callable(LocallyConnected1dLayer, "LocallyConnected1d", {
  positional: ["filters", "kernelSize"],
  options: optionKeys<LocallyConnected1dOptions>({
    kernelInitializer: true, biasInitializer: true, useBias: true, padding: true,
  }),
});
export type LocallyConnected1d = LocallyConnected1dLayer;
