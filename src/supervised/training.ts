/**
 * The supervised training loop (Trax's `trax.supervised.training`):
 * `Loop` runs training steps of its `TrainTask`s, evaluates its `EvalTask`s,
 * keeps a `History` and writes checkpoints to its output folder.
 *
 * @example
 * ```ts
 * const { TrainTask, EvalTask, Loop, lrSchedules } = trax.supervised;
 * const [train, evalSet] = trax.data.digits({ shape: [64] }).split({ evalFraction: 0.2, seed: 0 });
 * const model = tl.Serial(tl.Dense(32), tl.Relu(), tl.Dense(10), tl.LogSoftmax());
 * const trainTask = TrainTask(() => trax.data.batches(train, 32, { seed: 0 }), tl.CrossEntropyLoss(),
 *   trax.optimizers.Adam({ learningRate: 0.01 }), { lrSchedule: lrSchedules.warmup(50, 0.01) });
 * const evalTask = EvalTask(() => trax.data.batches(evalSet, 64, { seed: 1 }), [tl.CrossEntropyLoss(), tl.Accuracy()]);
 * const loop = Loop(model, trainTask, { evalTasks: [evalTask], outputDir: "/tmp/run1", stepsPerEval: 50 });
 * loop.onStep(({ step, loss }) => { if (loss < 0.01) loop.stop(); });
 * const history = await loop.run(500);
 * history.get("eval", "metrics/Accuracy"); // [[1, 0.1], [50, 0.8], ...]
 * ```
 * @module
 */
import * as path from "path";
import { performance } from "perf_hooks";
import { tf } from "../backend/tf";
import { ready as backendReady } from "../backend";
import { Layer } from "../layers/base";
import { disposeUnheld } from "../layers/weight-ownership";
import type { State, Weights } from "../layers/base";
import { callable } from "../layers/callable";
import { Branch, Serial } from "../layers/combinators";
import { valueAndGrad } from "../fastmath/grad";
import { disposeReplaced, tensorsIn } from "../fastmath/tree";
import * as random from "../fastmath/random";
import type { PRNGKey } from "../fastmath/random";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { BatchStream, disposeBatch, prepareBatch } from "./batches";
import { History } from "./history";
import { SummaryAverages } from "./summary-history";
import type { Slots } from "../optimizers/base";
import type { HistoryRecord } from "./history";
import { TrainTask, EvalTask } from "./tasks";
import { loadLoopCheckpoint, saveLoopCheckpoint, CHECKPOINT_FILE } from "./loop-checkpoint";
import type { LoopCheckpointState } from "./loop-checkpoint";
import { makeProgress } from "./progress";
import { DirLock } from "../io/dir-lock";
import { removeStaleTempFiles } from "../io/atomic-file";
import type { ProgressMode, ProgressReporter } from "./progress";
import { KeyboardInterrupt, whileRunning } from "./interrupt";
import { describeRun } from "./run-display";

/** What `onStep` callbacks get after every training step. */
export interface StepInfo {
  /** The step just finished (1-based; also `loop.step`). */
  step: number;
  /** Its loss. */
  loss: number;
  /** The learning rate it used. */
  learningRate: number;
  /** Name of the task that ran. */
  task: string;
  loop: Loop;
}

/** What `onEval` callbacks get at every evaluation point (every `stepsPerEval` steps, and step 1). */
export interface EvalInfo {
  step: number;
  /** The records added at this point (train averages and eval metrics). */
  records: HistoryRecord[];
  history: History;
  loop: Loop;
}

/** Callbacks a loop calls; see {@link Loop.onStep}, {@link Loop.onEval}, {@link Loop.onCheckpoint}. */
export interface LoopCallbacks {
  onStep?: (info: StepInfo) => void;
  onEval?: (info: EvalInfo) => void;
  onCheckpoint?: (info: { step: number; file: string; loop: Loop }) => void;
}

/** Options of {@link Loop}. */
export interface LoopOptions {
  /**
   * Evaluates the metrics (default: the training model itself; Trax builds it
   * with `mode: "eval"`). It shares the model's weight and state tensors, set
   * before each evaluation and at the end of each `run` (between those points,
   * during a run, its tensors may be stale).
   */
  evalModel?: Layer | null;
  /** What to evaluate at the evaluation points. */
  evalTasks?: EvalTask[] | EvalTask;
  /** Folder for checkpoints (`model.ckpt.gz`); if it holds one, the loop continues from it. Default: no checkpoints. */
  outputDir?: string | null;
  /** Save a checkpoint every this many steps (and at the end of each `run`). Default 100. */
  stepsPerCheckpoint?: number;
  /** Evaluate (and record the train averages) at step 1 and every this many steps. Default 100. */
  stepsPerEval?: number;
  /** Seed of the weights' initialization and of the per-step random keys (dropout). Default 0. */
  randomSeed?: number;
  /** `"bar"` (cli-progress, terminal), `"lines"` (a line per evaluation point, as Trax prints), `"none"`, or `"auto"` (bar in a TTY, lines otherwise). Default `"auto"`. */
  progress?: ProgressMode;
  /** Where `"lines"` progress goes. Default `console.log`. */
  log?: (line: string) => void;
  /** Callbacks (more can be added with `onStep` / `onEval` / `onCheckpoint`). */
  callbacks?: LoopCallbacks | LoopCallbacks[];
  /**
   * What to do when a step's loss is NaN or infinite (checked where the
   * loss is read anyway, no extra sync): `"stop"` (default) rejects `run`
   * with an error naming the step, before that step's update is applied;
   * `"warn"` logs a warning (once per run) and goes on. Either way a
   * checkpoint is never written with non-finite weights, so the last
   * finite one stays.
   */
  onNonFiniteLoss?: "stop" | "warn";
}

/** Per-task bookkeeping. */
interface TrainSlot {
  task: TrainTask;
  name: string;
  stream: BatchStream;
  /** `Serial(model, lossLayer)`. */
  modelWithLoss: Layer;
  lossSum: number;
  lossCount: number;
}

interface EvalSlot {
  task: EvalTask;
  name: string;
  stream: BatchStream;
  /** `Serial(evalModel, Branch(...metrics))`. */
  modelWithMetrics: Layer;
}

const DEFAULT_EVERY = 100;

function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`Loop: ${name} must be a positive integer; got ${String(v)}`);
  return v as number;
}

function batchSignature(batch: readonly tf.Tensor[]): Signature {
  return batch.map((t) => new ShapeDtype(t.shape, t.dtype));
}

/** Set on a loop by `trax.display.attachLiveView`: its live chart is the loop's one notebook display. */
const LIVE_VIEW = Symbol.for("trax.display.liveView");

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The loop that holds each output folder's lock (a lock of a loop that is not running may be taken over). */
const lockOwners = new WeakMap<DirLock, LoopImpl>();

/** True when every float tensor of `trees` is finite (one sync for all of them). */
function allFinite(...trees: unknown[]): boolean {
  const floats = trees.flatMap((t) => tensorsIn(t)).filter((t) => t.dtype === "float32" && !t.isDisposed);
  if (floats.length === 0) return true;
  const ok = tf.tidy(() => tf.stack(floats.map((t) => tf.all(tf.isFinite(t)).toInt())).min());
  const v = ok.dataSync()[0];
  ok.dispose();
  return v === 1;
}

class LoopImpl {
  /** The model being trained (without loss). */
  readonly model: Layer;
  /** The model that evaluates (the same as `model` unless given). */
  readonly evalModel: Layer;
  readonly tasks: TrainTask[];
  readonly evalTasks: EvalTask[];
  readonly outputDir: string | null;
  readonly stepsPerCheckpoint: number;
  readonly stepsPerEval: number;
  readonly randomSeed: number;
  /** Recorded metrics: train averages and eval metrics at the evaluation points (the same object for the loop's life: a live chart can hold it). */
  readonly history: History = new History();
  private _step = 0;
  private readonly rng: PRNGKey;
  private readonly train: TrainSlot[];
  private readonly evals: EvalSlot[];
  private readonly callbacks: LoopCallbacks[] = [];
  private readonly progressMode: ProgressMode;
  private readonly log: (line: string) => void;
  private running = false;
  private stopRequested = false;
  private interruptRequested = false;
  private lastSavedStep = -1;
  private lastReportTime = 0;
  private lastReportStep = 0;
  private readonly onNonFiniteLoss: "stop" | "warn";
  private warnedNonFinite = false;
  /** The lock of `outputDir` (null without one). */
  private lock: DirLock | null = null;
  /** The model's input signature, for Trax checkpoints (found on the first one). */
  private traxInputSignature: Signature | null = null;
  /** The model's SummaryScalar values, averaged between reports into the history. */
  private readonly summaryAverages: SummaryAverages;

  constructor(model: Layer, tasks: TrainTask | TrainTask[], options: LoopOptions = {}) {
    if (!(model instanceof Layer)) throw new TypeError(`Loop: model must be a layer; got ${typeof model}`);
    const taskList = Array.isArray(tasks) ? tasks : [tasks];
    if (taskList.length === 0 || !taskList.every((t) => t instanceof TrainTask)) {
      throw new TypeError("Loop: tasks must be a TrainTask or a non-empty array of TrainTasks");
    }
    const evalList = options.evalTasks === undefined ? [] : Array.isArray(options.evalTasks) ? options.evalTasks : [options.evalTasks];
    if (!evalList.every((t) => t instanceof EvalTask)) throw new TypeError("Loop: evalTasks must be EvalTasks");
    this.model = model;
    this.summaryAverages = new SummaryAverages(model);
    this.evalModel = options.evalModel ?? model;
    this.tasks = taskList;
    this.evalTasks = evalList;
    this.outputDir = options.outputDir ?? null;
    this.stepsPerCheckpoint = positiveInt("stepsPerCheckpoint", options.stepsPerCheckpoint ?? DEFAULT_EVERY);
    this.stepsPerEval = positiveInt("stepsPerEval", options.stepsPerEval ?? DEFAULT_EVERY);
    this.randomSeed = options.randomSeed ?? 0;
    if (!Number.isInteger(this.randomSeed)) throw new Error(`Loop: randomSeed must be an integer; got ${String(options.randomSeed)}`);
    this.rng = random.getPrng(this.randomSeed);
    this.progressMode = options.progress ?? "auto";
    if (!["auto", "bar", "lines", "none"].includes(this.progressMode)) {
      throw new Error(`Loop: progress must be "auto", "bar", "lines" or "none"; got ${String(options.progress)}`);
    }
    this.log = options.log ?? ((line: string) => console.log(line));
    this.onNonFiniteLoss = options.onNonFiniteLoss ?? "stop";
    if (this.onNonFiniteLoss !== "stop" && this.onNonFiniteLoss !== "warn") {
      throw new Error(`Loop: onNonFiniteLoss must be "stop" or "warn"; got ${String(options.onNonFiniteLoss)}`);
    }
    const cbs = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
    this.callbacks.push(...cbs);

    const nTasks = taskList.length;
    this.train = taskList.map((task, i) => {
      const name = task.name ?? (nTasks === 1 ? "train" : `train_${i}`);
      return {
        task, name,
        stream: new BatchStream(task.labeledData, `TrainTask '${name}'`, task.disposeBatches),
        modelWithLoss: Serial(model, task.lossLayer),
        lossSum: 0, lossCount: 0,
      };
    });
    this.evals = evalList.map((task, i) => {
      const name = task.name ?? (evalList.length === 1 ? "eval" : `eval_${i}`);
      return {
        task, name,
        stream: new BatchStream(task.labeledData, `EvalTask '${name}'`, task.disposeBatches),
        modelWithMetrics: Serial(this.evalModel, Branch(...task.metrics)),
      };
    });
    this.initialize();
    if (this.outputDir !== null) this.openOutputDir(this.outputDir);
  }

  /**
   * Takes `dir` for this loop: its lock (refused while another running
   * process or running loop of this process writes there), removes
   * temporary files of interrupted saves, and continues from its checkpoint.
   */
  private openOutputDir(dir: string): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const fs = require("fs") as typeof import("fs");
    fs.mkdirSync(dir, { recursive: true });
    const lock = DirLock.acquire(dir, "Loop", (owner) => !(lockOwners.get(owner)?.isRunning ?? false));
    lockOwners.set(lock, this);
    this.lock = lock;
    try {
      removeStaleTempFiles(dir);
      const file = this.checkpointFile;
      if (fs.existsSync(file)) this.loadCheckpoint(file);
    } catch (e) {
      lock.release();
      this.lock = null;
      throw e;
    }
  }

  /** Throws when another loop took this loop's output folder over. */
  private checkLock(): void {
    if (this.lock !== null && !this.lock.isHeld) {
      throw new Error(
        `Loop: another Loop took over outputDir '${this.outputDir}' (or this loop was disposed); this loop no longer writes checkpoints there`
      );
    }
  }

  /** Steps run so far (the number of the last step; 0 before training). */
  get step(): number {
    return this._step;
  }

  /** Path of the loop checkpoint in `outputDir` (null without one). */
  get checkpointFile(): string {
    if (this.outputDir === null) throw new Error("Loop: no outputDir, so no checkpoint file");
    return path.join(this.outputDir, CHECKPOINT_FILE);
  }

  /** True while `run` is running. */
  get isRunning(): boolean {
    return this.running;
  }

  // ------------------------------------------------------------ callbacks

  /**
   * Calls `cb` after every training step with `{ step, loss, learningRate, task, loop }`;
   * returns a function that removes it. A callback may call `loop.stop()`.
   *
   * @example
   * ```ts
   * const off = loop.onStep(({ step, loss }) => console.log(step, loss));
   * off();
   * ```
   */
  onStep(cb: (info: StepInfo) => void): () => void {
    return this.addCallback({ onStep: cb });
  }

  /**
   * Calls `cb` at every evaluation point (step 1, then every `stepsPerEval`
   * steps) with the new history records; a live chart redraws here.
   *
   * @example
   * ```ts
   * loop.onEval(({ step, history }) => chart.update(history));
   * ```
   */
  onEval(cb: (info: EvalInfo) => void): () => void {
    return this.addCallback({ onEval: cb });
  }

  /** Calls `cb` after every checkpoint written, with `{ step, file, loop }`. */
  onCheckpoint(cb: (info: { step: number; file: string; loop: Loop }) => void): () => void {
    return this.addCallback({ onCheckpoint: cb });
  }

  private addCallback(c: LoopCallbacks): () => void {
    this.callbacks.push(c);
    return () => {
      const i = this.callbacks.indexOf(c);
      if (i >= 0) this.callbacks.splice(i, 1);
    };
  }

  // ------------------------------------------------------------ running

  /**
   * Runs `nSteps` training steps (evaluating and saving on the way); returns
   * the history. After `stop()`, or after it returns, `run` again continues
   * from the current step. Steps run back to back; every ~25 ms the loop
   * yields to the event loop (timers, display updates, a `stop()` from
   * elsewhere). A second `run` while one is running is refused. An interrupt
   * (the notebook's Interrupt button, Ctrl-C in the REPL) stops the run after
   * its current step and rejects it with `KeyboardInterrupt`; the loop stays
   * usable. The returned promise shows itself in a notebook (a forgotten
   * `await` shows that the run goes on in the background, then its outcome).
   *
   * @example
   * ```ts
   * await loop.run(100);
   * loop.step; // 100
   * ```
   */
  run(nSteps = 1): Promise<History> {
    return describeRun(this.runSteps(nSteps), nSteps, this as unknown as { step: number });
  }

  private async runSteps(nSteps: number): Promise<History> {
    if (!Number.isInteger(nSteps) || nSteps < 0) throw new Error(`Loop.run: nSteps must be a non-negative integer; got ${String(nSteps)}`);
    if (this.running) throw new Error("Loop.run: this loop is already running (await the first run, or call stop())");
    this.checkLock();
    this.running = true;
    this.warnedNonFinite = false;
    this.stopRequested = false;
    this.interruptRequested = false;
    const endStep = this._step + nSteps;
    const finishedRunning = whileRunning({ interrupt: () => (this.interruptRequested = true) });
    const progress: ProgressReporter = makeProgress(this.progressMode, this.log, this._step, endStep, { liveView: LIVE_VIEW in this });
    this.lastReportTime = performance.now();
    this.lastReportStep = this._step;
    let lastYield = performance.now();
    try {
      // The caller's synchronous code (a notebook cell) ends before the first step: an interrupt then reaches the loop.
      await yieldToEventLoop();
      // On wasm, train on every thread: the first run switches to the threaded build (weights move over intact).
      await backendReady().catch(() => undefined);
      while (this._step < endStep && !this.stopRequested && !this.interruptRequested) {
        const slot = this.train[this._step % this.train.length];
        const step = this._step + 1;
        const wantMetrics = this.isEvalStep(step);
        const [loss, lr] = this.trainStep(slot, step, wantMetrics);
        this.summaryAverages.add();
        progress.update(step, loss);
        for (const c of [...this.callbacks]) c.onStep?.({ step, loss, learningRate: lr, task: slot.name, loop: this as unknown as Loop });
        if (wantMetrics) {
          const records = this.report(step, lr, wantMetrics);
          progress.report(step, records);
          for (const c of [...this.callbacks]) c.onEval?.({ step, records, history: this.history, loop: this as unknown as Loop });
        }
        if (this.outputDir !== null && step % this.stepsPerCheckpoint === 0) this.autoSave();
        if (performance.now() - lastYield > 25) {
          // Let timers, I/O and interrupts (loop.stop() from elsewhere) run.
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      if (this.outputDir !== null && this.lastSavedStep !== this._step) this.autoSave();
      this.syncEvalModel();
    } finally {
      finishedRunning();
      progress.stop(this.interruptRequested ? `interrupted after step ${this._step}` : undefined);
      this.running = false;
    }
    if (this.interruptRequested && this._step < endStep) throw new KeyboardInterrupt(this._step, endStep);
    return this.history;
  }

  /** Asks a running `run` to stop after the current step (it resolves then). */
  stop(): void {
    this.stopRequested = true;
  }

  private isEvalStep(step: number): boolean {
    return step === 1 || step % this.stepsPerEval === 0;
  }

  /** Gradient norms computed at the last evaluation step (for the history). */
  private lastNorms: [number, number] | null = null;

  /** One step of one task: forward, gradients, optimizer update. Returns [loss, learning rate]. */
  private trainStep(slot: TrainSlot, step: number, wantMetrics: boolean): [number, number] {
    const { task, modelWithLoss } = slot;
    const optimizer = task.optimizer;
    const raw = slot.stream.next();
    let batch: tf.Tensor[] = [];
    let made: tf.Tensor[] = [];
    const kept: tf.Tensor[] = [];
    try {
      [batch, made] = prepareBatch(raw, modelWithLoss.nIn, `TrainTask '${slot.name}'`, slot.stream.position - 1);
      const lr = task.learningRate(step);
      const optParams = { ...optimizer.optParams, learningRate: lr };
      const weights = modelWithLoss.weights;
      const state = modelWithLoss.state;
      const stateTensors = new Set(tensorsIn(state));
      const rng = random.foldIn(this.rng, step);
      let newState: State = state;
      const lossFn = (w: Weights) => {
        const [out, s] = modelWithLoss.pureFn(batch, w, state, rng);
        newState = s;
        for (const t of tensorsIn(s)) {
          if (!stateTensors.has(t)) {
            tf.keep(t);
            kept.push(t);
          }
        }
        return out as unknown as tf.Tensor;
      };
      const [lossT, newWeights, newSlots, norms] = tf.tidy(() => {
        const [l, grads] = valueAndGrad(lossFn)(weights as never);
        const [nw, ns, m] = optimizer.treeUpdate(step, grads, weights, optimizer.slots!, optParams, { storeSlots: false, metrics: wantMetrics });
        return [l, nw, ns, wantMetrics ? [m.gradientsL2!, m.weightsL2!] : []] as unknown as tf.TensorContainer;
      }) as unknown as [tf.Scalar, Weights, tf.Tensor[][], tf.Scalar[]];
      const loss = lossT.dataSync()[0];
      lossT.dispose();
      if (!Number.isFinite(loss)) this.nonFiniteLoss(loss, step, slot.name, () => {
        // Stopping: this step's update is not applied.
        disposeReplaced(newWeights, weights);
        disposeReplaced(newSlots, optimizer.slots);
        if (newState !== state) disposeReplaced(newState, state);
        tf.dispose(norms);
      });
      if (norms.length) {
        this.lastNorms = [norms[0].dataSync()[0], norms[1].dataSync()[0]];
        tf.dispose(norms);
      }
      // Commit: new weights, slots and state; free the old ones.
      modelWithLoss.weights = newWeights;
      // Old weights another layer adopted (an eval model, `b.weights = model.weights`) stay alive.
      disposeUnheld(weights, newWeights);
      optimizer.slots = newSlots;
      if (newState !== state) {
        modelWithLoss.state = newState;
        disposeReplaced(state, newState);
      }
      kept.length = 0;
      slot.lossSum += loss;
      slot.lossCount += 1;
      this._step = step;
      return [loss, lr];
    } catch (e) {
      tf.dispose(kept);
      throw e;
    } finally {
      tf.dispose(made);
      if (slot.task.disposeBatches) disposeBatch(raw);
    }
  }

  /** A non-finite loss at `step`: stop (after `discard`) with an error, or warn once per run. */
  private nonFiniteLoss(loss: number, step: number, task: string, discard: () => void): void {
    const what = `Loop: the loss of step ${step} (task '${task}') is ${loss}`;
    if (this.onNonFiniteLoss === "stop") {
      discard();
      throw new Error(
        `${what}; training stopped before applying that step, so the model keeps the weights of step ${step - 1}. ` +
          `Lower the learning rate (or clip gradients), or pass { onNonFiniteLoss: "warn" } to go on.`
      );
    }
    if (!this.warnedNonFinite) {
      this.warnedNonFinite = true;
      this.log(`${what}; going on (onNonFiniteLoss: "warn"); checkpoints with non-finite weights are not written.`);
    }
  }

  /** Saves a checkpoint during `run`, unless the weights are not finite (then the last finite checkpoint stays). */
  private autoSave(): void {
    if (!allFinite(this.model.weights, this.model.state, this.train.map((s) => s.task.optimizer.slots ?? []))) {
      this.log(`Loop: step ${this._step}: the weights are not finite; checkpoint not written ('${this.checkpointFile}' keeps step ${this.lastSavedStep}).`);
      this.lastSavedStep = this._step;
      return;
    }
    this.saveCheckpoint();
  }

  /** Records the train averages and runs the evaluations at `step`. */
  private report(step: number, lr: number, withNorms: boolean): HistoryRecord[] {
    const start = this.history.length;
    const now = performance.now();
    const secs = (now - this.lastReportTime) / 1000;
    const ran = step - this.lastReportStep;
    for (const slot of this.train) {
      if (slot.lossCount === 0) continue;
      this.history.append("train", `metrics/${slot.task.lossName}`, step, slot.lossSum / slot.lossCount);
      slot.lossSum = 0;
      slot.lossCount = 0;
    }
    this.summaryAverages.flush(this.history, step);
    this.history.append("train", "training/learning_rate", step, lr);
    if (withNorms && this.lastNorms) {
      this.history.append("train", "training/gradients_l2", step, this.lastNorms[0]);
      this.history.append("train", "training/weights_l2", step, this.lastNorms[1]);
    }
    if (secs > 0 && ran > 0) this.history.append("train", "training/steps per second", step, ran / secs);
    this.runEvals(step);
    this.lastReportTime = performance.now();
    this.lastReportStep = step;
    return this.history.records.slice(start);
  }

  /** Points the eval model at the training model's weights and state. */
  /**
   * Swaps in validated weights, state and optimizer slots (the optimizers
   * free their replaced slots), freeing the old weights and state no layer
   * still holds; `lossSum(i)` gives train task i's running loss sum and count.
   */
  private commitRestored(
    weights: Weights,
    state: State,
    slots: (Slots | null)[],
    lossSum: (i: number) => [number, number]
  ): void {
    const oldW = this.model.weights;
    const oldS = this.model.state;
    this.model.weights = weights;
    this.model.state = state;
    disposeUnheld([oldW, oldS], weights, state);
    this.train.forEach((slot, i) => {
      slot.task.optimizer.slots = slots[i];
      [slot.lossSum, slot.lossCount] = lossSum(i);
    });
  }

  private syncEvalModel(): void {
    if (this.evalModel === this.model) return;
    const old = [this.evalModel.weights, this.evalModel.state];
    const w = this.model.weights;
    const s = this.model.state;
    this.evalModel.weights = w;
    this.evalModel.state = s;
    disposeReplaced(old, w, s);
  }

  /**
   * Runs every eval task now (`nEvalBatches` batches each) and records the
   * mean of each metric at the current step; returns the values by name.
   */
  runEvals(step = this._step): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.evals.length === 0) return out;
    this.syncEvalModel();
    for (const ev of this.evals) {
      const sums = new Array(ev.task.metrics.length).fill(0);
      for (let b = 0; b < ev.task.nEvalBatches; b++) {
        const raw = ev.stream.next();
        try {
          const [batch, made] = prepareBatch(raw, ev.modelWithMetrics.nIn, `EvalTask '${ev.name}'`, ev.stream.position - 1);
          try {
            const values = tf.tidy(() => {
              const m = ev.modelWithMetrics;
              const [o] = m.pureFn(batch, m.weights, m.state, random.foldIn(this.rng, step));
              const outs = Array.isArray(o) ? (o as tf.Tensor[]) : [o as tf.Tensor];
              return tf.stack(outs.map((t) => t.reshape([]).toFloat()));
            });
            const v = values.dataSync();
            values.dispose();
            for (let i = 0; i < sums.length; i++) sums[i] += v[i];
          } finally {
            tf.dispose(made);
          }
        } finally {
          if (ev.task.disposeBatches) disposeBatch(raw);
        }
      }
      ev.task.metricNames.forEach((name, i) => {
        const v = sums[i] / ev.task.nEvalBatches;
        this.history.append("eval", `metrics/${name}`, step, v);
        out[this.evals.length === 1 ? name : `${ev.name}/${name}`] = v;
      });
    }
    return out;
  }

  // ------------------------------------------------------------ setup

  /** Initializes the model (if needed), the loss and metric layers, and the optimizer slots. */
  private initialize(): void {
    const first = this.train[0];
    let batchSig: Signature | null = null;
    const sigOfFirst = (): Signature => {
      if (batchSig === null) {
        const raw = first.stream.peek();
        const [b, made] = prepareBatch(raw, first.modelWithLoss.nIn, `TrainTask '${first.name}'`, 0);
        batchSig = batchSignature(b);
        tf.dispose(made);
      }
      return batchSig;
    };
    if (!this.model.initialized) {
      const sig = sigOfFirst() as Signature[];
      const xSig = this.model.nIn === 1 ? sig[0] : sig.slice(0, this.model.nIn);
      this.model.init(xSig, { rng: this.rng });
    }
    for (const slot of this.train) {
      const loss = slot.task.lossLayer;
      if (!loss.initialized) {
        const raw = slot.stream.peek();
        const [b, made] = prepareBatch(raw, slot.modelWithLoss.nIn, `TrainTask '${slot.name}'`, 0);
        try {
          loss.init(this.followingSignature(this.model, batchSignature(b) as Signature[], loss.nIn));
        } finally {
          tf.dispose(made);
        }
      }
      const opt = slot.task.optimizer;
      const leaves = tensorsIn(slot.modelWithLoss.weights);
      // Slots an optimizer already holds are kept (continued training) when they fit these weights.
      const fits = opt.slots !== null && opt.slots.length === leaves.length &&
        opt.slots.every((ws, k) => ws.every((t) => !t.isDisposed) && tf.tidy(() => opt.init(leaves[k]).map((t) => t.shape.join(",")).join(";")) ===
          ws.map((t) => t.shape.join(",")).join(";"));
      if (!fits) opt.treeInit(slot.modelWithLoss.weights);
    }
    if (this.evalModel !== this.model && !this.evalModel.initialized) {
      const sig = sigOfFirst() as Signature[];
      this.evalModel.init(this.evalModel.nIn === 1 ? sig[0] : sig.slice(0, this.evalModel.nIn));
    }
    for (const ev of this.evals) {
      const branch = ev.modelWithMetrics.sublayers[1];
      if (branch.initialized) continue;
      const raw = ev.stream.peek();
      const [b, made] = prepareBatch(raw, ev.modelWithMetrics.nIn, `EvalTask '${ev.name}'`, 0);
      try {
        branch.init(this.followingSignature(this.evalModel, batchSignature(b) as Signature[], branch.nIn));
      } finally {
        tf.dispose(made);
      }
    }
  }

  /** The signature of what a layer after `model` gets: model outputs, then the rest of the batch. */
  private followingSignature(model: Layer, batchSig: Signature[], nIn: number): Signature {
    const xSig = model.nIn === 1 ? batchSig[0] : batchSig.slice(0, model.nIn);
    const outSig = model.outputSignature(xSig);
    const outs = model.nOut === 1 ? [outSig] : (outSig as Signature[]);
    const stack = [...outs, ...batchSig.slice(model.nIn)].slice(0, nIn);
    return nIn === 1 ? stack[0] : stack;
  }

  // ------------------------------------------------------------ checkpoints

  /**
   * Writes the loop checkpoint (model weights and state, optimizer slots,
   * step, data positions, history) to `outputDir/model.ckpt.gz`, atomically.
   *
   * @example
   * ```ts
   * loop.saveCheckpoint(); // "/tmp/run1/model.ckpt.gz"
   * ```
   */
  saveCheckpoint(file = this.checkpointFile): string {
    if (this.outputDir !== null && file === this.checkpointFile) this.checkLock();
    saveLoopCheckpoint(file, this.captureState());
    this.lastSavedStep = this._step;
    for (const c of [...this.callbacks]) c.onCheckpoint?.({ step: this._step, file, loop: this as unknown as Loop });
    return file;
  }

  /**
   * Writes a checkpoint in Python Trax's format, as Trax's
   * `Loop.save_checkpoint(basename)` does: `{basename}.pkl.gz`,
   * `{basename}.weights.npy.gz` and `{basename}.opt_slots{i}.npy.gz` in `dir`
   * (default `outputDir`). Python Trax continues the run from it (a `Loop`
   * with `output_dir=dir` and the same model and optimizer), and
   * `model.init_from_file(dir + "/model.pkl.gz")` loads the weights.
   * Returns the path of the `.pkl.gz` file.
   *
   * @example
   * ```ts
   * loop.saveTraxCheckpoint("/tmp/run1-trax"); // "/tmp/run1-trax/model.pkl.gz"
   * ```
   */
  saveTraxCheckpoint(dir: string | null = this.outputDir, basename = "model"): string {
    if (dir === null) throw new Error("Loop.saveTraxCheckpoint: no folder given and the loop has no outputDir");
    if (this.traxInputSignature === null) {
      const first = this.train[0];
      const [b, made] = prepareBatch(first.stream.peek(), first.modelWithLoss.nIn, `TrainTask '${first.name}'`, first.stream.position);
      this.traxInputSignature = (batchSignature(b) as Signature[]).slice(0, this.model.nIn);
      tf.dispose(made);
    }
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { writeTraxCheckpoint } = require("./trax-checkpoint") as typeof import("./trax-checkpoint");
    return writeTraxCheckpoint(dir, basename, {
      step: this._step,
      weights: tensorsIn(this.model.weights),
      state: tensorsIn(this.model.state),
      evalState: tensorsIn(this.evalModel.state),
      slotsPerTask: this.train.map((s) => (s.task.optimizer.slots ?? []).flat()),
      history: this.history,
      inputSignature: this.traxInputSignature,
    });
  }

  /**
   * Continues from a checkpoint Python Trax's Loop wrote (`model.pkl.gz`
   * with `model.weights.npy.gz` and `model.opt_slots{i}.npy.gz`; default
   * in `outputDir`): the model's weights and state, each task's optimizer
   * slots (the same optimizer as in Python: Adam's `m, v` per weight), the
   * step and the train and eval history. Data streams are not moved (Trax
   * keeps its data position elsewhere). Everything is checked first: on a
   * bad or mismatched file it throws, naming the file, and the loop stays
   * as it was.
   *
   * @example
   * ```ts
   * loop.loadTraxCheckpoint("python_run/model.pkl.gz");
   * await loop.run(100); // continues at step + 1
   * ```
   */
  loadTraxCheckpoint(file: string = path.join(this.outputDir ?? ".", "model.pkl.gz")): void {
    if (this.running) throw new Error("Loop.loadTraxCheckpoint: the loop is running");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { readTraxCheckpointFor } = require("./trax-checkpoint") as typeof import("./trax-checkpoint");
    const r = readTraxCheckpointFor(file, {
      weights: this.model.weights,
      state: this.model.state,
      slots: this.train.map((s) => s.task.optimizer.slots ?? []),
    });
    const history = new History();
    try {
      for (const [mode, metric, step, value] of r.history) history.append(mode, metric, step, value);
    } catch (e) {
      disposeReplaced([r.weights, r.state, r.slots]);
      throw new Error(`Trax checkpoint '${file}': its history is not valid (${(e as Error).message})`);
    }
    // Everything fits: commit.
    this.commitRestored(r.weights, r.state, r.slots, () => [0, 0]);
    this._step = r.step;
    this.lastSavedStep = -1;
    this.history.records.splice(0, this.history.records.length, ...history.records);
    this.syncEvalModel();
  }

  /**
   * Restores the loop from a checkpoint: weights, state, optimizer slots,
   * step, data positions and history. Everything is checked first: on a
   * bad file it throws (naming the file) and the loop, model and
   * optimizers stay as they were.
   *
   * @example
   * ```ts
   * loop.loadCheckpoint("/tmp/run1/model.ckpt.gz");
   * ```
   */
  loadCheckpoint(file = this.checkpointFile): void {
    if (this.running) throw new Error("Loop.loadCheckpoint: the loop is running");
    const restored = loadLoopCheckpoint(file, this.captureState(), (s) => {
      if (s.trainPositions.length !== this.train.length || s.evalPositions.length !== this.evals.length) {
        throw new Error(
          `checkpoint '${file}' is of a loop with ${s.trainPositions.length} train and ${s.evalPositions.length} eval tasks; this loop has ${this.train.length} and ${this.evals.length}`
        );
      }
    });
    const streams = [...this.train.map((t, i) => [t.stream, restored.trainPositions[i]] as const), ...this.evals.map((e, i) => [e.stream, restored.evalPositions[i]] as const)];
    const stuck = streams.find(([st, pos]) => !st.canMoveTo(pos));
    let restoredHistory: History;
    try {
      if (stuck) {
        throw new Error(`checkpoint '${file}' is at batch ${stuck[1]} of a data stream that is past it and cannot restart; pass the labeled data as a function returning a fresh stream`);
      }
      restoredHistory = History.fromJSON(restored.history);
    } catch (e) {
      disposeReplaced([restored.weights, restored.state, restored.slots]);
      throw stuck ? e : new Error(`checkpoint '${file}': its history is not valid (${(e as Error).message})`);
    }
    // Everything fits: commit.
    this.commitRestored(restored.weights, restored.state, restored.slots, (i) => restored.lossSums[i]);
    this._step = restored.step;
    this.lastSavedStep = restored.step;
    this.history.records.splice(0, this.history.records.length, ...restoredHistory.records);
    this.train.forEach((slot, i) => slot.stream.skipTo(restored.trainPositions[i]));
    this.evals.forEach((ev, i) => ev.stream.skipTo(restored.evalPositions[i]));
    this.syncEvalModel();
  }

  private captureState(): LoopCheckpointState {
    return {
      step: this._step,
      weights: this.model.weights,
      state: this.model.state,
      slots: this.train.map((s) => s.task.optimizer.slots ?? []),
      optimizers: this.train.map((s) => s.task.optimizer.constructor.name),
      trainPositions: this.train.map((s) => s.stream.position),
      evalPositions: this.evals.map((e) => e.stream.position),
      lossSums: this.train.map((s) => [s.lossSum, s.lossCount] as [number, number]),
      history: this.history.toJSON(),
      randomSeed: this.randomSeed,
    };
  }

  /** Frees the optimizer slots and any peeked batches, and gives up `outputDir`'s lock (the model keeps its weights). */
  dispose(): void {
    this.lock?.release();
    for (const slot of this.train) {
      slot.task.optimizer.slots = null;
      slot.stream.dispose();
    }
    for (const ev of this.evals) ev.stream.dispose();
  }

  /** A short text view. */
  toString(): string {
    return `Loop(step ${this._step}, ${this.train.length} train task(s), ${this.evals.length} eval task(s)${
      this.outputDir ? `, outputDir '${this.outputDir}'` : ""
    })`;
  }
}

/**
 * The training loop: trains `model` on its task(s) with their optimizers,
 * evaluates at step 1 and every `stepsPerEval` steps, keeps a
 * {@link History}, shows progress, and saves a checkpoint every
 * `stepsPerCheckpoint` steps (and at the end of each run) to `outputDir`;
 * a new Loop on the same `outputDir` continues where it stopped.
 *
 * One step takes the next batch, computes the loss of `Serial(model,
 * lossLayer)` and its gradients with respect to all weights (layers with
 * their own `backward` are honoured), and applies the optimizer with the
 * schedule's learning rate; the step number passed to the optimizer is the
 * 1-based step (as in Trax). The per-step random key is
 * `foldIn(getPrng(randomSeed), step)`. Batch tensors are disposed after
 * their step (unless the task says `disposeBatches: false`).
 *
 * Resuming: the checkpoint stores how many batches each task used; a new
 * loop skips that many batches of its streams. So pass labeled data as a
 * function of a fixed seed (or a fresh stream that yields the same batches),
 * and a resumed run gives the same losses as an unbroken one.
 *
 * @example
 * ```ts
 * const loop = trax.supervised.Loop(model, trainTask, { evalTasks: [evalTask], outputDir: "/tmp/run", stepsPerEval: 10 });
 * await loop.run(100);
 * loop.history.get("train", "metrics/CrossEntropyLoss");
 * ```
 */
export const Loop = callable(LoopImpl, "Loop");
export type Loop = LoopImpl;

export { TrainTask, EvalTask };
export type { TrainTaskOptions, EvalTaskOptions } from "./tasks";
export type { LabeledData, BatchLike } from "./batches";
export { History } from "./history";
export type { HistoryRecord, HistoryMode, HistoryJSON } from "./history";
