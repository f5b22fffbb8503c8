/**
 * Gzip streams (pako) and crash-safe file writes: a file is written to a
 * temporary name in the same folder, flushed to disk, then renamed into
 * place, so a crash in the middle of a save leaves the previous file intact.
 * Also consecutive `.npy` records (what `np.save` writes into one stream).
 * @module
 */
import { mkdirSync, readFileSync } from "fs";
import * as path from "path";
import * as pako from "pako";
import { tf } from "../backend/tf";
import { replaceFileAtomic } from "./atomic-file";
import { decodeNpy, encodeNpy } from "./npy";
import type { NpyArray } from "./npy";

/**
 * Compresses bytes into one gzip member (readable by Python's `gzip`).
 *
 * @example
 * ```ts
 * const gz = gzipBytes(new Uint8Array([1, 2, 3]), 2); // gzip.decompress(gz) == b"\x01\x02\x03"
 * ```
 */
export function gzipBytes(bytes: Uint8Array, level = 2): Uint8Array {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new Error(`gzip compression level must be an integer from 0 to 9; got ${level}`);
  }
  return pako.gzip(bytes, { level: level as pako.DeflateFunctionOptions["level"] });
}

/** Options of {@link gunzipBytes}. */
export interface GunzipOptions {
  /**
   * Refuse to decompress more than this many bytes (default:
   * {@link defaultMaxDecompressedBytes}, 1 GiB unless the
   * `TRAX_MAX_DECOMPRESSED_BYTES` variable says otherwise).
   */
  maxBytes?: number;
  /**
   * The size the data declares, read from its beginning as it arrives
   * (e.g. a checkpoint's header lists every array's shape): null while not
   * known yet, Infinity when it cannot be known. Decompression stops as
   * soon as it passes the declared size.
   */
  declaredSize?: (prefix: Uint8Array) => number | null;
}

/** Bytes a declared size is looked for in (a header record is small). */
const DECLARED_SIZE_SEARCH = 16 * 1024 * 1024;

/**
 * The decompression cap when none is given: `TRAX_MAX_DECOMPRESSED_BYTES`
 * (a number of bytes) or 1 GiB.
 *
 * @example
 * ```ts
 * defaultMaxDecompressedBytes(); // 1073741824
 * ```
 */
export function defaultMaxDecompressedBytes(): number {
  const env = Number(process.env.TRAX_MAX_DECOMPRESSED_BYTES);
  return Number.isFinite(env) && env > 0 ? env : 1024 * 1024 * 1024;
}

class TooLarge extends Error {}

/**
 * Decompresses a gzip stream (all members), streaming, with an error
 * naming `what` (usually the file) when the data is truncated or corrupt,
 * or when it expands past the cap or past its declared size (a
 * decompression bomb fails at once, not after filling the memory).
 *
 * @example
 * ```ts
 * gunzipBytes(gzipBytes(new Uint8Array([7]))); // Uint8Array [7]
 * gunzipBytes(bomb, "x.gz", { maxBytes: 1e6 }); // Error: x.gz decompresses to more than 1000000 bytes ...
 * ```
 */
export function gunzipBytes(bytes: Uint8Array, what = "gzip data", options: GunzipOptions = {}): Uint8Array {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new Error(`${what} is not gzip data (${bytes.length} bytes; a gzip file starts with 1f 8b and has at least 18)`);
  }
  const cap = options.maxBytes ?? defaultMaxDecompressedBytes();
  let limit = cap;
  let declared: number | null = null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const onData = (chunk: Uint8Array) => {
    total += chunk.length;
    chunks.push(chunk);
    if (declared === null && options.declaredSize && total - chunk.length < DECLARED_SIZE_SEARCH) {
      declared = options.declaredSize(chunks.length === 1 ? chunk : concatBytes(chunks));
      if (declared !== null) limit = Math.min(cap, declared);
    }
    if (total > limit) throw new TooLarge();
  };
  let offset = 0;
  try {
    // Python's gzip module and `cat a.gz b.gz` make multi-member streams: read them all.
    while (offset < bytes.length) {
      const inflator = new pako.Inflate({ chunkSize: 1 << 20 });
      inflator.onData = onData as (chunk: pako.Data) => void;
      inflator.push(bytes.subarray(offset), true);
      if (inflator.err === -5) throw new Error(`${what} is truncated: the gzip stream ends before its last block`);
      if (inflator.err) throw new Error(`${what} is corrupt: ${inflator.msg || `zlib error ${inflator.err}`}`);
      if (!(inflator as unknown as { ended: boolean }).ended) {
        throw new Error(`${what} is truncated: the gzip stream ends before its last block`);
      }
      const strm = (inflator as unknown as { strm: { next_in: number; avail_in: number } }).strm;
      const used = strm.next_in;
      if (!(used > 0) || strm.avail_in === 0) break;
      offset += used;
      // Trailing zero padding (some writers) is not another member.
      if (bytes.subarray(offset).every((b) => b === 0)) break;
    }
  } catch (e) {
    if (!(e instanceof TooLarge)) throw e;
    chunks.length = 0;
    if (declared !== null && declared <= cap) {
      throw new Error(`${what} is corrupt: it decompresses to more than the ${declared} bytes its header declares`);
    }
    throw new Error(
      `${what} decompresses to more than ${cap} bytes (the limit; a corrupt file or a decompression bomb?). ` +
        `To read a larger file, pass a larger maxDecompressedBytes or set TRAX_MAX_DECOMPRESSED_BYTES.`
    );
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
}

/** The byte arrays `parts` one after another in one new array. */
function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Writes `bytes` to `file` safely: a temporary file in the same folder,
 * flushed, then renamed over `file`. Creates missing folders.
 *
 * @example
 * ```ts
 * writeFileAtomic("/tmp/a.bin", new Uint8Array([1, 2]));
 * ```
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  replaceFileAtomic(file, bytes);
}

/**
 * Reads a whole file, with an error that names it when it is missing.
 *
 * @example
 * ```ts
 * readFileBytes("/tmp/a.bin"); // Uint8Array [1, 2]
 * ```
 */
export function readFileBytes(file: string, what = "file"): Uint8Array {
  try {
    const b = readFileSync(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new Error(`${what} '${file}' does not exist`);
    throw new Error(`cannot read ${what} '${file}': ${(e as Error).message}`);
  }
}

/**
 * The `.npy` records of a gunzipped array file, decoded (no tensors made).
 * Throws, naming `what`, on a record that is truncated or malformed.
 *
 * @example
 * ```ts
 * const gz = gzipBytes(encodeNpyRecords([tf.tensor([1, 2]), tf.tensor([[3]])]));
 * decodeNpyRecords(gunzipBytes(gz), "weights.npy.gz").map((a) => a.shape); // [[2], [1, 1]]
 * ```
 */
export function decodeNpyRecords(bytes: Uint8Array, what: string): NpyArray[] {
  const out: NpyArray[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    try {
      const { array, bytesRead } = decodeNpy(bytes, offset);
      out.push(array);
      offset += bytesRead;
    } catch (e) {
      throw new Error(`${what}: array ${out.length} (at byte ${offset} of ${bytes.length}) cannot be read: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * The bytes of consecutive `.npy` records, one per array.
 *
 * @example
 * ```ts
 * decodeNpyRecords(encodeNpyRecords([tf.tensor([1]), tf.tensor([2])]), "x").length; // 2
 * ```
 */
export function encodeNpyRecords(arrays: readonly (tf.Tensor | NpyArray)[]): Uint8Array {
  return concatBytes(arrays.map((a) => encodeNpy(a)));
}
