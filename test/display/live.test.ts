import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax } from "../helpers";
import { decodeRgb } from "./png-decode";

const d = trax.display;
const { Loop, TrainTask, History } = trax.supervised;
const { random } = trax.fastmath;

test.before(ready);

type Sent = { bundle: trax.display.MimeBundle; displayId?: string; update?: boolean };

function recorder(): [trax.display.DisplaySink, Sent[]] {
  const sent: Sent[] = [];
  return [(bundle, o) => sent.push({ bundle, displayId: o.displayId, update: o.update }), sent];
}

test("a live view draws one display and updates it in place, throttled; finish adds the SVG", async () => {
  const [sink, sent] = recorder();
  const h = new History();
  const live = d.liveView(h, { sink, chartIntervalMs: 0, progressIntervalMs: 60_000 });
  assert.ok(live.active);
  h.append("train", "metrics/loss", 1, 1);
  live.update({ step: 1, total: 10, loss: 1 });
  for (let s = 2; s <= 5; s++) live.update({ step: s, total: 10, loss: 1 / s }); // no new records, progress throttled
  assert.is(sent.length, 1, "throttled");
  h.append("train", "metrics/loss", 6, 0.2);
  live.update({ step: 6, total: 10, loss: 0.2 });
  assert.is(sent.length, 2, "history grew: redraw");
  await live.finish({ step: 10, total: 10, loss: 0.1 });
  assert.is(sent.length, 3);
  assert.ok(sent.every((s) => s.displayId === live.displayId), "one display id");
  assert.equal(sent.map((s) => s.update), [false, true, true], "display, then update_display_data");
  const last = sent[2].bundle;
  assert.ok((last["image/svg+xml"] as string).includes("<path"));
  const png = decodeRgb(last["image/png"] as string);
  assert.ok(png.width > 200 && png.height > 100, "the final update carries the chart as image/png");
  assert.match(last["text/plain"], /^step 10\/10 \(100%\) \| loss 0\.1000/);
  assert.ok((last["text/html"] as string).includes("step 10/10 (100%)"));
  live.update({ step: 11 });
  assert.is(sent.length, 3, "nothing after finish");
});

test("a live view that carried the vega libraries first keeps them in its last update (which replaces the first)", async () => {
  const [sink, sent] = recorder();
  d.resetVegaLibrary();
  const h = new History();
  h.append("train", "metrics/loss", 1, 1);
  const live = d.liveView(h, { sink, chartIntervalMs: 0, progressIntervalMs: 0 });
  live.update({ step: 1 });
  live.update({ step: 2 });
  await live.finish({ step: 2 });
  const sizes = sent.map((s) => (s.bundle["text/html"] as string).length);
  assert.ok(sizes[0] > 500_000, "first display has the libraries");
  assert.ok(sizes[1] < 50_000, "updates in between do not");
  assert.ok(sizes[2] > 500_000, "the last one has them again");
  assert.not.ok(d.libraryPending());
});

test("without a sink a live view does nothing", async () => {
  const live = d.liveView(new History(), { sink: null });
  assert.not.ok(live.active);
  live.update({ step: 1 });
  await live.finish();
  // (a rate appears once a millisecond has passed since the first step: not asserted, it depends on timing)
  assert.match(live.statusLine(), /^step 1( \| [\d.]+ steps\/s)?$/);
});

function* batches(seed: number): Generator<InstanceType<typeof tf.Tensor>[]> {
  for (let i = 0; ; i++) {
    const x = random.normal(random.foldIn(random.getPrng(seed), i), [8, 3]);
    const y = tf.tidy(() => x.sum(1).greater(0).toInt());
    yield [x, y];
  }
}

test("attachLiveView follows Loop.run: progress per step, chart per eval, final SVG, detach restores run", async () => {
  const [sink, sent] = recorder();
  const model = tl.Serial(tl.Dense(2), tl.LogSoftmax());
  const loop = Loop(model, TrainTask(() => batches(0), tl.CrossEntropyLoss(), trax.optimizers.SGD({ learningRate: 0.1 })), {
    stepsPerEval: 5,
    progress: "none",
  });
  const attached = d.attachLiveView(loop, { sink, progressIntervalMs: 0, chartIntervalMs: 0 });
  const before = tf.memory().numTensors;
  await loop.run(12);
  assert.ok(tf.memory().numTensors <= before, "no tensors kept by the view");
  assert.ok(sent.length >= 12, `updates: ${sent.length}`);
  const ids = new Set(sent.map((s) => s.displayId));
  assert.is(ids.size, 1, "one display for the run");
  assert.is(sent[0].update, false);
  assert.ok(sent.slice(1).every((s) => s.update === true));
  const last = sent[sent.length - 1].bundle;
  assert.ok(last["image/svg+xml"], "final chart has its SVG");
  assert.ok(decodeRgb(last["image/png"] as string).width > 200, "and its PNG");
  assert.ok(sent.slice(0, -1).every((s) => s.bundle["image/png"] === undefined), "in-progress updates stay light (no PNG until the last)");
  assert.match(last["text/plain"], /^step 12\/12 \(100%\)/);
  const spec = last["application/vnd.vegalite.v5+json"] as any;
  assert.equal([...new Set(spec.data.values.map((v: any) => v.step))], [1, 5, 10], "the loop's evaluation points");
  // A second run gets its own display.
  const firstId = sent[0].displayId;
  sent.length = 0;
  await loop.run(3);
  assert.ok(sent.length > 0);
  assert.is.not(sent[0].displayId, firstId);
  assert.is(attached.view.displayId, sent[0].displayId);
  assert.match(sent[sent.length - 1].bundle["text/plain"], /^step 15\/15/);
  attached.detach();
  assert.not.ok(Object.prototype.hasOwnProperty.call(loop, "run"), "run restored");
  sent.length = 0;
  await loop.run(2);
  assert.is(sent.length, 0, "detached");
});

test.run();
