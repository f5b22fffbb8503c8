/**
 * `layer.toPython()`: the Python Trax expression that builds the same layer
 * tree, from the constructor calls each layer recorded
 * (./constructor-call.ts): `tl.Serial(tl.Embedding(32, 16),
 * tl.CausalAttention(16, n_heads=2))`. camelCase options become snake_case
 * keywords; only the arguments the caller gave are printed (the defaults
 * stay defaults); models print as `trax.models.X(...)`. What cannot be
 * translated (a `tl.Fn` body, a Layer subclass, a JavaScript function, a
 * tensor argument) prints as valid Python with a `# TODO` comment naming
 * what must be written by hand.
 * @module
 */
import { tf } from "../backend/tf";
import { Layer } from "./base";
import { constructorCallOf, isRecordingConstructor, namespaceOfConstructor } from "./constructor-call";
import type { ConstructorCall } from "./constructor-call";

/** Options of {@link toPython}. */
export interface ToPythonOptions {
  /** Line width before a call is split over lines (default 88, as black). */
  width?: number;
}

/** Trax keywords whose spelling is not the plain snake_case of our camelCase name. */
const KEYWORD_EXCEPTIONS: Record<string, string> = {
  cacheKVInPredict: "cache_KV_in_predict",
};

/** `dModel` -> `d_model`, `useBfloat16` -> `use_bfloat16`, `cacheKVInPredict` -> `cache_KV_in_predict`. */
export function pythonKeyword(camel: string): string {
  return KEYWORD_EXCEPTIONS[camel] ?? camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A Python expression being printed: an atom, a call or a list, with an optional trailing comment. */
type Py =
  | { kind: "atom"; text: string; comment?: string }
  | { kind: "call"; head: string; args: Py[]; kwargs: [string, Py][]; comment?: string }
  | { kind: "list"; items: Py[]; comment?: string };

const atom = (text: string, comment?: string): Py => ({ kind: "atom", text, comment });

function pythonString(s: string): string {
  const body = s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return `'${body}'`;
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (!Number.isFinite(n)) return n > 0 ? "float('inf')" : "-float('inf')";
  return String(n);
}

/** A Python identifier from a layer or function name: `ShiftRight(1)` -> `ShiftRight_1`. */
function identifier(name: string, snake = false): string {
  let id = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  if (snake) id = id.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();
  if (id === "" || /^[0-9]/.test(id)) id = `layer_${id}`;
  return id;
}

function isPlainOptions(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x) || x instanceof Layer || x instanceof tf.Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function placeholderFn(name: string, options: Record<string, unknown> | undefined, seen: Set<unknown>): Py {
  const fnName = identifier(name, true);
  // Trax's Fn takes (name, f, n_out); trax-ts's nIn has no Python counterpart (Python reads it from f).
  const kwargs = options ? optionsToKwargs({ ...options, nIn: undefined }, seen) : [];
  return {
    kind: "call",
    head: "tl.Fn",
    args: [atom(pythonString(name)), atom(fnName)],
    kwargs,
    comment: `TODO: write ${fnName} in Python (the body of tl.Fn('${name}') is TypeScript)`,
  };
}

function optionsToKwargs(options: Record<string, unknown>, seen: Set<unknown>): [string, Py][] {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [pythonKeyword(k), valueToPy(v, seen)] as [string, Py]);
}

function callToPy(call: ConstructorCall, seen: Set<unknown>): Py {
  const prefix = call.namespace === "trax.models" ? "trax.models." : "tl.";
  const args = [...call.args];
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  if (call.name === "Fn" && call.namespace === "tl") {
    return placeholderFn(String(args[0]), isPlainOptions(args[2]) ? args[2] : undefined, seen);
  }
  if (call.name === "PureLayer" && call.namespace === "tl") {
    const options = isPlainOptions(args[1]) ? args[1] : {};
    return placeholderFn(typeof options.name === "string" ? options.name : "PureLayer", { ...options, name: undefined }, seen);
  }
  let kwargs: [string, Py][] = [];
  if (args.length > 0 && isPlainOptions(args[args.length - 1])) {
    kwargs = optionsToKwargs(args.pop() as Record<string, unknown>, seen);
  }
  return { kind: "call", head: prefix + call.name, args: args.map((a) => valueToPy(a, seen)), kwargs };
}

function layerToPy(layer: Layer, seen: Set<unknown>): Py {
  const call = constructorCallOf(layer);
  if (call) return callToPy(call, seen);
  // Serial is the one layer whose arguments its tree gives back exactly.
  const libraryClass = isRecordingConstructor(layer.constructor);
  if (libraryClass && layer.constructor.name === "Serial") {
    const kwargs: [string, Py][] = layer.name !== "Serial" ? [["name", atom(pythonString(layer.name))]] : [];
    return { kind: "call", head: "tl.Serial", args: layer.sublayers.map((s) => valueToPy(s, seen)), kwargs };
  }
  const className = identifier(layer.constructor.name || layer.name);
  const what = libraryClass
    ? `${layer.name} was built inside trax-ts without a recorded constructor call`
    : `${className} is a Layer class written in TypeScript`;
  return atom(`${className}()`, `TODO: ${what} (n_in=${layer.nIn}, n_out=${layer.nOut}); write it in Python`);
}

function valueToPy(v: unknown, seen: Set<unknown>): Py {
  if (v === null || v === undefined) return atom("None");
  if (typeof v === "boolean") return atom(v ? "True" : "False");
  if (typeof v === "number") return atom(pythonNumber(v));
  if (typeof v === "bigint") return atom(String(v));
  if (typeof v === "string") return atom(pythonString(v));
  if (v instanceof tf.Tensor) {
    return atom("None", `TODO: a tensor of shape [${v.shape}] (${v.dtype}) was passed here; pass the same array in Python`);
  }
  if (v instanceof Layer) {
    if (seen.has(v)) {
      return atom(identifier(v.name, true), `TODO: the same ${v.name} instance appears earlier (shared weights): build it once in a Python variable`);
    }
    seen.add(v);
    return layerToPy(v, seen);
  }
  if (typeof v === "function") {
    const call = constructorCallOf(v); // an initializer built by a recorded constructor
    if (call) return callToPy(call, seen);
    if (isRecordingConstructor(v)) {
      return atom(`${namespaceOfConstructor(v) === "trax.models" ? "trax.models." : "tl."}${v.name}`);
    }
    const name = identifier(v.name || "function", true);
    return atom(name, `TODO: ${name} is a JavaScript function; write it in Python`);
  }
  if (Array.isArray(v)) return { kind: "list", items: v.map((x) => valueToPy(x, seen)) };
  if (ArrayBuffer.isView(v)) return { kind: "list", items: Array.from(v as unknown as ArrayLike<number>, (x) => atom(pythonNumber(x))) };
  if (isPlainOptions(v)) {
    return {
      kind: "call",
      head: "dict",
      args: [],
      kwargs: Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [pythonKeyword(k), valueToPy(x, seen)]),
    };
  }
  return atom("None", `TODO: a ${Object.prototype.toString.call(v)} argument cannot be printed; write it in Python`);
}

function hasComment(p: Py): boolean {
  if (p.comment) return true;
  if (p.kind === "call") return p.args.some(hasComment) || p.kwargs.some(([, x]) => hasComment(x));
  if (p.kind === "list") return p.items.some(hasComment);
  return false;
}

function inline(p: Py): string {
  if (p.kind === "atom") return p.text;
  if (p.kind === "list") return `[${p.items.map(inline).join(", ")}]`;
  const parts = [...p.args.map(inline), ...p.kwargs.map(([k, x]) => `${k}=${inline(x)}`)];
  return `${p.head}(${parts.join(", ")})`;
}

/** Renders `p` at `indent`; the text does not include the trailing comment of `p` itself. */
function render(p: Py, indent: number, width: number): string {
  const flat = inline(p);
  const childrenCommented = p.kind === "call" ? p.args.some(hasComment) || p.kwargs.some(([, x]) => hasComment(x)) : p.kind === "list" && p.items.some(hasComment);
  if (p.kind === "atom" || (!childrenCommented && indent + flat.length <= width)) return flat;
  const pad = " ".repeat(indent + 4);
  const entries: [string, Py][] = p.kind === "list" ? p.items.map((x) => ["", x]) : [...p.args.map((x) => ["", x] as [string, Py]), ...p.kwargs];
  const lines = entries.map(([k, x]) => {
    const prefix = k ? `${k}=` : "";
    const text = render(x, indent + 4 + prefix.length, width);
    return `${pad}${prefix}${text},${x.comment ? `  # ${x.comment}` : ""}`;
  });
  const [open, close] = p.kind === "list" ? ["[", "]"] : [`${p.head}(`, ")"];
  if (lines.length === 0) return `${open}${close}`;
  return `${open}\n${lines.join("\n")}\n${" ".repeat(indent)}${close}`;
}

/**
 * The Python Trax expression that builds `layer`'s tree (see the module
 * docs). Valid Python syntax in every case; untranslatable parts carry a
 * `# TODO` comment.
 *
 * @example
 * ```ts
 * toPython(tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, { nHeads: 2 })));
 * // "tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, n_heads=2))"
 * ```
 */
export function toPython(layer: Layer, options: ToPythonOptions = {}): string {
  const width = options.width ?? 88;
  const py = valueToPy(layer, new Set());
  const text = render(py, 0, width);
  if (!py.comment) return text;
  // A comment on the whole expression: wrap it so the comment sits inside the parentheses.
  return `(\n    ${render(py, 4, width)}  # ${py.comment}\n)`;
}

/**
 * A complete Python script: the imports and `model = <expression>`.
 *
 * @example
 * ```ts
 * pythonScript(model); // "import trax\nfrom trax import layers as tl\n\nmodel = tl.Serial(...)\n"
 * ```
 */
export function pythonScript(layer: Layer, options: ToPythonOptions & { variable?: string } = {}): string {
  const variable = options.variable ?? "model";
  const expr = toPython(layer, options);
  return `import trax\nfrom trax import layers as tl\n\n${variable} = ${expr}\n`;
}
