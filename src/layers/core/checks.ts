/**
 * Input checks and small formatting helpers shared by the core layers.
 * @module
 */
import { tf } from "../../backend/tf";
import { ShapeDtype } from "../../shapes";

/**
 * Throws unless `x` is a floating-point tensor.
 *
 * @example
 * ```ts
 * tl.assertFloat("Dense", tf.ones([2])); // passes
 * tl.assertFloat("Dense", tf.ones([2], "int32")); // throws: Dense needs float32 input; got int32
 * ```
 */
export function assertFloat(layer: string, x: tf.Tensor | ShapeDtype): void {
  if (x.dtype !== "float32") {
    throw new TypeError(`${layer} needs float32 input; got ${x.dtype} (convert with tl.ToFloat() or x.toFloat())`);
  }
}

/**
 * The dtype JAX's promotion gives for operands of these dtypes (among the
 * dtypes tfjs has): float32 if any is float32, else int32 if any is int32,
 * else bool. Strings and complex numbers are refused, as JAX refuses them.
 *
 * @example
 * ```ts
 * resultDtype("Dense", "int32", "int32"); // "int32"
 * resultDtype("Dense", "int32", "float32"); // "float32"
 * ```
 */
export function resultDtype(layer: string, ...dtypes: tf.DataType[]): "float32" | "int32" | "bool" {
  for (const d of dtypes) {
    if (d !== "float32" && d !== "int32" && d !== "bool") throw new TypeError(`${layer} needs numeric input (float32, int32 or bool); got ${d}`);
  }
  if (dtypes.includes("float32")) return "float32";
  return dtypes.includes("int32") ? "int32" : "bool";
}

/**
 * `x` as an inexact (float32) tensor, as JAX promotes integer and boolean
 * inputs of functions that need floats (`exp`, `tanh`, means, dot with float
 * weights); a float32 `x` is returned as is. Strings and complex are refused.
 *
 * @example
 * ```ts
 * toInexact("Sigmoid", tf.tensor([1, 2], [2], "int32")).dtype; // "float32"
 * ```
 */
export function toInexact(layer: string, x: tf.Tensor): tf.Tensor {
  if (x.dtype === "float32") return x;
  resultDtype(layer, x.dtype);
  return x.cast("float32");
}

/**
 * Throws unless the input signature (or tensor) holds numbers or booleans,
 * which a layer that promotes integers to float32 accepts.
 *
 * @example
 * ```ts
 * assertPromotable("Dense", new ShapeDtype([2, 3], "int32")); // passes
 * ```
 */
export function assertPromotable(layer: string, x: tf.Tensor | ShapeDtype): void {
  resultDtype(layer, x.dtype);
}

/**
 * Throws unless `x` holds numbers (float32 or int32), not bool, string or complex.
 *
 * @example
 * ```ts
 * assertNumeric("Sum", tf.tensor([1, 2], [2], "int32")); // passes
 * assertNumeric("Sum", tf.tensor([true])); // throws: Sum needs float32 or int32 input; got bool
 * ```
 */
export function assertNumeric(layer: string, x: tf.Tensor | ShapeDtype): void {
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new TypeError(`${layer} needs float32 or int32 input; got ${x.dtype}`);
  }
}

/**
 * An axis in `[-rank, rank)` made non-negative; a clear error otherwise.
 *
 * @example
 * ```ts
 * normalizeAxis("Mean", -1, 3); // 2
 * normalizeAxis("Mean", 3, 3); // throws: Mean: axis 3 is out of range for input of rank 3 (valid: -3 to 2)
 * ```
 */
export function normalizeAxis(layer: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${layer}: axis ${axis} is out of range for input of rank ${rank} (valid: ${-rank} to ${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * One axis, several axes, or null (all), each checked against `rank`.
 *
 * @example
 * ```ts
 * normalizeAxes("Sum", [0, -1], 3); // [0, 2]
 * normalizeAxes("Sum", null, 3); // undefined (all axes)
 * ```
 */
export function normalizeAxes(layer: string, axis: number | readonly number[] | null | undefined, rank: number): number[] | undefined {
  if (axis === null || axis === undefined) return undefined;
  const axes = typeof axis === "number" ? [axis] : [...axis];
  const out = axes.map((a) => normalizeAxis(layer, a, rank));
  if (new Set(out).size !== out.length) throw new Error(`${layer}: repeated axis in [${axes}]`);
  return out;
}

/**
 * A shape as Python prints a tuple: `()`, `(5,)`, `(2, 3)`.
 *
 * @example
 * ```ts
 * pyShape([5]); // "(5,)"
 * pyShape([2, 3]); // "(2, 3)"
 * ```
 */
export function pyShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Throws unless `mode` is one of Trax's three modes.
 *
 * @example
 * ```ts
 * checkMode("Dropout", "eval"); // passes
 * checkMode("Dropout", "test"); // throws: Dropout: mode must be "train", "eval" or "predict"; got "test"
 * ```
 */
export function checkMode(layer: string, mode: string, allowed: readonly string[] = ["train", "eval", "predict"]): void {
  if (typeof mode !== "string" || !allowed.includes(mode)) {
    const list = allowed.map((m) => JSON.stringify(m));
    throw new Error(`${layer}: mode must be ${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}; got ${JSON.stringify(mode)}`);
  }
}

/**
 * Converts what an initializer returned (a tensor, or JS numbers / nested
 * arrays, as Python initializers may return numpy arrays) to a tensor of the
 * expected shape.
 *
 * @example
 * ```ts
 * initializerResult("Weights", [[1, 2, 3, 4]], [2, 2]).shape; // [2, 2] (JS arrays are reshaped)
 * initializerResult("Weights", tf.ones([4]), [2, 2]); // throws: the initializer returned shape [4]; expected [2,2]
 * ```
 */
export function initializerResult(layer: string, value: unknown, shape: readonly number[]): tf.Tensor {
  let t: tf.Tensor;
  if (value instanceof tf.Tensor) t = value;
  else if (typeof value === "number" || Array.isArray(value) || ArrayBuffer.isView(value)) t = tf.tensor(value as tf.TensorLike);
  else throw new TypeError(`${layer}: the initializer must return a tensor; got ${value === null ? "null" : typeof value}`);
  const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!same) {
    if (t.size === shape.reduce((a, b) => a * b, 1) && !(value instanceof tf.Tensor)) {
      const r = t.reshape([...shape]);
      t.dispose();
      return r;
    }
    const got = [...t.shape];
    if (!(value instanceof tf.Tensor)) t.dispose();
    throw new Error(`${layer}: the initializer returned shape [${got}]; expected [${shape}]`);
  }
  return t;
}
