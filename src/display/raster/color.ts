/**
 * CSS colour strings as vega writes them (`#rgb`, `#rrggbb`, `rgb()`,
 * `rgba()`, a few names) to RGBA numbers for the rasterizer.
 * @module
 */

/** A colour: red, green, blue in 0-255 and alpha in 0-1. */
export type Rgba = [number, number, number, number];

const NAMES: Record<string, Rgba> = {
  black: [0, 0, 0, 1],
  white: [255, 255, 255, 1],
  gray: [128, 128, 128, 1],
  grey: [128, 128, 128, 1],
  lightgray: [211, 211, 211, 1],
  red: [255, 0, 0, 1],
  green: [0, 128, 0, 1],
  blue: [0, 0, 255, 1],
  orange: [255, 165, 0, 1],
  steelblue: [70, 130, 180, 1],
  transparent: [0, 0, 0, 0],
  none: [0, 0, 0, 0],
};

/**
 * Parses a CSS colour; unknown strings (and gradients) give `null`.
 *
 * @example
 * ```ts
 * parseColor("#1f77b4"); // [31, 119, 180, 1]
 * parseColor("rgba(0,0,0,0.5)"); // [0, 0, 0, 0.5]
 * ```
 */
export function parseColor(value: unknown): Rgba | null {
  if (typeof value !== "string") return null;
  const s = value.trim().toLowerCase();
  if (s in NAMES) return [...NAMES[s]] as Rgba;
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) {
      const v = [...h].map((c) => parseInt(c + c, 16));
      return [v[0], v[1], v[2], h.length === 4 ? v[3] / 255 : 1];
    }
    if (h.length === 6 || h.length === 8) {
      const v = [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16));
      return [v[0], v[1], v[2], h.length === 8 ? v[3] / 255 : 1];
    }
    return null;
  }
  m = /^rgba?\(([^)]*)\)$/.exec(s);
  if (m) {
    const parts = m[1].split(/[\s,/]+/).filter(Boolean);
    if (parts.length < 3) return null;
    const channel = (p: string) => (p.endsWith("%") ? (parseFloat(p) * 255) / 100 : parseFloat(p));
    const alpha = parts.length > 3 ? (parts[3].endsWith("%") ? parseFloat(parts[3]) / 100 : parseFloat(parts[3])) : 1;
    const c: Rgba = [channel(parts[0]), channel(parts[1]), channel(parts[2]), alpha];
    return c.every(Number.isFinite) ? c : null;
  }
  return null;
}
