/**
 * Angular locality-sensitive hashing by random rotations (Andoni et al. 2015),
 * as Trax's `hash_vecs`: the same key gives the same rotations as JAX.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import { bmm } from "../attention-math";

/** Bucket counts: one even number, or a list of even factors (hierarchical hashing). */
export type NBuckets = number | readonly number[];

/** `[rotationSize, totalBuckets]` for a bucket spec, checking that every factor is even. */
export function bucketSpec(nBucketsIn: NBuckets): [number, number] {
  const factors = typeof nBucketsIn === "number" ? [nBucketsIn] : [...nBucketsIn];
  if (factors.length === 0) throw new Error("nBuckets must be an even number or a non-empty list of even numbers");
  let rot = 0;
  let total = 1;
  for (const f of factors) {
    if (!Number.isInteger(f) || f <= 0 || f % 2 !== 0) throw new Error(`bucket counts must be positive even integers; got ${JSON.stringify(nBucketsIn)}`);
    rot += f;
    total *= f;
  }
  return [rot, total];
}

/**
 * Hashes rows of many independent problems at once: `vecs (r, n, depth)` with
 * one key per row of `r` gives buckets `(r, nHashes, n)` int32.
 */
export function hashVecsBatched(vecs: tf.Tensor, nBucketsIn: NBuckets, nHashes: number, rngs: readonly PRNGKey[]): [tf.Tensor, number] {
  const [rotSize, nBuckets] = bucketSpec(nBucketsIn);
  if (!Number.isInteger(nHashes) || nHashes <= 0) throw new Error(`nHashes must be a positive integer; got ${nHashes}`);
  if (vecs.rank !== 3 || vecs.shape[0] !== rngs.length) {
    throw new Error(`hashVecsBatched expects (rows, n, depth) with one key per row; got shape [${vecs.shape}] and ${rngs.length} keys`);
  }
  const [r, n, depth] = vecs.shape;
  const half = rotSize / 2;
  const buckets = tf.tidy(() => {
    // Rotations (depth, nHashes, rot/2) per row, drawn as JAX's normal(rng, shape).
    const size = depth * nHashes * half;
    const data = new Float32Array(r * size);
    rngs.forEach((key, i) => data.set(random.normalArray(key, size), i * size));
    const rot = tf.tensor3d(data, [r, depth, nHashes * half]);
    const rotated = bmm(vecs.toFloat(), rot).reshape([r, n, nHashes, half]).transpose([0, 2, 1, 3]);
    const factors = typeof nBucketsIn === "number" ? [nBucketsIn] : [...nBucketsIn];
    let out: tf.Tensor | null = null;
    let offset = 0;
    let product = 1;
    for (const f of factors) {
      const rv = factors.length === 1 ? rotated : rotated.slice([0, 0, 0, offset], [r, nHashes, n, f / 2]);
      offset += f / 2;
      const b = tf.argMax(tf.concat([rv, tf.neg(rv)], -1), -1).toInt();
      out = out === null ? b : out.add(b.mul(product));
      product *= f;
    }
    return out as tf.Tensor;
  });
  return [buckets, nBuckets];
}

/**
 * Hashes vectors into buckets by random rotations, as Trax's `hash_vecs`:
 * project onto `nBuckets/2` random directions per hash round and take the
 * argmax over `[xR, -xR]`. With a list of bucket counts the hash is the
 * product of one hash per factor (hierarchical hashing).
 *
 * `vecs (batch, depth)`; returns `[buckets (nHashes, batch) int32, nBuckets]`
 * where `nBuckets` is the product of the counts.
 *
 * @example
 * ```ts
 * const [buckets, n] = tl.hashVecs(tf.randomNormal([10, 8]), 4, 2, trax.fastmath.random.getPrng(0));
 * buckets.shape; // [2, 10], values in 0..3; n = 4
 * ```
 */
export function hashVecs(vecs: tf.Tensor, nBucketsIn: NBuckets, nHashes: number, rng: PRNGKey): [tf.Tensor, number] {
  if (vecs.rank !== 2) throw new Error(`hashVecs expects vectors (batch, depth); got shape [${vecs.shape}]`);
  let n = 0;
  const out = tf.tidy(() => {
    const [buckets, total] = hashVecsBatched(vecs.expandDims(0), nBucketsIn, nHashes, [rng]);
    n = total;
    return buckets.squeeze([0]);
  });
  return [out, n];
}
