import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, trax } from "../helpers";

const test = suite("data/streams");
test.before(ready);
const { data } = trax;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test("shuffle: a permutation, the same under a seed, another under another seed", () => {
  const a = [...data.shuffle(range(50), { seed: 0, bufferSize: 16 })];
  assert.equal([...a].sort((x, y) => x - y), range(50));
  assert.equal([...data.shuffle(range(50), { seed: 0, bufferSize: 16 })], a);
  assert.not.equal([...data.shuffle(range(50), { seed: 1, bufferSize: 16 })], a);
  assert.not.equal(a, range(50));
  // Works on an endless stream (takes what it needs).
  assert.is([...data.take(data.shuffle(data.repeat([1, 2, 3]), { seed: 0, bufferSize: 4 }), 10)].length, 10);
  assert.throws(() => [...data.shuffle([1], { bufferSize: 0 })], /bufferSize/);
  assert.throws(() => [...data.shuffle(5 as unknown as number[])], /needs a stream/);
});

test("shuffledEpochs: each epoch a full, different permutation; deterministic; shuffle: false keeps order", () => {
  const s = [...data.shuffledEpochs(range(10), { seed: 7, epochs: 3 })];
  assert.is(s.length, 30);
  for (let e = 0; e < 3; e++) assert.equal(s.slice(e * 10, e * 10 + 10).sort((x, y) => x - y), range(10));
  assert.not.equal(s.slice(0, 10), s.slice(10, 20));
  assert.equal([...data.shuffledEpochs(range(10), { seed: 7, epochs: 3 })], s);
  assert.equal([...data.shuffledEpochs(range(3), { shuffle: false, epochs: 2 })], [0, 1, 2, 0, 1, 2]);
  assert.equal([...data.shuffledEpochs([], { seed: 0 })], []);
});

test("permutation and trainEvalSplit: deterministic, disjoint, covering", () => {
  const p = data.permutation(20, 5);
  assert.equal(Array.from(p).sort((x, y) => x - y), range(20));
  assert.equal(Array.from(data.permutation(20, 5)), Array.from(p));
  const [tr, ev] = data.trainEvalSplit(range(100), { evalFraction: 0.25, seed: 1 });
  assert.is(tr.length, 75);
  assert.is(ev.length, 25);
  const both = new Set([...tr, ...ev]);
  assert.is(both.size, 100);
  assert.equal(data.trainEvalSplit(range(4), { evalFraction: 0.5, seed: null }), [[2, 3], [0, 1]]);
  assert.throws(() => data.trainEvalSplit(range(4), { evalFraction: 2 }), /evalFraction/);
});

test("batch: stacks examples, keeps dtypes, drops the remainder unless asked", () => {
  const ex = range(5).map((i) => [[i, i + 0.5], Int32Array.of(i)] as trax.data.Example);
  const bs = [...data.batch(ex, 2)];
  assert.is(bs.length, 2);
  assert.equal(bs[0][0].arraySync(), [[0, 0.5], [1, 1.5]]);
  assert.equal(bs[0][1].dtype, "int32");
  assert.equal(bs[1][1].arraySync(), [[2], [3]]);
  tf.dispose(bs);
  const all = [...data.batch(ex, 2, { dropRemainder: false })];
  assert.is(all.length, 3);
  assert.equal(all[2][0].shape, [1, 2]);
  tf.dispose(all);
  assert.throws(() => [...data.batch(ex, 0)], /positive integer/);
});

test("batch pads ragged items to the longest (and to a multiple)", () => {
  const ex: trax.data.Example[] = [[Int32Array.of(1, 2, 3)], [Int32Array.of(4)]];
  const [[x]] = [...data.batch(ex, 2)];
  assert.equal(x.arraySync(), [[1, 2, 3], [4, 0, 0]]);
  const [[y]] = [...data.batch(ex, 2, { padToMultiple: 4, padValue: -1 })];
  assert.equal(y.arraySync(), [[1, 2, 3, -1], [4, -1, -1, -1]]);
  tf.dispose([x, y]);
  assert.throws(() => [...data.batch([[[1, 2]], [[[1], [2]]]], 2)], /rank 1 in example 0.*rank 2 in example 1/);
});

test("padBatch: loss weights by real length (a padding id inside a sequence still counts)", () => {
  const ex: trax.data.Example[] = [
    [Int32Array.of(5, 0, 7), Int32Array.of(5, 0, 7)],
    [Int32Array.of(8), Int32Array.of(8)],
  ];
  const [[x, y, w]] = [...data.padBatch(ex, 2, { padToMultiple: 4 })];
  assert.equal(x.arraySync(), [[5, 0, 7, 0], [8, 0, 0, 0]]);
  assert.equal(y.dtype, "int32");
  assert.equal(w.dtype, "float32");
  assert.equal(w.arraySync(), [[1, 1, 1, 0], [1, 0, 0, 0]]);
  tf.dispose([x, y, w]);
  // Examples with their own weights keep them, padded with 0.
  const [[, , w2]] = [...data.padBatch([[Int32Array.of(1, 2), Int32Array.of(1, 2), Float32Array.of(0, 1)], [Int32Array.of(3), Int32Array.of(3), Float32Array.of(1)]], 2)];
  assert.equal(w2.arraySync(), [[0, 1], [1, 0]]);
  w2.dispose();
});

test("padToLength: pads to a length or a multiple, keeps int32 ids, leaves longer items", () => {
  const ex: trax.data.Example[] = [[Int32Array.of(1, 2), Int32Array.of(1, 2)], [Int32Array.of(1, 2, 3, 4, 5), Float32Array.of(1, 1, 1, 1, 1)]];
  const out = [...data.padToLength(ex, { 0: 4, 1: 4 })];
  assert.instance(out[0][0], Int32Array);
  assert.equal(Array.from(out[0][0] as Int32Array), [1, 2, 0, 0]);
  assert.equal(Array.from(out[1][0] as Int32Array), [1, 2, 3, 4, 5]);
  const mult = [...data.padToLength(ex, { 0: 4 }, { multiple: true, padValue: 9 })];
  assert.equal(Array.from(mult[1][0] as Int32Array), [1, 2, 3, 4, 5, 9, 9, 9]);
  assert.instance(mult[1][1], Float32Array);
  const nd = [...data.padToLength([[{ data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] }]], { 0: 3 })][0][0] as trax.data.NDArray;
  assert.equal(nd.shape, [3, 2]);
  assert.equal(Array.from(nd.data), [1, 2, 3, 4, 0, 0]);
  assert.throws(() => [...data.padToLength(ex, { 2: 4 })], /position 2 is outside/);
});

test("bucketByLength: one shape per bucket, padded to its boundary", () => {
  const ex = [1, 2, 5, 6, 3, 7, 4, 8].map((n) => [Int32Array.from(range(n), (v) => v + 1)] as trax.data.Example);
  const bs = [...data.bucketByLength(ex, [4], [2, 2])];
  assert.equal(bs.map((b) => b[0].shape), [[2, 4], [2, 6], [2, 4], [2, 8]]); // the last bucket: to its longest
  assert.equal(bs[0][0].arraySync(), [[1, 0, 0, 0], [1, 2, 0, 0]]);
  bs.forEach((b) => tf.dispose(b));
  assert.throws(() => [...data.bucketByLength(ex, [4], [2])], /one more batch size/);
});

test("addLossWeights: ones, or zeros where the target is the masked id", () => {
  const b = [tf.tensor2d([[1, 2, 0]], [1, 3], "int32"), tf.tensor2d([[1, 2, 0]], [1, 3], "int32")];
  const [[x, y, w]] = [...data.addLossWeights([b], { idToMask: 0 })];
  assert.equal(w.arraySync(), [[1, 1, 0]]);
  tf.dispose([x, y, w]);
});

test("Serial chains stream functions into a pipeline", () => {
  const pipeline = data.Serial(
    () => range(10),
    data.Shuffle({ seed: 2, bufferSize: 4 }),
    [data.Map((v: number) => [[v], v] as trax.data.Example)],
    data.Batch(5)
  );
  const bs = [...pipeline()];
  assert.is(bs.length, 2);
  const xs: number[] = bs.flatMap((b) => Array.from(b[0].dataSync() as Float32Array));
  assert.equal([...xs].sort((a, c) => a - c), range(10));
  bs.forEach((b) => tf.dispose(b));
  assert.throws(() => data.Serial(5 as unknown as trax.data.StreamFn), /stream functions/);
  assert.equal([...data.Serial(() => [1, 2, 3], data.Take(2))()], [1, 2]);
  assert.equal([...data.take(data.repeat([1, 2]), 5)], [1, 2, 1, 2, 1]);
  assert.equal([...data.filterByLength([[[1, 2, 3]], [[1]]] as trax.data.Example[], 2)], [[[1]]]);
});

test("batches: endless shuffled training stream, deterministic under a seed, no leaks", () => {
  const ex = range(10).map((i) => [[i], Int32Array.of(i)] as trax.data.Example);
  const first = (seed: number) => {
    const out: number[] = [];
    for (const b of data.take(data.batches(ex, 4, { seed }), 5)) {
      out.push(...Array.from(b[1].dataSync()));
      tf.dispose(b);
    }
    return out;
  };
  const a = first(0);
  assert.is(a.length, 20);
  assert.equal(first(0), a);
  assert.not.equal(first(1), a);
  assert.equal(a.slice(0, 8).sort((x, y) => x - y).length, 8);
  const leaked = leakedBy(() => {
    for (const b of data.batches(ex, 3, { epochs: 1, shuffle: false, dropRemainder: false })) tf.dispose(b);
  });
  assert.is(leaked, 0);
  const ordered = [...data.batches(ex, 5, { epochs: 1, shuffle: false })];
  assertClose(ordered[1][0], [[5], [6], [7], [8], [9]]);
  ordered.forEach((b) => tf.dispose(b));
  const lw = [...data.batches([[Int32Array.of(1, 2), Int32Array.of(1, 2)], [Int32Array.of(3), Int32Array.of(3)]], 2, { epochs: 1, shuffle: false, lossWeights: true })];
  assert.equal(lw[0][2].arraySync(), [[1, 1], [1, 0]]);
  lw.forEach((b) => tf.dispose(b));
});

test.run();
