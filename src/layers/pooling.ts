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
 */
export function windowGeometry(n: number, window: number, stride: number, padding: Padding, dilation = 1): { out: number; before: number; after: number } {
  const eff = (window - 1) * dilation + 1;
  if (padding === "VALID") return { out: Math.max(Math.floor((n - eff) / stride) + 1, 0), before: 0, after: 0 };
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + eff - n, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** How many real (unpadded) elements each window covers: shape `(*spatialOut, 1)`. */
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

/** Max, or mean over real elements, of each window (tfjs semantics for SAME). */
function tfPool(kind: "max" | "avg", x: tf.Tensor, poolSize: readonly number[], strides: readonly number[], padding: Padding): tf.Tensor {
  const pad = padding === "SAME" ? "same" : "valid";
  const k = poolSize.length;
  if (k === 1) {
    const x4 = x.expandDims(1) as tf.Tensor4D;
    const f: [number, number] = [1, poolSize[0]];
    const s: [number, number] = [1, strides[0]];
    const y = kind === "max" ? tf.maxPool(x4, f, s, pad) : tf.avgPool(x4, f, s, pad);
    return y.squeeze([1]);
  }
  if (k === 2) {
    const f = poolSize as [number, number];
    const s = strides as [number, number];
    return kind === "max" ? tf.maxPool(x as tf.Tensor4D, f, s, pad) : tf.avgPool(x as tf.Tensor4D, f, s, pad);
  }
  const f = poolSize as [number, number, number];
  const s = strides as [number, number, number];
  return kind === "max" ? tf.maxPool3d(x as tf.Tensor5D, f, s, pad) : tf.avgPool3d(x as tf.Tensor5D, f, s, pad);
}

function poolForward(
  layer: string, kind: PoolKind, x: tf.Tensor, poolSize: readonly number[], strides: readonly number[], padding: Padding, countPadding: boolean
): tf.Tensor {
  const k = poolSize.length;
  if (x.rank !== k + 2) {
    throw new Error(`${layer} expects inputs of rank ${k + 2} (batch, ${k} window axes, channels) for poolSize [${poolSize}]; got shape [${x.shape}]`);
  }
  if (x.dtype !== "float32") throw new TypeError(`${layer} needs float32 input; got ${x.dtype} (convert with x.toFloat())`);
  const spatial = x.shape.slice(1, -1);
  if (padding === "VALID" && spatial.some((n, a) => n < poolSize[a])) {
    throw new Error(`${layer}: VALID pooling needs every window axis at least as long as the window [${poolSize}]; got shape [${x.shape}]`);
  }
  if (kind === "max") return tfPool("max", x, poolSize, strides, padding);
  const mean = tfPool("avg", x, poolSize, strides, padding);
  if (padding === "VALID") {
    const size = poolSize.reduce((a, b) => a * b, 1);
    return kind === "sum" ? mean.mul(size) : mean;
  }
  const counts = windowCounts(spatial, poolSize, strides, padding);
  const sum = sumPoolSame(x, counts, poolSize, strides);
  if (kind === "sum") return sum;
  return countPadding ? sum.div(poolSize.reduce((a, b) => a * b, 1)) : sum.div(counts);
}

/**
 * Window sums with SAME padding. tfjs's avgPool averages the real elements
 * forward (TF semantics) but its gradient divides by the full window size,
 * so the sums take their value from the forward op and their gradient from
 * the full-window one (`size` times it: exactly the sum's gradient).
 */
function sumPoolSame(x: tf.Tensor, counts: tf.Tensor, poolSize: readonly number[], strides: readonly number[]): tf.Tensor {
  const size = poolSize.reduce((a, b) => a * b, 1);
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: tfPool("avg", xi, poolSize, strides, "SAME").mul(counts),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.grad((t: tf.Tensor) => tfPool("avg", t, poolSize, strides, "SAME").mul(dy).sum())(saved[0]).mul(size),
    };
  }) as any) as unknown as (t: tf.Tensor) => tf.Tensor;
  return f(x);
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
 * Input `(batch, *spatial, channels)` float32 with `poolSize.length` spatial
 * axes; output `(batch, *spatialOut, channels)` where each `spatialOut` is
 * `floor((n - p) / s) + 1` (VALID) or `ceil(n / s)` (SAME; padding never wins
 * the max).
 *
 * @example
 * ```ts
 * const pool = tl.MaxPool({ poolSize: [2, 2], strides: [2, 2] });
 * pool(tf.ones([1, 4, 4, 3])).shape; // [1, 2, 2, 3]
 * ```
 */
export function MaxPool(options: PoolOptions = {}): PureLayer {
  return makePool("max", "MaxPool", options);
}

/**
 * Reduces each window of the spatial axes to the sum of its values, per
 * channel (SAME padding adds nothing to the sums).
 *
 * Input `(batch, *spatial, channels)` float32; output `(batch, *spatialOut, channels)`.
 *
 * @example
 * ```ts
 * tl.SumPool({ poolSize: [3], strides: [3], padding: "SAME" })(tf.ones([1, 5, 2])); // [[[3, 3], [2, 2]]]
 * ```
 */
export function SumPool(options: PoolOptions = {}): PureLayer {
  return makePool("sum", "SumPool", options);
}

/**
 * Reduces each window of the spatial axes to the mean of its values, per
 * channel. With SAME padding the padded positions are not counted (the
 * mean of the real elements), unless `countPadding` is true.
 *
 * Input `(batch, *spatial, channels)` float32; output `(batch, *spatialOut, channels)`.
 *
 * @example
 * ```ts
 * tl.AvgPool({ poolSize: [3], strides: [3], padding: "SAME" })(tf.ones([1, 5, 2])); // all ones
 * tl.AvgPool({ poolSize: [3], strides: [3], padding: "SAME", countPadding: true })(tf.ones([1, 5, 2])); // [[[1, 1], [0.667, 0.667]]]
 * ```
 */
export function AvgPool(options: AvgPoolOptions = {}): PureLayer {
  return makePool("avg", "AvgPool", options);
}
