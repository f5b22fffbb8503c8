/**
 * Splittable random keys with JAX's conventions (threefry-2x32), as Trax uses
 * them. A key is a `Uint32Array` of length 2; the same key gives the same
 * numbers on every backend, because the bits are made here in JavaScript.
 *
 * @example
 * ```ts
 * const { random } = trax.fastmath;
 * const key = random.getPrng(0);           // Uint32Array [0, 0]
 * const [k1, k2] = random.split(key, 2);
 * random.normal(k1, [2, 3]).print();
 * ```
 * @module
 */
import { tf } from "../backend/tf";
import { threefry2x32 } from "./threefry";

/** A random key: two unsigned 32-bit words, as JAX's `PRNGKey`. */
export type PRNGKey = Uint32Array;

const TWO_32 = 4294967296;

function checkKey(key: PRNGKey): void {
  if (!(key instanceof Uint32Array) || key.length !== 2) {
    throw new TypeError(`trax-ts: a random key is a Uint32Array of length 2 (from getPrng), got ${describe(key)}`);
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as Uint8Array).length})`;
  return typeof x === "object" ? (x as object).constructor?.name ?? "object" : typeof x;
}

function checkShape(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`trax-ts: invalid shape [${shape.join(", ")}]`);
    size *= d;
  }
  return size;
}

/**
 * The key for an integer seed, as JAX's `PRNGKey(seed)`: the pair
 * `(high word, low word)`, which is `(0, seed)` for seeds below 2^32.
 *
 * @example
 * ```ts
 * getPrng(42); // Uint32Array [0, 42]
 * ```
 */
export function getPrng(seed: number): PRNGKey {
  if (!Number.isInteger(seed)) throw new TypeError(`trax-ts: getPrng needs an integer seed, got ${seed}`);
  if (seed < 0) return new Uint32Array([0xffffffff, seed >>> 0]);
  return new Uint32Array([Math.floor(seed / TWO_32) >>> 0, seed >>> 0]);
}

/**
 * Splits a key into `n` new keys (JAX's original threefry split).
 *
 * @example
 * ```ts
 * const [a, b] = split(getPrng(0)); // two independent keys
 * ```
 */
export function split(key: PRNGKey, n = 2): PRNGKey[] {
  checkKey(key);
  // Layers split the same key on every call (a Serial splits its key among its
  // sublayers); remember the answer for each key object.
  let byN = splitCache.get(key);
  const cached = byN?.get(n);
  if (cached) return cached.slice();
  const keys = splitUncached(key, n);
  if (!byN) splitCache.set(key, (byN = new Map()));
  byN.set(n, keys);
  return keys.slice();
}

const splitCache = new WeakMap<PRNGKey, Map<number, PRNGKey[]>>();

/**
 * {@link split} without the copy: the remembered array itself, which the
 * caller must not change (for a combinator's every call). @internal
 *
 * @example
 * ```ts
 * const rngs = splitShared(layer.rng, 3); // rngs[i] for sublayer i; read only
 * ```
 */
export function splitShared(key: PRNGKey, n: number): readonly PRNGKey[] {
  const cached = splitCache.get(key)?.get(n);
  return cached ?? (split(key, n), splitCache.get(key)!.get(n)!);
}

function splitUncached(key: PRNGKey, n: number): PRNGKey[] {
  const counts = new Uint32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) counts[i] = i;
  const bits = threefry2x32(key, counts);
  const keys: PRNGKey[] = [];
  for (let i = 0; i < n; i++) keys.push(bits.slice(2 * i, 2 * i + 2));
  return keys;
}

/**
 * Folds an integer into a key, giving a new key (JAX's `fold_in`).
 *
 * @example
 * ```ts
 * const stepKey = foldIn(getPrng(0), 7);
 * ```
 */
export function foldIn(key: PRNGKey, data: number): PRNGKey {
  checkKey(key);
  return threefry2x32(key, getPrng(data));
}

/**
 * `n` random 32-bit words for a key, as JAX's `random_bits(key, 32, shape)`.
 *
 * @example
 * ```ts
 * randomBits(getPrng(0), 2); // Uint32Array of 2 words, the same for the same key
 * ```
 */
export function randomBits(key: PRNGKey, size: number): Uint32Array {
  checkKey(key);
  const counts = new Uint32Array(size);
  for (let i = 0; i < size; i++) counts[i] = i;
  return threefry2x32(key, counts);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Uniform floats in [0, 1) from random words, exactly as JAX builds them. */
function unitFloats(bits: Uint32Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    u32[0] = (bits[i] >>> 9) | 0x3f800000;
    out[i] = f32[0] - 1;
  }
  return out;
}

/**
 * Uniform values in `[minval, maxval)` as a plain Float32Array (JAX's algorithm).
 *
 * @example
 * ```ts
 * uniformArray(getPrng(0), 3); // Float32Array [0.9653214, 0.31468165, 0.63302994] (as jax.random.uniform)
 * ```
 */
export function uniformArray(key: PRNGKey, size: number, minval = 0, maxval = 1): Float32Array {
  const u = unitFloats(randomBits(key, size));
  const lo = Math.fround(minval);
  const span = Math.fround(Math.fround(maxval) - lo);
  for (let i = 0; i < u.length; i++) u[i] = Math.max(lo, Math.fround(Math.fround(u[i] * span) + lo));
  return u;
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  /** Lower bound (inclusive); default 0. */
  minval?: number;
  /** Upper bound (exclusive); default 1. */
  maxval?: number;
}

/**
 * A float32 tensor of the given shape, uniform in `[minval, maxval)`.
 *
 * @example
 * ```ts
 * uniform(getPrng(0), [2, 2], { minval: -1, maxval: 1 });
 * ```
 */
export function uniform(key: PRNGKey, shape: readonly number[], options: UniformOptions = {}): tf.Tensor {
  const size = checkShape(shape);
  return tf.tensor(uniformArray(key, size, options.minval ?? 0, options.maxval ?? 1), [...shape], "float32");
}

/**
 * The inverse error function in single precision (Giles' approximation, the
 * one XLA uses for float32).
 *
 * @example
 * ```ts
 * erfinv(0.5); // ≈ 0.476936
 * erfinv(1); // Infinity
 * ```
 */
export function erfinv(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w = w - 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return Math.abs(x) === 1 ? x * Infinity : p * x;
}

/**
 * The error function (Abramowitz and Stegun 7.1.26 refined; |error| < 1.5e-7).
 *
 * @example
 * ```ts
 * erf(1); // ≈ 0.842701
 * erf(-1); // ≈ -0.842701
 * ```
 */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

const NEXT_AFTER_MINUS_ONE = -0.99999994; // float32 nextafter(-1, 0)

/**
 * Standard normal values as a plain Float32Array (JAX's algorithm: sqrt(2) * erfinv(u)).
 *
 * @example
 * ```ts
 * normalArray(getPrng(0), 3); // Float32Array [1.8160863, -0.48262316, 0.33988908] (as jax.random.normal)
 * ```
 */
export function normalArray(key: PRNGKey, size: number): Float32Array {
  const u = uniformArray(key, size, NEXT_AFTER_MINUS_ONE, 1);
  for (let i = 0; i < u.length; i++) u[i] = Math.fround(Math.SQRT2 * erfinv(u[i]));
  return u;
}

/**
 * A float32 tensor of standard normal values, of shape `shape`.
 *
 * @example
 * ```ts
 * normal(getPrng(1), [3]); // mean 0, variance 1
 * ```
 */
export function normal(key: PRNGKey, shape: readonly number[]): tf.Tensor {
  const size = checkShape(shape);
  return tf.tensor(normalArray(key, size), [...shape], "float32");
}

/**
 * Normal values truncated to `[lower, upper]` (JAX's `truncated_normal`):
 * a float32 tensor of shape `shape`.
 *
 * @example
 * ```ts
 * truncatedNormal(getPrng(0), -2, 2, [100]); // 100 values in [-2, 2]
 * ```
 */
export function truncatedNormal(key: PRNGKey, lower: number, upper: number, shape: readonly number[]): tf.Tensor {
  const size = checkShape(shape);
  const a = erf(lower / Math.SQRT2);
  const b = erf(upper / Math.SQRT2);
  const u = uniformArray(key, size, a, b);
  const lo = Math.fround(lower) + 1e-7 * Math.abs(lower || 1);
  const hi = Math.fround(upper) - 1e-7 * Math.abs(upper || 1);
  for (let i = 0; i < u.length; i++) u[i] = Math.min(hi, Math.max(lo, Math.SQRT2 * erfinv(u[i])));
  return tf.tensor(u, [...shape], "float32");
}

/**
 * A boolean tensor of shape `shape` (default scalar), each value true with probability `p`.
 *
 * @example
 * ```ts
 * bernoulli(getPrng(0), 0.9, [4]); // mostly true
 * ```
 */
export function bernoulli(key: PRNGKey, p = 0.5, shape: readonly number[] = []): tf.Tensor {
  const size = checkShape(shape);
  const u = uniformArray(key, size);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = u[i] < p ? 1 : 0;
  return tf.tensor(out, [...shape], "bool");
}

/**
 * Integers uniform in `[minval, maxval)`, as JAX's `randint` makes them: an
 * int32 tensor of shape `shape`.
 *
 * @example
 * ```ts
 * randint(getPrng(0), [5], 0, 10); // int32 values in 0..9
 * ```
 */
export function randint(key: PRNGKey, shape: readonly number[], minval: number, maxval: number): tf.Tensor {
  const size = checkShape(shape);
  return tf.tensor(randintArray(key, size, minval, maxval), [...shape], "int32");
}

/**
 * {@link randint} as a plain Int32Array.
 *
 * @example
 * ```ts
 * randintArray(getPrng(0), 5, 0, 10); // Int32Array of 5 values in 0..9
 * ```
 */
export function randintArray(key: PRNGKey, size: number, minval: number, maxval: number): Int32Array {
  if (!Number.isInteger(minval) || !Number.isInteger(maxval)) {
    throw new TypeError(`trax-ts: randint bounds must be integers, got [${minval}, ${maxval})`);
  }
  const [k1, k2] = split(key, 2);
  const higher = randomBits(k1, size);
  const lower = randomBits(k2, size);
  const lo = Math.max(minval, -2147483648);
  const hi = Math.min(maxval, 2147483647);
  let span = (hi - lo) >>> 0;
  if (hi <= lo) span = 1;
  const mul32 = (a: number, b: number) => Math.imul(a, b) >>> 0;
  let multiplier = 65536 % span;
  multiplier = mul32(multiplier, multiplier) % span;
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    let offset = (mul32(higher[i] % span, multiplier) + (lower[i] % span)) >>> 0;
    offset = offset % span;
    out[i] = (lo + offset) | 0;
  }
  return out;
}
