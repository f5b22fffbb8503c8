/**
 * Small line charts for terminals, drawn with Braille dots (train) and `o`
 * marks (eval), one per metric, for the REPL's view of a history.
 * @module
 */
import { chartMetrics, series, type HistoryLike } from "./history-like";
import { shortNumber } from "./heatmap";

/** Options of {@link textChart}. */
export interface TextChartOptions {
  /** Metrics to draw (default: every `metrics/...` one). */
  metrics?: readonly string[];
  /** Plot width in characters (default 56). */
  width?: number;
  /** Plot height in lines (default 8). */
  height?: number;
}

const BRAILLE_BASE = 0x2800;
// Dot bits by [row 0-3][column 0-1] inside one Braille cell.
const DOT = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

/**
 * A text chart of `points` series: `"train"` series are Braille lines,
 * others are `o` marks. Returns the lines of the plot with a y axis.
 *
 * @example
 * ```ts
 * plotSeries([{ mode: "train", points: [[1, 1], [2, 0.5]] }], 20, 4).join("\n");
 * ```
 */
export function plotSeries(
  all: { mode: string; points: [number, number][] }[],
  width: number,
  height: number
): string[] {
  const pts = all.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  if (pts.length === 0) return ["(no finite values)"];
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.05, y1 + (Math.abs(y1) || 1) * 0.05];
  const W = width * 2;
  const H = height * 4;
  const dots = new Uint8Array(width * height);
  const marks = new Uint8Array(width * height);
  const px = (x: number) => Math.round(((x - x0) / (x1 - x0)) * (W - 1));
  const py = (y: number) => Math.round(((y1 - y) / (y1 - y0)) * (H - 1));
  const set = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    dots[Math.floor(y / 4) * width + Math.floor(x / 2)] |= DOT[y % 4][x % 2];
  };
  for (const s of all) {
    const p = s.points.filter((q) => Number.isFinite(q[1]));
    if (s.mode === "train") {
      for (let i = 0; i < p.length; i++) {
        const [ax, ay] = [px(p[i][0]), py(p[i][1])];
        set(ax, ay);
        if (i + 1 < p.length) {
          const [bx, by] = [px(p[i + 1][0]), py(p[i + 1][1])];
          const n = Math.max(Math.abs(bx - ax), Math.abs(by - ay));
          for (let k = 1; k <= n; k++) set(Math.round(ax + ((bx - ax) * k) / n), Math.round(ay + ((by - ay) * k) / n));
        }
      }
    } else {
      for (const q of p) {
        const cx = Math.min(width - 1, Math.floor(px(q[0]) / 2));
        const cy = Math.min(height - 1, Math.floor(py(q[1]) / 4));
        marks[cy * width + cx] = 1;
      }
    }
  }
  const top = shortNumber(y1);
  const bottom = shortNumber(y0);
  const lw = Math.max(top.length, bottom.length);
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    let row = "";
    for (let c = 0; c < width; c++) {
      const k = r * width + c;
      row += marks[k] ? "o" : dots[k] ? String.fromCharCode(BRAILLE_BASE + dots[k]) : " ";
    }
    const label = r === 0 ? top : r === height - 1 ? bottom : "";
    lines.push(`${label.padStart(lw)} ${r === 0 || r === height - 1 ? "\u2524" : "\u2502"}${row.trimEnd()}`);
  }
  const left = String(x0);
  const right = String(x1);
  lines.push(`${" ".repeat(lw)} \u2514${"\u2500".repeat(width)}`);
  lines.push(`${" ".repeat(lw + 2)}${left}${right.padStart(Math.max(1, width - left.length))}`);
  return lines;
}

/**
 * Terminal line charts of a training history: one per metric, train as a
 * Braille line, eval as `o` marks, with the last values.
 *
 * @example
 * ```ts
 * console.log(trax.display.textChart(history));
 * ```
 */
export function textChart(h: HistoryLike, options: TextChartOptions = {}): string {
  const width = options.width ?? 56;
  const height = options.height ?? 8;
  const metrics = chartMetrics(h, options.metrics);
  if (metrics.length === 0) return "(empty history)";
  const modes = [...new Set(h.records.map((r) => r.mode))];
  const out: string[] = [];
  for (const metric of metrics) {
    const all = modes.map((mode) => ({ mode, points: series(h, mode, metric) })).filter((s) => s.points.length > 0);
    const last = all.map((s) => {
      const [st, v] = s.points[s.points.length - 1];
      return `${s.mode} ${shortNumber(v)} @${st}`;
    });
    const legend = all.map((s) => (s.mode === "train" ? "train \u2824\u2824" : `${s.mode} o`)).join("  ");
    out.push(`${metric}   ${legend}   last: ${last.join(", ")}`);
    out.push(...plotSeries(all, width, height));
    out.push("");
  }
  return out.join("\n").trimEnd();
}
