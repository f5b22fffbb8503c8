import { test } from "uvu";
import * as assert from "uvu/assert";
import Module from "node:module";
import * as path from "node:path";
import { ready, tf, tl, trax } from "../helpers";

const d = trax.display;

test.before(ready);
test.after.each(() => d.setDisplaySink(null));

test("bundleOf: own symbol, tensors, layers, histories, and text for the rest", () => {
  const own = { [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "mine", "text/html": "<b>mine</b>" }) };
  assert.equal(d.bundleOf(own), { "text/plain": "mine", "text/html": "<b>mine</b>" });
  const t = tf.ones([2, 2]);
  assert.match(d.bundleOf(t)["text/plain"], /^Tensor float32 \[2, 2\]/);
  t.dispose();
  assert.match(d.bundleOf(tl.Dense(3))["text/plain"], /^Layer/);
  assert.equal(d.bundleOf({ a: 1 }), { "text/plain": "{ a: 1 }" });
  assert.equal(d.bundleOf("text"), { "text/plain": "text" });
  assert.ok(d.hasRichDisplay(tf.scalar(1)) && d.hasRichDisplay(tl.Relu()) && d.hasRichDisplay(own));
  assert.not.ok(d.hasRichDisplay([1, 2]) || d.hasRichDisplay(null));
});

test("a bundle without text/plain is an error that says so", () => {
  const bad = { [Symbol.for("Jupyter.display")]: () => ({ "text/html": "x" }) };
  assert.throws(() => d.bundleOf(bad), /"text\/plain"/);
});

test("show goes to the plugged sink", async () => {
  const got: unknown[] = [];
  d.setDisplaySink((b, o) => got.push([b["text/plain"], o]));
  assert.ok(d.inNotebook());
  const b = await d.show("hello", { displayId: "x" });
  assert.is(b["text/plain"], "hello");
  assert.equal(got, [["hello", { displayId: "x" }]]);
  assert.throws(() => d.setDisplaySink(42 as never), /function or null/);
});

test("a text-only sink (the REPL's) gets bundles but is not a notebook: live views stay quiet", async () => {
  const got: string[] = [];
  d.setDisplaySink((b) => got.push(b["text/plain"]), { textOnly: true });
  assert.not.ok(d.inNotebook());
  await d.show("x");
  assert.equal(got, ["x"]);
  assert.not.ok(d.liveView(new trax.supervised.History()).active);
  d.setDisplaySink(() => undefined);
  assert.ok(d.inNotebook());
  assert.ok(d.liveView(new trax.supervised.History()).active);
});

test("without a sink show prints the text to stdout", async () => {
  const write = process.stdout.write;
  let out = "";
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  try {
    await d.show(tl.Serial(tl.Dense(2)));
  } finally {
    process.stdout.write = write;
  }
  assert.match(out, /^Layer\s+In -> Out/);
});

test("inside tslab: bundles go through the kernel's own jupyter module (display_data, then update_display_data)", async () => {
  // A stand-in for tslab's dist/jupyter.js as the running kernel has it loaded.
  const file = path.join(__dirname, "node_modules", "tslab", "dist", "jupyter.js");
  const calls: [unknown, boolean][] = [];
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = { lastWriteDisplayData: (data: unknown, update: boolean) => calls.push([data, update]) };
  require.cache[file] = m;
  try {
    assert.ok(d.inNotebook());
    await d.show(tf.tensor([1, 2]));
    d.emit({ "text/plain": "again" }, { displayId: "abc", update: true });
    assert.is(calls.length, 2);
    const [first, update1] = calls[0] as [{ data: Record<string, unknown>; transient: object }, boolean];
    assert.is(update1, false);
    assert.ok(first.data["text/html"] && first.data["text/plain"]);
    assert.equal(first.transient, {});
    assert.equal(calls[1], [{ data: { "text/plain": "again" }, metadata: {}, transient: { display_id: "abc" } }, true]);
  } finally {
    delete require.cache[file];
  }
  assert.not.ok(d.inNotebook());
});

test("tslab's module found in this package's dependency exports lastWriteDisplayData (the API the sink relies on)", () => {
  const j = require(require.resolve("tslab/dist/jupyter"));
  assert.ok("lastWriteDisplayData" in j);
});

test.run();
