/**
 * Summary layers during training: each SummaryScalar's value, averaged over
 * the steps between reports, lands in `loop.history` as `summaries/<name>`
 * (train mode), and the history's chart draws it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, ready, tf, tl, trax } from "../helpers";

const { Loop, TrainTask } = trax.supervised;

test.before(ready);

/** Batch k (1, 2, ...) has every input equal to k, so the mean the summary sees at step k is k. */
function* constantBatches(): Generator<tf.Tensor[]> {
  for (let k = 1; ; k++) yield [tf.fill([4, 3], k), tf.tensor1d([0, 1, 0, 1], "int32")];
}

test("a SummaryScalar's mean per report interval goes into loop.history as summaries/<name>", async () => {
  const model = tl.Serial(tl.SummaryScalar("input"), tl.Dense(2), tl.LogSoftmax());
  const loop = Loop(model, TrainTask(constantBatches, tl.CrossEntropyLoss(), trax.optimizers.SGD({ learningRate: 0.01 })), {
    stepsPerEval: 3,
    progress: "none",
  });
  await loop.run(1);
  const before = tf.memory().numTensors;
  await loop.run(5);
  // Reports at steps 1, 3 and 6: the means of steps {1}, {2, 3} and {4, 5, 6}.
  const got = loop.history.get("train", "summaries/input");
  assert.equal(got.map(([s]) => s), [1, 3, 6]);
  assertClose(got.map(([, v]) => v), [1, 2.5, 5]);
  assert.ok(loop.history.metricsForMode("train").includes("metrics/CrossEntropyLoss"));
  assert.is(tf.memory().numTensors, before, "recording summaries leaves no tensors behind");
  // The chart draws the summary next to the loss.
  const text = trax.display.historyView(loop.history).toString();
  assert.match(text, /summaries\/input/);
  assert.match(text, /metrics\/CrossEntropyLoss/);
  loop.dispose();
});

test("a model without summary layers records no summaries/ metric", async () => {
  const loop = Loop(tl.Serial(tl.Dense(2), tl.LogSoftmax()), TrainTask(constantBatches, tl.CrossEntropyLoss(), trax.optimizers.SGD()), {
    stepsPerEval: 2,
    progress: "none",
  });
  await loop.run(2);
  assert.equal(loop.history.metricsForMode("train").filter((m) => m.startsWith("summaries/")), []);
  loop.dispose();
});

test.run();
