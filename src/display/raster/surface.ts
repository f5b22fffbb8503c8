/**
 * The pixels a chart is drawn into (opaque RGB) and the coverage mask one
 * drawing operation accumulates before it is painted in one colour.
 * @module
 */
import type { Rgba } from "./color";

/** A device-pixel rectangle, `x0 <= x < x1`, `y0 <= y < y1`. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Per-pixel coverage (0-1) of one fill, stroke or text, with the box it touched.
 *
 * @example
 * ```ts
 * const cov = new Coverage(100, 50);
 * cov.max(3, 4, 0.5); // pixel (3, 4) half covered
 * ```
 */
export class Coverage {
  readonly width: number;
  readonly height: number;
  readonly values: Float32Array;
  /** The touched box (empty when x0 >= x1). */
  box: PixelBox;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.values = new Float32Array(width * height);
    this.box = { x0: width, y0: height, x1: 0, y1: 0 };
  }

  private touch(x: number, y: number): void {
    const b = this.box;
    if (x < b.x0) b.x0 = x;
    if (x + 1 > b.x1) b.x1 = x + 1;
    if (y < b.y0) b.y0 = y;
    if (y + 1 > b.y1) b.y1 = y + 1;
  }

  /** Adds `c` to pixel (x, y) (fills sum their sub-scanline spans); outside pixels are ignored. */
  add(x: number, y: number, c: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || c <= 0) return;
    this.values[y * this.width + x] += c;
    this.touch(x, y);
  }

  /** Keeps the larger of the pixel's coverage and `c` (strokes: overlapping segments do not darken). */
  max(x: number, y: number, c: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || c <= 0) return;
    const i = y * this.width + x;
    if (c > this.values[i]) this.values[i] = c;
    this.touch(x, y);
  }

  /** Zeroes the touched box. */
  clear(): void {
    const b = this.box;
    for (let y = b.y0; y < b.y1; y++) this.values.fill(0, y * this.width + b.x0, y * this.width + b.x1);
    this.box = { x0: this.width, y0: this.height, x1: 0, y1: 0 };
  }
}

/**
 * An opaque RGB image, white to start with.
 *
 * @example
 * ```ts
 * const s = new Surface(10, 10);
 * s.rgb.length; // 300
 * ```
 */
export class Surface {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB bytes, `height x width x 3`. */
  readonly rgb: Uint8ClampedArray;

  constructor(width: number, height: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`raster: width and height must be positive integers; got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.rgb = new Uint8ClampedArray(width * height * 3).fill(255);
  }

  /**
   * Blends `color` into every pixel of `cov` (coverage times `alpha` times
   * the colour's own alpha), inside `clip`; then clears `cov`.
   */
  paint(cov: Coverage, color: Rgba, alpha: number, clip: PixelBox): void {
    const a0 = alpha * color[3];
    const b = cov.box;
    if (a0 > 0) {
      const x0 = Math.max(b.x0, clip.x0, 0);
      const x1 = Math.min(b.x1, clip.x1, this.width);
      const y0 = Math.max(b.y0, clip.y0, 0);
      const y1 = Math.min(b.y1, clip.y1, this.height);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const c = cov.values[y * this.width + x];
          if (c <= 0) continue;
          const a = Math.min(1, c) * a0;
          const i = (y * this.width + x) * 3;
          this.rgb[i] += (color[0] - this.rgb[i]) * a;
          this.rgb[i + 1] += (color[1] - this.rgb[i + 1]) * a;
          this.rgb[i + 2] += (color[2] - this.rgb[i + 2]) * a;
        }
      }
    }
    cov.clear();
  }
}
