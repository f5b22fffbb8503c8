/**
 * The multilayer perceptron, as `trax.models.mlp.MLP`.
 * @module
 */
import * as tl from "../layers";
import type { Layer } from "../layers/base";
import { recordedConstructor } from "../layers/constructor-call";
import { checkModelOptions } from "./options";
import type { LayerFactory, ModelMode } from "./options";

/** Options of {@link MLP} (Trax's keyword arguments and defaults). */
export interface MLPOptions {
  /** Width of each Dense layer, in order (default `[128, 64]`). */
  layerWidths?: readonly number[];
  /** Activation between Dense layers, a layer constructor (default `tl.Relu`). */
  activationFn?: LayerFactory;
  /** Whether the last Dense layer is followed by the activation too (default false). */
  outActivation?: boolean;
  /** Whether to flatten each input to `(batch, -1)` first (default true). */
  flatten?: boolean;
  /** Ignored, as in Trax (default `"train"`). */
  mode?: ModelMode;
}

function mlp(options: MLPOptions = {}): Layer {
  const o = checkModelOptions("MLP", options, ["layerWidths", "activationFn", "outActivation", "flatten", "mode"]);
  const widths = o.layerWidths ?? [128, 64];
  const activation = o.activationFn ?? tl.Relu;
  const layers: Layer[] = [];
  for (const width of widths) {
    layers.push(tl.Dense(width));
    layers.push(activation());
  }
  if (!(o.outActivation ?? false)) layers.pop();
  return tl.Serial((o.flatten ?? true) ? [tl.Flatten()] : [], layers);
}

/**
 * A multilayer perceptron, as Trax's `trax.models.MLP`: an optional
 * Flatten, then Dense layers with an activation between them.
 *
 * In: `(batch, ...)` floats. Out: `(batch, layerWidths[-1])`.
 *
 * @example
 * ```ts
 * const model = trax.models.MLP({ layerWidths: [16, 10] });
 * model(tf.ones([2, 4, 4])).shape; // [2, 10]
 * ```
 */
export const MLP = recordedConstructor("MLP", mlp, "trax.models");
