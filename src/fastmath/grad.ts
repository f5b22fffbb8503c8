/**
 * Gradients of scalar functions of nested weight structures (`grad`,
 * `valueAndGrad`), as `trax.fastmath.grad` (JAX's `grad`) with respect to the
 * first argument. Layers with a custom `backward` are honoured: their
 * `pureFn` runs under `tf.customGrad`.
 * @module
 */
import { tf } from "../backend/tf";
import { isTensor, treeFlatten, treeUnflatten } from "./tree";
import type { Nested } from "./tree";

/** A tree of tensors (nested arrays; non-tensor leaves are passed through). */
export type TensorTree = Nested<tf.Tensor | unknown>;

/**
 * Returns a function computing `[f(x, ...rest), df/dx]`, where `x` is a tensor
 * or a nested array of tensors and `f` returns a scalar tensor. The gradient
 * has the structure of `x` (integer leaves get zeros).
 *
 * @example
 * ```ts
 * const loss = (w: tf.Tensor[]) => w[0].square().sum();
 * const [value, [g]] = trax.fastmath.valueAndGrad(loss)([tf.tensor([1, 2])]); // 5, [2, 4]
 * ```
 */
export function valueAndGrad<T extends TensorTree, R extends unknown[]>(
  f: (x: T, ...rest: R) => tf.Tensor
): (x: T, ...rest: R) => [tf.Scalar, T] {
  return (x: T, ...rest: R) => {
    const leaves = treeFlatten(x as Nested<unknown>);
    const floatIdx: number[] = [];
    leaves.forEach((l, i) => {
      if (isTensor(l) && l.dtype === "float32") floatIdx.push(i);
    });
    const fn = (...vars: tf.Tensor[]) => {
      const replaced = [...leaves];
      floatIdx.forEach((k, j) => (replaced[k] = vars[j]));
      const tree = treeUnflatten(replaced, x as Nested<unknown>)[0] as T;
      const v = f(tree, ...rest);
      if (!isTensor(v) || v.size !== 1) {
        throw new Error(`grad: the function must return a scalar tensor; got ${isTensor(v) ? `shape [${v.shape}]` : typeof v}`);
      }
      return v.reshape([]) as tf.Scalar;
    };
    const xs = floatIdx.map((k) => leaves[k] as tf.Tensor);
    // allowNoGradients: a leaf the value does not depend on gets zeros, not an error.
    const { value, grads } =
      xs.length === 0
        ? { value: tf.tidy(() => fn()), grads: [] as tf.Tensor[] }
        : withOwnTape(() => tf.engine().gradients(() => fn(...xs), xs, undefined, true));
    const gradLeaves = leaves.map((l) => (isTensor(l) ? null : l)) as unknown[];
    floatIdx.forEach((k, j) => (gradLeaves[k] = grads[j]));
    leaves.forEach((l, k) => {
      if (isTensor(l) && gradLeaves[k] == null) gradLeaves[k] = tf.zerosLike(l);
    });
    return [value as tf.Scalar, treeUnflatten(gradLeaves, x as Nested<unknown>)[0] as T];
  };
}

/**
 * Runs a gradient computation that may be nested in another one's backward
 * pass (a custom gradient that differentiates): tfjs drops the outer pass's
 * tape when an inner pass at depth 0 ends, so the outer tape is put back.
 *
 * @example
 * ```ts
 * // inside a custom gradient that itself differentiates:
 * const dx = withOwnTape(() => tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor([3]))); // [6]
 * ```
 */
export function withOwnTape<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
  const outerTape = state.activeTape;
  try {
    return f();
  } finally {
    state.activeTape = outerTape;
  }
}

/**
 * Returns a function computing the gradient of scalar `f` with respect to its
 * first argument (a tensor or a nested array of tensors).
 *
 * @example
 * ```ts
 * const g = trax.fastmath.grad((x: tf.Tensor) => x.square().sum())(tf.tensor([3])); // [6]
 * ```
 */
export function grad<T extends TensorTree, R extends unknown[]>(f: (x: T, ...rest: R) => tf.Tensor): (x: T, ...rest: R) => T {
  const vg = valueAndGrad(f);
  return (x: T, ...rest: R) => {
    const [value, g] = vg(x, ...rest);
    value.dispose();
    return g;
  };
}

/**
 * Vector-Jacobian product, as JAX's `vjp` applied at once: the outputs of
 * `f(primals)` and the gradient of `sum(outputs * cotangents)` with respect
 * to every leaf of `primals`. `primals` and `cotangents` are tensors or nested
 * arrays of them; the gradient has the structure of `primals`, with zeros for
 * integer leaves and for leaves the outputs do not depend on.
 *
 * Shapes: each cotangent has the shape of the matching output.
 *
 * @example
 * ```ts
 * const [y, [gx]] = trax.fastmath.vjp(([x]: tf.Tensor[]) => x.square(), [tf.tensor([1, 2])], tf.tensor([1, 1]));
 * // y = [1, 4], gx = [2, 4]
 * ```
 */
export function vjp<T extends TensorTree, O extends TensorTree>(
  f: (primals: T) => O,
  primals: T,
  cotangents: O
): [O, T] {
  const ctLeaves = treeFlatten(cotangents as Nested<unknown>).filter(isTensor);
  const primalLeaves = new Set(treeFlatten(primals as Nested<unknown>));
  let outputs: O | undefined;
  const [value, grads] = valueAndGrad((p: T) => {
    const out = f(p);
    const outLeaves = treeFlatten(out as Nested<unknown>).filter(isTensor);
    if (outLeaves.length !== ctLeaves.length) {
      throw new Error(`vjp: ${ctLeaves.length} cotangents for ${outLeaves.length} outputs`);
    }
    // Outputs outlive the gradient's tidy scope: the caller owns them
    // (an output that is one of the primals was never the scope's to free).
    for (const o of outLeaves) if (!primalLeaves.has(o)) tf.keep(o);
    outputs = out;
    let total: tf.Tensor = tf.scalar(0);
    outLeaves.forEach((o, i) => {
      if (!arraysEqual(o.shape, ctLeaves[i].shape)) {
        throw new Error(`vjp: cotangent ${i} has shape [${ctLeaves[i].shape}], output has [${o.shape}]`);
      }
      if (o.dtype === "float32") total = total.add(o.mul(ctLeaves[i]).sum());
    });
    return total;
  })(primals);
  value.dispose();
  return [outputs as O, grads];
}

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
