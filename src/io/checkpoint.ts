/**
 * Checkpoint files: a layer's weights, state and input signature
 * (`Layer.saveToFile` / `Layer.initFromFile`), and the training loop's
 * checkpoint (which adds optimizer slots, the step and the history).
 *
 * The format is one gzip stream of `.npy` records (as `tl.npToFile` writes):
 * record 0 is a `uint8` array holding a UTF-8 JSON header (what the file is,
 * how many arrays of each group follow, their shapes), then the arrays. So
 * numpy reads a checkpoint with `gzip.open` and repeated `np.load`, and a
 * truncated or corrupt file is caught (gzip's CRC, the header's counts and
 * shapes) before anything is changed. Files are written to a temporary name
 * and renamed into place.
 * @module
 */
import { tf } from "../backend/tf";
import { signature } from "../shapes";
import type { Signature } from "../shapes";
import { nestedMap, treeFlatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import { decodeNpy, npyToTensor } from "./npy";
import type { NpyArray } from "./npy";
import { decodeNpyRecords, encodeNpyRecords, gunzipBytes, gzipBytes, readFileBytes, writeFileAtomic } from "./gzip";
import type { Layer, State, Weights } from "../layers/base";
import { disposeUnheld, withTrustedWrites } from "../layers/weight-ownership";

/** The JSON header of a checkpoint file (record 0). */
export interface CheckpointHeader {
  /** What the file holds: `"trax-ts layer"` or `"trax-ts loop"`. */
  format: string;
  version: number;
  /** Array groups in order, with how many arrays each has (e.g. `weights: 4`). */
  groups: { name: string; count: number }[];
  /** Shape and dtype of every array after the header, in order. */
  shapes: { shape: number[]; dtype: string }[];
  /** Anything else (input signature, step, history, ...). */
  [key: string]: unknown;
}

/** Options of `Layer.saveToFile` and `Layer.initFromFile`. */
export interface LayerFileOptions {
  /** Save or restore only the weights (not the state). Default false. */
  weightsOnly?: boolean;
  /** Input signature stored in (or used instead of the one in) the file. */
  inputSignature?: Signature | unknown | null;
  /**
   * Refuse files that decompress to more than this many bytes (default
   * 1 GiB, or `TRAX_MAX_DECOMPRESSED_BYTES`). Reading stops earlier anyway
   * when a file expands past the sizes its header declares.
   */
  maxDecompressedBytes?: number;
}

function isMarker(x: unknown): boolean {
  return !!x && typeof x === "object" && !(x instanceof tf.Tensor) && !Array.isArray(x) &&
    ("__markerForCachedWeights" in (x as object) || "__markerForCachedState" in (x as object));
}

function tensorLeaves(tree: unknown): tf.Tensor[] {
  return treeFlatten(tree as Nested<unknown>).filter((l) => l instanceof tf.Tensor) as tf.Tensor[];
}

/**
 * Writes a checkpoint: the header (its `shapes` filled in here) and the
 * arrays of each group, gzip-compressed, atomically.
 *
 * @example
 * ```ts
 * writeCheckpoint("/tmp/c.gz", { format: "mine", step: 3 }, { weights: [w1, w2] });
 * ```
 */
export function writeCheckpoint(
  file: string,
  header: { format: string; [key: string]: unknown },
  groups: Record<string, readonly tf.Tensor[]>,
  compresslevel = 2
): void {
  const names = Object.keys(groups);
  const arrays = names.flatMap((n) => [...groups[n]]);
  for (const a of arrays) {
    if (!(a instanceof tf.Tensor)) throw new Error(`cannot save '${file}': a checkpoint holds tensors; got ${typeof a}`);
    if (a.isDisposed) throw new Error(`cannot save '${file}': a tensor to save was already disposed`);
  }
  const full = {
    ...header,
    version: 1,
    groups: names.map((n) => ({ name: n, count: groups[n].length })),
    shapes: arrays.map((a) => ({ shape: [...a.shape], dtype: a.dtype })),
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const head: NpyArray = { shape: [json.length], dtype: "|u1", data: json, fortranOrder: false };
  writeFileAtomic(file, gzipBytes(encodeNpyRecords([head, ...arrays]), compresslevel));
}

/** A checkpoint read back: the header and the (undecoded) arrays of each group. */
export interface CheckpointContents {
  header: CheckpointHeader;
  groups: Record<string, NpyArray[]>;
}

/**
 * Reads and checks a checkpoint (gzip integrity, header, array count and
 * shapes); throws an error naming the file when anything does not match.
 * No tensors are made.
 *
 * @example
 * ```ts
 * const { header, groups } = readCheckpoint("/tmp/c.gz", "mine");
 * ```
 */
export function readCheckpoint(file: string, format?: string, options: { maxDecompressedBytes?: number } = {}): CheckpointContents {
  const what = `checkpoint '${file}'`;
  const raw = gunzipBytes(readFileBytes(file, "checkpoint"), what, { maxBytes: options.maxDecompressedBytes, declaredSize: declaredCheckpointSize });
  const records = decodeNpyRecords(raw, what);
  if (records.length === 0 || records[0].dtype !== "|u1" || records[0].shape.length !== 1) {
    throw new Error(`${what} has no trax-ts header (it is not a checkpoint written by saveToFile or a Loop)`);
  }
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(records[0].data as Uint8Array));
  } catch (e) {
    throw new Error(`${what}: its header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header.format !== "string" || !Array.isArray(header.groups) || !Array.isArray(header.shapes)) {
    throw new Error(`${what}: its header lacks format, groups or shapes`);
  }
  if (format !== undefined && header.format !== format) {
    throw new Error(`${what} is a '${header.format}' file; expected a '${format}' file`);
  }
  const arrays = records.slice(1);
  const expected = header.groups.reduce((n, g) => n + g.count, 0);
  if (arrays.length !== expected || header.shapes.length !== expected) {
    throw new Error(`${what} holds ${arrays.length} arrays; its header lists ${expected} (the file is incomplete or corrupt)`);
  }
  arrays.forEach((a, i) => {
    const s = header.shapes[i];
    if (a.shape.length !== s.shape.length || a.shape.some((d, k) => d !== s.shape[k])) {
      throw new Error(`${what}: array ${i} has shape [${a.shape}]; its header says [${s.shape}]`);
    }
  });
  const groups: Record<string, NpyArray[]> = {};
  let at = 0;
  for (const g of header.groups) {
    groups[g.name] = arrays.slice(at, at + g.count);
    at += g.count;
  }
  return { header, groups };
}

/** Bytes of one array's `.npy` record, at most: header (our writer's) and data. */
function npyRecordBound(shape: unknown, dtype: unknown): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return Infinity;
  const itemSize = dtype === "bool" ? 1 : dtype === "float32" || dtype === "int32" ? 4 : 8;
  return 192 + 20 * shape.length + shape.reduce((a: number, b: number) => a * b, 1) * itemSize;
}

/**
 * The size a checkpoint declares in its header record (the JSON listing
 * every array's shape), from the first decompressed bytes: null while the
 * header record is incomplete, Infinity when it is not a trax-ts header.
 */
function declaredCheckpointSize(prefix: Uint8Array): number | null {
  let head: { array: NpyArray; bytesRead: number };
  try {
    head = decodeNpy(prefix, 0);
  } catch (e) {
    return /^truncated/.test((e as Error).message) ? null : Infinity;
  }
  if (head.array.dtype !== "|u1") return Infinity;
  try {
    const h = JSON.parse(new TextDecoder().decode(head.array.data as Uint8Array)) as CheckpointHeader;
    if (!Array.isArray(h.shapes)) return Infinity;
    return head.bytesRead + h.shapes.reduce((n, s) => n + npyRecordBound(s?.shape, s?.dtype), 0);
  } catch {
    return Infinity;
  }
}

/**
 * Checks that arrays read from `file` fit a template tree of tensors or
 * signatures (same count, shapes and dtypes), naming the first mismatch.
 */
export function checkArraysFit(file: string, what: string, arrays: readonly NpyArray[], template: unknown): void {
  const leaves = treeFlatten(template as Nested<unknown>).filter((l) => !isMarker(l)) as { shape: readonly number[]; dtype: string }[];
  if (arrays.length !== leaves.length) {
    throw new Error(`checkpoint '${file}' has ${arrays.length} ${what} arrays; the model has ${leaves.length}`);
  }
  arrays.forEach((a, i) => {
    const want = leaves[i];
    if (a.shape.length !== want.shape.length || a.shape.some((d, k) => d !== want.shape[k])) {
      throw new Error(`checkpoint '${file}': ${what} ${i} has shape [${a.shape}] in the file; the model expects [${want.shape}]`);
    }
    const kind = a.dtype.slice(1, 2);
    const fileFloat = kind === "f";
    const wantFloat = want.dtype === "float32";
    if (fileFloat !== wantFloat) {
      throw new Error(`checkpoint '${file}': ${what} ${i} has dtype '${a.dtype}' in the file; the model expects ${want.dtype}`);
    }
  });
}

/** Tensors from arrays, rebuilt into the structure of `template` (markers kept). */
export function tensorsLike(arrays: readonly NpyArray[], template: unknown): unknown {
  let i = 0;
  const made: tf.Tensor[] = [];
  try {
    return nestedMap(template as Nested<unknown>, (leaf) => {
      if (isMarker(leaf)) return leaf;
      const t = npyToTensor(arrays[i++]);
      made.push(t);
      return t;
    });
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}

function sigToJSON(sig: unknown): unknown {
  if (sig === null || sig === undefined) return null;
  const s = signature(sig);
  return JSON.parse(JSON.stringify(s));
}

function sigFromJSON(json: unknown): Signature | null {
  if (json === null || json === undefined) return null;
  return signature(json);
}

/**
 * Saves a layer's weights (and state, unless `weightsOnly`) and the input
 * signature to a gzip checkpoint; the body of `Layer.saveToFile`.
 *
 * @example
 * ```ts
 * saveLayerToFile(model, "/tmp/model.ckpt.gz", { inputSignature: new ShapeDtype([1, 4]) });
 * ```
 */
export function saveLayerToFile(layer: Layer, fileName: string, options: LayerFileOptions = {}): void {
  if (!layer.initialized) {
    throw new Error(`cannot save ${layer.name} to '${fileName}': it has no weights yet (call it or init it first)`);
  }
  const weightsOnly = options.weightsOnly ?? false;
  const weights = tensorLeaves(layer.weights);
  const state = weightsOnly ? [] : tensorLeaves(layer.state);
  writeCheckpoint(
    fileName,
    {
      format: "trax-ts layer",
      layer: layer.name,
      weightsOnly,
      inputSignature: sigToJSON(options.inputSignature),
    },
    { weights, state }
  );
}

/**
 * Initializes a layer from a checkpoint written by `saveLayerToFile`; the
 * body of `Layer.initFromFile`. Everything is checked before the layer is
 * touched: on any error the layer keeps its weights and state.
 *
 * @example
 * ```ts
 * const [weights, state] = initLayerFromFile(model, "/tmp/model.ckpt.gz");
 * ```
 */
export function initLayerFromFile(layer: Layer, fileName: string, options: LayerFileOptions = {}): [Weights, State] {
  const weightsOnly = options.weightsOnly ?? false;
  const { header, groups } = readCheckpoint(fileName, "trax-ts layer", { maxDecompressedBytes: options.maxDecompressedBytes });
  if (!weightsOnly && header.weightsOnly) {
    throw new Error(`checkpoint '${fileName}' holds weights only (saved with weightsOnly); load it with { weightsOnly: true }`);
  }
  const sigGiven = options.inputSignature ?? null;
  const sig = sigGiven !== null ? signature(sigGiven) : sigFromJSON(header.inputSignature);
  return initLayerFromArrays(layer, fileName, sig, groups.weights ?? [], weightsOnly ? null : groups.state ?? []);
}

/**
 * Puts arrays read from a file into a layer, all or nothing: checks them
 * against the weights and state the layer has (or would have for `sig`;
 * the layer is not changed by finding out), makes the tensors, then swaps
 * them in at once, freeing the replaced ones no other layer holds. On any
 * error the layer keeps its weights and state, and nothing leaks. `state`
 * null: weights only. Every layer loader goes through here.
 *
 * @example
 * ```ts
 * initLayerFromArrays(model, "weights.npy.gz", new ShapeDtype([1, 4]), weightArrays, null);
 * ```
 */
export function initLayerFromArrays(
  layer: Layer,
  fileName: string,
  sig: Signature | null,
  weights: readonly NpyArray[],
  state: readonly NpyArray[] | null
): [Weights, State] {
  let wTemplate: unknown;
  let sTemplate: unknown;
  if (sig !== null) {
    [wTemplate, sTemplate] = layer.weightsAndStateSignature(sig);
  } else if (layer.initialized) {
    [wTemplate, sTemplate] = [layer.weights, layer.state];
  } else {
    throw new Error(
      `cannot init ${layer.name} from '${fileName}': the file has no input signature and the layer has no weights yet; pass { inputSignature }`
    );
  }
  checkArraysFit(fileName, "weight", weights, wTemplate);
  if (state !== null) checkArraysFit(fileName, "state", state, sTemplate);
  // Everything fits: make the tensors, then change the layer.
  const newWeights = tensorsLike(weights, wTemplate) as Weights;
  let newState: State | null = null;
  try {
    if (state !== null) newState = tensorsLike(state, sTemplate) as State;
  } catch (e) {
    tf.dispose(tensorLeaves(newWeights));
    throw e;
  }
  swapInWeightsAndState(layer, sig, newWeights, newState);
  return [layer.weights, layer.state];
}

/**
 * Swaps checked weights (and state, unless null) into `layer`, initializing
 * it for `sig` first when it never was; on an error the layer is put back
 * as it was and the new tensors are freed.
 */
function swapInWeightsAndState(layer: Layer, sig: Signature | null, newWeights: Weights, newState: State | null): void {
  const wasInitialized = layer.initialized;
  const before: [Weights, State] | null = wasInitialized ? [layer.weights, layer.state] : null;
  try {
    withTrustedWrites(() => {
      if (!wasInitialized && sig !== null) layer.init(sig);
      const old = [layer.weights, newState === null ? [] : layer.state];
      layer.weights = newWeights;
      if (newState !== null) layer.state = newState;
      disposeUnheld(old, layer.weights, layer.state);
    });
  } catch (e) {
    if (before !== null) {
      try {
        withTrustedWrites(() => {
          layer.weights = before[0];
          layer.state = before[1];
        });
      } catch {
        /* keep the original error */
      }
    }
    disposeUnheld([newWeights, newState ?? []]);
    throw e;
  }
}
