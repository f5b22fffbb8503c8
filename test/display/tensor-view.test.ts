import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { DISPLAY } from "../../src/display";
import { trax, tf, ready, leakedBy } from "../helpers";
import { assertWellFormedXml, inlineSvgsIn, svgsIn } from "./xml";

const { tensorView, bundleOf } = trax.display;

test.before(ready);

test("text view: header with shape, dtype and statistics, then numpy's values", () => {
  const t = tf.tensor([[1, 2, 3], [4, 5, 6.5]]);
  const text = String(tensorView(t));
  const [head, ...rest] = text.split("\n");
  assert.is(head, "Tensor float32 [2, 3]  min 1  max 6.5  mean 3.583  std 1.835");
  // str(np.array([[1, 2, 3], [4, 5, 6.5]], dtype=np.float32))
  assert.is(rest.join("\n"), "[[1.  2.  3. ]\n [4.  5.  6.5]]");
  t.dispose();
});

test("a large tensor prints summarized exactly as numpy does", () => {
  const n = 50 * 40;
  const values = Float32Array.from({ length: n }, (_, i) => (i % 17) * 0.25 - 2);
  const t = tf.tensor(values, [50, 40]);
  const expected = execFileSync("python3", [
    "-c",
    "import numpy as np; print(str(((np.arange(2000) % 17) * 0.25 - 2).astype(np.float32).reshape(50, 40)))",
  ], { encoding: "utf8" }).trimEnd();
  const text = String(tensorView(t));
  assert.is(text.slice(text.indexOf("\n") + 1), expected);
  assert.ok(text.includes("..."));
  t.dispose();
});

test("bundle: text/plain and HTML with statistics, values and a heatmap", () => {
  const t = tf.tensor([[0, 1], [2, 3]]);
  const b = tensorView(t, { name: "w<1>" })[DISPLAY]();
  assert.type(b["text/plain"], "string");
  const html = b["text/html"] as string;
  assert.ok(html.includes("<th"), "statistics table");
  assert.ok(html.includes("<pre"), "values");
  assert.ok(html.includes("w&lt;1&gt;") && !html.includes("w<1>"), "the name is escaped");
  const svgs = svgsIn(html);
  assert.is(svgs.length, 1, "one heatmap");
  assert.is((svgs[0].match(/<rect x="\d+" y="\d+" width/g) ?? []).length, 4, "one cell per value");
  assertWellFormedXml(svgs[0], "heatmap");
  assert.equal(inlineSvgsIn(html), [], "the heatmap is an <img> (an untrusted notebook removes inline <svg>)");
  // The heatmap as image/png too (GitHub, nbviewer, anything that shows images): 2x2 cells of 128 px.
  const png = Buffer.from(b["image/png"] as string, "base64");
  assert.is(png.subarray(1, 4).toString("latin1"), "PNG");
  assert.equal([png.readUInt32BE(16), png.readUInt32BE(20), png[25]], [256, 256, 3], "256x256, palette");
  // Cell (0, 0) holds the minimum (viridis' first colour), cell (1, 1) the maximum (its last).
  const { inflateSync } = require("zlib") as typeof import("zlib");
  let at = 8;
  const idat: Buffer[] = [];
  let palette = Buffer.alloc(0);
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString("latin1");
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + len));
    if (type === "PLTE") palette = png.subarray(at + 8, at + 8 + len);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const first = raw[1]; // row 0 is unfiltered: [filter byte, pixels...]
  assert.equal([...palette.subarray(3 * first, 3 * first + 3)], [0x44, 0x01, 0x54], "the minimum is dark purple");
  t.dispose();
});

test("a 1000x1000 tensor gives an HTML view under 200 KB with a heatmap image", () => {
  const t = tf.randomNormal([1000, 1000], 0, 1, "float32", 1);
  const b = bundleOf(t);
  const html = b["text/html"] as string;
  assert.ok(html.length < 200 * 1024, `HTML is ${html.length} bytes`);
  assert.ok(svgsIn(html)[0].includes("data:image/png;base64,"), "a downsampled image");
  assert.ok(b["text/plain"].includes("..."));
  assertWellFormedXml(svgsIn(html)[0], "heatmap");
  t.dispose();
});

test("heatmaps fit their size: long vectors and big matrices are scaled images, small ones cells", () => {
  const width = (svg: string) => Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
  for (const shape of [[10000], [1000, 1000], [3, 2000], [50]]) {
    const t = tf.zeros(shape);
    const svg = svgsIn(bundleOf(t)["text/html"] as string)[0];
    assert.ok(width(svg) <= 320 + 100, `[${shape}]: ${width(svg)} px wide`);
    assert.is(svg.includes("<image"), shape[0] !== 50, `[${shape}] drawn as ${svg.includes("<image") ? "an image" : "cells"}`);
    t.dispose();
  }
});

test("rank 3 draws its first 2-D slices, labeled", () => {
  const t = tf.range(0, 5 * 3 * 4).reshape([5, 3, 4]);
  const html = bundleOf(t)["text/html"] as string;
  assert.is(svgsIn(html).length, 4);
  assert.ok(html.includes("[0, :, :]") && html.includes("[3, :, :]"));
  assert.ok(html.includes("1 more 2-D slices"));
  t.dispose();
});

test("int, bool and string tensors; a disposed tensor says so", () => {
  const i = tf.tensor([3, -10, 7], [3], "int32");
  assert.ok(String(tensorView(i)).endsWith("\n[  3 -10   7]"));
  const b = tf.tensor([true, false, true], [3], "bool");
  assert.ok(String(tensorView(b)).endsWith("\n[ True False  True]"));
  const s = tf.tensor(["a", "<b>"]);
  assert.ok(String(tensorView(s)).endsWith("\n['a' '<b>']"));
  assert.ok((bundleOf(s)["text/html"] as string).includes("&lt;b&gt;"));
  const d = tf.ones([2]);
  d.dispose();
  assert.match(String(tensorView(d)), /\(disposed\)/);
  tf.dispose([i, b, s]);
});

test("non-finite values are counted and printed", () => {
  const t = tf.tensor([1, NaN, Infinity]);
  const text = String(tensorView(t));
  assert.match(text, /non-finite 2/);
  assert.ok(text.endsWith("\n[ 1. nan inf]"), text);
  t.dispose();
});

test("views leak no tensors", () => {
  const t = tf.randomUniform([3, 5, 6]);
  assert.is(leakedBy(() => bundleOf(t)), 0);
  t.dispose();
});

test.run();
