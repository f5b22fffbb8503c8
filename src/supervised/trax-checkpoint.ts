/**
 * The training loop's checkpoint in Python Trax's format
 * (`trax.supervised.training.Loop.save_checkpoint`), so that a run begun in
 * trax-ts continues in Python Trax (`Loop(..., output_dir=dir)` loads it) or
 * loads with `model.init_from_file(dir + "/model.pkl.gz")`:
 *
 * - `{base}.weights.npy.gz`: the flat weights, `.npy` records in one gzip stream;
 * - `{base}.opt_slots{i}.npy.gz`: task `i`'s optimizer slots, flat (Adam: `m, v` per weight);
 * - `{base}.pkl.gz`: a gzip pickle of `{'step', 'flat_weights': 2, 'flat_state',
 *   'flat_eval_state', 'history', 'slots_per_task': 2, 'input_signature',
 *   'version_timestamp'}` (the ints 2 mean "in the separate files, gzip level 2").
 *
 * The weights and slots files are written first and the pickle last, each
 * atomically, so the pickle never names files that are not there. A Loop
 * reads such a checkpoint back with `loop.loadTraxCheckpoint`.
 * @module
 */
import * as path from "path";
import { tf } from "../backend/tf";
import { PyDefaultDict, PyFloat, pyTuple } from "../io/pickle";
import { checkArraysFit, tensorsLike } from "../io/checkpoint";
import { npToTraxFile, readTraxFile, traxSignature, writeTraxPickle } from "../io/trax-file";
import { disposeReplaced } from "../fastmath/tree";
import type { State, Weights } from "../layers/base";
import type { Signature } from "../shapes";
import type { History, HistoryMode } from "./history";

/** What a Trax loop checkpoint holds. */
export interface TraxCheckpointContents {
  step: number;
  /** Flat weights of the model, in Trax's order. */
  weights: readonly tf.Tensor[];
  /** Flat state of the training model and of the eval model. */
  state: readonly tf.Tensor[];
  evalState: readonly tf.Tensor[];
  /** Per task, the flat optimizer slots (per weight, its slots in order). */
  slotsPerTask: readonly (readonly tf.Tensor[])[];
  history: History;
  /** The model's input signature (a tuple in the file, as Trax's `batch_signature[:n_in]`). */
  inputSignature: Signature;
}

/** Trax's `History.to_dict()`: `{'_values': {mode: defaultdict(list, {metric: [(step, value)]})}}`. */
export function traxHistory(history: History): Map<string, unknown> {
  const modes = new Map<string, unknown>();
  for (const mode of history.modes) {
    const metrics = new Map<string, unknown>();
    for (const metric of history.metricsForMode(mode)) {
      metrics.set(metric, history.get(mode, metric).map(([s, v]) => pyTuple([s, new PyFloat(v)])));
    }
    modes.set(mode, new PyDefaultDict(metrics));
  }
  return new Map([["_values", modes]]);
}

/**
 * Writes a loop checkpoint as Trax's `Loop.save_checkpoint(basename)` does,
 * into `dir`; returns the path of the `.pkl.gz` file.
 *
 * @example
 * ```ts
 * writeTraxCheckpoint("/tmp/run", "model", contents); // "/tmp/run/model.pkl.gz"
 * ```
 */
export function writeTraxCheckpoint(dir: string, basename: string, c: TraxCheckpointContents): string {
  const base = path.join(dir, basename);
  c.slotsPerTask.forEach((slots, i) => npToTraxFile(slots, `${base}.opt_slots${i}.npy.gz`, 2));
  npToTraxFile(c.weights, `${base}.weights.npy.gz`, 2);
  const sig = Array.isArray(c.inputSignature) ? c.inputSignature : [c.inputSignature];
  const d = new Map<string, unknown>([
    ["step", c.step],
    ["flat_weights", 2],
    ["flat_state", [...c.state]],
    ["flat_eval_state", [...c.evalState]],
    ["history", traxHistory(c.history)],
    ["slots_per_task", 2],
    ["input_signature", traxSignature(sig as Signature)],
    ["version_timestamp", "Mar-10-2021"],
  ]);
  const file = `${base}.pkl.gz`;
  writeTraxPickle(file, d);
  return file;
}

/** A Trax loop checkpoint read, checked against a loop and turned into tensors shaped like its own. */
export interface RestoredTraxCheckpoint {
  step: number;
  weights: Weights;
  state: State;
  /** Per task, slots per weight tensor (as `optimizer.slots`). */
  slots: tf.Tensor[][][];
  /** `[mode, metric, step, value]` for the train and eval records, in file order. */
  history: [HistoryMode, string, number, number][];
}

/**
 * Reads a checkpoint Python Trax's Loop wrote (`model.pkl.gz` with its
 * `.weights.npy.gz` and `.opt_slots{i}.npy.gz`) and checks every array
 * against the loop's model weights, state and optimizer slots (count,
 * shape, dtype), naming the file and the first mismatch. Makes tensors only
 * once everything fits; changes nothing.
 *
 * @example
 * ```ts
 * const r = readTraxCheckpointFor("run/model.pkl.gz", { weights, state, slots });
 * ```
 */
export function readTraxCheckpointFor(
  file: string,
  current: { weights: Weights; state: State; slots: readonly (readonly tf.Tensor[][])[] }
): RestoredTraxCheckpoint {
  const f = readTraxFile(file);
  if (f.step === undefined) {
    throw new Error(`Trax file '${file}' is not a loop checkpoint (it has no 'step'); load a save_to_file pickle with model.initFromFile`);
  }
  checkArraysFit(file, "weight", f.flatWeights, current.weights);
  checkArraysFit(file, "state", f.flatState ?? [], current.state);
  const slotFiles = f.slotsPerTask ?? [];
  if (slotFiles.length !== current.slots.length) {
    throw new Error(`Trax checkpoint '${file}' has optimizer slots for ${slotFiles.length} tasks; this loop has ${current.slots.length}`);
  }
  current.slots.forEach((template, i) => checkArraysFit(file, `task ${i} optimizer slot`, slotFiles[i], template));
  const history: [HistoryMode, string, number, number][] = [];
  for (const mode of ["train", "eval"] as const) {
    for (const [metric, pairs] of Object.entries(f.history?.[mode] ?? {})) {
      for (const [step, value] of pairs) history.push([mode, metric, step, value]);
    }
  }
  history.sort((a, b) => a[2] - b[2]);
  const made: unknown[] = [];
  try {
    const weights = tensorsLike(f.flatWeights, current.weights) as Weights;
    made.push(weights);
    const state = tensorsLike(f.flatState ?? [], current.state) as State;
    made.push(state);
    const slots = current.slots.map((template, i) => {
      const s = tensorsLike(slotFiles[i], template) as tf.Tensor[][];
      made.push(s);
      return s;
    });
    return { step: f.step, weights, state, slots, history };
  } catch (e) {
    disposeReplaced(made);
    throw e;
  }
}
