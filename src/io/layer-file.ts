/**
 * `Layer.saveToFile` / `Layer.initFromFile`: trax-ts's own checkpoint
 * format (`./checkpoint`) or Python Trax's (`./trax-layer-file`). Reading
 * tells the formats apart by content; writing uses `format` (default
 * `"trax-ts"`).
 * @module
 */
import type { Layer, State, Weights } from "../layers/base";
import { initLayerFromFile, saveLayerToFile } from "./checkpoint";
import type { LayerFileOptions } from "./checkpoint";
import { isTraxPickleFile } from "./trax-file";
import { initLayerFromTraxFile, saveLayerToTraxFile } from "./trax-layer-file";

/** Options of `Layer.saveToFile` (those of `initFromFile` plus the format). */
export interface SaveFileOptions extends LayerFileOptions {
  /** `"trax-ts"` (default): trax-ts's checkpoint; `"trax"`: Python Trax's `save_to_file` pickle. */
  format?: "trax-ts" | "trax";
}

/**
 * Saves a layer in the format asked for; the body of `Layer.saveToFile`.
 *
 * @example
 * ```ts
 * saveLayer(model, "/tmp/model.pkl.gz", { format: "trax", inputSignature: new ShapeDtype([1, 4]) });
 * ```
 */
export function saveLayer(layer: Layer, fileName: string, options: SaveFileOptions = {}): void {
  const { format = "trax-ts", ...rest } = options;
  if (format === "trax") return saveLayerToTraxFile(layer, fileName, rest);
  if (format !== "trax-ts") throw new Error(`saveToFile: unknown format '${String(format)}' (use "trax-ts" or "trax")`);
  return saveLayerToFile(layer, fileName, rest);
}

/**
 * Initializes a layer from either format; the body of `Layer.initFromFile`.
 *
 * @example
 * ```ts
 * loadLayer(model, "model.pkl.gz"); // a file Python Trax wrote
 * ```
 */
export function loadLayer(layer: Layer, fileName: string, options: LayerFileOptions = {}): [Weights, State] {
  if (isTraxPickleFile(fileName)) return initLayerFromTraxFile(layer, fileName, options);
  return initLayerFromFile(layer, fileName, options);
}
