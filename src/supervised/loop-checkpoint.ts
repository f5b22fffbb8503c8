/**
 * The training loop's checkpoint: one gzip file of `.npy` records (the
 * format of `src/io/checkpoint.ts`, `"trax-ts loop"`) holding the model's
 * weights and state, every task's optimizer slots, and in its JSON header
 * the step, the data positions, the running loss sums and the history.
 * Written to a temporary name and renamed into place, so a crash in the
 * middle of a save leaves the previous checkpoint.
 * @module
 */
import { tf } from "../backend/tf";
import { checkArraysFit, readCheckpoint, tensorsLike, writeCheckpoint } from "../io/checkpoint";
import { isTensor, treeFlatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import type { State, Weights } from "../layers/base";
import type { HistoryJSON } from "./history";

/** File name of the loop checkpoint inside `outputDir`. */
export const CHECKPOINT_FILE = "model.ckpt.gz";

/** What a loop checkpoint holds. @internal */
export interface LoopCheckpointState {
  step: number;
  weights: Weights;
  state: State;
  /** Per train task: slots per weight tensor. */
  slots: tf.Tensor[][][];
  /** Per train task: the optimizer's class name. */
  optimizers: string[];
  trainPositions: number[];
  evalPositions: number[];
  /** Per train task: [sum of losses, count] since the last evaluation point. */
  lossSums: [number, number][];
  history: HistoryJSON;
  randomSeed: number;
}

const FORMAT = "trax-ts loop";

function leaves(tree: unknown): tf.Tensor[] {
  return treeFlatten(tree as Nested<unknown>).filter(isTensor);
}

/** Writes a loop checkpoint atomically. @internal */
export function saveLoopCheckpoint(file: string, s: LoopCheckpointState): void {
  writeCheckpoint(
    file,
    {
      format: FORMAT,
      step: s.step,
      optimizers: s.optimizers,
      slotCounts: s.slots.map((perTask) => perTask.map((ws) => ws.length)),
      trainPositions: s.trainPositions,
      evalPositions: s.evalPositions,
      lossSums: s.lossSums,
      randomSeed: s.randomSeed,
      history: s.history,
    },
    { weights: leaves(s.weights), state: leaves(s.state), slots: s.slots.flat(2) }
  );
}

/** A checkpoint read, checked and turned into tensors shaped like the loop's. @internal */
export interface RestoredLoop {
  step: number;
  weights: Weights;
  state: State;
  slots: tf.Tensor[][][];
  trainPositions: number[];
  evalPositions: number[];
  lossSums: [number, number][];
  history: HistoryJSON;
}

function nonNegInts(x: unknown, n: number): boolean {
  return Array.isArray(x) && x.length === n && x.every((v) => Number.isInteger(v) && v >= 0);
}

/**
 * Reads a loop checkpoint and checks it against `current` (the loop as it
 * is: shapes of weights, state and slots; optimizer classes; task counts,
 * via `checkTasks`). Throws an error naming the file on any mismatch,
 * before any tensor is made. @internal
 */
export function loadLoopCheckpoint(file: string, current: LoopCheckpointState, checkTasks: (s: LoopCheckpointState) => void): RestoredLoop {
  const { header, groups } = readCheckpoint(file, FORMAT);
  const h = header as unknown as LoopCheckpointState & { slotCounts: number[][] };
  const nTasks = current.slots.length;
  if (!Number.isInteger(h.step) || h.step < 0) throw new Error(`checkpoint '${file}': its step is not a non-negative integer (${String(h.step)})`);
  if (!Array.isArray(h.trainPositions) || !Array.isArray(h.evalPositions)) throw new Error(`checkpoint '${file}': its header lacks the data positions`);
  checkTasks(h);
  if (!nonNegInts(h.trainPositions, nTasks) || !nonNegInts(h.evalPositions, current.evalPositions.length)) {
    throw new Error(`checkpoint '${file}': its data positions are not non-negative integers`);
  }
  if (!Array.isArray(h.optimizers) || h.optimizers.length !== nTasks || !Array.isArray(h.slotCounts) || !Array.isArray(h.lossSums)) {
    throw new Error(`checkpoint '${file}' holds optimizers of ${Array.isArray(h.optimizers) ? h.optimizers.length : "no"} tasks; the loop has ${nTasks}`);
  }
  h.optimizers.forEach((name, i) => {
    if (name !== current.optimizers[i]) throw new Error(`checkpoint '${file}': task ${i} was trained with ${name}; this loop's optimizer is ${current.optimizers[i]}`);
  });
  if (!h.history || !Array.isArray(h.history.records)) throw new Error(`checkpoint '${file}': its header lacks the history`);
  checkArraysFit(file, "weight", groups.weights ?? [], current.weights);
  checkArraysFit(file, "state", groups.state ?? [], current.state);
  // Slots: the same count per weight as this loop's optimizers make, and the same shapes.
  const slotTemplate = current.slots.flat(2);
  const counts = current.slots.map((perTask) => perTask.map((ws) => ws.length));
  if (JSON.stringify(counts) !== JSON.stringify(h.slotCounts)) {
    throw new Error(`checkpoint '${file}': its optimizer slots per weight are ${JSON.stringify(h.slotCounts)}; this loop's are ${JSON.stringify(counts)}`);
  }
  checkArraysFit(file, "optimizer slot", groups.slots ?? [], slotTemplate);
  // Everything fits: make the tensors.
  const made: unknown[] = [];
  let weights: Weights;
  let state: State;
  let flatSlots: tf.Tensor[];
  try {
    made.push((weights = tensorsLike(groups.weights ?? [], current.weights) as Weights));
    made.push((state = tensorsLike(groups.state ?? [], current.state) as State));
    flatSlots = tensorsLike(groups.slots ?? [], slotTemplate) as tf.Tensor[];
  } catch (e) {
    tf.dispose(made.flatMap((t) => leaves(t)));
    throw e;
  }
  let k = 0;
  const slots = counts.map((perTask) => perTask.map((n) => flatSlots.slice(k, (k += n))));
  return {
    step: h.step,
    weights,
    state,
    slots,
    trainPositions: h.trainPositions,
    evalPositions: h.evalPositions,
    lossSums: h.lossSums.map((p) => (Array.isArray(p) && p.length === 2 ? [Number(p[0]), Number(p[1])] : [0, 0])) as [number, number][],
    history: h.history,
  };
}
