/**
 * What the kernel and the REPL show for a value or an error: MIME bundles
 * through the display protocol, readable errors without engine stack dumps.
 * @module
 */
// The package entry first: it loads the modules in the order they expect.
import { display, tf } from "../index";
import { noteEngineFailure } from "../backend/engine-health";
import * as path from "path";
import * as util from "util";
import { packageRoot } from "./package-root";

/** A Jupyter MIME bundle: always `text/plain`, richer entries when they fit. */
export type MimeBundle = { "text/plain": string } & Record<string, unknown>;

/** The symbol of the display protocol (the one Deno's kernel reads). */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

type BundleOf = (value: unknown) => MimeBundle;

/** The display module's `bundleOf`. */
function displayBundleOf(): BundleOf | null {
  const f = (display as unknown as { bundleOf?: unknown }).bundleOf;
  return typeof f === "function" ? (f as BundleOf) : null;
}

/**
 * Like {@link valueBundle}, with the parts that render asynchronously (a
 * chart's `image/svg+xml`) through `trax.display.bundleOfAsync`.
 *
 * @example
 * ```ts
 * (await valueBundleAsync(history))["image/svg+xml"]; // the curves as SVG
 * ```
 */
export async function valueBundleAsync(value: unknown): Promise<MimeBundle> {
  const f = (display as unknown as { bundleOfAsync?: unknown }).bundleOfAsync;
  if (typeof f === "function") {
    try {
      const b = (await (f as (v: unknown) => Promise<MimeBundle>)(value)) as Record<string, unknown> | null;
      if (b && typeof b === "object") return withText(b, value);
    } catch {
      /* fall back to the synchronous view */
    }
  }
  return valueBundle(value);
}

/**
 * Plain text for any value, the way the Node REPL would print it (no
 * colours), except that tensors inside arrays and plain objects (a layer's
 * `weights` or `state`) print as one line each, not as tfjs's internals.
 *
 * @example
 * ```ts
 * plainText([tf.ones([2]), { b: tf.zeros([3, 4]) }]); // "[ Tensor float32 [2], { b: Tensor float32 [3, 4] } ]"
 * ```
 */
export function plainText(value: unknown): string {
  if (value instanceof tf.Tensor && !value.isDisposed) return value.toString();
  return util.inspect(withTensorSummaries(value), { depth: 4, colors: false, maxArrayLength: 100 });
}

/** How a tensor nested in another value prints: its dtype and shape. */
function tensorSummary(t: tf.Tensor): string {
  return t.isDisposed ? "Tensor (disposed)" : `Tensor ${t.dtype} [${t.shape.join(", ")}]`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * `value` for `util.inspect`, with each tensor inside arrays and plain
 * objects (to the inspect depth) replaced by its one-line summary; `value`
 * itself when it holds no tensor there.
 *
 * @example
 * ```ts
 * util.inspect(withTensorSummaries([tf.ones([2])])); // "[ Tensor float32 [2] ]"
 * ```
 */
export function withTensorSummaries(value: unknown, depth = 0): unknown {
  if (value instanceof tf.Tensor) return { [util.inspect.custom]: () => tensorSummary(value) };
  if (depth > 4) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => withTensorSummaries(v, depth + 1));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, withTensorSummaries(v, depth + 1)] as const);
    return entries.some(([k, v]) => v !== value[k]) ? Object.fromEntries(entries) : value;
  }
  return value;
}

/**
 * The MIME bundle to show for a value: `trax.display.bundleOf` when the display
 * module provides it, else the value's own `[Symbol.for("Jupyter.display")]()`,
 * else plain text. The bundle always has `text/plain`.
 *
 * @example
 * ```ts
 * valueBundle(3); // { "text/plain": "3" }
 * valueBundle(tf.ones([2, 2]))["text/html"]; // the tensor view, once trax.display has one
 * ```
 */
export function valueBundle(value: unknown): MimeBundle {
  const viaDisplay = displayBundleOf();
  if (viaDisplay) {
    try {
      const b = viaDisplay(value);
      if (b && typeof b === "object") return withText(b, value);
    } catch {
      /* fall back to the value's own view */
    }
  }
  const own = value !== null && (typeof value === "object" || typeof value === "function")
    ? (value as Record<symbol, unknown>)[JUPYTER_DISPLAY]
    : undefined;
  if (typeof own === "function") {
    try {
      const b = own.call(value) as Record<string, unknown> | null;
      if (b && typeof b === "object") return withText(b, value);
    } catch {
      /* fall back to text */
    }
  }
  return { "text/plain": plainText(value) };
}

function withText(bundle: Record<string, unknown>, value: unknown): MimeBundle {
  const text = bundle["text/plain"];
  return { ...bundle, "text/plain": typeof text === "string" ? text : plainText(value) } as MimeBundle;
}

/** An error as Jupyter's `error` message carries it. */
export interface ErrorReport {
  /** The error's class name, e.g. `LayerError`. */
  ename: string;
  /** Its message. */
  evalue: string;
  /** Lines to print (ANSI colours allowed): the name and message, then user frames. */
  traceback: string[];
}

const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

/** Stack frames worth showing a notebook user: their own code, not the engine's or trax-ts's. */
function userFrames(stack: string): string[] {
  const own = [path.join(packageRoot(), "src") + path.sep, path.join(packageRoot(), "dist") + path.sep];
  return stack
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !/node_modules|node:internal|\(node:|\(<anonymous>\)/.test(l) && !own.some((dir) => l.includes(dir)))
    .slice(0, 5)
    .map((l) => l.trimEnd());
}

/**
 * A readable report of an error thrown in a cell: `LayerError: <path, method,
 * signature, cause>` for layer errors (no stack dump), the message and the
 * frames of the user's own code otherwise.
 *
 * @example
 * ```ts
 * errorReport(new TypeError("x is not a function")).traceback[0]; // "\u001b[0;31mTypeError\u001b[0m: x is not a function"
 * ```
 */
export function errorReport(error: unknown): ErrorReport {
  // After the engine broke (wasm out of memory), every error says so first: the kernel must be restarted.
  const lost = noteEngineFailure(error);
  if (lost !== null && !(error instanceof Error && error.message.includes(lost.message))) {
    const cause = error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error);
    return {
      ename: lost.name,
      evalue: lost.message,
      traceback: [`${RED}${lost.name}${RESET}: ${lost.message}`, `(this cell's error: ${cause})`],
    };
  }
  if (error instanceof Error) {
    const ename = error.name || "Error";
    const evalue = error.message;
    const head = `${RED}${ename}${RESET}: ${evalue}`;
    const frames = ename === "LayerError" ? [] : userFrames(error.stack ?? "");
    return { ename, evalue, traceback: [head, ...frames] };
  }
  const evalue = util.inspect(error, { depth: 2, colors: false });
  return { ename: "Uncaught", evalue, traceback: [`${RED}Uncaught${RESET} ${evalue}`] };
}
