/**
 * The log-softmax cross-entropy against integer labels as three wasm
 * kernels (the functions of {@link instantiateCrossEntropy}, with trax-ts's
 * `exp` and row sums): `TraxSoftmaxCrossEntropy` (per row: the max, `e =
 * exp(x - max)`, `s = sum(e)`), then tfjs's `Log` of `s`, then
 * `TraxCrossEntropyValues`; backward `TraxSoftmaxCrossEntropyGrad`. Four
 * kernels where the tfjs ops of `softmaxCrossEntropy` run about twenty, with
 * the same float32 operations in the same order (the same bits). Used on
 * wasm for float32 logits and int32 labels without label smoothing, while
 * trax-ts's `Exp` and `Sum` kernels run (whose results these reproduce).
 * @module
 */
import { tf } from "../tf";
import { instantiateCrossEntropy } from "./cross-entropy-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, rowsOfLastAxis, type WasmHeapBackend } from "../wasm-heap";
import { expOf, simdExp } from "./wasm-exp";
import { simdSums, sumsOf } from "./wasm-sums";

/**
 * Switch for tests and A/B benchmarks: `false` runs the tfjs ops. Starts
 * `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdCrossEntropy.enabled = false;
 * ```
 */
export const simdCrossEntropy = { enabled: process.env.TRAX_SIMD !== "0" };

const ceOf = instancePerBackend(instantiateCrossEntropy);

type Info = tf.TensorInfo;
type Args<I> = { inputs: I; backend: unknown };

const FORWARD = "TraxSoftmaxCrossEntropy";
const VALUES = "TraxCrossEntropyValues";
const GRAD = "TraxSoftmaxCrossEntropyGrad";

function forwardKernel({ inputs, backend }: Args<{ logits: Info }>): Info[] {
  const { logits } = inputs;
  const b = backend as WasmHeapBackend;
  const rowShape = [...logits.shape.slice(0, -1), 1];
  const [e, s, mx] = [b.makeOutput(logits.shape, "float32"), b.makeOutput(rowShape, "float32"), b.makeOutput(rowShape, "float32")];
  const [rows, n] = rowsOfLastAxis(logits.shape);
  if (rows > 0) {
    const mem = backend as WasmModuleMemory;
    const at = (t: Info) => heapAddress(backend, t);
    ceOf(mem)!.max_shift(at(logits), at(e), at(mx), rows, n);
    expOf(mem)!.exp(at(e), at(e), rows * n);
    sumsOf(mem)!.row_sums(at(e), at(s), rows, n);
  }
  return [e, s, mx];
}

function valuesKernel({ inputs, backend }: Args<{ logits: Info; labels: Info; mx: Info; logS: Info }>): Info {
  const { logits, labels, mx, logS } = inputs;
  const out = (backend as WasmHeapBackend).makeOutput(logits.shape.slice(0, -1), "float32");
  const [rows, n] = rowsOfLastAxis(logits.shape);
  const at = (t: Info) => heapAddress(backend, t);
  if (rows > 0) ceOf(backend as WasmModuleMemory)!.ce_values(at(logits), at(labels), at(mx), at(logS), at(out), rows, n);
  return out;
}

function gradKernel({ inputs, backend }: Args<{ e: Info; s: Info; labels: Info; dy: Info }>): Info {
  const { e, s, labels, dy } = inputs;
  const out = (backend as WasmHeapBackend).makeOutput(e.shape, "float32");
  const [rows, n] = rowsOfLastAxis(e.shape);
  const at = (t: Info) => heapAddress(backend, t);
  if (rows > 0) ceOf(backend as WasmModuleMemory)!.ce_grad(at(e), at(s), at(labels), at(dy), at(out), rows, n);
  return out;
}

let registered = false;

/**
 * Whether the kernels take these logits and labels now: the wasm backend
 * with its memory reachable, float32 logits `(..., n)` with `n >= 2`, int32
 * labels of their leading shape, and trax-ts's `Exp` and `Sum` kernels on
 * (whose results these kernels reproduce).
 *
 * @example
 * ```ts
 * fusedCrossEntropyApplies(tf.zeros([2, 3]), tf.tensor1d([0, 2], "int32")); // true on wasm
 * ```
 */
export function fusedCrossEntropyApplies(logits: tf.Tensor, labels: tf.Tensor): boolean {
  if (!simdCrossEntropy.enabled || !simdExp.enabled || !simdSums.enabled || tf.getBackend() !== "wasm") return false;
  // (one class: tf.oneHot refuses a depth under 2, and so, through the tfjs ops, does this loss)
  if (logits.dtype !== "float32" || labels.dtype !== "int32" || logits.rank < 1 || logits.shape[logits.rank - 1] < 2) return false;
  if (!tf.util.arraysEqual(labels.shape, logits.shape.slice(0, -1))) return false;
  const mem = tf.backend() as unknown as WasmModuleMemory;
  if (!ceOf(mem) || !expOf(mem) || !sumsOf(mem)) return false;
  if (!registered) {
    for (const [kernelName, kernelFunc] of [[FORWARD, forwardKernel], [VALUES, valuesKernel], [GRAD, gradKernel]] as const) {
      tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
    registered = true;
  }
  return true;
}

/** What the backward pass of {@link fusedSoftmaxCrossEntropy} needs: `e = exp(x - max)`, its row sums `s`, the labels. */
export type CrossEntropySaved = [e: tf.Tensor, s: tf.Tensor, labels: tf.Tensor];

/**
 * Per-item `-sum(onehot(labels) * logSoftmax(logits), -1)` in four kernels,
 * for logits and labels that {@link fusedCrossEntropyApplies} has accepted
 * (it registers the kernels). Returns the values and what
 * {@link fusedSoftmaxCrossEntropyGrad} needs.
 *
 * Shapes: `logits` `(..., n)` float32, `labels` `(...)` int32; values `(...)`.
 *
 * @example
 * ```ts
 * if (fusedCrossEntropyApplies(logits, labels)) [values, saved] = fusedSoftmaxCrossEntropy(logits, labels);
 * ```
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): [tf.Tensor, CrossEntropySaved] {
  const engine = tf.engine();
  const [e, s, mx] = engine.runKernel(FORWARD, { logits }) as unknown as tf.Tensor[];
  const logS = tf.log(s);
  const values = engine.runKernel(VALUES, { logits, labels, mx, logS }) as tf.Tensor;
  tf.dispose([mx, logS]);
  return [values, [e, s, labels]];
}

/**
 * The gradient with respect to the logits, `e (mass dy / s) - onehot(labels) dy`
 * (`mass` 1 for a label in range, else 0), from what
 * {@link fusedSoftmaxCrossEntropy} saved, as one kernel.
 *
 * Shapes: `dy` `(...)`; result like the logits.
 *
 * @example
 * ```ts
 * const dLogits = fusedSoftmaxCrossEntropyGrad(dy, saved);
 * ```
 */
export function fusedSoftmaxCrossEntropyGrad(dy: tf.Tensor, [e, s, labels]: CrossEntropySaved): tf.Tensor {
  return tf.engine().runKernel(GRAD, { e, s, labels, dy }) as tf.Tensor;
}
