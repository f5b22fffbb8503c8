/**
 * Anti-aliased strokes: each pixel's coverage from its distance to the
 * segments (exact for straight, axis-aligned lines; round joins, butt,
 * square or round caps).
 * @module
 */
import type { Coverage } from "./surface";
import type { Subpath } from "./path";

/** How open ends of a stroke look, as in Canvas 2D. */
export type LineCap = "butt" | "round" | "square";

/** How much of the unit interval around `d` a band `[-half, half]` covers. */
function band(d: number, half: number): number {
  const c = Math.min(d + half, 0.5) - Math.max(d - half, -0.5);
  return c <= 0 ? 0 : c >= 1 ? 1 : c;
}

function segment(cov: Coverage, x0: number, y0: number, x1: number, y1: number, half: number, roundStart: boolean, roundEnd: boolean): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const ux = len > 0 ? (x1 - x0) / len : 1;
  const uy = len > 0 ? (y1 - y0) / len : 0;
  const pad = half + 1;
  const px0 = Math.max(0, Math.floor(Math.min(x0, x1) - pad));
  const px1 = Math.min(cov.width - 1, Math.ceil(Math.max(x0, x1) + pad));
  const py0 = Math.max(0, Math.floor(Math.min(y0, y1) - pad));
  const py1 = Math.min(cov.height - 1, Math.ceil(Math.max(y0, y1) + pad));
  for (let py = py0; py <= py1; py++) {
    const cy = py + 0.5;
    for (let px = px0; px <= px1; px++) {
      const cx = px + 0.5;
      const vx = cx - x0;
      const vy = cy - y0;
      const t = vx * ux + vy * uy;
      let c: number;
      if (t < 0 && roundStart) c = band(Math.hypot(vx, vy), half);
      else if (t > len && roundEnd) c = band(Math.hypot(cx - x1, cy - y1), half);
      else {
        c = band(Math.abs(vx * uy - vy * ux), half);
        // A butt end cuts the band across: the part of the pixel beyond the end is not covered.
        if (!roundStart) c *= Math.max(0, Math.min(1, t + 0.5));
        if (!roundEnd) c *= Math.max(0, Math.min(1, len - t + 0.5));
      }
      if (c > 0) cov.max(px, py, c);
    }
  }
}

/**
 * Adds the coverage of stroking the subpaths with a line `width` pixels wide.
 *
 * @example
 * ```ts
 * strokePaths(cov, [{ points: [0, 5.5, 20, 5.5], closed: false }], 1, "butt"); // row 5, 20 pixels
 * ```
 */
export function strokePaths(cov: Coverage, paths: readonly Subpath[], width: number, cap: LineCap): void {
  const half = Math.max(width, 0.05) / 2;
  for (const p of paths) {
    // A lone moveTo draws nothing; repeated points add nothing but a zero-length segment.
    if (p.points.length < 4 || !p.points.every(Number.isFinite)) continue;
    const pts = [p.points[0], p.points[1]];
    for (let i = 2; i < p.points.length; i += 2) {
      if (p.points[i] !== pts[pts.length - 2] || p.points[i + 1] !== pts[pts.length - 1]) pts.push(p.points[i], p.points[i + 1]);
    }
    if (p.closed && pts.length >= 4) pts.push(pts[0], pts[1]);
    const n = pts.length / 2;
    if (cap === "square" && !p.closed && n >= 2) {
      // A square cap is a butt cap half a line width further out.
      const extend = (i: number, j: number) => {
        const d = Math.hypot(pts[2 * i] - pts[2 * j], pts[2 * i + 1] - pts[2 * j + 1]) || 1;
        pts[2 * i] += ((pts[2 * i] - pts[2 * j]) / d) * half;
        pts[2 * i + 1] += ((pts[2 * i + 1] - pts[2 * j + 1]) / d) * half;
      };
      extend(0, 1);
      extend(n - 1, n - 2);
    }
    if (n === 1) {
      // A zero-length line (lineTo its own start) draws only its caps: a dot with round or square caps.
      if (cap !== "butt") segment(cov, pts[0], pts[1], pts[0], pts[1], half, true, true);
      continue;
    }
    const roundEnds = cap === "round";
    for (let i = 0; i + 1 < n; i++) {
      const first = i === 0 && !p.closed;
      const last = i + 2 === n && !p.closed;
      segment(cov, pts[2 * i], pts[2 * i + 1], pts[2 * i + 2], pts[2 * i + 3], half, first ? roundEnds : true, last ? roundEnds : true);
    }
  }
}
