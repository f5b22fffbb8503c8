/**
 * Output types of layer calls, where a constructor knows them: `tl.Dense(4)(x)`
 * is a `tf.Tensor`, `tl.Attention(8)([x, mask])` a `[tf.Tensor, tf.Tensor]`,
 * and a `Serial` of one-output layers a `tf.Tensor` again. Types only: the
 * layers are the same objects at run time.
 *
 * A layer whose outputs the types cannot know (a generic `tl.Layer`, `tl.Fn`,
 * `Select`, ...) returns {@link LayerOutput}, which reads as a tensor and as an
 * array of tensors.
 * @module
 */
import type { tf } from "../backend/tf";
import type { CallOptions, InputLike, Layer } from "./base";

/** Brands a layer whose call output type is known (a type-level mark; no such property exists at run time). */
declare const OUTPUT: unique symbol;

/**
 * The call signature of a layer whose output type is known: `Out` is
 * `tf.Tensor` for one output, a tuple of tensors for several.
 *
 * @example
 * ```ts
 * const dense: tl.Returns<tf.Tensor> & tl.Layer = tl.Dense(4);
 * dense(tf.ones([2, 3])).shape; // [2, 4], typed as a tensor
 * ```
 */
export interface Returns<Out> {
  (x?: InputLike, options?: CallOptions): Out;
  /** Type-level only: the output type of a call. */
  readonly [OUTPUT]: Out;
}

/**
 * A layer of class `L` whose call returns one tensor.
 *
 * @example
 * ```ts
 * const relu: tl.OneOutput = tl.Relu();
 * relu(tf.tensor([-1, 2])).arraySync(); // [0, 2]
 * ```
 */
export type OneOutput<L extends Layer = Layer> = Returns<tf.Tensor> & L;

/**
 * A layer of class `L` whose call returns two tensors.
 *
 * @example
 * ```ts
 * const [y, mask] = tl.Attention(8)([tf.ones([1, 3, 8]), tf.ones([1, 1, 1, 3], "bool")]);
 * ```
 */
export type TwoOutputs<L extends Layer = Layer> = Returns<[tf.Tensor, tf.Tensor]> & L;

/** Per argument: a layer known to return one tensor (true), another layer, `null` or a list (false), an options object (true). */
type OneOutputOrOptions<E> = E extends Layer ? (E extends Returns<tf.Tensor> ? true : false) : E extends null | readonly unknown[] ? false : true;

/** True when every layer among the arguments `A` is known to return one tensor (options objects aside). */
type AllOneOutput<A extends readonly unknown[]> = false extends OneOutputOrOptions<A[number]> ? false : true;

/**
 * What `Serial(...args)` returns: a one-output layer when every sublayer is
 * one (each takes at least one input; the data stack then ends with one
 * item), else a layer of unknown outputs.
 */
export type SerialOf<A extends readonly unknown[], L extends Layer> = AllOneOutput<A> extends true ? OneOutput<L> : L;

/** `[tf.Tensor, ...]`, one tensor per item of `A`. */
type TensorPerItem<A extends readonly unknown[]> = { -readonly [K in keyof A]: tf.Tensor };

/**
 * Types a layer built from one-output parts as returning one tensor (the
 * same object; types only).
 *
 * @example
 * ```ts
 * return oneOutput(Serial(Select([0, 0, 0]), AttentionQKV(8), Select([0])));
 * ```
 */
export function oneOutput<L extends Layer>(layer: L): OneOutput<L> {
  return layer as OneOutput<L>;
}

/**
 * Types a layer as returning two tensors (the same object; types only).
 *
 * @example
 * ```ts
 * return twoOutputs(Serial(Select([0, 0, 0]), AttentionQKV(8)));
 * ```
 */
export function twoOutputs<L extends Layer>(layer: L): TwoOutputs<L> {
  return layer as TwoOutputs<L>;
}

/**
 * What `Branch(...layers)` returns: one tensor per branch when every branch
 * is a one-output layer or `null` (identity) and there is no options object
 * (a single branch is that layer: one tensor), else a layer of unknown outputs.
 */
export type BranchOf<A extends readonly unknown[], L extends Layer> = false extends OneOutputOrNull<A[number]>
  ? L
  : A extends readonly [unknown]
    ? OneOutput<L>
    : Returns<TensorPerItem<A>> & L;

/** Per branch: a layer known to return one tensor or `null` (identity) is true; anything else (options too) false. */
type OneOutputOrNull<E> = E extends null ? true : E extends Returns<tf.Tensor> ? true : false;
