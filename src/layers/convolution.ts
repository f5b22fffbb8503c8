/**
 * The convolution module of the reference (`trax.layers.convolution`):
 * general N-D convolution (`Conv`, 1-D to 3-D kernels), its 1-D and causal
 * variants, and the causal depthwise convolution attention uses.
 *
 * The gradients are written here rather than left to tfjs: the wasm backend
 * has no `Conv2DBackpropFilter` kernel (tfjs autograd of `conv2d` fails
 * there), and its `Conv2DBackpropInput` is 8x slower than a forward
 * convolution. The input gradient is a forward convolution of the
 * (stride-dilated) output gradient with the flipped kernel; the kernel
 * gradient is one matrix product of the input's patches with the output
 * gradient, with an explicit transpose (see `fastmath/matmul.ts`).
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { matMulT } from "../fastmath/matmul";
import { roundToBfloat16If } from "../fastmath/bfloat16";
import { ShapeDtype } from "../shapes";
import { Layer } from "./base";
import { callable } from "./callable";
import { GlorotNormalInitializer, GlorotUniformInitializer, RandomNormalInitializer } from "./initializers";
import type { Initializer } from "./initializers";
import { windowGeometry } from "./pooling";
import type { Padding } from "./pooling";
import { withArgs, optionKeys } from "./arg-check";
import { assertPromotable, toInexact } from "./core/checks";

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

// ------------------------------------------------------------- the kernels

/** Patches of `x` (batch, *spatial, C) for a VALID window: `(batch, *out, K * C)`, offsets row-major. */
function patches(x: tf.Tensor, kernel: readonly number[], strides: readonly number[], dilation: readonly number[], out: readonly number[]): tf.Tensor {
  const k = kernel.length;
  const parts: tf.Tensor[] = [];
  const offsets: number[][] = [[]];
  for (let a = 0; a < k; a++) {
    const next: number[][] = [];
    for (const o of offsets) for (let i = 0; i < kernel[a]; i++) next.push([...o, i]);
    offsets.splice(0, offsets.length, ...next);
  }
  const unitStride = strides.every((s) => s === 1);
  for (const o of offsets) {
    const begin = [0, ...o.map((i, a) => i * dilation[a]), 0];
    if (unitStride) {
      parts.push(tf.slice(x, begin, [x.shape[0], ...out, x.shape[k + 1]]));
    } else {
      const end = [x.shape[0], ...o.map((i, a) => i * dilation[a] + (out[a] - 1) * strides[a] + 1), x.shape[k + 1]];
      parts.push(tf.stridedSlice(x, begin, end, [1, ...strides, 1]));
    }
  }
  return parts.length === 1 ? parts[0] : tf.concat(parts, k + 1);
}

/** VALID convolution of canonical `x (B, *spatial, Cin)` with `w (*kernel, Cin, Cout)`, no gradient of its own. */
function convValidRaw(x: tf.Tensor, w: tf.Tensor, strides: readonly number[], dilation: readonly number[]): tf.Tensor {
  const k = w.rank - 2;
  const both = strides.some((s) => s > 1) && dilation.some((d) => d > 1);
  if (!both && k === 1) {
    const y = tf.conv2d(x.expandDims(1) as tf.Tensor4D, w.expandDims(0) as tf.Tensor4D, [1, strides[0]], "valid", "NHWC", [1, dilation[0]]);
    return y.squeeze([1]);
  }
  if (!both && k === 2) {
    return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides as [number, number], "valid", "NHWC", dilation as [number, number]);
  }
  if (!both && k === 3) {
    return tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, strides as [number, number, number], "valid", "NDHWC", dilation as [number, number, number]);
  }
  // tfjs takes strides or dilations above 1, not both: one matrix product over patches.
  const kernel = w.shape.slice(0, k);
  const out = x.shape.slice(1, k + 1).map((n, a) => windowGeometry(n, kernel[a], strides[a], "VALID", dilation[a]).out);
  const p = patches(x, kernel, strides, dilation, out).reshape([-1, prod(kernel) * w.shape[k]]) as tf.Tensor2D;
  const y = tf.matMul(p, w.reshape([-1, w.shape[k + 1]]) as tf.Tensor2D);
  return y.reshape([x.shape[0], ...out, w.shape[k + 1]]);
}

/** Inserts `s - 1` zeros between neighbours along each spatial axis of `dy` (B, *out, C). */
function dilateWithZeros(dy: tf.Tensor, strides: readonly number[]): tf.Tensor {
  let t = dy;
  strides.forEach((s, a) => {
    if (s === 1) return;
    const axis = a + 1;
    const n = t.shape[axis];
    const padding: [number, number][] = t.shape.map(() => [0, 0] as [number, number]);
    padding.splice(axis + 1, 0, [0, s - 1]);
    const spread = tf.pad(t.expandDims(axis + 1), padding);
    const merged = [...t.shape];
    merged[axis] = n * s;
    const begin = t.shape.map(() => 0);
    const size = [...t.shape];
    size[axis] = (n - 1) * s + 1;
    t = tf.slice(spread.reshape(merged), begin, size);
  });
  return t;
}

/**
 * VALID convolution with a gradient that works on every backend and keeps
 * the heavy work in forward convolutions and one plain matMul.
 */
function convValid(x: tf.Tensor, w: tf.Tensor, strides: readonly number[], dilation: readonly number[]): tf.Tensor {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: convValidRaw(xi, wi, strides, dilation),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved;
        const k = sw.rank - 2;
        const kernel = sw.shape.slice(0, k);
        const out = dy.shape.slice(1, k + 1);
        // dx: correlate the zero-dilated dy with the flipped, I<->O swapped kernel.
        const spatialAxes = kernel.map((_, a) => a);
        const flipped = tf.reverse(sw, spatialAxes).transpose([...spatialAxes, k + 1, k]);
        const dyz = dilateWithZeros(dy, strides);
        const pads: [number, number][] = [[0, 0]];
        kernel.forEach((kk, a) => {
          const before = (kk - 1) * dilation[a];
          pads.push([before, sx.shape[a + 1] - (out[a] - 1) * strides[a] - 1]);
        });
        pads.push([0, 0]);
        const dx = convValidRaw(tf.pad(dyz, pads), flipped, kernel.map(() => 1), dilation);
        // dw: patches^T @ dy, transposed explicitly where that is faster.
        const p = patches(sx, kernel, strides, dilation, out).reshape([-1, prod(kernel) * sx.shape[k + 1]]) as tf.Tensor2D;
        const dy2 = dy.reshape([-1, dy.shape[k + 1]]) as tf.Tensor2D;
        const dw = matMulT(p, dy2, true, false).reshape(sw.shape);
        return [dx, dw];
      },
    };
  }) as any) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return f(x, w);
}

// --------------------------------------------------------------------- Conv

/** Layouts of input, kernel and output, as in Trax: `["NHWC", "HWIO", "NHWC"]`. */
export type DimensionNumbers = readonly [string, string, string];

/** Options of {@link Conv}. */
export interface ConvOptions {
  /** Window strides, one per spatial axis (default `null`: all 1). */
  strides?: readonly number[] | null;
  /** `"VALID"` (default) or `"SAME"` (output length `ceil(n / stride)`). */
  padding?: Padding;
  /**
   * Layouts of input, kernel and output (default `["NHWC", "HWIO", "NHWC"]`;
   * 1-D `["NWC", "WIO", "NWC"]`, 3-D `["NDHWC", "DHWIO", "NDHWC"]`, or
   * e.g. `["NCHW", "OIHW", "NCHW"]` as PyTorch lays them out). Kernel size,
   * strides and dilation follow the kernel's order of spatial axes.
   */
  dimensionNumbers?: DimensionNumbers;
  /** Kernel initializer (default Glorot normal over the kernel's I and O axes). */
  kernelInitializer?: Initializer | null;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Dilation of the kernel, one per spatial axis (default `null`: all 1). trax-ts extension. */
  kernelDilation?: readonly number[] | null;
  /** When true the kernel is rounded to bfloat16 precision at init (stored as float32), as Dense does. trax-ts extension. */
  useBfloat16?: boolean;
}

interface Layouts {
  spatial: string[];
  xPerm: number[] | null;
  wPerm: number[] | null;
  outPerm: number[] | null;
}

function isIdentity(perm: number[]): boolean {
  return perm.every((p, i) => p === i);
}

function parseLayouts(dn: DimensionNumbers, k: number): Layouts {
  const [lhs, rhs, out] = dn;
  const bad = (why: string) => new Error(`Conv: dimensionNumbers ${JSON.stringify(dn)} ${why}`);
  if (!Array.isArray(dn) || dn.length !== 3 || dn.some((s) => typeof s !== "string")) throw bad("must be three layout strings [input, kernel, output]");
  for (const s of dn) if (s.length !== k + 2 || new Set(s).size !== s.length) throw bad(`must each have ${k + 2} distinct letters for a ${k}-D kernel`);
  const spatial = [...rhs].filter((c) => c !== "O" && c !== "I");
  if (spatial.length !== k || !rhs.includes("O") || !rhs.includes("I")) throw bad("needs O, I and the spatial letters in the kernel layout");
  for (const s of [lhs, out]) {
    if (!s.includes("N") || !s.includes("C") || spatial.some((c) => !s.includes(c))) throw bad("needs N, C and the kernel's spatial letters in the input and output layouts");
  }
  const xPerm = [lhs.indexOf("N"), ...spatial.map((c) => lhs.indexOf(c)), lhs.indexOf("C")];
  const wPerm = [...spatial.map((c) => rhs.indexOf(c)), rhs.indexOf("I"), rhs.indexOf("O")];
  const canonical = ["N", ...spatial, "C"];
  const outPerm = [...out].map((c) => canonical.indexOf(c));
  return {
    spatial,
    xPerm: isIdentity(xPerm) ? null : xPerm,
    wPerm: isIdentity(wPerm) ? null : wPerm,
    outPerm: isIdentity(outPerm) ? null : outPerm,
  };
}

function checkTuple(layer: string, what: string, v: readonly number[], k: number): number[] {
  if (!Array.isArray(v) || v.length !== k || v.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${layer}: ${what} must be ${k} positive integers (one per spatial axis); got ${JSON.stringify(v)}`);
  }
  return [...v];
}

class ConvLayer extends Layer {
  /** @internal */ _filters: number;
  /** @internal */ _kernelSize: number[];
  /** @internal */ _strides: number[];
  /** @internal */ _padding: Padding;
  /** @internal */ _dimensionNumbers: DimensionNumbers;
  /** @internal */ _layouts: Layouts;
  /** @internal */ _dilation: number[];
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;
  /** @internal */ _useBias: boolean;
  /** @internal */ _useBfloat16: boolean;

  constructor(filters: number, kernelSize: readonly number[], options: ConvOptions = {}) {
    super();
    if (!Number.isInteger(filters) || filters <= 0) throw new Error(`Conv needs a positive integer number of filters, got ${filters}`);
    if (!Array.isArray(kernelSize) || kernelSize.length < 1 || kernelSize.length > 3) {
      throw new Error(`Conv: kernelSize must list 1, 2 or 3 window sizes (e.g. [3, 3]); got ${JSON.stringify(kernelSize)}`);
    }
    const k = kernelSize.length;
    this._filters = filters;
    this._kernelSize = checkTuple("Conv", "kernelSize", kernelSize, k);
    this._strides = options.strides ? checkTuple("Conv", "strides", options.strides, k) : kernelSize.map(() => 1);
    this._dilation = options.kernelDilation ? checkTuple("Conv", "kernelDilation", options.kernelDilation, k) : kernelSize.map(() => 1);
    this._padding = options.padding ?? "VALID";
    if (this._padding !== "VALID" && this._padding !== "SAME") throw new Error(`Conv: padding must be "VALID" or "SAME"; got ${JSON.stringify(this._padding)}`);
    const defaults: Record<number, DimensionNumbers> = { 1: ["NWC", "WIO", "NWC"], 2: ["NHWC", "HWIO", "NHWC"], 3: ["NDHWC", "DHWIO", "NDHWC"] };
    this._dimensionNumbers = options.dimensionNumbers ?? defaults[k];
    this._layouts = parseLayouts(this._dimensionNumbers, k);
    const rhs = this._dimensionNumbers[1];
    this._kernelInitializer = options.kernelInitializer ?? GlorotNormalInitializer(rhs.indexOf("O"), rhs.indexOf("I"));
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
    this._useBias = options.useBias ?? true;
    this._useBfloat16 = options.useBfloat16 ?? false;
  }

  /** Whether extra leading (batch) axes are allowed: input and output are N...C. */
  private get batchLeading(): boolean {
    const [lhs, , out] = this._dimensionNumbers;
    return lhs === out && lhs[0] === "N" && lhs[lhs.length - 1] === "C";
  }

  /** Checks the input shape; returns the leading batch axes folded into one. */
  private checkInput(shape: readonly number[], dtype: string): number[] {
    const k = this._kernelSize.length;
    const lhs = this._dimensionNumbers[0];
    const ok = shape.length === k + 2 || (shape.length > k + 2 && this.batchLeading);
    if (!ok) {
      throw new Error(`${this.name} with a ${k}-D kernel expects inputs of rank ${k + 2} (${lhs})${this.batchLeading ? " or more leading batch axes" : ""}; got shape [${shape}]`);
    }
    if (dtype !== "float32") throw new TypeError(`${this.name} needs float32 input; got ${dtype} (convert with x.toFloat())`);
    if (shape.length === k + 2) return [...shape];
    const extra = shape.length - (k + 2);
    return [prod(shape.slice(0, extra + 1)), ...shape.slice(extra + 1)];
  }

  /** The kernel shape for inputs of (rank k + 2) shape `shape`, in the kernel layout. */
  private kernelShape(shape: readonly number[]): number[] {
    const [lhs, rhs] = this._dimensionNumbers;
    const cin = shape[lhs.indexOf("C")];
    let next = 0;
    return [...rhs].map((c) => (c === "O" ? this._filters : c === "I" ? cin : this._kernelSize[next++]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const shape = this.checkInput(x.shape, x.dtype);
    let w: tf.Tensor;
    let b: tf.Tensor | null = null;
    if (this._useBias) {
      if (!Array.isArray(this.weights) || this.weights.length !== 2) throw new Error(`Weights should be a [w, b] pair; got ${Array.isArray(this.weights) ? `${this.weights.length} items` : "one tensor"}`);
      [w, b] = this.weights as tf.Tensor[];
    } else {
      w = this.weights as tf.Tensor;
    }
    const expected = this.kernelShape(shape);
    if (!(w instanceof tf.Tensor) || w.rank !== expected.length || w.shape.some((d, i) => d !== expected[i])) {
      const cin = shape[this._dimensionNumbers[0].indexOf("C")];
      const wShape = w instanceof tf.Tensor ? `[${w.shape}]` : String(w);
      throw new Error(`${this.name} has a kernel of shape ${wShape}; inputs of shape [${x.shape}] (${cin} channels) need [${expected}]`);
    }
    const { xPerm, wPerm, outPerm } = this._layouts;
    let xc = shape.length === x.rank ? x : x.reshape(shape);
    if (xPerm) xc = xc.transpose(xPerm);
    const wc = wPerm ? w.transpose(wPerm) : w;
    const k = this._kernelSize.length;
    if (this._padding === "SAME") {
      const pads: [number, number][] = [[0, 0]];
      for (let a = 0; a < k; a++) {
        const g = windowGeometry(xc.shape[a + 1], wc.shape[a], this._strides[a], "SAME", this._dilation[a]);
        pads.push([g.before, g.after]);
      }
      pads.push([0, 0]);
      if (pads.some(([p, q]) => p > 0 || q > 0)) xc = tf.pad(xc, pads);
    }
    for (let a = 0; a < k; a++) {
      const eff = (wc.shape[a] - 1) * this._dilation[a] + 1;
      if (xc.shape[a + 1] < eff) {
        throw new Error(`${this.name}: spatial axis of length ${xc.shape[a + 1]} is shorter than the (dilated) kernel ${eff} with VALID padding; input shape [${x.shape}]`);
      }
    }
    let y = convValid(xc, wc, this._strides, this._dilation);
    if (outPerm) y = y.transpose(outPerm);
    if (b) y = tf.add(y, b);
    if (x.rank !== shape.length) y = y.reshape([...x.shape.slice(0, x.rank - shape.length + 1), ...y.shape.slice(1)]);
    return y;
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    const shape = this.checkInput(inputSignature.shape, inputSignature.dtype);
    const kernelShape = this.kernelShape(shape);
    const [rngW, rngB] = random.split(this.rng, 2);
    const w = roundToBfloat16If(this._useBfloat16, this._kernelInitializer(kernelShape, rngW));
    if (this._useBias) {
      const out = this._dimensionNumbers[2];
      const full = [...out].map((c) => (c === "C" ? this._filters : 1));
      const first = full.findIndex((d) => d !== 1);
      const biasShape = first < 0 ? [] : full.slice(first);
      this.weights = [w, this._biasInitializer(biasShape, rngB)];
    } else {
      this.weights = w;
    }
  }
}

/**
 * A general convolution layer (1-D, 2-D or 3-D kernels; cross-correlation,
 * as in Trax and every deep learning library).
 *
 * Input `(batch, *spatial, channelsIn)` float32 in the default layout, with
 * `kernelSize.length` spatial axes (for 1-D and 2-D kernels extra leading
 * axes are folded into the batch); output `(batch, *spatialOut, filters)`
 * with `spatialOut = floor((n - (k - 1) * dilation - 1) / stride) + 1` (VALID)
 * or `ceil(n / stride)` (SAME). Weights `[w, b]`: `w` `(*kernelSize, channelsIn,
 * filters)` (HWIO), `b` `(filters,)`; just `w` when `useBias` is false.
 *
 * @example
 * ```ts
 * const conv = tl.Conv(16, [3, 3], { strides: [2, 2], padding: "SAME" });
 * conv(tf.ones([4, 28, 28, 3])).shape; // [4, 14, 14, 16]
 * ```
 */
export const Conv = callable(ConvLayer, "Conv", {
  positional: ["filters", "kernelSize"],
  options: optionKeys<ConvOptions>({
    strides: true, padding: true, dimensionNumbers: true, kernelInitializer: true, biasInitializer: true,
    useBias: true, kernelDilation: true, useBfloat16: true,
  }),
});
export type Conv = ConvLayer;

// ---------------------------------------------------------------- CausalConv

/** Options of {@link CausalConv}. */
export interface CausalConvOptions {
  /** Width of the kernel along time (default 3). */
  kernelWidth?: number;
  /** Kernel initializer (default Glorot normal). */
  kernelInitializer?: Initializer | null;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
}

class CausalConvLayer extends ConvLayer {
  constructor(filters: number, options: CausalConvOptions = {}) {
    const width = options.kernelWidth ?? 3;
    super(filters, [width], {
      strides: null,
      padding: "VALID",
      dimensionNumbers: ["NWC", "WIO", "NWC"],
      kernelInitializer: options.kernelInitializer ?? null,
      biasInitializer: options.biasInitializer ?? RandomNormalInitializer(1e-6),
      useBias: options.useBias ?? true,
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`${this.name} expects inputs (batch, time, depth) of rank 3; got shape [${x.shape}]`);
    const pad = this._kernelSize[0] - 1;
    return super.forward(pad > 0 ? tf.pad(x, [[0, 0], [pad, 0], [0, 0]]) : x);
  }
}

/**
 * Causal (masked) 1-D convolution over time: position `t` sees inputs
 * `t - kernelWidth + 1 .. t` only (zeros before the start).
 *
 * Input `(batch, time, depth)` float32; output `(batch, time, filters)`.
 * Weights `[w, b]`: `w` `(kernelWidth, depth, filters)`, `b` `(filters,)`.
 *
 * @example
 * ```ts
 * tl.CausalConv(30, { kernelWidth: 3 })(tf.ones([9, 5, 20])).shape; // [9, 5, 30]
 * ```
 */
export const CausalConv = callable(CausalConvLayer, "CausalConv", {
  positional: ["filters"],
  options: optionKeys<CausalConvOptions>({
    kernelWidth: true, kernelInitializer: true, biasInitializer: true, useBias: true,
  }),
});
export type CausalConv = CausalConvLayer;

// -------------------------------------------------------------------- Conv1d

/** Options of {@link Conv1d}. */
export interface Conv1dOptions {
  /** Window stride (default 1). */
  stride?: number;
  /** `"VALID"` (default) or `"SAME"`. */
  padding?: Padding;
  /** Kernel initializer (default Glorot normal). */
  kernelInitializer?: Initializer | null;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
}

/**
 * A 1-D convolution: `Conv(filters, [kernelSize])` with layouts
 * `["NWC", "WIO", "NWC"]`.
 *
 * Input `(batch, width, channelsIn)` float32; output `(batch, widthOut, filters)`.
 *
 * @example
 * ```ts
 * tl.Conv1d(8, 3, { stride: 2, padding: "SAME" })(tf.ones([2, 10, 4])).shape; // [2, 5, 8]
 * ```
 */
export const Conv1d = withArgs("Conv1d", {
  positional: ["filters", "kernelSize"],
  options: optionKeys<Conv1dOptions>({
    stride: true, padding: true, kernelInitializer: true, biasInitializer: true, useBias: true,
  }),
}, function Conv1d(filters: number, kernelSize: number, options: Conv1dOptions = {}): Conv {
  return new ConvLayer(filters, [kernelSize], {
    strides: [options.stride ?? 1],
    padding: options.padding ?? "VALID",
    dimensionNumbers: ["NWC", "WIO", "NWC"],
    kernelInitializer: options.kernelInitializer ?? null,
    biasInitializer: options.biasInitializer ?? RandomNormalInitializer(1e-6),
    useBias: options.useBias ?? true,
  });
});

// ------------------------------------------------------- CausalDepthwiseConv

/** Options of {@link CausalDepthwiseConv}. */
export interface CausalDepthwiseConvOptions {
  /** Number of time steps each output sees (default 3). */
  kernelSize?: number;
  /** Kernel initializer (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /** When true the kernel is rounded to bfloat16 precision at init (stored as float32). */
  useBfloat16?: boolean;
}

class CausalDepthwiseConvLayer extends Layer {
  /** @internal */ _kernelSize: number;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _useBfloat16: boolean;

  constructor(options: CausalDepthwiseConvOptions = {}) {
    super({ nIn: 1, nOut: 1 });
    this._kernelSize = options.kernelSize ?? 3;
    if (!Number.isInteger(this._kernelSize) || this._kernelSize < 1) throw new Error(`CausalDepthwiseConv: kernelSize must be a positive integer; got ${this._kernelSize}`);
    this._kernelInitializer = options.kernelInitializer ?? GlorotUniformInitializer();
    this._useBfloat16 = options.useBfloat16 ?? false;
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    const w = this.weights as tf.Tensor;
    if (x.rank !== 3 || x.shape[2] !== w.shape[1]) {
      throw new Error(`${this.name} expects inputs (batch, length, ${w.shape[1]}); got shape [${x.shape}]`);
    }
    const [batch, length, depth] = x.shape;
    const rows = tf.unstack(w, 0);
    let res = tf.mul(x, rows[0]);
    for (let i = 1; i < this._kernelSize && i < length; i++) {
      const shifted = tf.pad(tf.slice(x, [0, 0, 0], [batch, length - i, depth]), [[0, 0], [i, 0], [0, 0]]);
      res = tf.add(res, tf.mul(shifted, rows[i]));
    }
    return res;
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    if (!(inputSignature instanceof ShapeDtype)) throw new Error(`${this.name} takes one input`);
    assertPromotable(this.name, inputSignature);
    if (inputSignature.rank !== 3) throw new Error(`${this.name} expects inputs (batch, length, depth) of rank 3; got shape [${inputSignature.shape}]`);
    const [rngW] = random.split(this.rng, 2);
    this.weights = roundToBfloat16If(this._useBfloat16, this._kernelInitializer([this._kernelSize, inputSignature.shape[2]], rngW));
  }
}

/**
 * A causal depthwise convolution over time: each channel `c` gets
 * `y[t, c] = sum_i w[i, c] * x[t - i, c]` for `i < kernelSize` (zeros
 * before the start). Attention's `useDconv` puts it after Q, K and V.
 *
 * Input `(batch, length, depth)` float32; output the same shape. Weights
 * `w` `(kernelSize, depth)`.
 *
 * @example
 * ```ts
 * tl.CausalDepthwiseConv({ kernelSize: 3 })(tf.ones([2, 5, 4])).shape; // [2, 5, 4]
 * ```
 */
export const CausalDepthwiseConv = callable(CausalDepthwiseConvLayer, "CausalDepthwiseConv", {
  positional: [],
  options: optionKeys<CausalDepthwiseConvOptions>({
    kernelSize: true, kernelInitializer: true, useBfloat16: true,
  }),
});
export type CausalDepthwiseConv = CausalDepthwiseConvLayer;
