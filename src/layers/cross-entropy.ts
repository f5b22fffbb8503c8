/**
 * Cross-entropy as single ops with hand-written gradients, for the loss
 * layers of `metrics.ts`. Written with tfjs ops and differentiated by tfjs,
 * a log-softmax cross-entropy records about a dozen ops whose backward pass
 * walks back through all of them (on wasm the gradient of `max` alone, a
 * broadcast `equal`, costs more than the whole forward). Here the backward
 * pass is the closed form: `(softmax * sum(t) - t) * dy` with respect to the
 * logits, `-t * dy` with respect to log-probabilities, where `t` are the
 * (smoothed) one-hot targets. The forward values are the same ops in the same
 * order as before (so the same numbers); only the gradient is new.
 * @module
 */
import { tf } from "../backend/tf";
import { isRecordingGradients, opWithLazyGradients } from "../fastmath/lazy-grad";
import { oneHot } from "./core";
import { fusedCrossEntropyApplies, fusedSoftmaxCrossEntropy, fusedSoftmaxCrossEntropyGrad, type CrossEntropySaved } from "../backend/simd/wasm-cross-entropy";

/** Target distributions `(..., N)`: one-hot of `targets`, smoothed to `(1 - ε) t + ε / N`. */
function targetDistributions(targets: tf.Tensor, nCategories: number, labelSmoothing: number): tf.Tensor {
  const t = oneHot(targets, nCategories);
  if (!labelSmoothing) return t;
  return tf.tidy(() => t.mul(1 - labelSmoothing).add(labelSmoothing / nCategories));
}

/**
 * `sum(t, -1)` per item, `(..., 1)`: 1 for a category in `[0, N)`, 0 for one
 * outside (one-hot gives zeros), and `(1 - ε) valid + ε` with label
 * smoothing. Without smoothing it is the sum of the one-hot rows `t` (exactly
 * 1 or 0; one kernel); with smoothing it is computed from the integer
 * targets, since the sum of smoothed rows rounds differently.
 */
function targetMass(targets: tf.Tensor, t: tf.Tensor, nCategories: number, labelSmoothing: number): tf.Tensor {
  if (!labelSmoothing) return tf.sum(t, -1, true);
  return tf.tidy(() => {
    const ids = targets.dtype === "int32" ? targets : targets.toInt();
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, nCategories)).toFloat();
    return valid.mul(1 - labelSmoothing).add(labelSmoothing).expandDims(-1);
  });
}

/**
 * Per-item cross-entropy of `softmax(logits)` against one-hot `targets`
 * (optionally label-smoothed), `-sum(t * logSoftmax(logits), -1)`, as one op:
 * forward through `logsumexp`, backward `(softmax * sum(t) - t) * dy` (that is
 * `softmax - onehot` for a category in range), with no log-softmax kept for
 * the tape. Gradients flow to `logits` only.
 *
 * Shapes: `logits` `(..., N)` float32, `targets` `(...)` integer categories
 * (int32 or float32; one outside `[0, N)` has a one-hot of zeros); result `(...)`.
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(tf.tensor([[0, Math.log(3)]]), tf.tensor([1], [1], "int32")); // [-log(0.75)]
 * ```
 */
export function softmaxCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, labelSmoothing = 0): tf.Tensor {
  if (!labelSmoothing) {
    const fused = fusedCrossEntropy(logits, targets);
    if (fused) return fused;
  }
  const n = logits.shape[logits.rank - 1];
  // The same ops as tf.logSumExp and `-sum(t * (x - lse))`, in the same order: the same values as before.
  // (Run inside a tidy: by tf.tidy below, or by the engine around an op's forward.)
  const forward = (save?: (saved: tf.Tensor[]) => void): tf.Tensor => {
    const max = tf.max(logits, -1, true);
    const e = tf.exp(tf.sub(logits, max));
    const s = tf.sum(e, -1, true);
    const lse = tf.add(max, tf.log(s));
    const t = targetDistributions(targets, n, labelSmoothing);
    const ce = tf.neg(tf.sum(tf.mul(t, tf.sub(logits, lse)), -1));
    save?.([e, s, t, targetMass(targets, t, n, labelSmoothing)]);
    return ce;
  };
  if (!isRecordingGradients()) return tf.tidy(() => forward());
  return opWithLazyGradients(
    [logits],
    (save) => forward(save),
    (dy, [e, s, t, mass]) => [
      () =>
        tf.tidy(() => {
          const dyItem = dy.expandDims(-1);
          // softmax * sum(t) * dy - t * dy, with softmax = e / s folded into one per-item scale.
          const scale = mass.mul(dyItem).div(s);
          return tf.sub(tf.mul(e, scale), tf.mul(t, dyItem));
        }),
    ]
  );
}

/**
 * {@link softmaxCrossEntropy} without label smoothing as trax-ts's wasm
 * kernels (src/backend/simd/wasm-cross-entropy.ts: the same bits in four
 * kernels instead of about twenty), or `null` where they do not run.
 */
function fusedCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor | null {
  // Integer ids as oneHot takes them (a float target is truncated).
  const castIds = targets.dtype !== "int32";
  const ids = castIds ? targets.toInt() : targets;
  try {
    if (!fusedCrossEntropyApplies(logits, ids)) return null;
    if (!isRecordingGradients()) return tf.tidy(() => fusedSoftmaxCrossEntropy(logits, ids)[0]);
    return opWithLazyGradients(
      [logits],
      (save) => {
        const [values, saved] = fusedSoftmaxCrossEntropy(logits, ids);
        save(saved);
        return values;
      },
      (dy, saved) => [() => fusedSoftmaxCrossEntropyGrad(dy, saved as CrossEntropySaved)]
    );
  } finally {
    if (castIds) ids.dispose();
  }
}

/**
 * Per-item cross-entropy of log-probabilities against one-hot `targets`,
 * `-sum(logProbs * onehot(targets), -1)`, as one op whose gradient with
 * respect to `logProbs` is `-onehot * dy` (no gradient to `targets`).
 *
 * Shapes: `logProbs` `(..., N)` float32, `targets` `(...)` integer
 * categories; result `(...)`.
 *
 * @example
 * ```ts
 * logProbCrossEntropy(tf.log(tf.tensor([[0.25, 0.75]])), tf.tensor([1], [1], "int32")); // [-log(0.75)]
 * ```
 */
export function logProbCrossEntropy(logProbs: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const n = logProbs.shape[logProbs.rank - 1];
  const forward = (save?: (saved: tf.Tensor[]) => void): tf.Tensor => {
    const t = oneHot(targets, n);
    save?.([t]);
    return tf.neg(tf.sum(tf.mul(logProbs, t), -1));
  };
  if (!isRecordingGradients()) return tf.tidy(() => forward());
  return opWithLazyGradients(
    [logProbs],
    (save) => forward(save),
    (dy, [t]) => [() => tf.tidy(() => tf.neg(tf.mul(t, dy.expandDims(-1))))]
  );
}
