/**
 * Python Trax's own files: what `Layer.save_to_file` writes (a gzip pickle
 * of `{'flat_weights', 'flat_state', 'input_signature'}`), and the training
 * loop's checkpoint (`model.pkl.gz` with `model.weights.npy.gz` and
 * `model.opt_slots{i}.npy.gz`). Reading goes through the restricted
 * unpickler (`./pickle`); nothing in a file is ever executed.
 *
 * Trax stores weights flat, in its tree-flattening order (depth first,
 * sublayers in order, empty weights contributing nothing), which is the order
 * of trax-ts's weight trees too, so flat arrays map onto a layer's weights
 * one to one.
 * @module
 */
import { closeSync, existsSync, openSync, readSync } from "fs";
import * as zlib from "zlib";
import { tf } from "../backend/tf";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { decodeNpyRecords, encodeNpyRecords, gunzipBytes, gzipBytes, readFileBytes, writeFileAtomic } from "./gzip";
import type { NpyArray } from "./npy";
import { PickledArray, PickledShapeDtype, UnpicklingError, pickle, pyTuple, unpickle } from "./pickle";

/**
 * A Trax file read into memory: the flat arrays and the rest of the
 * dictionary. Arrays are undecoded ({@link NpyArray}: shape, numpy dtype,
 * data); `npyToTensor` (or `initFromFile`) makes tensors of them.
 *
 * @example
 * ```ts
 * const f = trax.io.readTraxFile("model.pkl.gz");
 * f.flatWeights.map((a) => a.shape); // [[5, 4], [4], [4, 2], [2]]
 * f.inputSignature;                  // ShapeDtype { shape: [3, 5], dtype: "float32" }
 * ```
 */
export interface TraxFile {
  /** The file read. */
  file: string;
  /** `'flat_weights'`: the weights in Trax's flattening order. */
  flatWeights: NpyArray[];
  /** The separate weights file they came from (`model.weights.npy.gz`), or null when they were in the pickle. */
  weightsFile: string | null;
  /** `'flat_state'`, or null when the file has none (saved with `weights_only=True`). */
  flatState: NpyArray[] | null;
  /** `'input_signature'` as trax-ts signatures (a ShapeDtype, or an array for a tuple), or null. */
  inputSignature: Signature | null;
  /** Loop checkpoints: `'step'`. */
  step?: number;
  /** Loop checkpoints: `'flat_eval_state'`. */
  flatEvalState?: NpyArray[];
  /** Loop checkpoints: the optimizer slots of each task, flat (Adam: `m, v` per weight), from `{base}.opt_slots{i}.npy.gz`. */
  slotsPerTask?: NpyArray[][];
  /** Loop checkpoints: the history as `mode -> metric -> [step, value][]`. */
  history?: Record<string, Record<string, [number, number][]>>;
  /** The whole unpickled dictionary, as the unpickler returns it. */
  raw: Map<unknown, unknown>;
}

function fail(file: string, message: string): never {
  throw new Error(`Trax file '${file}': ${message}`);
}

/**
 * True when `file` is a gzip stream whose content starts like a pickle
 * (protocol 2+): a file Python Trax wrote, not a trax-ts checkpoint (whose
 * content starts with `.npy` records). Reads only the first 4 KiB.
 *
 * @example
 * ```ts
 * isTraxPickleFile("model.pkl.gz");  // true for Trax's save_to_file output
 * isTraxPickleFile("model.ckpt.gz"); // false for trax-ts's own checkpoint
 * ```
 */
export function isTraxPickleFile(file: string): boolean {
  let bytes: Uint8Array;
  try {
    const fd = openSync(file, "r");
    try {
      const head = new Uint8Array(4096);
      bytes = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // the loader that follows reports a missing or unreadable file
  }
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return false;
  // The first bytes of a prefix decompress even when later data is corrupt.
  for (const n of [64, 512, 4096]) {
    try {
      const head = zlib.gunzipSync(bytes.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      if (head.length >= 2) return head[0] === 0x80 && head[1] >= 2;
    } catch {
      /* try a shorter or longer prefix */
    }
  }
  return false;
}

function arrayList(file: string, key: string, x: unknown): NpyArray[] {
  if (!Array.isArray(x)) fail(file, `'${key}' must be a list of arrays; it is ${x === null ? "None" : typeof x}`);
  return (x as unknown[]).map((a, i) => {
    if (!(a instanceof PickledArray) || !a.filled) fail(file, `'${key}'[${i}] is not an array`);
    return a as PickledArray;
  });
}

function toSignature(file: string, x: unknown, depth = 0): Signature {
  if (depth > 8) fail(file, "'input_signature' is nested more than 8 deep");
  if (x instanceof PickledShapeDtype) {
    if (!x.dtype) fail(file, "a ShapeDtype in 'input_signature' has no dtype");
    return new ShapeDtype(x.shape, x.dtype!.tfDtype);
  }
  if (Array.isArray(x)) return (x as unknown[]).map((s) => toSignature(file, s, depth + 1)) as Signature;
  return fail(file, "'input_signature' must be a ShapeDtype or a tuple of them");
}

/** bfloat16 bit patterns (how Trax's loop stores bfloat16 as uint16) as float32 values. */
function fromBits(a: NpyArray): NpyArray {
  if (a.dtype !== "<u2") return a;
  const out = new Float32Array(a.data.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) bits[i] = (a.data[i] as number) << 16;
  return { shape: a.shape, dtype: "<f4", data: out, fortranOrder: a.fortranOrder };
}

/** The `.npy` records of a gzip file written by Trax's `np_to_file`. */
function npFromFile(file: string, what: string, maxBytes: number | undefined): NpyArray[] {
  return decodeNpyRecords(gunzipBytes(readFileBytes(file, what), `${what} '${file}'`, { maxBytes }), `${what} '${file}'`);
}

/** Options of {@link readTraxFile}. */
export interface ReadTraxFileOptions {
  /**
   * Refuse files that decompress to more than this many bytes (default
   * 1 GiB, or `TRAX_MAX_DECOMPRESSED_BYTES`).
   */
  maxDecompressedBytes?: number;
}

/**
 * Where `init_from_file` looks for the weights when `flat_weights` is an int
 * (trax/layers/base.py): `x.weights.npy.gz` for `x.pkl.gz` when it exists, else `file + ".npy"`.
 *
 * @example
 * ```ts
 * traxWeightsFile("run/model.pkl.gz"); // "run/model.weights.npy.gz" (if present)
 * ```
 */
export function traxWeightsFile(file: string): string {
  if (file.endsWith(".pkl.gz")) {
    const p = file.slice(0, -6) + "weights.npy.gz";
    if (existsSync(p)) return p;
  }
  return file + ".npy";
}

function historyOf(file: string, x: unknown): Record<string, Record<string, [number, number][]>> {
  const out: Record<string, Record<string, [number, number][]>> = {};
  const values = x instanceof Map ? x.get("_values") : undefined;
  if (!(values instanceof Map)) return out;
  for (const [mode, metrics] of values) {
    if (typeof mode !== "string" || !(metrics instanceof Map)) fail(file, "the history's modes must map to dicts of metrics");
    const m: Record<string, [number, number][]> = (out[mode as string] = {});
    for (const [metric, pairs] of metrics as Map<unknown, unknown>) {
      if (typeof metric !== "string" || !Array.isArray(pairs)) fail(file, `the history of '${String(mode)}' has a bad entry`);
      m[metric as string] = (pairs as unknown[]).map((p) => {
        if (!Array.isArray(p) || p.length !== 2) fail(file, `history '${mode}/${metric}' holds a value that is not a (step, value) pair`);
        const [step, v] = p as unknown[];
        const value = v instanceof PickledArray ? v.item() : v;
        if (typeof step !== "number" || typeof value !== "number") fail(file, `history '${mode}/${metric}' holds a non-numeric pair`);
        return [step as number, value as number];
      });
    }
  }
  return out;
}

/**
 * Reads a file written by Python Trax: `Layer.save_to_file`'s gzip pickle,
 * or a training loop's `model.pkl.gz` (then also its weights, optimizer
 * slots and history). Only the allow-listed numpy / JAX / Trax globals may
 * appear in the pickle. Errors name the file and what is wrong; nothing is
 * changed anywhere.
 *
 * @example
 * ```ts
 * const ckpt = trax.io.readTraxFile("output_dir/model.pkl.gz");
 * ckpt.step;                          // 3
 * ckpt.history!.train["training/loss"]; // [[1, 0.69]]
 * ```
 */
export function readTraxFile(file: string, options: ReadTraxFileOptions = {}): TraxFile {
  const maxBytes = options.maxDecompressedBytes;
  let raw: unknown;
  try {
    raw = unpickle(gunzipBytes(readFileBytes(file, "Trax file"), `Trax file '${file}'`, { maxBytes }), { what: `Trax file '${file}'` });
  } catch (e) {
    if (e instanceof UnpicklingError) throw e;
    throw new Error((e as Error).message);
  }
  if (!(raw instanceof Map)) fail(file, "it does not hold a dictionary (is it a file written by Trax's save_to_file or a training Loop?)");
  const d = raw as Map<unknown, unknown>;
  if (!d.has("flat_weights")) fail(file, "its dictionary has no 'flat_weights'");
  let flatWeights: NpyArray[];
  let weightsFile: string | null = null;
  const fw = d.get("flat_weights");
  const isLoop = d.has("step");
  if (typeof fw === "number") {
    // New format: the int is the gzip level of a separate .npy.gz file.
    weightsFile = traxWeightsFile(file);
    if (!existsSync(weightsFile)) {
      const named = file.endsWith(".pkl.gz") ? `'${file.slice(0, -6)}weights.npy.gz' nor '${file}.npy'` : `'${file}.npy'`;
      fail(file, `its weights are in a separate file (flat_weights is ${fw}), and ${file.endsWith(".pkl.gz") ? "neither " : ""}${named} ${file.endsWith(".pkl.gz") ? "exists" : "does not exist"}`);
    }
    flatWeights = npFromFile(weightsFile, "Trax weights file", maxBytes);
    if (isLoop) flatWeights = flatWeights.map(fromBits);
  } else {
    flatWeights = arrayList(file, "flat_weights", fw);
  }
  const out: TraxFile = {
    file,
    flatWeights,
    weightsFile,
    flatState: d.has("flat_state") ? arrayList(file, "flat_state", d.get("flat_state")) : null,
    inputSignature: d.has("input_signature") && d.get("input_signature") !== null ? toSignature(file, d.get("input_signature")) : null,
    raw: d,
  };
  if (isLoop) {
    const step = d.get("step");
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0) fail(file, "'step' is not a non-negative integer");
    out.step = step as number;
    if (d.has("flat_eval_state")) out.flatEvalState = arrayList(file, "flat_eval_state", d.get("flat_eval_state"));
    out.history = historyOf(file, d.get("history"));
    const slots = d.get("slots_per_task");
    if (typeof slots === "number" && file.endsWith(".pkl.gz")) {
      const base = file.slice(0, -7);
      out.slotsPerTask = [];
      for (let i = 0; existsSync(`${base}.opt_slots${i}.npy.gz`); i++) {
        out.slotsPerTask.push(npFromFile(`${base}.opt_slots${i}.npy.gz`, "Trax optimizer slots file", maxBytes).map(fromBits));
      }
    } else if (Array.isArray(slots)) {
      out.slotsPerTask = (slots as unknown[]).map((s, i) => arrayList(file, `slots_per_task[${i}]`, s));
    }
  }
  return out;
}

// ---------------------------------------------------------------- writing

/** A signature as Trax pickles it: one ShapeDtype, or a tuple of them. */
export function traxSignature(sig: Signature): unknown {
  return Array.isArray(sig) ? pyTuple((sig as Signature[]).map(traxSignature)) : sig;
}

/**
 * Writes a dictionary the way Trax's `pickle_to_file(..., gzip=True)` does:
 * pickled, gzip level 2, to a temporary name renamed into place.
 *
 * @example
 * ```ts
 * writeTraxPickle("/tmp/m.pkl.gz", new Map([["flat_weights", [w]], ["flat_state", []]]));
 * ```
 */
export function writeTraxPickle(file: string, d: Map<string, unknown>): void {
  writeFileAtomic(file, gzipBytes(pickle(d), 2));
}

/**
 * Writes arrays as Trax's `np_to_file` does: `.npy` records back to back in
 * one gzip stream.
 *
 * @example
 * ```ts
 * npToTraxFile([tf.ones([2])], "/tmp/model.weights.npy.gz");
 * ```
 */
export function npToTraxFile(arrays: readonly (tf.Tensor | NpyArray)[], file: string, compresslevel = 2): void {
  writeFileAtomic(file, gzipBytes(encodeNpyRecords(arrays), compresslevel));
}

/**
 * The dictionary of Trax's `Layer.save_to_file`: `flat_weights`, then
 * `flat_state` unless `weightsOnly`, then `input_signature` when given.
 */
export function saveToFileDict(weights: readonly tf.Tensor[], state: readonly tf.Tensor[] | null, inputSignature: Signature | null): Map<string, unknown> {
  const d = new Map<string, unknown>([["flat_weights", [...weights]]]);
  if (state !== null) d.set("flat_state", [...state]);
  if (inputSignature !== null) d.set("input_signature", traxSignature(inputSignature));
  return d;
}

/** True for a 1-tuple signature of one ShapeDtype (what a Trax loop stores for a one-input model). */
export function isSingleSignatureTuple(sig: Signature | null): boolean {
  return Array.isArray(sig) && sig.length === 1 && sig[0] instanceof ShapeDtype;
}
