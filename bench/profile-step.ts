/**
 * Kernel profile of one training step (not a benchmark: `npx tsx
 * bench/profile-step.ts [mlp|transformer]`): runs a few warm-up steps of the
 * same models as train.bench.ts, then one step under `tf.profile` and prints
 * the time per kernel name (wall ms summed over calls, call counts), largest
 * first. Kernel times are wall times, so read them as shares on a busy machine.
 */
import * as trax from "../dist";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;

function* forever(batch: Tensor[]): Generator<Tensor[]> {
  for (;;) yield batch;
}

async function main(): Promise<void> {
  await trax.backend.ready();
  const which = process.argv[2] ?? "transformer";
  let model: trax.layers.Layer;
  let batch: Tensor[];
  if (which === "mlp") {
    model = tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(10));
    batch = [tf.randomNormal([128, 784], 0, 1, "float32", 1), tf.randomUniformInt([128], 0, 10, 2)];
  } else {
    const [B, L, D, H, F, V] = [16, 32, 128, 4, 512, 64];
    model = tl.Serial(
      tl.Residual(tl.LayerNorm(), tl.CausalAttention(D, { nHeads: H })),
      tl.Residual(tl.LayerNorm(), tl.Dense(F), tl.Relu(), tl.Dense(D)),
      tl.Dense(V)
    );
    batch = [tf.randomNormal([B, L, D], 0, 1, "float32", 3), tf.randomUniformInt([B, L], 0, V, 4)];
  }
  const loop = trax.supervised.Loop(
    model,
    trax.supervised.TrainTask(forever(batch), tl.CrossEntropyLossWithLogSoftmax(), trax.optimizers.Adam({ learningRate: 1e-3, weightDecayRate: 0 }), { disposeBatches: false }),
    { progress: "none", stepsPerEval: 1e9 }
  );
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
