/**
 * Training-step speed: one Adam step of an MLP 784-256-256-10 on a batch of
 * 128, and one step of a small Transformer block, on the current backend
 * (wasm here, one thread unless TRAX_THREADS says otherwise). Ours (a
 * `trax.supervised.Loop` step) against hand-tuned tfjs (the baseline: a
 * `customGrad` dense with explicit transposes, see hand-tuned.ts), idiomatic
 * tfjs (`tf.train.adam` + `tf.variableGrads`) and, for the MLP, tfjs-layers
 * `model.trainOnBatch` (the same tfjs instance, on tfjs-wasm's own kernels:
 * see stock-tfjs.ts), and PyTorch on one thread in a child process
 * (bench/torch_steps.py) where /usr/bin/python3 has torch, all in
 * alternation in one run. Times are process CPU milliseconds per step
 * (robust to other load while one thread computes; the child reports its
 * own); ratios are ours / theirs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import * as path from "node:path";
import * as trax from "../dist"; // the shipped build, as users run it
import { handTunedDense } from "./hand-tuned";
import { stockTfjs, withoutSimd } from "./stock-tfjs";
import { alternateCpuRounds, median } from "./timing";
import { BLOCK, mlpModel, transformerBlock } from "./models";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;



/** A plain-tfjs candidate, run on tfjs-wasm's own kernels (see stock-tfjs.ts). */
const stock = (run: (n: number) => Promise<void>) => (n: number) => stockTfjs(() => run(n));
/** trax-ts without its SIMD kernels (TRAX_SIMD=0): what they buy. */
const withoutSimdKernels = (run: (n: number) => Promise<void>) => (n: number) => withoutSimd(() => run(n));

/** The same batch forever (not disposed by the loop). */
function* forever(batch: Tensor[]): Generator<Tensor[]> {
  for (;;) yield batch;
}

/** A trax Loop that trains `model` with Adam on a fixed batch; returns a runner of n steps. */
function oursRunner(model: trax.layers.Layer, loss: trax.layers.Layer, batch: Tensor[], lr: number): (n: number) => Promise<void> {
  const loop = trax.supervised.Loop(
    model,
    trax.supervised.TrainTask(forever(batch), loss, trax.optimizers.Adam({ learningRate: lr, weightDecayRate: 0 }), { disposeBatches: false }),
    { progress: "none", stepsPerEval: 1e9 }
  );
  return async (n) => {
    await loop.run(n);
  };
}

function glorot(shape: number[], seed: number): Tensor {
  const lim = Math.sqrt(6 / (shape[0] + shape[shape.length - 1]));
  return tf.randomUniform(shape, -lim, lim, "float32", seed);
}

async function mlp(torch: TorchSteps | null): Promise<Record<string, number[]>> {
  const B = 128;
  const sizes = [784, 256, 256, 10];
  const x = tf.randomNormal([B, 784], 0, 1, "float32", 1);
  const labels = tf.randomUniformInt([B], 0, 10, 2);
  const oneHotLabels = tf.oneHot(labels, 10).toFloat();
  const lr = 1e-3;

  // Ours: Serial(Dense, Relu, Dense, Relu, Dense), cross-entropy from logits.
  const ours = oursRunner(mlpModel(), tl.CrossEntropyLossWithLogSoftmax(), [x, labels], lr);
  const oursNoSimd = oursRunner(mlpModel(), tl.CrossEntropyLossWithLogSoftmax(), [x, labels], lr);

  // Raw tfjs: variables, autograd, tf.train.adam.
  const vars: trax.tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    vars.push(tf.variable(glorot([sizes[i], sizes[i + 1]], 10 + i)), tf.variable(tf.zeros([sizes[i + 1]])));
  }
  const rawStep = (vs: trax.tf.Variable[], adam: trax.tf.AdamOptimizer, dense: (h: Tensor, w: Tensor, b: Tensor) => Tensor) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        let h: Tensor = x;
        for (let i = 0; i < vs.length; i += 2) {
          h = dense(h, vs[i], vs[i + 1]);
          if (i + 2 < vs.length) h = tf.relu(h);
        }
        return tf.losses.softmaxCrossEntropy(oneHotLabels, h) as trax.tf.Scalar;
      });
      adam.applyGradients(grads as never);
      value.dataSync();
    });
  const rawAdam = tf.train.adam(lr);
  const raw = async (n: number) => {
    for (let i = 0; i < n; i++) rawStep(vars, rawAdam, (h, w, b) => tf.add(tf.matMul(h, w), b));
  };
  const tunedVars = vars.map((v, i) => tf.variable(v.clone(), true, `tuned_${i}`));
  const tunedAdam = tf.train.adam(lr);
  const tuned = async (n: number) => {
    for (let i = 0; i < n; i++) rawStep(tunedVars, tunedAdam, handTunedDense);
  };

  // tfjs-layers: a sequential model, trainOnBatch.
  const seq = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: "relu" }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  seq.compile({ optimizer: tf.train.adam(lr), loss: "categoricalCrossentropy" });
  const layersRun = async (n: number) => {
    for (let i = 0; i < n; i++) await seq.trainOnBatch(x, oneHotLabels);
  };

  return alternateCpuRounds({ ours, oursNoSimd: withoutSimdKernels(oursNoSimd), tuned: stock(tuned), raw: stock(raw), layers: stock(layersRun), ...(torch ? { torch: torch.runner("mlp") } : {}) }, 20, 9);
}

async function transformer(torch: TorchSteps | null): Promise<Record<string, number[]>> {
  // One decoder block: LayerNorm, causal self-attention (4 heads), residual,
  // LayerNorm, feed-forward (d -> 4d -> d), residual, projection to the vocabulary.
  const { B, L, D, H, F, V } = BLOCK;
  const x = tf.randomNormal([B, L, D], 0, 1, "float32", 3);
  const targets = tf.randomUniformInt([B, L], 0, V, 4);
  const oneHotTargets = tf.oneHot(targets, V).toFloat();
  const lr = 1e-3;

  const ours = oursRunner(transformerBlock(), tl.CrossEntropyLossWithLogSoftmax(), [x, targets], lr);
  const oursNoSimd = oursRunner(transformerBlock(), tl.CrossEntropyLossWithLogSoftmax(), [x, targets], lr);

  // Raw tfjs: the same block by hand.
  const v = (t: Tensor) => tf.variable(t);
  const p = {
    ln1s: v(tf.ones([D])), ln1b: v(tf.zeros([D])),
    wq: v(glorot([D, D], 20)), bq: v(tf.zeros([D])), wk: v(glorot([D, D], 21)), bk: v(tf.zeros([D])),
    wv: v(glorot([D, D], 22)), bv: v(tf.zeros([D])), wo: v(glorot([D, D], 23)), bo: v(tf.zeros([D])),
    ln2s: v(tf.ones([D])), ln2b: v(tf.zeros([D])),
    w1: v(glorot([D, F], 24)), b1: v(tf.zeros([F])), w2: v(glorot([F, D], 25)), b2: v(tf.zeros([D])),
    wout: v(glorot([D, V], 26)), bout: v(tf.zeros([V])),
  };
  const mask = tf.linalg.bandPart(tf.ones([L, L]), -1, 0);
  const negMask = tf.mul(tf.sub(1, mask), -1e9);
  const ln = (h: Tensor, s: Tensor, b: Tensor) => {
    const { mean, variance } = tf.moments(h, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-6))), s), b);
  };
  const plainDense = (h: Tensor, w: Tensor, b: Tensor) => tf.add(tf.matMul(h.reshape([-1, w.shape[0] as number]), w), b).reshape([...h.shape.slice(0, -1), w.shape[1] as number]);
  const heads = (h: Tensor) => h.reshape([B, L, H, D / H]).transpose([0, 2, 1, 3]);
  const rawStep = (adam: trax.tf.AdamOptimizer, dense: (h: Tensor, w: Tensor, b: Tensor) => Tensor) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const a = ln(x, p.ln1s, p.ln1b);
        const q = heads(dense(a, p.wq, p.bq));
        const k = heads(dense(a, p.wk, p.bk));
        const vv = heads(dense(a, p.wv, p.bv));
        const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(D / H)), negMask);
        const att = tf.matMul(tf.softmax(scores), vv).transpose([0, 2, 1, 3]).reshape([B, L, D]);
        const h1 = tf.add(x, dense(att, p.wo, p.bo));
        const f = dense(tf.relu(dense(ln(h1, p.ln2s, p.ln2b), p.w1, p.b1)), p.w2, p.b2);
        const logits = dense(tf.add(h1, f), p.wout, p.bout);
        return tf.losses.softmaxCrossEntropy(oneHotTargets.reshape([-1, V]), logits.reshape([-1, V])) as trax.tf.Scalar;
      });
      adam.applyGradients(grads as never);
      value.dataSync();
    });
  // The two raw candidates train the same variables (each with its own Adam): same work per step.
  const rawAdam = tf.train.adam(lr);
  const tunedAdam = tf.train.adam(lr);
  const raw = async (n: number) => {
    for (let i = 0; i < n; i++) rawStep(rawAdam, plainDense);
  };
  const tuned = async (n: number) => {
    for (let i = 0; i < n; i++) rawStep(tunedAdam, handTunedDense);
  };
  return alternateCpuRounds({ ours, oursNoSimd: withoutSimdKernels(oursNoSimd), tuned: stock(tuned), raw: stock(raw), ...(torch ? { torch: torch.runner("transformer") } : {}) }, 10, 9);
}

/**
 * PyTorch on one thread in a child process (`bench/torch_steps.py serve`),
 * whose rounds run in alternation with our candidates' (so machine load hits
 * it alike); each round reports the child's own CPU ms per step.
 */
class TorchSteps {
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(private readonly child: ChildProcess, readonly version: string, lines: readline.Interface) {
    lines.on("line", (line) => this.waiting.shift()?.(line));
  }

  /** Starts the child, or says why there is no PyTorch row. */
  static start(): Promise<TorchSteps | string> {
    // One thread everywhere (BLAS and OpenMP pools would otherwise spin on other cores and count as CPU time).
    const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const child = spawn("/usr/bin/python3", [path.join(__dirname, "torch_steps.py"), "serve"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const lines = readline.createInterface({ input: child.stdout! });
    return new Promise((resolve) => {
      child.on("error", (e) => resolve(`no /usr/bin/python3 (${e.message})`));
      child.on("exit", () => resolve(/No module named 'torch'/.test(stderr) ? "/usr/bin/python3 has no torch (apt-get install python3-torch)" : `torch_steps.py failed: ${stderr.trim().split("\n").pop()}`));
      lines.once("line", (line) => resolve(new TorchSteps(child, (JSON.parse(line) as { ready: string }).ready, lines)));
    });
  }

  /** A candidate for {@link alternateCpu}: runs n steps of `model` in the child; its CPU ms per step. */
  runner(model: "mlp" | "transformer"): (n: number) => Promise<number> {
    return (n) =>
      new Promise((resolve) => {
        this.waiting.push((line) => resolve(Number(line)));
        this.child.stdin!.write(`${model} ${n}\n`);
      });
  }

  close(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

/**
 * Prints each candidate's median CPU ms per step and ours / theirs as the
 * median of the per-round ratios (rounds alternate, so each ratio compares
 * times taken moments apart, under the same load).
 */
function table(title: string, rows: [string, number[] | null][]): void {
  const ours = rows[0][1] as number[];
  console.log(title);
  for (const [name, times] of rows) {
    if (times === null) continue;
    const ratio = name === rows[0][0] ? "" : `  ours/this ${median(times.map((t, r) => ours[r] / t)).toFixed(2)}`;
    console.log(`  ${name.padEnd(52)} ${median(times).toFixed(1).padStart(7)} ms${ratio}`);
  }
}

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const where = `${info.backend}, ${info.threads} thread${info.threads > 1 ? "s" : ""}`;
  const started = await TorchSteps.start();
  const torch = typeof started === "string" ? null : started;
  let m: Record<string, number[]>, t: Record<string, number[]>;
  try {
    m = await mlp(torch);
    t = await transformer(torch);
  } finally {
    torch?.close();
  }
  const torchName = torch ? `PyTorch ${torch.version}, 1 thread (alternated)` : "";
  table(`train step, MLP 784-256-256-10, batch 128, Adam (${where}), CPU ms per step:`, [
    ["trax-ts (supervised.Loop)", m.ours],
    ["trax-ts without SIMD kernels (TRAX_SIMD=0)", m.oursNoSimd],
    ["hand-tuned tfjs (customGrad dense, baseline)", m.tuned],
    ["idiomatic tfjs (variableGrads + adam)", m.raw],
    ["tfjs-layers trainOnBatch", m.layers],
    [torchName, m.torch ?? null],
  ]);
  table(`train step, Transformer block (batch 16, length 32, d 128, 4 heads, ff 512, vocab 64), Adam (${where}), CPU ms per step:`, [
    ["trax-ts (supervised.Loop)", t.ours],
    ["trax-ts without SIMD kernels (TRAX_SIMD=0)", t.oursNoSimd],
    ["hand-tuned tfjs (customGrad dense, baseline)", t.tuned],
    ["idiomatic tfjs (variableGrads + adam)", t.raw],
    [torchName, t.torch ?? null],
  ]);
  if (typeof started === "string") console.log(`  (no PyTorch row: ${started})`);
}

main();
