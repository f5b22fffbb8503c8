import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, ready, trax } from "../helpers";

const { random, threefry2x32 } = trax.fastmath;
const test = suite("fastmath.random");
test.before(ready);

test("threefry-2x32 known answer: key (0,0), counter (0,0)", () => {
  assert.equal(Array.from(threefry2x32([0, 0], [0, 0])), [0x6b200159, 0x99ba4efe]);
});

test("threefry-2x32 Random123 known answers (all ones, pi digits)", () => {
  // From the Random123 kat_vectors for threefry2x32_20.
  assert.equal(Array.from(threefry2x32([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])), [0x1cb996fc, 0xbb002be7]);
  assert.equal(Array.from(threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])), [0xc4923a9c, 0x483df7a0]);
});

test("getPrng(seed) is the pair (0, seed)", () => {
  assert.equal(Array.from(random.getPrng(0)), [0, 0]);
  assert.equal(Array.from(random.getPrng(42)), [0, 42]);
  assert.equal(Array.from(random.getPrng(2 ** 32 + 5)), [1, 5]);
});

test("split equals JAX's split of PRNGKey(0)", () => {
  const [a, b] = random.split(random.getPrng(0));
  assert.equal(Array.from(a), [4146024105, 967050713]);
  assert.equal(Array.from(b), [2718843009, 1272950319]);
  assert.is(random.split(random.getPrng(0), 3).length, 3);
});

test("foldIn is threefry of (0, data) under the key, deterministic and distinct", () => {
  const k = random.getPrng(0);
  const f1 = random.foldIn(k, 1);
  assert.equal(Array.from(f1), Array.from(threefry2x32(k, [0, 1])));
  assert.equal(Array.from(random.foldIn(k, 1)), Array.from(f1));
  assert.not.equal(Array.from(random.foldIn(k, 2)), Array.from(f1));
});

test("uniform and normal equal JAX's values for PRNGKey(0)", () => {
  assertClose(random.uniform(random.getPrng(0), [3]), [0.9653214, 0.31468165, 0.63302994], 1e-6);
  assertClose(random.normal(random.getPrng(0), [3]), [1.8160863, -0.48262316, 0.33988908], 1e-5);
});

test("uniform respects bounds; normal has mean 0 and variance 1", () => {
  const u = random.uniform(random.getPrng(3), [10000], { minval: -2, maxval: 3 }).dataSync();
  assert.ok(Math.min(...u) >= -2 && Math.max(...u) < 3);
  const n = Array.from(random.normal(random.getPrng(4), [20000]).dataSync());
  const mean = n.reduce((a, b) => a + b, 0) / n.length;
  const v = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`);
});

test("bernoulli frequency and randint range", () => {
  const b = random.bernoulli(random.getPrng(5), 0.3, [10000]);
  assert.is(b.dtype, "bool");
  const freq = b.toFloat().mean().dataSync()[0];
  assert.ok(Math.abs(freq - 0.3) < 0.02, `freq ${freq}`);
  const r = random.randint(random.getPrng(6), [5000], 3, 9);
  assert.is(r.dtype, "int32");
  const vals = r.dataSync();
  assert.ok(Math.min(...vals) === 3 && Math.max(...vals) === 8);
});

test("same seed, same numbers; the key must be a Uint32Array pair", () => {
  const a = random.normal(random.getPrng(7), [50]).dataSync();
  const b = random.normal(random.getPrng(7), [50]).dataSync();
  assert.equal(Array.from(a), Array.from(b));
  assert.throws(() => random.split(new Uint32Array(3) as never), /Uint32Array of length 2/);
});

test.run();
