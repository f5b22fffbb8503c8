/**
 * Synthetic sequence tasks, as Trax's `sequence_copy_inputs` and
 * `addition_inputs`: endless, seeded streams of examples for sequence models.
 * Every example is `[x, x, weights]` in language-model form (inputs equal
 * targets, the model shifts right itself); the weights are 1 only where the
 * model has to produce the answer.
 * @module
 */
import { foldIn, getPrng, randintArray, type PRNGKey } from "../fastmath/random";
import type { Example } from "./examples";

/** Options of {@link copyTask} and {@link reverseTask}. */
export interface CopyTaskOptions {
  /** Number of ids: 0 is the separator/padding, symbols are 1..vocabSize-1; default 10. */
  vocabSize?: number;
  /** Shortest word; default 1. */
  minLength?: number;
  /** Longest word; default 8. */
  maxLength?: number;
  /** Seed of the stream; default 0. The same seed gives the same examples. */
  seed?: number;
  /** Stop after this many examples; default: never. */
  count?: number;
}

function checkInt(v: number, name: string, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`trax-ts data: ${name} must be an integer >= ${min}, got ${v}`);
}

function* sequenceTask(options: CopyTaskOptions, reverse: boolean): Generator<Example> {
  const vocabSize = options.vocabSize ?? 10;
  const minLength = options.minLength ?? 1;
  const maxLength = options.maxLength ?? 8;
  checkInt(vocabSize, "vocabSize", 2);
  checkInt(minLength, "minLength", 1);
  checkInt(maxLength, "maxLength", minLength);
  const key = getPrng(options.seed ?? 0);
  const count = options.count ?? Infinity;
  for (let i = 0; i < count; i++) {
    const k = foldIn(key, i);
    const len = minLength + randintArray(foldIn(k, 0), 1, 0, maxLength - minLength + 1)[0];
    const w = randintArray(foldIn(k, 1), len, 1, vocabSize);
    // 0 w 0 w'  (w' = w, or w reversed); the loss covers w' only.
    const x = new Int32Array(2 * len + 2);
    x.set(w, 1);
    for (let j = 0; j < len; j++) x[len + 2 + j] = reverse ? w[len - 1 - j] : w[j];
    const weights = new Float32Array(2 * len + 2);
    weights.fill(1, len + 2);
    yield [x, x, weights];
  }
}

/**
 * The sequence copy task of Trax's `sequence_copy_inputs`: `0 w 0 w` for a
 * random word `w` of symbols 1..vocabSize-1, as `[x, x, weights]` with
 * weights 1 on the second `w` only (the model must recall it). Lengths vary:
 * pad them into batches with `trax.data.padBatch` or `PadBatch`.
 *
 * @example
 * ```ts
 * const [ex] = trax.data.take(trax.data.copyTask({ vocabSize: 5, maxLength: 3, seed: 1 }), 1);
 * // ex[0]: Int32Array like [0, 3, 1, 0, 3, 1]; ex[2]: [0, 0, 0, 0, 1, 1]
 * ```
 */
export function copyTask(options: CopyTaskOptions = {}): Generator<Example> {
  return sequenceTask(options, false);
}

/**
 * The reverse task (`sequence_copy_inputs` with `reverse=True`): `0 w 0 reversed(w)`
 * as `[x, x, weights]`, weights 1 on the reversed word.
 *
 * @example
 * ```ts
 * const [ex] = trax.data.take(trax.data.reverseTask({ vocabSize: 5, maxLength: 3 }), 1);
 * // ex[0]: like [0, 3, 1, 0, 1, 3]
 * ```
 */
export function reverseTask(options: CopyTaskOptions = {}): Generator<Example> {
  return sequenceTask(options, true);
}

/**
 * Digits of `n` in `base`, least significant first (Trax's `number_to_lower_endian`).
 *
 * @example
 * ```ts
 * trax.data.numberToLowerEndian(123, 10); // [3, 2, 1]
 * ```
 */
export function numberToLowerEndian(n: number, base: number): number[] {
  checkInt(n, "n", 0);
  checkInt(base, "base", 2);
  const out: number[] = [];
  do {
    out.push(n % base);
    n = Math.floor(n / base);
  } while (n > 0);
  return out;
}

/**
 * The number whose digits in `base`, least significant first, are `digits`
 * (Trax's `lower_endian_to_number`).
 *
 * @example
 * ```ts
 * trax.data.lowerEndianToNumber([3, 2, 1], 10); // 123
 * ```
 */
export function lowerEndianToNumber(digits: ArrayLike<number>, base: number): number {
  let n = 0;
  for (let i = digits.length - 1; i >= 0; i--) n = n * base + digits[i];
  return n;
}

/** Options of {@link additionTask}. */
export interface AdditionTaskOptions {
  /** Number of ids: digits in base `vocabSize - 3`, plus padding, "+" and "<S>"; default 13 (base 10). */
  vocabSize?: number;
  /** Shortest whole problem "x+y" (at least 3); default 3. */
  minLength?: number;
  /** Longest whole problem "x+y"; default 7. */
  maxLength?: number;
  /** Seed of the stream; default 0. */
  seed?: number;
  /** Stop after this many examples; default: never. */
  count?: number;
}

/**
 * The addition task of Trax's `addition_input_stream`: `<S> x + y <S> (x+y)`
 * with numbers written least significant digit first, as `[z, z, weights]`
 * with weights 1 on the sum's digits. Ids: padding 0, digit `d` is `d + 1`,
 * "+" is `base + 1`, "<S>" is `base + 2`, with `base = vocabSize - 3`.
 *
 * @example
 * ```ts
 * const [[z]] = trax.data.take(trax.data.additionTask({ seed: 0 }), 1);
 * trax.data.decodeAddition(z); // "416+183=599" (seed 0: the digits of z are least significant first)
 * ```
 */
export function* additionTask(options: AdditionTaskOptions = {}): Generator<Example> {
  const vocabSize = options.vocabSize ?? 13;
  const minLength = options.minLength ?? 3;
  const maxLength = options.maxLength ?? 7;
  checkInt(vocabSize, "vocabSize", 5);
  checkInt(minLength, "minLength", 3);
  checkInt(maxLength, "maxLength", minLength);
  const base = vocabSize - 3;
  const key = getPrng(options.seed ?? 0);
  const count = options.count ?? Infinity;
  const addLen = Math.floor((minLength - 1) / 2);
  for (let i = 0; i < count; i++) {
    const k = foldIn(key, i);
    // As Trax: l1 in [addLen, addLen + (maxLength - addLen + 1) // 2), l2 in [1, maxLength - l1).
    const l1 = Math.max(1, addLen + randintArray(foldIn(k, 0), 1, 0, Math.max(1, Math.floor((maxLength - addLen + 1) / 2)))[0]);
    const l2 = 1 + randintArray(foldIn(k, 1), 1, 0, Math.max(1, maxLength - l1 - 1))[0];
    const n1 = randomLowerEndian(foldIn(k, 2), l1, base);
    const n2 = randomLowerEndian(foldIn(k, 3), l2, base);
    const sum = addLowerEndian(n1, n2, base);
    const inp = [...n1, base, ...n2];
    const z = Int32Array.from([base + 2, ...inp.map((d) => d + 1), base + 2, ...sum.map((d) => d + 1)]);
    const weights = new Float32Array(z.length);
    weights.fill(1, inp.length + 2);
    yield [z, z, weights];
  }
}

/** Random lower-endian digits; the last (most significant) is non-zero unless length is 1. */
function randomLowerEndian(key: PRNGKey, length: number, base: number): number[] {
  if (length === 1) return [randintArray(key, 1, 0, base)[0]];
  const prefix = Array.from(randintArray(foldIn(key, 0), length - 1, 0, base));
  return [...prefix, 1 + randintArray(foldIn(key, 1), 1, 0, base - 1)[0]];
}

/** Adds lower-endian digit lists without converting to numbers (no overflow). */
function addLowerEndian(a: number[], b: number[], base: number): number[] {
  const out: number[] = [];
  let carry = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const s = (a[i] ?? 0) + (b[i] ?? 0) + carry;
    out.push(s % base);
    carry = Math.floor(s / base);
  }
  if (carry > 0) out.push(carry);
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out;
}

/**
 * Reads an addition-task sequence back as text, numbers most significant
 * digit first: `"x+y=s"` (the part after the second `<S>` may be a model's
 * prediction; padding is skipped). Works for bases up to 10.
 *
 * @example
 * ```ts
 * trax.data.decodeAddition([12, 3, 11, 4, 12, 6]); // "2+3=5"
 * ```
 */
export function decodeAddition(z: ArrayLike<number>, vocabSize = 13): string {
  const base = vocabSize - 3;
  const parts: number[][] = [[]];
  let seenStart = 0;
  for (let i = 0; i < z.length; i++) {
    const id = z[i];
    if (id === 0) continue;
    if (id === base + 2) {
      seenStart++;
      if (seenStart === 2) parts.push([]);
      continue;
    }
    if (id === base + 1) {
      parts.push([]);
      continue;
    }
    parts[parts.length - 1].push(id - 1);
  }
  const num = (d: number[]) => (d.length === 0 ? "" : [...d].reverse().join(""));
  const [x = [], y = [], s] = parts;
  return `${num(x)}+${num(y)}` + (s === undefined ? "" : `=${num(s)}`);
}
