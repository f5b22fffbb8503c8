import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../../helpers";

const { random } = trax.fastmath;
const test = suite("research.position_encodings");
test.before(ready);

function sincos(start: number, length: number, d: number): number[][] {
  return Array.from({ length }, (_, t) => {
    const freqs = Array.from({ length: d / 2 }, (_, j) => (start + t) * Math.exp(2 * j * -(Math.log(10000) / d)));
    return [...freqs.map(Math.sin), ...freqs.map(Math.cos)];
  });
}

// ------------------------------------------------------------------ threefry

test("threefry2x32Prf: JAX's threefry_2x32 known answers", () => {
  assert.equal(tl.threefry2x32Prf([0, 0], [[0, 0]]), [[0x6b200159, 0x99ba4efe]]);
  assert.equal(tl.threefry2x32Prf([0xffffffff, 0xffffffff], [[0xffffffff, 0xffffffff]]), [[0x1cb996fc, 0xbb002be7]]);
  assert.equal(tl.threefry2x32Prf([0x13198a2e, 0x03707344], [[0x243f6a88, 0x85a308d3]]), [[0xc4923a9c, 0x483df7a0]]);
});

test("threefry2x32Prf is vectorized over x (nested or flat pairs), pair by pair", () => {
  const key = [0x13198a2e, 0x03707344];
  const x = [[[0, 0], [0x243f6a88, 0x85a308d3]], [[1, 2], [0xffffffff, 0]]];
  const y = tl.threefry2x32Prf(key, x as never) as unknown as number[][][];
  assert.equal(y[0][1], [0xc4923a9c, 0x483df7a0]);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) assert.equal(y[i][j], tl.threefry2x32Prf(key, [x[i][j]])[0]);
  const flat = tl.threefry2x32Prf(key, new Uint32Array([0x243f6a88, 0x85a308d3, 0, 0]));
  assert.instance(flat, Uint32Array);
  assert.equal(Array.from(flat), [0xc4923a9c, 0x483df7a0, ...y[0][0]]);
  assert.throws(() => tl.threefry2x32Prf([0], [[0, 0]]), /key must be uint32\[2\]/);
  assert.throws(() => tl.threefry2x32Prf([0, 0], [[0, 0, 0]]), /pairs/);
  assert.throws(() => tl.threefry2x32Prf([0, 0], [1, 2, 3]), /even number/);
  assert.throws(() => tl.threefry2x32Prf([0, -1], [[0, 0]]), /unsigned 32-bit/);
});

test("threefry2x32Prange: key i is the PRF of the counter (lo + i, 0)", () => {
  const key = new Uint32Array([0, 0]);
  const keys = tl.threefry2x32Prange(key);
  assert.is(keys.length, 2);
  assert.equal(Array.from(keys[0]), [0x6b200159, 0x99ba4efe]);
  assert.equal(Array.from(keys[1]), tl.threefry2x32Prf(key, [[1, 0]])[0]);
  const k2 = random.getPrng(7);
  const range = tl.threefry2x32Prange(k2, { lo: 3, hi: 7 });
  assert.equal(range.map((k) => Array.from(k)), tl.threefry2x32Prf(k2, [[3, 0], [4, 0], [5, 0], [6, 0]]));
  // The keys work with trax.fastmath.random.
  assert.equal(random.split(range[0], 2).length, 2);
  assert.is(tl.threefry2x32Prange(key, { lo: 2, hi: 2 }).length, 0);
  assert.throws(() => tl.threefry2x32Prange(key, { lo: 3, hi: 1 }), /lo <= hi/);
});

// ------------------------------------------------------------------- SinCos

test("SinCosPositionalEncoding: shapes in training (Trax SinCosEncodingsTest)", () => {
  for (const [n, t, c] of [[1, 100, 8], [1, 1, 8], [2, 100, 8]]) {
    const enc = tl.SinCosPositionalEncoding();
    const x = random.normal(random.getPrng(1), [n, t, c]);
    enc.init(new ShapeDtype(x.shape));
    assert.equal(enc(x).shape, [n, t, c]);
  }
});

test("SinCosPositionalEncoding eval: sines in the first half, cosines in the second, from position 0", () => {
  const enc = tl.SinCosPositionalEncoding({ mode: "eval" });
  const x = random.normal(random.getPrng(2), [2, 5, 6]);
  assertClose(enc(x).sub(x), [sincos(0, 5, 6), sincos(0, 5, 6)], 1e-5);
  assertClose(enc(tf.zeros([1, 2, 4])), [[[0, 0, 1, 1], [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)]]], 1e-6);
});

test("SinCosPositionalEncoding train: start = randint(addOffset) unless the zero-start draw says 0", () => {
  const enc = tl.SinCosPositionalEncoding({ addOffset: 100 });
  const x = tf.zeros([1, 4, 6]);
  let sawNonzero = false;
  for (let seed = 0; seed < 6; seed++) {
    const rng = random.getPrng(seed);
    const [r1, r2] = random.split(rng, 2);
    const start = random.randintArray(r1, 1, 0, 100)[0] * Math.min(1, random.randintArray(r2, 1, 0, 2)[0]);
    if (start > 0) sawNonzero = true;
    assertClose(enc(x, { rng }), [sincos(start, 4, 6)], 1e-4, 0, `seed ${seed}`);
  }
  assert.ok(sawNonzero);
});

test("SinCosPositionalEncoding predict: positions continue across calls (equals eval)", () => {
  const x = random.normal(random.getPrng(3), [2, 7, 4]);
  const expected = tl.SinCosPositionalEncoding({ mode: "eval" })(x);
  const enc = tl.SinCosPositionalEncoding({ mode: "predict" });
  enc.init(new ShapeDtype([2, 1, 4]));
  const outs = [enc(x.slice([0, 0, 0], [2, 3, 4]))];
  for (let i = 3; i < 7; i++) outs.push(enc(x.slice([0, i, 0], [2, 1, 4])));
  assertClose(tf.concat(outs, 1), expected, 1e-5);
  assert.is((enc.state as tf.Tensor).dataSync()[0], 7);
});

test("SinCosPositionalEncoding dropout: whole features dropped (broadcast over positions), scaled by 1/keep", () => {
  const enc = tl.SinCosPositionalEncoding({ dropout: 0.5, startFromZeroOneIn: 1 });
  const y = enc(tf.zeros([1, 6, 8]), { rng: random.getPrng(4) });
  // startFromZeroOneIn 1: always start at 0.
  const table = sincos(0, 6, 8);
  const cols = tf.transpose(y.reshape([6, 8])).arraySync() as number[][];
  cols.forEach((col, c) => {
    const dropped = col.every((v) => v === 0);
    if (!dropped) assertClose(col, table.map((r) => 2 * r[c]), 1e-5);
  });
  assert.throws(() => tl.SinCosPositionalEncoding({ dropout: 1 }), /lower than 1/);
  assertLayerError(() => tl.SinCosPositionalEncoding()(tf.zeros([1, 3, 5])), /even depth/);
});

// -------------------------------------------------------------------- Axial

test("AxialPositionalEncoding: adds the concatenation of each axis's embedding at the position's grid coordinates", () => {
  const enc = tl.AxialPositionalEncoding({ shape: [4, 3], dEmbs: [2, 6], mode: "eval" });
  const x = random.normal(random.getPrng(5), [2, 12, 8]);
  enc.init(new ShapeDtype(x.shape));
  const [w0, w1] = enc.weights as tf.Tensor[];
  assert.equal([w0.shape, w1.shape], [[1, 4, 1, 2], [1, 1, 3, 6]]);
  const a = w0.arraySync() as number[][][][];
  const b = w1.arraySync() as number[][][][];
  const expected = Array.from({ length: 12 }, (_, p) => [...a[0][Math.floor(p / 3)][0], ...b[0][0][p % 3]]);
  const y = enc(x);
  assertClose(y.sub(x), [expected, expected], 1e-6);
  // Default stddev-1 normal init.
  const all = tf.concat([w0.reshape([-1]), w1.reshape([-1])]);
  assert.ok(tf.moments(all).variance.dataSync()[0] > 0.2);
});

test("AxialPositionalEncoding: three axes, predict mode equals eval, errors", () => {
  const opts = { shape: [2, 3, 2], dEmbs: [1, 2, 3] };
  const x = random.normal(random.getPrng(6), [1, 12, 6]);
  const evalEnc = tl.AxialPositionalEncoding({ ...opts, mode: "eval" });
  evalEnc.init(new ShapeDtype(x.shape));
  const expected = evalEnc(x);
  const fast = tl.AxialPositionalEncoding({ ...opts, mode: "predict" });
  fast.init(new ShapeDtype([1, 1, 6]));
  fast.weights = evalEnc.weights;
  const outs = [fast(x.slice([0, 0, 0], [1, 5, 6]))];
  for (let i = 5; i < 12; i++) outs.push(fast(x.slice([0, i, 0], [1, 1, 6])));
  assertClose(tf.concat(outs, 1), expected, 1e-6);
  assertLayerError(() => fast(x.slice([0, 0, 0], [1, 1, 6])), /pass the grid size 12/);
  assertLayerError(() => tl.AxialPositionalEncoding({ ...opts })(tf.zeros([1, 12, 7])), /sum\(dEmbs\) != dFeature/);
  assertLayerError(() => evalEnc(tf.zeros([1, 10, 6])), /needs sequences of length 12/);
  assert.throws(() => tl.AxialPositionalEncoding({ shape: [2, 3], dEmbs: [6] }), /one entry per axis/);
});

test("AxialPositionalEncoding dropout: train only, mask shared along dropoutBroadcastDims", () => {
  const enc = tl.AxialPositionalEncoding({ shape: [2, 2], dEmbs: [2, 2], dropout: 0.5, dropoutBroadcastDims: [0, 1, 2] });
  const x = tf.zeros([3, 4, 4]);
  enc.init(new ShapeDtype(x.shape));
  const y = enc(x, { rng: random.getPrng(3) }).reshape([12, 4]).arraySync() as number[][];
  const [w0, w1] = enc.weights as tf.Tensor[];
  const full = tf.concat([tf.broadcastTo(w0, [3, 2, 2, 2]), tf.broadcastTo(w1, [3, 2, 2, 2])], -1).reshape([12, 4]).arraySync() as number[][];
  for (let c = 0; c < 4; c++) {
    const dropped = y.every((r) => r[c] === 0);
    if (!dropped) y.forEach((r, i) => assertClose(r[c], 2 * full[i][c], 1e-5));
  }
});

// ----------------------------------------------------------------- FixedBase

function fixedBaseExpected(enc: tl.Layer, starts: number[], length: number, bases: number[], nDigits: number, withStart: boolean): number[][][] {
  const [baseWeights, startVec] = enc.weights as unknown as [tf.Tensor[][], tf.Tensor];
  const w = baseWeights.map((ws) => ws.map((t) => Array.from(t.dataSync())));
  const sv = Array.from(startVec.dataSync());
  return starts.map((s) =>
    Array.from({ length }, (_, t) => {
      const out = new Array(sv.length).fill(0);
      bases.forEach((base, bn) => {
        let p = s + t;
        for (let k = 0; k < nDigits; k++) {
          const digit = p % base;
          p = Math.floor(p / base);
          w[bn][k].forEach((v, c) => (out[k * w[bn][k].length + c] += digit * v));
        }
      });
      if (t === 0 && withStart) sv.forEach((v, c) => (out[c] += v));
      return out;
    })
  );
}

test("FixedBasePositionalEncoding eval: sum over bases of digit-scaled vectors, start vector at position 0", () => {
  const bases = [2, 3];
  const enc = tl.FixedBasePositionalEncoding({ bases, nDigits: 3, mode: "eval" });
  const x = random.normal(random.getPrng(7), [2, 7, 6]);
  enc.init(new ShapeDtype(x.shape));
  const [baseWeights, startVec] = enc.weights as unknown as [tf.Tensor[][], tf.Tensor];
  assert.equal(baseWeights.map((ws) => ws.map((t) => t.shape)), [[[1, 2], [1, 2], [1, 2]], [[1, 2], [1, 2], [1, 2]]]);
  assert.equal(startVec.shape, [1, 1, 6]);
  // Uniform in +-1e-4 by default.
  assert.ok(Math.max(...Array.from(startVec.dataSync()).map(Math.abs)) <= 1e-4);
  assertClose(enc(x).sub(x), fixedBaseExpected(enc, [0, 0], 7, bases, 3, true), 1e-6);
  assertClose(enc(tf.zeros([2, 7, 6])), fixedBaseExpected(enc, [0, 0], 7, bases, 3, true), 1e-10, 1e-5);
});

test("FixedBasePositionalEncoding train: random per-example starts and base dropout, as drawn from the key", () => {
  const bases = [3, 4];
  const init = tl.RandomUniformInitializer(1.0);
  const enc = tl.FixedBasePositionalEncoding({ bases, nDigits: 2, startFromZeroOneIn: 2, baseDropoutOneIn: 3, initializer: init });
  const x = tf.zeros([4, 3, 4]);
  enc.init(new ShapeDtype(x.shape));
  const rng = random.getPrng(11);
  const [r1, r2, r3] = random.split(rng, 3);
  const maxPos = 3 ** 2;
  const nonzero = random.randintArray(r1, 4, 0, 2);
  const offs = random.randintArray(r2, 4, 0, maxPos - 3);
  const starts = Array.from(offs, (o, i) => o * Math.min(1, nonzero[i]));
  const keep = Array.from(random.randintArray(r3, 4, 0, 3), (v) => Math.min(1, v));
  const full = fixedBaseExpected(enc, starts, 3, bases, 2, false);
  const sv = Array.from((enc.weights as unknown as [unknown, tf.Tensor])[1].dataSync());
  const expected = full.map((ex, i) => ex.map((row, t) => row.map((v, c) => v * keep[i] + (t === 0 ? sv[c] : 0))));
  assertClose(enc(x, { rng }), expected, 1e-5);
  assertLayerError(() => tl.FixedBasePositionalEncoding({ nDigits: 3 })(tf.zeros([1, 2, 4])), /% self._n_digits\(3\) != 0/);
  assertLayerError(() => tl.FixedBasePositionalEncoding({ bases: [2], nDigits: 2, mode: "eval" })(tf.zeros([1, 4, 4])), /length \(4\) >= max_pos \(4\)/);
});

test("FixedBasePositionalEncoding predict equals eval, start vector only at the very start", () => {
  const opts = { bases: [5, 7], nDigits: 2 };
  const x = random.normal(random.getPrng(8), [2, 6, 4]);
  const evalEnc = tl.FixedBasePositionalEncoding({ ...opts, mode: "eval" });
  evalEnc.init(new ShapeDtype(x.shape));
  const expected = evalEnc(x);
  const fast = tl.FixedBasePositionalEncoding({ ...opts, mode: "predict" });
  fast.init(new ShapeDtype([2, 1, 4]));
  fast.weights = evalEnc.weights;
  const outs = [fast(x.slice([0, 0, 0], [2, 2, 4]))];
  for (let i = 2; i < 6; i++) outs.push(fast(x.slice([0, i, 0], [2, 1, 4])));
  assertClose(tf.concat(outs, 1), expected, 1e-6);
});

// ------------------------------------------------- Infinite and TimeBin (Trax)

const ENCODINGS: [string, (mode?: "train" | "eval" | "predict") => tl.Layer, boolean][] = [
  ["InfinitePositionalEncoding", (mode) => tl.InfinitePositionalEncoding({ mode }), true],
  ["InfinitePositionalEncoding(affine=false)", (mode) => tl.InfinitePositionalEncoding({ affine: false, mode }), false],
  ["TimeBinPositionalEncoding(5)", (mode) => tl.TimeBinPositionalEncoding(5, { mode }), false],
];

for (const [name, make, isRandom] of ENCODINGS) {
  test(`${name}: training shapes and the encoding changes the input (Trax PositionEncodingsTest.test_training)`, () => {
    for (const [n, t, c] of [[1, 100, 8], [1, 1, 8], [1, 100, 1], [2, 100, 8]]) {
      if (name.startsWith("TimeBin") && t === 1) continue; // position 0 has features [1, 0, 0]: may equal the input by chance only with zeros
      const enc = make();
      const x = random.normal(random.getPrng(n * 1000 + t + c), [n, t, c]);
      enc.init(new ShapeDtype(x.shape));
      const y = enc(x);
      assert.equal(y.shape, [n, t, c]);
      assert.ok(tf.any(tf.notEqual(y, x)).dataSync()[0] === 1);
    }
  });

  test(`${name}: predict one position at a time${isRandom ? " (random phases: shapes only)" : " equals eval"} (Trax test_inference)`, () => {
    for (const [n, t, c] of [[1, 100, 8], [1, 100, 1], [2, 100, 8]]) {
      const rng = random.getPrng(1234);
      const enc = make("eval");
      const x = random.normal(random.getPrng(5), [n, t, c]);
      enc.init(new ShapeDtype(x.shape), { rng });
      const y = enc(x);
      const pred = make("predict");
      pred.init(new ShapeDtype([n, 1, c]), { rng });
      for (let i = 0; i < 3; i++) {
        const yi = pred(x.slice([0, i, 0], [n, 1, c]));
        assert.equal(yi.shape, [n, 1, c]);
        if (!isRandom) assertClose(yi, y.slice([0, i, 0], [n, 1, c]), 1e-4, 0, `${name} step ${i}`);
      }
    }
  });
}

test("InfinitePositionalEncoding values: cos(2 pi (c%2/4 + freq t + noise sqrt(drift)/4)), noise from the fixed threefry stream", () => {
  const enc = tl.InfinitePositionalEncoding({ affine: false, transform: "none", mode: "eval" });
  const y = enc(tf.zeros([1, 3, 4])).arraySync() as number[][][];
  const noiseKey = random.split(random.getPrng(234234535), 2)[0];
  // depth 4 -> 2 noise channels; stream of 4 rows (next power of 2 >= 3) x 2 channels.
  const words = tl.threefry2x32Prange(noiseKey, { lo: 0, hi: 8 }).map((k) => k[0]);
  const step = (i: number) => Math.fround(Math.fround(words[i] / Math.fround(2 ** 31 - 1)) * Math.fround(Math.sqrt(3)));
  const noise = [[step(0), step(1)]];
  noise.push([noise[0][0] + step(2), noise[0][1] + step(3)]);
  noise.push([noise[1][0] + step(4), noise[1][1] + step(5)]);
  const drift = 0.03 ** (2 / 2);
  const freq = [0.5, 0.5 * drift * drift];
  const expected = [0, 1, 2].map((t) => [0, 1, 2, 3].map((c) => Math.cos(2 * Math.PI * ((c % 2) / 4 + freq[c >> 1] * t + (noise[t][c >> 1] * Math.sqrt(0.03)) / 4))));
  assertClose(y[0], expected, 1e-4);
  // The random-phase version differs per key and is deterministic per key.
  const aff = tl.InfinitePositionalEncoding({ transform: "none", mode: "eval" });
  const a = aff(tf.zeros([1, 3, 4]), { rng: random.getPrng(1) });
  assertClose(aff(tf.zeros([1, 3, 4]), { rng: random.getPrng(1) }), a, 0);
  assert.ok(tf.abs(aff(tf.zeros([1, 3, 4]), { rng: random.getPrng(2) }).sub(a)).max().dataSync()[0] > 1e-3);
});

test("InfinitePositionalEncoding transforms: any = orthogonal (d, d) matrix, diag = softplus scales, timeBinLength features", () => {
  const x = tf.zeros([1, 4, 6]);
  const any = tl.InfinitePositionalEncoding({ affine: false, mode: "eval" });
  any.init(new ShapeDtype(x.shape));
  const w = any.weights as tf.Tensor;
  assert.equal(w.shape, [6, 6]);
  assertClose(tf.matMul(w, w, true, false), tf.eye(6), 1e-4);
  const none = tl.InfinitePositionalEncoding({ affine: false, transform: "none", mode: "eval" });
  assertClose(any(x), tf.matMul(none(x).reshape([4, 6]), w).reshape([1, 4, 6]), 1e-5);
  const diag = tl.InfinitePositionalEncoding({ affine: false, transform: "diag", mode: "eval" });
  diag.init(new ShapeDtype(x.shape));
  assertClose(diag.weights as tf.Tensor, new Array(6).fill(1e-4), 1e-9);
  assertClose(diag(x), none(x).mul(Math.log(1 + Math.exp(1e-4))), 1e-6);
  const tb = tl.InfinitePositionalEncoding({ affine: false, transform: "none", timeBinLength: 2, mode: "eval" });
  const y = tb(x).arraySync() as number[][][];
  assert.equal(y[0].map((r) => r.slice(3)), [[1, 0, 0], [1, 0.5, 0], [0.5, 0, 1], [0.5, 0.5, 1]]);
  assert.throws(() => tl.InfinitePositionalEncoding({ transform: "full" as never }), /transform/);
});

test("TimeBinPositionalEncoding values: [1/(1 + t div L), (t mod L)/L, (t div L) mod 2] replace the last 3 channels", () => {
  const enc = tl.TimeBinPositionalEncoding(5, { mode: "eval" });
  const x = tf.fill([1, 7, 4], 9);
  assert.equal((enc(x).arraySync() as number[][][])[0].map((r) => r.map((v) => Math.round(v * 1e6) / 1e6)), [
    [9, 1, 0, 0], [9, 1, 0.2, 0], [9, 1, 0.4, 0], [9, 1, 0.6, 0], [9, 1, 0.8, 0], [9, 0.5, 0, 1], [9, 0.5, 0.2, 1],
  ]);
  // Narrow inputs keep the last features only.
  assertClose(enc(tf.fill([1, 7, 1], 9)), [[[0], [0], [0], [0], [0], [1], [1]]]);
  assertClose(enc(tf.fill([1, 7, 2], 9)), [[[0, 0], [0.2, 0], [0.4, 0], [0.6, 0], [0.8, 0], [0, 1], [0.2, 1]]], 1e-6);
  assert.is(tl.TimeBinPositionalEncoding.numFeatures, 3);
  assert.throws(() => tl.TimeBinPositionalEncoding(0), /positive integer/);
});

test("position encodings leave no tensors behind", () => {
  const x = random.normal(random.getPrng(1), [2, 12, 8]);
  const layers = [
    tl.SinCosPositionalEncoding({ dropout: 0.1 }),
    tl.AxialPositionalEncoding({ shape: [4, 3], dEmbs: [4, 4], dropout: 0.1 }),
    tl.FixedBasePositionalEncoding({ bases: [3, 5], nDigits: 4 }),
    tl.InfinitePositionalEncoding(),
    tl.TimeBinPositionalEncoding(4),
  ];
  for (const layer of layers) {
    layer.init(new ShapeDtype(x.shape));
    assert.is(leakedBy(() => layer(x).dispose()), 0, layer.name);
  }
  const fast = [tl.SinCosPositionalEncoding({ mode: "predict" }), tl.InfinitePositionalEncoding({ mode: "predict" }), tl.TimeBinPositionalEncoding(4, { mode: "predict" }), tl.FixedBasePositionalEncoding({ bases: [3, 5], nDigits: 4, mode: "predict" })];
  const step = x.slice([0, 0, 0], [2, 1, 8]);
  for (const layer of fast) {
    layer.init(new ShapeDtype(step.shape));
    layer(step).dispose();
    assert.is(leakedBy(() => {
      for (let i = 0; i < 4; i++) layer(step).dispose();
    }), 0, layer.name);
  }
});

test.run();
