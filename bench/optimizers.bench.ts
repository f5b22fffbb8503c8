/**
 * Optimizer-update speed on the current backend (wasm here): one update of
 * a 784x256 weight by Adam, Momentum (Nesterov) and RMSProp through
 * `optimizer.update`, with the fused kernel's SIMD loop (trax-ts's default
 * on wasm), its JavaScript loop (`simdOptimizers.enabled = false`) and plain
 * tfjs ops (`TRAX_FUSED=0`); then the whole Adam steps of train.bench.ts's
 * MLP 784-256-256-10 and Transformer block with the SIMD and the JavaScript
 * loop. Candidates run in alternation in one process; times are process CPU
 * milliseconds (median of rounds), ratios are against the SIMD loop.
 */
import * as trax from "../dist"; // the shipped build, as users run it
import { simdOptimizers } from "../dist/backend/simd/wasm-optim";
import { alternateCpu } from "./timing";
import { mlpBench, trainingLoop, transformerBench } from "./models";

const { tf } = trax;
type Tensor = trax.tf.Tensor;
type Optimizer = InstanceType<typeof trax.optimizers.Optimizer>;


/** The three ways an update can run. */
const PATHS: Record<string, <T>(fn: () => T) => T> = {
  "SIMD loop (default)": (fn) => fn(),
  "JavaScript loop": (fn) => {
    simdOptimizers.enabled = false;
    try {
      return fn();
    } finally {
      simdOptimizers.enabled = true;
    }
  },
  "plain tfjs ops (TRAX_FUSED=0)": (fn) => {
    process.env.TRAX_FUSED = "0";
    try {
      return fn();
    } finally {
      delete process.env.TRAX_FUSED;
    }
  },
};


function table(title: string, ms: Record<string, number>): void {
  console.log(title);
  const base = Object.values(ms)[0];
  for (const [name, t] of Object.entries(ms)) {
    const ratio = t === base ? "" : `  this/SIMD ${(t / base).toFixed(2)}`;
    console.log(`  ${name.padEnd(36)} ${t.toFixed(3).padStart(8)} ms${ratio}`);
  }
}

/** `calls` updates of one (784, 256) weight by `opt` on the path `run`. */
function updater(opt: Optimizer, run: <T>(fn: () => T) => T): (calls: number) => void {
  const w = tf.randomNormal([784, 256], 0, 0.05, "float32", 1);
  const g = tf.randomNormal([784, 256], 0, 0.01, "float32", 2);
  const slots = opt.init(w);
  return (calls) => {
    for (let i = 0; i < calls; i++) {
      // In a scope, as in a training step (the plain-ops path makes intermediates).
      tf.tidy(() => void run(() => opt.update(10, g, w, slots, opt.optParams)));
    }
  };
}

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const where = `${info.backend}, ${info.threads} thread${info.threads > 1 ? "s" : ""}`;
  const opts: [string, () => Optimizer][] = [
    ["Adam", () => trax.optimizers.Adam({ learningRate: 1e-3 })],
    ["Momentum (Nesterov)", () => trax.optimizers.Momentum({ learningRate: 1e-2 })],
    ["RMSProp", () => trax.optimizers.RMSProp({ learningRate: 1e-3 })],
  ];
  for (const [name, make] of opts) {
    const fns = Object.fromEntries(Object.entries(PATHS).map(([path, run]) => [path, updater(make(), run)]));
    table(`optimizer update, ${name}, one 784x256 weight (${where}), CPU ms per update:`, await alternateCpu(fns, 20, 9));
  }

  const [mlp, block] = [mlpBench(), transformerBench()];
  table(`train step, MLP 784-256-256-10, batch 128, Adam (${where}), CPU ms per step:`, await stepAB(mlp.model, mlp.batch, 20));
  table(`train step, Transformer block of train.bench.ts, Adam (${where}), CPU ms per step:`, await stepAB(block.model, block.batch, 10));
}

/** Adam training steps of `model` on `batch` with the SIMD loop and with the JavaScript loop, alternated. */
async function stepAB(model: trax.layers.Layer, batch: Tensor[], steps: number): Promise<Record<string, number>> {
  const loop = trainingLoop(model, batch);
  const run = (simd: boolean) => async (n: number) => {
    simdOptimizers.enabled = simd;
    try {
      await loop.run(n);
    } finally {
      simdOptimizers.enabled = true;
    }
  };
  return alternateCpu({ "SIMD loop (default)": run(true), "JavaScript loop": run(false) }, steps, 9);
}

main();
