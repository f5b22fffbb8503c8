/**
 * Installs the display protocol on `Layer.prototype` (imported for its
 * effect by the display index): layers show as the layer view in notebooks
 * and as its text in terminals.
 * @module
 */
import { inspect } from "util";
import { Layer } from "../layers/base";
import { DISPLAY } from "./bundle";
import { layerView } from "./layer-view";

let installed = false;

/** Adds `[Symbol.for("Jupyter.display")]` and `[util.inspect.custom]` to `Layer.prototype` (once). */
export function installLayerDisplay(): void {
  if (installed) return;
  installed = true;
  Object.defineProperty(Layer.prototype, DISPLAY, {
    value: function (this: Layer) {
      return layerView(this)[DISPLAY]();
    },
    configurable: true,
    writable: true,
  });
  Object.defineProperty(Layer.prototype, inspect.custom, {
    value: function (this: Layer) {
      try {
        return layerView(this).toString();
      } catch {
        return this.toString();
      }
    },
    configurable: true,
    writable: true,
  });
}
