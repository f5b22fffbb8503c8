import { test } from "uvu";
import * as assert from "uvu/assert";
import * as zlib from "node:zlib";
import { crc32, encodePng, PNG_SIGNATURE } from "../../src/display/png";
import { heatmapPng } from "../../src/display/heatmap";

interface Chunk { type: string; data: Buffer; crc: number }

/** Splits a PNG into chunks, checking each CRC with Node's own zlib.crc32. */
function chunks(png: Uint8Array): Chunk[] {
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
function decode(png: Uint8Array): { width: number; height: number; colorType: number; pixels: Uint8Array; palette?: Buffer } {
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

test("crc32 matches the standard check value and Node's zlib", () => {
  assert.is(crc32(Buffer.from("123456789")), 0xcbf43926);
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
  assert.is(crc32(bytes), zlib.crc32(bytes));
});

test("gray, RGB and RGBA images decode to their pixels", () => {
  for (const channels of [1, 3, 4]) {
    const w = 7, h = 5;
    const pixels = Uint8Array.from({ length: w * h * channels }, (_, i) => (i * 37 + 11) % 256);
    const d = decode(encodePng(pixels, w, h, channels));
    assert.is(d.width, w);
    assert.is(d.height, h);
    assert.is(d.colorType, { 1: 0, 3: 2, 4: 6 }[channels] as number);
    assert.equal([...d.pixels], [...pixels], `${channels} channels`);
  }
});

test("palette images carry their palette", () => {
  const pal = [255, 0, 0, 0, 255, 0, 0, 0, 255];
  const d = decode(encodePng(Uint8Array.of(0, 1, 2, 1), 2, 2, 1, { color: "palette", palette: pal }));
  assert.is(d.colorType, 3);
  assert.equal([...d.pixels], [0, 1, 2, 1]);
  assert.equal([...(d.palette as Buffer)], pal);
});

test("heatmapPng maps min to the first palette entry and max to the last colour", () => {
  const d = decode(Buffer.from(heatmapPng({ values: [0, 1, 2, NaN], rows: 2, cols: 2 }), "base64"));
  assert.equal([d.width, d.height], [2, 2]);
  assert.equal([...d.pixels], [0, 127, 254, 255]);
  assert.is((d.palette as Buffer).length, 768);
});

test("bad sizes are errors", () => {
  assert.throws(() => encodePng(new Uint8Array(5), 2, 2, 1), /5 bytes given for 2x2x1/);
  assert.throws(() => encodePng(new Uint8Array(4), 0, 2, 1), /positive integers/);
  assert.throws(() => encodePng(new Uint8Array(8), 2, 2, 2), /1, 3 or 4 channels/);
  assert.throws(() => encodePng(new Uint8Array(4), 2, 2, 1, { color: "palette" }), /palette/);
});

test.run();
