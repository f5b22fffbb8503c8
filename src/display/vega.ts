/**
 * Vega-Lite charts: SVG rendered in Node by `vega`, and HTML that draws the
 * chart with `vega-embed` from the package's own copies of the libraries
 * (inlined into the first chart of the session; no CDN, works offline),
 * with the SVG inside as the fallback where scripts do not run, and a PNG
 * for renderers that show only images.
 * @module
 */
import { readFileSync } from "fs";
import { dirname, join } from "path";
import { randomBytes } from "crypto";
import { escapeHtml, jsonForScript } from "./escape";
import { svgImage } from "./heatmap";
import type { MimeBundle } from "./bundle";
import { toBase64 } from "./png";

/** A Vega-Lite (v5) specification. */
export type VegaLiteSpec = Record<string, unknown>;

/** The `$schema` of Vega-Lite 5 specs. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** A chart rendered in Node: the SVG and the PNG (base64) of one drawing. */
export interface RenderedChart {
  svg: string;
  /** `image/png` content: base64 of the PNG. */
  png: string;
  /** The chart's size in CSS pixels (the SVG's); the PNG is `scale` times that. */
  width: number;
  height: number;
}

/** Options of {@link renderVegaLite}. */
export interface RenderOptions {
  /** Device pixels per CSS pixel of the PNG (default 1: small enough to store in notebooks). */
  scale?: number;
}

function compiledView(spec: VegaLiteSpec) {
  // Loaded on first use: vega is large, and most sessions never draw a chart.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vega = require("vega") as typeof import("vega");
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vl = require("vega-lite") as typeof import("vega-lite");
  const compiled = vl.compile(spec as never).spec;
  return new vega.View(vega.parse(compiled), { renderer: "none" });
}

/**
 * Renders a Vega-Lite spec to SVG in Node (no browser, no canvas).
 *
 * @example
 * ```ts
 * const svg = await renderVegaLiteSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: "point",
 *   encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } });
 * ```
 */
export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const view = compiledView(spec);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec to SVG and to PNG in Node: the PNG is vega's own
 * canvas drawing into trax-ts's pure-TypeScript rasterizer (./raster), text
 * in its bitmap font, so it needs no canvas package and no system fonts.
 *
 * @example
 * ```ts
 * const { svg, png } = await renderVegaLite(spec); // png: base64, for "image/png"
 * ```
 */
export async function renderVegaLite(spec: VegaLiteSpec, options: RenderOptions = {}): Promise<RenderedChart> {
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 8)) throw new Error(`renderVegaLite: scale must be in (0, 8]; got ${scale}`);
  const view = compiledView(spec);
  try {
    const svg = await view.toSVG();
    const size = /<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
    const width = size ? Number(size[1]) : 400;
    const height = size ? Number(size[2]) : 300;
    // Loaded on first use, like vega: a session that draws no chart never loads the rasterizer.
    const { vegaViewPng } = await import("./raster/vega-raster");
    const png = toBase64(await vegaViewPng(view, width, height, scale));
    return { svg, png, width, height };
  } finally {
    view.finalize();
  }
}

let library: string | null = null;

/** The three libraries' minified code, each run with AMD/CommonJS hidden so they set `window.vega`, `vegaLite`, `vegaEmbed`. */
function libraryCode(): string {
  if (library === null) {
    // Each package's main file sits in its build/ folder, beside the minified browser build
    // (vega-embed's "exports" hides subpaths from require.resolve).
    const files: [string, string][] = [["vega", "vega.min.js"], ["vega-lite", "vega-lite.min.js"], ["vega-embed", "vega-embed.min.js"]];
    library = files
      .map(([pkg, file]) => {
        const code = readFileSync(join(dirname(require.resolve(pkg)), file), "utf8").replace(/<\/(script)/gi, "<\\/$1");
        // Classic Jupyter has RequireJS: with `define` visible, UMD builds would register as AMD modules instead.
        return `(function(define, module, exports, require){${code}\n}).call(window);`;
      })
      .join("\n");
  }
  return library;
}

/**
 * The `<script>` that defines `window.vega`, `vegaLite` and `vegaEmbed` (once
 * per page): what the first chart of a session carries, and what an HTML
 * export puts in its `<head>`.
 *
 * @example
 * ```ts
 * html.replace("</head>", vegaLibraryScript() + "</head>");
 * ```
 */
export function vegaLibraryScript(): string {
  return `<script type="text/javascript">${LIBRARY_OPEN}\n${libraryCode()}\n}</script>`;
}

const LIBRARY_OPEN = "if (!window.vegaEmbed) {";

/**
 * Removes the vega libraries a chart's HTML carries (see {@link vegaLibraryScript}),
 * leaving the chart and its drawing script: a stored notebook then holds its
 * charts without 850 KB of library each; pages that show it get the
 * libraries once (an HTML export adds them to its head).
 *
 * @example
 * ```ts
 * stripVegaLibrary(chartHtml).length; // a few KB
 * ```
 */
export function stripVegaLibrary(html: string): string {
  const open = `<script type="text/javascript">${LIBRARY_OPEN}\n`;
  let out = html;
  for (let at = out.indexOf(open); at >= 0; at = out.indexOf(open, at)) {
    // The libraries' own "</script" are escaped, so the first "\n}</script>" ends the block.
    const end = out.indexOf("\n}</script>", at);
    if (end < 0) break;
    out = out.slice(0, at) + out.slice(end + "\n}</script>".length);
  }
  return out;
}

let libraryShown = false;

/** How chart HTML carries the vega libraries. */
export type VegaLibraryMode = "once" | "always" | "never";
let libraryMode: VegaLibraryMode = "once";

/**
 * Chooses when chart HTML inlines the vega libraries: `"once"` (default:
 * the first chart of the session, later ones reuse `window.vegaEmbed`),
 * `"always"` (every chart, for pages built from single outputs) or `"never"`
 * (charts show their SVG unless the page already has vega-embed).
 *
 * @example
 * ```ts
 * trax.display.setVegaLibraryMode("always"); // every chart carries the libraries
 * ```
 */
export function setVegaLibraryMode(mode: VegaLibraryMode): void {
  if (!["once", "always", "never"].includes(mode)) throw new Error(`setVegaLibraryMode: "once", "always" or "never" expected; got ${String(mode)}`);
  libraryMode = mode;
  libraryShown = false;
}

/**
 * True when the next chart's HTML will inline the libraries (by the mode in force).
 *
 * @example
 * ```ts
 * trax.display.libraryPending(); // true before the first chart of a session
 * ```
 */
export function libraryPending(): boolean {
  return libraryMode === "always" || (libraryMode === "once" && !libraryShown);
}

/**
 * Makes the next chart inline the libraries again (e.g. for a new page).
 *
 * @example
 * ```ts
 * trax.display.resetVegaLibrary();
 * ```
 */
export function resetVegaLibrary(): void {
  libraryShown = false;
}

/** Options of {@link vegaHtml}. */
export interface VegaHtmlOptions {
  /** SVG shown (as an `<img>`) until vega-embed draws, and where scripts do not run. */
  svg?: string;
  /** Force (true) or leave out (false) the libraries; default by {@link setVegaLibraryMode}. */
  includeLibrary?: boolean;
  /** Extra HTML above the chart (already escaped). */
  header?: string;
}

/**
 * HTML that draws `spec` with vega-embed, with the SVG as fallback content.
 *
 * @example
 * ```ts
 * const html = vegaHtml(spec, { svg: await renderVegaLiteSvg(spec) });
 * ```
 */
export function vegaHtml(spec: VegaLiteSpec, options: VegaHtmlOptions = {}): string {
  const id = "trax-vega-" + randomBytes(6).toString("hex");
  let include = options.includeLibrary;
  if (include === undefined) {
    include = libraryMode === "always" || (libraryMode === "once" && !libraryShown);
  }
  if (include) libraryShown = true;
  const lib = include ? vegaLibraryScript() : "";
  const draw =
    `<script type="text/javascript">(function(){var el=document.getElementById(${JSON.stringify(id)});` +
    `var spec=${jsonForScript(spec)};` +
    `function draw(){window.vegaEmbed(el,spec,{actions:false,renderer:"svg"}).catch(function(e){el.insertAdjacentText("beforeend"," (chart error: "+e.message+")");});}` +
    `if(window.vegaEmbed){draw();}else{var n=0;var t=setInterval(function(){if(window.vegaEmbed){clearInterval(t);draw();}else if(++n>50){clearInterval(t);}},100);}` +
    `})();</script>`;
  // The static chart as an <img>: it survives an untrusted notebook's sanitizer (inline <svg> does not); vega-embed replaces it.
  const still = options.svg ? svgImage(options.svg, "chart (static image; the page draws it interactively where scripts run)") : "";
  return `<div class="trax-chart">${options.header ?? ""}${lib}<div id="${id}">${still}</div>${draw}</div>`;
}

/**
 * A chart's bundle: text, the spec, HTML (and the SVG and the PNG when
 * given: `image/png` is what GitHub, nbviewer and other static renderers of
 * an untrusted notebook show).
 *
 * @example
 * ```ts
 * const { svg, png } = await renderVegaLite(spec);
 * chartBundle(spec, "loss curve", svg, undefined, undefined, png);
 * ```
 */
export function chartBundle(spec: VegaLiteSpec, text: string, svg?: string, header?: string, includeLibrary?: boolean, png?: string): MimeBundle {
  const b: MimeBundle = {
    "text/plain": text,
    "text/html": vegaHtml(spec, { svg, header, includeLibrary }),
    "application/vnd.vegalite.v5+json": spec,
  };
  if (svg) b["image/svg+xml"] = svg;
  if (png) b["image/png"] = png;
  return b;
}

/**
 * Escaped text for chart headers.
 *
 * @example
 * ```ts
 * chartHeader("step 10/100"); // escaped, monospace
 * ```
 */
export function chartHeader(s: string): string {
  return `<div style="font-family:monospace;font-size:12px;margin:2px 0">${escapeHtml(s)}</div>`;
}
