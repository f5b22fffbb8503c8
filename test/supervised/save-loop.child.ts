/**
 * Child process for checkpoint.test.ts: trains a model one step at a time
 * and saves a loop checkpoint after every step, forever, printing
 * "saved <step>" after each save. The parent kills it with SIGKILL.
 * Usage: node --import tsx save-loop.child.ts <outputDir> [mode]
 * mode "random" (default): save until killed from outside;
 * "mid-write": the third save dies (SIGKILL to itself) after writing half the file;
 * "before-rename": the third save dies after writing and flushing, before the rename.
 */
import * as trax from "../../src";

// The real module object (patched below), not an import namespace.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const fs = require("fs") as typeof import("fs");
const { tf } = trax;
const tl = trax.layers;

async function main(): Promise<void> {
  await trax.backend.ready();
  const dir = process.argv[2];
  const mode = process.argv[3] ?? "random";
  let saves = 0;
  const die = () => process.kill(process.pid, "SIGKILL");
  if (mode === "mid-write") {
    const writeSync = fs.writeSync;
    (fs as { writeSync: unknown }).writeSync = (fd: number, buf: Uint8Array, off: number, len: number) => {
      if (saves < 2) return writeSync(fd, buf, off, len);
      writeSync(fd, buf, off, Math.floor(len / 2));
      fs.fsyncSync(fd);
      die();
      return 0;
    };
  } else if (mode === "before-rename") {
    const renameSync = fs.renameSync;
    (fs as { renameSync: unknown }).renameSync = (a: string, b: string) => {
      if (saves >= 2) die();
      return renameSync(a, b);
    };
  }
  const data = function* () {
    for (let i = 0; ; i++) {
      const x = trax.fastmath.random.normal(trax.fastmath.random.getPrng(i), [8, 64]);
      yield [x, tf.tidy(() => x.sum(1).greater(0).toInt())];
    }
  };
  // About 1.5 MB of weights and Adam slots: a save takes a while, so a kill usually lands inside one.
  const model = tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(2), tl.LogSoftmax());
  const loop = trax.supervised.Loop(model, trax.supervised.TrainTask(data, tl.CrossEntropyLoss(), trax.optimizers.Adam()), {
    outputDir: dir,
    stepsPerCheckpoint: 1000000,
    progress: "none",
  });
  for (;;) {
    await loop.run(1); // saves at the end of the run
    saves++;
    process.stdout.write(`saved ${loop.step}\n`);
  }
}

main();
