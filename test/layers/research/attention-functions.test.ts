import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, tl, trax } from "../../helpers";

const { random } = trax.fastmath;
const test = suite("research.efficient_attention functions");
test.before(ready);

/** Plain softmax attention in JS: `softmax(q k^T * scale + penalty) v` with `penalty[i][j]` added. */
function refAttention(q: number[][], k: number[][], v: number[][], penalty: (i: number, j: number) => number): [number[][], number[]] {
  const d = q[0].length;
  const out: number[][] = [];
  const lses: number[] = [];
  for (let i = 0; i < q.length; i++) {
    const logits = k.map((kj, j) => kj.reduce((s, x, t) => s + x * q[i][t], 0) / Math.sqrt(d) + penalty(i, j));
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const z = e.reduce((a, b) => a + b, 0);
    lses.push(m + Math.log(z));
    out.push(v[0].map((_, c) => e.reduce((s, w, j) => s + (w / z) * v[j][c], 0)));
  }
  return [out, lses];
}

function normalized(x: number[][]): number[][] {
  return x.map((r) => {
    const ms = r.reduce((s, a) => s + a * a, 0) / r.length;
    return r.map((a) => a / Math.sqrt(ms + 1e-6));
  });
}

// ------------------------------------------------------------ lengthNormalized

test("lengthNormalized: rows get mean square 1 (norm sqrt(d))", () => {
  const x = tf.tensor2d([[3, 4], [1, 0], [-2, 2]]);
  const y = tl.lengthNormalized(x);
  assertClose(y, [[3 / Math.sqrt(12.5 + 1e-6), 4 / Math.sqrt(12.5 + 1e-6)], [1 / Math.sqrt(0.5 + 1e-6), 0], [-1, 1]], 1e-5);
  assertClose(tf.mean(tf.square(y), -1), [1, 1, 1], 1e-4);
  assertClose(tl.lengthNormalized(tf.tensor2d([[0, 0]]), { epsilon: 1 }), [[0, 0]]);
});

// ------------------------------------------------------------- lookAdjacent

test("lookAdjacent: previous chunk first, wrapping around (Trax look_adjacent)", () => {
  const x = tf.tensor3d([[[1], [2]], [[3], [4]], [[5], [6]]]); // 3 chunks of 2
  assert.equal(tl.lookAdjacent(x, 0, 0).arraySync(), x.arraySync());
  assert.equal(tl.lookAdjacent(x, 1, 0).arraySync(), [[[5], [6], [1], [2]], [[1], [2], [3], [4]], [[3], [4], [5], [6]]]);
  assert.equal(tl.lookAdjacent(x, 0, 1).arraySync(), [[[1], [2], [3], [4]], [[3], [4], [5], [6]], [[5], [6], [1], [2]]]);
  const both = tl.lookAdjacent(x, 1, 1);
  assert.equal(both.shape, [3, 6, 1]);
  assert.equal(both.arraySync(), [[[5], [6], [1], [2], [3], [4]], [[1], [2], [3], [4], [5], [6]], [[3], [4], [5], [6], [1], [2]]]);
  assert.equal(tl.lookAdjacent(tf.tensor2d([[1], [2], [3]]), 2, 0).arraySync(), [[2, 3, 1], [3, 1, 2], [1, 2, 3]]);
});

// -------------------------------------------------------- maskSelfAttention

test("maskSelfAttention: causal 1e9, self 1e5, padding (negative info) 1e9", () => {
  const dots = tf.zeros([3, 3]);
  const info = tf.tensor1d([0, 1, 2], "int32");
  const q = info.reshape([3, 1]);
  const kv = info.reshape([1, 3]);
  assertClose(tl.maskSelfAttention(dots, q, kv), [[-1e5, -1e9, -1e9], [0, -1e5, -1e9], [0, 0, -1e5]], 1);
  assertClose(tl.maskSelfAttention(dots, q, kv, { causal: false }), [[-1e5, 0, 0], [0, -1e5, 0], [0, 0, -1e5]], 1);
  assertClose(tl.maskSelfAttention(dots, q, kv, { excludeSelf: false }), [[0, -1e9, -1e9], [0, 0, -1e9], [0, 0, 0]], 1);
  const padded = tf.tensor2d([[1, -3, 2]], [1, 3], "int32");
  assertClose(tl.maskSelfAttention(dots, q, padded, { causal: false, excludeSelf: false, masked: true }), [[0, -1e9, 0], [0, -1e9, 0], [0, -1e9, 0]], 1);
});

// ------------------------------------------------------------------- attend

function normalRows(seed: number, n: number, d: number): number[][] {
  const a = random.normalArray(random.getPrng(seed), n * d);
  return Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
}
const Q = normalRows(1, 8, 4);
const K = normalRows(2, 8, 4);
const V = normalRows(3, 8, 3);

test("attend without chunks equals softmax attention, with its logsumexp", () => {
  const [out, lse] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V) });
  const [ro, rl] = refAttention(Q, K, V, () => 0);
  assertClose(out, ro, 1e-5);
  assertClose(lse, rl, 1e-5);
});

test("attend with a causal mask function equals masked softmax attention", () => {
  const maskFn = (d: tf.Tensor, q: tf.Tensor, kv: tf.Tensor) => tl.maskSelfAttention(d, q, kv, { excludeSelf: false });
  const [out] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V), maskFn });
  assertClose(out, refAttention(Q, K, V, (i, j) => (j > i ? -1e9 : 0))[0], 1e-5);
});

test("attend with chunks of 2 and one chunk before equals banded causal attention", () => {
  const maskFn = (d: tf.Tensor, q: tf.Tensor, kv: tf.Tensor) => tl.maskSelfAttention(d, q, kv, { excludeSelf: false });
  const [out] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V), qChunkLen: 2, kvChunkLen: 2, nChunksBefore: 1, maskFn });
  // Query i sees keys j <= i in its own chunk and the previous one.
  const band = (i: number, j: number) => (j > i || j < (Math.floor(i / 2) - 1) * 2 ? -1e9 : 0);
  assertClose(out, refAttention(Q, K, V, band)[0], 1e-5);
});

test("attend with chunks and no mask: each chunk only sees itself (and wraps with nChunksAfter)", () => {
  const [out] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V), qChunkLen: 4, kvChunkLen: 4 });
  assertClose(out, refAttention(Q, K, V, (i, j) => (Math.floor(i / 4) === Math.floor(j / 4) ? 0 : -1e9))[0], 1e-5);
  // Two chunks, one after: every chunk sees both chunks (the next one wraps around).
  const [all] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V), qChunkLen: 4, kvChunkLen: 4, nChunksAfter: 1 });
  assertClose(all, refAttention(Q, K, V, () => 0)[0], 1e-5);
});

test("attend with shared QK length-normalizes the keys; q/kv info are 0-based positions", () => {
  const maskFn = (d: tf.Tensor, q: tf.Tensor, kv: tf.Tensor) => tl.maskSelfAttention(d, q, kv);
  const [out] = tl.attend(tf.tensor2d(Q), { v: tf.tensor2d(V), maskFn });
  const penalty = (i: number, j: number) => (j > i ? -1e9 : 0) + (j === i ? -1e5 : 0);
  assertClose(out, refAttention(Q, normalized(Q), V, penalty)[0], 1e-5);
  // Permuted queries with their positions as info give the permuted result.
  const perm = [3, 1, 0, 2, 7, 6, 5, 4];
  const [pout] = tl.attend(tf.tensor2d(perm.map((i) => Q[i])), { v: tf.tensor2d(perm.map((i) => V[i])), maskFn, qInfo: tf.tensor1d(perm, "int32") });
  const expected = refAttention(Q, normalized(Q), V, penalty)[0];
  assertClose(pout, perm.map((i) => expected[i]), 1e-5);
});

test("attend masks padding at position 0 too (infos are shifted to 1-based)", () => {
  const maskFn = (d: tf.Tensor, q: tf.Tensor, kv: tf.Tensor) => tl.maskSelfAttention(d, q, kv, { causal: false, excludeSelf: false, masked: true });
  // Key 0 is padding: info -2 becomes -1 after the shift.
  const kvInfo = tf.tensor1d([-2, 1, 2, 3, 4, 5, 6, 7], "int32");
  const [out] = tl.attend(tf.tensor2d(Q), { k: tf.tensor2d(K), v: tf.tensor2d(V), maskFn, kvInfo });
  assertClose(out, refAttention(Q, K, V, (_i, j) => (j === 0 ? -1e9 : 0))[0], 1e-5);
});

test("attend takes leading batch axes and broadcasts infos", () => {
  const q = random.normal(random.getPrng(4), [2, 3, 8, 4]);
  const v = random.normal(random.getPrng(5), [2, 3, 8, 3]);
  const [out, lse] = tl.attend(q, { v, qChunkLen: 4, kvChunkLen: 4, nChunksBefore: 1 });
  assert.equal(out.shape, [2, 3, 8, 3]);
  assert.equal(lse.shape, [2, 3, 8]);
  const [one] = tl.attend(q.slice([1, 2, 0, 0], [1, 1, 8, 4]).reshape([8, 4]), { v: v.slice([1, 2, 0, 0], [1, 1, 8, 3]).reshape([8, 3]), qChunkLen: 4, kvChunkLen: 4, nChunksBefore: 1 });
  assertClose(out.slice([1, 2, 0, 0], [1, 1, 8, 3]).reshape([8, 3]), one, 1e-5);
});

test("attend dropout: one mask shared by all chunks, scaled by 1/keep, deterministic per key", () => {
  const q = tf.tensor2d(Q);
  const v = tf.ones([8, 3]);
  const rng = random.getPrng(7);
  const [a] = tl.attend(q, { k: tf.tensor2d(K), v, dropout: 0.5, rng });
  const [b] = tl.attend(q, { k: tf.tensor2d(K), v, dropout: 0.5, rng });
  assertClose(a, b, 0);
  const [c] = tl.attend(q, { k: tf.tensor2d(K), v, dropout: 0.5, rng: random.getPrng(8) });
  assert.ok(tf.abs(a.sub(c)).max().dataSync()[0] > 1e-3);
  // Values of ones: the output is (kept probability mass) / 0.5 per query.
  const keep = random.bernoulli(rng, 0.5, [8, 8]).toFloat();
  const [, lse] = tl.attend(q, { k: tf.tensor2d(K), v });
  const probs = tf.exp(tf.sub(tf.matMul(q, tf.tensor2d(K), false, true).div(2), lse.reshape([8, 1])));
  assertClose(a.slice([0, 0], [8, 1]).reshape([8]), tf.sum(probs.mul(keep), 1).div(0.5), 1e-5);
});

test("attend errors: missing values, bad chunking, mismatched shapes", () => {
  assert.throws(() => tl.attend(tf.tensor2d(Q)), /needs values/);
  assert.throws(() => tl.attend(tf.tensor2d(Q), { v: tf.tensor2d(V), qChunkLen: 3, kvChunkLen: 3 }), /not a multiple of the chunk length 3/);
  assert.throws(() => tl.attend(tf.tensor2d(Q), { v: tf.tensor2d(V), nChunksBefore: 1 }), /need chunking/);
  assert.throws(() => tl.attend(tf.tensor2d(Q), { k: tf.ones([8, 5]), v: tf.tensor2d(V) }), /keys must have shape \[8,4\]/);
  assert.throws(() => tl.attend(tf.tensor2d(Q), { v: tf.tensor2d(V), dropout: 0.1 }), /random key/);
});

// --------------------------------------------------- applyBroadcastedDropout

test("applyBroadcastedDropout: one draw per feature, shared by all rows; rate 0 is identity", () => {
  const x = tf.ones([3, 6]);
  const rng = random.getPrng(3);
  const y = tl.applyBroadcastedDropout(x, 0.5, rng).arraySync() as number[][];
  const keep = random.bernoulli(rng, 0.5, [6]).arraySync() as unknown as boolean[];
  for (const row of y) assert.equal(row, keep.map((k) => (k ? 2 : 0)));
  assert.is(tl.applyBroadcastedDropout(x, 0, null), x);
});

// ------------------------------------------------------------------ permute

test("permuteViaGather gathers; its gradient gathers back with the inverse", () => {
  const p = tf.tensor1d([2, 0, 3, 1], "int32");
  const ip = tf.tensor1d([1, 3, 0, 2], "int32");
  const val = tf.tensor2d([[10, 11], [20, 21], [30, 31], [40, 41]]);
  assert.equal(tl.permuteViaGather(val, p, ip).arraySync(), [[30, 31], [10, 11], [40, 41], [20, 21]]);
  assert.equal(tl.permuteViaGather(val.transpose(), p, ip, { axis: 1 }).arraySync(), [[30, 10, 40, 20], [31, 11, 41, 21]]);
  // Inverse property: permuting by p then by ip gives the input back.
  assert.equal(tl.permuteViaGather(tl.permuteViaGather(val, p, ip), ip, p).arraySync(), val.arraySync());
  const w = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const g = tf.grad((x: tf.Tensor) => tl.permuteViaGather(x, p, ip).mul(w).sum())(val);
  // d/dval[j] = w[i] where p[i] = j.
  assert.equal(g.arraySync(), [[3, 4], [7, 8], [1, 2], [5, 6]]);
});

test("permuteViaSort sorts by keys; gradient sorts by the inverse keys", () => {
  const keys = tf.tensor1d([30, 10, 20, 0], "int32");
  const order = [3, 1, 2, 0];
  const inv = tf.tensor1d([3, 1, 2, 0], "int32"); // position of each element after sorting
  const val = tf.tensor1d([1, 2, 3, 4]);
  assert.equal(tl.permuteViaSort(val, keys, inv).arraySync(), order.map((i) => i + 1));
  const g = tf.grad((x: tf.Tensor) => tl.permuteViaSort(x, keys, inv).mul(tf.tensor1d([1, 2, 3, 4])).sum())(val);
  assert.equal(g.arraySync(), [4, 2, 3, 1]);
  // Rows sorted independently along the last axis.
  const v2 = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const k2 = tf.tensor2d([[2, 1, 0], [0, 2, 1]], [2, 3], "int32");
  assert.equal(tl.permuteViaSort(v2, k2, k2, { axis: -1 }).arraySync(), [[3, 2, 1], [4, 6, 5]]);
  // Sorting back by the sorted positions undoes the permutation.
  const sorted = tl.permuteViaSort(val, keys, inv);
  const positions = tf.tensor1d(order, "int32");
  assert.equal(tl.permuteViaSort(sorted, positions, keys).arraySync(), [1, 2, 3, 4]);
});

// ------------------------------------------------------------------ hashVecs

test("hashVecs: argmax over [xR, -xR] with R = normal(rng, (depth, nHashes, nBuckets/2)), deterministic", () => {
  const x = random.normal(random.getPrng(11), [10, 6]);
  const rng = random.getPrng(5);
  const [b, n] = tl.hashVecs(x, 4, 3, rng);
  assert.is(n, 4);
  assert.equal(b.shape, [3, 10]);
  assert.is(b.dtype, "int32");
  const R = random.normal(rng, [6, 3, 2]).arraySync() as number[][][];
  const xs = x.arraySync() as number[][];
  const expected = [0, 1, 2].map((h) =>
    xs.map((row) => {
      const r = [0, 1].map((c) => row.reduce((s, v, f) => s + v * R[f][h][c], 0));
      const all = [...r, ...r.map((v) => -v)];
      return all.indexOf(Math.max(...all));
    })
  );
  assert.equal(b.arraySync(), expected);
  assert.equal(tl.hashVecs(x, 4, 3, rng)[0].arraySync(), expected);
  assert.not.equal(tl.hashVecs(x, 4, 3, random.getPrng(6))[0].arraySync(), expected);
});

test("hashVecs: hierarchical buckets [4, 6] combine as b1 + 4 * b2, in range 0..23", () => {
  const x = random.normal(random.getPrng(12), [50, 8]);
  const rng = random.getPrng(1);
  const [b, n] = tl.hashVecs(x, [4, 6], 2, rng);
  assert.is(n, 24);
  const vals = b.dataSync();
  assert.ok(Array.from(vals).every((v) => v >= 0 && v < 24));
  const R = random.normal(rng, [8, 2, 5]).arraySync() as number[][][];
  const xs = x.arraySync() as number[][];
  const argmax = (a: number[]) => a.indexOf(Math.max(...a));
  const expected = [0, 1].map((h) =>
    xs.map((row) => {
      const r = [0, 1, 2, 3, 4].map((c) => row.reduce((s, v, f) => s + v * R[f][h][c], 0));
      const b1 = argmax([...r.slice(0, 2), ...r.slice(0, 2).map((v) => -v)]);
      const b2 = argmax([...r.slice(2), ...r.slice(2).map((v) => -v)]);
      return b1 + 4 * b2;
    })
  );
  assert.equal(b.arraySync(), expected);
  assert.throws(() => tl.hashVecs(x, 3, 1, rng), /even/);
});

test("hashVecs: nearby vectors share buckets more often than random ones", () => {
  const x = random.normal(random.getPrng(13), [200, 16]);
  const near = x.add(random.normal(random.getPrng(14), [200, 16]).mul(0.05));
  const far = random.normal(random.getPrng(15), [200, 16]);
  const rng = random.getPrng(2);
  const [bx] = tl.hashVecs(x, 8, 1, rng);
  const same = (t: tf.Tensor) => tf.equal(bx, tl.hashVecs(t, 8, 1, rng)[0]).toFloat().mean().dataSync()[0];
  assert.ok(same(near) > 0.8, `near ${same(near)}`);
  assert.ok(same(far) < 0.4, `far ${same(far)}`);
});

test("functions leave no tensors behind", () => {
  const q = tf.tensor2d(Q);
  const v = tf.tensor2d(V);
  assert.is(leakedBy(() => tl.attend(q, { v, qChunkLen: 4, kvChunkLen: 4, nChunksBefore: 1 }).forEach((t) => t.dispose())), 0);
  assert.is(leakedBy(() => tl.hashVecs(q, 4, 2, random.getPrng(0))[0].dispose()), 0);
  assert.is(leakedBy(() => tl.lengthNormalized(q).dispose()), 0);
  const q3 = q.reshape([4, 2, 4]);
  assert.is(leakedBy(() => tl.lookAdjacent(q3, 1, 0).dispose()), 0);
  const p = tf.tensor1d([1, 0, 3, 2, 5, 4, 7, 6], "int32");
  assert.is(leakedBy(() => tf.tidy(() => {
    tf.grad((x: tf.Tensor) => tl.permuteViaSort(x, p, p).sum())(v.slice([0, 0], [8, 1]).reshape([8]));
  })), 0);
  assert.is(leakedBy(() => tf.tidy(() => {
    tf.grad((x: tf.Tensor) => tl.permuteViaGather(x, p, p).sum())(v);
  })), 0);
});

test.run();
