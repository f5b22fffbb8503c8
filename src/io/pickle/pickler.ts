/**
 * A small pickler (protocol 4) for the values Trax's files hold, written so
 * that Python's `pickle.load` with numpy 1.x or 2.x reads them back as Trax
 * writes them: numpy arrays the way numpy pickles them
 * (`numpy.core.multiarray._reconstruct` + `ndarray.__setstate__`, a spelling
 * both numpy 1.x and 2.x load), numpy dtypes, `trax.shapes.ShapeDtype`
 * (slot state), `collections.defaultdict(list)`.
 *
 * | JavaScript                     | Python                                     |
 * |--------------------------------|--------------------------------------------|
 * | `null`, `boolean`, `string`    | `None`, `bool`, `str`                      |
 * | integer `number`, `bigint`     | `int`                                      |
 * | other `number`, {@link PyFloat}| `float`                                    |
 * | `Uint8Array`                   | `bytes`                                    |
 * | `Array` / {@link pyTuple}      | `list` / `tuple`                           |
 * | `Map`, plain object            | `dict` (insertion order)                   |
 * | {@link PyDefaultDict}          | `collections.defaultdict(list, ...)`       |
 * | `tf.Tensor`, `NpyArray`        | `numpy.ndarray`                            |
 * | {@link PickledDtype}           | `numpy.dtype`                              |
 * | `ShapeDtype` (trax-ts)         | `trax.shapes.ShapeDtype`                   |
 * @module
 */
import { tf } from "../../backend/tf";
import { ShapeDtype } from "../../shapes";
import { encodeNpy, tensorToNpy } from "../npy";
import type { NpyArray } from "../npy";
import { PickledDtype, PickledShapeDtype, isPyTuple } from "./values";

/**
 * A Python float, for a value that is an integer in JavaScript.
 *
 * @example
 * ```ts
 * pickle(new PyFloat(2)); // Python reads 2.0 (a plain 2 pickles as the int 2)
 * ```
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * A `collections.defaultdict(list)` with these items (how Trax's history keeps metrics).
 *
 * @example
 * ```ts
 * pickle(new PyDefaultDict(new Map([["loss", [pyTuple([1, 0.5])]]]))); // defaultdict(list, {'loss': [(1, 0.5)]})
 * ```
 */
export class PyDefaultDict {
  constructor(readonly items: Map<unknown, unknown>) {}
}

const enc = new TextEncoder();

class Writer {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(1 << 16);
  private at = 0;
  byte(...bs: number[]): void {
    for (const b of bs) {
      if (this.at === this.buf.length) this.flush();
      this.buf[this.at++] = b;
    }
  }
  u32(n: number): void {
    this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  u64(n: number): void {
    this.u32(n % 2 ** 32);
    this.u32(Math.floor(n / 2 ** 32));
  }
  raw(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
  }
  flush(): void {
    if (this.at > 0) this.chunks.push(this.buf.slice(0, this.at));
    this.at = 0;
  }
  result(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let k = 0;
    for (const c of this.chunks) {
      out.set(c, k);
      k += c.length;
    }
    return out;
  }
}

function isNpyArray(x: unknown): x is NpyArray {
  return typeof x === "object" && x !== null && "shape" in x && "dtype" in x && "data" in x && ArrayBuffer.isView((x as NpyArray).data);
}

function shortDescr(descr: string): string {
  return descr.replace(/^[<>|=]/, "");
}

/**
 * Pickles `value` (see the table in this module's docs) with protocol 4.
 * Throws for a value with no Python counterpart here (a function, a
 * disposed tensor, a cycle).
 *
 * @example
 * ```ts
 * const bytes = pickle(new Map([["flat_weights", [tf.ones([2])]]]));
 * // Python: pickle.loads(bytes) == {'flat_weights': [array([1., 1.], dtype=float32)]}
 * ```
 */
export function pickle(value: unknown): Uint8Array {
  const w = new Writer();
  const active = new Set<object>();
  const str = (s: string): void => {
    const b = enc.encode(s);
    if (b.length < 256) w.byte(0x8c, b.length);
    else {
      w.byte(0x58);
      w.u32(b.length);
    }
    w.raw(b);
  };
  const bytes = (b: Uint8Array): void => {
    if (b.length < 256) w.byte(0x43, b.length);
    else if (b.length < 2 ** 32) {
      w.byte(0x42);
      w.u32(b.length);
    } else {
      w.byte(0x8e);
      w.u64(b.length);
    }
    w.raw(b);
  };
  const global = (module: string, name: string): void => {
    str(module);
    str(name);
    w.byte(0x93);
  };
  const int = (n: number | bigint): void => {
    if (typeof n === "number" && n >= 0 && n < 256) w.byte(0x4b, n);
    else if (typeof n === "number" && n >= -(2 ** 31) && n < 2 ** 31) {
      w.byte(0x4a);
      w.u32(n >>> 0);
    } else {
      let v = BigInt(n);
      const out: number[] = [];
      for (;;) {
        out.push(Number(v & 0xffn));
        const sign = (out[out.length - 1] & 0x80) !== 0;
        v >>= 8n;
        if ((v === 0n && !sign) || (v === -1n && sign)) break;
      }
      w.byte(0x8a, out.length, ...out);
    }
  };
  const float = (x: number): void => {
    w.byte(0x47);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    w.raw(b);
  };
  const dtype = (descr: string): void => {
    // numpy.dtype('f4', False, True) then __setstate__((3, order, None, None, None, -1, -1, 0))
    global("numpy", "dtype");
    str(shortDescr(descr));
    w.byte(0x89, 0x88, 0x87, 0x52);
    w.byte(0x28);
    int(3);
    str(descr[0] === "=" ? "<" : descr[0]);
    w.byte(0x4e, 0x4e, 0x4e);
    int(-1);
    int(-1);
    int(0);
    w.byte(0x74, 0x62);
  };
  const array = (a: NpyArray): void => {
    const descr = /^[<>|=]/.test(a.dtype) ? a.dtype : `<${a.dtype}`;
    // numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b') then
    // __setstate__((1, shape, dtype, is_fortran, raw bytes))
    global("numpy.core.multiarray", "_reconstruct");
    global("numpy", "ndarray");
    int(0);
    w.byte(0x85);
    bytes(Uint8Array.of(0x62));
    w.byte(0x87, 0x52);
    w.byte(0x28);
    int(1);
    tuple(a.shape);
    dtype(descr);
    w.byte(a.fortranOrder ? 0x88 : 0x89);
    // The raw bytes in the array's own order: take them from a .npy encoding.
    const npy = encodeNpy({ ...a, dtype: descr });
    const headerLen = npy.length - a.data.byteLength;
    bytes(npy.subarray(headerLen));
    w.byte(0x74, 0x62);
  };
  const tuple = (items: readonly unknown[]): void => {
    if (items.length === 0) return w.byte(0x29);
    if (items.length <= 3) {
      items.forEach(save);
      return w.byte([0x85, 0x86, 0x87][items.length - 1]);
    }
    w.byte(0x28);
    items.forEach(save);
    w.byte(0x74);
  };
  const dict = (entries: Iterable<[unknown, unknown]>): void => {
    w.byte(0x7d);
    let n = 0;
    for (const [k, v] of entries) {
      if (n === 0) w.byte(0x28);
      save(k);
      save(v);
      if (++n === 1000) {
        w.byte(0x75);
        n = 0;
      }
    }
    if (n > 0) w.byte(0x75);
  };
  const save = (x: unknown): void => {
    if (x === null || x === undefined) return w.byte(0x4e);
    if (x === true) return w.byte(0x88);
    if (x === false) return w.byte(0x89);
    if (typeof x === "bigint") return int(x);
    if (typeof x === "number") return Number.isSafeInteger(x) && !Object.is(x, -0) ? int(x) : float(x);
    if (x instanceof PyFloat) return float(x.value);
    if (typeof x === "string") return str(x);
    if (typeof x !== "object") throw new Error(`pickle: cannot write a ${typeof x}`);
    if (x instanceof Uint8Array) return bytes(x);
    if (x instanceof tf.Tensor) {
      if (x.isDisposed) throw new Error("pickle: a tensor to write was already disposed");
      return array(tensorToNpy(x));
    }
    if (isNpyArray(x)) return array(x);
    if (x instanceof PickledDtype) return dtype(x.descr);
    if (x instanceof ShapeDtype || x instanceof PickledShapeDtype) {
      // trax.shapes.ShapeDtype.__new__(ShapeDtype) then __setstate__((None, {'shape': ..., 'dtype': ...}))
      const d = x instanceof ShapeDtype ? ({ float32: "<f4", int32: "<i4", bool: "|b1" } as Record<string, string>)[x.dtype] : x.dtype?.descr;
      if (!d) throw new Error(`pickle: a ShapeDtype of dtype ${String((x as ShapeDtype).dtype)} has no numpy dtype`);
      global("trax.shapes", "ShapeDtype");
      w.byte(0x29, 0x81);
      w.byte(0x4e);
      w.byte(0x7d, 0x28);
      str("shape");
      tuple(x.shape);
      str("dtype");
      dtype(d);
      w.byte(0x75, 0x86, 0x62);
      return;
    }
    if (active.has(x)) throw new Error("pickle: the value contains a cycle");
    active.add(x);
    try {
      if (x instanceof PyDefaultDict) {
        global("collections", "defaultdict");
        global("builtins", "list");
        w.byte(0x85, 0x52);
        w.byte(0x28);
        for (const [k, v] of x.items) {
          save(k);
          save(v);
        }
        w.byte(0x75);
      } else if (Array.isArray(x)) {
        const items = x as unknown[];
        if (isPyTuple(items as unknown)) tuple(items);
        else {
          w.byte(0x5d);
          if (items.length > 0) {
            w.byte(0x28);
            items.forEach(save);
            w.byte(0x65);
          }
        }
      } else if (x instanceof Map) dict(x.entries());
      else if (Object.getPrototypeOf(x) === Object.prototype) dict(Object.entries(x));
      else throw new Error(`pickle: cannot write a ${x.constructor?.name ?? "value"}`);
    } finally {
      active.delete(x);
    }
  };
  w.byte(0x80, 4);
  save(value);
  w.byte(0x2e);
  return w.result();
}
