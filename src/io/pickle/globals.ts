/**
 * The allow-list of a restricted unpickle: the only Python globals a pickle
 * may name, each with what REDUCE (a call), NEWOBJ (`cls.__new__`) and BUILD
 * (`__setstate__`) mean for it, written here in TypeScript. Nothing else is
 * ever looked up, constructed or called: any other global is an
 * {@link UnpicklingError} naming it, raised as soon as the pickle names it.
 *
 * Numpy and JAX spell the same functions differently across versions
 * (`numpy.core` in numpy 1.x, `numpy._core` from numpy 2), so the table lists
 * every known spelling.
 * @module
 */
import { npyArrayFromBytes, normalizeDescr } from "../npy";
import { PickledArray, PickledDtype, PickledShapeDtype, PyGlobal, UnpicklingError, isPyTuple } from "./values";

/** What an allowed global does when the pickle calls it, creates it or sets its state. */
export interface GlobalSpec {
  /** REDUCE: `global(*args)`. */
  call?: (args: readonly unknown[]) => unknown;
  /** NEWOBJ: `global.__new__(global, *args)`. */
  newObject?: (args: readonly unknown[]) => unknown;
}

/** numpy's scalar types, as the dtypes they stand for. */
const SCALAR_TYPES: Record<string, string> = {
  float16: "<f2", float32: "<f4", float64: "<f8", half: "<f2", single: "<f4", double: "<f8",
  int8: "|i1", int16: "<i2", int32: "<i4", int64: "<i8",
  uint8: "|u1", uint16: "<u2", uint32: "<u4", uint64: "<u8",
  bool_: "|b1", bool: "|b1",
};

function fail(message: string): never {
  throw new UnpicklingError(message);
}

function argCount(what: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    fail(`${what} takes ${min === max ? min : `${min} to ${max}`} arguments; the pickle passes ${args.length}`);
  }
}

function isGlobal(x: unknown, module: string | readonly string[], name: string): boolean {
  const mods = typeof module === "string" ? [module] : module;
  return x instanceof PyGlobal && mods.includes(x.module) && x.name === name;
}

const NUMPY_CORE = ["numpy.core.multiarray", "numpy._core.multiarray"];

/** The dtype a pickle value stands for: a numpy.dtype, a scalar type such as `numpy.float32`. */
export function dtypeOf(x: unknown, what: string): PickledDtype {
  if (x instanceof PickledDtype) return x;
  if (x instanceof PyGlobal && x.module === "numpy" && SCALAR_TYPES[x.name]) return new PickledDtype(SCALAR_TYPES[x.name]);
  return fail(`${what} must be a numpy dtype; the pickle gives ${describe(x)}`);
}

/** A short description of a pickle value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "None";
  if (x instanceof PyGlobal) return `the global ${x.qualifiedName}`;
  if (x instanceof Uint8Array) return `bytes of length ${x.length}`;
  if (x instanceof Map) return `a dict of ${x.size} items`;
  if (Array.isArray(x)) return `a ${isPyTuple(x) ? "tuple" : "list"} of ${x.length} items`;
  if (x instanceof PickledArray) return `an array of shape (${x.shape.join(", ")})`;
  if (x instanceof PickledDtype) return `the dtype ${x.descr}`;
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + "..." : x)}`;
  return `${typeof x} ${String(x)}`;
}

function shapeOf(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) fail(`${what} must be a tuple of dimensions; the pickle gives ${describe(x)}`);
  return x.map((d) => {
    const n = typeof d === "bigint" ? Number(d) : d;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 2 ** 31) {
      fail(`${what} has a dimension that is not a non-negative integer: ${describe(d)}`);
    }
    return n;
  });
}

/** Bytes of an array's data: `bytes`, or a `str` (Python 2 pickles, read as latin-1). */
function rawBytes(x: unknown, what: string): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === "string") {
    const out = new Uint8Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      if (c > 255) fail(`${what}: a string holding array data has a character above U+00FF`);
      out[i] = c;
    }
    return out;
  }
  return fail(`${what} must be bytes (arrays of Python objects are not supported); the pickle gives ${describe(x)}`);
}

function fillArray(a: PickledArray, shape: number[], dtype: PickledDtype, fortran: boolean, data: Uint8Array, what: string): PickledArray {
  let filled;
  try {
    filled = npyArrayFromBytes(dtype.descr, shape, fortran, data);
  } catch (e) {
    fail(`${what}: ${(e as Error).message}`);
  }
  a.shape = filled.shape;
  a.dtype = filled.dtype;
  a.data = filled.data;
  a.fortranOrder = fortran;
  a.filled = true;
  return a;
}

/** `ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))` (the version may be absent). */
export function setArrayState(a: PickledArray, state: unknown): PickledArray {
  const what = "numpy array state";
  if (a.filled) fail(`${what}: the array already has its contents`);
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) fail(`${what} must be a tuple of 4 or 5 items; the pickle gives ${describe(state)}`);
  const s = state.length === 5 ? state.slice(1) : state;
  if (state.length === 5 && state[0] !== 1) fail(`${what}: unknown version ${describe(state[0])} (numpy writes 1)`);
  const fortran = s[2];
  if (typeof fortran !== "boolean" && fortran !== 0 && fortran !== 1) fail(`${what}: is_fortran must be a bool; got ${describe(fortran)}`);
  return fillArray(a, shapeOf(s[0], `${what} shape`), dtypeOf(s[1], `${what} dtype`), !!fortran, rawBytes(s[3], what), what);
}

function emptyArray(args: readonly unknown[]): PickledArray {
  argCount("numpy multiarray._reconstruct", args, 3);
  if (!isGlobal(args[0], "numpy", "ndarray")) fail(`numpy multiarray._reconstruct: only numpy.ndarray can be made; the pickle asks for ${describe(args[0])}`);
  return new PickledArray();
}

function fromBuffer(args: readonly unknown[]): PickledArray {
  argCount("numpy numeric._frombuffer", args, 4);
  const order = args[3];
  if (order !== "C" && order !== "F") fail(`numpy numeric._frombuffer: order must be 'C' or 'F'; got ${describe(order)}`);
  const what = "numpy numeric._frombuffer";
  return fillArray(new PickledArray(), shapeOf(args[2], `${what} shape`), dtypeOf(args[1], `${what} dtype`), order === "F", rawBytes(args[0], what), what);
}

function numpyScalar(args: readonly unknown[]): PickledArray {
  argCount("numpy multiarray.scalar", args, 1, 2);
  const dtype = dtypeOf(args[0], "numpy multiarray.scalar dtype");
  const a = fillArray(new PickledArray(), [], dtype, false, rawBytes(args[1] ?? new Uint8Array(0), "numpy multiarray.scalar"), "numpy multiarray.scalar");
  a.origin = "scalar";
  return a;
}

function makeDtype(args: readonly unknown[]): PickledDtype {
  argCount("numpy.dtype", args, 1, 3);
  const spec = args[0];
  if (typeof spec === "string") {
    try {
      return new PickledDtype(normalizeDescr(spec));
    } catch (e) {
      return fail(`numpy.dtype: ${(e as Error).message}`);
    }
  }
  return new PickledDtype(dtypeOf(spec, "numpy.dtype's argument").descr);
}

/** `dtype.__setstate__((version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]))`. */
export function setDtypeState(d: PickledDtype, state: unknown): PickledDtype {
  if (!Array.isArray(state) || state.length < 8 || state.length > 9) fail(`numpy dtype state must be a tuple of 8 or 9 items; the pickle gives ${describe(state)}`);
  const [, order, subarray, names, fields] = state;
  if (subarray !== null || names !== null || fields !== null) fail(`numpy dtype ${d.descr}: structured or sub-array dtypes are not supported`);
  if (order !== "<" && order !== ">" && order !== "|" && order !== "=") fail(`numpy dtype state: unknown byte order ${describe(order)}`);
  const size = Number(d.descr.slice(2));
  d.descr = normalizeDescr(`${size === 1 ? "|" : order}${d.descr.slice(1)}`);
  return d;
}

function jaxArray(args: readonly unknown[]): PickledArray {
  argCount("jax._src.array._reconstruct_array", args, 4);
  const [fun, funArgs, arrState, avalState] = args;
  if (!isGlobal(fun, NUMPY_CORE, "_reconstruct")) fail(`jax._src.array._reconstruct_array: the array must be made by numpy's _reconstruct; the pickle gives ${describe(fun)}`);
  if (!Array.isArray(funArgs)) fail(`jax._src.array._reconstruct_array: its arguments must be a tuple; got ${describe(funArgs)}`);
  if (!(avalState instanceof Map)) fail(`jax._src.array._reconstruct_array: aval_state must be a dict; got ${describe(avalState)}`);
  const a = setArrayState(emptyArray(funArgs), arrState);
  a.origin = "jax";
  return a;
}

function defaultDict(args: readonly unknown[]): Map<unknown, unknown> {
  argCount("collections.defaultdict", args, 0, 1);
  const factory = args[0] ?? null;
  if (factory !== null && !(factory instanceof PyGlobal)) fail(`collections.defaultdict: the factory must be an allowed global; got ${describe(factory)}`);
  return new Map();
}

function codecsEncode(args: readonly unknown[]): Uint8Array {
  argCount("_codecs.encode", args, 2);
  const [text, encoding] = args;
  if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1")) {
    fail(`_codecs.encode: only encode(str, 'latin1') (how protocol 2 writes bytes) is allowed; got ${describe(encoding)}`);
  }
  return rawBytes(text, "_codecs.encode");
}

function byteArray(args: readonly unknown[]): Uint8Array {
  argCount("builtins.bytearray", args, 0, 2);
  if (args.length === 0) return new Uint8Array(0);
  if (args.length === 2) return codecsEncode(args);
  if (!(args[0] instanceof Uint8Array)) fail(`builtins.bytearray: the argument must be bytes; got ${describe(args[0])}`);
  return args[0];
}

function shapeDtypeCall(args: readonly unknown[]): PickledShapeDtype {
  argCount("trax.shapes.ShapeDtype", args, 1, 2);
  const s = new PickledShapeDtype();
  s.shape = shapeOf(args[0], "trax.shapes.ShapeDtype shape");
  s.dtype = args.length > 1 ? dtypeOf(args[1], "trax.shapes.ShapeDtype dtype") : new PickledDtype("<f4");
  return s;
}

/** `ShapeDtype` state: `(None, {'shape':..., 'dtype':...})` (slots) or the dict itself. */
export function setShapeDtypeState(s: PickledShapeDtype, state: unknown): PickledShapeDtype {
  let slots: unknown = state;
  if (Array.isArray(state)) {
    if (state.length !== 2) fail(`trax.shapes.ShapeDtype state must be (dict, slots); got ${describe(state)}`);
    slots = state[1] ?? state[0];
  }
  if (!(slots instanceof Map)) fail(`trax.shapes.ShapeDtype state must hold a dict; got ${describe(slots)}`);
  for (const k of slots.keys()) {
    if (k !== "shape" && k !== "dtype") fail(`trax.shapes.ShapeDtype state has an unknown attribute ${describe(k)}`);
  }
  s.shape = shapeOf(slots.get("shape"), "trax.shapes.ShapeDtype shape");
  s.dtype = dtypeOf(slots.get("dtype"), "trax.shapes.ShapeDtype dtype");
  return s;
}

const TABLE = new Map<string, GlobalSpec>();
function allow(module: string | readonly string[], name: string, spec: GlobalSpec): void {
  for (const m of typeof module === "string" ? [module] : module) TABLE.set(`${m}\n${name}`, spec);
}

allow(NUMPY_CORE, "_reconstruct", { call: emptyArray });
allow(NUMPY_CORE, "scalar", { call: numpyScalar });
allow(["numpy.core.numeric", "numpy._core.numeric"], "_frombuffer", { call: fromBuffer });
allow("numpy", "ndarray", {});
allow("numpy", "dtype", { call: makeDtype });
for (const t of Object.keys(SCALAR_TYPES)) allow("numpy", t, {});
allow("jax._src.array", "_reconstruct_array", { call: jaxArray });
allow("trax.shapes", "ShapeDtype", { call: shapeDtypeCall, newObject: () => new PickledShapeDtype() });
allow("collections", "defaultdict", { call: defaultDict });
// Protocol 2 spells builtins `__builtin__` (Python 2's name).
const BUILTINS = ["builtins", "__builtin__"];
allow(BUILTINS, "list", { call: (args) => (args.length === 0 ? [] : fail("builtins.list: only list() with no argument is allowed")) });
allow(BUILTINS, "bytearray", { call: byteArray });
allow(BUILTINS, "bytes", { call: (args) => (args.length === 0 ? new Uint8Array(0) : fail("builtins.bytes: only bytes() with no argument (protocol 2's empty bytes) is allowed")) });
allow("_codecs", "encode", { call: codecsEncode });

/**
 * The spec of an allowed global, or an {@link UnpicklingError} naming the
 * global when it is not on the allow-list.
 *
 * @example
 * ```ts
 * allowedGlobal("numpy", "dtype"); // ok
 * allowedGlobal("os", "system");   // throws: global 'os.system' is not allowed
 * ```
 */
export function allowedGlobal(module: string, name: string): GlobalSpec {
  const spec = TABLE.get(`${module}\n${name}`);
  if (!spec) {
    const shown = `${module}.${name}`.slice(0, 200);
    fail(`global '${shown}' is not allowed: a Trax file may only name numpy arrays and dtypes, JAX arrays, trax.shapes.ShapeDtype and collections.defaultdict (the allow-list is in src/io/pickle/globals.ts)`);
  }
  return spec;
}

/** Every allowed global, as `module.name` (for documentation and tests). */
export function allowedGlobalNames(): string[] {
  return [...TABLE.keys()].map((k) => k.replace("\n", "."));
}
