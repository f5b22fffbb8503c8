/**
 * Remembers how each layer was built: the constructor's name and the
 * arguments it was called with, so that `layer.toPython()` can print the
 * Trax expression that builds the same layer. One mechanism for every
 * constructor: class constructors record through `callable` (./callable.ts),
 * function constructors through `withArgs` (./arg-check.ts), models
 * through {@link recordedConstructor}.
 * @module
 */

/** Where a recorded constructor lives in Python: `tl.X(...)` or `trax.models.X(...)`. */
export type ConstructorNamespace = "tl" | "trax.models";

/** A recorded constructor call: `tl.Dense(10, { useBias: false })` is `{ name: "Dense", args: [10, { useBias: false }] }`. */
export interface ConstructorCall {
  /** The constructor's public name (`"Dense"`, `"TransformerLM"`). */
  readonly name: string;
  /** The arguments exactly as the caller passed them. */
  readonly args: readonly unknown[];
  /** The Python namespace of the constructor. */
  readonly namespace: ConstructorNamespace;
}

const calls = new WeakMap<object, ConstructorCall>();
const recordingConstructors = new WeakMap<object, ConstructorNamespace>();

/**
 * Records that `made` was built by `call`. A constructor that hands back one
 * of its own arguments (as `tl.Chunk(layer, 0)` does) records nothing, so the
 * argument keeps its own record.
 *
 * @example
 * ```ts
 * recordConstructorCall(layer, { name: "Dense", args: [10], namespace: "tl" });
 * constructorCallOf(layer)?.name; // "Dense"
 * ```
 */
export function recordConstructorCall(made: unknown, call: ConstructorCall): void {
  if (made === null || (typeof made !== "object" && typeof made !== "function")) return;
  if (call.args.includes(made)) return;
  // A copy: options objects and arrays the caller changes afterwards do not change the record.
  calls.set(made as object, { ...call, args: call.args.map((a) => snapshot(a, 0)) });
}

/** Copies arrays and plain objects (not layers, tensors or functions), a few levels deep. */
function snapshot(x: unknown, depth: number): unknown {
  if (depth > 8) return x;
  if (Array.isArray(x)) return x.map((v) => snapshot(v, depth + 1));
  if (isPlainObject(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, snapshot(v, depth + 1)]));
  return x;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * The recorded constructor call of a layer (or initializer), or `undefined`
 * when it was built some other way (a subclass, `new` on an internal class,
 * a copy).
 *
 * @example
 * ```ts
 * constructorCallOf(tl.Dense(10)); // { name: "Dense", args: [10], namespace: "tl" }
 * ```
 */
export function constructorCallOf(made: unknown): ConstructorCall | undefined {
  if (made === null || (typeof made !== "object" && typeof made !== "function")) return undefined;
  return calls.get(made as object);
}

/**
 * Wraps a function constructor so that what it returns records its call.
 * The outermost call wins: `tl.Attention(...)` builds a `Serial` (recorded as
 * `Serial`), then records itself over it. The wrapper has the same type,
 * name and arity as `fn`.
 *
 * @example
 * ```ts
 * export const MLP = recordedConstructor("MLP", mlp, "trax.models");
 * constructorCallOf(MLP())?.name; // "MLP"
 * ```
 */
export function recordedConstructor<F extends (...args: any[]) => any>(
  name: string,
  fn: F,
  namespace: ConstructorNamespace = "tl"
): F {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const made = fn.apply(this, args);
    recordConstructorCall(made, { name, args, namespace });
    return made;
  };
  Object.defineProperty(wrapped, "name", { value: name, configurable: true });
  Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  recordingConstructors.set(wrapped, namespace);
  return wrapped as unknown as F;
}

/**
 * Marks a constructor (a {@link recordedConstructor} wrapper or a
 * `callable` class) as one that records its calls. Internal.
 */
export function markRecording(ctor: object, namespace: ConstructorNamespace = "tl"): void {
  recordingConstructors.set(ctor, namespace);
}

/** The namespace of a recording constructor (`"tl"` or `"trax.models"`), or `undefined`. Internal. */
export function namespaceOfConstructor(ctor: unknown): ConstructorNamespace | undefined {
  if (typeof ctor !== "function" && (typeof ctor !== "object" || ctor === null)) return undefined;
  return recordingConstructors.get(ctor as object);
}

/**
 * True for a constructor whose layers record their calls: the check that
 * every constructor of `tl` takes part (a new one that does not prints as a
 * placeholder in `toPython()`).
 *
 * @example
 * ```ts
 * isRecordingConstructor(tl.Relu); // true
 * ```
 */
export function isRecordingConstructor(ctor: unknown): boolean {
  return (typeof ctor === "function" || (typeof ctor === "object" && ctor !== null)) && recordingConstructors.has(ctor as object);
}
