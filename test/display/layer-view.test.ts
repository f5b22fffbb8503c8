import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspect } from "node:util";
import { DISPLAY } from "../../src/display";
import { trax, tf, tl, ShapeDtype, ready, leakedBy } from "../helpers";
import { assertWellFormedXml } from "./xml";

const { layerView, bundleOf } = trax.display;
type Tensor = InstanceType<typeof tf.Tensor>;

test.before(ready);

function model() {
  return tl.Serial(tl.Dense(8), tl.Relu(), tl.Branch(tl.Dense(3), null), tl.Concatenate());
}

test("with an input signature: output shapes and parameter counts of every sublayer", () => {
  const m = model();
  const v = layerView(m, new ShapeDtype([2, 5]));
  const text = String(v);
  const lines = text.split("\n");
  assert.match(lines[0], /^Layer\s+In -> Out\s+Output\s+Params$/);
  const row = (name: string) => lines.find((l) => l.trimStart().startsWith(name)) as string;
  assert.match(row("Serial["), /1 -> 1\s+\(2, 11\)\s+75$/); // 5*8+8 + 8*3+3
  assert.match(row("Dense_8"), /1 -> 1\s+\(2, 8\)\s+48$/);
  assert.match(row("Relu"), /\(2, 8\)\s+0$/);
  assert.match(row("Branch["), /1 -> 2\s+\(2, 3\), \(2, 8\)\s+27$/);
  assert.match(row("Concatenate"), /2 -> 1\s+\(2, 11\)\s+0$/);
  assert.is(lines[lines.length - 1], "Total params: 75");
  assert.is(v.totalParams, 75);
  assert.not.ok(m.initialized, "the view leaves the layer uninitialized");
});

test("tracing leaks no tensors and leaves an initialized layer's weights alone", () => {
  const m = model();
  m(tf.ones([2, 5])).dispose();
  const w = m.weights;
  assert.is(leakedBy(() => String(layerView(m, new ShapeDtype([2, 5])))), 0);
  assert.ok((m.weights as unknown[])[0] === (w as unknown[])[0], "same weight tensors");
  assert.not.ok(Object.prototype.hasOwnProperty.call(m.sublayers[0], "pureFn"), "hooks removed");
});

test("uninitialized: no shapes, counts unknown; once called: the shapes of the first call and the counts", () => {
  const m = model();
  const before = String(layerView(m));
  assert.match(before, /Total params: unknown/);
  assert.not.match(before, /\(2, 8\)/);
  const x = tf.ones([2, 5]);
  m(x).dispose();
  x.dispose();
  const text = String(layerView(m));
  assert.match(text, /Total params: 75$/);
  assert.match(text, /Dense_8\s+1 -> 1\s+\(2, 8\)\s+48/);
  const n = tl.Dense(3);
  n.init(new ShapeDtype([4, 2]));
  assert.match(String(layerView(n)), /Dense_3\s+1 -> 1\s+\(4, 3\)\s+9/);
});

test("shared layers are counted once and marked", () => {
  const d = tl.Dense(4);
  const m = tl.Serial(d, d);
  const v = layerView(m, new ShapeDtype([1, 4]));
  assert.is(v.totalParams, 20);
  assert.match(String(v), /Dense_4 \(shared\)/);
});

test("a wrong signature leaves shapes out and says why", () => {
  const m = model();
  m(tf.ones([2, 5])).dispose();
  const text = String(layerView(m, new ShapeDtype([2, 7])));
  assert.match(text, /Output shapes unavailable: .*Dense_8.* 5 features .*\[2,7\]/);
  assert.match(text, /Total params: 75/);
});

test("HTML: collapsible details, escaped names", () => {
  const evil = "<script>alert(1)</script>";
  const m = tl.Serial(tl.Dense(2), tl.Fn(evil, (x: Tensor) => x), { name: evil });
  const b = layerView(m, new ShapeDtype([1, 3]))[DISPLAY]();
  const html = b["text/html"] as string;
  assert.ok(html.includes('<details open=""><summary class="r">'), "collapsible groups");
  assert.not.ok(html.includes("<script>"), "no raw script tag");
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assertWellFormedXml(html, "layer HTML");
  assert.ok(b["text/plain"].includes(evil), "text keeps the name as is");
});

test("layers carry the display protocol: the symbol, bundleOf and util.inspect", () => {
  const m = model();
  assert.type((m as unknown as Record<symbol, unknown>)[Symbol.for("Jupyter.display")], "function");
  const b = bundleOf(m);
  assert.ok(b["text/html"]);
  const shown = inspect(m);
  assert.match(shown, /^Layer\s+In -> Out/);
  assert.match(shown, /Serial\[/);
  assert.match(shown, /Dense_8/);
  // Nested in another value (an error's layer chain): Trax's short form.
  assert.is(inspect([tl.Serial(tl.Relu())]), "[\n  Serial[\n    Relu\n  ]\n]");
});

test.run();
