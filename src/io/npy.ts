/**
 * Reading and writing numpy's `.npy` files (format versions 1.0, 2.0 and 3.0),
 * and converting them to and from tfjs tensors.
 *
 * A decoded {@link NpyArray} keeps the file's dtype (`descr`, e.g. `"<f4"`),
 * shape and memory order; its `data` holds the values in a typed array (in
 * the host's byte order, whatever the file's was). {@link npyToTensor} then
 * makes a tensor of a dtype tfjs has: float64 and float16 become float32,
 * 64-bit and unsigned 32-bit integers become int32 (an error if a value does
 * not fit), small integers become int32, booleans stay bool.
 *
 * This module is internal (the package does not export it); `tl.npToFile`,
 * `tl.npFromFile` and the checkpoints build on it.
 *
 * @example
 * ```ts
 * writeNpy("/tmp/w.npy", tf.tensor([[1, 2], [3, 4]]));
 * readNpy("/tmp/w.npy").print(); // [[1, 2], [3, 4]]
 * ```
 * @module
 */
import { readFileSync } from "fs";
import { tf } from "../backend/tf";
import { replaceFileAtomic } from "./atomic-file";
import { parseNpyHeader } from "./npy-header";
import { assertFitsInBackend } from "../backend/engine-health";

/** The typed arrays an {@link NpyArray} can hold. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * An array as a `.npy` file holds it.
 *
 * @example
 * ```ts
 * const a: NpyArray = { shape: [2], dtype: "<f4", data: new Float32Array([1, 2]), fortranOrder: false };
 * ```
 */
export interface NpyArray {
  /** The array's shape (`[]` for a scalar). */
  shape: number[];
  /**
   * numpy's type string (`descr`): byte order (`<` little, `>` big, `|` not
   * applicable) then kind and size: `b1` bool, `i1 i2 i4 i8`, `u1 u2 u4 u8`,
   * `f2 f4 f8`. Its byte order is the one used in the file.
   */
  dtype: string;
  /**
   * The values in a typed array of the matching kind (bool as `Uint8Array`
   * of 0/1; float16 as `Uint16Array` of raw half-precision bits; 64-bit
   * integers as `BigInt64Array`/`BigUint64Array`), in the host's byte order.
   */
  data: NpyData;
  /** True when `data` is in column-major (Fortran) order. */
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

interface DtypeInfo {
  kind: "b" | "i" | "u" | "f";
  size: number;
  order: "<" | ">" | "|";
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function parseDtype(descr: string): DtypeInfo {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  if (!m) throw new Error(`unsupported dtype '${descr}' (supported: bool, int8/16/32/64, uint8/16/32/64, float16/32/64)`);
  let order = (m[1] || "=") as "<" | ">" | "|" | "=";
  let kind = m[2];
  let size = m[3] === "" ? NaN : Number(m[3]);
  if (kind === "?") {
    kind = "b";
    size = 1;
  }
  const names: Record<string, string> = {
    c: "complex", O: "object", S: "bytes string", a: "bytes string", U: "unicode string", V: "void/structured",
    M: "datetime", m: "timedelta",
  };
  if (names[kind]) throw new Error(`unsupported dtype '${descr}' (${names[kind]}); supported: bool, int8/16/32/64, uint8/16/32/64, float16/32/64`);
  const ok =
    (kind === "b" && size === 1) ||
    ((kind === "i" || kind === "u") && [1, 2, 4, 8].includes(size)) ||
    (kind === "f" && [2, 4, 8].includes(size));
  if (!ok) throw new Error(`unsupported dtype '${descr}'; supported: bool, int8/16/32/64, uint8/16/32/64, float16/32/64`);
  if (order === "=") order = size === 1 ? "|" : HOST_LITTLE ? "<" : ">";
  if (size === 1) order = "|";
  return { kind: kind as DtypeInfo["kind"], size, order };
}

function allocate(info: DtypeInfo, n: number): NpyData {
  const { kind, size } = info;
  if (kind === "b") return new Uint8Array(n);
  if (kind === "f") return size === 2 ? new Uint16Array(n) : size === 4 ? new Float32Array(n) : new Float64Array(n);
  if (kind === "i") {
    return size === 1 ? new Int8Array(n) : size === 2 ? new Int16Array(n) : size === 4 ? new Int32Array(n) : new BigInt64Array(n);
  }
  return size === 1 ? new Uint8Array(n) : size === 2 ? new Uint16Array(n) : size === 4 ? new Uint32Array(n) : new BigUint64Array(n);
}

function expectedArrayName(info: DtypeInfo): string {
  return allocate(info, 0).constructor.name;
}

/** Swaps the bytes of each `size`-byte element in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ------------------------------------------------------------------- header

function formatShape(shape: readonly number[]): string {
  if (shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

// ------------------------------------------------------------------- decode

/**
 * Decodes one `.npy` record starting at `offset` (default 0) of `bytes`.
 * Returns the array and how many bytes the record took, so that records
 * written one after another can be read in turn.
 *
 * Throws an Error saying what is wrong for a bad magic string, an unknown
 * version, a malformed header, an unsupported dtype, or truncated data.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(tf.tensor([[1, 2]]));
 * const { array, bytesRead } = decodeNpy(bytes); // array.shape [1, 2], bytesRead === bytes.length
 * // A second record would start at bytesRead: decodeNpy(bytes, bytesRead).
 * ```
 */
export function decodeNpy(bytes: Uint8Array, offset = 0): { array: NpyArray; bytesRead: number } {
  const avail = bytes.length - offset;
  if (avail < 10) throw new Error(`truncated .npy: need at least 10 bytes for the preamble, got ${Math.max(0, avail)}`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[offset + i] !== MAGIC[i]) throw new Error("not a .npy file: bad magic string (expected \\x93NUMPY)");
  }
  const major = bytes[offset + 6];
  const minor = bytes[offset + 7];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = bytes[offset + 8] | (bytes[offset + 9] << 8);
    headerStart = offset + 10;
  } else if (major === 2 || major === 3) {
    if (avail < 12) throw new Error(`truncated .npy: need 12 bytes for a version ${major}.${minor} preamble, got ${avail}`);
    headerLen = (bytes[offset + 8] | (bytes[offset + 9] << 8) | (bytes[offset + 10] << 16)) + bytes[offset + 11] * 16777216;
    headerStart = offset + 12;
  } else {
    throw new Error(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new Error(`truncated .npy: header of ${headerLen} bytes expected, only ${bytes.length - headerStart} present`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const text = major === 3 ? new TextDecoder("utf-8").decode(headerBytes) : latin1(headerBytes);
  const header = parseNpyHeader(text, major);
  const info = parseDtype(header.descr);
  const n = product(header.shape);
  const nBytes = n * info.size;
  if (dataStart + nBytes > bytes.length) {
    throw new Error(
      `truncated .npy: shape ${formatShape(header.shape)} of '${header.descr}' needs ${nBytes} bytes of data, only ${bytes.length - dataStart} present`
    );
  }
  const raw = new Uint8Array(nBytes); // a copy: aligned and owned (a Buffer's slice would be a view)
  raw.set(bytes.subarray(dataStart, dataStart + nBytes));
  const fileLittle = info.order === "<" || (info.order === "|" && HOST_LITTLE);
  if (fileLittle !== HOST_LITTLE) swapBytes(raw, info.size);
  const data = allocate(info, 0);
  const Ctor = data.constructor as new (buf: ArrayBuffer, off: number, len: number) => NpyData;
  const values = new Ctor(raw.buffer, 0, n);
  return {
    array: { shape: header.shape, dtype: header.descr, data: values, fortranOrder: header.fortranOrder },
    bytesRead: dataStart + nBytes - offset,
  };
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

// ------------------------------------------------------------------- encode

/**
 * The NpyArray of a tensor: C order, little-endian (`<f4`, `<i4`, `|b1`).
 *
 * @example
 * ```ts
 * tensorToNpy(tf.tensor([1, 2], [2], "int32")); // { shape: [2], dtype: "<i4", data: Int32Array [1, 2], fortranOrder: false }
 * ```
 */
export function tensorToNpy(t: tf.Tensor): NpyArray {
  const shape = [...t.shape];
  switch (t.dtype) {
    case "float32":
      return { shape, dtype: "<f4", data: Float32Array.from(t.dataSync() as Float32Array), fortranOrder: false };
    case "int32":
      return { shape, dtype: "<i4", data: Int32Array.from(t.dataSync() as Int32Array), fortranOrder: false };
    case "bool":
      return { shape, dtype: "|b1", data: Uint8Array.from(t.dataSync() as Uint8Array), fortranOrder: false };
    default:
      throw new Error(`cannot write a ${t.dtype} tensor to .npy (supported: float32, int32, bool)`);
  }
}

/**
 * Encodes a tensor or an {@link NpyArray} as the bytes of a `.npy` file:
 * format 1.0, or 2.0 when the header does not fit in 65535 bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(tf.tensor([1, 2, 3]));
 * decodeNpy(bytes).array.shape; // [3]
 * ```
 */
export function encodeNpy(x: tf.Tensor | NpyArray): Uint8Array {
  const a = x instanceof tf.Tensor ? tensorToNpy(x) : x;
  const info = parseDtype(a.dtype);
  const n = product(a.shape);
  if (a.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`encodeNpy: invalid shape [${a.shape}]`);
  const expected = expectedArrayName(info);
  if (a.data.constructor.name !== expected) {
    throw new Error(`encodeNpy: dtype '${a.dtype}' needs data in a ${expected}; got a ${a.data.constructor.name}`);
  }
  if (a.data.length !== n) {
    throw new Error(`encodeNpy: shape ${formatShape(a.shape)} needs ${n} values; got ${a.data.length}`);
  }
  const descr = info.size === 1 ? `|${a.dtype.replace(/^[<>|=]/, "")}` : `${info.order}${a.dtype.replace(/^[<>|=]/, "")}`;
  const dict = `{'descr': '${descr === "|?" ? "|b1" : descr}', 'fortran_order': ${a.fortranOrder ? "True" : "False"}, 'shape': ${formatShape(a.shape)}, }`;
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  if (total - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  }
  const headerLen = total - pre;
  const header = dict + " ".repeat(headerLen - dict.length - 1) + "\n";
  const nBytes = n * info.size;
  const out = new Uint8Array(total + nBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) {
    out[8] = headerLen & 0xff;
    out[9] = headerLen >>> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLen, true);
  }
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const src = new Uint8Array(a.data.buffer, a.data.byteOffset, nBytes);
  const body = out.subarray(total);
  body.set(src);
  const fileLittle = info.order === "<" || (info.order === "|" && HOST_LITTLE);
  if (fileLittle !== HOST_LITTLE) swapBytes(body, info.size);
  return out;
}

// ------------------------------------------------------------- conversions

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function toInt32(data: NpyData, dtype: string): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const big = typeof v === "bigint";
    if (big ? v > 2147483647n || v < -2147483648n : (v as number) > 2147483647 || (v as number) < -2147483648) {
      throw new Error(`value ${v} at flat index ${i} of a '${dtype}' array does not fit in int32 (tfjs has no 64-bit or unsigned 32-bit integers)`);
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * The tensor of an {@link NpyArray}, in C order: float64 and float16 become
 * float32; int8/16, uint8/16 become int32; int64, uint32 and uint64 become
 * int32 (an Error if a value is out of int32's range); bool stays bool.
 *
 * @example
 * ```ts
 * npyToTensor({ shape: [2], dtype: "<f8", data: new Float64Array([1, 2]), fortranOrder: false }); // float32 [1, 2]
 * ```
 */
export function npyToTensor(a: NpyArray): tf.Tensor {
  const info = parseDtype(a.dtype);
  const n = product(a.shape);
  if (a.data.length !== n) throw new Error(`npyToTensor: shape ${formatShape(a.shape)} needs ${n} values; got ${a.data.length}`);
  assertFitsInBackend(n * (info.kind === "b" ? 1 : 4), `an array of shape ${formatShape(a.shape)}`);
  let values: Float32Array | Int32Array | Uint8Array;
  let dtype: "float32" | "int32" | "bool";
  if (info.kind === "b") {
    dtype = "bool";
    values = Uint8Array.from(a.data as Uint8Array, (v) => (v ? 1 : 0));
  } else if (info.kind === "f") {
    dtype = "float32";
    values = info.size === 2 ? Float32Array.from(a.data as Uint16Array, halfToFloat) : Float32Array.from(a.data as Float32Array);
  } else {
    dtype = "int32";
    values = toInt32(a.data, a.dtype);
  }
  if (!a.fortranOrder || a.shape.length < 2) return tf.tensor(values, [...a.shape], dtype);
  return tf.tidy(() => {
    const reversed = [...a.shape].reverse();
    const perm = reversed.map((_, i) => reversed.length - 1 - i);
    return tf.tensor(values, reversed, dtype).transpose(perm);
  });
}

// --------------------------------------------------------------------- files

/**
 * Reads a `.npy` file into a tensor (see {@link npyToTensor} for dtypes).
 * Errors name the file.
 *
 * @example
 * ```ts
 * writeNpy("/tmp/embeddings.npy", tf.ones([3, 4]));
 * readNpy("/tmp/embeddings.npy").shape; // [3, 4]
 * ```
 */
export function readNpy(file: string): tf.Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read .npy file ${file}: ${(e as Error).message}`);
  }
  try {
    return npyToTensor(decodeNpy(bytes).array);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/**
 * Writes a tensor or {@link NpyArray} as a `.npy` file. The bytes go to a
 * temporary file in the same folder first, which is then renamed into place,
 * so a reader never sees a half-written file.
 *
 * @example
 * ```ts
 * writeNpy("/tmp/x.npy", tf.tensor([1, 2, 3])); // np.load("/tmp/x.npy") -> array([1., 2., 3.], dtype=float32)
 * ```
 */
export function writeNpy(file: string, t: tf.Tensor | NpyArray): void {
  replaceFileAtomic(file, encodeNpy(t));
}
