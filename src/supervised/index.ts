/**
 * `trax.supervised`: learning-rate schedules (`lrSchedules`) and the
 * training loop (`training`: `TrainTask`, `EvalTask`, `Loop`; also
 * re-exported here), with its `History`.
 *
 * @example
 * ```ts
 * const { TrainTask, Loop, lrSchedules } = trax.supervised;
 * ```
 * @module
 */
import * as lrSchedules from "./lr-schedules";

export { lrSchedules };
export type { Schedule } from "./lr-schedules";
