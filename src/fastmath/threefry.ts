/**
 * Threefry-2x32 (20 rounds), the counter-based hash behind JAX's PRNG, in plain
 * JavaScript on unsigned 32-bit integers, so every backend gets the same bits.
 * @module
 */

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];

function rotl(v: number, r: number): number {
  return ((v << r) | (v >>> (32 - r))) >>> 0;
}

/**
 * Hashes counter pairs `(x0[i], x1[i])` under the key `(k0, k1)`, writing the
 * results into `out0`/`out1` (which may alias the inputs).
 *
 * @example
 * ```ts
 * const x0 = new Uint32Array([0]), x1 = new Uint32Array([0]);
 * threefry2x32Block(0, 0, x0, x1, x0, x1); // x0[0] === 0x6b200159, x1[0] === 0x99ba4efe
 * ```
 */
export function threefry2x32Block(
  k0: number,
  k1: number,
  x0: ArrayLike<number>,
  x1: ArrayLike<number>,
  out0: Uint32Array,
  out1: Uint32Array
): void {
  const ks0 = k0 >>> 0;
  const ks1 = k1 >>> 0;
  const ks2 = (ks0 ^ ks1 ^ 0x1bd11bda) >>> 0;
  const ks = [ks0, ks1, ks2];
  const n = x0.length;
  for (let i = 0; i < n; i++) {
    let a = (x0[i] + ks0) >>> 0;
    let b = (x1[i] + ks1) >>> 0;
    for (let round = 0; round < 5; round++) {
      const rot = ROTATIONS[round % 2];
      for (let j = 0; j < 4; j++) {
        a = (a + b) >>> 0;
        b = rotl(b, rot[j]);
        b = (b ^ a) >>> 0;
      }
      const s = round + 1;
      a = (a + ks[s % 3]) >>> 0;
      b = (b + ks[(s + 1) % 3] + s) >>> 0;
    }
    out0[i] = a;
    out1[i] = b;
  }
}

/**
 * JAX's `threefry_2x32(key, count)`: hashes a flat array of counters. An odd
 * length is padded with one zero; the array is split in halves that form the
 * pairs, and the two output halves are concatenated back.
 *
 * @example
 * ```ts
 * threefry2x32([0, 0], [0, 0]); // Uint32Array [0x6b200159, 0x99ba4efe]
 * ```
 */
export function threefry2x32(key: ArrayLike<number>, count: ArrayLike<number>): Uint32Array {
  const n = count.length;
  const padded = n % 2 === 1 ? n + 1 : n;
  const half = padded / 2;
  const x0 = new Uint32Array(half);
  const x1 = new Uint32Array(half);
  for (let i = 0; i < half; i++) {
    x0[i] = count[i] >>> 0;
    x1[i] = i + half < n ? count[i + half] >>> 0 : 0;
  }
  threefry2x32Block(key[0], key[1], x0, x1, x0, x1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i < half ? x0[i] : x1[i - half];
  return out;
}
