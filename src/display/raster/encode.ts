/**
 * A surface as PNG bytes: a palette image of its most common colours (a
 * chart has few: background, grid, text, one per series; the rare
 * anti-aliasing blends outside the top 256 take their nearest), which
 * deflates to a fraction of the RGB size.
 * @module
 */
import { encodePng } from "../png";
import type { Surface } from "./surface";

/**
 * PNG bytes of `surface` (8-bit palette).
 *
 * @example
 * ```ts
 * const png = surfacePng(ctx.surface); // Uint8Array, starts with the PNG signature
 * ```
 */
export function surfacePng(surface: Surface): Uint8Array {
  const { rgb, width, height } = surface;
  const n = width * height;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = (rgb[3 * i] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const palette = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 256).map(([k]) => k);
  const index = new Map<number, number>(palette.map((k, i) => [k, i]));
  const nearest = (key: number): number => {
    let best = 0;
    let bestD = Infinity;
    const r = key >> 16;
    const g = (key >> 8) & 255;
    const b = key & 255;
    palette.forEach((p, i) => {
      const d = (r - (p >> 16)) ** 2 + (g - ((p >> 8) & 255)) ** 2 + (b - (p & 255)) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    index.set(key, best);
    return best;
  };
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const key = (rgb[3 * i] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i + 2];
    pixels[i] = index.get(key) ?? nearest(key);
  }
  const pal = palette.flatMap((k) => [k >> 16, (k >> 8) & 255, k & 255]);
  // Unfiltered rows: a palette image of flat colours deflates best as it is (the PNG spec's advice).
  return encodePng(pixels, width, height, 1, { color: "palette", palette: pal, level: 9, filter: "none" });
}
