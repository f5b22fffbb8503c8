/**
 * Ops with hand-written gradients that cost nothing they need not: unlike
 * `tf.customGrad` (which computes the gradient of every input at once, and
 * runs its bookkeeping on every call), an op made here
 *
 * - computes the gradient of an input only when the backward pass asks for
 *   it (tfjs's tape prunes inputs that do not lead from the differentiated
 *   variables, such as a model's data batch: no input gradient for a
 *   model's first Dense), and
 * - runs its plain forward math, with no tape machinery, when no gradient is
 *   being recorded (eager calls, inference, a forward inside another op).
 * @module
 */
import { tf } from "../backend/tf";

/** The parts of tfjs's engine this module uses (stable across tfjs 4.x, not in its typings). */
interface EngineInternals {
  state: { gradientDepth: number; kernelDepth: number };
  runKernelFunc?: (params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }) => tf.Tensor;
}

const engine = (): EngineInternals => tf.engine() as unknown as EngineInternals;

/**
 * True when an op run now is recorded for a gradient (inside `tf.grads`,
 * `trax.fastmath.grad` and the like, and not inside another op's forward).
 *
 * @example
 * ```ts
 * isRecordingGradients(); // false
 * tf.grad((x: tf.Tensor) => (isRecordingGradients() ? x : x.mul(0)).sum())(tf.ones([2])); // [1, 1]
 * ```
 */
export function isRecordingGradients(): boolean {
  const s = engine().state;
  return s.gradientDepth > 0 && s.kernelDepth === 0;
}

/** The gradient of the op's output with respect to one input, computed when called. */
export type LazyGradient = () => tf.Tensor;

/**
 * Runs `forward` as one op with hand-written gradients, one function per
 * input, each called only if the backward pass needs that input's gradient.
 * `forward` may `save` tensors (inputs or intermediates) for the backward
 * pass; `gradients(dy, saved)` returns one {@link LazyGradient} per input, in
 * the order of `inputs`. When no gradient is being recorded, the caller
 * should run its plain math instead (see {@link isRecordingGradients}); this
 * function still works then, without recording.
 *
 * Shapes: each gradient has the shape of its input; `dy` the output's.
 *
 * @example
 * ```ts
 * const square = (x: tf.Tensor) =>
 *   opWithLazyGradients([x], (save) => { save([x]); return x.square(); }, (dy, [sx]) => [() => dy.mul(sx).mul(2)]);
 * tf.grad(square)(tf.tensor([3])); // [6]
 * ```
 */
export function opWithLazyGradients(
  inputs: tf.Tensor[],
  forward: (save: (tensors: tf.Tensor[]) => void) => tf.Tensor,
  gradients: (dy: tf.Tensor, saved: tf.Tensor[]) => LazyGradient[]
): tf.Tensor {
  const e = engine();
  const inputMap: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (inputMap[i] = t));
  const backwardsFunc = (dy: tf.Tensor, saved: tf.Tensor[]): Record<string, () => tf.Tensor> => {
    const fns = gradients(dy, saved);
    if (fns.length !== inputs.length) {
      throw new Error(`opWithLazyGradients: ${fns.length} gradient functions for ${inputs.length} inputs`);
    }
    const map: Record<string, () => tf.Tensor> = {};
    fns.forEach((f, i) => (map[i] = f));
    return map;
  };
  if (typeof e.runKernelFunc === "function") {
    return e.runKernelFunc.call(e, { forwardFunc: (_backend, save) => forward(save), backwardsFunc, inputs: inputMap });
  }
  // A tfjs without runKernelFunc: tf.customGrad, every gradient computed.
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (tensors: tf.Tensor[]) => void;
    return {
      value: forward(save),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const map = backwardsFunc(dy, saved);
        return inputs.map((_, i) => map[i]());
      },
    };
  }) as never) as unknown as (...ts: tf.Tensor[]) => tf.Tensor;
  return f(...inputs);
}
