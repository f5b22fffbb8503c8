import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, tl } from "../helpers";
import { logProbCrossEntropy, softmaxCrossEntropy } from "../../src/layers/cross-entropy";
import { pattern } from "../fixtures/patterns";

const test = suite("layers/cross-entropy");
test.before(ready);

// The path the fused ops replace: tfjs ops, differentiated by tfjs.
function oldSoftmaxCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, smoothing = 0): tf.Tensor {
  const n = logits.shape[logits.rank - 1];
  let t = tf.oneHot(targets.toInt(), n).toFloat();
  if (smoothing) t = t.mul(1 - smoothing).add(smoothing / n);
  return tf.neg(tf.sum(t.mul(tf.sub(logits, tf.logSumExp(logits, -1, true))), -1));
}
function oldLogProbCrossEntropy(logProbs: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const t = tf.oneHot(targets.toInt(), logProbs.shape[logProbs.rank - 1]).toFloat();
  return tf.neg(tf.sum(logProbs.mul(t), -1));
}

/** Logits `(b, l, n)` with a wide range, and targets including ones outside `[0, n)`. */
function data(b: number, l: number, n: number, seed: number, float = false): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const logits = pattern([b, l, n], "sin", 0.7, 0.1 * seed, 8);
  const ids = Array.from({ length: b * l }, (_, i) => ((i * 7 + seed) % (n + 2)) - 1); // -1 and n are out of range
  const targets = tf.tensor(ids, [b, l], float ? "float32" : "int32");
  const weights = pattern([b, l], "cos", 0.3, seed).abs();
  return [logits, targets, weights];
}

test("softmaxCrossEntropy: values and gradients equal the log-softmax path (smoothing, out-of-range and float targets)", () => {
  for (const [smoothing, float] of [[0, false], [0.1, false], [0, true], [0.3, true]] as [number, boolean][]) {
    const [logits, targets, weights] = data(3, 5, 7, 2 + smoothing * 10, float);
    assertClose(softmaxCrossEntropy(logits, targets, smoothing), oldSoftmaxCrossEntropy(logits, targets, smoothing), 1e-6);
    // A weighted mean on top, as the loss layers do: dy is weight / sum(weights).
    const loss = (f: typeof oldSoftmaxCrossEntropy) => (z: tf.Tensor) => tf.sum(f(z, targets, smoothing).mul(weights)).div(tf.sum(weights));
    const [vNew, gNew] = [loss(softmaxCrossEntropy)(logits), tf.grad(loss(softmaxCrossEntropy))(logits)];
    const [vOld, gOld] = [loss(oldSoftmaxCrossEntropy)(logits), tf.grad(loss(oldSoftmaxCrossEntropy))(logits)];
    assertClose(vNew, vOld, 1e-6);
    assertClose(gNew, gOld, 1e-6, 1e-5);
  }
});

test("softmaxCrossEntropy: extreme logits stay finite; the gradient is softmax - onehot", () => {
  const logits = tf.tensor([[1000, -1000, 0], [-50, 80, 80]]);
  const targets = tf.tensor([1, 2], [2], "int32");
  assertClose(softmaxCrossEntropy(logits, targets), [2000, Math.log(2)], 1e-3);
  const g = tf.grad((z: tf.Tensor) => tf.sum(softmaxCrossEntropy(z, targets)))(logits);
  assertClose(g, [[1, -1, 0], [0, 0.5, -0.5]], 1e-6);
});

test("logProbCrossEntropy: values and gradients equal the old path", () => {
  const [logits, targets, weights] = data(2, 6, 5, 4);
  const logProbs = tf.logSoftmax(logits);
  assertClose(logProbCrossEntropy(logProbs, targets), oldLogProbCrossEntropy(logProbs, targets), 1e-6);
  const loss = (f: typeof oldLogProbCrossEntropy) => (z: tf.Tensor) => tf.sum(f(z, targets).mul(weights));
  assertClose(tf.grad(loss(logProbCrossEntropy))(logProbs), tf.grad(loss(oldLogProbCrossEntropy))(logProbs), 1e-6);
});

test("loss layers on the fused ops: same values and gradients as the composed old path", () => {
  const [logits, targets, weights] = data(4, 3, 6, 9);
  const inRange = tf.tensor(Array.from({ length: 12 }, (_, i) => (i * 5) % 6), [4, 3], "int32");
  const wmean = (v: tf.Tensor) => tf.sum(v.mul(weights)).div(tf.sum(weights));
  const cases: [string, tl.Layer, (z: tf.Tensor) => tf.Tensor, tf.Tensor[], tf.Tensor][] = [
    ["CrossEntropyLossWithLogSoftmax", tl.CrossEntropyLossWithLogSoftmax() as never, (z) => wmean(oldSoftmaxCrossEntropy(z, targets)), [targets, weights], targets],
    ["CategoryCrossEntropy", tl.CategoryCrossEntropy({ labelSmoothing: 0.2 }) as never, (z) => tf.mean(oldSoftmaxCrossEntropy(z, inRange, 0.2)), [inRange], inRange],
    [
      "WeightedCategoryCrossEntropy cutoff",
      tl.WeightedCategoryCrossEntropy({ cutoff: 1.5 }) as never,
      (z) => wmean(tf.maximum(oldSoftmaxCrossEntropy(z, inRange), 1.5).sub(1.5)),
      [inRange, weights],
      inRange,
    ],
    ["CrossEntropyLoss", tl.CrossEntropyLoss() as never, (z) => wmean(oldLogProbCrossEntropy(z, targets)), [targets, weights], targets],
  ];
  for (const [name, layer, old, rest] of cases) {
    const l = layer as unknown as (xs: tf.Tensor[]) => tf.Tensor;
    const f = (z: tf.Tensor) => l([z, ...rest]);
    assertClose(f(logits), old(logits), 1e-6, 1e-5, name);
    assertClose(tf.grad(f)(logits), tf.grad(old)(logits), 1e-6, 1e-5, name);
  }
});

test("CrossEntropyLossWithLogSoftmax keeps Trax's sublayers, and runs them on a longer stack", () => {
  const loss = tl.CrossEntropyLossWithLogSoftmax();
  assert.is(loss.sublayers.length, 3);
  assert.equal(loss.sublayers.map((s) => s.name), ["LogSoftmax", "_CrossEntropy", "_WeightedMean"]);
  const [logits, targets, weights] = data(2, 3, 4, 1);
  const extra = tf.ones([2]);
  const out = loss.pureFn([logits, targets, weights, extra], loss.weights, loss.state, loss.rng)[0] as tf.Tensor[];
  assert.is(out.length, 2);
  assertClose(out[0], loss([logits, targets, weights]), 1e-6);
  assert.is(out[1], extra);
});

test("fused losses leak no tensors, with and without a gradient", () => {
  const [logits, targets, weights] = data(2, 4, 5, 3);
  const leaked = leakedBy(() => {
    tf.dispose(softmaxCrossEntropy(logits, targets, 0.1));
    tf.dispose(logProbCrossEntropy(logits, targets));
    tf.dispose(tf.grad((z: tf.Tensor) => tf.sum(softmaxCrossEntropy(z, targets, 0.1)))(logits));
    tf.dispose(tf.grad((z: tf.Tensor) => tf.sum(logProbCrossEntropy(z, targets)))(logits));
    tf.dispose(tf.grad((z: tf.Tensor) => tl.CrossEntropyLossWithLogSoftmax()([z, targets, weights]) as tf.Tensor)(logits));
  });
  assert.is(leaked, 0);
});

test.run();
