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
    const { value, grads } = tf.valueAndGrads(fn)(floatIdx.map((k) => leaves[k] as tf.Tensor));
    const gradLeaves = leaves.map((l) => (isTensor(l) ? null : l)) as unknown[];
    floatIdx.forEach((k, j) => (gradLeaves[k] = grads[j]));
    leaves.forEach((l, k) => {
      if (isTensor(l) && gradLeaves[k] === null) gradLeaves[k] = tf.zerosLike(l);
    });
    return [value as tf.Scalar, treeUnflatten(gradLeaves, x as Nested<unknown>)[0] as T];
  };
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
