/**
 * Weightless core layers: reshaping, (log-)softmax, reductions, comparisons,
 * negation and stop-gradient, as in `trax.layers.core`.
 * @module
 */
import { tf } from "../../backend/tf";
import { Fn } from "../base";
import type { PureLayer } from "../base";
import { assertNumeric, normalizeAxes, normalizeAxis } from "./checks";
import { withArgs, optionKeys } from "../arg-check";
import { toInexact } from "./checks";

/** An axis option: one axis, several, or `null` for all. */
export type AxisArg = number | readonly number[] | null;

/** Options of {@link Flatten}. */
export interface FlattenOptions {
  /** Leading axes left unchanged; the rest collapse into one (default 1). */
  nAxesToKeep?: number;
}

/**
 * A layer that collapses all axes after the first `nAxesToKeep` into one.
 *
 * Input `(d0, ..., dk, ...)` of rank > `nAxesToKeep`; output
 * `(d0, ..., d{nAxesToKeep-1}, product of the rest)`.
 *
 * @example
 * ```ts
 * tl.Flatten()(tf.ones([1, 2, 3, 4, 5])).shape; // [1, 120]
 * tl.Flatten({ nAxesToKeep: 3 })(tf.ones([1, 2, 3, 4, 5])).shape; // [1, 2, 3, 20]
 * ```
 */
export const Flatten = withArgs("Flatten", {
  positional: [],
  options: optionKeys<FlattenOptions>({
    nAxesToKeep: true,
  }),
}, function Flatten(options: FlattenOptions = {}): PureLayer {
  const n = options.nAxesToKeep ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new Error(`Flatten needs a non-negative integer nAxesToKeep; got ${n}`);
  return Fn(`Flatten_keep${n}`, (x: tf.Tensor) => {
    if (x.rank <= n) {
      throw new Error(`Input rank (${x.rank}) must exceed the number of axes to keep (${n}) after flattening.`);
    }
    return x.reshape([...x.shape.slice(0, n), -1]);
  });
});

/** Options of the layers that work along one axis. */
export interface AxisOptions {
  /** The axis (default -1, the last). */
  axis?: number;
}

/** log(sum(exp(x))) along `axis`, keeping the axis, stable for large values. */
function logSumExpKeep(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.logSumExp(x, axis, true);
}

/**
 * A layer that applies log-softmax along one axis: `x - logSumExp(x)`.
 *
 * Input `(...)` float32; output the same shape, log-probabilities along `axis`.
 *
 * @example
 * ```ts
 * tl.LogSoftmax()(tf.tensor([[2, 1, -10]])); // [[-0.313, -1.313, -12.313]]
 * ```
 */
export const LogSoftmax = withArgs("LogSoftmax", {
  positional: [],
  options: optionKeys<AxisOptions>({
    axis: true,
  }),
}, function LogSoftmax(options: AxisOptions = {}): PureLayer {
  const axis = options.axis ?? -1;
  return Fn("LogSoftmax", (x: tf.Tensor) => {
    x = toInexact("LogSoftmax", x);
    const a = normalizeAxis("LogSoftmax", axis, x.rank);
    return tf.sub(x, logSumExpKeep(x, a));
  });
});

/**
 * A layer that computes `log(sum(exp(x)))` along one axis, keeping it (size 1).
 *
 * Input `(...)` float32; output the same shape with size 1 on `axis`.
 *
 * @example
 * ```ts
 * tl.LogSumExp()(tf.tensor([[0, 0]])); // [[0.693]]
 * ```
 */
export const LogSumExp = withArgs("LogSumExp", {
  positional: [],
  options: optionKeys<AxisOptions>({
    axis: true,
  }),
}, function LogSumExp(options: AxisOptions = {}): PureLayer {
  const axis = options.axis ?? -1;
  return Fn("LogSumExp", (x: tf.Tensor) => {
    x = toInexact("LogSumExp", x);
    return logSumExpKeep(x, normalizeAxis("LogSumExp", axis, x.rank));
  });
});

/**
 * A layer that applies softmax along one axis: `exp(logSoftmax(x))`.
 *
 * Input `(...)` float32; output the same shape, probabilities along `axis`.
 *
 * @example
 * ```ts
 * tl.Softmax()(tf.tensor([[2, 1, -10]])); // [[0.731, 0.269, 0.0000045]]
 * ```
 */
export const Softmax = withArgs("Softmax", {
  positional: [],
  options: optionKeys<AxisOptions>({
    axis: true,
  }),
}, function Softmax(options: AxisOptions = {}): PureLayer {
  const axis = options.axis ?? -1;
  return Fn("Softmax", (x: tf.Tensor) => {
    x = toInexact("Softmax", x);
    const a = normalizeAxis("Softmax", axis, x.rank);
    return tf.exp(tf.sub(x, logSumExpKeep(x, a)));
  });
});

/**
 * A layer that converts its input to float32 (bool becomes 0/1).
 *
 * Input `(...)` of any numeric or bool dtype; output the same shape, float32.
 *
 * @example
 * ```ts
 * tl.ToFloat()(tf.tensor([1, 2], [2], "int32")).dtype; // "float32"
 * ```
 */
export const ToFloat = withArgs("ToFloat", { positional: [], options: [] }, function ToFloat(): PureLayer {
  return Fn("ToFloat", (x: tf.Tensor) => {
    if (x.dtype === "string" || x.dtype === "complex64") throw new TypeError(`ToFloat cannot convert ${x.dtype} to float32`);
    return x.dtype === "float32" ? x : x.toFloat();
  });
});

/** Options of the reducing layers {@link Mean}, {@link Min}, {@link Max}. */
export interface ReduceOptions {
  /** Axis (or axes) to reduce; `null` reduces all (default -1). */
  axis?: AxisArg;
  /** Keep reduced axes with size 1 (default false). */
  keepdims?: boolean;
}

/** Options of {@link Sum}. */
export interface SumOptions {
  /** Axis (or axes) to sum over; `null` (the default) sums all values. */
  axis?: AxisArg;
  /** Keep reduced axes with size 1 (default false). */
  keepdims?: boolean;
}

function reducer(name: string, axis: AxisArg, keepdims: boolean, op: (x: tf.Tensor, axes: number[] | undefined, keep: boolean) => tf.Tensor): PureLayer {
  return Fn(name, (x: tf.Tensor) => {
    assertNumeric(name, x);
    const axes = normalizeAxes(name, axis, x.rank);
    return op(x, axes, keepdims);
  });
}

/**
 * A layer that averages along an axis (float32 result, also for int input).
 *
 * Input `(...)`; output without the axis (or with size 1 if `keepdims`).
 *
 * @example
 * ```ts
 * tl.Mean()(tf.tensor([[3, 5], [2, 6]])); // [4, 4]
 * tl.Mean({ axis: null })(tf.tensor([[3, 5], [2, 6]])); // 4
 * ```
 */
export const Mean = withArgs("Mean", {
  positional: [],
  options: optionKeys<ReduceOptions>({
    axis: true, keepdims: true,
  }),
}, function Mean(options: ReduceOptions = {}): PureLayer {
  const axis = options.axis === undefined ? -1 : options.axis;
  return reducer("Mean", axis, options.keepdims ?? false, (x, a, k) => tf.mean(x.toFloat(), a, k));
});

/**
 * A layer that takes the minimum along an axis.
 *
 * Input `(...)`; output without the axis (or with size 1 if `keepdims`), same dtype.
 *
 * @example
 * ```ts
 * tl.Min()(tf.tensor([[3, 5], [2, 6]])); // [3, 2]
 * ```
 */
export const Min = withArgs("Min", {
  positional: [],
  options: optionKeys<ReduceOptions>({
    axis: true, keepdims: true,
  }),
}, function Min(options: ReduceOptions = {}): PureLayer {
  const axis = options.axis === undefined ? -1 : options.axis;
  return reducer("Min", axis, options.keepdims ?? false, (x, a, k) => tf.min(x, a, k));
});

/**
 * A layer that takes the maximum along an axis.
 *
 * Input `(...)`; output without the axis (or with size 1 if `keepdims`), same dtype.
 *
 * @example
 * ```ts
 * tl.Max({ axis: 0 })(tf.tensor([[3, 5], [2, 6]])); // [3, 6]
 * ```
 */
export const Max = withArgs("Max", {
  positional: [],
  options: optionKeys<ReduceOptions>({
    axis: true, keepdims: true,
  }),
}, function Max(options: ReduceOptions = {}): PureLayer {
  const axis = options.axis === undefined ? -1 : options.axis;
  return reducer("Max", axis, options.keepdims ?? false, (x, a, k) => tf.max(x, a, k));
});

/**
 * A layer that sums along an axis, or all values (the default).
 *
 * Input `(...)`; output without the summed axes (or with size 1 if `keepdims`), same dtype.
 *
 * @example
 * ```ts
 * tl.Sum()(tf.tensor([[3, 5], [2, 6]])); // 16
 * tl.Sum({ axis: -1 })(tf.tensor([[3, 5], [2, 6]])); // [8, 8]
 * ```
 */
export const Sum = withArgs("Sum", {
  positional: [],
  options: optionKeys<SumOptions>({
    axis: true, keepdims: true,
  }),
}, function Sum(options: SumOptions = {}): PureLayer {
  const axis = options.axis === undefined ? null : options.axis;
  return reducer("Sum", axis, options.keepdims ?? false, (x, a, k) => tf.sum(x, a, k));
});

/** Options of {@link ThresholdToBinary}. */
export interface ThresholdOptions {
  /** Values strictly above it become 1 (default 0.5). */
  threshold?: number;
}

/**
 * A layer that maps values above `threshold` to 1 and the rest to 0 (int32).
 *
 * Input `(...)` numeric; output the same shape, int32 in {0, 1}.
 *
 * @example
 * ```ts
 * tl.ThresholdToBinary()(tf.tensor([0.3, 0.5, 0.51])); // [0, 0, 1]
 * ```
 */
export const ThresholdToBinary = withArgs("ThresholdToBinary", {
  positional: [],
  options: optionKeys<ThresholdOptions>({
    threshold: true,
  }),
}, function ThresholdToBinary(options: ThresholdOptions = {}): PureLayer {
  const threshold = options.threshold ?? 0.5;
  return Fn("ThresholdToBinary", (x: tf.Tensor) => {
    assertNumeric("ThresholdToBinary", x);
    return tf.greater(x.toFloat(), threshold).toInt();
  });
});

/**
 * A layer that returns the index of the largest value along an axis (int32).
 *
 * Input `(...)` numeric; output without the axis, int32.
 *
 * @example
 * ```ts
 * tl.ArgMax()(tf.tensor([[0.1, 0.9, 0.2], [0.22, 0.11, 0.99]])); // [1, 2]
 * ```
 */
export const ArgMax = withArgs("ArgMax", {
  positional: [],
  options: optionKeys<AxisOptions>({
    axis: true,
  }),
}, function ArgMax(options: AxisOptions = {}): PureLayer {
  const axis = options.axis ?? -1;
  return Fn("ArgMax", (x: tf.Tensor) => {
    assertNumeric("ArgMax", x);
    return tf.argMax(x, normalizeAxis("ArgMax", axis, x.rank));
  });
});

/**
 * A layer that negates its input element-wise.
 *
 * Input `(...)` numeric; output the same shape and dtype.
 *
 * @example
 * ```ts
 * tl.Negate()(tf.tensor([1, -2])); // [-1, 2]
 * ```
 */
export const Negate = withArgs("Negate", { positional: [], options: [] }, function Negate(): PureLayer {
  return Fn("Negate", (x: tf.Tensor) => {
    assertNumeric("Negate", x);
    return tf.neg(x);
  });
});

const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as any) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * An identity layer whose gradient is zero: values pass, gradients stop.
 *
 * Input `(...)`; output the same values.
 *
 * @example
 * ```ts
 * tl.StopGradient()(tf.tensor([[3, 5], [2, 6]])); // [[3, 5], [2, 6]]
 * ```
 */
export const StopGradient = withArgs("StopGradient", {
  positional: [],
  options: [],
}, function StopGradient(): PureLayer {
  return Fn("StopGradient", (x: tf.Tensor) => (x.dtype === "float32" ? stopGradient(x) : x));
});
