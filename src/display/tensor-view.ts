/**
 * The tensor view: shape, dtype, statistics, values as numpy prints them and
 * heatmaps of 2-D data (or of the 2-D slices of higher ranks).
 * @module
 */
import { inspect } from "util";
import type { tf } from "../backend/tf";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";
import { heatmapPngScaled, heatmapSvg, shortNumber, svgImage } from "./heatmap";
import { formatNumpy } from "./numpy-format";

/** The parts of a tfjs tensor the view reads (any tfjs copy's tensors qualify). */
export interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
  readonly isDisposed: boolean;
  dataSync(): ArrayLike<number> | ArrayLike<string> | ArrayLike<Uint8Array>;
}

/**
 * True for a tfjs tensor, from this library's tfjs or another copy.
 *
 * @example
 * ```ts
 * trax.display.looksLikeTensor(tf.ones([2])); // true
 * ```
 */
export function looksLikeTensor(x: unknown): x is tf.Tensor {
  const t = x as TensorLike;
  return (
    typeof x === "object" && x !== null && Array.isArray(t.shape) && typeof t.dtype === "string" &&
    typeof t.dataSync === "function" && typeof t.isDisposed === "boolean"
  );
}

/** Summary statistics over the finite values. */
export interface TensorStats {
  size: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Values that are NaN or infinite. */
  nonFinite: number;
}

/**
 * Min, max, mean and (population) standard deviation of the finite values.
 *
 * @example
 * ```ts
 * trax.display.statsOf([1, 2, 3, NaN]); // { size: 4, min: 1, max: 3, mean: 2, std: 0.816..., nonFinite: 1 }
 * ```
 */
export function statsOf(values: ArrayLike<number>): TensorStats {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { size: values.length, min: NaN, max: NaN, mean: NaN, std: NaN, nonFinite: values.length };
  return { size: values.length, min, max, mean, std: Math.sqrt(m2 / n), nonFinite: values.length - n };
}

/** Options of {@link tensorView}. */
export interface TensorViewOptions {
  /** A name shown in the header. */
  name?: string;
  /** How many 2-D slices of a rank >= 3 tensor get a heatmap (default 4). */
  maxSlices?: number;
  /** Heatmap side in pixels (default 320). */
  size?: number;
}

const STAT_DTYPES = new Set(["float32", "int32", "bool", "float16", "int64", "uint8"]);

/**
 * A rich view of a tensor. `text/plain` is a header and the numpy-style
 * values; `text/html` adds a statistics table and heatmaps.
 *
 * @example
 * ```ts
 * const v = trax.display.tensorView(tf.randomNormal([3, 4]));
 * console.log(String(v)); // "Tensor float32 [3, 4] ..."
 * ```
 */
export class TensorView {
  readonly tensor: tf.Tensor;
  readonly options: TensorViewOptions;

  constructor(tensor: tf.Tensor, options: TensorViewOptions = {}) {
    if (!looksLikeTensor(tensor)) throw new TypeError(`tensorView: a tfjs tensor expected; got ${typeof tensor}`);
    this.tensor = tensor;
    this.options = options;
  }

  /** The flat values (numbers, booleans as 0/1, or strings). */
  private values(): { values: ArrayLike<number> | string[]; dtype: string } {
    const t = this.tensor;
    const data = t.dataSync() as ArrayLike<unknown>;
    if (t.dtype === "string") {
      const dec = new TextDecoder();
      return { values: Array.from(data as ArrayLike<Uint8Array | string>, (b) => (typeof b === "string" ? b : dec.decode(b))), dtype: "string" };
    }
    if (t.dtype === "complex64") return { values: data as ArrayLike<number>, dtype: "complex64" };
    return { values: data as ArrayLike<number>, dtype: t.dtype };
  }

  private header(stats: TensorStats | null): string {
    const t = this.tensor;
    const name = this.options.name ? `${this.options.name}: ` : "";
    let s = `${name}Tensor ${t.dtype} [${t.shape.join(", ")}]`;
    if (stats && stats.size > 0) {
      s += `  min ${shortNumber(stats.min)}  max ${shortNumber(stats.max)}  mean ${shortNumber(stats.mean)}  std ${shortNumber(stats.std)}`;
      if (stats.nonFinite) s += `  non-finite ${stats.nonFinite}`;
    }
    return s;
  }

  /** The text view: header line and values. */
  toString(): string {
    const t = this.tensor;
    if (t.isDisposed) return `${this.options.name ? this.options.name + ": " : ""}Tensor ${t.dtype} [${t.shape.join(", ")}] (disposed)`;
    const { values, dtype } = this.values();
    if (dtype === "complex64") return `${this.header(null)}\n${(t as tf.Tensor).toString()}`;
    const stats = STAT_DTYPES.has(dtype) ? statsOf(values as ArrayLike<number>) : null;
    const v = dtype === "bool" ? Array.from(values as ArrayLike<number>, (x) => x !== 0) : values;
    return `${this.header(stats)}\n${formatNumpy(v as ArrayLike<number>, t.shape, dtype)}`;
  }

  /** The MIME bundle (text and HTML with heatmaps). */
  [DISPLAY](): MimeBundle {
    const text = this.toString();
    const t = this.tensor;
    if (t.isDisposed || t.dtype === "complex64") return { "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` };
    const { values, dtype } = this.values();
    const stats = STAT_DTYPES.has(dtype) ? statsOf(values as ArrayLike<number>) : null;
    const body = text.slice(text.indexOf("\n") + 1);
    const rows: string[] = [];
    const cell = (k: string, v: string) => `<th style="text-align:left;padding:0 8px 0 0">${k}</th><td style="padding:0 16px 0 0">${escapeHtml(v)}</td>`;
    rows.push(`<tr>${cell("shape", `[${t.shape.join(", ")}]`)}${cell("dtype", t.dtype)}${cell("size", String(stats?.size ?? values.length))}</tr>`);
    if (stats && stats.size > 0) {
      rows.push(`<tr>${cell("min", shortNumber(stats.min))}${cell("max", shortNumber(stats.max))}${cell("mean", shortNumber(stats.mean))}${cell("std", shortNumber(stats.std))}</tr>`);
      if (stats.nonFinite) rows.push(`<tr>${cell("non-finite", String(stats.nonFinite))}</tr>`);
    }
    const title = this.options.name ? `<div style="font-weight:bold">${escapeHtml(this.options.name)}</div>` : "";
    const html = [
      `<div class="trax-tensor">`,
      title,
      `<table style="font-size:12px;border-collapse:collapse">${rows.join("")}</table>`,
      `<pre style="font-size:12px;line-height:1.25;max-height:24em;overflow:auto">${escapeHtml(body)}</pre>`,
      dtype === "string" ? "" : this.heatmaps(values as ArrayLike<number>),
      `</div>`,
    ].join("");
    const bundle: MimeBundle = { "text/plain": text, "text/html": html };
    // The heatmap as a PNG too, for renderers that show images but no HTML.
    const shape = t.shape;
    if (dtype !== "string" && values.length > 0 && (shape.length === 1 || shape.length === 2)) {
      const [rows, cols] = shape.length === 1 ? [1, shape[0]] : [shape[0], shape[1] as number];
      bundle["image/png"] = heatmapPngScaled({ values: values as ArrayLike<number>, rows, cols }, 256);
    }
    return bundle;
  }

  /** Heatmaps: the matrix for rank 2, a strip for rank 1, the first slices for rank >= 3. */
  private heatmaps(values: ArrayLike<number>): string {
    const shape = this.tensor.shape;
    const size = this.options.size ?? 320;
    const n = values.length;
    if (n < 2) return "";
    const alt = `heatmap of the ${shape.join("x")} values`;
    if (shape.length === 1) return svgImage(heatmapSvg({ values, rows: 1, cols: shape[0] }, { size }), alt);
    if (shape.length === 2) return svgImage(heatmapSvg({ values, rows: shape[0], cols: shape[1] }, { size }), alt);
    if (shape.length < 2) return "";
    const rows = shape[shape.length - 2];
    const cols = shape[shape.length - 1];
    const per = rows * cols;
    const count = n / per;
    const maxSlices = this.options.maxSlices ?? 4;
    const lead = shape.slice(0, -2);
    const out: string[] = [];
    for (let s = 0; s < Math.min(count, maxSlices); s++) {
      // The multi-index of slice s over the leading axes.
      const idx: number[] = [];
      let rest = s;
      for (let a = lead.length - 1; a >= 0; a--) {
        idx.unshift(rest % lead[a]);
        rest = Math.floor(rest / lead[a]);
      }
      const slice = (values as Float32Array).subarray ? (values as Float32Array).subarray(s * per, (s + 1) * per) : Array.prototype.slice.call(values, s * per, (s + 1) * per);
      out.push(`<div style="display:inline-block;margin:0 8px 8px 0;vertical-align:top">${svgImage(heatmapSvg({ values: slice, rows, cols }, { size: Math.min(size, 200), title: `[${idx.join(", ")}, :, :]` }), `heatmap of [${idx.join(", ")}, :, :]`)}</div>`);
    }
    const more = count > maxSlices ? `<div style="font-size:11px;color:#555">${count - maxSlices} more 2-D slices not drawn</div>` : "";
    return `<div>${out.join("")}</div>${more}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The view of a tensor (see {@link TensorView}).
 *
 * @example
 * ```ts
 * trax.display.tensorView(tf.eye(3))[Symbol.for("Jupyter.display")]()["text/html"];
 * ```
 */
export function tensorView(t: tf.Tensor, options: TensorViewOptions = {}): TensorView {
  return new TensorView(t, options);
}
