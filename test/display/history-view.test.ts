import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspect } from "node:util";
import { trax } from "../helpers";
import { assertWellFormedXml, inlineSvgsIn, svgsIn } from "./xml";
import { decodeRgb } from "./png-decode";

const d = trax.display;
const { History } = trax.supervised;

function history(metricName = "metrics/CrossEntropyLoss") {
  const h = new History();
  for (let s = 1; s <= 40; s++) {
    h.append("train", metricName, s, 2 / s);
    h.append("train", "training/learning_rate", s, 0.01);
    if (s % 10 === 0) {
      h.append("eval", metricName, s, 2.5 / s);
      h.append("eval", "metrics/Accuracy", s, s / 50);
    }
  }
  return h;
}

test("spec: Vega-Lite v5, one panel per metrics/ metric, train and eval coloured", () => {
  const spec = d.historySpec(history()) as any;
  assert.is(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.equal(spec.facet.sort, ["metrics/CrossEntropyLoss", "metrics/Accuracy"]);
  assert.equal(spec.spec.encoding.color.scale.domain, ["train", "eval"]);
  const values = spec.data.values as { metric: string; mode: string }[];
  assert.is(values.length, 40 + 4 + 4, "training/ metrics left out by default");
  assert.ok(values.every((v) => v.metric.startsWith("metrics/")));
  const only = d.historySpec(history(), { metrics: ["training/learning_rate"] }) as any;
  assert.is(only.data.values.length, 40);
});

test("sync bundle: text, HTML and spec; async bundle adds an SVG with paths and a PNG", async () => {
  const h = history();
  const sync = (h as any)[d.DISPLAY]();
  assert.ok(sync["text/plain"].includes("metrics/CrossEntropyLoss"));
  assert.type(sync["text/html"], "string");
  assert.type(sync["application/vnd.vegalite.v5+json"], "object");
  assert.is(sync["image/svg+xml"], undefined);
  assert.is(sync["image/png"], undefined);
  const full = await d.bundleOfAsync(h);
  assert.ok(decodeRgb(full["image/png"] as string).width > 200, "image/png: the chart for image-only renderers (test/display/chart-png checks its pixels)");
  const svg = full["image/svg+xml"] as string;
  assert.ok(svg.startsWith("<svg"), "SVG");
  assert.ok((svg.match(/<path /g) ?? []).length >= 4, "line paths");
  assert.match(svg, /metrics\/Accuracy/);
  assertWellFormedXml(svg, "chart SVG");
  assert.equal(svgsIn(full["text/html"] as string), [svg], "the SVG is the HTML's no-script fallback, as an <img>");
  assert.equal(inlineSvgsIn(full["text/html"] as string), [], "no inline <svg>: an untrusted notebook removes those");
});

test("HTML inlines the vega libraries from the package once, never from a CDN", () => {
  d.setVegaLibraryMode("once");
  const first = (d.historyView(history())[d.DISPLAY]()["text/html"]) as string;
  const second = (d.historyView(history())[d.DISPLAY]()["text/html"]) as string;
  assert.ok(first.length > 500_000, "first chart carries vega, vega-lite and vega-embed");
  assert.ok(first.includes("if (!window.vegaEmbed)"));
  assert.ok(second.length < 50_000, "later charts reuse them");
  assert.ok(second.includes("window.vegaEmbed"));
  for (const html of [first, second]) {
    assert.not.match(html, /<script[^>]+src=/, "no external scripts");
    assert.not.match(html, /cdn\.jsdelivr|unpkg\.com|cdnjs/);
  }
  d.setVegaLibraryMode("always");
  assert.ok((d.historyView(history())[d.DISPLAY]()["text/html"] as string).length > 500_000);
  d.setVegaLibraryMode("never");
  assert.ok((d.historyView(history())[d.DISPLAY]()["text/html"] as string).length < 50_000);
  d.setVegaLibraryMode("once");
});

test("user strings are escaped in text/html and SVG; JSON cannot close the script", async () => {
  const evil = "<script>alert(1)</script>";
  d.setVegaLibraryMode("never");
  const b = await d.bundleOfAsync(history("metrics/" + evil));
  d.setVegaLibraryMode("once");
  const html = b["text/html"] as string;
  const svg = b["image/svg+xml"] as string;
  assert.not.ok(svg.includes(evil));
  assert.ok(svg.includes("&lt;script&gt;"));
  // The only script tags are ours: the drawing code; the spec is JSON with < escaped.
  assert.is((html.match(/<script/g) ?? []).length, 1);
  assert.ok(html.includes("\\u003cscript>alert(1)\\u003c/script>"));
  assert.equal((b["application/vnd.vegalite.v5+json"] as any).data.values[0].metric, "metrics/" + evil, "the spec keeps the data");
});

test("text chart: one chart per metric, braille train line, eval marks, last values", () => {
  const text = d.textChart(history(), { width: 30, height: 6 });
  const blocks = text.split("\n\n");
  assert.is(blocks.length, 2);
  assert.match(blocks[0], /^metrics\/CrossEntropyLoss\s+train .*eval o\s+last: train 0\.05 @40, eval 0\.0625 @40/);
  assert.match(blocks[0], /[\u2801-\u28ff]/, "braille dots");
  assert.match(blocks[0], /o/);
  const lines = blocks[0].split("\n");
  assert.is(lines.length, 1 + 6 + 2);
  assert.match(lines[1], /^\s*2 ┤/, "top label is the max");
  assert.match(lines[lines.length - 1], /^\s+1\s+40$/, "x range");
  assert.is(d.textChart(new History()), "(empty history)");
});

test("History inspects as its summary and a text chart", () => {
  const s = inspect(history());
  assert.match(s, /^History\(/);
  assert.match(s, /[\u2801-\u28ff]/);
});

test("a structural history (records only) works too", async () => {
  const h = { records: [{ step: 1, mode: "train", metric: "loss", value: 1 }, { step: 2, mode: "train", metric: "loss", value: 0.5 }] };
  assert.ok(d.hasRichDisplay(h));
  const b = await d.bundleOfAsync(h);
  assert.ok((b["image/svg+xml"] as string).includes("<path"));
  assert.throws(() => d.historyView({} as any), /History/);
});

test.run();
