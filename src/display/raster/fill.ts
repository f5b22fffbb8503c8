/**
 * Anti-aliased polygon fill (non-zero winding): several sub-scanlines per
 * pixel row, each span's exact horizontal coverage.
 * @module
 */
import type { Coverage } from "./surface";
import type { Subpath } from "./path";

/** Sub-scanlines per pixel row. */
const SUBSAMPLES = 5;

interface Edge {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  dir: number;
}

function addSpan(cov: Coverage, y: number, xa: number, xb: number, weight: number): void {
  xa = Math.max(0, xa);
  xb = Math.min(cov.width, xb);
  if (xb <= xa) return;
  const ia = Math.floor(xa);
  const ib = Math.floor(xb);
  if (ia === ib) {
    cov.add(ia, y, (xb - xa) * weight);
    return;
  }
  cov.add(ia, y, (ia + 1 - xa) * weight);
  for (let x = ia + 1; x < ib; x++) cov.add(x, y, weight);
  if (ib < cov.width) cov.add(ib, y, (xb - ib) * weight);
}

/**
 * Adds the coverage of the filled subpaths (each closed implicitly) to `cov`.
 *
 * @example
 * ```ts
 * fillPaths(cov, [{ points: [2, 2, 8, 2, 8, 6, 2, 6], closed: true }]); // a 6x4 rectangle
 * ```
 */
export function fillPaths(cov: Coverage, paths: readonly Subpath[]): void {
  const edges: Edge[] = [];
  let top = Infinity;
  let bottom = -Infinity;
  for (const p of paths) {
    const pts = p.points;
    const n = pts.length / 2;
    if (n < 3) continue;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const x0 = pts[2 * i];
      const y0 = pts[2 * i + 1];
      const x1 = pts[2 * j];
      const y1 = pts[2 * j + 1];
      if (y0 === y1 || !Number.isFinite(x0 + y0 + x1 + y1)) continue;
      edges.push(y0 < y1 ? { x0, y0, x1, y1, dir: 1 } : { x0: x1, y0: y1, x1: x0, y1: y0, dir: -1 });
      top = Math.min(top, y0, y1);
      bottom = Math.max(bottom, y0, y1);
    }
  }
  if (edges.length === 0) return;
  const rowStart = Math.max(0, Math.floor(top));
  const rowEnd = Math.min(cov.height, Math.ceil(bottom));
  const crossings: [number, number][] = [];
  for (let y = rowStart; y < rowEnd; y++) {
    for (let s = 0; s < SUBSAMPLES; s++) {
      const sy = y + (s + 0.5) / SUBSAMPLES;
      crossings.length = 0;
      for (const e of edges) {
        if (sy >= e.y0 && sy < e.y1) crossings.push([e.x0 + ((sy - e.y0) * (e.x1 - e.x0)) / (e.y1 - e.y0), e.dir]);
      }
      if (crossings.length < 2) continue;
      crossings.sort((a, b) => a[0] - b[0]);
      let winding = 0;
      for (let k = 0; k < crossings.length - 1; k++) {
        winding += crossings[k][1];
        if (winding !== 0) addSpan(cov, y, crossings[k][0], crossings[k + 1][0], 1 / SUBSAMPLES);
      }
    }
  }
}
