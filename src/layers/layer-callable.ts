/**
 * The public `tl.Layer`: the base class of ./base, callable without `new`
 * as Trax's `tl.Layer()` is, with its options checked. `extends tl.Layer`
 * and `instanceof tl.Layer` work as with the class itself.
 * @module
 */
import { Layer as LayerClass } from "./base";
import type { LayerOptions } from "./base";
import { callable } from "./callable";
import { optionKeys } from "./arg-check";

/**
 * Base class for composable layers (see the class of `./base`): a layer with
 * no weights whose `forward` subclasses override. `tl.Layer({ nIn, nOut, name })`
 * and `new tl.Layer(...)` both make one.
 *
 * @example
 * ```ts
 * const layer = tl.Layer({ name: "CustomLayer" });
 * layer.name; // "CustomLayer"
 * class Double extends tl.Layer { forward(x: tf.Tensor) { return x.mul(2); } }
 * ```
 */
export const Layer = callable(LayerClass, "Layer", {
  positional: [],
  options: optionKeys<LayerOptions>({ nIn: true, nOut: true, name: true, sublayersToPrint: true }),
});
export type Layer = LayerClass;
