import { test } from "uvu";
import * as assert from "uvu/assert";
import * as zlib from "node:zlib";
import { ready, tf, tl, trax } from "../helpers";

const d = trax.display;

test.before(ready);

/** Width, height, colour type and raw (filter-prefixed) rows of a PNG, via Node's zlib. */
function pngInfo(b64: string) {
  const b = Buffer.from(b64, "base64");
  assert.equal([...b.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const colorType = b[25];
  let o = 8;
  const idat: Buffer[] = [];
  while (o < b.length) {
    const len = b.readUInt32BE(o);
    const type = b.toString("latin1", o + 4, o + 8);
    assert.is(b.readUInt32BE(o + 8 + len), zlib.crc32(b.subarray(o + 4, o + 8 + len)));
    if (type === "IDAT") idat.push(b.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return { width, height, colorType, raw: zlib.inflateSync(Buffer.concat(idat)) };
}

test("imagePixels: [0, 1] floats scale by 255, [0, 255] stay, others stretch", () => {
  assert.equal([...d.imagePixels([0, 0.5, 1])], [0, 128, 255]);
  assert.equal([...d.imagePixels([0, 7, 255])], [0, 7, 255]);
  assert.equal([...d.imagePixels([-1, 0, 1])], [0, 128, 255]);
  assert.equal([...d.imagePixels([3, 3])], [3, 3]);
  assert.equal([...d.imagePixels([-5, -5])], [0, 0], "a constant image outside [0, 255] is black");
});

test("an image tensor becomes a PNG with its pixels", () => {
  const t = tf.tensor([[0, 1], [1, 0]]);
  const v = d.imageView(t, { name: "chk" });
  const b = v[d.DISPLAY]();
  const png = pngInfo(b["image/png"] as string);
  assert.equal([png.width, png.height, png.colorType], [2, 2, 0]);
  // Row 0 is unfiltered; row 1 uses the Up filter (differences to row 0).
  assert.equal([...png.raw], [0, 0, 255, 2, 255, (0 - 255) & 0xff]);
  assert.match(b["text/plain"], /^chk: image 2x2 gray$/);
  assert.ok((b["text/html"] as string).includes(`src="data:image/png;base64,${b["image/png"]}"`));
  t.dispose();
});

test("RGB batches split into images; SummaryImage layers show their images", () => {
  const rgb = tf.randomUniform([2, 4, 5, 3]);
  const v = d.imageView(rgb);
  assert.is(v.images.length, 2);
  assert.equal([v.images[0].width, v.images[0].height, v.images[0].channels], [5, 4, 3]);
  assert.is(pngInfo(v.images[1].png).colorType, 2);
  rgb.dispose();
  const model = tl.Serial(tl.SummaryImage("digits", 1, { numSummaries: 2 }), tl.Dense(2));
  const x = tf.randomUniform([3, 6, 6]);
  model(x).dispose();
  const fromModel = d.imageView(model);
  assert.equal(fromModel.images.map((i) => i.caption), ["summary_digits0", "summary_digits1"]);
  const own = d.bundleOf(model.sublayers[0]);
  assert.ok(own["image/png"], "a SummaryImage layer displays as its images");
  x.dispose();
});

test("scalars: SummaryScalar values by name, escaped in HTML", () => {
  const model = tl.Serial(tl.SummaryScalar("act<1>"), tl.Dense(2));
  const x = tf.tensor([[1, 2], [3, 6]]);
  model(x).dispose();
  const v = d.scalarView(model);
  assert.equal(v.rows, [["summary_act<1>", "3."]]);
  const b = d.bundleOf(model.sublayers[0]);
  assert.is(b["text/plain"], "summary_act<1>  3.");
  assert.ok((b["text/html"] as string).includes("summary_act&lt;1&gt;"));
  assert.equal(d.scalarView({ lr: 0.5, n: tf.tensor([1, 2], [2], "int32") }).rows, [["lr", "0.5"], ["n", "[1 2]"]]);
  x.dispose();
});

test("errors name what is missing", () => {
  assert.throws(() => d.imageView(tl.Dense(2)), /no SummaryImage images/);
  assert.throws(() => d.scalarView(tl.Dense(2)), /no SummaryScalar values/);
  assert.throws(() => d.imageView(tf.ones([2, 2, 2, 2, 2])), /image tensor/);
});

test.run();
