/**
 * Heatmaps of 2-D data as SVG (cells as rectangles with hover values when
 * small, one embedded palette PNG when large), with labels, a title and a
 * colour bar; every label is escaped.
 * @module
 */
import { NAN_INDEX, viridisHex, viridisPalette } from "./colormap";
import { escapeHtml } from "./escape";
import { encodePng, toBase64 } from "./png";

/** A 2-D grid of values, row-major. */
export interface Grid {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
}

/** Options of {@link heatmapSvg}. */
export interface HeatmapOptions {
  /** Labels of rows (left) and columns (top); long ones are shortened. */
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  /** A title above the map. */
  title?: string;
  /** Colour range (default: the finite min and max of the values). */
  min?: number;
  max?: number;
  /** Largest side of the drawn map in pixels (default 320). */
  size?: number;
  /** Grids with more cells than this are drawn as one image (default 1600). */
  maxCells?: number;
  /** Caption under the map, e.g. a downsampling note. */
  caption?: string;
}

/**
 * Finite min and max (`[0, 0]` when there is none).
 *
 * @example
 * ```ts
 * finiteRange([3, NaN, -1]); // [-1, 3]
 * ```
 */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * Shrinks a grid so that no side exceeds `maxSide`, by averaging blocks
 * (non-finite values are skipped; a block with none is NaN).
 *
 * @example
 * ```ts
 * downsample({ values: new Float32Array(1e6), rows: 1000, cols: 1000 }, 250).rows; // 250
 * ```
 */
export function downsample(g: Grid, maxSide: number): Grid {
  const fr = Math.max(1, Math.ceil(g.rows / maxSide));
  const fc = Math.max(1, Math.ceil(g.cols / maxSide));
  if (fr === 1 && fc === 1) return g;
  const rows = Math.ceil(g.rows / fr);
  const cols = Math.ceil(g.cols / fc);
  const sum = new Float64Array(rows * cols);
  const count = new Uint32Array(rows * cols);
  for (let r = 0; r < g.rows; r++) {
    const rr = Math.floor(r / fr) * cols;
    for (let c = 0; c < g.cols; c++) {
      const v = g.values[r * g.cols + c];
      if (Number.isFinite(v)) {
        const k = rr + Math.floor(c / fc);
        sum[k] += v;
        count[k]++;
      }
    }
  }
  const values = new Float32Array(rows * cols);
  for (let k = 0; k < values.length; k++) values[k] = count[k] ? sum[k] / count[k] : NaN;
  return { values, rows, cols };
}

/**
 * Palette indices (0-254 from `min` to `max`, 255 for non-finite) of a grid.
 *
 * @example
 * ```ts
 * quantize({ values: [0, 1, NaN], rows: 1, cols: 3 }, 0, 1); // Uint8Array [0, 254, 255]
 * ```
 */
export function quantize(g: Grid, min: number, max: number): Uint8Array {
  const out = new Uint8Array(g.rows * g.cols);
  const span = max - min;
  for (let i = 0; i < out.length; i++) {
    const v = g.values[i];
    if (!Number.isFinite(v)) out[i] = NAN_INDEX;
    else out[i] = span > 0 ? Math.round(Math.min(1, Math.max(0, (v - min) / span)) * 254) : 127;
  }
  return out;
}

/**
 * A palette PNG of a grid (one pixel per cell; base64), for `<img>` or `image/png`.
 *
 * @example
 * ```ts
 * heatmapPng({ values: [0, 1, 2, 3], rows: 2, cols: 2 }); // "iVBORw0KGgo..."
 * ```
 */
export function heatmapPng(g: Grid, min?: number, max?: number): string {
  const [lo, hi] = min === undefined || max === undefined ? finiteRange(g.values) : [min, max];
  return toBase64(encodePng(quantize(g, lo, hi), g.cols, g.rows, 1, { color: "palette", palette: viridisPalette() }));
}

/**
 * A short number for labels.
 *
 * @example
 * ```ts
 * shortNumber(0.123456); // "0.1235"
 * ```
 */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
}

/**
 * An SVG heatmap of `g`.
 *
 * @example
 * ```ts
 * heatmapSvg({ values: [0, 1, 2, 3], rows: 2, cols: 2 }, { rowLabels: ["a", "b"], title: "x" });
 * ```
 */
export function heatmapSvg(g: Grid, options: HeatmapOptions = {}): string {
  const [lo0, hi0] = finiteRange(g.values);
  const lo = options.min ?? lo0;
  const hi = options.max ?? hi0;
  const maxCells = options.maxCells ?? 1600;
  const size = options.size ?? 320;
  const rowLabels = options.rowLabels?.map((s) => clip(String(s), 14));
  const colLabels = options.colLabels?.map((s) => clip(String(s), 14));
  // Pixels per cell (fractional for large grids, drawn as one scaled image); the map fits in `size`.
  const scale = Math.min(28, size / Math.max(g.rows, g.cols));
  const asRects = g.rows * g.cols <= maxCells && scale >= 3;
  const w = Math.max(1, Math.round((asRects ? Math.floor(scale) : scale) * g.cols));
  // A one-row strip stays visible.
  const h = Math.max(g.rows === 1 ? 16 : 1, Math.round((asRects ? Math.floor(scale) : scale) * g.rows));
  const cellW = w / g.cols;
  const cellH = h / g.rows;
  const charW = 6.5;
  const showRows = rowLabels !== undefined && cellH >= 8;
  const showCols = colLabels !== undefined && cellW >= 8;
  const left = 6 + (rowLabels && showRows ? Math.max(0, ...rowLabels.map((s) => s.length)) * charW + 4 : 0);
  const titleH = options.title ? 20 : 4;
  const top = titleH + (colLabels && showCols ? Math.max(0, ...colLabels.map((s) => s.length)) * charW + 6 : 0);
  const barW = 12;
  const width = Math.ceil(left + w + 16 + barW + 64);
  const height = Math.ceil(top + Math.max(h, 60) + (options.caption ? 22 : 8));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) parts.push(`<text x="${left}" y="14" font-size="12" font-weight="bold">${escapeHtml(options.title)}</text>`);
  if (asRects) {
    const span = hi - lo;
    parts.push(`<g transform="translate(${left},${top})">`);
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const v = g.values[r * g.cols + c];
        const fill = Number.isFinite(v) ? viridisHex(span > 0 ? (v - lo) / span : 0.5) : "#d0d0d0";
        const label = `${rowLabels ? rowLabels[r] ?? r : r}, ${colLabels ? colLabels[c] ?? c : c}: ${shortNumber(v)}`;
        parts.push(`<rect x="${c * cellW}" y="${r * cellH}" width="${cellW}" height="${cellH}" fill="${fill}"><title>${escapeHtml(label)}</title></rect>`);
      }
    }
    parts.push(`</g>`);
  } else {
    const small = downsample(g, 256);
    const png = heatmapPng(small, lo, hi);
    parts.push(
      `<image x="${left}" y="${top}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${png}" href="data:image/png;base64,${png}"/>`
    );
  }
  if (rowLabels && showRows) {
    rowLabels.forEach((s, r) => {
      if (r < g.rows) parts.push(`<text x="${left - 4}" y="${(top + r * cellH + cellH / 2 + 4).toFixed(1)}" text-anchor="end">${escapeHtml(s)}</text>`);
    });
  }
  if (colLabels && showCols) {
    colLabels.forEach((s, c) => {
      if (c < g.cols) {
        const x = (left + c * cellW + cellW / 2 + 4).toFixed(1);
        parts.push(`<text transform="translate(${x},${top - 4}) rotate(-90)">${escapeHtml(s)}</text>`);
      }
    });
  }
  // Colour bar.
  const bx = left + w + 16;
  const steps = 16;
  const bh = Math.max(h, 60);
  for (let i = 0; i < steps; i++) {
    parts.push(`<rect x="${bx}" y="${(top + (i * bh) / steps).toFixed(1)}" width="${barW}" height="${(bh / steps + 0.5).toFixed(1)}" fill="${viridisHex(1 - i / (steps - 1))}"/>`);
  }
  parts.push(`<text x="${bx + barW + 3}" y="${top + 9}">${escapeHtml(shortNumber(hi))}</text>`);
  parts.push(`<text x="${bx + barW + 3}" y="${top + bh}">${escapeHtml(shortNumber(lo))}</text>`);
  if (options.caption) parts.push(`<text x="${left}" y="${height - 6}" fill="#555">${escapeHtml(options.caption)}</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

/**
 * An SVG as an `<img>` with a `data:` URI: what survives an untrusted
 * notebook's sanitizer (inline `<svg>` is removed there, its text kept) and
 * GitHub's renderer. The size comes from the SVG's own width and height.
 *
 * @example
 * ```ts
 * svgImage(heatmapSvg(grid), "heatmap of x"); // '<img src="data:image/svg+xml;base64,..." width="..." height="..." alt="heatmap of x">'
 * ```
 */
export function svgImage(svg: string, alt: string): string {
  const w = /^<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1];
  const h = /^<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1];
  const size = w && h ? ` width="${w}" height="${h}"` : "";
  return `<img src="data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}"${size} alt="${escapeHtml(alt)}" title="${escapeHtml(alt)}" style="max-width:none">`;
}

/**
 * A heatmap as a PNG (base64) about `size` pixels on its longer side: each
 * cell a block of pixels (large grids are averaged down first), viridis colours.
 * For `image/png` in bundles, which every renderer shows.
 *
 * @example
 * ```ts
 * heatmapPngScaled({ values: [0, 1, 2, 3], rows: 2, cols: 2 }, 64); // a 64x64 PNG, 32-pixel cells
 * ```
 */
export function heatmapPngScaled(g: Grid, size = 256, min?: number, max?: number): string {
  const [lo, hi] = min === undefined || max === undefined ? finiteRange(g.values) : [min, max];
  const small = downsample(g, size);
  const k = Math.max(1, Math.floor(size / Math.max(small.rows, small.cols)));
  // One-row (or one-column) grids stay visible: at least 16 pixels across.
  const ky = small.rows === 1 ? Math.max(k, 16) : k;
  const kx = small.cols === 1 ? Math.max(k, 16) : k;
  const index = quantize(small, lo, hi);
  const width = small.cols * kx;
  const height = small.rows * ky;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / ky) * small.cols;
    for (let x = 0; x < width; x++) pixels[y * width + x] = index[row + Math.floor(x / kx)];
  }
  return toBase64(encodePng(pixels, width, height, 1, { color: "palette", palette: viridisPalette() }));
}
