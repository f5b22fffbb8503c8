/**
 * `trax.display`: rich views for notebooks and terminals. Every view
 * implements `[Symbol.for("Jupyter.display")]()` (a MIME bundle with
 * `text/plain` and richer entries) and `[util.inspect.custom]`.
 *
 * @example
 * ```ts
 * await trax.display.show(tf.randomNormal([4, 4])); // numpy-style values and a heatmap
 * trax.display.layerView(model, new trax.shapes.ShapeDtype([1, 16]));
 * ```
 * @module
 */
import { installLayerDisplay } from "./install";

export { DISPLAY, isDisplayable, type MimeBundle, type Displayable } from "./bundle";
export { escapeHtml, jsonForScript } from "./escape";
export { formatNumpy, type NumpyPrintOptions } from "./numpy-format";
export { encodePng, crc32, toBase64, PNG_SIGNATURE, type PngOptions, type PngColor } from "./png";
export { viridis, viridisHex } from "./colormap";
export { heatmapSvg, heatmapPng, downsample, type Grid, type HeatmapOptions } from "./heatmap";
export { TensorView, tensorView, statsOf, looksLikeTensor, type TensorViewOptions, type TensorStats } from "./tensor-view";
export { LayerView, layerView, type LayerRow, type LayerViewOptions } from "./layer-view";
export { AttentionView, attentionView, findVizProbabilities, type AttentionViewOptions, type AttentionMap } from "./attention-view";
export {
  DISPLAY_ASYNC, bundleOf, bundleOfAsync, show, emit, setDisplaySink, displaySink, inNotebook, hasRichDisplay,
  type DisplaySink, type DisplayOptions,
} from "./show";
export { installLayerDisplay };

installLayerDisplay();
