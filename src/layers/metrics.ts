/**
 * Layers for computing loss functions and evaluation metrics, as
 * `trax.layers.metrics`.
 *
 * A metric layer computes a scalar from two or three inputs: model outputs
 * (a batch of predicted values, typically vectors), targets (a batch of
 * categories or values) and, for the weighted variants, weights (floats that
 * weight batch items, sequence positions or vector components unevenly).
 * Item-wise values are combined into one scalar by a sum, an average or a
 * weighted average.
 *
 * Integer targets (categories) may be int32 or float32 tensors; plain JS
 * arrays become float32. Mismatched shapes of predictions and targets, and
 * weights that do not broadcast to the targets, throw a `tl.LayerError`
 * instead of broadcasting silently.
 * @module
 */
import { tf } from "../backend/tf";
import { Fn } from "./base";
import { Layer } from "./base";
import type { PureLayer } from "./base";
import { Serial } from "./combinators";
import type { Serial as SerialT } from "./combinators";
import { logSoftmax } from "./core";
import { logProbCrossEntropy, softmaxCrossEntropy } from "./cross-entropy";
import { isPlainObject, withArgs, optionKeys } from "./arg-check";

// ------------------------------------------------------------------ helpers

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Floating-point view of `x` (weights and outputs may come as int32). */
function toFloat(x: tf.Tensor): tf.Tensor {
  return x.dtype === "float32" ? x : x.toFloat();
}

function checkTensor(layer: string, what: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`${layer}: ${what} must be a tensor; got ${typeof x}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless `a` and `b` have the same shape (Trax's `shapes.assert_same_shape`). */
function assertSameShape(layer: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${layer}: ${aName} and ${bName} must have the same shape; got ${aName} ${fmt(a.shape)} and ${bName} ${fmt(b.shape)}`);
  }
}

/** Throws unless `w` broadcasts to `shape` without growing it. */
function assertBroadcastsTo(layer: string, wName: string, w: tf.Tensor, shape: readonly number[], toName: string): void {
  const ok = w.rank <= shape.length && w.shape.every((d, i) => d === 1 || d === shape[shape.length - w.rank + i]);
  if (!ok) {
    throw new Error(`${layer}: ${wName} must match or broadcast to the shape of ${toName} ${fmt(shape)}; got ${wName} of shape ${fmt(w.shape)}`);
  }
}

/** Throws unless the shapes of `a` and `b` broadcast together (numpy rules). */
function assertBroadcastable(layer: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  const n = Math.min(a.rank, b.rank);
  for (let i = 1; i <= n; i++) {
    const da = a.shape[a.rank - i];
    const db = b.shape[b.rank - i];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${layer}: ${aName} ${fmt(a.shape)} and ${bName} ${fmt(b.shape)} do not broadcast together`);
    }
  }
}

/** Throws unless `targets` has the shape of `modelOutput` without its last axis. */
function assertCategoryTargets(layer: string, modelOutput: tf.Tensor, targets: tf.Tensor): void {
  if (modelOutput.rank < 1) throw new Error(`${layer}: model output must have a category axis (rank >= 1); got a scalar`);
  const expected = modelOutput.shape.slice(0, -1);
  if (!sameShape(targets.shape, expected)) {
    throw new Error(
      `${layer}: targets must have the shape of the model output without its last (category) axis, ${fmt(expected)}; ` +
        `got targets ${fmt(targets.shape)} for model output ${fmt(modelOutput.shape)}`
    );
  }
}

/** Predicted categories: argmax over the last axis (first index on ties, as numpy). */
function argmaxLast(layer: string, modelOutput: tf.Tensor): tf.Tensor {
  if (modelOutput.rank < 1) throw new Error(`${layer}: model output must have a category axis (rank >= 1); got a scalar`);
  return tf.argMax(modelOutput, -1);
}

/** Predicted categories (argmax of the model output), checked to have the targets' shape. */
function predictedCategories(layer: string, modelOutput: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const predictions = argmaxLast(layer, modelOutput);
  assertSameShape(layer, "predictions (argmax of the model output)", predictions, "targets", targets);
  return predictions;
}

/** Replaces NaN by 0 (Trax's `_non_nan`, for 0 / 0). */
function nonNan(x: tf.Tensor): tf.Tensor {
  return tf.where(tf.isNaN(x), tf.zerosLike(x), x);
}

/** Sum of weights; on one device this is Trax's `_n_weights_per_core`. */
function nWeightsPerCore(weights: tf.Tensor): tf.Tensor {
  return tf.sum(weights);
}

/** `sum(values * weights) / sum(weights)`, in float32; the denominator sums the weights as given. */
function weightedMean(values: tf.Tensor, weights: tf.Tensor): tf.Tensor {
  const w = toFloat(weights);
  return tf.sum(toFloat(values).mul(w)).div(nWeightsPerCore(w));
}

/**
 * Refuses an empty input: the mean over no examples is undefined (and the
 * wasm backend's sum of an empty tensor reads uninitialized memory), so
 * every backend gives this error instead of a number.
 */
function checkNotEmpty(layer: string, what: string, x: tf.Tensor): void {
  if (x.size === 0) {
    throw new Error(`${layer}: the ${what} is empty (shape ${fmt(x.shape)}); a loss or metric of an empty batch is undefined`);
  }
}

/**
 * A metric layer with one input per name in `inputNames`; each input is
 * checked to be a tensor (the error names it) before `f` computes the metric.
 */
function metricFn(name: string, inputNames: readonly string[], f: (...inputs: tf.Tensor[]) => tf.Tensor): PureLayer {
  return Fn(
    name,
    (...inputs: unknown[]) => {
      inputNames.forEach((what, i) => checkTensor(name, what, inputs[i]));
      inputNames.forEach((what, i) => checkNotEmpty(name, what, inputs[i] as tf.Tensor));
      return f(...(inputs as tf.Tensor[]));
    },
    { nIn: inputNames.length }
  );
}

function checkLabelSmoothing(layer: string, labelSmoothing: number | null): void {
  if (labelSmoothing !== null && (typeof labelSmoothing !== "number" || !(labelSmoothing >= 0 && labelSmoothing <= 1))) {
    throw new RangeError(`${layer}: labelSmoothing (${labelSmoothing}) must be between 0 and 1.`);
  }
}

/** Per-item cross-entropies of softmax(modelOutput) against (smoothed) one-hot targets. */
function categoryCrossEntropy(
  layer: string,
  modelOutput: tf.Tensor,
  targets: tf.Tensor,
  labelSmoothing: number | null,
  cutoff: number
): tf.Tensor {
  assertCategoryTargets(layer, modelOutput, targets);
  // One op, forward and backward (see cross-entropy.ts).
  const crossEnt = softmaxCrossEntropy(toFloat(modelOutput), targets, labelSmoothing ?? 0);
  if (cutoff > 0) return tf.maximum(crossEnt, cutoff).sub(cutoff);
  return crossEnt;
}

// ----------------------------------------------------------- current metrics

/**
 * Category prediction accuracy: the fraction of items whose argmax over the
 * last axis equals the target category.
 *
 * Inputs: model output `(..., N)` (scores of `N` categories), targets `(...)`
 * integer categories (int32 or float32). Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const acc = tl.CategoryAccuracy();
 * acc([tf.tensor([[.7, .2, .1], [.2, .1, .7]]), tf.tensor([0, 1], [2], "int32")]); // 0.5
 * ```
 */
export const CategoryAccuracy = withArgs("CategoryAccuracy", {
  positional: [],
  options: [],
}, function CategoryAccuracy(): PureLayer {
  const name = "CategoryAccuracy";
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    const predictions = predictedCategories(name, modelOutput, targets);
    const nTotal = predictions.size;
    const nCorrect = tf.sum(tf.equal(predictions, targets).toFloat());
    return nCorrect.div(nTotal);
  });
});

/**
 * Weighted category prediction accuracy: `sum(correct * weights) / sum(weights)`,
 * where an item is correct when the argmax of its model output is its target.
 *
 * Inputs: model output `(..., N)`, targets `(...)` integer categories, weights
 * that match or broadcast to the targets' shape. Output: a float32 scalar.
 * Note that, as in Trax, the denominator sums the weights as given (not
 * broadcast).
 *
 * @example
 * ```ts
 * const acc = tl.WeightedCategoryAccuracy();
 * acc([tf.tensor([[.2, .7, .1], [.2, .7, .1]]), tf.tensor([0, 1], [2], "int32"), tf.tensor([1, 3])]); // 0.75
 * ```
 */
export const WeightedCategoryAccuracy = withArgs("WeightedCategoryAccuracy", {
  positional: [],
  options: [],
}, function WeightedCategoryAccuracy(): PureLayer {
  const name = "WeightedCategoryAccuracy";
  return metricFn(name, ["model output", "targets", "weights"], (modelOutput, targets, weights) => {
    const predictions = predictedCategories(name, modelOutput, targets);
    assertBroadcastsTo(name, "weights", weights, targets.shape, "targets");
    const onesAndZeros = tf.equal(predictions, targets).toFloat();
    return weightedMean(onesAndZeros, weights);
  });
});

/** Options of {@link CategoryCrossEntropy}. */
export interface CategoryCrossEntropyOptions {
  /**
   * Label smoothing `ε` in `[0, 1]`: the target distribution becomes
   * `(1 - ε) * oneHot(n) + ε / N`. `null` or 0 (default): none.
   */
  labelSmoothing?: number | null;
}

/**
 * Mean cross-entropy between `softmax(modelOutput)` and one-hot targets
 * (optionally label-smoothed). Softmax and cross-entropy are computed together
 * (log-softmax), so pass pre-softmax activations.
 *
 * Inputs: model output `(..., N)` logits, targets `(...)` integer categories.
 * Output: a float32 scalar, the average over all items.
 *
 * @example
 * ```ts
 * const ce = tl.CategoryCrossEntropy({ labelSmoothing: 0.01 });
 * ce([tf.tensor([[9, 2, 0, -2], [2, 9, 0, -2]]), tf.tensor([0, 1], [2], "int32")]); // ≈ 0.0686
 * ```
 */
export const CategoryCrossEntropy = withArgs("CategoryCrossEntropy", {
  positional: [],
  options: optionKeys<CategoryCrossEntropyOptions>({
    labelSmoothing: true,
  }),
}, function CategoryCrossEntropy(options: CategoryCrossEntropyOptions = {}): PureLayer {
  const name = "CategoryCrossEntropy";
  const labelSmoothing = options.labelSmoothing ?? null;
  checkLabelSmoothing(name, labelSmoothing);
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) =>
    tf.mean(categoryCrossEntropy(name, modelOutput, targets, labelSmoothing, 0))
  );
});

/** Options of {@link WeightedCategoryCrossEntropy}. */
export interface WeightedCategoryCrossEntropyOptions extends CategoryCrossEntropyOptions {
  /** Per-item losses below `cutoff` count as 0, others as `loss - cutoff` (default 0: none). */
  cutoff?: number;
}

/**
 * Weighted mean cross-entropy, like {@link CategoryCrossEntropy} with weights
 * as a third input: `sum(ce * weights) / sum(weights)`. With `cutoff > 0`,
 * each item's loss becomes `max(ce, cutoff) - cutoff`.
 *
 * Inputs: model output `(..., N)` logits, targets `(...)` integer categories,
 * weights matching or broadcasting to the targets' shape. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const ce = tl.WeightedCategoryCrossEntropy();
 * const logits = tf.tensor([[9, 2, 0, -2], [2, 2.2, 0, -2]]);
 * ce([logits, tf.tensor([0, 1], [2], "int32"), tf.tensor([30, 10])]); // ≈ 0.167
 * ```
 */
export const WeightedCategoryCrossEntropy = withArgs("WeightedCategoryCrossEntropy", {
  positional: [],
  options: optionKeys<WeightedCategoryCrossEntropyOptions>({
    labelSmoothing: true, cutoff: true,
  }),
}, function WeightedCategoryCrossEntropy(options: WeightedCategoryCrossEntropyOptions = {}): PureLayer {
  const name = "WeightedCategoryCrossEntropy";
  const labelSmoothing = options.labelSmoothing ?? null;
  const cutoff = options.cutoff ?? 0;
  checkLabelSmoothing(name, labelSmoothing);
  if (typeof cutoff !== "number" || Number.isNaN(cutoff)) throw new TypeError(`${name}: cutoff must be a number; got ${cutoff}`);
  return metricFn(name, ["model output", "targets", "weights"], (modelOutput, targets, weights) => {
    const crossEntropies = categoryCrossEntropy(name, modelOutput, targets, labelSmoothing, cutoff);
    assertBroadcastsTo(name, "weights", weights, targets.shape, "targets");
    return weightedMean(crossEntropies, weights);
  });
});

/**
 * Mean binary cross-entropy from logits: `q = sigmoid(x)`, per item
 * `-log q` if the target is 1 and `-log(1 - q)` if it is 0 (computed in the
 * stable form `max(x, 0) - x t + log(1 + exp(-|x|))`, equal to Trax's formula
 * where float32 can represent it and finite where Trax's gives `inf`/`NaN`).
 *
 * Inputs: model output `(...)` logits, targets of the same shape in `{0, 1}`.
 * Output: a float32 scalar, the average over all items.
 *
 * @example
 * ```ts
 * tl.BinaryCrossEntropy()([tf.tensor([1, -1]), tf.tensor([1, 0], [2], "int32")]); // ≈ 0.3133
 * ```
 */
export const BinaryCrossEntropy = withArgs("BinaryCrossEntropy", {
  positional: [],
  options: [],
}, function BinaryCrossEntropy(): PureLayer {
  const name = "BinaryCrossEntropy";
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    assertSameShape(name, "model output", modelOutput, "targets", targets);
    const x = toFloat(modelOutput);
    const t = toFloat(targets);
    const entropies = tf.relu(x).sub(x.mul(t)).add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.mean(entropies);
  });
});

/**
 * Sequence accuracy with masking: a sequence counts as correct when the
 * argmax prediction matches the target at every position of non-zero weight.
 * Returns the fraction of correct sequences.
 *
 * Inputs: model output `(batch, length, N)`, targets `(batch, length)`
 * integers, weights (masks) matching or broadcasting to the targets' shape;
 * only zero versus non-zero matters. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const acc = tl.MaskedSequenceAccuracy();
 * const out = tf.tensor([[[.9, .1], [.2, .8]], [[.9, .1], [.6, .4]]]);
 * acc([out, tf.tensor([[0, 1], [0, 1]], [2, 2], "int32"), tf.tensor([[1, 1], [1, 0]])]); // 1
 * ```
 */
export const MaskedSequenceAccuracy = withArgs("MaskedSequenceAccuracy", {
  positional: [],
  options: [],
}, function MaskedSequenceAccuracy(): PureLayer {
  const name = "MaskedSequenceAccuracy";
  return metricFn(name, ["model output", "targets", "weights"], (modelOutput, targets, weights) => {
    const predictions = predictedCategories(name, modelOutput, targets);
    assertBroadcastsTo(name, "weights", weights, targets.shape, "targets");
    if (targets.rank < 1) throw new Error(`${name}: targets must be sequences (rank >= 1); got a scalar`);
    const positionIsPadding = tf.equal(weights, 0);
    const positionIsAccurate = tf.logicalOr(tf.equal(predictions, targets), positionIsPadding);
    const sequenceIsAccurate = tf.all(positionIsAccurate, -1);
    return tf.mean(sequenceIsAccurate.toFloat());
  });
});

// ------------------------------------------------------- deprecated metrics

/** `ArgMax` over the last axis, as `trax.layers.core.ArgMax()` (the default classifier). */
function ArgMaxClassifier(): PureLayer {
  return Fn("ArgMax", (x: tf.Tensor) => tf.argMax(x, -1), { nIn: 1 });
}

/** Scores predicted against target categories: 1.0 where equal, 0.0 elsewhere. */
function AccuracyScores(): PureLayer {
  const name = "_Accuracy";
  return metricFn(name, ["predictions", "targets"], (predicted, target) => {
    assertSameShape(name, "predictions (classifier output)", predicted, "targets", target);
    return tf.equal(predicted, target).toFloat();
  });
}

/** `sum(values * weights) / sum(weights)`. */
function WeightedMean(): PureLayer {
  const name = "_WeightedMean";
  return metricFn(name, ["values", "weights"], (values, weights) => {
    assertBroadcastable(name, "values", values, "weights", weights);
    return weightedMean(values, weights);
  });
}

/** Mean over the batch of 1 (sequence all correct where weighted) or 0; weights are 0 or 1. */
function WeightedSequenceMean(): PureLayer {
  const name = "_WeightedSequenceMean";
  return metricFn(name, ["values", "weights"], (values, weights) => {
    if (values.rank < 1) throw new Error(`${name}: values must have a batch axis; got a scalar`);
    assertBroadcastsTo(name, "weights", weights, values.shape, "the values");
    const notCorrect = tf.sub(1, values).mul(toFloat(weights));
    const axes = Array.from({ length: notCorrect.rank - 1 }, (_, i) => i + 1);
    const notCorrectSeq = axes.length > 0 ? tf.sum(notCorrect, axes) : notCorrect;
    const correctSeq = tf.sub(1, tf.minimum(1, notCorrectSeq));
    return tf.mean(correctSeq);
  });
}

/** `-sum(modelOutput * oneHot(targets), -1)`: cross-entropies from log-probabilities. */
function CrossEntropyScores(): PureLayer {
  const name = "_CrossEntropy";
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    assertCategoryTargets(name, modelOutput, targets);
    return logProbCrossEntropy(toFloat(modelOutput), targets);
  });
}

/**
 * Binary cross-entropy from probabilities, Trax's `_BinaryCrossEntropy`:
 * `-(tᵀ·log p + (1 - t)ᵀ·log(1 - p)) / batch`, with `ᵀ·` numpy's transpose and
 * dot. Rank 1 gives a scalar, rank 2 `(batch, k)` a `(k, k)` matrix (squeezed).
 */
function BinaryCrossEntropyScores(): PureLayer {
  const name = "_BinaryCrossEntropy";
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    assertSameShape(name, "model output", modelOutput, "targets", targets);
    if (modelOutput.rank < 1 || modelOutput.rank > 2) {
      throw new Error(`${name}: model output must have rank 1 or 2 (batch[, k]); got shape ${fmt(modelOutput.shape)}`);
    }
    const p = toFloat(modelOutput);
    const t = toFloat(targets);
    const batchSize = p.shape[0];
    const dot = (a: tf.Tensor, b: tf.Tensor) => (a.rank === 1 ? tf.sum(a.mul(b)) : tf.matMul(tf.transpose(a), b));
    let j = dot(t, tf.log(p));
    j = j.add(dot(tf.sub(1, t), tf.log(tf.sub(1, p))));
    return j.squeeze().mul(-1 / batchSize);
  });
}

/** Options of {@link Accuracy} and {@link SequenceAccuracy}. */
export interface AccuracyOptions {
  /** Layer from model outputs to predictions (default `ArgMax` over the last axis). */
  classifier?: Layer | null;
}

/** The classifier given to an accuracy metric, as an argument or as `{ classifier }`. */
function classifierFrom(metric: string, x: Layer | null | AccuracyOptions): Layer | null {
  if (isPlainObject(x)) return (x as AccuracyOptions).classifier ?? null;
  if (x !== null && !(x instanceof Layer)) throw new TypeError(`${metric}: classifier must be a layer; got ${typeof x}`);
  return x;
}

/**
 * Mean category prediction accuracy, weighted: `classifier` turns model
 * outputs into predictions, then `sum((pred == target) * w) / sum(w)`.
 * DEPRECATED in Trax; use {@link WeightedCategoryAccuracy}.
 *
 * Inputs: model output, targets of the classifier output's shape, weights
 * broadcasting to it. Output: a float32 scalar. Prints as `Accuracy_in3`.
 *
 * @param classifier Layer from model outputs to category predictions
 *   (default `ArgMax` over the last axis; `tl.ThresholdToBinary()` for binary),
 *   given as `{ classifier }` (as Trax's keyword) or as the argument itself.
 * @example
 * ```ts
 * const binary = tl.Accuracy({ classifier: tl.ThresholdToBinary() });
 * const acc = tl.Accuracy();
 * acc([tf.tensor([[.2, .7], [.2, .7]]), tf.tensor([0, 1], [2], "int32"), tf.tensor([1, 3])]); // 0.75
 * ```
 */
export const Accuracy = withArgs("Accuracy", {
  positional: ["classifier?"],
  options: optionKeys<AccuracyOptions>({
    classifier: true,
  }),
}, function Accuracy(
  classifierOrOptions: Layer | null | AccuracyOptions = null
): SerialT {
  const classifier = classifierFrom("Accuracy", classifierOrOptions);
  return Serial(classifier ?? ArgMaxClassifier(), AccuracyScores(), WeightedMean(), {
    name: "Accuracy",
    sublayersToPrint: [],
  });
});

/**
 * Mean sequence prediction accuracy: a sequence counts as correct when the
 * classifier's prediction matches the target at every position of weight 1.
 * DEPRECATED in Trax; use {@link MaskedSequenceAccuracy}. Weights must be 0 or 1.
 *
 * Inputs: model output `(batch, length, N)`, targets `(batch, length)`,
 * weights broadcasting to the targets. Output: a float32 scalar.
 *
 * @param classifier Layer from model outputs to predictions (default `ArgMax`),
 *   given as `{ classifier }` or as the argument itself.
 * @example
 * ```ts
 * const acc = tl.SequenceAccuracy();
 * const out = tf.tensor([[[.9, .1], [.2, .8]], [[.9, .1], [.6, .4]]]);
 * acc([out, tf.tensor([[0, 1], [0, 1]], [2, 2], "int32"), tf.ones([2, 2])]); // 0.5
 * ```
 */
export const SequenceAccuracy = withArgs("SequenceAccuracy", {
  positional: ["classifier?"],
  options: optionKeys<AccuracyOptions>({
    classifier: true,
  }),
}, function SequenceAccuracy(
  classifierOrOptions: Layer | null | AccuracyOptions = null
): SerialT {
  const classifier = classifierFrom("SequenceAccuracy", classifierOrOptions);
  return Serial(classifier ?? ArgMaxClassifier(), AccuracyScores(), WeightedSequenceMean(), {
    name: "SequenceAccuracy",
    sublayersToPrint: [],
  });
});

/**
 * Weighted mean of `-sum(modelOutput * oneHot(targets), -1)`. The model output
 * must already be log-probabilities (precede it with `LogSoftmax`), so this
 * does not compute cross-entropy by itself. DEPRECATED in Trax; use
 * {@link WeightedCategoryCrossEntropy} or {@link CategoryCrossEntropy}.
 *
 * Inputs: model output `(..., N)`, targets `(...)` integers, weights
 * broadcasting to the targets. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const logProbs = tf.log(tf.tensor([[0.25, 0.75]]));
 * tl.CrossEntropyLoss()([logProbs, tf.tensor([1], [1], "int32"), tf.ones([1])]); // -log(0.75)
 * ```
 */
export const CrossEntropyLoss = withArgs("CrossEntropyLoss", {
  positional: [],
  options: [],
}, function CrossEntropyLoss(): SerialT {
  return Serial(CrossEntropyScores(), WeightedMean(), { name: "CrossEntropyLoss", sublayersToPrint: [] });
});

/**
 * Weighted mean cross-entropy for multiclass classification from logits:
 * `LogSoftmax`, then {@link CrossEntropyLoss}'s computation.
 *
 * Inputs: model output `(..., N)` logits, targets `(...)` integers, weights
 * broadcasting to the targets. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const loss = tl.CrossEntropyLossWithLogSoftmax();
 * loss([tf.tensor([[0, Math.log(3)]]), tf.tensor([1], [1], "int32"), tf.ones([1])]); // -log(0.75)
 * ```
 */
export const CrossEntropyLossWithLogSoftmax = withArgs("CrossEntropyLossWithLogSoftmax", {
  positional: [],
  options: [],
}, function CrossEntropyLossWithLogSoftmax(): SerialT {
  const logSoftmaxLayer = Fn("LogSoftmax", (x: tf.Tensor) => logSoftmax(toFloat(x)), { nIn: 1 });
  return new SoftmaxCrossEntropySerial(logSoftmaxLayer, CrossEntropyScores(), WeightedMean(), {
    name: "CrossEntropyLossWithLogSoftmax",
    sublayersToPrint: [],
  });
});

/**
 * Trax's `Serial(LogSoftmax, _CrossEntropy, _WeightedMean)` (the same
 * sublayers, none with weights), run as one fused op: the log-softmax
 * cross-entropy of {@link softmaxCrossEntropy}, then the weighted mean. A
 * longer stack than its three inputs runs the sublayers one by one.
 */
class SoftmaxCrossEntropySerial extends Serial {
  forward(xs: unknown): any {
    if (!Array.isArray(xs) || xs.length !== 3) return super.forward(xs);
    const name = this.name;
    const [modelOutput, targets, weights] = xs as unknown[];
    const inputs = { "model output": modelOutput, targets, weights };
    for (const [what, x] of Object.entries(inputs)) checkTensor(name, what, x);
    for (const [what, x] of Object.entries(inputs)) checkNotEmpty(name, what, x as tf.Tensor);
    const [logits, t, w] = xs as tf.Tensor[];
    assertCategoryTargets(name, logits, t);
    assertBroadcastable(name, "cross-entropies", t, "weights", w);
    return weightedMean(softmaxCrossEntropy(toFloat(logits), t), w);
  }
}

/**
 * Binary cross-entropy from probabilities (not logits), Trax's deprecated
 * form: `j = -(tᵀ·log p + (1 - t)ᵀ·log(1 - p)) / batch` (numpy dot and
 * transpose; for rank-1 inputs the mean binary cross-entropy), then the
 * weighted mean `sum(j * w) / sum(w)`. DEPRECATED in Trax; use
 * {@link BinaryCrossEntropy}.
 *
 * Inputs: probabilities `(batch)` or `(batch, k)`, targets of the same shape
 * in `{0, 1}`, weights. Output: a float32 scalar for rank-1 inputs.
 *
 * @example
 * ```ts
 * const p = tf.tensor([0.9, 0.2]);
 * tl.BinaryCrossEntropyLoss()([p, tf.tensor([1, 0]), tf.ones([2])]); // -(log .9 + log .8) / 2
 * ```
 */
export const BinaryCrossEntropyLoss = withArgs("BinaryCrossEntropyLoss", {
  positional: [],
  options: [],
}, function BinaryCrossEntropyLoss(): SerialT {
  return Serial(BinaryCrossEntropyScores(), WeightedMean(), { name: "BinaryCrossEntropyLoss", sublayersToPrint: [] });
});

/**
 * A loss layer on (model output, targets, weights) of one shape: the weighted
 * mean of `loss(modelOutput - targets)`, element-wise.
 */
function elementwiseLoss(name: string, loss: (diff: tf.Tensor) => tf.Tensor): PureLayer {
  return metricFn(name, ["model output", "targets", "weights"], (modelOutput, targets, weights) => {
    assertSameShape(name, "model output", modelOutput, "targets", targets);
    assertSameShape(name, "model output", modelOutput, "weights", weights);
    return weightedMean(loss(toFloat(modelOutput).sub(toFloat(targets))), weights);
  });
}

/**
 * Weighted mean of element-wise squared errors:
 * `sum(w * (y - t)^2) / sum(w)`.
 *
 * Inputs: model output, targets and weights, all of the same shape.
 * Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const y = tf.tensor([[1, 1], [1, 1]]), t = tf.tensor([[1, 1], [1, 0]]);
 * tl.L2Loss()([y, t, tf.tensor([[1, 0], [0, 1]])]); // 0.5
 * ```
 */
export const L2Loss = withArgs("L2Loss", { positional: [], options: [] }, function L2Loss(): PureLayer {
  const name = "L2Loss";
  return elementwiseLoss(name, (diff) => tf.square(diff));
});

/**
 * Weighted mean of the smooth L1 (Huber, delta 1) loss: per element
 * `0.5 d^2` if `d = |y - t| < 1`, else `d - 0.5`; then `sum(w * l) / sum(w)`.
 *
 * Inputs: model output, targets and weights, all of the same shape.
 * Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const y = tf.tensor([[1, 1], [1, 2]]), t = tf.tensor([[1, 1], [1, 0]]);
 * tl.SmoothL1Loss()([y, t, tf.tensor([[1, 0], [0, 1]])]); // 0.75
 * ```
 */
export const SmoothL1Loss = withArgs("SmoothL1Loss", {
  positional: [],
  options: [],
}, function SmoothL1Loss(): PureLayer {
  const name = "SmoothL1Loss";
  return elementwiseLoss(name, (diff) => {
    const l1Dist = tf.abs(diff);
    return tf.where(tf.less(l1Dist, 1), tf.square(l1Dist).mul(0.5), l1Dist.sub(0.5));
  });
});

/** Options of {@link MacroAveragedFScore} and {@link WeightedFScore}. */
export interface FScoreOptions {
  /** Weight of recall in the F-score (default 1: F1). */
  beta?: number;
  /** First category scored (default 0; 1 leaves out a padding category 0). */
  initialCategoryIndex?: number;
}

/**
 * Per-category F-scores for `k` in `[initial, N)`, stacked on a new first
 * axis, and the per-category target counts. As in Trax, counts sum over the
 * first (batch) axis only, so 1-D inputs give one score per category.
 */
function fScores(
  layer: string,
  modelOutput: tf.Tensor,
  targets: tf.Tensor,
  beta: number,
  initialCategoryIndex: number
): [tf.Tensor, tf.Tensor] {
  const beta2 = beta ** 2;
  const predictions = predictedCategories(layer, modelOutput, targets);
  if (predictions.rank < 1) throw new Error(`${layer}: model output must have a batch axis, shape (batch, N); got ${fmt(modelOutput.shape)}`);
  const nCategories = modelOutput.shape[modelOutput.rank - 1];
  const scores: tf.Tensor[] = [];
  const counts: tf.Tensor[] = [];
  const t = toFloat(targets);
  const p = predictions.toFloat();
  for (let k = initialCategoryIndex; k < nCategories; k++) {
    const isPredK = tf.equal(p, k);
    const isTargetK = tf.equal(t, k);
    const nCorrect = tf.sum(tf.logicalAnd(isPredK, isTargetK).toFloat(), 0);
    const nKPredictions = tf.sum(isPredK.toFloat(), 0);
    const nKTargets = tf.sum(isTargetK.toFloat(), 0);
    const precision = nonNan(nCorrect.div(nKPredictions));
    const recall = nonNan(nCorrect.div(nKTargets));
    scores.push(nonNan(precision.mul(recall).mul(beta2 + 1).div(precision.mul(beta2).add(recall))));
    counts.push(nKTargets);
  }
  if (scores.length === 0) {
    throw new Error(`${layer}: initialCategoryIndex (${initialCategoryIndex}) leaves no category of ${nCategories} to score`);
  }
  return [tf.stack(scores), tf.stack(counts)];
}

function checkFScoreOptions(layer: string, options: FScoreOptions): [number, number] {
  const beta = options.beta ?? 1;
  const initial = options.initialCategoryIndex ?? 0;
  if (typeof beta !== "number" || Number.isNaN(beta)) throw new TypeError(`${layer}: beta must be a number; got ${beta}`);
  if (!Number.isInteger(initial) || initial < 0) {
    throw new RangeError(`${layer}: initialCategoryIndex must be a non-negative integer; got ${initial}`);
  }
  return [beta, initial];
}

/**
 * Macro-averaged F-score: the F-beta score of each category `k` (from the
 * precision and recall of argmax predictions against the targets, 0 where
 * undefined), averaged with equal weight for every category from
 * `initialCategoryIndex` on.
 *
 * Inputs: model output `(batch, N)`, targets `(batch)` integer categories.
 * Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const out = tf.oneHot(tf.tensor1d([1, 1, 2, 1, 1], "int32"), 4);
 * const f = tl.MacroAveragedFScore({ initialCategoryIndex: 1 });
 * f([out, tf.tensor([1, 2, 2, 3, 1], [5], "int32")]); // ≈ 0.444
 * ```
 */
export const MacroAveragedFScore = withArgs("MacroAveragedFScore", {
  positional: [],
  options: optionKeys<FScoreOptions>({
    beta: true, initialCategoryIndex: true,
  }),
}, function MacroAveragedFScore(options: FScoreOptions = {}): PureLayer {
  const name = "MacroAveragedFScore";
  const [beta, initial] = checkFScoreOptions(name, options);
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    const [scores] = fScores(name, modelOutput, targets, beta, initial);
    return tf.mean(scores);
  });
});

/**
 * Weighted F-score: the per-category F-beta scores (as in
 * {@link MacroAveragedFScore}) averaged with weights equal to each
 * category's number of targets.
 *
 * Inputs: model output `(batch, N)`, targets `(batch)` integer categories.
 * Output: a float32 scalar (NaN when no target falls in a scored category).
 *
 * @example
 * ```ts
 * const out = tf.oneHot(tf.tensor1d([1, 1, 2, 1, 1], "int32"), 4);
 * tl.WeightedFScore()([out, tf.tensor([1, 2, 2, 3, 1], [5], "int32")]); // ≈ 0.533
 * ```
 */
export const WeightedFScore = withArgs("WeightedFScore", {
  positional: [],
  options: optionKeys<FScoreOptions>({
    beta: true, initialCategoryIndex: true,
  }),
}, function WeightedFScore(options: FScoreOptions = {}): PureLayer {
  const name = "WeightedFScore";
  const [beta, initial] = checkFScoreOptions(name, options);
  return metricFn(name, ["model output", "targets"], (modelOutput, targets) => {
    const [scores, counts] = fScores(name, modelOutput, targets, beta, initial);
    return tf.sum(scores.mul(counts)).div(tf.sum(counts));
  });
});

/**
 * Weighted sum of values: `sum(values * weights)`.
 *
 * Inputs: values, weights matching or broadcasting to the values' shape.
 * Output: a float32 scalar.
 *
 * @example
 * ```ts
 * tl.WeightedSum()([tf.tensor([1, 2, 3]), tf.tensor([1, 0, 2])]); // 7
 * ```
 */
export const WeightedSum = withArgs("WeightedSum", { positional: [], options: [] }, function WeightedSum(): PureLayer {
  const name = "WeightedSum";
  return metricFn(name, ["values", "weights"], (values, weights) => {
    assertBroadcastable(name, "values", values, "weights", weights);
    return tf.sum(toFloat(values).mul(toFloat(weights)));
  });
});

/**
 * Weighted sum of prediction-target cross-entropies for multiclass
 * classification: `sum(-sum(logProbs * oneHot(targets), -1) * weights)`.
 * The model output must be log-probabilities.
 *
 * Inputs: log-probabilities `(..., N)`, targets `(...)` integers, weights
 * broadcasting to the targets. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const logProbs = tf.log(tf.tensor([[0.5, 0.5], [0.25, 0.75]]));
 * tl.CrossEntropySum()([logProbs, tf.tensor([0, 1], [2], "int32"), tf.ones([2])]); // -log(.5) - log(.75)
 * ```
 */
export const CrossEntropySum = withArgs("CrossEntropySum", {
  positional: [],
  options: [],
}, function CrossEntropySum(): SerialT {
  return Serial(CrossEntropyScores(), WeightedSum(), { name: "CrossEntropySum", sublayersToPrint: [] });
});

/**
 * Weighted sum of binary cross-entropies from probabilities: Trax's
 * `_BinaryCrossEntropy` (see {@link BinaryCrossEntropyLoss}), then
 * `sum(j * weights)`.
 *
 * Inputs: probabilities `(batch)` or `(batch, k)`, targets of the same
 * shape in `{0, 1}`, weights. Output: a float32 scalar.
 *
 * @example
 * ```ts
 * const p = tf.tensor([0.9, 0.2]);
 * tl.BinaryCrossEntropySum()([p, tf.tensor([1, 0]), tf.tensor(1)]); // -(log .9 + log .8) / 2
 * ```
 */
export const BinaryCrossEntropySum = withArgs("BinaryCrossEntropySum", {
  positional: [],
  options: [],
}, function BinaryCrossEntropySum(): SerialT {
  return Serial(BinaryCrossEntropyScores(), WeightedSum(), { name: "BinaryCrossEntropySum", sublayersToPrint: [] });
});
