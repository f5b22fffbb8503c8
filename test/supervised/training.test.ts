/**
 * The training loop: an MLP learns a synthetic task, no tensors leak over
 * 1000 steps, history and callbacks, stop/resume, exact resumption from a
 * checkpoint, custom backward, and bad input (data, checkpoints).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { assertClose, ready, tf, tl, trax } from "../helpers";

const { Loop, TrainTask, EvalTask, History, lrSchedules } = trax.supervised;
const { random } = trax.fastmath;
const opt = trax.optimizers;

test.before(ready);

const tmp = () => mkdtempSync(path.join(tmpdir(), "trax-loop-"));

/** Endless batches of a synthetic task: class = whether the sum of x is positive. Fresh tensors each batch. */
function* blobs(seed: number, batchSize = 16, dim = 4): Generator<tf.Tensor[]> {
  for (let i = 0; ; i++) {
    const x = random.normal(random.foldIn(random.getPrng(seed), i), [batchSize, dim]);
    const y = tf.tidy(() => x.sum(1).greater(0).toInt());
    yield [x, y];
  }
}

const mlp = () => tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(2), tl.LogSoftmax());

/** Runs a loop and returns the loss of every step. */
async function losses(loop: trax.supervised.Loop, n: number): Promise<number[]> {
  const out: number[] = [];
  const off = loop.onStep(({ loss }) => out.push(loss));
  await loop.run(n);
  off();
  return out;
}

test("an MLP learns the synthetic task: loss below 0.15 and eval accuracy >= 0.9 after 300 Adam steps (seed 0)", async () => {
  const model = mlp();
  const loop = Loop(model, TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.Adam({ learningRate: 0.02 })), {
    evalTasks: [EvalTask(() => blobs(2, 64), [tl.CrossEntropyLoss(), tl.Accuracy()], { metricNames: ["loss", "accuracy"] })],
    stepsPerEval: 100,
    progress: "none",
  });
  const ls = await losses(loop, 300);
  assert.is(loop.step, 300);
  const first = ls.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = ls.slice(-20).reduce((a, b) => a + b) / 20;
  assert.ok(first > 0.5, `initial loss ${first}`);
  assert.ok(last < 0.15, `final loss ${last} should be below 0.15`);
  const acc = loop.history.get("eval", "metrics/accuracy");
  assert.equal(acc.map(([s]) => s), [1, 100, 200, 300]);
  assert.ok(acc[3][1] >= 0.9, `eval accuracy ${acc[3][1]}`);
  const train = loop.history.get("train", "metrics/CrossEntropyLoss");
  assert.equal(train.map(([s]) => s), [1, 100, 200, 300]);
  // The train record at 100 is the mean of the losses of steps 2..100.
  assertClose(train[1][1], ls.slice(1, 100).reduce((a, b) => a + b) / 99, 1e-5);
  assert.equal(loop.history.get("train", "training/learning_rate").map(([, v]) => v), [0.02, 0.02, 0.02, 0.02]);
  assert.ok(loop.history.get("train", "training/gradients_l2").length === 4);
  loop.dispose();
});

test("1000 training steps (with eval and a schedule) leave tf.memory().numTensors unchanged", async () => {
  const model = tl.Serial(tl.Dense(8), tl.Relu(), tl.Dropout({ rate: 0.1 }), tl.Dense(2), tl.LogSoftmax());
  const loop = Loop(
    model,
    TrainTask(() => blobs(3, 8), tl.CrossEntropyLoss(), opt.Adam({ learningRate: 0.01, clipGradNorm: 1 }), { lrSchedule: lrSchedules.warmupAndRsqrtDecay(10, 0.01) }),
    { evalTasks: EvalTask(() => blobs(4, 8), [tl.Accuracy()]), stepsPerEval: 250, progress: "none" }
  );
  await loop.run(1); // first step (peeked batch used)
  const before = tf.memory().numTensors;
  await loop.run(1000);
  assert.is(tf.memory().numTensors, before);
  assert.is(loop.step, 1001);
  loop.dispose();
});

test("History: get, modes, metricsForMode, JSON round trip", () => {
  const h = new History();
  h.append("train", "metrics/loss", 1, 0.9);
  h.append("eval", "metrics/loss", 1, 1.0);
  h.append("train", "metrics/loss", 10, 0.5);
  assert.equal(h.get("train", "metrics/loss"), [[1, 0.9], [10, 0.5]]);
  assert.equal(h.modes, ["train", "eval"]);
  assert.equal(h.metricsForMode("eval"), ["metrics/loss"]);
  assert.is(h.last("train", "metrics/loss"), 0.5);
  const back = History.fromJSON(JSON.parse(JSON.stringify(h)));
  assert.equal(back.records, h.records);
  assert.throws(() => h.append("test" as "train", "m", 1, 1), /mode must be "train" or "eval"/);
  assert.throws(() => History.fromJSON({}), /records array/);
});

test("callbacks: onStep every step, onEval at step 1 and every stepsPerEval; stop() between steps and run() continues", async () => {
  const steps: number[] = [];
  const evals: number[] = [];
  const ckpts: number[] = [];
  const dir = tmp();
  const loop = Loop(mlp(), TrainTask(() => blobs(5), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0.1 })), {
    stepsPerEval: 4,
    stepsPerCheckpoint: 5,
    outputDir: dir,
    progress: "none",
    callbacks: { onEval: ({ step, records }) => { evals.push(step); assert.ok(records.length > 0); } },
  });
  loop.onStep(({ step, loop: l }) => {
    steps.push(step);
    if (step === 6) l.stop();
  });
  loop.onCheckpoint(({ step }) => ckpts.push(step));
  await loop.run(10);
  assert.is(loop.step, 6);
  assert.equal(steps, [1, 2, 3, 4, 5, 6]);
  await loop.run(3);
  assert.is(loop.step, 9);
  assert.equal(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(evals, [1, 4, 8]);
  assert.equal(ckpts, [5, 6, 9]); // every 5 steps and at the end of each run
  assert.ok(existsSync(path.join(dir, "model.ckpt.gz")));
  loop.dispose();
});

test("lines progress prints Trax-style lines at evaluation points", async () => {
  const lines: string[] = [];
  const loop = Loop(mlp(), TrainTask(() => blobs(6), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0.1 })), {
    stepsPerEval: 2, progress: "lines", log: (l) => lines.push(l),
  });
  await loop.run(2);
  assert.ok(lines.some((l) => /^Step 1: train CrossEntropyLoss \| \d/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /^Step 2: train CrossEntropyLoss \|/.test(l)), lines.join("\n"));
  loop.dispose();
});

/** A loop whose losses depend on weights, slots, schedule, dropout keys and data position. */
function resumableLoop(dir: string, seed = 0) {
  const model = tl.Serial(tl.Dense(8), tl.Relu(), tl.Dropout({ rate: 0.3 }), tl.Dense(2), tl.LogSoftmax());
  return Loop(
    model,
    TrainTask(() => blobs(11), tl.CrossEntropyLoss(), opt.Adam({ learningRate: 0.05 }), { lrSchedule: lrSchedules.warmup(4, 0.05) }),
    { evalTasks: EvalTask(() => blobs(12), [tl.CrossEntropyLoss()]), outputDir: dir, stepsPerCheckpoint: 5, stepsPerEval: 3, randomSeed: seed, progress: "none" }
  );
}

test("a resumed run (new Loop on the same outputDir) gives the same losses as an unbroken run", async () => {
  const a = resumableLoop(tmp());
  const unbroken = await losses(a, 14);
  const dirB = tmp();
  const b1 = resumableLoop(dirB);
  const part1 = await losses(b1, 7); // checkpoint at 5, and at 7 (end of run)
  b1.dispose();
  const b2 = resumableLoop(dirB); // loads step 7
  assert.is(b2.step, 7);
  const part2 = await losses(b2, 7);
  const resumed = [...part1, ...part2];
  assert.is(resumed.length, 14);
  resumed.forEach((l, i) => assert.ok(Math.abs(l - unbroken[i]) <= 1e-6, `step ${i + 1}: ${l} vs ${unbroken[i]}`));
  // The history continues too (train averages and eval metrics at the same steps).
  assert.equal(b2.history.get("eval", "metrics/CrossEntropyLoss").map(([s]) => s), a.history.get("eval", "metrics/CrossEntropyLoss").map(([s]) => s));
  const ha = a.history.get("train", "metrics/CrossEntropyLoss");
  const hb = b2.history.get("train", "metrics/CrossEntropyLoss");
  ha.forEach(([s, v], i) => {
    assert.is(hb[i][0], s);
    assert.ok(Math.abs(hb[i][1] - v) <= 1e-6);
  });
  // Same final weights.
  const wa = (a.model.weights as tf.Tensor[][])[0][0];
  const wb = (b2.model.weights as tf.Tensor[][])[0][0];
  assertClose(wb, wa, 1e-6);
  a.dispose();
  b2.dispose();
});

test("a separate evalModel (eval mode) gets the model's weights; its metrics are the mean over nEvalBatches", async () => {
  const make = (mode: "train" | "eval") => tl.Serial(tl.Dense(8), tl.Relu(), tl.Dropout({ rate: 0.5, mode }), tl.Dense(2), tl.LogSoftmax());
  const model = make("train");
  const evalModel = make("eval");
  const evalBatches = [...(function* () {
    const it = blobs(21);
    for (let i = 0; i < 2; i++) yield it.next().value as tf.Tensor[];
  })()];
  const loop = Loop(model, TrainTask(() => blobs(20), tl.CrossEntropyLoss(), opt.Adam({ learningRate: 0.01 })), {
    evalModel,
    evalTasks: EvalTask(function* () {
      for (;;) for (const b of evalBatches) yield b.map((t) => t.clone());
    }, [tl.CrossEntropyLoss()], { nEvalBatches: 2 }),
    stepsPerEval: 5,
    progress: "none",
  });
  await loop.run(5);
  const ws = (m: trax.layers.Layer) => (m.weights as unknown as tf.Tensor[][]).flat();
  ws(model).forEach((w, i) => assert.is(ws(evalModel)[i], w, `weight ${i} shared`));
  // The recorded eval loss at step 5 is the mean loss of the eval model over the two batches.
  const expected = evalBatches
    .map(([x, y]) => tf.tidy(() => tl.CrossEntropyLoss()([evalModel(x), y, tf.ones(y.shape)]).dataSync()[0]))
    .reduce((a, b) => a + b) / 2;
  const rec = loop.history.get("eval", "metrics/CrossEntropyLoss");
  assert.equal(rec.map(([st]) => st), [1, 5]);
  assertClose(rec[1][1], expected, 1e-5);
  loop.dispose();
});

test("loadCheckpoint goes back in the same loop: the steps after it repeat exactly; a plain iterator cannot go back", async () => {
  const dir = tmp();
  const loop = resumableLoop(dir);
  await loop.run(5);
  const file = path.join(dir, "saved-at-5.ckpt.gz");
  loop.saveCheckpoint(file);
  const first = await losses(loop, 4);
  loop.loadCheckpoint(file);
  assert.is(loop.step, 5);
  assert.equal(loop.history.records.every((r) => r.step <= 5), true);
  const again = await losses(loop, 4);
  again.forEach((l, i) => assert.ok(Math.abs(l - first[i]) <= 1e-6, `step ${6 + i}: ${l} vs ${first[i]}`));
  loop.dispose();

  const it = Loop(mlp(), TrainTask(blobs(40), tl.CrossEntropyLoss(), opt.SGD()), { progress: "none" });
  await it.run(2);
  const f2 = path.join(tmp(), "c.gz");
  it.saveCheckpoint(f2);
  await it.run(2);
  assert.throws(() => it.loadCheckpoint(f2), /is at batch 2 of a data stream that is past it and cannot restart/);
  assert.is(it.step, 4);
  it.dispose();
});

test("two train tasks alternate (each with its optimizer); a multi-task run resumes exactly", async () => {
  const make = (dir: string) =>
    Loop(mlp(), [
      TrainTask(() => blobs(30), tl.CrossEntropyLoss(), opt.Adam({ learningRate: 0.02 }), { lossName: "ceA" }),
      TrainTask(() => blobs(31, 8), tl.CrossEntropyLoss(), opt.Momentum({ learningRate: 0.05 }), { lossName: "ceB" }),
    ], { outputDir: dir, stepsPerEval: 4, progress: "none" });
  const tasks: string[] = [];
  const a = make(tmp());
  a.onStep(({ task }) => tasks.push(task));
  const unbroken = await losses(a, 8);
  assert.equal(tasks, ["train_0", "train_1", "train_0", "train_1", "train_0", "train_1", "train_0", "train_1"]);
  assert.equal(a.history.get("train", "metrics/ceA").map(([st]) => st), [1, 4, 8]);
  assert.equal(a.history.get("train", "metrics/ceB").map(([st]) => st), [4, 8]);
  const dir = tmp();
  const b1 = make(dir);
  const part1 = await losses(b1, 3);
  b1.dispose();
  const b2 = make(dir);
  const part2 = await losses(b2, 5);
  [...part1, ...part2].forEach((l, i) => assert.ok(Math.abs(l - unbroken[i]) <= 1e-6, `step ${i + 1}: ${l} vs ${unbroken[i]}`));
  a.dispose();
  b2.dispose();
});

test("progress 'bar' runs (cli-progress) and a second run while running is refused", async () => {
  const loop = Loop(mlp(), TrainTask(() => blobs(32), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0.1 })), { progress: "bar" });
  // The refusal is caught at once (a handler attached in the same tick), so no
  // unhandled rejection whatever the first run yields to the event loop meanwhile.
  let refusal: Promise<Error | null> | null = null;
  loop.onStep(({ step }) => {
    if (step === 2) {
      refusal = loop.run(1).then(() => null, (e: Error) => e);
      // Make the first run yield to the event loop after this step, as it does on a busy machine.
      const t0 = Date.now();
      while (Date.now() - t0 < 30) { /* busy */ }
    }
  });
  await loop.run(3);
  const e = await refusal!;
  assert.ok(e !== null, "the second run must be refused");
  assert.match(e!.message, /already running/);
  assert.is(loop.step, 3);
  assert.throws(() => Loop(mlp(), TrainTask(() => blobs(32), tl.CrossEntropyLoss(), opt.SGD()), { progress: "fancy" as "bar" }), /progress must be/);
  loop.dispose();
});

test("a custom backward is honoured by the training step", async () => {
  // Scale whose backward says the weight gradient is zero: training must leave it alone.
  class FrozenScale extends tl.Layer {
    constructor() { super({ name: "FrozenScale" }); }
    initWeightsAndState(): void { this.weights = tf.scalar(2); this.state = []; }
    forward(x: tf.Tensor): tf.Tensor { return tf.mul(x, this.weights as tf.Tensor); }
    get hasBackward(): boolean { return true; }
    backward(_x: tf.Tensor, _o: tf.Tensor, g: tf.Tensor, w: tf.Tensor): [tf.Tensor, tf.Tensor] {
      return [tf.mul(g, w), tf.zerosLike(w)];
    }
  }
  const scale = new FrozenScale();
  const dense = tl.Dense(2);
  const loop = Loop(tl.Serial(scale, dense, tl.LogSoftmax()), TrainTask(() => blobs(13), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0.5 })), { progress: "none" });
  const w0 = (dense.weights as tf.Tensor[])[0].arraySync();
  await loop.run(5);
  assertClose(scale.weights as tf.Tensor, 2);
  assert.not.equal((dense.weights as tf.Tensor[])[0].arraySync(), w0);
  loop.dispose();
});

test("[x, y] batches for a weighted loss get weights of ones; [x, y, w] batches are used as given", async () => {
  const seen: number[] = [];
  function* weighted(): Generator<tf.Tensor[]> {
    for (const b of blobs(14)) yield [...b, tf.onesLike(b[1]).toFloat()];
  }
  const lossA = await losses(Loop(mlp(), TrainTask(() => blobs(14), tl.WeightedCategoryCrossEntropy(), opt.SGD({ learningRate: 0.1 })), { progress: "none", randomSeed: 3 }), 3);
  const lossB = await losses(Loop(mlp(), TrainTask(weighted, tl.WeightedCategoryCrossEntropy(), opt.SGD({ learningRate: 0.1 })), { progress: "none", randomSeed: 3 }), 3);
  seen.push(...lossA);
  assertClose(lossA, lossB, 1e-6);
  assert.ok(seen.every(Number.isFinite));
});

test("bad data: a batch with the wrong number of arrays names the task; model, optimizer and step stay", async () => {
  let i = 0;
  function* bad(): Generator<tf.Tensor[]> {
    for (const b of blobs(15)) {
      if (i++ < 2) yield b;
      else {
        b[1].dispose();
        yield [b[0]];
      }
    }
  }
  const model = mlp();
  const optimizer = opt.Momentum({ learningRate: 0.1 });
  const loop = Loop(model, TrainTask(bad, tl.CrossEntropyLoss(), optimizer, { name: "blobs" }), { progress: "none" });
  await loop.run(2);
  const w = (model.weights as tf.Tensor[][])[0][0];
  const wBefore = w.arraySync();
  const slot = optimizer.slots![0][0];
  const slotBefore = slot.arraySync();
  const nBefore = tf.memory().numTensors;
  try {
    await loop.run(1);
    assert.unreachable("expected an error");
  } catch (e) {
    assert.match((e as Error).message, /TrainTask 'blobs': the data stream yielded a batch of 1 array; the model with its loss\/metrics takes 3 \(or 2 without weights\)/);
  }
  assert.is(loop.step, 2);
  assert.is((model.weights as tf.Tensor[][])[0][0], w);
  assert.equal(w.arraySync(), wBefore);
  assert.is(optimizer.slots![0][0], slot);
  assert.equal(slot.arraySync(), slotBefore);
  assert.is(tf.memory().numTensors, nBefore);
  // A stream that ends, and one that yields something else.
  const ended = Loop(mlp(), TrainTask([[tf.ones([2, 4]), tf.tensor1d([0, 1], "int32")]], tl.CrossEntropyLoss(), opt.SGD()), { progress: "none" });
  await ended.run(1);
  await ended.run(1).then(() => assert.unreachable("ended"), (e: Error) => assert.match(e.message, /TrainTask 'train': the data stream ended after 1 batches/));
  assert.throws(() => Loop(mlp(), TrainTask([tf.ones([2, 4])] as never, tl.CrossEntropyLoss(), opt.SGD()), { progress: "none" }), /TrainTask 'train': batch 0 is not an array/);
  loop.dispose();
});

test("bad checkpoints: truncated, corrupt, wrong shapes, other optimizer: errors name the file; the loop stays as it was", async () => {
  const dir = tmp();
  const src = resumableLoop(dir);
  await src.run(5);
  src.dispose();
  const file = path.join(dir, "model.ckpt.gz");
  const good = readFileSync(file);

  const target = resumableLoop(tmp());
  await target.run(2);
  const w = (target.model.weights as tf.Tensor[][])[0][0];
  const wBefore = w.arraySync();
  const slots = target.tasks[0].optimizer.slots!;
  const check = (bytes: Uint8Array, ...patterns: RegExp[]) => {
    const nBefore = tf.memory().numTensors;
    const bad = path.join(tmp(), "model.ckpt.gz");
    writeFileSync(bad, bytes);
    try {
      target.loadCheckpoint(bad);
      assert.unreachable("expected an error");
    } catch (e) {
      const msg = (e as Error).message;
      assert.ok(msg.includes(bad), `message names the file: ${msg}`);
      for (const p of patterns) assert.match(msg, p);
    }
    assert.is(target.step, 2);
    assert.is((target.model.weights as tf.Tensor[][])[0][0], w);
    assert.equal(w.arraySync(), wBefore);
    assert.is(target.tasks[0].optimizer.slots, slots);
    assert.is(tf.memory().numTensors, nBefore);
  };
  check(good.subarray(0, Math.floor(good.length / 2)), /truncated/);
  const corrupt = Uint8Array.from(good);
  for (let k = 40; k < 60; k++) corrupt[k] ^= 0xff;
  check(corrupt, /corrupt|truncated|invalid/i);
  check(new Uint8Array([1, 2, 3]), /not gzip/);

  // A checkpoint of a model with other shapes.
  const otherDir = tmp();
  const other = Loop(tl.Serial(tl.Dense(5), tl.Relu(), tl.Dropout({ rate: 0.3 }), tl.Dense(2), tl.LogSoftmax()), TrainTask(() => blobs(11), tl.CrossEntropyLoss(), opt.Adam()), {
    outputDir: otherDir, progress: "none", evalTasks: EvalTask(() => blobs(12), [tl.CrossEntropyLoss()]),
  });
  await other.run(1);
  other.dispose();
  check(readFileSync(path.join(otherDir, "model.ckpt.gz")), /weight 0 has shape \[4,5\] in the file; the model expects \[4,8\]/);
  // A checkpoint written with another optimizer.
  const sgdDir = tmp();
  const sgd = Loop(tl.Serial(tl.Dense(8), tl.Relu(), tl.Dropout({ rate: 0.3 }), tl.Dense(2), tl.LogSoftmax()), TrainTask(() => blobs(11), tl.CrossEntropyLoss(), opt.SGD()), {
    outputDir: sgdDir, progress: "none", evalTasks: EvalTask(() => blobs(12), [tl.CrossEntropyLoss()]),
  });
  await sgd.run(1);
  sgd.dispose();
  check(readFileSync(path.join(sgdDir, "model.ckpt.gz")), /was trained with SGD; this loop's optimizer is Adam/);
  // A Loop constructed on a folder with a bad checkpoint throws, naming it.
  const badDir = tmp();
  writeFileSync(path.join(badDir, "model.ckpt.gz"), good.subarray(0, 100));
  assert.throws(() => resumableLoop(badDir), (e: Error) => e.message.includes(path.join(badDir, "model.ckpt.gz")));
  // The good file loads.
  target.loadCheckpoint(file);
  assert.is(target.step, 5);
  target.dispose();
});

test.run();
