/**
 * The pooling module of the reference (`trax.layers.pooling`): layers that
 * reduce each window of the spatial axes to one value per channel.
 *
 * Inputs are `(batch, *spatial, channels)` with 1, 2 or 3 spatial (window)
 * axes; the windows never span the batch or the channel axis.
 * @module
 */
import { tf } from "../backend/tf";
import { Fn } from "./base";
import type { PureLayer } from "./base";
import { withArgs, optionKeys } from "./arg-check";

/** How windows meet the edges: `"VALID"` drops partial windows, `"SAME"` pads. */
export type Padding = "VALID" | "SAME";

/** Options of {@link MaxPool}, {@link SumPool} and {@link AvgPool}. */
export interface PoolOptions {
  /** Window shape over the spatial axes, one entry per axis (default `[2, 2]`). */
  poolSize?: readonly number[];
  /** Offsets between neighbouring windows (default `null`: 1 along each axis). */
  strides?: readonly number[] | null;
  /** `"VALID"` (default) or `"SAME"`. */
  padding?: Padding;
}

/** Options of {@link AvgPool}. */
export interface AvgPoolOptions extends PoolOptions {
  /**
   * With SAME padding, whether padded positions count in the divisor
   * (default `false`: average of the real elements only, as Trax does;
   * `true` divides every window by the full window size, like PyTorch's
   * `count_include_pad`).
   */
  countPadding?: boolean;
}

type PoolKind = "max" | "sum" | "avg";

/** Checks the pooling arguments once, at construction. */
function checkPoolArgs(layer: string, poolSize: readonly number[], strides: readonly number[] | null, padding: string): void {
  const k = poolSize.length;
  if (k < 1 || k > 3) throw new Error(`${layer}: poolSize must have 1, 2 or 3 entries (one per window axis); got [${poolSize}]`);
  if (poolSize.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`${layer}: poolSize entries must be positive integers; got [${poolSize}]`);
  if (strides !== null) {
    if (strides.length !== k) throw new Error(`${layer}: strides must have ${k} entries like poolSize; got [${strides}]`);
    if (strides.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`${layer}: strides must be positive integers; got [${strides}]`);
  }
  if (padding !== "VALID" && padding !== "SAME") throw new Error(`${layer}: padding must be "VALID" or "SAME"; got ${JSON.stringify(padding)}`);
}

/**
 * Output length and padding before the data on one axis, as TF and XLA
 * compute them (SAME puts the odd padding position at the end).
 *
 * @example
 * ```ts
 * windowGeometry(5, 2, 2, "SAME"); // { out: 3, before: 0, after: 1 }
 * windowGeometry(5, 2, 2, "VALID"); // { out: 2, before: 0, after: 0 }
 * ```
 */
export function windowGeometry(n: number, window: number, stride: number, padding: Padding, dilation = 1): { out: number; before: number; after: number } {
  const eff = (window - 1) * dilation + 1;
  if (padding === "VALID") return { out: Math.max(Math.floor((n - eff) / stride) + 1, 0), before: 0, after: 0 };
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + eff - n, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** How many real (unpadded) elements each window holds: shape `(*spatialOut, 1)`. */
function windowCounts(spatial: readonly number[], poolSize: readonly number[], strides: readonly number[], padding: Padding): tf.Tensor {
  const perAxis = spatial.map((n, a) => {
    const { out, before } = windowGeometry(n, poolSize[a], strides[a], padding);
    const c = new Float32Array(out);
    for (let o = 0; o < out; o++) {
      const start = o * strides[a] - before;
      c[o] = Math.min(start + poolSize[a], n) - Math.max(start, 0);
    }
    return c;
  });
  const outShape = perAxis.map((c) => c.length);
  const size = outShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let v = 1;
    for (let a = outShape.length - 1; a >= 0; a--) {
      v *= perAxis[a][rest % outShape[a]];
      rest = Math.floor(rest / outShape[a]);
    }
    values[i] = v;
  }
  return tf.tensor(values, [...outShape, 1], "float32");
}

/**
 * Exact sum of each full window (VALID): slices and adds one window axis at
 * a time, so the result is the float32 additions of the window's values
 * (as XLA's reduce_window), int32 stays int32 and exact, and the gradient
 * (pads of slices) is right on every backend. (tfjs's average pooling times
 * the window size is 1 ulp off, and wasm has no depthwise-conv gradient.)
 */
function sumPoolValid(x: tf.Tensor, poolSize: readonly number[], strides: readonly number[]): tf.Tensor {
  return separableReduce(x, poolSize, strides, tf.add);
}

/** SAME's padding per axis of `(batch, *spatial, channels)`, or null when none is needed. */
function samePads(shape: readonly number[], poolSize: readonly number[], strides: readonly number[]): Array<[number, number]> | null {
  const pads: Array<[number, number]> = [[0, 0]];
  shape.slice(1, -1).forEach((n, a) => {
    const { before, after } = windowGeometry(n, poolSize[a], strides[a], "SAME");
    pads.push([before, after]);
  });
  pads.push([0, 0]);
  return pads.some(([b, e]) => b > 0 || e > 0) ? pads : null;
}

/**
 * Max of each window, by tfjs's kernels (padding never wins under SAME).
 * int32 inputs (which tfjs's kernels do not take) are reduced exactly by
 * slices and `maximum`, as are 3-D windows on the cpu backend, whose 3-D max-pool gradient is wrong (tfjs 4.22:
 * windows taller than 1 on the second window axis), 3-D windows are reduced
 * one axis at a time.
 */
function maxPoolNd(x: tf.Tensor, poolSize: readonly number[], strides: readonly number[], padding: Padding): tf.Tensor {
  const pad = padding === "SAME" ? "same" : "valid";
  const k = poolSize.length;
  if (k === 1 && x.dtype === "float32") return tf.maxPool(x.expandDims(1) as tf.Tensor4D, [1, poolSize[0]], [1, strides[0]], pad).squeeze([1]);
  if (k === 2 && x.dtype === "float32") return tf.maxPool(x as tf.Tensor4D, poolSize as [number, number], strides as [number, number], pad);
  if (tf.getBackend() === "cpu" || x.dtype === "int32") {
    const pads = padding === "SAME" ? samePads(x.shape, poolSize, strides) : null;
    const lowest = x.dtype === "int32" ? -2147483648 : -Infinity;
    return separableReduce(pads ? tf.pad(x, pads, lowest) : x, poolSize, strides, tf.maximum);
  }
  return tf.maxPool3d(x as tf.Tensor5D, poolSize as [number, number, number], strides as [number, number, number], pad);
}

/** Every `stride`-th entry along `axis`, `out` of them, starting at 0 (slices and reshapes only). */
function subsample(x: tf.Tensor, axis: number, stride: number, out: number): tf.Tensor {
  if (stride === 1) return tf.slice(x, x.shape.map(() => 0), x.shape.map((d, i) => (i === axis ? out : d)));
  const need = out * stride;
  const n = x.shape[axis];
  const fitted = n >= need
    ? tf.slice(x, x.shape.map(() => 0), x.shape.map((d, i) => (i === axis ? need : d)))
    : tf.pad(x, x.shape.map((_, i) => (i === axis ? [0, need - n] : [0, 0]) as [number, number]));
  const split = [...x.shape.slice(0, axis), out, stride, ...x.shape.slice(axis + 1)];
  const first = tf.slice(fitted.reshape(split), split.map(() => 0), split.map((d, i) => (i === axis + 1 ? 1 : d)));
  return first.reshape(x.shape.map((d, i) => (i === axis ? out : d)));
}

/**
 * VALID pooling one window axis after another (a box window is separable),
 * by slices and `reduce` (`maximum` or `add`): with `maximum` the gradient
 * reaches one position per window, as the max-pool gradient does; any
 * dtype `reduce` takes stays. (Slow on wasm, whose slices of big tensors
 * are slow: used where tfjs's pooling kernels cannot serve.)
 */
function separableReduce(x: tf.Tensor, poolSize: readonly number[], strides: readonly number[], reduce: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.Tensor {
  poolSize.forEach((window, a) => {
    const axis = a + 1;
    const n = x.shape[axis];
    const out = Math.floor((n - window) / strides[a]) + 1;
    const full = n - window + 1; // stride-1 windows
    let acc: tf.Tensor | null = null;
    for (let j = 0; j < window; j++) {
      const part = tf.slice(x, x.shape.map((_, i) => (i === axis ? j : 0)), x.shape.map((d, i) => (i === axis ? full : d)));
      acc = acc === null ? part : reduce(acc, part);
    }
    x = subsample(acc as tf.Tensor, axis, strides[a], out);
  });
  return x;
}

function poolForward(
  layer: string, kind: PoolKind, x: tf.Tensor, poolSize: readonly number[], strides: readonly number[], padding: Padding, countPadding: boolean
): tf.Tensor {
  const k = poolSize.length;
  if (x.rank !== k + 2) {
    throw new Error(`${layer} expects inputs of rank ${k + 2} (batch, ${k} window axes, channels) for poolSize [${poolSize}]; got shape [${x.shape}]`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") throw new TypeError(`${layer} needs float32 or int32 input; got ${x.dtype}`);
  const spatial = x.shape.slice(1, -1);
  if (padding === "VALID" && spatial.some((n, a) => n < poolSize[a])) {
    throw new Error(`${layer}: VALID pooling needs every window axis at least as long as the window [${poolSize}]; got shape [${x.shape}]`);
  }
  if (kind === "max") return maxPoolNd(x, poolSize, strides, padding);
  // Sums: exact window sums of the input padded explicitly with zeros (the
  // pad's gradient is a slice). Means: the sum over the window size, or over
  // the number of real elements under SAME (as Trax divides by a sum-pool of
  // ones); integer inputs give float32 means, as in JAX.
  const pads = padding === "SAME" ? samePads(x.shape, poolSize, strides) : null;
  const sums = sumPoolValid(pads ? tf.pad(x, pads) : x, poolSize, strides);
  if (kind === "sum") return sums;
  const size = poolSize.reduce((a, b) => a * b, 1);
  const total = sums.dtype === "float32" ? sums : sums.cast("float32");
  if (!pads || countPadding) return total.div(size);
  return total.div(windowCounts(spatial, poolSize, strides, padding));
}

function makePool(kind: PoolKind, prefix: string, options: AvgPoolOptions): PureLayer {
  const poolSize = [...(options.poolSize ?? [2, 2])];
  const strides = options.strides ? [...options.strides] : null;
  const padding = options.padding ?? "VALID";
  const name = `${prefix}(${poolSize.join(",")}${poolSize.length === 1 ? "," : ""})`;
  checkPoolArgs(name, poolSize, strides, padding);
  const s = strides ?? poolSize.map(() => 1);
  const countPadding = options.countPadding ?? false;
  return Fn(name, (x: tf.Tensor) => poolForward(name, kind, x, poolSize, s, padding, countPadding), { nIn: 1 });
}

/**
 * Reduces each window of the spatial axes to its maximum, per channel.
 *
 * Input `(batch, *spatial, channels)` (float32 or int32, which stays int32)
 * with `poolSize.length` spatial axes; output `(batch, *spatialOut, channels)` where each `spatialOut` is
 * `floor((n - p) / s) + 1` (VALID) or `ceil(n / s)` (SAME; padding never wins
 * the max).
 *
 * @example
 * ```ts
 * const pool = tl.MaxPool({ poolSize: [2, 2], strides: [2, 2] });
 * pool(tf.ones([1, 4, 4, 3])).shape; // [1, 2, 2, 3]
 * ```
 */
export const MaxPool = withArgs("MaxPool", {
  positional: [],
  options: optionKeys<PoolOptions>({
    poolSize: true, strides: true, padding: true,
  }),
}, function MaxPool(options: PoolOptions = {}): PureLayer {
  return makePool("max", "MaxPool", options);
});

/**
 * Reduces each window of the spatial axes to the sum of its values, per
 * channel (SAME padding adds nothing to the sums). Sums are exact (the
 * float32 additions of the window's values, not a mean times its size).
 *
 * Input `(batch, *spatial, channels)` float32 or int32 (int32 stays int32);
 * output `(batch, *spatialOut, channels)`.
 *
 * @example
 * ```ts
 * tl.SumPool({ poolSize: [3], strides: [3], padding: "SAME" })(tf.ones([1, 5, 2])); // [[[3, 3], [2, 2]]]
 * ```
 */
export const SumPool = withArgs("SumPool", {
  positional: [],
  options: optionKeys<PoolOptions>({
    poolSize: true, strides: true, padding: true,
  }),
}, function SumPool(options: PoolOptions = {}): PureLayer {
  return makePool("sum", "SumPool", options);
});

/**
 * Reduces each window of the spatial axes to the mean of its values, per
 * channel. With SAME padding the padded positions are not counted (the
 * mean of the real elements), unless `countPadding` is true. Each mean is
 * the window's exact sum divided by its count, as in Trax.
 *
 * Input `(batch, *spatial, channels)` float32 or int32; output
 * `(batch, *spatialOut, channels)` float32.
 *
 * @example
 * ```ts
 * tl.AvgPool({ poolSize: [3], strides: [3], padding: "SAME" })(tf.ones([1, 5, 2])); // all ones
 * tl.AvgPool({ poolSize: [3], strides: [3], padding: "SAME", countPadding: true })(tf.ones([1, 5, 2])); // [[[1, 1], [0.667, 0.667]]]
 * ```
 */
export const AvgPool = withArgs("AvgPool", {
  positional: [],
  options: optionKeys<AvgPoolOptions>({
    poolSize: true, strides: true, padding: true, countPadding: true,
  }),
}, function AvgPool(options: AvgPoolOptions = {}): PureLayer {
  return makePool("avg", "AvgPool", options);
});
