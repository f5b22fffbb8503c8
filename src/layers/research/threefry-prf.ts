/**
 * Threefry-2x32 as a pseudorandom function on counter pairs, as Trax's
 * `threefry_2x32_prf` and `threefry_2x32_prange` (JAX-compatible bits).
 * @module
 */
import { threefry2x32Block } from "../../fastmath/threefry";

type Pairs = readonly (readonly number[])[];

function checkWord(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TypeError(`${name} must hold unsigned 32-bit integers; got ${v}`);
}

function checkKey(key: ArrayLike<number>): void {
  if (!key || key.length !== 2) throw new TypeError(`key must be uint32[2] (two unsigned 32-bit words); got ${key === null || key === undefined ? key : `length ${key.length}`}`);
  checkWord("key", key[0] as number);
  checkWord("key", key[1] as number);
}

/** Hashes flat interleaved pairs `[a0, b0, a1, b1, ...]` under `key`. */
function prfFlat(key: ArrayLike<number>, x: ArrayLike<number>): Uint32Array {
  const n = x.length / 2;
  const x0 = new Uint32Array(n);
  const x1 = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    x0[i] = x[2 * i] as number;
    x1[i] = x[2 * i + 1] as number;
  }
  return hashInterleaved(key, x0, x1);
}

/**
 * Applies the Threefry-2x32 PRF to each input pair: `y[..., :] = threefry(key, x[..., :])`.
 * Vectorized over `x`; both words of each pair are one counter block.
 *
 * `key` uint32[2]; `x` uint32[..., 2] as nested arrays of pairs (output the
 * same nesting) or flat interleaved words `[a0, b0, a1, b1, ...]` (output a
 * `Uint32Array` of the same layout).
 *
 * @example
 * ```ts
 * tl.threefry2x32Prf([0, 0], [[0, 0]]); // [[0x6b200159, 0x99ba4efe]], as JAX's threefry_2x32
 * ```
 */
export function threefry2x32Prf(key: ArrayLike<number>, x: Pairs): number[][];
export function threefry2x32Prf(key: ArrayLike<number>, x: ArrayLike<number>): Uint32Array;
export function threefry2x32Prf(key: ArrayLike<number>, x: Pairs | ArrayLike<number>): number[][] | Uint32Array {
  checkKey(key);
  const nested = Array.isArray(x) && x.length > 0 && Array.isArray(x[0]);
  if (!nested) {
    const flat = x as ArrayLike<number>;
    if (flat.length % 2 !== 0) throw new TypeError(`x must be uint32[..., 2]: an even number of words; got ${flat.length}`);
    for (let i = 0; i < flat.length; i++) checkWord("x", flat[i] as number);
    return prfFlat(key, flat);
  }
  const flatten = (v: unknown, out: number[]): void => {
    if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) for (const w of v) flatten(w, out);
    else {
      if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`x must be uint32[..., 2]: pairs of words; found ${JSON.stringify(v)}`);
      checkWord("x", v[0]);
      checkWord("x", v[1]);
      out.push(v[0], v[1]);
    }
  };
  const words: number[] = [];
  flatten(x, words);
  const y = prfFlat(key, words);
  let i = 0;
  const rebuild = (v: unknown): any => {
    if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) return v.map(rebuild);
    const pair = [y[i] as number, y[i + 1] as number];
    i += 2;
    return pair;
  };
  return rebuild(x);
}

/** {@link threefry2x32Prange} as flat interleaved words (for long streams). */
export function threefry2x32PrangeFlat(key: ArrayLike<number>, lo: number, hi: number): Uint32Array {
  const n = hi - lo;
  const x0 = new Uint32Array(n);
  const x1 = new Uint32Array(n);
  for (let i = 0; i < n; i++) x0[i] = lo + i;
  return hashInterleaved(key, x0, x1);
}

/**
 * Splits a key into a stream of keys in little-endian counter mode: key `i`
 * is the PRF of the 64-bit counter `(lo + i, 0)`, for `i < hi - lo`.
 *
 * Returns `hi - lo` keys, each a `Uint32Array(2)` (usable with
 * `trax.fastmath.random`).
 *
 * @example
 * ```ts
 * tl.threefry2x32Prange(new Uint32Array([0, 0]), { lo: 0, hi: 2 });
 * // [Uint32Array [0x6b200159, 0x99ba4efe], ...]
 * ```
 */
export function threefry2x32Prange(key: ArrayLike<number>, options: { lo?: number; hi?: number } = {}): Uint32Array[] {
  checkKey(key);
  const lo = options.lo ?? 0;
  const hi = options.hi ?? 2;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo) throw new Error(`threefry2x32Prange needs integers 0 <= lo <= hi; got lo ${lo}, hi ${hi}`);
  if (!(hi < 2 ** 32)) throw new Error("threefry2x32Prange: only 32-bit sizes are supported");
  const flat = threefry2x32PrangeFlat(key, lo, hi);
  const out: Uint32Array[] = [];
  for (let i = 0; i < hi - lo; i++) out.push(flat.slice(2 * i, 2 * i + 2));
  return out;
}

/** Hashes the counter pairs `(x0[i], x1[i])` in place and interleaves them: `[y0, y1, y0, y1, ...]`. */
function hashInterleaved(key: ArrayLike<number>, x0: Uint32Array, x1: Uint32Array): Uint32Array {
  threefry2x32Block(key[0] as number, key[1] as number, x0, x1, x0, x1);
  const n = x0.length;
  const out = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = x0[i] as number;
    out[2 * i + 1] = x1[i] as number;
  }
  return out;
}
