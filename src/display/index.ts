/**
 * `trax.display`: rich views for notebooks and terminals. Every view
 * implements `[Symbol.for("Jupyter.display")]()` (a MIME bundle with
 * `text/plain` and richer entries) and `[util.inspect.custom]` (text).
 *
 * - `bundleOf(x)`: the bundle of anything (sync): own symbol, tfjs tensors
 *   (tensor view), layers (layer view), histories (chart without SVG), text.
 * - `bundleOfAsync(x)`: the same, with charts' `image/svg+xml` rendered by
 *   vega (vega renders SVG only asynchronously). Kernels should use this one.
 * - `show(x, { displayId?, update? })`: shows `x` (awaits the async bundle)
 *   through the display sink, or prints its text to stdout; resolves to the
 *   bundle it showed.
 * - `setDisplaySink((bundle, { displayId, update }) => ...)`: where bundles go.
 *   Without one, a `globalThis.__traxDisplaySink` function, else tslab's
 *   channel when the process is a tslab kernel (the kernel's own loaded
 *   `tslab/dist/jupyter.js` instance), else none (terminal).
 * - Views: `tensorView`, `layerView(layer, inputSignature?)`, `attentionView`,
 *   `historyView`, `imageView`, `scalarView`, `textChart`, `pythonView(layer)`
 *   (the Python Trax code of a layer tree).
 * - Live training: `attachLiveView(loop)` (one display updated in place while
 *   `loop.run` works; the final update adds the SVG) or `liveView(history)`.
 *
 * Importing trax-ts installs the protocol on `tl.Layer.prototype` and
 * `trax.supervised.History.prototype`.
 *
 * @example
 * ```ts
 * await trax.display.show(tf.randomNormal([4, 4])); // numpy-style values and a heatmap
 * trax.display.layerView(model, new trax.shapes.ShapeDtype([1, 16]));
 * trax.display.attachLiveView(loop); await loop.run(200);
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
export { ChartView, chartView, type ChartViewOptions } from "./chart-view";
export { looksLikeHistory, type HistoryLike, type HistoryRecordLike } from "./history-like";
export { textChart, type TextChartOptions } from "./text-chart";
export {
  renderVegaLiteSvg, renderVegaLite, vegaHtml, chartBundle, setVegaLibraryMode, resetVegaLibrary, libraryPending, vegaLibraryScript, stripVegaLibrary, VEGA_LITE_SCHEMA,
  type VegaLiteSpec, type VegaHtmlOptions, type VegaLibraryMode, type RenderedChart, type RenderOptions,
} from "./vega";
export { LiveView, liveView, attachLiveView, type LiveLoop, type LiveAttachment, type LiveProgress, type LiveViewOptions } from "./live";
export {
  bundleOf, bundleOfAsync, show, emit, setDisplaySink, displaySink, inNotebook, hasRichDisplay,
  type DisplaySink, type DisplayOptions, type DisplaySinkOptions,
} from "./show";
export { ImageView, imageView, imagePixels, type ImageViewOptions, type EncodedImage } from "./image-view";
export { ScalarView, scalarView } from "./scalar-view";
export { PythonView, pythonView } from "./python-view";
export { findSummaries, type FoundSummaries } from "./summaries";
export { installDisplays };

installDisplays();
