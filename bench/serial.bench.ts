/**
 * Layer-call overhead: a Serial of 20 cheap layers called on a small tensor,
 * against the same tfjs ops written by hand (in one tf.tidy). Prints a ratio
 * measured in one run (target: at most 1.2): process CPU time, the two
 * alternated over 201 rounds of 40 calls, the ratio of their lower deciles
 * (see `cpuRatios`), so that other jobs on a busy machine move it little.
 */
import * as os from "node:os";
import * as trax from "../dist"; // the shipped build, as users run it
import { cpuRatios } from "./timing";

const { tf } = trax;
const tl = trax.layers;

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const n = 20;
  const layers = Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? tl.Relu() : tl.Fn("AddHalf", (x: trax.tf.Tensor) => tf.add(x, 0.5))
  );
  const model = tl.Serial(layers);
  const x = tf.randomNormal([8, 64]);
  model(x).dispose();

  const byHand = () =>
    tf.tidy(() => {
      let y = x;
      for (let i = 0; i < n; i++) y = i % 2 === 0 ? tf.relu(y) : tf.add(y, 0.5);
      return y;
    });
  const ours = () => model(x);
  const reps = 40;
  const run = (f: () => trax.tf.Tensor) => () => {
    for (let i = 0; i < reps; i++) f().dispose();
  };
  const before = tf.memory().numTensors;
  const { ms, ratios, medianRatios } = cpuRatios([run(byHand), run(ours)], 201);
  const leaked = tf.memory().numTensors - before;
  const [perHand, perOurs] = ms.map((t) => (t / reps) * 1000);
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `serial of ${n} cheap layers (${info.backend}): ratio ${ratios[1].toFixed(2)} ` +
      `(ours ${perOurs.toFixed(1)} us/call, tfjs by hand ${perHand.toFixed(1)} us/call, CPU time, lower deciles; median per-round ratio ${medianRatios[1].toFixed(2)}; load average ${load}; target <= 1.2)` +
      `${leaked ? `; LEAKED ${leaked} tensors` : ""}`
  );
}

main();
