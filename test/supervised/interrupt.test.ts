/**
 * Interrupting training (what the kernel's Interrupt and the REPL's Ctrl-C
 * call): a running `loop.run` stops after its current step, rejects with
 * KeyboardInterrupt naming the step, frees what it held, and the loop goes on
 * from that step, with the same losses as an uninterrupted run.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax } from "../helpers";

const { Loop, TrainTask, KeyboardInterrupt, interruptTraining, runningTrainings } = trax.supervised;
const { random } = trax.fastmath;

test.before(ready);

function* blobs(seed: number): Generator<tf.Tensor[]> {
  for (let i = 0; ; i++) {
    const x = random.normal(random.foldIn(random.getPrng(seed), i), [8, 4]);
    const y = tf.tidy(() => x.sum(1).greater(0).toInt());
    yield [x, y];
  }
}

const makeLoop = () =>
  Loop(tl.Serial(tl.Dense(8), tl.Relu(), tl.Dense(2), tl.LogSoftmax()), TrainTask(() => blobs(5), tl.CrossEntropyLoss(), trax.optimizers.Adam({ learningRate: 0.01 })), {
    progress: "none",
    randomSeed: 1,
  });

test("an interrupt stops a run after its current step; the loop resumes with the same losses", async () => {
  assert.is(interruptTraining(), 0, "nothing to interrupt");
  const loop = makeLoop();
  const losses: number[] = [];
  loop.onStep(({ step, loss }) => {
    losses.push(loss);
    if (step === 7) assert.is(interruptTraining(), 1, "one running loop");
  });
  await loop.run(2); // warm: the batch stream and optimizer slots exist
  const before = tf.memory().numTensors;
  let caught: unknown = null;
  try {
    await loop.run(1_000_000);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KeyboardInterrupt, `KeyboardInterrupt expected; got ${String(caught)}`);
  const k = caught as InstanceType<typeof KeyboardInterrupt>;
  assert.is(k.name, "KeyboardInterrupt");
  assert.is(k.step, 7);
  assert.is(k.endStep, 1_000_002, "from step 2, a million more");
  assert.match(k.message, /after step 7 \(of 1000002\).*loop\.run\(n\) goes on from step 7/);
  assert.is(loop.step, 7, "stopped right after the step that was running");
  assert.not.ok(loop.isRunning, "not running any more");
  assert.is(runningTrainings(), 0);
  assert.is(tf.memory().numTensors, before, "no tensors leaked by the interrupted run");
  // Resumes from step 7; the losses are those of one uninterrupted run of 10 steps.
  await loop.run(3);
  assert.is(loop.step, 10);
  const straight = makeLoop();
  const reference: number[] = [];
  straight.onStep(({ loss }) => reference.push(loss));
  await straight.run(10);
  assert.equal(losses.map((l) => l.toFixed(5)), reference.map((l) => l.toFixed(5)));
});

test("run's promise shows itself: a description while pending, its outcome after", async () => {
  const loop = makeLoop();
  const p = loop.run(3);
  const display = (p as unknown as Record<symbol, () => { "text/plain": string }>)[Symbol.for("Jupyter.display")];
  assert.match(display.call(p)["text/plain"], /^loop\.run\(3\): training in the background/);
  await p;
  assert.is(display.call(p)["text/plain"], "loop.run(3) finished at step 3");
  const second = loop.run(-1);
  await second.then(
    () => assert.unreachable("a negative step count is refused"),
    (e: Error) => assert.match(e.message, /nSteps must be a non-negative integer/)
  );
  assert.match((second as unknown as Record<symbol, () => { "text/plain": string }>)[Symbol.for("Jupyter.display")]()["text/plain"], /^loop\.run\(-1\) failed: Error: Loop\.run: nSteps/);
});

test.run();
