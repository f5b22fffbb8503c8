/**
 * Incremental decoding: greedy generation with a 2-layer decoder (d=256,
 * 4 heads, vocabulary 32, one-hot tokens into a Dense input layer) in
 * `predict` mode (one token a call, keys and values cached in layer state)
 * against re-running the whole prefix in `eval` mode at each step. Both
 * generate the same tokens (checked). Prints a ratio of main-thread CPU
 * times measured in one run, after warm-up decodes (target: predict at least
 * 10x faster): the median ratio of `ROUNDS` (default 3) rounds that each
 * time a whole decode in one mode, then in the other (each round's ratio is
 * printed, and the median times); the process's CPU time
 * (with V8's background threads) and wall time are printed beside them.
 *
 * Then the same rounds run again while a child process streams through a
 * 64 MB array (on another core, where there is one): the "busy machine" of
 * the target, where predict mode, which reads its weights from memory at
 * every token, suffers more than eval mode's compute-bound products.
 * `LOAD=none` runs only the first measurement, `LOAD=memory` only the second.
 *
 * The eval baseline costs O(n^2); by default it is timed over all
 * `TOKENS` steps. With `EVAL_TOKENS=k` (k < TOKENS) it is timed over the
 * first k steps and extrapolated with a fitted a + b*t + c*t^2 per-step cost;
 * the output says so.
 */
import { performance } from "node:perf_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import * as trax from "../dist"; // the shipped build, as users run it
import { cpuMs as processCpuMs, MAIN_THREAD_CLOCK, mainThreadCpuMs } from "./timing";

const { tf } = trax;
const tl = trax.layers;
type Layer = ReturnType<typeof tl.Serial>;

const D = 256;
const HEADS = 4;
const VOCAB = 32;
const TOKENS = Number(process.env.TOKENS ?? 256);
/** Warm-up decodes before the timed one (each with a new model, as the timed one). */
const WARMUP_DECODES = 3;
const EVAL_TOKENS = Math.min(TOKENS, Number(process.env.EVAL_TOKENS ?? TOKENS));
/** Alternated rounds of a predict-mode decode and an eval-mode one; the result is the median of their ratios. */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Which measurements run: `none` (a quiet machine), `memory` (beside a memory-streaming job), or both (unset). */
const LOAD = process.env.LOAD ?? "";
if (LOAD !== "" && LOAD !== "memory" && LOAD !== "none") throw new Error(`LOAD must be 'none', 'memory' or unset; got '${LOAD}'`);

/**
 * A child process that reads and writes a 64 MB array over and over (one
 * float per 64-byte cache line) until killed; it also stops by itself when
 * this process is gone or after 15 minutes.
 */
function memoryStreamingJob(): ChildProcess {
  const source = `const parent = ${process.pid}; const end = Date.now() + 15 * 60 * 1000; const a = new Float32Array(16 << 20); let s = 0;
    while (process.ppid === parent && Date.now() < end) for (let i = 0; i < a.length; i += 16) { a[i] += 1; s += a[i]; }`;
  const child = spawn(process.execPath, ["-e", source], { stdio: "ignore" });
  child.unref();
  return child;
}

function decoder(mode: "eval" | "predict"): Layer {
  const block = () => [
    tl.Residual(tl.CausalAttention(D, { nHeads: HEADS, mode, maxInferenceLength: TOKENS })),
    tl.Residual(tl.Dense(2 * D), tl.Relu(), tl.Dense(D)),
  ];
  return tl.Serial(
    tl.ShiftRight({ mode }),
    tl.Dense(D),
    tl.PositionalEncoding({ maxLen: TOKENS, mode }),
    ...block(),
    ...block(),
    tl.Dense(VOCAB),
  );
}

const oneHot = (ids: number[]) => tf.tidy(() => tf.oneHot(tf.tensor1d(ids, "int32"), VOCAB).toFloat().reshape([1, ids.length, VOCAB]));

/** Greedy decoding in predict mode: feeds the previous token (zeros to start, as ShiftRight pads). */
function generatePredict(model: Layer, n: number): number[] {
  const out: number[] = [];
  let prev = -1; // one-hot of -1 is all zeros
  for (let t = 0; t < n; t++) {
    // (not inside a tf.tidy of our own: the layer's new decoding state must outlive the call)
    const x = oneHot([prev]);
    const logits = model(x) as trax.tf.Tensor;
    const next = tf.tidy(() => tf.argMax(logits.reshape([VOCAB])).dataSync()[0]);
    tf.dispose([x, logits]);
    out.push(next);
    prev = next;
  }
  return out;
}

/**
 * CPU time of the main thread in ms, where both paths run (wasm runs on one
 * thread): robust to other load on the machine, and without V8's background
 * compiling, which follows the process's age rather than the path measured.
 */
const cpuMs = mainThreadCpuMs;

/** Greedy decoding in eval mode: re-runs the whole prefix; returns per-step CPU times (ms). */
function generateEval(model: Layer, n: number): [number[], number[]] {
  const out: number[] = [];
  const times: number[] = [];
  for (let t = 0; t < n; t++) {
    const t0 = cpuMs();
    const next = tf.tidy(() => {
      // positions 0..t: the model shifts right itself, so position t sees tokens 0..t-1
      const logits = model(oneHot([...out, 0])) as trax.tf.Tensor;
      return tf.argMax(logits.slice([0, t, 0], [1, 1, VOCAB]).reshape([VOCAB])).dataSync()[0];
    });
    times.push(cpuMs() - t0);
    out.push(next);
  }
  return [out, times];
}

/** Least squares fit of a + b t + c t^2 to per-step times; returns the sum predicted for steps 0..n-1. */
function extrapolate(times: number[], n: number): number {
  const rows = times.map((_, t) => [1, t, t * t]);
  const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const atb = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i] * times[k], 0));
  const [a, b, c] = solve3(ata, atb);
  let total = 0;
  for (let t = 0; t < n; t++) total += a + b * t + c * t * t;
  return total;
}

function solve3(m: number[][], v: number[]): number[] {
  const a = m.map((r, i) => [...r, v[i]]);
  for (let i = 0; i < 3; i++) {
    const p = a.slice(i).reduce((best, r, k) => (Math.abs(r[i]) > Math.abs(a[best][i]) ? i + k : best), i);
    [a[i], a[p]] = [a[p], a[i]];
    for (let k = 0; k < 3; k++) if (k !== i) {
      const f = a[k][i] / a[i][i];
      for (let j = i; j < 4; j++) a[k][j] -= f * a[i][j];
    }
  }
  return a.map((r, i) => r[3] / r[i]);
}

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const rng = trax.fastmath.random.getPrng(0);
  const ev = decoder("eval");
  ev.init(new trax.shapes.ShapeDtype([1, TOKENS, VOCAB]), { rng });
  const mkPredict = () => {
    const pr = decoder("predict");
    pr.init(new trax.shapes.ShapeDtype([1, 1, VOCAB]), { rng });
    pr.weights = ev.weights;
    return pr;
  };
  // Warm up both paths until V8 has compiled them: the timed runs measure
  // steady decoding, not the JIT. (After one warm-up decode, V8 still spent
  // 0.3 s of background-thread CPU optimizing predict's JavaScript during the
  // timed run, half as much again as the run itself; after three, 0.1 s.)
  for (let i = 0; i < WARMUP_DECODES; i++) generatePredict(mkPredict(), TOKENS);
  generateEval(ev, 32);

  if (LOAD !== "memory") measure(info.backend, ev, mkPredict, false);
  if (LOAD !== "none") measure(info.backend, ev, mkPredict, true);
}

/**
 * Rounds alternate the two paths, so that both meet the same spells of load
 * from other jobs on the machine; each round's ratio pairs times taken
 * seconds apart, and the median of those ratios is the result, printed.
 * With `busy`, a memory-streaming job runs beside the rounds.
 */
function measure(backend: string, ev: Layer, mkPredict: () => Layer, busy: boolean): void {
  const rounds: Round[] = [];
  const load = busy ? memoryStreamingJob() : null;
  try {
    for (let r = 0; r < ROUNDS; r++) rounds.push(timeRound(mkPredict(), ev));
  } finally {
    load?.kill();
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[(xs.length - 1) >> 1];
  const m = (f: (r: Round) => number) => median(rounds.map(f));
  const [tPredict, tEval] = [m((r) => r.predict.cpu), m((r) => r.eval.cpu)];
  const ratios = rounds.map((r) => r.eval.cpu / r.predict.cpu);
  const same = rounds.every((r) => r.same);
  const leaked = Math.max(...rounds.map((r) => r.leaked));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const note = EVAL_TOKENS === TOKENS
    ? `eval re-running the prefix ${s(tEval)} (measured; process ${s(m((r) => r.eval.process))}, wall ${s(m((r) => r.eval.wall))})`
    : `eval re-running the prefix ${s(tEval)} (EXTRAPOLATED from ${EVAL_TOKENS} measured steps by a quadratic fit of the per-step time)`;
  console.log(
    `greedy decoding of ${TOKENS} tokens, 2-layer decoder d=${D} ${HEADS} heads vocab ${VOCAB} (${backend}), ` +
      `${MAIN_THREAD_CLOCK ? "main-thread" : "process"} CPU time, ${ROUNDS} alternated rounds${load ? ", beside a job streaming a 64 MB array" : ""}, medians: ` +
      `predict mode ${s(tPredict)} (${(tPredict / TOKENS).toFixed(1)} ms/token; process ${s(m((r) => r.predict.process))}, wall ${s(m((r) => r.predict.wall))}); ${note}; ` +
      `ratio ${median(ratios).toFixed(1)}x (median of the rounds' ${ratios.map((x) => `${x.toFixed(1)}x`).join(", ")}; target >= 10x); ` +
      `same tokens: ${same ? "yes" : "NO"}; tensors left by predict decoding: ${leaked}`
  );
}

/** CPU (this thread's, or the process's) and wall time of one path in ms. */
interface Times {
  cpu: number;
  process: number;
  wall: number;
}

/** One round: a whole predict-mode decode, then eval mode's. */
interface Round {
  predict: Times;
  eval: Times;
  same: boolean;
  leaked: number;
}

/** Times `f`: main-thread CPU, process CPU and wall clock. */
function timed<T>(f: () => T): [T, Times] {
  const [w0, c0, p0] = [performance.now(), cpuMs(), processCpuMs()];
  const result = f();
  return [result, { cpu: cpuMs() - c0, process: processCpuMs() - p0, wall: performance.now() - w0 }];
}

function timeRound(pr: Layer, ev: Layer): Round {
  const before = tf.memory().numTensors;
  const [tokensPredict, predict] = timed(() => generatePredict(pr, TOKENS));
  const leaked = tf.memory().numTensors - before;
  const [[tokensEval, times], evalTimes] = timed(() => generateEval(ev, EVAL_TOKENS));
  const measured = times.reduce((sum, x) => sum + x, 0);
  const cpu = EVAL_TOKENS === TOKENS ? measured : extrapolate(times, TOKENS);
  return { predict, eval: { ...evalTimes, cpu }, same: tokensEval.every((tok, i) => tok === tokensPredict[i]), leaked };
}

main();
