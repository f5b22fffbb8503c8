/**
 * Loop checkpoints under a crash: a child process that saves checkpoints
 * in a loop is killed with SIGKILL at random moments; the checkpoint left
 * behind always loads, at a step the child had reported saved (or the
 * one it was saving).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "child_process";
import { mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { ready, tf, tl, trax } from "../helpers";

test.before(ready);

/** Starts the child, waits until it has saved `minSaves` times plus `extraMs`, kills it; returns the steps it reported. */
function runAndKill(dir: string, minSaves: number, extraMs: number, mode = "random"): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "save-loop.child.ts"), dir, mode], {
      env: { ...process.env, TRAX_QUIET: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const saved: number[] = [];
    let err = "";
    let killing = false;
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d: Buffer) => {
      for (const m of d.toString().matchAll(/saved (\d+)/g)) saved.push(Number(m[1]));
      if (mode === "random" && !killing && saved.length >= minSaves) {
        killing = true;
        setTimeout(() => child.kill("SIGKILL"), extraMs);
      }
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(saved);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

const CASES: [string, number][] = [["random", 10], ["mid-write", 0], ["before-rename", 0]];

test("a child killed (SIGKILL) while saving checkpoints in a loop leaves a loadable checkpoint", async () => {
  let leftovers = 0;
  // The children run side by side (their start-up dominates); the checks follow one by one.
  const dirs = CASES.map(() => mkdtempSync(path.join(tmpdir(), "trax-kill-")));
  const results = await Promise.all(CASES.map(([mode, extraMs], i) => runAndKill(dirs[i], 2, extraMs, mode)));
  for (const [i, [mode]] of CASES.entries()) {
    const dir = dirs[i];
    const saved = results[i];
    const tmps = readdirSync(dir).filter((f) => f.endsWith("_tmp_")).length;
    if (mode !== "random") {
      // It died inside its third save: two saves reported, a partial temporary file left, the second checkpoint intact.
      assert.equal(saved, [1, 2], mode);
      assert.is(tmps, 1, `${mode}: the temporary file of the interrupted save`);
    }
    const last = saved[saved.length - 1];
    leftovers += tmps;
    // Load it into the same kind of loop: it must load, at the last reported step or the one after.
    const model = tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(2), tl.LogSoftmax());
    const data = function* () {
      for (let i = 0; ; i++) {
        const x = trax.fastmath.random.normal(trax.fastmath.random.getPrng(i), [8, 64]);
        yield [x, tf.tidy(() => x.sum(1).greater(0).toInt())];
      }
    };
    const loop = trax.supervised.Loop(model, trax.supervised.TrainTask(data, tl.CrossEntropyLoss(), trax.optimizers.Adam()), {
      outputDir: dir,
      progress: "none",
    });
    assert.is(readdirSync(dir).filter((f) => f.endsWith("_tmp_")).length, 0, `${mode}: the new loop removed the killed save's temporary file`);
    if (mode === "random") assert.ok(loop.step === last || loop.step === last + 1, `loaded step ${loop.step}; the child reported ${saved.join(",")}`);
    else assert.is(loop.step, 2, `${mode}: the previous checkpoint`);
    const loaded = loop.step;
    await loop.run(1);
    assert.is(loop.step, loaded + 1);
    loop.dispose();
  }
  // Not asserted (timing-dependent): how often the kill landed inside a write.
  if (process.env.VERBOSE) console.log(`temporary files left by killed saves: ${leftovers}`);
});

test.run();
