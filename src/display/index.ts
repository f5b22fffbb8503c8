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
import { installDisplays } from "./install";

export { DISPLAY, DISPLAY_ASYNC, isDisplayable, type MimeBundle, type Displayable } from "./bundle";
export { escapeHtml, jsonForScript } from "./escape";
export { formatNumpy, type NumpyPrintOptions } from "./numpy-format";
export { encodePng, crc32, toBase64, PNG_SIGNATURE, type PngOptions, type PngColor } from "./png";
export { viridis, viridisHex } from "./colormap";
export { heatmapSvg, heatmapPng, downsample, type Grid, type HeatmapOptions } from "./heatmap";
export { TensorView, tensorView, statsOf, looksLikeTensor, type TensorViewOptions, type TensorStats } from "./tensor-view";
export { LayerView, layerView, rememberInitSignature, type LayerRow, type LayerViewOptions } from "./layer-view";
export { AttentionView, attentionView, findVizProbabilities, type AttentionViewOptions, type AttentionMap } from "./attention-view";
export { HistoryView, historyView, historySpec, type HistoryViewOptions } from "./history-view";
export { looksLikeHistory, type HistoryLike, type HistoryRecordLike } from "./history-like";
export { textChart, type TextChartOptions } from "./text-chart";
export {
  renderVegaLiteSvg, vegaHtml, chartBundle, setVegaLibraryMode, resetVegaLibrary, VEGA_LITE_SCHEMA,
  type VegaLiteSpec, type VegaHtmlOptions, type VegaLibraryMode,
} from "./vega";
export { LiveView, liveView, attachLiveView, type LiveLoop, type LiveAttachment, type LiveProgress, type LiveViewOptions } from "./live";
export {
  bundleOf, bundleOfAsync, show, emit, setDisplaySink, displaySink, inNotebook, hasRichDisplay,
  type DisplaySink, type DisplayOptions,
} from "./show";
export { ImageView, imageView, imagePixels, type ImageViewOptions, type EncodedImage } from "./image-view";
export { ScalarView, scalarView } from "./scalar-view";
export { findSummaries, type FoundSummaries } from "./summaries";
export { installDisplays };

installDisplays();
