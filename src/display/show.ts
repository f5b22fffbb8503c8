/**
 * Showing anything: the bundle of a value (`bundleOf`, `bundleOfAsync`), the
 * display sink (tslab's display channel when running inside tslab, or one a
 * kernel plugs in with `setDisplaySink`), and `show`.
 * @module
 */
import { inspect } from "util";
import { Layer } from "../layers/base";
import { DISPLAY, DISPLAY_ASYNC, checkBundle, isDisplayable, type MimeBundle } from "./bundle";
import { looksLikeHistory } from "./history-like";
import { historyView } from "./history-view";
import { layerView } from "./layer-view";
import { looksLikeTensor, tensorView } from "./tensor-view";

/** Where a display goes: `displayId` names one display; `update` replaces it in place. */
export interface DisplayOptions {
  /** Identifies the display so that later calls can update it. */
  displayId?: string;
  /** Replace the display named by `displayId` instead of adding one. */
  update?: boolean;
}

/** A function that puts a bundle on screen (a kernel's `display_data` / `update_display_data`). */
export type DisplaySink = (bundle: MimeBundle, options: DisplayOptions) => void;

let userSink: DisplaySink | null = null;
let userSinkTextOnly = false;

/** Options of {@link setDisplaySink}. */
export interface DisplaySinkOptions {
  /**
   * The sink shows only `text/plain` (a terminal, the REPL): `inNotebook()`
   * is false and live views stay quiet (terminals have progress bars).
   */
  textOnly?: boolean;
}

/**
 * Plugs in the function that shows bundles (the kernel does this; the REPL
 * with `{ textOnly: true }`; `null` goes back to finding tslab, then to text
 * on stdout).
 *
 * @example
 * ```ts
 * trax.display.setDisplaySink((bundle, { displayId, update }) => sendToFrontend(bundle, displayId, update));
 * trax.display.setDisplaySink((bundle) => process.stdout.write(bundle["text/plain"] + "\n"), { textOnly: true });
 * ```
 */
export function setDisplaySink(sink: DisplaySink | null, options: DisplaySinkOptions = {}): void {
  if (sink !== null && typeof sink !== "function") throw new TypeError(`setDisplaySink: a function or null expected; got ${typeof sink}`);
  userSink = sink;
  userSinkTextOnly = sink !== null && options.textOnly === true;
}

interface TslabJupyter {
  lastWriteDisplayData: ((data: unknown, update: boolean) => void) | null;
}

/**
 * tslab's jupyter module as loaded by the running kernel: the module in
 * `require.cache` whose `lastWriteDisplayData` is set (the kernel's own
 * instance, whichever copy of tslab started it).
 */
function findTslab(): TslabJupyter | null {
  const cache = typeof require === "function" ? require.cache : undefined;
  if (!cache) return null;
  for (const [file, mod] of Object.entries(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const j = mod?.exports as TslabJupyter | undefined;
    if (j && typeof j.lastWriteDisplayData === "function") return j;
  }
  return null;
}

/**
 * The sink in force: the one set with {@link setDisplaySink}, else a
 * `globalThis.__traxDisplaySink` function, else tslab's channel when this
 * process is a tslab kernel; `null` outside notebooks.
 *
 * @example
 * ```ts
 * const sink = trax.display.displaySink(); // null in a terminal
 * ```
 */
export function displaySink(): DisplaySink | null {
  if (userSink) return userSink;
  const g = (globalThis as { __traxDisplaySink?: unknown }).__traxDisplaySink;
  if (typeof g === "function") return g as DisplaySink;
  const tslab = findTslab();
  if (tslab) {
    return (bundle, options) => {
      const write = tslab.lastWriteDisplayData;
      if (!write) throw new Error("trax.display: the tslab kernel is not executing a cell");
      write({ data: bundle, metadata: {}, transient: options.displayId ? { display_id: options.displayId } : {} }, !!options.update);
    };
  }
  return null;
}

/**
 * True when a rich frontend is attached: a sink exists and was not plugged
 * in as text-only.
 *
 * @example
 * ```ts
 * if (trax.display.inNotebook()) trax.display.attachLiveView(loop);
 * ```
 */
export function inNotebook(): boolean {
  if (userSink) return !userSinkTextOnly;
  return displaySink() !== null;
}

/**
 * True when `x` has a view richer than text (displayables, tensors, layers).
 *
 * @example
 * ```ts
 * trax.display.hasRichDisplay(tf.ones([2])); // true
 * ```
 */
export function hasRichDisplay(x: unknown): boolean {
  return isDisplayable(x) || looksLikeTensor(x) || x instanceof Layer || looksLikeHistory(x);
}

/**
 * The MIME bundle of anything: an object's own `[Symbol.for("Jupyter.display")]()`,
 * the tensor view for tfjs tensors, the layer view for layers, and
 * `text/plain` (as `util.inspect` prints it) for everything else.
 *
 * @example
 * ```ts
 * trax.display.bundleOf(tf.ones([2, 2]))["text/plain"]; // "Tensor float32 [2, 2] ...\n[[1. 1.]\n [1. 1.]]"
 * ```
 */
export function bundleOf(x: unknown): MimeBundle {
  if (isDisplayable(x)) return checkBundle(x[DISPLAY](), "bundleOf");
  if (looksLikeTensor(x)) return tensorView(x)[DISPLAY]();
  if (x instanceof Layer) return layerView(x)[DISPLAY]();
  if (looksLikeHistory(x)) return historyView(x)[DISPLAY]();
  return { "text/plain": typeof x === "string" ? x : inspect(x, { colors: false, depth: 4 }) };
}

/**
 * Like {@link bundleOf}, awaiting the parts that render asynchronously
 * (charts' `image/svg+xml`). Kernels should prefer it.
 *
 * @example
 * ```ts
 * const b = await trax.display.bundleOfAsync(history); // with "image/svg+xml"
 * ```
 */
export async function bundleOfAsync(x: unknown): Promise<MimeBundle> {
  const f = (x as Record<symbol, unknown> | null | undefined)?.[DISPLAY_ASYNC];
  if ((typeof x === "object" || typeof x === "function") && x !== null && typeof f === "function") {
    return checkBundle(await (f as () => Promise<MimeBundle>).call(x), "bundleOfAsync");
  }
  if (!isDisplayable(x) && looksLikeHistory(x)) return historyView(x)[DISPLAY_ASYNC]();
  return bundleOf(x);
}

/**
 * Shows `x`: in a notebook as a rich display (through the sink), elsewhere
 * its text on stdout. Await it for charts (their SVG renders asynchronously).
 * Resolves to the bundle shown.
 *
 * @example
 * ```ts
 * await trax.display.show(tf.randomNormal([8, 8]));
 * await trax.display.show(model);
 * ```
 */
export async function show(x: unknown, options: DisplayOptions = {}): Promise<MimeBundle> {
  const bundle = await bundleOfAsync(x);
  emit(bundle, options);
  return bundle;
}

/**
 * Sends a bundle to the sink, or prints its text to stdout when there is none.
 * Returns true when a sink took it.
 *
 * @example
 * ```ts
 * trax.display.emit({ "text/plain": "done", "text/html": "<b>done</b>" });
 * ```
 */
export function emit(bundle: MimeBundle, options: DisplayOptions = {}): boolean {
  const sink = displaySink();
  if (sink) {
    sink(bundle, options);
    return true;
  }
  process.stdout.write(bundle["text/plain"] + "\n");
  return false;
}
