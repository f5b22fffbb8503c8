/**
 * Dense(1024) forward + backward on a (128, 1024) batch: our layer (its
 * gradient transposes explicitly instead of using tfjs's transposed matMul,
 * slow on wasm) against the same math through tfjs autograd (`tf.grads` over
 * `matMul` + `add`) and against tfjs-layers' dense layer, on the current
 * backend. Prints ratios measured in one run (ours / other; below 1 is faster).
 */
import * as os from "node:os";
import * as trax from "../dist"; // the shipped build, as users run it
import { handTunedDense } from "./hand-tuned";
import { stockTfjs } from "./stock-tfjs";
import { cpuRatios, timeMedian } from "./timing";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const [batch, dIn, units] = [128, 1024, 1024];
  const x = tf.randomNormal([batch, dIn]);
  const dy = tf.randomNormal([batch, units]);

  const layer = tl.Dense(units);
  layer.init(new trax.shapes.ShapeDtype([batch, dIn]));
  const [w, b] = layer.weights as Tensor[];

  // Ours: the layer called with explicit weights, differentiated in x, w and b.
  const oursGrads = tf.grads((xx: Tensor, ww: Tensor, bb: Tensor) => tf.sum(tf.mul(layer(xx, { weights: [ww, bb] }) as Tensor, dy)));
  // Hand-tuned tfjs (the baseline): a customGrad dense with explicit transposes.
  const tunedGrads = tf.grads((xx: Tensor, ww: Tensor, bb: Tensor) => tf.sum(tf.mul(handTunedDense(xx, ww, bb), dy)));
  // Raw tfjs: the same math, tfjs's own gradients (MatMul's uses transposeA/B).
  const rawGrads = tf.grads((xx: Tensor, ww: Tensor, bb: Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx, ww), bb), dy)));
  // tfjs-layers: its Dense, gradients for the input and both variables.
  const xv = tf.variable(x, true, "bench_x");
  const kl = tf.layers.dense({ units, inputShape: [dIn] });
  kl.apply(xv);
  const layersGrads = () => tf.variableGrads(() => tf.sum(tf.mul(kl.apply(xv) as Tensor, dy)) as trax.tf.Scalar);

  // Same numbers from ours and raw (sanity check before timing).
  const a = oursGrads([x, w, b]);
  const r = stockTfjs(() => rawGrads([x, w, b])); // tfjs-wasm's own kernels: a cross-check of ours
  const maxDiff = Math.max(...a.map((g, i) => tf.max(tf.abs(tf.sub(g, r[i]))).dataSync()[0]));
  tf.dispose([...a, ...r]);
  if (!(maxDiff < 1e-2)) throw new Error(`dense bench: our gradients differ from tfjs's by ${maxDiff}`);

  const reps = 5;
  const run = (f: () => unknown) => () => {
    for (let i = 0; i < reps; i++) {
      const out = f() as Tensor[] | { value: Tensor; grads: Record<string, Tensor> };
      if (Array.isArray(out)) {
        out[0].dataSync(); // wait for the backend
        tf.dispose(out);
      } else {
        out.value.dataSync();
        tf.dispose([out.value, ...Object.values(out.grads)]);
      }
    }
  };
  const before = tf.memory().numTensors;
  const [tOurs, tTuned, tRaw, tLayers] = timeMedian(
    [run(() => oursGrads([x, w, b])), run(() => stockTfjs(() => tunedGrads([x, w, b]))), run(() => stockTfjs(() => rawGrads([x, w, b]))), run(() => stockTfjs(layersGrads))],
    7
  );
  const leaked = tf.memory().numTensors - before;
  const ms = (t: number) => (t / reps).toFixed(1);
  const gflops = (t: number) => ((3 * 2 * batch * dIn * units) / ((t / reps) * 1e6)).toFixed(1);
  console.log(
    `dense ${dIn}->${units} fwd+bwd on (${batch}, ${dIn}) (${info.backend}): ratio ours/hand-tuned ${(tOurs / tTuned).toFixed(2)}, ours/raw ${(tOurs / tRaw).toFixed(2)}, ` +
      `ours/tfjs-layers ${(tOurs / tLayers).toFixed(2)} ` +
      `(ours ${ms(tOurs)} ms = ${gflops(tOurs)} GFLOP/s, raw tfjs ${ms(tRaw)} ms, tfjs-layers ${ms(tLayers)} ms; max grad diff ${maxDiff.toExponential(1)}` +
      `${leaked ? `; LEAKED ${leaked} tensors` : ""})`
  );
  eagerCall();
}

/**
 * An eager call, `tl.Dense(8)` on a (1, 8) tensor, against the hand-written
 * `matMul` + `add` (process CPU time, alternated, lower deciles: see
 * `cpuRatios`; target: at most 1.2).
 */
function eagerCall(): void {
  const x = tf.randomNormal([1, 8]);
  const layer = tl.Dense(8);
  layer.init(new trax.shapes.ShapeDtype([1, 8]));
  const [w, b] = layer.weights as Tensor[];
  const reps = 200;
  const byHand = () => {
    for (let i = 0; i < reps; i++) {
      const m = tf.matMul(x, w);
      tf.add(m, b).dispose();
      m.dispose();
    }
  };
  const ours = () => {
    for (let i = 0; i < reps; i++) (layer(x) as Tensor).dispose();
  };
  const { ms, ratios, medianRatios } = cpuRatios([byHand, ours], 201);
  const [tHand, tOurs] = ms;
  console.log(
    `eager Dense(8) call on (1, 8): ratio ${ratios[1].toFixed(2)} (ours ${((tOurs / reps) * 1000).toFixed(1)} us, ` +
      `hand-written matMul + add ${((tHand / reps) * 1000).toFixed(1)} us, CPU time, lower deciles; ` +
      `median per-round ratio ${medianRatios[1].toFixed(2)}; load average ${os.loadavg()[0].toFixed(1)}; target <= 1.2)`
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
