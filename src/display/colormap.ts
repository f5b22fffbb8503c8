/**
 * The viridis colour map (perceptually uniform, colour-blind safe) as a
 * 256-entry PNG palette: entries 0-254 run from low to high, 255 marks
 * values that are not finite.
 * @module
 */

const STOPS = [
  [0x44, 0x01, 0x54], [0x48, 0x24, 0x75], [0x41, 0x44, 0x87], [0x35, 0x5f, 0x8d], [0x2a, 0x78, 0x8e], [0x21, 0x91, 0x8c],
  [0x22, 0xa8, 0x84], [0x44, 0xbf, 0x70], [0x7a, 0xd1, 0x51], [0xbd, 0xdf, 0x26], [0xfd, 0xe7, 0x25],
];

/** Palette index of non-finite values (drawn light gray). */
export const NAN_INDEX = 255;

/**
 * Colour of `t` in [0, 1] as `[r, g, b]`.
 *
 * @example
 * ```ts
 * viridis(0); // [68, 1, 84]
 * ```
 */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f)) as [number, number, number];
}

/**
 * `#rrggbb` of `t` in [0, 1].
 *
 * @example
 * ```ts
 * viridisHex(1); // "#fde725"
 * ```
 */
export function viridisHex(t: number): string {
  return "#" + viridis(t).map((c) => c.toString(16).padStart(2, "0")).join("");
}

let palette: Uint8Array | null = null;

/**
 * The 256-entry RGB palette (768 bytes).
 *
 * @example
 * ```ts
 * viridisPalette().length; // 768
 * ```
 */
export function viridisPalette(): Uint8Array {
  if (!palette) {
    palette = new Uint8Array(768);
    for (let i = 0; i < 255; i++) palette.set(viridis(i / 254), i * 3);
    palette.set([0xd0, 0xd0, 0xd0], NAN_INDEX * 3);
  }
  return palette;
}
