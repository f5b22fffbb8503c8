import { test } from "uvu";
import * as assert from "uvu/assert";
import * as zlib from "node:zlib";
import { crc32, encodePng } from "../../src/display/png";
import { heatmapPng } from "../../src/display/heatmap";
import { chunks, decode } from "./png-decode";

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

test("filter none and zlib levels 1-9 give the same pixels; bad options are errors", () => {
  const w = 9, h = 6;
  const pixels = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 53 + 7) % 256);
  for (const filter of ["up", "none"] as const) {
    for (const level of [1, 6, 9]) {
      const png = encodePng(pixels, w, h, 3, { filter, level });
      assert.equal([...decode(png).pixels], [...pixels], `${filter}, level ${level}`);
    }
  }
  // Unfiltered rows really are stored unfiltered (filter byte 0 on every row).
  const raw = zlib.inflateSync(Buffer.concat(chunks(encodePng(pixels, w, h, 3, { filter: "none" })).filter((c) => c.type === "IDAT").map((c) => c.data)));
  for (let y = 0; y < h; y++) assert.is(raw[y * (3 * w + 1)], 0);
  assert.throws(() => encodePng(pixels, w, h, 3, { level: 0 }), /level must be an integer from 1 to 9/);
  assert.throws(() => encodePng(pixels, w, h, 3, { filter: "paeth" as never }), /filter must be "up" or "none"/);
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
