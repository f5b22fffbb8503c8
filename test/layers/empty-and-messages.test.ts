/**
 * Empty batches and messages in the library's own words (issue 13, items
 * 8 and 12): losses, metrics and BatchNorm refuse an empty batch (on every
 * backend alike, instead of wasm's uninitialized memory); LSTM on a
 * zero-length sequence or a changed batch in predict mode says so.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, ready, tf, tl, trax } from "../helpers";

const test = suite("empty-and-messages");
test.before(ready);

test("losses and metrics of an empty batch are refused with an error, not a number", () => {
  const empty = tf.zeros([0, 3]);
  const noTargets = tf.zeros([0], "int32");
  const noWeights = tf.zeros([0]);
  const cases: [string, () => unknown][] = [
    ["CrossEntropyLoss", () => tl.CrossEntropyLoss()([empty, noTargets, noWeights])],
    ["Accuracy", () => tl.Accuracy()([empty, noTargets, noWeights])],
    ["CategoryCrossEntropy", () => tl.CategoryCrossEntropy()([empty, noTargets])],
    ["CategoryAccuracy", () => tl.CategoryAccuracy()([empty, noTargets])],
    ["L2Loss", () => tl.L2Loss()([empty, tf.zeros([0, 3]), tf.zeros([0, 3])])],
  ];
  for (const [name, f] of cases) assertLayerError(f, /is empty \(shape \[0(, 3)?\]\)/, /empty batch is undefined/);
  // A batch of one still works: the same loss on one example is its cross-entropy.
  const one = tl.CategoryCrossEntropy()([tf.tensor([[0.2, 0.5, 0.3]]), tf.tensor([1], [1], "int32")]);
  const logits = [0.2, 0.5, 0.3];
  const lse = Math.log(logits.reduce((a, b) => a + Math.exp(b), 0));
  assertClose(one, lse - 0.5, 1e-5);
});

test("BatchNorm refuses an empty batch in train mode and keeps its running statistics", () => {
  const bn = tl.BatchNorm({ axis: [0] });
  bn(tf.tensor([[1, 2, 3], [3, 4, 5]]));
  const before = (bn.state as tf.Tensor[]).map((t) => t.arraySync());
  assertLayerError(() => bn(tf.zeros([0, 3])), /BatchNorm/, /batch is empty \(shape \[0,3\]\)/);
  assert.equal((bn.state as tf.Tensor[]).map((t) => t.arraySync()), before);
});

test("LSTM on a zero-length sequence says so", () => {
  const lstm = tl.LSTM(4);
  lstm(tf.ones([2, 3, 4]));
  assertLayerError(() => lstm(tf.ones([2, 0, 4])), /the sequence is empty \(length 0 along axis 1 of \[2,0,4\]\)/);
});

test("LSTM in predict mode with a changed batch says so; a fresh layer with its weights decodes the new batch", () => {
  const lstm = tl.LSTM(4, { mode: "predict" });
  lstm(tf.ones([2, 1, 4]));
  assertLayerError(() => lstm(tf.ones([3, 1, 4])), /batch size changed from 2 to 3/, /fresh\.weights = layer\.weights/);
  const fresh = tl.LSTM(4, { mode: "predict" });
  fresh.weights = lstm.weights;
  const y = fresh(tf.ones([3, 1, 4])) as tf.Tensor;
  assert.equal(y.shape, [3, 1, 4]);
  // The same weights in train mode on that one step give the same output.
  const train = tl.LSTM(4);
  train.weights = lstm.weights;
  assertClose(y, train(tf.ones([3, 1, 4])));
  void trax;
});

test("a save that runs out of disk space (ENOSPC) names the file and leaves the previous one intact", () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fs = require("fs") as typeof import("fs");
  const dir = fs.mkdtempSync(require("path").join(require("os").tmpdir(), "trax-enospc-"));
  const file = `${dir}/model.ckpt.gz`;
  const layer = tl.Dense(2);
  layer.init(new trax.shapes.ShapeDtype([1, 3]));
  layer.saveToFile(file);
  const before = fs.readFileSync(file);
  const writeSync = fs.writeSync;
  (fs as { writeSync: unknown }).writeSync = () => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  };
  try {
    assert.throws(() => layer.saveToFile(file), (e: Error) => e.message.includes(file) && /no space left on the device \(ENOSPC\)/.test(e.message));
  } finally {
    (fs as { writeSync: unknown }).writeSync = writeSync;
  }
  assert.ok(fs.readFileSync(file).equals(before));
  assert.equal(fs.readdirSync(dir), ["model.ckpt.gz"], "no temporary file left");
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
