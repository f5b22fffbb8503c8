import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, tf, tl } from "../helpers";

const test = suite("metrics");
test.before(ready);

const f32 = (x: unknown) => tf.tensor(x as number[]);
const i32 = (x: unknown) => tf.tensor(x as number[], undefined, "int32");
const num = (y: unknown) => (y as tf.Tensor).arraySync() as number;

// Numbers from test/fixtures/metrics_torch.py (PyTorch, float64).
const TORCH = {
  ce_near: [0.0010514405130715172, 0.06855144051307152, 0.6760514405130715], // label smoothing 0, 0.01, 0.1
  ce_more: [0.6650200394566588, 0.6815200394566588, 0.8300200394566588],
  ce_mixed: [0.33303573998486513, 0.3750357399848651, 0.7530357399848652],
  wce_mixed: [0.1670435902489683, 0.22179359024896836, 0.7145435902489684],
  ce_35: [1.3222101039455676, 1.334043437278901, 1.440543437278901],
  wce_35: [1.440812738483973, 1.450169881341116, 1.5343841670554017],
  wce_35_cutoff: [1.0061342941696532, 1.0082057227410819, 1.0343841670554017],
  bce_near: 0.00012340218972333965,
  bce_more: 0.31326168751822286,
  bce_mixed: 0.18800637338682305,
  bce_wrong: 1.3132616875182228,
  bce_large: 8.194815397660502,
  bce_probs_mean: 0.26428118024360636,
  smooth_l1_weighted: 1.0340909090909092,
  l2_weighted: 3.25,
  ce_logsoftmax_weighted: 0.4082830978051131,
  ce_sum_of_logsoftmax: 2.449698586830679,
};
const SMOOTHINGS = [0, 0.01, 0.1];

const near = [[9, 2, 0, -2], [2, 9, 0, -2]];
const more = [[2.2, 2, 0, -2], [2, 2.2, 0, -2]];
const mixed = [[9, 2, 0, -2], [2, 2.2, 0, -2]];
const logits35 = [[0.5, -1.25, 2.0, 0.0, 3.5], [1.0, 1.0, -0.5, 2.25, -3.0], [-2.0, 0.75, 0.25, 1.5, 0.0]];

// --------------------------------------------------------- CategoryAccuracy
test("CategoryAccuracy (Trax's cases)", () => {
  const layer = tl.CategoryAccuracy();
  const targets = i32([0, 1, 2]);
  assert.is(num(layer([f32([[.7, .2, .1, 0], [.2, .7, .1, 0], [.2, .1, .7, 0]]), targets])), 1);
  assertClose(layer([f32([[.2, .1, .7, 0], [.2, .1, .7, 0], [.2, .1, .7, 0]]), targets]), 1 / 3, 1e-7);
  // Float targets and nested-array inputs work too.
  assertClose(layer([[[.2, .1, .7, 0], [.2, .1, .7, 0], [.2, .1, .7, 0]], [0, 1, 2]]), 1 / 3, 1e-7);
  assert.is(String(layer), "CategoryAccuracy_in2");
});

/** Trax's even- and uneven-weight cases, shared by WeightedCategoryAccuracy and Accuracy. */
function assertWeightedAccuracyCases(layer: tl.Layer): void {
  const targets = i32([0, 1, 2]);
  const right = f32([[.7, .2, .1, 0], [.2, .7, .1, 0], [.2, .1, .7, 0]]);
  assert.is(num(layer([right, targets, f32([1, 1, 1])])), 1);
  assertClose(layer([f32([[.2, .1, .7, 0], [.2, .1, .7, 0], [.2, .1, .7, 0]]), targets, f32([1, 1, 1])]), 1 / 3, 1e-7);
  assert.is(num(layer([right, targets, f32([1, 5, 2])])), 1);
  assert.is(num(layer([f32([[.2, .7, .1, 0], [.2, .7, .1, 0], [.2, .7, .1, 0]]), targets, f32([1, 5, 2])])), 0.625);
  assert.is(num(layer([f32([[.7, .2, .1, 0], [.7, .2, .1, 0], [.7, .2, .1, 0]]), targets, f32([1, 5, 2])])), 0.125);
}

test("WeightedCategoryAccuracy: even and uneven weights (Trax's cases)", () => {
  const layer = tl.WeightedCategoryAccuracy();
  assertWeightedAccuracyCases(layer);
  const targets = i32([0, 1, 2]);
  const right = f32([[.7, .2, .1, 0], [.2, .7, .1, 0], [.2, .1, .7, 0]]);
  // int32 weights, and a scalar weight broadcast (denominator is the weight itself, as in Trax).
  assert.is(num(layer([right, targets, i32([1, 5, 2])])), 1);
  assert.is(num(layer([right, targets, f32(2)])), 3);
  assert.is(String(layer), "WeightedCategoryAccuracy_in3");
});

// ---------------------------------------------------------- cross-entropies
test("CategoryCrossEntropy matches Trax's cases and PyTorch, with and without label smoothing", () => {
  const targets = i32([0, 1]);
  SMOOTHINGS.forEach((ls, i) => {
    const layer = ls === 0 ? tl.CategoryCrossEntropy() : tl.CategoryCrossEntropy({ labelSmoothing: ls });
    assertClose(layer([f32(near), targets]), TORCH.ce_near[i], 1e-5, 1e-5, `near ls=${ls}`);
    assertClose(layer([f32(more), targets]), TORCH.ce_more[i], 1e-5, 1e-5, `more ls=${ls}`);
    assertClose(layer([f32(mixed), targets]), TORCH.ce_mixed[i], 1e-5, 1e-5, `mixed ls=${ls}`);
    assertClose(layer([f32(logits35), i32([4, 0, 2])]), TORCH.ce_35[i], 1e-5, 1e-5, `3x5 ls=${ls}`);
  });
  // Trax's rounded numbers (metrics_test.py).
  assertClose(tl.CategoryCrossEntropy()([f32(near), targets]), 0.001, 5e-4);
  assertClose(tl.CategoryCrossEntropy()([f32(more), targets]), 0.665, 5e-4);
  assertClose(tl.CategoryCrossEntropy()([f32(mixed), targets]), 0.333, 5e-4);
  assertClose(tl.CategoryCrossEntropy({ labelSmoothing: 0.01 })([f32(near), targets]), 0.069, 5e-4);
  assertClose(tl.CategoryCrossEntropy({ labelSmoothing: 0.01 })([f32(more), targets]), 0.682, 5e-4);
  assertClose(tl.CategoryCrossEntropy({ labelSmoothing: 0.01 })([f32(mixed), targets]), 0.375, 5e-4);
  assertClose(tl.CategoryCrossEntropy({ labelSmoothing: null })([f32(mixed), targets]), TORCH.ce_mixed[0]);
});

test("WeightedCategoryCrossEntropy matches Trax's cases and PyTorch; cutoff", () => {
  const targets = i32([0, 1]);
  const w = i32([30, 10]);
  SMOOTHINGS.forEach((ls, i) => {
    const layer = tl.WeightedCategoryCrossEntropy({ labelSmoothing: ls });
    assertClose(layer([f32(near), targets, w]), TORCH.ce_near[i], 1e-5, 1e-5, `near ls=${ls}`);
    assertClose(layer([f32(more), targets, w]), TORCH.ce_more[i], 1e-5, 1e-5, `more ls=${ls}`);
    assertClose(layer([f32(mixed), targets, w]), TORCH.wce_mixed[i], 1e-5, 1e-5, `mixed ls=${ls}`);
    const w3 = f32([1, 0.5, 2]);
    assertClose(layer([f32(logits35), i32([4, 0, 2]), w3]), TORCH.wce_35[i], 1e-5, 1e-5, `3x5 ls=${ls}`);
    const cut = tl.WeightedCategoryCrossEntropy({ labelSmoothing: ls, cutoff: 0.5 });
    assertClose(cut([f32(logits35), i32([4, 0, 2]), w3]), TORCH.wce_35_cutoff[i], 1e-5, 1e-5, `cutoff ls=${ls}`);
  });
  assertClose(tl.WeightedCategoryCrossEntropy()([f32(mixed), targets, w]), 0.167, 5e-4);
  assertClose(tl.WeightedCategoryCrossEntropy({ labelSmoothing: 0.01 })([f32(mixed), targets, w]), 0.222, 5e-4);
  // A cutoff above every loss gives 0.
  assert.is(num(tl.WeightedCategoryCrossEntropy({ cutoff: 10 })([f32(mixed), targets, w])), 0);
});

test("label smoothing outside [0, 1] is refused", () => {
  assert.throws(() => tl.CategoryCrossEntropy({ labelSmoothing: 1.5 }), /between 0 and 1/);
  assert.throws(() => tl.WeightedCategoryCrossEntropy({ labelSmoothing: -0.1 }), /between 0 and 1/);
});

test("BinaryCrossEntropy matches Trax's cases and PyTorch's binary_cross_entropy_with_logits", () => {
  const layer = tl.BinaryCrossEntropy();
  const targets = i32([1, 1, 0, 0, 0]);
  const cases: [number[], number][] = [
    [[9, 9, -9, -9, -9], TORCH.bce_near],
    [[1, 1, -1, -1, -1], TORCH.bce_more],
    [[9, 1, -1, -1, -9], TORCH.bce_mixed],
    [[-1, -1, 1, 1, 1], TORCH.bce_wrong],
    [[30, -20, 20, -40, 0.5], TORCH.bce_large], // stays finite where sigmoid saturates
  ];
  for (const [x, expected] of cases) assertClose(layer([f32(x), targets]), expected, 1e-6, 1e-5, `x=${x}`);
  assertClose(layer([f32([9, 9, -9, -9, -9]), targets]), 0.000123, 5e-7);
  assertClose(layer([f32([-1, -1, 1, 1, 1]), targets]), 1.313, 5e-4);
});

test("CrossEntropyLossWithLogSoftmax and CrossEntropySum match PyTorch (weighted, sequences)", () => {
  const logits = f32([[[1.0, 2.0, 0.5], [0.0, -1.0, 1.0], [2.0, 2.0, 2.0]], [[-1.0, 0.5, 3.0], [1.5, 0.0, -0.5], [0.25, 0.75, 0.5]]]);
  const targets = i32([[1, 2, 0], [2, 0, 1]]);
  const w = f32([[1, 1, 0], [1, 2, 1]]);
  assertClose(tl.CrossEntropyLossWithLogSoftmax()([logits, targets, w]), TORCH.ce_logsoftmax_weighted);
  const logProbs = tl.logSoftmax(logits);
  assertClose(tl.CrossEntropyLoss()([logProbs, targets, w]), TORCH.ce_logsoftmax_weighted);
  assertClose(tl.CrossEntropySum()([logProbs, targets, w]), TORCH.ce_sum_of_logsoftmax);
});

test("CrossEntropyLoss: Trax's shape case gives a scalar; closed form", () => {
  const y = tl.CrossEntropyLoss()([tf.ones([9, 4, 4, 20]), tf.ones([9, 4, 4]), tf.ones([9, 4, 4])]);
  assert.equal(y.shape, []);
  assert.is(num(y), -1); // -sum(1 * oneHot(1)) = -1 everywhere
  const logProbs = tf.log(f32([[0.25, 0.75]]));
  assertClose(tl.CrossEntropyLoss()([logProbs, i32([1]), f32([1])]), -Math.log(0.75));
});

test("BinaryCrossEntropyLoss and BinaryCrossEntropySum (probabilities, deprecated forms)", () => {
  const y = tl.BinaryCrossEntropyLoss()([tf.ones([9, 1]), tf.ones([9, 1]), tf.ones([9, 1])]);
  assert.equal(y.shape, []); // Trax's case (the value is NaN: log(1 - 1))
  const p = f32([0.9, 0.6, 0.2, 0.35, 0.05]);
  const t = f32([1, 1, 0, 0, 0]);
  assertClose(tl.BinaryCrossEntropyLoss()([p, t, tf.ones([5])]), TORCH.bce_probs_mean);
  // The sum form multiplies the batch-mean j by each weight: 5 * j.
  assertClose(tl.BinaryCrossEntropySum()([p, t, tf.ones([5])]), 5 * TORCH.bce_probs_mean, 1e-5);
  assertClose(tl.BinaryCrossEntropySum()([p, t, f32(2)]), 2 * TORCH.bce_probs_mean, 1e-5);
  // Rank 2: tᵀ·log p is (k, k), as numpy's dot gives.
  const p2 = f32([[0.5, 0.25], [0.5, 0.5]]);
  const t2 = f32([[1, 0], [0, 1]]);
  const j = tl.BinaryCrossEntropySum()([p2, t2, f32(1)]);
  const l = Math.log;
  const m = [
    [l(0.5) + l(0.5), l(0.25) + l(0.5)],
    [l(0.5) + l(0.5), l(0.75) + l(0.5)],
  ]; // tᵀ·log p + (1-t)ᵀ·log(1-p), summed below
  const expected = -(m.flat().reduce((a, b) => a + b, 0)) / 2;
  assertClose(j, expected, 1e-5);
});

// ------------------------------------------------------- sequence accuracy
const seqTargets = [[0, 1, 0, 0], [1, 0, 1, 0]];
const seqWeights = [[1, 1, 1, 0], [1, 1, 1, 0]];
const seqRight = [[[.9, .1], [.2, .8], [.7, .3], [.35, .65]], [[.3, .7], [.8, .2], [.1, .9], [.35, .65]]];
const seqFirstWrong = [[[.45, .55], [.2, .8], [.7, .3], [.6, .4]], [[.3, .7], [.8, .2], [.1, .9], [.6, .4]]];
const seqBothWrong = [[[.9, .1], [.2, .8], [.48, .52], [.6, .4]], [[.3, .7], [.8, .2], [.51, .49], [.6, .4]]];

test("MaskedSequenceAccuracy (Trax's cases)", () => {
  const layer = tl.MaskedSequenceAccuracy();
  const t = i32(seqTargets);
  const w = f32(seqWeights);
  assert.is(num(layer([f32(seqRight), t, w])), 1);
  assert.is(num(layer([f32(seqFirstWrong), t, w])), 0.5);
  assert.is(num(layer([f32(seqBothWrong), t, w])), 0);
  // Only zero versus non-zero matters.
  assert.is(num(layer([f32(seqRight), t, f32([[3, 0.5, 2, 0], [1, 1, 7, 0]])])), 1);
});

test("SequenceAccuracy: all-ones weights and a zero-weighted last position (Trax's cases)", () => {
  const layer = tl.SequenceAccuracy();
  const t1 = i32([[0, 1, 0, 1], [1, 0, 1, 1]]);
  const ones = tf.onesLike(t1);
  assert.is(num(layer([f32([[[.9, .1], [.2, .8], [.7, .3], [.4, .6]], [[.3, .7], [.8, .2], [.1, .9], [.4, .6]]]), t1, ones])), 1);
  assert.is(num(layer([f32([[[.45, .55], [.2, .8], [.7, .3], [.4, .6]], [[.3, .7], [.8, .2], [.1, .9], [.4, .6]]]), t1, ones])), 0.5);
  assert.is(num(layer([f32([[[.9, .1], [.2, .8], [.7, .3], [.55, .45]], [[.3, .7], [.8, .2], [.1, .9], [.52, .48]]]), t1, ones])), 0);
  const t = i32(seqTargets);
  const w = f32(seqWeights);
  assert.is(num(layer([f32(seqRight), t, w])), 1);
  assert.is(num(layer([f32(seqFirstWrong), t, w])), 0.5);
  assert.is(num(layer([f32(seqBothWrong), t, w])), 0);
});

// ----------------------------------------------------------------- Accuracy
test("Accuracy: even and uneven weights (Trax's cases)", () => {
  assertWeightedAccuracyCases(tl.Accuracy());
});

test("Accuracy with a binary classifier (Trax's case with ThresholdToBinary)", () => {
  const threshold = tl.Fn("ThresholdToBinary", (x: tf.Tensor) => tf.greater(x, 0.5).toFloat());
  const layer = tl.Accuracy(threshold);
  const targets = i32([[0, 0, 1, 1], [1, 1, 1, 0]]);
  const w = tf.onesLike(targets);
  assert.is(num(layer([f32([[.499, .500, .501, .502], [.503, .502, .501, .500]]), targets, w])), 1);
  assert.is(num(layer([f32([[.498, .499, .500, .501], [.502, .501, .500, .499]]), targets, w])), 0.75);
});

// ------------------------------------------------------------ L2 / smooth L1
test("L2Loss (Trax's cases and a weighted PyTorch case)", () => {
  const layer = tl.L2Loss();
  const y = f32([[1, 1], [1, 1]]);
  const t = f32([[1, 1], [1, 0]]);
  assert.is(num(layer([y, t, f32([[1, 1], [1, 0]])])), 0);
  assert.is(num(layer([y, t, f32([[1, 0], [0, 1]])])), 0.5);
  const yy = f32([[0.5, -1.0, 3.0], [2.0, 0.25, -0.75]]);
  const tt = f32([[0.0, 1.5, 2.5], [-1.0, 0.0, 0.0]]);
  const ww = f32([[1.0, 2.0, 0.0], [0.5, 1.0, 1.0]]);
  assertClose(layer([yy, tt, ww]), TORCH.l2_weighted);
});

test("SmoothL1Loss (Trax's cases and PyTorch's smooth_l1_loss)", () => {
  const layer = tl.SmoothL1Loss();
  const y = f32([[1, 1], [1, 2]]);
  const t = f32([[1, 1], [1, 0]]);
  assert.is(num(layer([y, t, f32([[1, 1], [1, 0]])])), 0);
  const w = f32([[1, 0], [0, 1]]);
  assertClose(layer([y, t, w]), (2 - 0.5) / 2);
  assertClose(layer([f32([[1, 1], [1, 1.5]]), f32([[1, 1], [1, 1]]), w]), (0.5 * 0.5 ** 2) / 2);
  const yy = f32([[0.5, -1.0, 3.0], [2.0, 0.25, -0.75]]);
  const tt = f32([[0.0, 1.5, 2.5], [-1.0, 0.0, 0.0]]);
  const ww = f32([[1.0, 2.0, 0.0], [0.5, 1.0, 1.0]]);
  assertClose(layer([yy, tt, ww]), TORCH.smooth_l1_weighted);
});

// ------------------------------------------------------------------ F-scores
const fOut = [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0]]; // predictions [1, 1, 2, 1, 1]
const fTargets = [1, 2, 2, 3, 1];

test("MacroAveragedFScore (Trax's cases; beta)", () => {
  assertClose(tl.MacroAveragedFScore()([f32(fOut), i32(fTargets)]), 4 / 3 / 4, 1e-6); // .333
  assertClose(tl.MacroAveragedFScore({ initialCategoryIndex: 1 })([f32(fOut), i32(fTargets)]), 4 / 3 / 3, 1e-6); // .444
  // int32 model outputs, as Trax's test passes them.
  assertClose(tl.MacroAveragedFScore()([i32(fOut), i32(fTargets)]), 1 / 3, 1e-6);
  // beta = 2: k=1 (p .5, r 1) -> 5*.5/(4*.5+1) = 5/6; k=2 (p 1, r .5) -> 5*.5/(4+.5) = 5/9.
  assertClose(tl.MacroAveragedFScore({ beta: 2, initialCategoryIndex: 1 })([f32(fOut), i32(fTargets)]), (5 / 6 + 5 / 9) / 3, 1e-6);
});

test("WeightedFScore (Trax's cases; beta)", () => {
  assertClose(tl.WeightedFScore()([f32(fOut), i32(fTargets)]), 8 / 15, 1e-6); // .533
  assertClose(tl.WeightedFScore({ initialCategoryIndex: 1 })([f32(fOut), i32(fTargets)]), 8 / 15, 1e-6);
  // beta = 2, weights = target counts [0, 2, 2, 1].
  assertClose(tl.WeightedFScore({ beta: 2 })([f32(fOut), i32(fTargets)]), (2 * 5 / 6 + 2 * 5 / 9) / 5, 1e-6);
  assert.throws(() => tl.WeightedFScore({ initialCategoryIndex: -1 }), /non-negative integer/);
});

test("WeightedSum", () => {
  assert.is(num(tl.WeightedSum()([f32([1, 2, 3]), f32([1, 0, 2])])), 7);
  assert.is(num(tl.WeightedSum()([f32([[1, 2], [3, 4]]), f32([1, 10])])), 1 + 20 + 3 + 40);
});

// --------------------------------------------------------- names, composition
test("names print as in Trax", () => {
  const printed: [tl.Layer, string][] = [
    [tl.L2Loss(), "L2Loss_in3"],
    [tl.Accuracy(), "Accuracy_in3"],
    [tl.SequenceAccuracy(), "SequenceAccuracy_in3"],
    [tl.BinaryCrossEntropyLoss(), "BinaryCrossEntropyLoss_in3"],
    [tl.CrossEntropyLoss(), "CrossEntropyLoss_in3"],
    [tl.BinaryCrossEntropySum(), "BinaryCrossEntropySum_in3"],
    [tl.CrossEntropySum(), "CrossEntropySum_in3"],
    [tl.CrossEntropyLossWithLogSoftmax(), "CrossEntropyLossWithLogSoftmax_in3"],
    [tl.CategoryCrossEntropy(), "CategoryCrossEntropy_in2"],
    [tl.MacroAveragedFScore(), "MacroAveragedFScore_in2"],
    [tl.WeightedSum(), "WeightedSum_in2"],
  ];
  for (const [layer, name] of printed) assert.is(String(layer), name);
  assert.is(tl.BinaryCrossEntropy().nIn, 2);
  assert.is(tl.MaskedSequenceAccuracy().nIn, 3);
  assert.is(tl.SmoothL1Loss().nOut, 1);
});

test("metrics compose: a model's loss in Serial, gradient flows, no tensors leak", () => {
  const model = tl.Serial(tl.Dense(3));
  const loss = tl.Serial(model, tl.WeightedCategoryCrossEntropy());
  assert.is(loss.nIn, 3);
  const x = tf.tensor([[1, 2], [0.5, -1]]);
  const t = i32([2, 0]);
  const w = f32([1, 1]);
  const y = loss([x, t, w]);
  assert.equal(y.shape, []);
  const logits = model(x);
  assertClose(y, num(tl.CategoryCrossEntropy()([logits, t])), 1e-6);
  const leaked = leakedBy(() => {
    tf.dispose(loss([x, t, w]));
    tf.dispose(tl.Accuracy()([logits, t, w]));
    tf.dispose(tl.WeightedFScore()([logits, t]));
  });
  assert.is(leaked, 0);
  // Gradient of CategoryCrossEntropy w.r.t. logits is (softmax - onehot) / batch.
  const ce = tl.CategoryCrossEntropy();
  const g = tf.grad((z: tf.Tensor) => ce([z, t]) as tf.Tensor)(logits);
  const expected = tf.softmax(logits).sub(tf.oneHot(t, 3)).div(2);
  assertClose(g, expected, 1e-6);
});

// --------------------------------------------------------------- bad inputs
test("bad input gives a clear LayerError", () => {
  const out = f32([[.7, .2, .1], [.2, .7, .1]]);
  assertLayerError(() => tl.CategoryAccuracy()([out, i32([0, 1, 2])]), /CategoryAccuracy/, /same shape/, /\[2\]/, /\[3\]/);
  assertLayerError(() => tl.WeightedCategoryAccuracy()([out, i32([0, 1]), f32([1, 1, 1])]), /weights/, /broadcast/);
  assertLayerError(() => tl.CategoryCrossEntropy()([out, i32([[0], [1]])]), /targets must have the shape/, /\[2\]/);
  assertLayerError(() => tl.WeightedCategoryCrossEntropy()([out, i32([0, 1]), f32([[1, 1], [1, 1]])]), /weights/);
  assertLayerError(() => tl.BinaryCrossEntropy()([f32([1, 2, 3]), f32([[1], [0], [1]])]), /same shape/);
  assertLayerError(() => tl.MaskedSequenceAccuracy()([f32(seqRight), i32([[0, 1, 0], [1, 0, 1]]), f32(seqWeights)]), /same shape/);
  assertLayerError(() => tl.MaskedSequenceAccuracy()([f32(seqRight), i32(seqTargets), f32([1, 1])]), /weights/);
  assertLayerError(() => tl.Accuracy()([out, i32([0, 1, 1]), f32([1, 1, 1])]), /same shape/);
  assertLayerError(() => tl.Accuracy()([out, i32([0, 1]), f32([1, 1, 1])]), /do not broadcast/);
  assertLayerError(() => tl.SequenceAccuracy()([f32(seqRight), i32(seqTargets), f32([[1, 1, 1]])]), /weights/);
  assertLayerError(() => tl.CrossEntropyLoss()([tf.ones([9, 4, 20]), tf.ones([9, 5]), tf.ones([9, 5])]), /targets must have the shape/);
  assertLayerError(() => tl.CrossEntropyLossWithLogSoftmax()([out, i32([0, 1, 0]), f32([1, 1, 1])]), /targets/);
  assertLayerError(() => tl.BinaryCrossEntropyLoss()([f32([0.5, 0.5]), f32([1, 0, 1]), f32([1, 1])]), /same shape/);
  assertLayerError(() => tl.BinaryCrossEntropySum()([tf.ones([2, 2, 2]).mul(0.5), tf.ones([2, 2, 2]), f32(1)]), /rank 1 or 2/);
  assertLayerError(() => tl.L2Loss()([f32([1, 2]), f32([1, 2, 3]), f32([1, 1])]), /L2Loss/, /same shape/);
  assertLayerError(() => tl.L2Loss()([f32([1, 2]), f32([1, 2]), f32([1])]), /weights/);
  assertLayerError(() => tl.SmoothL1Loss()([f32([1, 2]), f32([1, 2]), f32([[1, 1]])]), /SmoothL1Loss/, /weights/);
  assertLayerError(() => tl.MacroAveragedFScore()([out, i32([0, 1, 2])]), /same shape/);
  assertLayerError(() => tl.WeightedFScore()([out, i32([0])]), /same shape/);
  assertLayerError(() => tl.MacroAveragedFScore({ initialCategoryIndex: 5 })([out, i32([0, 1])]), /no category/);
  assertLayerError(() => tl.WeightedSum()([f32([1, 2, 3]), f32([1, 2])]), /do not broadcast/);
  assertLayerError(() => tl.CrossEntropySum()([out, i32([0, 1]), f32([1, 2, 3])]), /do not broadcast/);
  // Wrong number of inputs.
  assertLayerError(() => tl.L2Loss()([f32([1]), f32([1])]), /3 inputs/);
});

test.run();
