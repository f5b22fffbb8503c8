/**
 * A vega View drawn by vega's own canvas renderer into a {@link RasterContext}:
 * the chart as PNG bytes in Node, with no canvas package and no fonts.
 * @module
 */
import { RasterContext } from "./context";
import { surfacePng } from "./encode";

/** What {@link vegaViewPng} needs of a `vega.View`. */
export interface VegaViewLike {
  toCanvas(scaleFactor?: number, options?: { externalContext?: unknown }): Promise<unknown>;
}

/**
 * Renders a vega View of `width x height` CSS pixels (the size of its SVG)
 * as PNG bytes at `scale` device pixels per CSS pixel.
 *
 * @example
 * ```ts
 * const png = await vegaViewPng(view, 600, 220); // Uint8Array
 * ```
 */
export async function vegaViewPng(view: VegaViewLike, width: number, height: number, scale = 1): Promise<Uint8Array> {
  const w = Math.max(1, Math.ceil(width * scale));
  const h = Math.max(1, Math.ceil(height * scale));
  const ctx = new RasterContext(w, h);
  await view.toCanvas(scale, { externalContext: ctx });
  return surfacePng(ctx.surface);
}
