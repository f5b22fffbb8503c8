/**
 * The image view: tensors (or what `SummaryImage` layers keep) as PNG
 * images, encoded here.
 * @module
 */
import { inspect } from "util";
import type { tf } from "../backend/tf";
import { Layer } from "../layers/base";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";
import { encodePng, toBase64 } from "./png";
import { findSummaries } from "./summaries";
import { looksLikeTensor } from "./tensor-view";
import { finiteRange } from "./heatmap";

/** Options of {@link imageView}. */
export interface ImageViewOptions {
  /** A caption (default: the summary's name, or "image"). */
  name?: string;
  /** Draw each image at least this many pixels wide (pixelated; default 96). */
  minWidth?: number;
  /** The value range mapped to black..white (default: [0, 1] or [0, 255] when the data fit, else min..max). */
  range?: [number, number];
}

/** One encoded image. */
export interface EncodedImage {
  caption: string;
  width: number;
  height: number;
  channels: number;
  /** The PNG file, base64. */
  png: string;
}

/**
 * 8-bit pixels of an image tensor `(h, w)` or `(h, w, c)` with c in 1, 3, 4.
 * Floats in [0, 1] scale by 255, data in [0, 255] stay, anything else is
 * stretched from its min to its max.
 *
 * @example
 * ```ts
 * imagePixels([0, 0.5, 1]); // Uint8Array [0, 128, 255]
 * ```
 */
export function imagePixels(values: ArrayLike<number>, range?: [number, number]): Uint8Array {
  const [lo, hi] = finiteRange(values);
  let [a, b] = range ?? (lo >= 0 && hi <= 1 ? [0, 1] : lo >= 0 && hi <= 255 ? [0, 255] : [lo, hi]);
  if (!(b > a)) [a, b] = [a, a + 1];
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, (v - a) / (b - a))) * 255) : 0;
  }
  return out;
}

/** Splits a tensor into images: `(h, w)`, `(h, w, c)`, `(n, h, w)` or `(n, h, w, c)`. */
function splitImages(t: tf.Tensor): { h: number; w: number; c: number; data: Float32Array | Int32Array | Uint8Array }[] {
  const s = t.shape;
  const data = t.dataSync() as Float32Array;
  const isC = (d: number) => d === 1 || d === 3 || d === 4;
  let n: number, h: number, w: number, c: number;
  if (s.length === 2) [n, h, w, c] = [1, s[0], s[1], 1];
  else if (s.length === 3 && isC(s[2])) [n, h, w, c] = [1, s[0], s[1], s[2]];
  else if (s.length === 3) [n, h, w, c] = [s[0], s[1], s[2], 1];
  else if (s.length === 4 && isC(s[3])) [n, h, w, c] = [s[0], s[1], s[2], s[3]];
  else throw new Error(`imageView: an image tensor (h, w), (h, w, c), (n, h, w) or (n, h, w, c) with c in 1, 3, 4 expected; got [${s}]`);
  const per = h * w * c;
  return Array.from({ length: n }, (_, i) => ({ h, w, c, data: data.subarray(i * per, (i + 1) * per) }));
}

/**
 * A view of images as PNGs: `image/png` (the first) and HTML (all, captioned).
 *
 * @example
 * ```ts
 * new trax.display.ImageView(tf.randomUniform([28, 28])).images[0].width; // 28
 * ```
 */
export class ImageView {
  readonly images: EncodedImage[];
  readonly options: ImageViewOptions;

  constructor(source: tf.Tensor | readonly tf.Tensor[] | Layer, options: ImageViewOptions = {}) {
    this.options = options;
    const groups: [string, tf.Tensor[]][] = [];
    if (source instanceof Layer) {
      const found = findSummaries(source).images;
      if (found.length === 0) throw new Error(`imageView: ${source.name} holds no SummaryImage images (call the model first)`);
      groups.push(...found);
    } else if (looksLikeTensor(source)) {
      groups.push([options.name ?? "image", [source]]);
    } else if (Array.isArray(source) && source.every(looksLikeTensor)) {
      groups.push([options.name ?? "image", [...source]]);
    } else {
      throw new TypeError(`imageView: an image tensor, an array of them, or a layer with SummaryImage layers expected`);
    }
    this.images = [];
    for (const [name, tensors] of groups) {
      const all = tensors.flatMap((t) => splitImages(t));
      all.forEach((im, i) => {
        const px = imagePixels(im.data, options.range);
        this.images.push({
          caption: all.length > 1 ? `${name}${i}` : name,
          width: im.w,
          height: im.h,
          channels: im.c,
          png: toBase64(encodePng(px, im.w, im.h, im.c)),
        });
      });
    }
  }

  toString(): string {
    return this.images.map((im) => `${im.caption}: image ${im.width}x${im.height}${im.channels === 1 ? " gray" : im.channels === 3 ? " RGB" : " RGBA"}`).join("\n");
  }

  [DISPLAY](): MimeBundle {
    const minW = this.options.minWidth ?? 96;
    const figs = this.images.map((im) => {
      const scale = Math.max(1, Math.ceil(minW / im.width));
      return (
        `<figure style="display:inline-block;margin:0 8px 8px 0;text-align:center">` +
        `<img src="data:image/png;base64,${im.png}" width="${im.width * scale}" height="${im.height * scale}" style="image-rendering:pixelated" alt="${escapeHtml(im.caption)}"/>` +
        `<figcaption style="font-size:11px">${escapeHtml(im.caption)}</figcaption></figure>`
      );
    });
    const b: MimeBundle = { "text/plain": this.toString(), "text/html": `<div class="trax-images">${figs.join("")}</div>` };
    if (this.images.length > 0) b["image/png"] = this.images[0].png;
    return b;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Images of `source`: an image tensor (`(h, w)`, `(h, w, c)`, `(n, h, w)`,
 * `(n, h, w, c)`), an array of them, or a model whose `SummaryImage` layers
 * kept images.
 *
 * @example
 * ```ts
 * trax.display.imageView(tf.randomUniform([2, 8, 8]));
 * ```
 */
export function imageView(source: tf.Tensor | readonly tf.Tensor[] | Layer, options: ImageViewOptions = {}): ImageView {
  return new ImageView(source, options);
}
