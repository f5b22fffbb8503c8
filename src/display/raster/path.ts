/**
 * Paths in device pixels: subpaths as flat `[x0, y0, x1, y1, ...]` point
 * lists, curves already flattened into short segments.
 * @module
 */

/** One subpath: its points and whether it was closed. */
export interface Subpath {
  points: number[];
  closed: boolean;
}

/**
 * Points along a cubic Bézier from (x0, y0) (excluded) to (x3, y3), pushed onto `out`.
 *
 * @example
 * ```ts
 * const pts: number[] = [];
 * flattenCubic(pts, 0, 0, 0, 10, 10, 10, 10, 0); // a hump, ~10 points
 * ```
 */
export function flattenCubic(out: number[], x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): void {
  const length = Math.hypot(x1 - x0, y1 - y0) + Math.hypot(x2 - x1, y2 - y1) + Math.hypot(x3 - x2, y3 - y2);
  const n = Math.max(2, Math.min(64, Math.ceil(length / 2)));
  for (let i = 1; i <= n; i++) {
    const t = i / n;
    const u = 1 - t;
    const a = u * u * u;
    const b = 3 * u * u * t;
    const c = 3 * u * t * t;
    const d = t * t * t;
    out.push(a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3);
  }
}

/**
 * The bounding box of the subpaths' points, `[x0, y0, x1, y1]` (or null when empty).
 *
 * @example
 * ```ts
 * pathBounds([{ points: [1, 2, 5, 7], closed: false }]); // [1, 2, 5, 7]
 * ```
 */
export function pathBounds(paths: readonly Subpath[]): [number, number, number, number] | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of paths) {
    for (let i = 0; i < p.points.length; i += 2) {
      const x = p.points[i];
      const y = p.points[i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x0 <= x1 ? [x0, y0, x1, y1] : null;
}
