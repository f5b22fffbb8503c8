import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { ready, tf, trax } from "../helpers";

const test = suite("data/text-and-tasks");
test.before(ready);
const { data } = trax;

test("textCorpus: Genesis, 60 characters and padding, encode/decode round trip", () => {
  const c = data.textCorpus();
  assert.is(c.name, "genesis-kjv");
  assert.is(c.text, readFileSync(data.datasetPath("genesis-kjv.txt"), "utf8"));
  assert.ok(c.text.length < 200_000, `the corpus is small (${c.text.length} characters)`);
  assert.is(c.vocabSize, 61);
  assert.is(c.vocab[0], "");
  assert.is(c.vocab[1], "\n");
  assert.is(c.vocab[2], " ");
  assert.ok(c.text.startsWith("In the beginning God created the heaven and the earth.\n"));
  assert.is(c.ids.length, c.text.length);
  assert.is(c.decode(c.ids), c.text);
  const ids = c.encode("God");
  assert.equal(Array.from(ids), ["G", "o", "d"].map((ch) => c.vocab.indexOf(ch)));
  assert.is(c.decode([0, ...ids, 0]), "God", "padding decodes to nothing");
  assert.throws(() => c.encode("God~"), /"~".*not in the genesis-kjv vocabulary/);
  assert.throws(() => c.decode([61]), /id 61 is outside/);
  assert.is(data.textCorpus(), c, "loaded once");
  assert.throws(() => data.textCorpus("moby"), /unknown text corpus "moby"/);
});

test("textCorpus.examples: LM windows, train and eval parts do not overlap", () => {
  const c = data.textCorpus();
  const tr = c.examples(64);
  const ev = c.examples(64, { part: "eval" });
  const cut = Math.round(c.ids.length * 0.9);
  assert.is(tr.length, Math.floor(cut / 64));
  assert.is(ev.length, Math.floor((c.ids.length - cut) / 64));
  const [x, y] = tr[0] as Int32Array[];
  assert.is(x, y, "inputs are targets (the model shifts right)");
  assert.is(c.decode(x), c.text.slice(0, 64));
  const lastTrain = tr[tr.length - 1][0] as Int32Array;
  const firstEval = ev[0][0] as Int32Array;
  assert.ok(lastTrain.byteOffset / 4 + 64 <= cut && firstEval.byteOffset / 4 >= cut);
  const shuffled = c.examples(64, { seed: 0 });
  assert.is(shuffled.length, tr.length);
  assert.not.equal(shuffled.slice(0, 5), tr.slice(0, 5));
  assert.equal(c.examples(64, { seed: 0 }).slice(0, 5), shuffled.slice(0, 5));
  assert.is(c.examples(10, { stride: 5, part: "all" }).length, Math.floor((c.ids.length - 10) / 5) + 1);
  assert.throws(() => c.examples(0), /positive integer/);
  const own = data.corpusFromText("abracadabra");
  assert.equal(own.vocab, ["", "a", "b", "c", "d", "r"]);
});

test("copyTask: 0 w 0 w with weights on the copy; seeded; lengths in range", () => {
  const ex = [...data.copyTask({ vocabSize: 6, minLength: 2, maxLength: 5, seed: 3, count: 50 })];
  assert.is(ex.length, 50);
  for (const [x, y, w] of ex as [Int32Array, Int32Array, Float32Array][]) {
    assert.is(x, y);
    const n = (x.length - 2) / 2;
    assert.ok(Number.isInteger(n) && n >= 2 && n <= 5, `length ${n}`);
    assert.is(x[0], 0);
    assert.is(x[n + 1], 0);
    for (let i = 1; i <= n; i++) {
      assert.ok(x[i] >= 1 && x[i] < 6);
      assert.is(x[n + 1 + i], x[i]);
    }
    assert.equal(Array.from(w), [...new Array(n + 2).fill(0), ...new Array(n).fill(1)]);
  }
  const again = [...data.copyTask({ vocabSize: 6, minLength: 2, maxLength: 5, seed: 3, count: 50 })];
  assert.equal(again.map((e) => Array.from(e[0] as Int32Array)), ex.map((e) => Array.from(e[0] as Int32Array)));
  const lengths = new Set(ex.map((e) => (e[0] as Int32Array).length));
  assert.ok(lengths.size >= 3, "lengths vary");
  assert.throws(() => data.copyTask({ vocabSize: 1 }).next(), /vocabSize/);
});

test("reverseTask: 0 w 0 reversed(w)", () => {
  for (const [x] of data.take(data.reverseTask({ vocabSize: 9, maxLength: 6, seed: 1 }), 20) as Iterable<Int32Array[]>) {
    const n = (x.length - 2) / 2;
    assert.equal(Array.from(x.subarray(n + 2)), Array.from(x.subarray(1, n + 1)).reverse());
  }
});

test("additionTask: <S> x + y <S> (x+y), lower-endian, the sum is right, weights on the sum", () => {
  const base = 10;
  for (const [z, z2, w] of data.take(data.additionTask({ seed: 5 }), 100) as Iterable<[Int32Array, Int32Array, Float32Array]>) {
    assert.is(z, z2);
    assert.is(z[0], base + 2);
    const plus = z.indexOf(base + 1);
    const second = z.indexOf(base + 2, 1);
    assert.ok(plus > 1 && second > plus + 1);
    const digits = (a: Int32Array) => Array.from(a, (d) => d - 1);
    const x = data.lowerEndianToNumber(digits(z.subarray(1, plus)), base);
    const y = data.lowerEndianToNumber(digits(z.subarray(plus + 1, second)), base);
    const s = data.lowerEndianToNumber(digits(z.subarray(second + 1)), base);
    assert.is(s, x + y);
    assert.ok(second - 1 <= 7, "the problem is at most maxLength long");
    assert.equal(Array.from(w), Array.from(z, (_, i) => (i > second ? 1 : 0)));
    assert.is(data.decodeAddition(z), `${x}+${y}=${s}`);
  }
  assert.equal(data.numberToLowerEndian(123, 10), [3, 2, 1]);
  assert.equal(data.numberToLowerEndian(0, 10), [0]);
  assert.is(data.lowerEndianToNumber([1, 0, 1], 2), 5);
  assert.is(data.decodeAddition([12, 3, 11, 4, 12, 6]), "2+3=5");
});

test("tasks batch with padBatch: padded ids and the examples' own weights", () => {
  const [[x, y, w]] = [...data.take(data.padBatch(data.copyTask({ vocabSize: 5, maxLength: 6, seed: 0 }), 8, { padToMultiple: 16 }), 1)];
  assert.equal(x.shape, [8, 16]);
  assert.equal(x.dtype, "int32");
  assert.equal(w.dtype, "float32");
  const xs = x.arraySync() as number[][];
  const ws = w.arraySync() as number[][];
  xs.forEach((row, i) => {
    const n = ws[i].reduce((a, b) => a + b, 0);
    // Real part 0 w 0 w (2n + 2 ids), then padding with id 0 and weight 0.
    assert.ok(n >= 1 && n <= 6);
    assert.equal(row.slice(n + 2, 2 * n + 2), row.slice(1, n + 1));
    assert.equal(row.slice(2 * n + 2), new Array(16 - 2 * n - 2).fill(0));
    assert.equal(ws[i].slice(2 * n + 2), new Array(16 - 2 * n - 2).fill(0));
  });
  tf.dispose([x, y, w]);
});

test.run();
