/**
 * Charts as `image/png` (what GitHub, nbviewer and an untrusted notebook's
 * image-only renderers show): the PNG is decoded and its pixels checked
 * against the data: the chart's size, each series' colour where its values
 * put it, and legible labels in the bitmap font.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DISPLAY_ASYNC } from "../../src/display/bundle";
import { historySpec, historyView } from "../../src/display/history-view";
import { chartView } from "../../src/display/chart-view";
import { DISPLAY } from "../../src/display/bundle";
import { glyphsOf, CAP_ROWS } from "../../src/display/raster/font";
import { renderVegaLite, VEGA_LITE_SCHEMA } from "../../src/display/vega";
import { decodeRgb, type RgbImage } from "./png-decode";

type Rec = { step: number; mode: string; metric: string; value: number };
const TRAIN: [number, number, number] = [0x1f, 0x77, 0xb4];
const EVAL: [number, number, number] = [0xff, 0x7f, 0x0e];

/** Pixels of exactly `rgb` (a line's fully covered centre pixels are its exact colour). */
function pixelsOf(img: RgbImage, rgb: [number, number, number], region = { x0: 0, y0: 0, x1: img.width, y1: img.height }): [number, number][] {
  const out: [number, number][] = [];
  for (let y = region.y0; y < region.y1; y++) {
    for (let x = region.x0; x < region.x1; x++) {
      const i = 3 * (y * img.width + x);
      if (img.rgb[i] === rgb[0] && img.rgb[i + 1] === rgb[1] && img.rgb[i + 2] === rgb[2]) out.push([x, y]);
    }
  }
  return out;
}

const dark = (img: RgbImage, x: number, y: number) => {
  const i = 3 * (y * img.width + x);
  return img.rgb[i] < 100 && img.rgb[i + 1] < 100 && img.rgb[i + 2] < 100;
};
const light = (img: RgbImage, x: number, y: number) => {
  const i = 3 * (y * img.width + x);
  return img.rgb[i] > 180 && img.rgb[i + 1] > 180 && img.rgb[i + 2] > 180;
};

/**
 * Where `text` appears in the bitmap font at one pixel per cell: every glyph
 * cell dark, every other pixel of the glyph boxes light. Returns the
 * baseline-left positions found.
 */
function findText(img: RgbImage, text: string, bold = false): [number, number][] {
  const on: [number, number][] = [];
  const off: [number, number][] = [];
  let x0 = 0;
  for (const g of glyphsOf(text)) {
    const set = new Set<string>();
    for (const [c, r] of g.cells) {
      set.add(`${x0 + c},${r}`);
      if (bold) set.add(`${x0 + c + 1},${r}`);
    }
    for (const k of set) on.push(k.split(",").map(Number) as [number, number]);
    for (let r = 0; r < CAP_ROWS; r++) for (let c = 0; c < g.width; c++) if (!set.has(`${x0 + c},${r}`)) off.push([x0 + c, r]);
    x0 += g.width + 1 + (bold ? 1 : 0);
  }
  const found: [number, number][] = [];
  for (let y = 0; y + CAP_ROWS <= img.height; y++) {
    for (let x = 0; x + x0 <= img.width; x++) {
      if (on.every(([c, r]) => dark(img, x + c, y + r)) && off.every(([c, r]) => light(img, x + c, y + r))) found.push([x, y + CAP_ROWS]);
    }
  }
  return found;
}

function history(train: (s: number) => number, evalFn?: (s: number) => number, metric = "metrics/CrossEntropyLoss"): { records: Rec[] } {
  const records: Rec[] = [];
  for (let s = 0; s <= 100; s += 5) {
    records.push({ step: s, mode: "train", metric, value: train(s) });
    if (evalFn && s % 20 === 0) records.push({ step: s, mode: "eval", metric, value: evalFn(s) });
  }
  return { records };
}

async function chartPng(h: { records: Rec[] }, options = {}): Promise<{ img: RgbImage; svg: string; png: string }> {
  const b = await historyView(h, options)[DISPLAY_ASYNC]();
  assert.type(b["image/png"], "string", "the chart bundle carries image/png");
  return { img: decodeRgb(b["image/png"] as string), svg: b["image/svg+xml"] as string, png: b["image/png"] as string };
}

test("the PNG has the SVG's size and is small", async () => {
  const { img, svg, png } = await chartPng(history((s) => s / 100, (s) => 1 - s / 100));
  const [, w, h] = /<svg[^>]*?width="(\d+)"[^>]*?height="(\d+)"/.exec(svg) as RegExpExecArray;
  assert.is(img.width, Number(w));
  assert.is(img.height, Number(h));
  assert.ok(img.width > 250 && img.height > 150, `${img.width}x${img.height}`);
  const bytes = Buffer.from(png, "base64").length;
  assert.ok(bytes < 20000, `PNG ${bytes} bytes (a palette image of a mostly white chart)`);
});

test("each series is drawn in its colour where its data puts it: train rising, eval falling", async () => {
  const { img } = await chartPng(history((s) => s / 100, (s) => 1 - s / 100));
  const train = pixelsOf(img, TRAIN);
  const evl = pixelsOf(img, EVAL);
  assert.ok(train.length > 200, `train pixels: ${train.length}`);
  assert.ok(evl.length > 100, `eval pixels: ${evl.length}`);
  const trend = (pts: [number, number][]) => {
    const xs = pts.map((p) => p[0]);
    const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
    const meanY = (sel: [number, number][]) => sel.reduce((n, p) => n + p[1], 0) / sel.length;
    return meanY(pts.filter((p) => p[0] > mid)) - meanY(pts.filter((p) => p[0] < mid));
  };
  // Pixel y grows downwards: a rising series sits higher (smaller y) on the right.
  assert.ok(trend(train.filter((p) => p[0] < img.width - 80)) < -40, "train rises left to right");
  assert.ok(trend(evl.filter((p) => p[0] < img.width - 80)) > 40, "eval falls left to right");
});

test("labels are legible in the bitmap font: legend names, axis title, tick labels", async () => {
  const { img } = await chartPng(history((s) => s / 100, (s) => 1 - s / 100));
  const train = findText(img, "train");
  const evl = findText(img, "eval");
  assert.is(train.length, 1, "the legend's 'train'");
  assert.is(evl.length, 1, "the legend's 'eval'");
  assert.ok(evl[0][1] > train[0][1] && Math.abs(evl[0][0] - train[0][0]) <= 1, "eval listed under train");
  // The legend's symbols: a train-coloured disc left of 'train'.
  assert.ok(pixelsOf(img, TRAIN, { x0: train[0][0] - 14, y0: train[0][1] - 9, x1: train[0][0], y1: train[0][1] + 2 }).length >= 10, "train's legend symbol");
  assert.is(findText(img, "step", true).length, 1, "the x axis title (bold)");
  for (const tick of ["0", "20", "40", "60", "80", "100"]) assert.ok(findText(img, tick).length >= 1, `x tick label ${tick}`);
  assert.ok(findText(img, "0.4").length >= 1 && findText(img, "1.0").length >= 1, "y tick labels");
  assert.ok(findText(img, "metrics/CrossEntropyLoss", true).length === 1, "the panel header");
});

test("a scalar summary's panel beside the loss (SummaryScalar values in the history), a title: lines in both panels, their names", async () => {
  const h = history((s) => s / 100);
  for (const r of history((s) => 2 - s / 100, undefined, "summaries/act").records) h.records.push(r);
  const { img } = await chartPng(h, { title: "Run 1" });
  const train = pixelsOf(img, TRAIN);
  const xs = train.map((p) => p[0]);
  assert.ok(Math.max(...xs) - Math.min(...xs) > img.width / 2, "train lines in both panels");
  assert.is(findText(img, "Run 1", true).length, 1, "the title");
  assert.is(findText(img, "summaries/act", true).length, 1, "the summary panel's header");
});

test("NaN values, a single point and a constant series draw without throwing", async () => {
  const nan = history((s) => (s === 50 ? NaN : s));
  const { img: a } = await chartPng(nan);
  assert.ok(pixelsOf(a, TRAIN).length > 50, "the finite points still draw");
  const { img: b } = await chartPng({ records: [{ step: 3, mode: "train", metric: "loss", value: 0.7 }] });
  assert.ok(pixelsOf(b, TRAIN).length > 5, "one point draws as its dot");
  const { img: c } = await chartPng(history(() => 1.25));
  const flat = pixelsOf(c, TRAIN);
  const ys = flat.map((p) => p[1]).filter((y, _, all) => all.filter((v) => v === y).length > 20);
  assert.ok(flat.length > 100 && Math.max(...ys) - Math.min(...ys) <= 2, "a constant series is a horizontal line");
  const { img: d } = await chartPng({ records: [] });
  assert.ok(d.width > 0 && d.height > 0, "an empty history still gives an image");
  // A raw spec with NaN and infinite values (vega-lite filters them; the rasterizer must cope with what is left).
  const r = await renderVegaLite({
    $schema: VEGA_LITE_SCHEMA,
    data: { values: [{ x: 1, y: NaN }, { x: 2, y: Infinity }, { x: 3, y: 1 }, { x: 4, y: 2 }] },
    mark: "line",
    encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
  });
  assert.ok(decodeRgb(r.png).width > 0);
});

test("a hand-written spec (chartView): vega's default colours per model, its title, a rotated y-axis title", async () => {
  const values = ["LSTM", "GRU", "SRU"].flatMap((model, k) => [0, 100, 200, 300].map((step) => ({ model, step, accuracy: (0.2 + 0.2 * k) * (step / 300) + 0.1 })));
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: "Eval accuracy",
    width: 360,
    height: 200,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative" },
      y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] } },
      color: { field: "model", type: "nominal" },
    },
  };
  const view = chartView(spec);
  assert.is(view.toString(), "Vega-Lite chart: Eval accuracy");
  assert.is(view[DISPLAY]()["image/png"], undefined, "the sync bundle stays light");
  const b = await view[DISPLAY_ASYNC]();
  assert.type(b["image/svg+xml"], "string");
  const img = decodeRgb(b["image/png"] as string);
  // Vega's default category colours (tableau10), in the models' sorted order: GRU, LSTM, SRU.
  for (const [name, rgb] of [["GRU", [0x4c, 0x78, 0xa8]], ["LSTM", [0xf5, 0x85, 0x18]], ["SRU", [0xe4, 0x57, 0x56]]] as const) {
    assert.ok(pixelsOf(img, [...rgb] as [number, number, number]).length > 100, `${name}'s line`);
    assert.is(findText(img, name).length, 1, `${name} in the legend`);
  }
  assert.is(findText(img, "Eval accuracy", true).length, 1, "the title");
  // The y-axis title runs upwards at the left edge: dark pixels over a tall, narrow strip.
  const ys: number[] = [];
  for (let y = 0; y < img.height; y++) for (let x = 0; x < 14; x++) if (dark(img, x, y)) ys.push(y);
  assert.ok(ys.length > 20 && Math.max(...ys) - Math.min(...ys) > 30, `rotated title pixels: ${ys.length}`);
  assert.throws(() => chartView(null as never), /a Vega-Lite spec/);
});

test("scale 2 doubles the pixels, same drawing", async () => {
  const spec = historySpec(history((s) => s / 100));
  const one = await renderVegaLite(spec);
  const two = await renderVegaLite(spec, { scale: 2 });
  const a = decodeRgb(one.png);
  const b = decodeRgb(two.png);
  assert.is(b.width, 2 * a.width);
  assert.is(b.height, 2 * a.height);
  assert.ok(pixelsOf(b, TRAIN).length > 2.5 * pixelsOf(a, TRAIN).length, "lines twice as long and twice as wide");
  let error = "";
  await renderVegaLite(spec, { scale: 0 }).catch((e: Error) => (error = e.message));
  assert.match(error, /scale must be in/);
});

test.run();
