/**
 * Kernel profile of one training step (not a benchmark: `npx tsx
 * bench/profile-step.ts [mlp|transformer]`): runs a few warm-up steps of the
 * same models as train.bench.ts, then one step under `tf.profile` and prints
 * the time per kernel name (wall ms summed over calls, call counts), largest
 * first. Kernel times are wall times, so read them as shares on a busy machine.
 */
import * as trax from "../dist";
import { mlpBench, trainingLoop, transformerBench } from "./models";

const { tf } = trax;

async function main(): Promise<void> {
  await trax.backend.ready();
  const which = process.argv[2] ?? "transformer";
  const { model, batch } = which === "mlp" ? mlpBench() : transformerBench();
  const loop = trainingLoop(model, batch);
  await loop.run(5);
  const steps = Number(process.env.STEPS ?? 5);
  const byName = new Map<string, { ms: number; n: number; shapes: Map<string, number> }>();
  let total = 0;
  for (let s = 0; s < steps; s++) {
    const info = await tf.profile(async () => {
      await loop.run(1);
    });
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      const e = byName.get(k.name) ?? { ms: 0, n: 0, shapes: new Map() };
      e.ms += ms;
      e.n += 1;
      const key = k.inputShapes.map((sh) => `[${sh}]`).join("x");
      e.shapes.set(key, (e.shapes.get(key) ?? 0) + ms);
      byName.set(k.name, e);
      total += ms;
    }
  }
  console.log(`${which}: kernel ms per step ${(total / steps).toFixed(2)} over ${steps} profiled steps`);
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${name.padEnd(22)} ${(e.ms / steps).toFixed(2).padStart(7)} ms  ${String(e.n / steps).padStart(5)} calls  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%`);
    const top = [...e.shapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
    for (const [sh, ms] of top) console.log(`      ${(ms / steps).toFixed(2).padStart(7)} ms  ${sh}`);
  }
}

main();
