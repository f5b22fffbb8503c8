/**
 * Installs the display protocol on `Layer.prototype`, on what
 * `tl.collectSummaries` returns and on
 * `trax.supervised.History.prototype` (imported for its effect by the
 * display index): layers show as the layer view (summary layers as their
 * images or values), histories as charts, in notebooks and terminals.
 * @module
 */
import { inspect } from "util";
import { Layer } from "../layers/base";
import { History } from "../supervised/history";
import { DISPLAY, DISPLAY_ASYNC, type MimeBundle } from "./bundle";
import { historyView } from "./history-view";
import { ImageView } from "./image-view";
import { layerView, rememberInitSignature } from "./layer-view";
import { ScalarView } from "./scalar-view";
import { findSummaries, isSummaryLayer } from "./summaries";
import { Summaries } from "../layers/core/summary-values";
import { summariesBundle, summariesText } from "./summaries-view";

let installed = false;

function define(proto: object, key: symbol, value: (...args: never[]) => unknown): void {
  Object.defineProperty(proto, key, { value, configurable: true, writable: true, enumerable: false });
}

/** The bundle of a layer: its summaries' images or values for a summary layer, else the layer view. */
function layerBundle(l: Layer): MimeBundle {
  if (isSummaryLayer(l)) {
    const found = findSummaries(l);
    if (found.images.length) return new ImageView(l)[DISPLAY]();
    if (found.scalars.length) return new ScalarView(l)[DISPLAY]();
  }
  return layerView(l)[DISPLAY]();
}

/**
 * Adds `[Symbol.for("Jupyter.display")]` and `[util.inspect.custom]` to `Layer.prototype` and `History.prototype` (once).
 *
 * @example
 * ```ts
 * installDisplays(); // done once by `import "trax-ts"`
 * ```
 */
export function installDisplays(): void {
  if (installed) return;
  installed = true;
  define(Layer.prototype, DISPLAY, function (this: Layer) {
    return layerBundle(this);
  });
  // Layers remember the signature they were initialized with, so that their view shows output shapes.
  const init = Layer.prototype.init;
  Object.defineProperty(Layer.prototype, "init", {
    value: function (this: Layer, ...args: Parameters<Layer["init"]>) {
      const result = init.apply(this, args);
      rememberInitSignature(this, args[0]);
      return result;
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
  define(Layer.prototype, inspect.custom, function (this: Layer, depth: number, options: { depth?: number | null }) {
    // Inside another value (an error's layer chain, an array of layers): Trax's short form.
    if (typeof depth === "number" && options && typeof options.depth === "number" && depth < options.depth) return this.toString();
    try {
      return layerView(this).toString();
    } catch {
      return this.toString();
    }
  });
  define(Summaries.prototype, DISPLAY, function (this: Summaries) {
    return summariesBundle(this);
  });
  define(Summaries.prototype, inspect.custom, function (this: Summaries) {
    return summariesText(this);
  });
  define(History.prototype, DISPLAY, function (this: History) {
    return historyView(this)[DISPLAY]();
  });
  define(History.prototype, DISPLAY_ASYNC, function (this: History) {
    return historyView(this)[DISPLAY_ASYNC]();
  });
  define(History.prototype, inspect.custom, function (this: History) {
    return `${this.toString()}\n${historyView(this).toString()}`;
  });
}
