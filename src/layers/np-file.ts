/**
 * Lists of arrays in one gzip file (`np_to_file` / `np_from_file` of Trax's
 * `layers/base.py`): the file is a gzip stream of consecutive `.npy`
 * records, as `np.save` writes them one after the other into a
 * `gzip.GzipFile`. numpy reads it back with repeated `np.load` calls on the
 * gunzipped stream.
 * @module
 */
import { tf } from "../backend/tf";
import { npyToTensor } from "../io/npy";
import type { NpyArray } from "../io/npy";
import { decodeNpyRecords, encodeNpyRecords, gunzipBytes, gzipBytes, readFileBytes, writeFileAtomic } from "../io/gzip";

/**
 * Saves a list of arrays to `filePath`: gzip-compressed `.npy` records,
 * written to a temporary file first and renamed into place, so a crash in
 * the middle leaves any previous file intact.
 *
 * In: tensors (float32, int32, bool) or `NpyArray`s of any shape. Out: the file.
 *
 * @example
 * ```ts
 * tl.npToFile([tf.tensor([1, 2]), tf.tensor([[3]], undefined, "int32")], "/tmp/a.npy.gz", 2);
 * // Python: f = gzip.open("/tmp/a.npy.gz"); np.load(f), np.load(f)
 * ```
 */
export function npToFile(listOfArrays: readonly (tf.Tensor | NpyArray)[], filePath: string, compresslevel = 2): void {
  if (!Array.isArray(listOfArrays)) throw new Error(`npToFile: expected an array of tensors; got ${typeof listOfArrays}`);
  writeFileAtomic(filePath, gzipBytes(encodeNpyRecords(listOfArrays), compresslevel));
}

/**
 * Loads the list of arrays saved by {@link npToFile} (or by Python's
 * `np.save` into a `gzip.GzipFile`), as tensors: float64 becomes float32,
 * integers int32 (see `npyToTensor`). The caller owns the tensors.
 *
 * In: a file path. Out: `tf.Tensor[]`, one per record.
 *
 * @example
 * ```ts
 * const [a, b] = tl.npFromFile("/tmp/a.npy.gz", 2);
 * ```
 */
export function npFromFile(filePath: string, compresslevel = 2): tf.Tensor[] {
  void compresslevel; // gzip streams say how they were compressed; kept for Trax's signature
  const what = `array file '${filePath}'`;
  const raw = gunzipBytes(readFileBytes(filePath, "array file"), what);
  const arrays = decodeNpyRecords(raw, what);
  const out: tf.Tensor[] = [];
  try {
    for (const a of arrays) out.push(npyToTensor(a));
  } catch (e) {
    tf.dispose(out);
    throw new Error(`${what}: array ${out.length}: ${(e as Error).message}`);
  }
  return out;
}
