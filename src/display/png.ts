/**
 * A small PNG encoder (8-bit grayscale, RGB, RGBA and palette images), zlib
 * through pako, CRC-32 here.
 * @module
 */
import * as pako from "pako";

/** PNG colour types by channel count, and palette images. */
export type PngColor = "gray" | "rgb" | "rgba" | "palette";

/** Options of {@link encodePng}. */
export interface PngOptions {
  /** How pixels are stored (default from `channels`: 1 gray, 3 rgb, 4 rgba). */
  color?: PngColor;
  /** For `palette`: RGB triples, at most 256 (one byte per pixel indexes it). */
  palette?: ArrayLike<number>;
  /** zlib level, 1 (fast) to 9 (smallest; the default). */
  level?: number;
  /**
   * Row filter: `"up"` (the default: each row as its difference from the one
   * above, good for smooth images) or `"none"` (better for palette images of
   * flat colours, such as charts).
   */
  filter?: "up" | "none";
}

let crcTable: Uint32Array | null = null;

/**
 * CRC-32 (ISO 3309, as PNG chunks use).
 *
 * @example
 * ```ts
 * crc32(Buffer.from("123456789")); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);

/**
 * Encodes 8-bit pixels (row-major, `height x width x channels` bytes) as a PNG file.
 *
 * @example
 * ```ts
 * const png = encodePng(Uint8Array.of(0, 255, 255, 0), 2, 2, 1); // a 2x2 gray checkerboard
 * ```
 */
export function encodePng(pixels: ArrayLike<number>, width: number, height: number, channels: number, options: PngOptions = {}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: width and height must be positive integers; got ${width}x${height}`);
  }
  const color = options.color ?? ({ 1: "gray", 3: "rgb", 4: "rgba" } as Record<number, PngColor>)[channels];
  if (!color) throw new Error(`encodePng: 1, 3 or 4 channels expected; got ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new Error(`encodePng: ${pixels.length} bytes given for ${width}x${height}x${channels}`);
  }
  const colorType = { gray: 0, rgb: 2, rgba: 6, palette: 3 }[color];
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  // compression 0, filter 0, interlace 0
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  const up = (options.filter ?? "up") === "up";
  if (!up && options.filter !== "none") throw new Error(`encodePng: filter must be "up" or "none"; got ${String(options.filter)}`);
  for (let y = 0; y < height; y++) {
    // Filter "Up" (2) where it helps smooth images; plain (0) on the first row.
    const row = y * (stride + 1);
    raw[row] = y === 0 || !up ? 0 : 2;
    for (let x = 0; x < stride; x++) {
      const p = pixels[y * stride + x] & 0xff;
      raw[row + 1 + x] = y === 0 || !up ? p : (p - (pixels[(y - 1) * stride + x] & 0xff)) & 0xff;
    }
  }
  const parts = [PNG_SIGNATURE, chunk("IHDR", ihdr)];
  if (color === "palette") {
    const pal = options.palette;
    if (!pal || pal.length % 3 !== 0 || pal.length === 0 || pal.length > 768) {
      throw new Error("encodePng: a palette image needs 1 to 256 RGB triples");
    }
    parts.push(chunk("PLTE", Uint8Array.from(pal)));
  }
  const level = options.level ?? 9;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new Error(`encodePng: level must be an integer from 1 to 9; got ${level}`);
  parts.push(chunk("IDAT", pako.deflate(raw, { level: level as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 })), chunk("IEND", new Uint8Array(0)));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Base64 of bytes (what `image/png` in a bundle holds).
 *
 * @example
 * ```ts
 * toBase64(Uint8Array.of(1, 2, 3)); // "AQID"
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
