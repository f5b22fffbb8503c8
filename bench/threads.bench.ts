/**
 * One thread against all threads: the MLP training step (784-256-256-10,
 * batch 128, Adam) and a 512x1024 @ 1024x1024 product, each in fresh
 * processes with TRAX_THREADS=1 and TRAX_THREADS=<cores> (the threaded build
 * starts once per process, at `ready()`), alternated, wall-clock medians; and
 * all threads for trax-ts's products with tfjs-wasm's own kernels (XNNPACK)
 * held to one (`TRAX_TFJS_THREADS=1`). Prints the ratios (to one thread;
 * below 1 is faster). On a machine busy with other work, extra threads find
 * no idle core and the ratio says so.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import * as trax from "../dist"; // the shipped build, as users run it
import { median } from "./timing";

const { tf } = trax;
const tl = trax.layers;

/** In a child: times the candidates, prints one JSON line. */
async function child(): Promise<void> {
  const info = await trax.backend.ready();
  const x = tf.randomNormal([128, 784], 0, 1, "float32", 1);
  const labels = tf.randomUniformInt([128], 0, 10, 2);
  function* forever(b: trax.tf.Tensor[]): Generator<trax.tf.Tensor[]> {
    for (;;) yield b;
  }
  const model = tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(10));
  const loop = trax.supervised.Loop(
    model,
    trax.supervised.TrainTask(forever([x, labels]), tl.CrossEntropyLossWithLogSoftmax(), trax.optimizers.Adam({ learningRate: 1e-3 }), { disposeBatches: false }),
    { progress: "none", stepsPerEval: 1e9 }
  );
  const a = tf.randomNormal([512, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  // (a tidy that returns the typed array would walk its half-million elements as a container)
  const product = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
  await loop.run(3);
  product();
  const steps: number[] = [];
  const products: number[] = [];
  for (let r = 0; r < 5; r++) {
    let t0 = performance.now();
    await loop.run(10);
    steps.push((performance.now() - t0) / 10);
    t0 = performance.now();
    product();
    products.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ threads: info.threads, note: info.threadsNote, step: median(steps), product: median(products) }));
}

function runChild(threads: number, tfjsThreads = threads): { threads: number; note?: string; step: number; product: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child"], {
    env: { ...process.env, TRAX_THREADS: String(threads), TRAX_TFJS_THREADS: String(tfjsThreads), TRAX_QUIET: "1" },
    encoding: "utf8",
    timeout: 600000,
  });
  if (r.status !== 0) throw new Error(`threads bench child (TRAX_THREADS=${threads}, TRAX_TFJS_THREADS=${tfjsThreads}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

async function main(): Promise<void> {
  const all = Math.min(os.cpus().length, trax.backend.MAX_THREADS);
  if (all < 2) {
    console.log(`threads: this machine has ${os.cpus().length} core; nothing to compare`);
    return;
  }
  const one: ReturnType<typeof runChild>[] = [];
  const many: ReturnType<typeof runChild>[] = [];
  const productsOnly: ReturnType<typeof runChild>[] = [];
  for (let r = 0; r < 2; r++) {
    one.push(runChild(1));
    many.push(runChild(all));
    productsOnly.push(runChild(all, 1));
  }
  const med = (rs: ReturnType<typeof runChild>[], k: "step" | "product") => median(rs.map((x) => x[k]));
  const ran = many[0].threads;
  console.log(
    `threads (wasm, wall clock, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores): ` +
      `MLP train step 1 thread ${med(one, "step").toFixed(1)} ms, ${ran} threads ${med(many, "step").toFixed(1)} ms, ratio ${(med(many, "step") / med(one, "step")).toFixed(2)}; ` +
      `matMul 512x1024x1024 1 thread ${med(one, "product").toFixed(1)} ms, ${ran} threads ${med(many, "product").toFixed(1)} ms, ratio ${(med(many, "product") / med(one, "product")).toFixed(2)}; ` +
      `${ran} threads with tfjs's own kernels on 1 (TRAX_TFJS_THREADS=1): MLP step ${med(productsOnly, "step").toFixed(1)} ms, ratio ${(med(productsOnly, "step") / med(one, "step")).toFixed(2)}, ` +
      `matMul ${med(productsOnly, "product").toFixed(1)} ms, ratio ${(med(productsOnly, "product") / med(one, "product")).toFixed(2)}` +
      (many[0].note ? ` (${many[0].note})` : "")
  );
}

(process.argv.includes("--child") ? child() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
