/**
 * `trax.supervised`: the training loop (`training`: `TrainTask`,
 * `EvalTask`, `Loop`, also re-exported here), its `History`, and
 * learning-rate schedules (`lrSchedules`).
 *
 * @example
 * ```ts
 * const { TrainTask, EvalTask, Loop, lrSchedules } = trax.supervised;
 * const loop = Loop(model, TrainTask(data, tl.CrossEntropyLoss(), trax.optimizers.Adam()), { progress: "none" });
 * await loop.run(10);
 * ```
 * @module
 */
import * as lrSchedules from "./lr-schedules";
import * as training from "./training";

export { lrSchedules, training };
export type { Schedule } from "./lr-schedules";
export { Loop, TrainTask, EvalTask, History } from "./training";
export type {
  LoopOptions, LoopCallbacks, StepInfo, EvalInfo, TrainTaskOptions, EvalTaskOptions, LabeledData, BatchLike,
  HistoryRecord, HistoryMode, HistoryJSON,
} from "./training";
export type { ProgressMode } from "./progress";
export { CHECKPOINT_FILE } from "./loop-checkpoint";
export { KeyboardInterrupt, interruptTraining, runningTrainings } from "./interrupt";
