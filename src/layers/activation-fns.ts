/**
 * Activation functions, as `trax.layers.activation_fns`: element-wise
 * nonlinearities, each its own layer (`Glu` halves the last axis).
 *
 * Piecewise-linear ones (Relu, ParametricRelu, LeakyRelu, HardSigmoid,
 * HardTanh) take float32 or int32 input; the others need float32 and say so.
 * @module
 */
import { tf } from "../backend/tf";
import { ShapeDtype } from "../shapes";
import { Fn, Layer } from "./base";
import type { LayerOptions, PureLayer } from "./base";
import { callable } from "./callable";
import { assertNumeric, toInexact } from "./core/checks";
import { withArgs, optionKeys } from "./arg-check";
import { oneOutput, type OneOutput } from "./typed-output";

/** A one-input activation layer named `name`, checking the input dtype first. */
function activation(name: string, floatOnly: boolean, f: (x: tf.Tensor) => tf.Tensor): OneOutput<PureLayer> {
  return oneOutput(
    Fn(name, (x: tf.Tensor) => {
      if (floatOnly) return f(toInexact(name, x));
      assertNumeric(name, x);
      return f(x);
    })
  );
}

/**
 * Rectified linear unit: `max(x, 0)`, element-wise.
 *
 * Input `(...)`; output the same shape.
 *
 * @example
 * ```ts
 * tl.Relu()(tf.tensor([-2, 0, 3])); // [0, 0, 3]
 * ```
 */
export const Relu = withArgs("Relu", { positional: [], options: [] }, function Relu(): OneOutput<PureLayer> {
  return activation("Relu", false, (x) => tf.relu(x));
});

/** Options of {@link ParametricRelu}. */
export interface ParametricReluOptions {
  /** Slope for positive inputs (default 1). */
  a?: number;
}

/**
 * ReLU with slope `a`: `max(a * x, 0)`.
 *
 * Input `(...)`; output the same shape.
 *
 * @example
 * ```ts
 * tl.ParametricRelu({ a: 0.25 })(tf.tensor([-2, 0, 2])); // [0, 0, 0.5]
 * ```
 */
export const ParametricRelu = withArgs("ParametricRelu", {
  positional: [],
  options: optionKeys<ParametricReluOptions>({
    a: true,
  }),
}, function ParametricRelu(options: ParametricReluOptions = {}): OneOutput<PureLayer> {
  const a = options.a ?? 1.0;
  return activation("ParametricRelu", false, (x) => tf.maximum(tf.mul(x, a), 0));
});

/** Options of {@link LeakyRelu}. */
export interface LeakyReluOptions {
  /** Slope for negative inputs (default 0.01). */
  a?: number;
}

/**
 * Leaky ReLU: `x` for `x >= 0`, `a * x` otherwise.
 *
 * Input `(...)`; output the same shape.
 *
 * @example
 * ```ts
 * tl.LeakyRelu({ a: 0.125 })(tf.tensor([-2, 0, 2])); // [-0.25, 0, 2]
 * ```
 */
export const LeakyRelu = withArgs("LeakyRelu", {
  positional: [],
  options: optionKeys<LeakyReluOptions>({
    a: true,
  }),
}, function LeakyRelu(options: LeakyReluOptions = {}): OneOutput<PureLayer> {
  const a = options.a ?? 0.01;
  return activation("LeakyRelu", false, (x) => {
    const xf = x.toFloat();
    const neg = tf.step(tf.neg(xf), 0); // 1 where x < 0 (step has a zero gradient; comparisons have none in tfjs)
    return tf.add(xf, tf.mul(neg, tf.mul(xf, a - 1)));
  });
});

/** Options of {@link Elu}. */
export interface EluOptions {
  /** Coefficient of the exponential for negative inputs (default 1). */
  a?: number;
}

/**
 * Exponential linear unit: `x` for `x > 0`, `a * (exp(x) - 1)` otherwise.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Elu()(tf.tensor([-1, 2])); // [-0.632, 2]
 * ```
 */
export const Elu = withArgs("Elu", {
  positional: [],
  options: optionKeys<EluOptions>({
    a: true,
  }),
}, function Elu(options: EluOptions = {}): OneOutput<PureLayer> {
  const a = options.a ?? 1.0;
  return activation("Elu", true, (x) => eluBody(x, a));
});

/** Options of {@link Selu}. */
export interface SeluOptions {
  /** Coefficient of the exponential for negative inputs (default 1.6732632423543772). */
  alpha?: number;
  /** Scale of the whole function (default 1.0507009873554805). */
  lmbda?: number;
}

/**
 * Scaled ELU: `lmbda * (x > 0 ? x : alpha * (exp(x) - 1))`.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Selu()(tf.tensor([-1, 1])); // [-1.111, 1.051]
 * ```
 */
export const Selu = withArgs("Selu", {
  positional: [],
  options: optionKeys<SeluOptions>({
    alpha: true, lmbda: true,
  }),
}, function Selu(options: SeluOptions = {}): OneOutput<PureLayer> {
  const alpha = options.alpha ?? 1.6732632423543772;
  const lmbda = options.lmbda ?? 1.0507009873554805;
  return activation("Selu", true, (x) => tf.mul(eluBody(x, alpha), lmbda));
});

/**
 * `x > 0 ? x : a * expm1(x)`, differentiable: a 0/1 mask from `tf.step` (whose
 * gradient is zero; tfjs has no gradient for comparisons inside `tf.where`),
 * and `expm1(min(x, 0))` so that large x cannot make `0 * Infinity`.
 */
function eluBody(x: tf.Tensor, a: number): tf.Tensor {
  const pos = tf.step(x, 0);
  const negPart = tf.mul(tf.expm1(tf.minimum(x, 0)), a);
  return tf.add(tf.mul(pos, x), tf.mul(tf.sub(1, pos), negPart));
}

/**
 * Gaussian error linear unit, exact: `x / 2 * (1 + erf(x / sqrt(2)))`
 * (Trax's `Gelu` has no `approximate` option; {@link FastGelu} is the tanh
 * approximation).
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Gelu()(tf.tensor([-1, 0, 1])); // [-0.1587, 0, 0.8413]
 * ```
 */
export const Gelu = withArgs("Gelu", { positional: [], options: [] }, function Gelu(): OneOutput<PureLayer> {
  return activation("Gelu", true, (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
});

/**
 * The tanh approximation of `Gelu`: `x / 2 * (1 + tanh(a x (1 + b x^2)))`
 * with `a = 0.7978845608`, `b = 0.044715`.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.FastGelu()(tf.tensor([-1, 0, 1])); // [-0.1588, 0, 0.8412]
 * ```
 */
export const FastGelu = withArgs("FastGelu", { positional: [], options: [] }, function FastGelu(): OneOutput<PureLayer> {
  return activation("FastGelu", true, (x) =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.mul(x, 0.7978845608), tf.add(1, tf.mul(tf.square(x), 0.044715))))))
  );
});

/**
 * Sigmoid: `1 / (1 + exp(-x))`.
 *
 * Input `(...)` float32; output the same shape, in (0, 1).
 *
 * @example
 * ```ts
 * tl.Sigmoid()(tf.tensor([0])); // [0.5]
 * ```
 */
export const Sigmoid = withArgs("Sigmoid", { positional: [], options: [] }, function Sigmoid(): OneOutput<PureLayer> {
  return activation("Sigmoid", true, (x) => tf.sigmoid(x));
});

/**
 * Hyperbolic tangent.
 *
 * Input `(...)` float32; output the same shape, in (-1, 1).
 *
 * @example
 * ```ts
 * tl.Tanh()(tf.tensor([0, 1])); // [0, 0.7616]
 * ```
 */
export const Tanh = withArgs("Tanh", { positional: [], options: [] }, function Tanh(): OneOutput<PureLayer> {
  return activation("Tanh", true, (x) => tf.tanh(x));
});

/**
 * A linear approximation of sigmoid, as Trax computes it: `max(0, min(1, 1 + x))`.
 *
 * Input `(...)`; output the same shape, in [0, 1].
 *
 * @example
 * ```ts
 * tl.HardSigmoid()(tf.tensor([-1.5, -0.5, 0, 0.5])); // [0, 0.5, 1, 1]
 * ```
 */
export const HardSigmoid = withArgs("HardSigmoid", { positional: [], options: [] }, function HardSigmoid(): OneOutput<PureLayer> {
  return activation("HardSigmoid", false, (x) => tf.maximum(0, tf.minimum(1, tf.add(x, 1))));
});

/**
 * A linear approximation of tanh: `max(-1, min(1, x))`.
 *
 * Input `(...)`; output the same shape, in [-1, 1].
 *
 * @example
 * ```ts
 * tl.HardTanh()(tf.tensor([-1.5, 0.25, 1.5])); // [-1, 0.25, 1]
 * ```
 */
export const HardTanh = withArgs("HardTanh", { positional: [], options: [] }, function HardTanh(): OneOutput<PureLayer> {
  return activation("HardTanh", false, (x) => tf.maximum(-1, tf.minimum(1, x)));
});

/**
 * Softplus: `log(exp(x) + 1)`, computed stably as `max(x, 0) + log1p(exp(-|x|))`.
 *
 * Input `(...)` float32; output the same shape, positive.
 *
 * @example
 * ```ts
 * tl.Softplus()(tf.tensor([0])); // [0.6931]
 * ```
 */
export const Softplus = withArgs("Softplus", { positional: [], options: [] }, function Softplus(): OneOutput<PureLayer> {
  return activation("Softplus", true, (x) => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
});

/**
 * Element-wise exponential.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Exp()(tf.tensor([0, 1])); // [1, 2.7183]
 * ```
 */
export const Exp = withArgs("Exp", { positional: [], options: [] }, function Exp(): OneOutput<PureLayer> {
  return activation("Exp", true, (x) => tf.exp(x));
});

/**
 * Element-wise natural logarithm (NaN for negative values, -Infinity at 0).
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Log()(tf.tensor([1, Math.E])); // [0, 1]
 * ```
 */
export const Log = withArgs("Log", { positional: [], options: [] }, function Log(): OneOutput<PureLayer> {
  return activation("Log", true, (x) => tf.log(x));
});

/**
 * Swish (SiLU): `x * sigmoid(x)`.
 *
 * Input `(...)` float32; output the same shape.
 *
 * @example
 * ```ts
 * tl.Swish()(tf.tensor([0, 1])); // [0, 0.7311]
 * ```
 */
export const Swish = withArgs("Swish", { positional: [], options: [] }, function Swish(): OneOutput<PureLayer> {
  return activation("Swish", true, (x) => tf.mul(x, tf.sigmoid(x)));
});

/**
 * Gated linear unit: the last axis is split in halves `a` and `b`, and the
 * output is `a * sigmoid(b)`.
 *
 * Input `(..., 2n)` float32; output `(..., n)`.
 *
 * @example
 * ```ts
 * tl.Glu()(tf.tensor([[1, 2, 0, 0]])); // [[0.5, 1]]
 * ```
 */
export const Glu = withArgs("Glu", { positional: [], options: [] }, function Glu(): OneOutput<PureLayer> {
  return activation("Glu", true, (x) => {
    const size = x.rank === 0 ? 0 : x.shape[x.rank - 1];
    if (x.rank === 0 || size % 2 !== 0) {
      throw new Error(`Glu needs an even size on the last axis to split in halves; got shape [${x.shape}]`);
    }
    const [a, b] = tf.split(x, 2, -1);
    return tf.mul(a, tf.sigmoid(b));
  });
});

class ThresholdedLinearUnitLayer extends Layer {
  /** Trax's class takes the base layer's arguments (only `nIn = nOut = 1` make sense). */
  constructor(options: LayerOptions = {}) {
    super({ name: "ThresholdedLinearUnit", ...options });
  }

  forward(x: tf.Tensor): tf.Tensor {
    x = toInexact(this.name, x);
    const threshold = this.weights as tf.Tensor;
    if (!(threshold instanceof tf.Tensor) || threshold.size !== 1) {
      throw new Error(`${this.name} needs one scalar weight (the threshold)`);
    }
    // Broadcast first: tfjs's Maximum gradient does not reduce a broadcast input.
    return tf.maximum(x, tf.broadcastTo(threshold.reshape([]), x.shape));
  }

  initWeightsAndState(inputSignature: ShapeDtype): void {
    void inputSignature;
    this.weights = tf.scalar(0, "float32");
  }
}

/**
 * Thresholded linear unit (https://arxiv.org/pdf/1911.09737.pdf):
 * `max(x, tau)` with a learned scalar threshold `tau`, initialized to 0.
 *
 * Input `(...)` float32; output the same shape. Weights: `tau`, a scalar.
 *
 * @example
 * ```ts
 * const tlu = tl.ThresholdedLinearUnit();
 * tlu(tf.tensor([-1, 2])); // [0, 2] (tau = 0 at init)
 * ```
 */
export const ThresholdedLinearUnit = callable<typeof ThresholdedLinearUnitLayer, tf.Tensor>(ThresholdedLinearUnitLayer, "ThresholdedLinearUnit", {
  positional: [],
  options: optionKeys<LayerOptions>({ nIn: true, nOut: true, name: true, sublayersToPrint: true }),
});
export type ThresholdedLinearUnit = ThresholdedLinearUnitLayer;
