/**
 * Examples (one training case, plain JavaScript arrays) and how a list of
 * them becomes a batch of tensors, padded where lengths differ.
 * @module
 */
import { tf } from "../backend/tf";

/**
 * An n-dimensional array in plain JavaScript: flat values and a shape. Its
 * dtype is the array's kind: `Int32Array` (also `Uint8Array`, `Int16Array`, ...)
 * is int32, `Float32Array`/`Float64Array` is float32.
 *
 * @example
 * ```ts
 * const label: trax.data.NDArray = { data: Int32Array.of(3), shape: [] };
 * const image: trax.data.NDArray = { data: new Float32Array(64), shape: [8, 8] };
 * ```
 */
export interface NDArray {
  readonly data: Float32Array | Int32Array | Float64Array | Uint8Array | Int16Array | Uint16Array | Int8Array;
  readonly shape: readonly number[];
}

/** A nested JavaScript array of numbers (`[[1, 2], [3, 4]]`). */
export type NestedNumbers = number | readonly NestedNumbers[];

/**
 * One item of an example: a number, nested number arrays (float32), a 1-D
 * typed array (its kind gives the dtype), or an {@link NDArray}.
 */
export type ExampleItem = NestedNumbers | Float32Array | Int32Array | Float64Array | Uint8Array | Int16Array | NDArray;

/**
 * One example: a tuple of items, as Trax's `(inputs, targets)` or
 * `(inputs, targets, weights)`. Examples are plain JavaScript (no tensors), so
 * a stream of them holds no tensor memory; {@link batch} makes the tensors.
 *
 * @example
 * ```ts
 * const ex: trax.data.Example = [Float32Array.of(0.1, 0.2), { data: Int32Array.of(1), shape: [] }];
 * ```
 */
export type Example = ExampleItem[];

/** An item reduced to flat values, a shape and a dtype. */
export interface FlatItem {
  data: ArrayLike<number>;
  shape: number[];
  dtype: "float32" | "int32";
}

function isNDArray(x: unknown): x is NDArray {
  return typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && "data" in x && "shape" in x;
}

function typedDtype(x: ArrayBufferView): "float32" | "int32" {
  return x instanceof Float32Array || x instanceof Float64Array ? "float32" : "int32";
}

function nestedShape(x: NestedNumbers, where: string): number[] {
  if (typeof x === "number") return [];
  if (!Array.isArray(x)) throw new Error(`trax-ts data: ${where} must be a number, nested number arrays, a typed array or {data, shape}; got ${describe(x)}`);
  if (x.length === 0) return [0];
  const inner = nestedShape(x[0], where);
  for (let i = 1; i < x.length; i++) {
    const s = nestedShape(x[i], where);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new Error(`trax-ts data: ${where} is a ragged nested array (rows of shapes [${inner}] and [${s}])`);
    }
  }
  return [x.length, ...inner];
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  return typeof x === "object" ? (x as object).constructor?.name ?? "object" : typeof x;
}

/**
 * Reduces an example item to `{ data, shape, dtype }`.
 *
 * @example
 * ```ts
 * trax.data.flatItem([[1, 2], [3, 4]]); // { data: [1, 2, 3, 4], shape: [2, 2], dtype: "float32" }
 * ```
 */
export function flatItem(x: ExampleItem, where = "an example item"): FlatItem {
  if (typeof x === "number") return { data: [x], shape: [], dtype: "float32" };
  if (ArrayBuffer.isView(x)) {
    const t = x as unknown as ArrayLike<number> & ArrayBufferView;
    return { data: t, shape: [t.length], dtype: typedDtype(x) };
  }
  if (isNDArray(x)) {
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (size !== x.data.length) {
      throw new Error(`trax-ts data: ${where} has shape [${x.shape}] (${size} values) but ${x.data.length} values`);
    }
    return { data: x.data, shape: [...x.shape], dtype: typedDtype(x.data) };
  }
  const shape = nestedShape(x as NestedNumbers, where);
  const data = (x as unknown[]).flat(Infinity) as number[];
  return { data, shape, dtype: "float32" };
}

/** Options of {@link stackExamples} and {@link batch}. */
export interface StackOptions {
  /** Value written into padded positions; default 0 (Trax pads with 0). */
  padValue?: number;
  /**
   * Round the padded length (the first axis of every non-scalar item) up to a
   * multiple of this; default 1. Trax's `pad_to_multiple`/`boundary`.
   */
  padToMultiple?: number;
  /** Force the dtype of each position (e.g. `["float32", "int32"]`); `null` keeps the item's. */
  dtypes?: ReadonlyArray<"float32" | "int32" | null>;
}

/**
 * Stacks the items at one position of several examples into one tensor of
 * shape `[n, ...maxShape]`, padding every axis to the largest size found (as
 * Trax's `pad_to_max_dims`), the first axis up to a multiple of `padToMultiple`.
 * Also returns the unpadded length (first axis) of each item.
 */
export function stackItems(
  items: readonly ExampleItem[],
  options: { padValue?: number; padToMultiple?: number; dtype?: "float32" | "int32" | null; where?: string } = {}
): { tensor: tf.Tensor; lengths: number[] } {
  const where = options.where ?? "item";
  if (items.length === 0) throw new Error("trax-ts data: cannot stack zero examples");
  const flats = items.map((x, i) => flatItem(x, `${where} of example ${i}`));
  const rank = flats[0].shape.length;
  for (let i = 1; i < flats.length; i++) {
    if (flats[i].shape.length !== rank) {
      throw new Error(`trax-ts data: ${where} has rank ${rank} in example 0 (shape [${flats[0].shape}]) but rank ${flats[i].shape.length} in example ${i} (shape [${flats[i].shape}])`);
    }
  }
  const dtype = options.dtype ?? flats[0].dtype;
  const maxShape = new Array<number>(rank).fill(0);
  for (const f of flats) f.shape.forEach((d, j) => (maxShape[j] = Math.max(maxShape[j], d)));
  const multiple = options.padToMultiple ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`trax-ts data: padToMultiple must be a positive integer, got ${multiple}`);
  if (rank > 0 && multiple > 1) maxShape[0] = Math.ceil(maxShape[0] / multiple) * multiple;
  const inner = maxShape.reduce((a, b) => a * b, 1);
  const out = dtype === "int32" ? new Int32Array(inner * flats.length) : new Float32Array(inner * flats.length);
  const padValue = options.padValue ?? 0;
  if (padValue !== 0) out.fill(padValue);
  // Strides of the padded layout, to copy each item's values into place.
  const strides = new Array<number>(rank).fill(1);
  for (let j = rank - 2; j >= 0; j--) strides[j] = strides[j + 1] * maxShape[j + 1];
  flats.forEach((f, i) => {
    const base = i * inner;
    const same = f.shape.every((d, j) => d === maxShape[j]);
    if (same) {
      for (let k = 0; k < f.data.length; k++) out[base + k] = f.data[k];
      return;
    }
    const srcStrides = new Array<number>(rank).fill(1);
    for (let j = rank - 2; j >= 0; j--) srcStrides[j] = srcStrides[j + 1] * f.shape[j + 1];
    for (let k = 0; k < f.data.length; k++) {
      let rem = k;
      let dst = base;
      for (let j = 0; j < rank; j++) {
        const idx = Math.floor(rem / srcStrides[j]);
        rem -= idx * srcStrides[j];
        dst += idx * strides[j];
      }
      out[dst] = f.data[k];
    }
  });
  return { tensor: tf.tensor(out, [flats.length, ...maxShape], dtype), lengths: flats.map((f) => (rank > 0 ? f.shape[0] : 1)) };
}

/**
 * Turns a list of examples (tuples of the same arity) into a batch: one
 * tensor per position, padded where sizes differ (see {@link stackItems}).
 * The caller owns the returned tensors and disposes them.
 *
 * @example
 * ```ts
 * const [x, y] = trax.data.stackExamples([[[1, 2], 0], [[3], 1]]);
 * // x: float32 [[1, 2], [3, 0]], y: float32 [0, 1]
 * ```
 */
export function stackExamples(examples: readonly Example[], options: StackOptions = {}): tf.Tensor[] {
  if (examples.length === 0) throw new Error("trax-ts data: cannot batch zero examples");
  const arity = examples[0].length;
  examples.forEach((ex, i) => {
    if (!Array.isArray(ex)) throw new Error(`trax-ts data: an example is an array [inputs, targets, ...]; example ${i} is ${describe(ex)}`);
    if (ex.length !== arity) throw new Error(`trax-ts data: example 0 has ${arity} items but example ${i} has ${ex.length}`);
  });
  const out: tf.Tensor[] = [];
  try {
    for (let p = 0; p < arity; p++) {
      out.push(
        stackItems(
          examples.map((ex) => ex[p]),
          { padValue: options.padValue, padToMultiple: options.padToMultiple, dtype: options.dtypes?.[p] ?? null, where: `item ${p}` }
        ).tensor
      );
    }
  } catch (e) {
    tf.dispose(out);
    throw e;
  }
  return out;
}
