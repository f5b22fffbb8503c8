/** Test helper: a PNG decoder (8-bit, non-interlaced, filters 0-4) on Node's zlib, checking every chunk's CRC. */
import * as zlib from "node:zlib";
import * as assert from "uvu/assert";
import { PNG_SIGNATURE } from "../../src/display/png";

export interface Chunk { type: string; data: Buffer; crc: number }

/** Splits a PNG into chunks, checking each CRC with Node's own zlib.crc32. */
export function chunks(png: Uint8Array): Chunk[] {
  const b = Buffer.from(png);
  assert.equal([...b.subarray(0, 8)], [...PNG_SIGNATURE], "signature");
  const out: Chunk[] = [];
  let o = 8;
  while (o < b.length) {
    const len = b.readUInt32BE(o);
    const type = b.toString("latin1", o + 4, o + 8);
    const data = b.subarray(o + 8, o + 8 + len);
    const crc = b.readUInt32BE(o + 8 + len);
    assert.is(crc, zlib.crc32(b.subarray(o + 4, o + 8 + len)), `CRC of ${type}`);
    out.push({ type, data, crc });
    o += 12 + len;
  }
  assert.is(o, b.length, "chunks fill the file");
  return out;
}

/** Decodes an 8-bit non-interlaced PNG (filters 0-4) with Node's zlib: [width, height, colorType, bytes]. */
export function decode(png: Uint8Array): { width: number; height: number; colorType: number; pixels: Uint8Array; palette?: Buffer } {
  const cs = chunks(png);
  assert.is(cs[0].type, "IHDR");
  assert.is(cs[cs.length - 1].type, "IEND");
  const ihdr = cs[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  assert.is(ihdr[8], 8, "bit depth");
  const colorType = ihdr[9];
  const channels = { 0: 1, 2: 3, 3: 1, 6: 4 }[colorType] as number;
  const raw = zlib.inflateSync(Buffer.concat(cs.filter((c) => c.type === "IDAT").map((c) => c.data)));
  const stride = width * channels;
  assert.is(raw.length, height * (stride + 1), "inflated size");
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? px[y * stride + x - channels] : 0;
      const up = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = up;
      else if (f === 3) pred = (a + up) >> 1;
      else if (f === 4) {
        const p = a + up - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      px[y * stride + x] = (v + pred) & 0xff;
    }
  }
  const plte = cs.find((c) => c.type === "PLTE");
  return { width, height, colorType, pixels: px, palette: plte?.data };
}


/** A decoded image as RGB bytes (palette and gray expanded), for pixel sampling. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Decodes a PNG (bytes or base64) to RGB: `rgb[3 * (y * width + x) + c]`. */
export function decodeRgb(png: Uint8Array | string): RgbImage {
  const d = decode(typeof png === "string" ? Buffer.from(png, "base64") : png);
  const n = d.width * d.height;
  const rgb = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      if (d.colorType === 3) rgb[3 * i + c] = (d.palette as Buffer)[3 * d.pixels[i] + c];
      else if (d.colorType === 0) rgb[3 * i + c] = d.pixels[i];
      else if (d.colorType === 2) rgb[3 * i + c] = d.pixels[3 * i + c];
      else rgb[3 * i + c] = d.pixels[4 * i + c];
    }
  }
  return { width: d.width, height: d.height, rgb };
}
