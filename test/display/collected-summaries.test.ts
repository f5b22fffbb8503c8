/**
 * `tl.collectSummaries` shows as a view (a table of the scalars, the images
 * as PNGs), never as the tensors' internals, and still reads as a record of
 * tensors by Trax's keys.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspect } from "node:util";
import { ready, tf, tl, trax } from "../helpers";

const DISPLAY = Symbol.for("Jupyter.display");

test.before(ready);

function modelWithSummaries() {
  const model = tl.Serial(tl.SummaryScalar("act"), tl.SummaryImage("pic", 1, { numSummaries: 2 }));
  model(tf.tensor3d([[[0, 1], [1, 0]], [[1, 1], [0, 0]], [[0, 0], [0, 0]]]));
  return model;
}

test("the text view is a table of scalars and a line per image, not tensor internals", () => {
  const s = tl.collectSummaries(modelWithSummaries());
  const text = inspect(s);
  // The mean of the 12 input values (4 ones) is 1/3.
  assert.match(text, /^summary_act\s+0\.33333/m);
  assert.match(text, /summary_pic0: image 2x2 gray/);
  assert.match(text, /summary_pic1: image 2x2 gray/);
  assert.not.match(text, /kept|dataId|rankType|isDisposedInternal/);
});

test("the rich bundle: an HTML table of the scalars and the images as data: PNGs", () => {
  const s = tl.collectSummaries(modelWithSummaries());
  const bundle = (s as unknown as Record<symbol, () => Record<string, string>>)[DISPLAY]();
  assert.match(bundle["text/plain"], /summary_act/);
  assert.match(bundle["text/html"], /<table class="trax-scalars"/);
  assert.match(bundle["text/html"], /summary_act/);
  assert.is((bundle["text/html"].match(/<img src="data:image\/png;base64,/g) ?? []).length, 2);
  assert.not.match(bundle["text/html"], /kept|dataId/);
  // The kernel and the REPL pick the same view.
  assert.is(trax.display.bundleOf(s)["text/plain"], bundle["text/plain"]);
});

test("only images: the first one also comes as image/png (what untrusted notebooks show)", () => {
  const model = tl.SummaryImage("only", 1, { numSummaries: 1 });
  model(tf.ones([2, 3, 3]));
  const bundle = (tl.collectSummaries(model) as unknown as Record<symbol, () => Record<string, string>>)[DISPLAY]();
  assert.ok(bundle["image/png"], "an image/png entry");
  assert.match(bundle["text/plain"], /^summary_only: image 3x3 gray$/);
});

test("it still reads as a record of tensors by Trax's keys; no summaries says so", () => {
  const s = tl.collectSummaries(modelWithSummaries());
  assert.equal(Object.keys(s).sort(), ["summary_act", "summary_pic0", "summary_pic1"]);
  assert.ok(s.summary_act instanceof tf.Tensor);
  assert.equal(s.summary_pic1.shape, [2, 2]);
  assert.equal(JSON.parse(JSON.stringify(Object.keys(s))), ["summary_act", "summary_pic0", "summary_pic1"]);
  assert.match(inspect(tl.collectSummaries(tl.Dense(2))), /Summaries: none/);
});

test.run();
