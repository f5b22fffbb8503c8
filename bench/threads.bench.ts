/**
 * One thread against all threads, two ways.
 *
 * - Fresh processes with TRAX_THREADS=1 and TRAX_THREADS=<cores> (the
 *   threaded build starts once per process, at `ready()`), alternated,
 *   wall-clock medians: the MLP training step (784-256-256-10, batch 128,
 *   Adam) and a 512x1024 @ 1024x1024 product; and all threads for trax-ts's
 *   products with tfjs-wasm's own kernels (XNNPACK) held to one
 *   (`TRAX_TFJS_THREADS=1`).
 * - In one process on the threaded build, rounds alternating products on
 *   one thread (`simdMatMul.maxThreads = 1`) and on all: the MLP step and
 *   the Transformer block of train.bench.ts, the median of the rounds'
 *   ratios (machine noise between processes does not enter).
 *
 * Prints the ratios (to one thread; below 1 is faster). On a machine busy
 * with other work, extra threads find no idle core and the ratio says so.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import * as trax from "../dist"; // the shipped build, as users run it
import { median } from "./timing";
import { mlpBench, trainingLoop, transformerBench } from "./models";
import { simdMatMul } from "../dist/backend/simd/wasm-matmul";

const { tf } = trax;

/** In a child: times the candidates, prints one JSON line. */
async function child(): Promise<void> {
  const info = await trax.backend.ready();
  const mlp = mlpBench();
  const loop = trainingLoop(mlp.model, mlp.batch);
  const a = tf.randomNormal([512, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  // (a tidy that returns the typed array would walk its half-million elements as a container)
  const product = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
  await loop.run(3);
  product();
  const steps: number[] = [];
  const products: number[] = [];
  for (let r = 0; r < 9; r++) {
    let t0 = performance.now();
    await loop.run(10);
    steps.push((performance.now() - t0) / 10);
    t0 = performance.now();
    product();
    products.push(performance.now() - t0);
  }
  const block = transformerBench();
  const alternated = process.argv.includes("--alternate") ? { mlp: await alternate(loop, mlp.stepsPerRound), transformer: await alternate(trainingLoop(block.model, block.batch), block.stepsPerRound) } : undefined;
  console.log(JSON.stringify({ threads: info.threads, note: info.threadsNote, step: median(steps), product: median(products), alternated }));
}

/** Rounds of `steps` steps with products on one thread, then on all: the median of the rounds' ratios (all / one). */
async function alternate(loop: trax.supervised.Loop, steps: number): Promise<{ one: number; all: number; ratio: number }> {
  await loop.run(3);
  const [one, all, ratios]: number[][] = [[], [], []];
  const timed = async (maxThreads: number) => {
    simdMatMul.maxThreads = maxThreads;
    await loop.run(1);
    const t0 = performance.now();
    await loop.run(steps);
    return (performance.now() - t0) / steps;
  };
  for (let r = 0; r < 15; r++) {
    one.push(await timed(1));
    all.push(await timed(Infinity));
    ratios.push(all[r] / one[r]);
  }
  return { one: median(one), all: median(all), ratio: median(ratios) };
}

type Alternated = { one: number; all: number; ratio: number };
type ChildResult = { threads: number; note?: string; step: number; product: number; alternated?: { mlp: Alternated; transformer: Alternated } };

function runChild(threads: number, tfjsThreads = threads, alternated = false): ChildResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", ...(alternated ? ["--alternate"] : [])], {
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
  const [one, many, productsOnly]: ChildResult[][] = [[], [], []];
  for (let r = 0; r < 4; r++) {
    one.push(runChild(1));
    many.push(runChild(all));
    productsOnly.push(runChild(all, 1));
  }
  const med = (rs: ChildResult[], k: "step" | "product") => median(rs.map((x) => x[k]));
  const { mlp, transformer } = runChild(all, all, true).alternated!;
  const row = (name: string, a: Alternated) => `${name} ${a.one.toFixed(1)} -> ${a.all.toFixed(1)} ms, ratio ${a.ratio.toFixed(2)}`;
  const ran = many[0].threads;
  console.log(
    `threads (wasm, wall clock, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores): ` +
      `MLP train step 1 thread ${med(one, "step").toFixed(1)} ms, ${ran} threads ${med(many, "step").toFixed(1)} ms, ratio ${(med(many, "step") / med(one, "step")).toFixed(2)}; ` +
      `matMul 512x1024x1024 1 thread ${med(one, "product").toFixed(1)} ms, ${ran} threads ${med(many, "product").toFixed(1)} ms, ratio ${(med(many, "product") / med(one, "product")).toFixed(2)}; ` +
      `${ran} threads with tfjs's own kernels on 1 (TRAX_TFJS_THREADS=1): MLP step ${med(productsOnly, "step").toFixed(1)} ms, ratio ${(med(productsOnly, "step") / med(one, "step")).toFixed(2)}, ` +
      `matMul ${med(productsOnly, "product").toFixed(1)} ms, ratio ${(med(productsOnly, "product") / med(one, "product")).toFixed(2)}` +
      (many[0].note ? ` (${many[0].note})` : "")
  );
  console.log(`threads, in one process (wasm, wall clock, median of 15 alternated rounds): products on 1 thread -> ${ran}: ${row("MLP step", mlp)}; ${row("Transformer block step", transformer)}`);
}

(process.argv.includes("--child") ? child() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
