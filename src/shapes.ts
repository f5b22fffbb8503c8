/**
 * Shapes and dtypes of tensors, without the values: `ShapeDtype` and
 * `signature`, as in `trax.shapes`.
 *
 * @example
 * ```ts
 * const sig = new trax.shapes.ShapeDtype([8, 16]);   // float32 by default
 * trax.shapes.signature(tf.zeros([2, 3]));           // ShapeDtype{shape:(2, 3), dtype:float32}
 * ```
 * @module
 */
import { inspect } from "util";
import { tf } from "./backend/tf";

/** A tfjs dtype. */
export type DType = tf.DataType;

const DTYPES: readonly string[] = ["float32", "int32", "bool", "complex64", "string"];

/**
 * The shape and dtype of one tensor.
 *
 * @example
 * ```ts
 * new ShapeDtype([2, 3], "int32").toString(); // "ShapeDtype{shape:(2, 3), dtype:int32}"
 * ```
 */
export class ShapeDtype {
  /** The dimensions. */
  readonly shape: readonly number[];
  /** The element type. */
  readonly dtype: DType;

  constructor(shape: readonly number[], dtype: DType = "float32") {
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new TypeError(`trax-ts: ShapeDtype needs an array of non-negative integers, got ${inspect(shape)}`);
    }
    if (!DTYPES.includes(dtype)) {
      throw new TypeError(`trax-ts: unknown dtype '${dtype}'; one of ${DTYPES.join(", ")}`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True when shape and dtype are equal. */
  equals(other: ShapeDtype): boolean {
    return other instanceof ShapeDtype && other.dtype === this.dtype &&
      other.shape.length === this.shape.length && other.shape.every((d, i) => d === this.shape[i]);
  }

  toString(): string {
    const dims = this.shape.length === 1 ? `${this.shape[0]},` : this.shape.join(", ");
    return `ShapeDtype{shape:(${dims}), dtype:${this.dtype}}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  toJSON(): { shape: number[]; dtype: DType } {
    return { shape: [...this.shape], dtype: this.dtype };
  }
}

/** A signature: one ShapeDtype or a (nested) array of them. */
export type Signature = ShapeDtype | readonly Signature[];

/** Anything {@link signature} accepts: tensors, JS numbers, nested arrays, typed arrays. */
export type SignatureSource = unknown;

function inferShape(x: unknown): number[] | null {
  if (typeof x === "number" || typeof x === "boolean") return [];
  if (ArrayBuffer.isView(x)) return [(x as Float32Array).length];
  if (Array.isArray(x)) {
    if (x.length === 0) return [0];
    const inner = inferShape(x[0]);
    if (inner === null) return null;
    return [x.length, ...inner];
  }
  return null;
}

/**
 * True for data that converts into one tensor: numbers, typed arrays, nested numeric arrays.
 *
 * @example
 * ```ts
 * isTensorData([[1, 2], [3, 4]]); // true
 * isTensorData([tf.ones([2]), 3]); // false (a list of inputs)
 * ```
 */
export function isTensorData(x: unknown): boolean {
  if (typeof x === "number" || typeof x === "boolean") return true;
  if (ArrayBuffer.isView(x)) return true;
  if (Array.isArray(x)) return x.length > 0 && isTensorData(x[0]) && !(x[0] instanceof tf.Tensor);
  return false;
}

function dtypeOfData(x: unknown): DType {
  if (x instanceof Int32Array || x instanceof Uint8Array || x instanceof Int16Array || x instanceof Uint16Array || x instanceof Int8Array) return "int32";
  if (typeof x === "boolean") return "bool";
  if (Array.isArray(x) && x.length > 0) return dtypeOfData(x[0]);
  return "float32";
}

/**
 * The signature of a value: a `ShapeDtype` for a tensor (or data that becomes
 * one), an array of signatures for an array of values.
 *
 * @example
 * ```ts
 * signature([tf.zeros([2]), tf.ones([3, 4], "int32")]);
 * // [ShapeDtype{shape:(2,), dtype:float32}, ShapeDtype{shape:(3, 4), dtype:int32}]
 * ```
 */
export function signature(x: SignatureSource): Signature {
  if (x instanceof ShapeDtype) return x;
  if (x instanceof tf.Tensor) return new ShapeDtype(x.shape, x.dtype);
  if (isTensorData(x)) {
    const shape = inferShape(x);
    if (shape) return new ShapeDtype(shape, dtypeOfData(x));
  }
  if (Array.isArray(x)) return x.map((v) => signature(v));
  if (x && typeof x === "object" && "shape" in x && "dtype" in x) {
    const s = x as { shape: number[]; dtype: DType };
    return new ShapeDtype(s.shape, s.dtype);
  }
  throw new TypeError(`trax-ts: cannot take the signature of ${inspect(x, { depth: 1 })}`);
}

/**
 * Formats a signature (or anything) compactly for messages.
 *
 * @example
 * ```ts
 * formatSignature([new ShapeDtype([2]), new ShapeDtype([3], "int32")]);
 * // "[ShapeDtype{shape:(2,), dtype:float32}, ShapeDtype{shape:(3,), dtype:int32}]"
 * ```
 */
export function formatSignature(sig: unknown): string {
  if (sig instanceof ShapeDtype) return sig.toString();
  if (Array.isArray(sig)) return `[${sig.map(formatSignature).join(", ")}]`;
  return String(sig);
}

/**
 * Makes sure something is a ShapeDtype or array of them (accepts `{shape, dtype}` objects).
 *
 * @example
 * ```ts
 * toSignature({ shape: [2, 3], dtype: "float32" }); // ShapeDtype{shape:(2, 3), dtype:float32}
 * ```
 */
export function toSignature(x: unknown): Signature {
  return signature(x);
}
