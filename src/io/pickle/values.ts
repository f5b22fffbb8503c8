/**
 * The Python values a restricted unpickle produces, as JavaScript values:
 *
 * | Python                         | JavaScript                                   |
 * |--------------------------------|----------------------------------------------|
 * | `None`, `True`/`False`         | `null`, `true`/`false`                       |
 * | `int`                          | `number` (a `bigint` beyond 2^53)            |
 * | `float`, `str`                 | `number`, `string`                           |
 * | `bytes`, `bytearray`           | `Uint8Array`                                 |
 * | `list`, `tuple`                | `Array` ({@link isPyTuple} tells a tuple)     |
 * | `dict`, `collections.defaultdict` | `Map` (key order kept)                    |
 * | `numpy.ndarray`, `jax.Array`, numpy scalar | {@link PickledArray}             |
 * | `numpy.dtype`, `numpy.float32` (the type) | {@link PickledDtype}              |
 * | `trax.shapes.ShapeDtype`       | {@link PickledShapeDtype}                    |
 * | an allowed global itself       | {@link PyGlobal}                             |
 * @module
 */
import { inspect } from "util";
import type { NpyArray, NpyData } from "../npy";

/**
 * An error in a pickle: a global outside the allow-list, a malformed or truncated stream.
 *
 * @example
 * ```ts
 * try { unpickle(bytes, { what: "model.pkl" }); } catch (e) { e instanceof UnpicklingError; } // "model.pkl: global 'os.system' is not allowed ..."
 * ```
 */
export class UnpicklingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnpicklingError";
  }
}

const TUPLES = new WeakSet<object>();

/**
 * Marks an array as a Python tuple (frozen) and returns it.
 *
 * @example
 * ```ts
 * isPyTuple(pyTuple([1, 2])); // true
 * ```
 */
export function pyTuple<T>(items: T[]): readonly T[] {
  TUPLES.add(items);
  return Object.freeze(items);
}

/**
 * True when `x` was a Python tuple in the pickle (or was made by {@link pyTuple}).
 *
 * @example
 * ```ts
 * isPyTuple([1]); // false: a list
 * ```
 */
export function isPyTuple(x: unknown): x is readonly unknown[] {
  return typeof x === "object" && x !== null && TUPLES.has(x);
}

/**
 * A global the allow-list names (a function or class), as a value: e.g. the
 * `builtins.list` factory of a `defaultdict`.
 *
 * @example
 * ```ts
 * new PyGlobal("builtins", "list").qualifiedName; // "builtins.list"
 * ```
 */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * A numpy dtype (`numpy.dtype('f4')`, or a scalar type such as
 * `numpy.float32`), as its `descr` string with an explicit byte order
 * (`"<f4"`, `"|b1"`).
 *
 * @example
 * ```ts
 * new PickledDtype("<i8").tfDtype; // "int32"
 * ```
 */
export class PickledDtype {
  constructor(public descr: string) {}
  /** The tfjs dtype an array of this dtype becomes (`float32`, `int32` or `bool`). */
  get tfDtype(): "float32" | "int32" | "bool" {
    const kind = this.descr[1];
    return kind === "f" ? "float32" : kind === "b" ? "bool" : "int32";
  }
}

/**
 * A numpy (or JAX) array read from a pickle, shape and dtype as numpy has
 * them. It is an {@link NpyArray}, so `npyToTensor` turns it into a tensor.
 * A numpy scalar (`np.float64(0.5)`) is one of shape `[]`, `origin` `"scalar"`.
 *
 * @example
 * ```ts
 * const a = trax.io.readTraxFile("model.pkl.gz").flatWeights[0] as PickledArray;
 * trax.io.npyToTensor(a).shape; // [5, 4]
 * ```
 */
export class PickledArray implements NpyArray {
  shape: number[] = [0];
  dtype = "|u1";
  data: NpyData = new Uint8Array(0);
  fortranOrder = false;
  /** Set once the array has its contents (`__setstate__` ran). */
  filled = false;
  /** Where it came from: `numpy`, `jax` or `scalar`. */
  origin: "numpy" | "jax" | "scalar" = "numpy";

  /** A one-line view for the REPL and `console.log` (shape, dtype, origin; not the values). */
  [inspect.custom](): string {
    return `PickledArray(shape [${this.shape.join(", ")}], ${this.dtype}${this.fortranOrder ? ", Fortran order" : ""}, from ${this.origin})`;
  }

  /** The value of a one-element array as a number (an error for other sizes). */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item(): the array has ${this.data.length} elements, not 1`);
    return Number(this.data[0]);
  }
}

/**
 * A `trax.shapes.ShapeDtype` read from a pickle: its shape and numpy dtype.
 *
 * @example
 * ```ts
 * const s = unpickle(bytes) as PickledShapeDtype; // s.shape [3, 5], s.dtype.descr "<f4"
 * ```
 */
export class PickledShapeDtype {
  shape: number[] = [];
  dtype: PickledDtype | null = null;
}
