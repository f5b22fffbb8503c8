/**
 * A Canvas 2D context, as much of it as vega's canvas renderer draws with
 * (paths, arcs, Béziers, fills, strokes, rectangle clips, transforms,
 * text in the bitmap font of ./font), drawing into a {@link Surface}.
 * @module
 */
import { parseColor, type Rgba } from "./color";
import { fillPaths } from "./fill";
import { CAP_ROWS, glyphsOf, textColumns } from "./font";
import { flattenCubic, pathBounds, type Subpath } from "./path";
import { strokePaths, type LineCap } from "./stroke";
import { Coverage, Surface, type PixelBox } from "./surface";

/** An affine transform `[a, b, c, d, e, f]`: (x, y) -> (a x + c y + e, b x + d y + f). */
type Matrix = [number, number, number, number, number, number];

interface State {
  matrix: Matrix;
  clip: PixelBox;
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineCap: LineCap;
  lineJoin: string;
  globalAlpha: number;
  font: string;
  textAlign: string;
  textBaseline: string;
  dash: number[];
}

/** A gradient or pattern stand-in: painted in its first colour stop. */
class Paint {
  first: string | null = null;
  addColorStop(_offset: number, color: string): void {
    this.first ??= color;
  }
}

/** Grid cells per font pixel: a 10 px font draws 7-row capitals, about Helvetica's cap height. */
const CELLS_PER_PX = 0.1;

/**
 * Draws like a `CanvasRenderingContext2D` into a white RGB surface of
 * `width x height` device pixels (hand it to vega as `externalContext`).
 *
 * @example
 * ```ts
 * const ctx = new RasterContext(200, 100);
 * ctx.fillStyle = "#1f77b4";
 * ctx.fillRect(10, 10, 50, 20);
 * ctx.surface.rgb; // the pixels
 * ```
 */
export class RasterContext {
  readonly surface: Surface;
  private readonly cov: Coverage;
  private state: State;
  private readonly stack: State[] = [];
  private paths: Subpath[] = [];
  private current: Subpath | null = null;
  /** Read by vega (fractional pixel ratios); 1 here. */
  pixelRatio = 1;
  globalCompositeOperation = "source-over";
  miterLimit = 10;
  lineDashOffset = 0;
  imageSmoothingEnabled = true;

  constructor(width: number, height: number) {
    this.surface = new Surface(width, height);
    this.cov = new Coverage(width, height);
    this.state = {
      matrix: [1, 0, 0, 1, 0, 0],
      clip: { x0: 0, y0: 0, x1: width, y1: height },
      fillStyle: "#000",
      strokeStyle: "#000",
      lineWidth: 1,
      lineCap: "butt",
      lineJoin: "miter",
      globalAlpha: 1,
      font: "10px sans-serif",
      textAlign: "start",
      textBaseline: "alphabetic",
      dash: [],
    };
  }

  get fillStyle(): unknown {
    return this.state.fillStyle;
  }
  set fillStyle(v: unknown) {
    this.state.fillStyle = v;
  }
  get strokeStyle(): unknown {
    return this.state.strokeStyle;
  }
  set strokeStyle(v: unknown) {
    this.state.strokeStyle = v;
  }
  get lineWidth(): number {
    return this.state.lineWidth;
  }
  set lineWidth(v: number) {
    if (Number.isFinite(v) && v > 0) this.state.lineWidth = v;
  }
  get lineCap(): LineCap {
    return this.state.lineCap;
  }
  set lineCap(v: LineCap) {
    if (v === "butt" || v === "round" || v === "square") this.state.lineCap = v;
  }
  get lineJoin(): string {
    return this.state.lineJoin;
  }
  set lineJoin(v: string) {
    this.state.lineJoin = v;
  }
  get globalAlpha(): number {
    return this.state.globalAlpha;
  }
  set globalAlpha(v: number) {
    if (Number.isFinite(v) && v >= 0 && v <= 1) this.state.globalAlpha = v;
  }
  get font(): string {
    return this.state.font;
  }
  set font(v: string) {
    this.state.font = v;
  }
  get textAlign(): string {
    return this.state.textAlign;
  }
  set textAlign(v: string) {
    this.state.textAlign = v;
  }
  get textBaseline(): string {
    return this.state.textBaseline;
  }
  set textBaseline(v: string) {
    this.state.textBaseline = v;
  }

  save(): void {
    this.stack.push({ ...this.state, matrix: [...this.state.matrix] as Matrix, clip: { ...this.state.clip }, dash: [...this.state.dash] });
  }

  restore(): void {
    const s = this.stack.pop();
    if (s) this.state = s;
  }

  // Transforms.
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void {
    this.state.matrix = [a, b, c, d, e, f];
  }
  resetTransform(): void {
    this.state.matrix = [1, 0, 0, 1, 0, 0];
  }
  translate(tx: number, ty: number): void {
    const m = this.state.matrix;
    m[4] += m[0] * tx + m[2] * ty;
    m[5] += m[1] * tx + m[3] * ty;
  }
  scale(sx: number, sy: number): void {
    const m = this.state.matrix;
    m[0] *= sx;
    m[1] *= sx;
    m[2] *= sy;
    m[3] *= sy;
  }
  rotate(angle: number): void {
    const m = this.state.matrix;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const [a, b, c, d] = m;
    m[0] = a * cos + c * sin;
    m[1] = b * cos + d * sin;
    m[2] = c * cos - a * sin;
    m[3] = d * cos - b * sin;
  }

  private tx(x: number, y: number): [number, number] {
    const m = this.state.matrix;
    return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
  }

  /** How much the transform scales lengths (for line widths and fonts). */
  private unit(): number {
    const m = this.state.matrix;
    return Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2])) || 1;
  }

  // Paths.
  beginPath(): void {
    this.paths = [];
    this.current = null;
  }
  moveTo(x: number, y: number): void {
    this.current = { points: this.tx(x, y), closed: false };
    this.paths.push(this.current);
  }
  lineTo(x: number, y: number): void {
    if (!this.current) return this.moveTo(x, y);
    this.current.points.push(...this.tx(x, y));
  }
  private last(): [number, number] | null {
    const p = this.current?.points;
    return p && p.length >= 2 ? [p[p.length - 2], p[p.length - 1]] : null;
  }
  bezierCurveTo(c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number): void {
    const from = this.last();
    if (!from || !this.current) return this.moveTo(x, y);
    flattenCubic(this.current.points, from[0], from[1], ...this.tx(c1x, c1y), ...this.tx(c2x, c2y), ...this.tx(x, y));
  }
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void {
    const from = this.last();
    if (!from || !this.current) return this.moveTo(x, y);
    // The quadratic as a cubic: control points two thirds of the way to the quadratic's.
    const m = this.state.matrix;
    const inv = invert(m);
    const f = inv ? [inv[0] * from[0] + inv[2] * from[1] + inv[4], inv[1] * from[0] + inv[3] * from[1] + inv[5]] : [x, y];
    this.bezierCurveTo(f[0] + (2 / 3) * (cx - f[0]), f[1] + (2 / 3) * (cy - f[1]), x + (2 / 3) * (cx - x), y + (2 / 3) * (cy - y), x, y);
  }
  arc(x: number, y: number, r: number, start: number, end: number, ccw = false): void {
    if (!(r >= 0) || !Number.isFinite(start + end)) return;
    const full = 2 * Math.PI;
    let sweep = end - start;
    if (!ccw) {
      if (sweep >= full) sweep = full;
      else sweep = ((sweep % full) + full) % full;
    } else if (-sweep >= full) sweep = -full;
    else sweep = -((((start - end) % full) + full) % full);
    const n = Math.max(8, Math.ceil((Math.abs(sweep) * r * this.unit()) / 1.5));
    for (let i = 0; i <= n; i++) {
      const a = start + (sweep * i) / n;
      const px = x + r * Math.cos(a);
      const py = y + r * Math.sin(a);
      if (i === 0 && !this.current) this.moveTo(px, py);
      else this.lineTo(px, py);
    }
  }
  ellipse(x: number, y: number, rx: number, ry: number, rotation: number, start: number, end: number, ccw = false): void {
    this.save();
    this.translate(x, y);
    this.rotate(rotation);
    this.scale(rx || 1e-9, ry || 1e-9);
    this.arc(0, 0, 1, start, end, ccw);
    this.restore();
  }
  rect(x: number, y: number, w: number, h: number): void {
    this.moveTo(x, y);
    this.lineTo(x + w, y);
    this.lineTo(x + w, y + h);
    this.lineTo(x, y + h);
    this.closePath();
  }
  closePath(): void {
    if (!this.current) return;
    this.current.closed = true;
    const [x, y] = this.current.points;
    this.current = { points: [x, y], closed: false };
    this.paths.push(this.current);
  }

  /** Clips to the bounding box of the current path (vega clips to rectangles). */
  clip(): void {
    const b = pathBounds(this.paths);
    const c = this.state.clip;
    if (!b) {
      this.state.clip = { x0: 0, y0: 0, x1: 0, y1: 0 };
      return;
    }
    this.state.clip = {
      x0: Math.max(c.x0, Math.round(b[0])),
      y0: Math.max(c.y0, Math.round(b[1])),
      x1: Math.min(c.x1, Math.round(b[2])),
      y1: Math.min(c.y1, Math.round(b[3])),
    };
  }

  private color(style: unknown): Rgba | null {
    return parseColor(style instanceof Paint ? style.first : style);
  }

  fill(): void {
    const color = this.color(this.state.fillStyle);
    if (!color) return;
    fillPaths(this.cov, this.paths);
    this.surface.paint(this.cov, color, this.state.globalAlpha, this.state.clip);
  }

  stroke(): void {
    const color = this.color(this.state.strokeStyle);
    if (!color) return;
    const width = this.state.lineWidth * this.unit();
    const dash = this.state.dash.map((d) => d * this.unit());
    strokePaths(this.cov, dash.length ? this.paths.flatMap((p) => dashed(p, dash)) : this.paths, width, this.state.lineCap);
    this.surface.paint(this.cov, color, this.state.globalAlpha, this.state.clip);
  }

  fillRect(x: number, y: number, w: number, h: number): void {
    const saved = this.paths;
    const current = this.current;
    this.beginPath();
    this.rect(x, y, w, h);
    this.fill();
    this.paths = saved;
    this.current = current;
  }

  strokeRect(x: number, y: number, w: number, h: number): void {
    const saved = this.paths;
    const current = this.current;
    this.beginPath();
    this.rect(x, y, w, h);
    this.stroke();
    this.paths = saved;
    this.current = current;
  }

  /** Paints the rectangle white (the surface has no transparency). */
  clearRect(x: number, y: number, w: number, h: number): void {
    const style = this.state.fillStyle;
    const alpha = this.state.globalAlpha;
    this.state.fillStyle = "#fff";
    this.state.globalAlpha = 1;
    this.fillRect(x, y, w, h);
    this.state.fillStyle = style;
    this.state.globalAlpha = alpha;
  }

  setLineDash(dash: number[]): void {
    const ok = Array.isArray(dash) && dash.every((d) => Number.isFinite(d) && d >= 0) && dash.some((d) => d > 0);
    this.state.dash = ok ? (dash.length % 2 ? [...dash, ...dash] : [...dash]) : [];
  }
  getLineDash(): number[] {
    return [...this.state.dash];
  }

  private fontSpec(): { size: number; bold: boolean } {
    const m = /(\d+(?:\.\d+)?)px/.exec(this.state.font);
    return { size: m ? parseFloat(m[1]) : 10, bold: /\bbold\b|\b[6-9]00\b/.test(this.state.font) };
  }

  /** Width of `text` in the bitmap font, in user units. */
  measureText(text: string): { width: number } {
    const { size, bold } = this.fontSpec();
    const cell = size * CELLS_PER_PX;
    return { width: textColumns(String(text)) * cell + (bold ? glyphsOf(String(text)).length / this.unit() : 0) };
  }

  fillText(text: string, x: number, y: number): void {
    this.drawText(String(text), x, y, this.state.fillStyle);
  }

  /** Draws the text filled (the bitmap font has no outlines). */
  strokeText(text: string, x: number, y: number): void {
    this.drawText(String(text), x, y, this.state.strokeStyle);
  }

  private alignShift(width: number): number {
    const a = this.state.textAlign;
    return a === "center" ? -width / 2 : a === "right" || a === "end" ? -width : 0;
  }

  private baselineShift(cap: number): number {
    const b = this.state.textBaseline;
    return b === "top" || b === "hanging" ? cap : b === "middle" ? cap / 2 : 0;
  }

  private drawText(text: string, x: number, y: number, style: unknown): void {
    const color = this.color(style);
    if (!color || text.length === 0) return;
    const { size, bold } = this.fontSpec();
    const glyphs = glyphsOf(text);
    const m = this.state.matrix;
    if (m[1] === 0 && m[2] === 0 && m[0] > 0 && m[3] > 0) {
      // Upright text: whole-pixel cells on whole pixels, crisp at any size.
      const cell = Math.max(1, Math.round(size * CELLS_PER_PX * this.unit()));
      const width = textColumns(text) * cell + (bold ? glyphs.length : 0);
      const [dx, dy] = this.tx(x, y);
      let ox = Math.round(dx + this.alignShift(width));
      const base = Math.round(dy + this.baselineShift(CAP_ROWS * cell));
      for (const g of glyphs) {
        for (const [col, row] of g.cells) {
          const top = base - (CAP_ROWS - row) * cell;
          for (let yy = 0; yy < cell; yy++) {
            for (let xx = 0; xx < cell + (bold ? 1 : 0); xx++) this.cov.max(ox + col * cell + xx, top + yy, 1);
          }
        }
        ox += (g.width + 1) * cell + (bold ? 1 : 0);
      }
    } else {
      // Rotated text: each cell a small transformed square, anti-aliased.
      const cell = size * CELLS_PER_PX;
      const bolden = bold ? 1 / this.unit() : 0;
      const width = textColumns(text) * cell + glyphs.length * bolden;
      let ox = x + this.alignShift(width);
      const base = y + this.baselineShift(CAP_ROWS * cell);
      const quads: Subpath[] = [];
      for (const g of glyphs) {
        for (const [col, row] of g.cells) {
          const x0 = ox + col * cell;
          const y0 = base - (CAP_ROWS - row) * cell;
          const x1 = x0 + cell + bolden;
          const y1 = y0 + cell;
          quads.push({ points: [...this.tx(x0, y0), ...this.tx(x1, y0), ...this.tx(x1, y1), ...this.tx(x0, y1)], closed: true });
        }
        ox += (g.width + 1) * cell + bolden;
      }
      for (const q of quads) {
        fillPaths(this.cov, [q]);
      }
    }
    this.surface.paint(this.cov, color, this.state.globalAlpha, this.state.clip);
  }

  createLinearGradient(): Paint {
    return new Paint();
  }
  createRadialGradient(): Paint {
    return new Paint();
  }
  createPattern(): Paint {
    return new Paint();
  }
  /** Images are not drawn (charts of training curves have none). */
  drawImage(): void {}
  isPointInPath(): boolean {
    return false;
  }
  isPointInStroke(): boolean {
    return false;
  }
}

function invert(m: Matrix): Matrix | null {
  const det = m[0] * m[3] - m[1] * m[2];
  if (!det) return null;
  return [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det, (m[2] * m[5] - m[3] * m[4]) / det, (m[1] * m[4] - m[0] * m[5]) / det];
}

/** The dashes of a subpath, as open subpaths (`dash`: on, off, on, off... lengths). */
function dashed(p: Subpath, dash: number[]): Subpath[] {
  const pts = p.closed ? [...p.points, p.points[0], p.points[1]] : p.points;
  const out: Subpath[] = [];
  let k = 0;
  let left = dash[0];
  let on = true;
  let cur: number[] | null = on ? [pts[0], pts[1]] : null;
  for (let i = 0; i + 3 < pts.length; i += 2) {
    let x = pts[i];
    let y = pts[i + 1];
    const x1 = pts[i + 2];
    const y1 = pts[i + 3];
    let len = Math.hypot(x1 - x, y1 - y);
    while (len > left) {
      const t = left / len;
      x += (x1 - x) * t;
      y += (y1 - y) * t;
      len -= left;
      if (on && cur) {
        cur.push(x, y);
        out.push({ points: cur, closed: false });
        cur = null;
      } else cur = [x, y];
      on = !on;
      k = (k + 1) % dash.length;
      left = dash[k];
    }
    left -= len;
    if (on && cur) cur.push(x1, y1);
  }
  if (on && cur && cur.length >= 4) out.push({ points: cur, closed: false });
  return out;
}
