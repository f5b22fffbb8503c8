/**
 * What to train on and what to measure: `TrainTask` and `EvalTask`
 * (Trax's `trax.supervised.training.TrainTask` / `EvalTask`).
 * @module
 */
import { Layer } from "../layers/base";
import { callable } from "../layers/callable";
import { Optimizer } from "../optimizers/base";
import type { LabeledData } from "./batches";
import type { Schedule } from "./lr-schedules";

/** Options of {@link TrainTask}. */
export interface TrainTaskOptions {
  /** Learning rate by step (1-based); default: the optimizer's `learningRate` at every step. */
  lrSchedule?: Schedule | null;
  /** Name of the loss in the history and progress (default: the loss layer's name). */
  lossName?: string;
  /** Name of the task in messages (default `train`, or `train_<i>` for the i-th of several). */
  name?: string;
  /** The loop disposes each batch's tensors after its step. Default true (yield new tensors for every batch). */
  disposeBatches?: boolean;
}

class TrainTaskImpl {
  /** Where the batches come from. */
  readonly labeledData: LabeledData;
  /** Layer from `[modelOutput, targets(, weights)]` to a scalar loss. */
  readonly lossLayer: Layer;
  /** Updates the weights from their gradients; holds the slots. */
  readonly optimizer: Optimizer;
  readonly lrSchedule: Schedule | null;
  readonly lossName: string;
  name: string | null;
  readonly disposeBatches: boolean;

  constructor(labeledData: LabeledData, lossLayer: Layer, optimizer: Optimizer, options: TrainTaskOptions = {}) {
    if (labeledData === null || labeledData === undefined) throw new TypeError("TrainTask: labeledData is missing");
    if (!(lossLayer instanceof Layer)) throw new TypeError(`TrainTask: lossLayer must be a layer (e.g. tl.CrossEntropyLoss()); got ${typeof lossLayer}`);
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`TrainTask: optimizer must be a trax.optimizers optimizer (e.g. trax.optimizers.Adam()); got ${typeof optimizer}`);
    if (options.lrSchedule != null && typeof options.lrSchedule !== "function") throw new TypeError("TrainTask: lrSchedule must be a function from step to learning rate");
    this.labeledData = labeledData;
    this.lossLayer = lossLayer;
    this.optimizer = optimizer;
    this.lrSchedule = options.lrSchedule ?? null;
    this.lossName = options.lossName ?? lossLayer.name;
    this.name = options.name ?? null;
    this.disposeBatches = options.disposeBatches ?? true;
  }

  /** The learning rate at `step` (1-based). */
  learningRate(step: number): number {
    if (this.lrSchedule === null) return this.optimizer.optParams.learningRate;
    const lr = this.lrSchedule(step);
    if (typeof lr !== "number" || !Number.isFinite(lr)) throw new Error(`${this.name ?? "train"}: the learning-rate schedule gave ${String(lr)} at step ${step}`);
    return lr;
  }
}

/**
 * A training task: labeled data, a loss layer, an optimizer and an
 * optional learning-rate schedule. Each batch is `[x, y]` or `[x, y,
 * weights]` (a weighted loss given `[x, y]` gets weights of ones); the loop
 * runs `Serial(model, lossLayer)` on it.
 *
 * @example
 * ```ts
 * const task = trax.supervised.TrainTask(
 *   () => trax.data.batches(trainExamples, 32, { seed: 0 }), // a fresh, identical stream per call
 *   tl.CrossEntropyLoss(),
 *   trax.optimizers.Adam({ learningRate: 1e-3 }),
 *   { lrSchedule: trax.supervised.lrSchedules.warmup(100, 1e-3) }
 * );
 * ```
 */
export const TrainTask = callable(TrainTaskImpl, "TrainTask");
export type TrainTask = TrainTaskImpl;

/** Options of {@link EvalTask}. */
export interface EvalTaskOptions {
  /** Names of the metrics in the history (default: the metric layers' names). */
  metricNames?: string[];
  /** Batches per evaluation; the values are their mean. Default 1. */
  nEvalBatches?: number;
  /** Name of the task in messages (default `eval`). */
  name?: string;
  /** The loop disposes each batch's tensors after use. Default true. */
  disposeBatches?: boolean;
}

class EvalTaskImpl {
  readonly labeledData: LabeledData;
  /** Layers from `[modelOutput, targets(, weights)]` to a scalar each. */
  readonly metrics: Layer[];
  readonly metricNames: string[];
  readonly nEvalBatches: number;
  name: string | null;
  readonly disposeBatches: boolean;

  constructor(labeledData: LabeledData, metrics: Layer[], options: EvalTaskOptions = {}) {
    if (labeledData === null || labeledData === undefined) throw new TypeError("EvalTask: labeledData is missing");
    if (!Array.isArray(metrics) || metrics.length === 0 || !metrics.every((m) => m instanceof Layer)) {
      throw new TypeError("EvalTask: metrics must be a non-empty array of layers (e.g. [tl.CrossEntropyLoss(), tl.Accuracy()])");
    }
    const names = options.metricNames ?? metrics.map((m) => m.name);
    if (names.length !== metrics.length) throw new Error(`EvalTask: ${names.length} metric names for ${metrics.length} metrics`);
    const n = options.nEvalBatches ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new Error(`EvalTask: nEvalBatches must be a positive integer; got ${String(n)}`);
    this.labeledData = labeledData;
    this.metrics = metrics;
    this.metricNames = names;
    this.nEvalBatches = n;
    this.name = options.name ?? null;
    this.disposeBatches = options.disposeBatches ?? true;
  }
}

/**
 * An evaluation task: labeled data, metric layers (each from `[output,
 * y(, weights)]` to a scalar), their names and how many batches to average.
 *
 * @example
 * ```ts
 * const evalTask = trax.supervised.EvalTask(() => trax.data.batches(evalExamples, 64, { seed: 1 }), [tl.CrossEntropyLoss(), tl.Accuracy()], {
 *   metricNames: ["loss", "accuracy"],
 *   nEvalBatches: 4,
 * });
 * ```
 */
export const EvalTask = callable(EvalTaskImpl, "EvalTask");
export type EvalTask = EvalTaskImpl;
