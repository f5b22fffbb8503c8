/**
 * The view of any Vega-Lite spec: the chart a user writes by hand shown
 * like the training charts (spec, interactive HTML, and once awaited an SVG
 * and a PNG for static and image-only renderers).
 * @module
 */
import { inspect } from "util";
import { DISPLAY, DISPLAY_ASYNC, type MimeBundle } from "./bundle";
import { chartBundle, chartHeader, renderVegaLite, type RenderOptions, type VegaLiteSpec } from "./vega";

/** Options of {@link chartView}. */
export interface ChartViewOptions extends RenderOptions {
  /** The `text/plain` of the bundle (default: the spec's title, or "Vega-Lite chart"). */
  text?: string;
  /** A line shown above the chart. */
  status?: string;
  /** Inline the vega libraries in the HTML (default: by `setVegaLibraryMode`). */
  includeLibrary?: boolean;
}

/**
 * A Vega-Lite chart as a displayable object.
 *
 * @example
 * ```ts
 * const view = new trax.display.ChartView(spec, { text: "accuracy by model" });
 * await trax.display.show(view); // spec, HTML, SVG and PNG
 * ```
 */
export class ChartView {
  readonly spec: VegaLiteSpec;
  readonly options: ChartViewOptions;

  constructor(spec: VegaLiteSpec, options: ChartViewOptions = {}) {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new TypeError("chartView: a Vega-Lite spec (an object) expected");
    this.spec = spec;
    this.options = options;
  }

  /** The text view: `options.text`, else the title. */
  toString(): string {
    if (this.options.text !== undefined) return this.options.text;
    const title = this.spec.title;
    const t = typeof title === "string" ? title : typeof (title as { text?: unknown } | undefined)?.text === "string" ? (title as { text: string }).text : "";
    return t ? `Vega-Lite chart: ${t}` : "Vega-Lite chart";
  }

  private header(): string | undefined {
    return this.options.status ? chartHeader(this.options.status) : undefined;
  }

  /** Spec, HTML (vega-embed) and text; no images (see the async bundle). */
  [DISPLAY](): MimeBundle {
    return chartBundle(this.spec, this.toString(), undefined, this.header(), this.options.includeLibrary);
  }

  /** Like the sync bundle, plus the SVG (also the HTML's no-script fallback) and the PNG. */
  async [DISPLAY_ASYNC](): Promise<MimeBundle> {
    const { svg, png } = await renderVegaLite(this.spec, { scale: this.options.scale });
    return chartBundle(this.spec, this.toString(), svg, this.header(), this.options.includeLibrary, png);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Shows a hand-written Vega-Lite spec like trax-ts's own charts; await
 * `show` for the SVG and PNG.
 *
 * @example
 * ```ts
 * await trax.display.show(trax.display.chartView({ $schema: trax.display.VEGA_LITE_SCHEMA, data: { values },
 *   mark: "line", encoding: { x: { field: "step", type: "quantitative" }, y: { field: "accuracy", type: "quantitative" } } }));
 * ```
 */
export function chartView(spec: VegaLiteSpec, options: ChartViewOptions = {}): ChartView {
  return new ChartView(spec, options);
}
