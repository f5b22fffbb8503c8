/**
 * The training loop keeps a user's work safe (issue 13, items 3, 9, 10):
 * a non-finite loss stops it (or warns) and never replaces the last finite
 * checkpoint; one output folder has one writer (a lock file with the pid,
 * stale locks taken over); temporary files of interrupted saves are removed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { ready, tf, tl, trax } from "../helpers";

const { Loop, TrainTask } = trax.supervised;
const { random } = trax.fastmath;
const opt = trax.optimizers;

test.before(ready);

const tmp = () => mkdtempSync(path.join(tmpdir(), "trax-loop-safety-"));

function* blobs(seed: number, batchSize = 16, dim = 4): Generator<tf.Tensor[]> {
  for (let i = 0; ; i++) {
    const x = random.normal(random.foldIn(random.getPrng(seed), i), [batchSize, dim]).mul(100);
    const y = tf.tidy(() => x.sum(1).greater(0).toInt());
    yield [x, y];
  }
}

const mlp = () => tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(2), tl.LogSoftmax());

/** A loop whose SGD learning rate (1e6 on inputs scaled by 100) makes the loss non-finite within a few steps. */
function explodingLoop(dir: string | null, extra: Record<string, unknown> = {}, lr = { v: 0.001 }) {
  const logs: string[] = [];
  const task = TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0.001 }), { lrSchedule: () => lr.v });
  const loop = Loop(mlp(), task, { outputDir: dir, progress: "none", log: (l: string) => logs.push(l), stepsPerCheckpoint: 1, ...extra });
  return { loop, logs, lr };
}

function checkpointWeightsFinite(file: string): boolean {
  const { header, groups } = require("../../src/io/checkpoint").readCheckpoint(file) as { header: unknown; groups: Record<string, { data: Float32Array }[]> };
  void header;
  return groups.weights.every((a) => Array.from(a.data).every(Number.isFinite));
}

test("a non-finite loss stops the loop with an error naming the step; the last finite checkpoint stays", async () => {
  const dir = tmp();
  const { loop, lr } = explodingLoop(dir);
  await loop.run(3);
  const file = loop.checkpointFile;
  assert.ok(checkpointWeightsFinite(file));
  const before = readFileSync(file);
  const w3 = tl.flattenWeightsAndState(loop.model.weights, loop.model.state)[0].map((t) => t.arraySync());
  lr.v = 1e6;
  let err = null as Error | null;
  await loop.run(50).catch((e: Error) => (err = e));
  assert.ok(err !== null, "run must reject");
  const m = /loss of step (\d+) \(task 'train'\) is (NaN|Infinity|-Infinity)/.exec(err!.message);
  assert.ok(m, err!.message);
  const bad = Number(m![1]);
  assert.is(loop.step, bad - 1, "the step with the non-finite loss is not applied");
  assert.match(err!.message, new RegExp(`weights of step ${bad - 1}`));
  assert.ok(tl.flattenWeightsAndState(loop.model.weights, loop.model.state)[0].every((t) => !t.isDisposed));
  // Whatever was saved is finite: the checkpoint is the last finite one.
  assert.ok(checkpointWeightsFinite(file));
  assert.ok(bad > 4 || before.equals(readFileSync(file)));
  void w3;
  loop.dispose();
});

test("onNonFiniteLoss 'warn' goes on, warns once, and writes no non-finite checkpoint", async () => {
  const dir = tmp();
  const { loop, logs, lr } = explodingLoop(dir, { onNonFiniteLoss: "warn" });
  await loop.run(2);
  const good = readFileSync(loop.checkpointFile);
  lr.v = 1e6;
  const seen: number[] = [];
  loop.onStep(({ loss }) => seen.push(loss));
  await loop.run(20);
  assert.is(loop.step, 22);
  assert.ok(seen.some((l) => !Number.isFinite(l)), `losses ${seen}`);
  assert.is(logs.filter((l) => /is (NaN|Infinity|-Infinity); going on/.test(l)).length, 1, logs.join("\n"));
  assert.ok(logs.some((l) => /not finite; checkpoint not written/.test(l)));
  assert.ok(checkpointWeightsFinite(loop.checkpointFile));
  assert.ok(good.length > 0);
  assert.throws(() => Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { onNonFiniteLoss: "ignore" as "warn" }), /onNonFiniteLoss must be/);
  loop.dispose();
});

test("two loops on one outputDir: a second writer of another live process is refused; a stale lock is taken over", async () => {
  const dir = tmp();
  const lockFile = path.join(dir, ".trax-ts.lock");
  // A live process (this test's parent, the test runner) holds the folder.
  writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: require("os").hostname(), id: 1 }));
  assert.throws(
    () => Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" }),
    (e: Error) => new RegExp(`in use by process ${process.ppid}`).test(e.message) && e.message.includes(lockFile)
  );
  // A process that has exited: its lock is stale.
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), host: require("os").hostname(), id: 1 }));
  const loop = Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" });
  assert.is(JSON.parse(readFileSync(lockFile, "utf8")).pid, process.pid);
  await loop.run(2);
  loop.dispose();
  assert.not.ok(existsSync(lockFile), "dispose releases the lock");
});

test("in one process, a new loop takes the folder over from one that is not running, never from a running one", async () => {
  const dir = tmp();
  const first = Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" });
  let refused = null as Error | null;
  first.onStep(({ step }) => {
    if (step === 1) {
      try {
        Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" });
      } catch (e) {
        refused = e as Error;
      }
    }
  });
  await first.run(2);
  assert.ok(refused !== null && /in use by another Loop of this process that is running/.test((refused as Error).message));
  // A notebook cell run again: the old loop is idle, the new one continues from its checkpoint.
  const second = Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" });
  assert.is(second.step, 2);
  let err = null as Error | null;
  await first.run(1).catch((e: Error) => (err = e));
  assert.match(err!.message, /another Loop took over outputDir/);
  assert.throws(() => first.saveCheckpoint(), /another Loop took over/);
  await second.run(1);
  assert.is(second.step, 3);
  second.dispose();
  first.dispose();
});

test("temporary files of interrupted saves are removed when a loop or a save starts there", async () => {
  const dir = tmp();
  const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
  const orphan = `.model.ckpt.gz.${dead}.0._tmp_`;
  const live = `.model.ckpt.gz.${process.ppid}.3._tmp_`; // a save in progress in a live process: left alone
  const other = ".notes.txt";
  for (const f of [orphan, live, other]) writeFileSync(path.join(dir, f), "partial");
  const loop = Loop(mlp(), TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD()), { outputDir: dir, progress: "none" });
  assert.equal(readdirSync(dir).filter((f) => f.endsWith("_tmp_")), [live]);
  loop.dispose();
  // A save removes its own file's stale temporaries.
  const layerFile = path.join(dir, "dense.ckpt.gz");
  const orphan2 = `.dense.ckpt.gz.${dead}.7._tmp_`;
  writeFileSync(path.join(dir, orphan2), "partial");
  const d = tl.Dense(2);
  d.init(new trax.shapes.ShapeDtype([1, 3]));
  d.saveToFile(layerFile);
  assert.not.ok(existsSync(path.join(dir, orphan2)));
  assert.ok(existsSync(path.join(dir, other)));
});

test("a Loop given a model whose weights were assigned (never initialized) trains from those weights", async () => {
  const pretrained = mlp();
  pretrained.init(new trax.shapes.ShapeDtype([16, 4]), { rng: random.getPrng(42) });
  const model = mlp();
  model.weights = pretrained.weights;
  const loop = Loop(model, TrainTask(() => blobs(1), tl.CrossEntropyLoss(), opt.SGD({ learningRate: 0 })), { progress: "none" });
  assert.ok(model.initialized);
  const [wm] = tl.flattenWeightsAndState(model.weights, model.state);
  const [wp] = tl.flattenWeightsAndState(pretrained.weights, pretrained.state);
  wp.forEach((t, i) => assert.is(wm[i], t, `weight ${i} is the assigned tensor`));
  // The loss of the first step is the pretrained model's loss on the first batch.
  const first = blobs(1).next().value as tf.Tensor[];
  const expected = tf.tidy(() => (tl.Serial(pretrained, tl.CrossEntropyLoss())([first[0], first[1], tf.onesLike(first[1]).toFloat()]) as tf.Tensor).dataSync()[0]);
  const losses: number[] = [];
  loop.onStep(({ loss }) => losses.push(loss));
  await loop.run(1);
  assert.ok(Math.abs(losses[0] - expected) < 1e-5, `${losses[0]} vs ${expected}`);
  tf.dispose(first);
  loop.dispose();
});

test.run();
