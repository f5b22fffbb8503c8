/**
 * The training-history view: loss and metric curves, train against eval, as
 * a Vega-Lite chart (one panel per metric), with an SVG rendered in Node and
 * a text chart for terminals.
 *
 * The sync protocol method `[Symbol.for("Jupyter.display")]()` gives the
 * spec, HTML (drawn by vega-embed) and text; vega renders SVG only
 * asynchronously, so `await trax.display.show(h)` / `bundleOfAsync(h)` add
 * `image/svg+xml` (also put inside the HTML as the no-script fallback) and
 * `image/png` (drawn by ./raster: what image-only renderers show).
 * @module
 */
import { inspect } from "util";
import { DISPLAY, DISPLAY_ASYNC, type MimeBundle } from "./bundle";
import { chartMetrics, looksLikeHistory, type HistoryLike } from "./history-like";
import { textChart } from "./text-chart";
import { chartBundle, chartHeader, renderVegaLite, renderVegaLiteSvg, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vega";

/** Options of {@link historyView}. */
export interface HistoryViewOptions {
  /** Metrics to draw (default: every `metrics/...` metric, else all). */
  metrics?: readonly string[];
  /** A title above the panels. */
  title?: string;
  /** Size of one panel in pixels (default 260 x 160). */
  width?: number;
  height?: number;
  /** Panels per row (default 3). */
  columns?: number;
  /** A line shown above the chart (e.g. training progress). */
  status?: string;
  /** Inline the vega libraries in the HTML (default: by `setVegaLibraryMode`). */
  includeLibrary?: boolean;
}

/**
 * The Vega-Lite spec of a history: x = step, y = value, colour = mode
 * (train/eval), one panel per metric with its own y scale.
 *
 * @example
 * ```ts
 * const spec = trax.display.historySpec(history);
 * ```
 */
export function historySpec(h: HistoryLike, options: HistoryViewOptions = {}): VegaLiteSpec {
  const metrics = chartMetrics(h, options.metrics);
  const keep = new Set(metrics);
  const values = h.records
    .filter((r) => keep.has(r.metric) && Number.isFinite(r.value))
    .map((r) => ({ step: r.step, value: r.value, mode: r.mode, metric: r.metric }));
  // Modes in the legend: the ones present, train first.
  const present = new Set(values.map((v) => v.mode));
  const modes = ["train", "eval", ...[...present].filter((m) => m !== "train" && m !== "eval").sort()].filter((m) => present.has(m));
  const colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
  const spec: VegaLiteSpec = {
    $schema: VEGA_LITE_SCHEMA,
    data: { values },
    facet: { field: "metric", type: "nominal", title: null, sort: metrics, header: { labelFontSize: 12, labelFontWeight: "bold" } },
    columns: Math.max(1, Math.min(options.columns ?? 3, metrics.length || 1)),
    spec: {
      width: options.width ?? 260,
      height: options.height ?? 160,
      mark: { type: "line", point: { size: 18 }, tooltip: true },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: {
          field: "mode",
          type: "nominal",
          title: null,
          scale: {
            domain: modes.length ? modes : ["train"],
            range: (modes.length ? modes : ["train"]).map((m, i) => (m === "train" ? colours[0] : m === "eval" ? colours[1] : colours[(i % 3) + 2])),
          },
        },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: { view: { stroke: "#ddd" } },
  };
  if (options.title) spec.title = options.title;
  return spec;
}

/**
 * A view of a training history (see the module notes for sync and async bundles).
 *
 * @example
 * ```ts
 * new trax.display.HistoryView(loop.history).toString(); // text charts
 * ```
 */
export class HistoryView {
  readonly history: HistoryLike;
  readonly options: HistoryViewOptions;

  constructor(history: HistoryLike, options: HistoryViewOptions = {}) {
    if (!looksLikeHistory(history)) throw new TypeError("historyView: a History (an object with records of { step, mode, metric, value }) expected");
    this.history = history;
    this.options = options;
  }

  /** The Vega-Lite spec. */
  spec(): VegaLiteSpec {
    return historySpec(this.history, this.options);
  }

  /** The SVG rendered by vega in Node. */
  toSVG(): Promise<string> {
    return renderVegaLiteSvg(this.spec());
  }

  /** Text: the status line, then text charts. */
  toString(): string {
    const chart = this.history.records.length ? textChart(this.history, { metrics: this.options.metrics }) : "(empty history)";
    return (this.options.status ? this.options.status + "\n" : "") + chart;
  }

  /** Spec, HTML (vega-embed) and text; no SVG (see `bundleOfAsync`). */
  [DISPLAY](): MimeBundle {
    const header = this.options.status ? chartHeader(this.options.status) : undefined;
    return chartBundle(this.spec(), this.toString(), undefined, header, this.options.includeLibrary);
  }

  /** Like the sync bundle, plus the SVG (also inside the HTML as the fallback) and a PNG of the chart. */
  async [DISPLAY_ASYNC](): Promise<MimeBundle> {
    const spec = this.spec();
    const { svg, png } = await renderVegaLite(spec);
    const header = this.options.status ? chartHeader(this.options.status) : undefined;
    return chartBundle(spec, this.toString(), svg, header, this.options.includeLibrary, png);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The chart view of a training history.
 *
 * @example
 * ```ts
 * const history = await loop.run(200);
 * await trax.display.show(trax.display.historyView(history, { metrics: ["metrics/CrossEntropyLoss"] }));
 * ```
 */
export function historyView(history: HistoryLike, options: HistoryViewOptions = {}): HistoryView {
  return new HistoryView(history, options);
}
