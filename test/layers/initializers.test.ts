import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertClose, leakedBy, ready, tf, tl, trax, ShapeDtype } from "../helpers";

const test = suite("initializers");
test.before(ready);

const random = trax.fastmath.random;
const key = (seed = 0) => random.getPrng(seed);
const INPUT_SHAPE = [5, 7, 20];
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Mean and (population) variance of a tensor's values. */
function moments(t: tf.Tensor): { mean: number; variance: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const a of v) {
    s += a;
    if (a < min) min = a;
    if (a > max) max = a;
  }
  const mean = s / v.length;
  let ss = 0;
  for (const a of v) ss += (a - mean) ** 2;
  return { mean, variance: ss / v.length, min, max };
}

/** Asserts a sample of n values has the given mean and variance, within ~5 standard errors. */
function assertMoments(t: tf.Tensor, variance: number, what: string, kurtosis = 3): void {
  const n = t.size;
  const m = moments(t);
  const seMean = Math.sqrt(variance / n);
  const seVar = variance * Math.sqrt((kurtosis - 1) / n);
  assert.ok(Math.abs(m.mean) < 5 * seMean, `${what}: mean ${m.mean} (se ${seMean})`);
  assert.ok(Math.abs(m.variance - variance) < 5 * seVar, `${what}: variance ${m.variance}, expected ${variance} (se ${seVar})`);
}

const ALL: Record<string, () => ReturnType<typeof tl.RandomNormalInitializer>> = {
  RandomNormalInitializer: () => tl.RandomNormalInitializer(),
  RandomUniformInitializer: () => tl.RandomUniformInitializer(),
  ScaledInitializer: () => tl.ScaledInitializer(-1, -2, 1.0, "fan_in", "truncated_normal"),
  GlorotNormalInitializer: () => tl.GlorotNormalInitializer(),
  GlorotUniformInitializer: () => tl.GlorotUniformInitializer(),
  LeCunNormalInitializer: () => tl.LeCunNormalInitializer(),
  LeCunUniformInitializer: () => tl.LeCunUniformInitializer(),
  KaimingNormalInitializer: () => tl.KaimingNormalInitializer(),
  KaimingUniformInitializer: () => tl.KaimingUniformInitializer(),
  OrthogonalInitializer: () => tl.OrthogonalInitializer(),
  AtariConvInit: () => (shape, rng) => tl.AtariConvInit(shape, rng),
};

// ------------------------------------------------------------ Trax's cases

for (const [name, make] of Object.entries(ALL)) {
  if (name === "AtariConvInit") continue;
  test(`${name}: shape (5, 7, 20) as asked, float32 (Trax's test)`, () => {
    const t = make()(INPUT_SHAPE, key());
    assert.equal(t.shape, INPUT_SHAPE);
    assert.is(t.dtype, "float32");
  });
}

// ------------------------------------------------------------- determinism

for (const [name, make] of Object.entries(ALL)) {
  test(`${name}: the same key gives the same values, another key other values; nothing leaks`, () => {
    const shape = name === "AtariConvInit" ? [3, 3, 4, 8] : [16, 12];
    const init = make();
    const a = init(shape, key(1)).arraySync();
    assert.equal(init(shape, key(1)).arraySync(), a);
    assert.equal(make()(shape, key(1)).arraySync(), a);
    assert.not.equal(init(shape, key(2)).arraySync(), a);
    assert.is(leakedBy(() => init(shape, key(3)).dispose()), 0);
  });
}

test("RandomNormalInitializer is stddev * fastmath.random.normal from the same key (Trax's definition)", () => {
  const a = tl.RandomNormalInitializer(0.5)([4, 3], key(9));
  assertClose(a, random.normal(key(9), [4, 3]).mul(0.5).arraySync(), 1e-7);
  const b = tl.RandomUniformInitializer(2)([5], key(9));
  assertClose(b, random.uniform(key(9), [5], { minval: -2, maxval: 2 }).arraySync(), 1e-7);
});

// -------------------------------------------------------------- statistics

test("RandomNormalInitializer: mean 0, variance stddev^2 (default stddev 0.01)", () => {
  assertMoments(tl.RandomNormalInitializer()([200, 300], key(4)), 1e-4, "default");
  assertMoments(tl.RandomNormalInitializer(0.2)([200, 300], key(5)), 0.04, "stddev 0.2");
});

test("RandomUniformInitializer: in [-lim, lim), variance lim^2 / 3", () => {
  const t = tl.RandomUniformInitializer(0.5)([200, 300], key(4));
  const m = moments(t);
  assert.ok(m.min >= -0.5 && m.max < 0.5 && m.min < -0.49 && m.max > 0.49, `[${m.min}, ${m.max}]`);
  assertMoments(t, 0.25 / 3, "lim 0.5", 1.8);
  const d = moments(tl.RandomUniformInitializer()([1000], key(6)));
  assert.ok(d.min >= -1 && d.max < 1 && d.max > 0.9);
});

const FAN_IN = 300;
const FAN_OUT = 200;
const SHAPE = [FAN_IN, FAN_OUT];

test("Glorot: variance 2 / (fanIn + fanOut); uniform bound sqrt(6 / (fanIn + fanOut)); scale multiplies the variance", () => {
  const v = 2 / (FAN_IN + FAN_OUT);
  assertMoments(tl.GlorotNormalInitializer()(SHAPE, key(1)), v, "glorot normal");
  const u = tl.GlorotUniformInitializer()(SHAPE, key(2));
  assertMoments(u, v, "glorot uniform", 1.8);
  const bound = Math.sqrt(6 / (FAN_IN + FAN_OUT));
  const m = moments(u);
  assert.ok(m.min >= -bound && m.max <= bound && m.max > 0.99 * bound);
  assertMoments(tl.GlorotNormalInitializer(-1, -2, 3)(SHAPE, key(3)), 3 * v, "glorot normal scale 3");
});

test("LeCun: variance 1 / fanIn (normal and uniform)", () => {
  assertMoments(tl.LeCunNormalInitializer()(SHAPE, key(1)), 1 / FAN_IN, "lecun normal");
  assertMoments(tl.LeCunUniformInitializer()(SHAPE, key(2)), 1 / FAN_IN, "lecun uniform", 1.8);
});

test("Kaiming: variance 2 / sqrt(1 + param^2) / fanIn (normal and uniform)", () => {
  assertMoments(tl.KaimingNormalInitializer()(SHAPE, key(1)), 2 / FAN_IN, "kaiming normal");
  assertMoments(tl.KaimingUniformInitializer()(SHAPE, key(2)), 2 / FAN_IN, "kaiming uniform", 1.8);
  assertMoments(tl.KaimingNormalInitializer(-1, -2, 1)(SHAPE, key(3)), 2 / Math.SQRT2 / FAN_IN, "kaiming normal param 1");
});

test("ScaledInitializer: fan modes, dims, truncated normal within 2 sd with the requested variance", () => {
  const tn = tl.ScaledInitializer(-1, -2, 2.0, "fan_out", "truncated_normal")(SHAPE, key(1));
  assertMoments(tn, 2 / FAN_OUT, "truncated normal fan_out", 2.8);
  const sd = Math.sqrt(2 / FAN_OUT) / 0.87962566103423978;
  const m = moments(tn);
  assert.ok(m.min >= -2 * sd && m.max <= 2 * sd, `within [-2 sd, 2 sd]: [${m.min}, ${m.max}] sd ${sd}`);
  // Swapped dims: fan_in now reads axis -1.
  assertMoments(tl.ScaledInitializer(-2, -1, 1.0, "fan_in", "normal")(SHAPE, key(2)), 1 / FAN_OUT, "in_dim -1");
  assertMoments(tl.ScaledInitializer(-1, -2, 1.0, "fan_avg", "normal")(SHAPE, key(3)), 2 / (FAN_IN + FAN_OUT), "fan_avg");
  assert.throws(() => tl.ScaledInitializer(-1, -2, 0, "fan_in", "normal"), /scale must be positive float, 0 given/);
  assert.throws(() => tl.ScaledInitializer(-1, -2, 1, "fan_x" as "fan_in", "normal"), /Invalid mode argument/);
  assert.throws(() => tl.ScaledInitializer(-1, -2, 1, "fan_in", "cauchy" as "normal"), /invalid distribution/);
});

test("getFans: Trax's rule (rank >= 2 reads inDim and outDim; vectors use their length)", () => {
  assert.equal(tl.getFans([3, 4]), [3, 4]);
  assert.equal(tl.getFans([5, 7, 20]), [7, 20]);
  assert.equal(tl.getFans([5, 7, 20], -3, -1), [20, 5]);
  assert.equal(tl.getFans([9]), [9, 9]);
});

test("OrthogonalInitializer: orthonormal columns (tall), rows (wide), scaled by stddev, any rank", () => {
  const eye = (n: number) => tf.eye(n).arraySync();
  const tall = tl.OrthogonalInitializer()([12, 5], key(1)) as tf.Tensor2D;
  assertClose(tf.matMul(tall.transpose(), tall), eye(5), 1e-5);
  const wide = tl.OrthogonalInitializer()([5, 12], key(2)) as tf.Tensor2D;
  assertClose(tf.matMul(wide, wide.transpose()), eye(5), 1e-5);
  const sq = tl.OrthogonalInitializer(2)([6, 6], key(3)) as tf.Tensor2D;
  assertClose(tf.matMul(sq.transpose(), sq), tf.eye(6).mul(4).arraySync(), 1e-4);
  const r3 = tl.OrthogonalInitializer()([2, 3, 4], key(4));
  assert.equal(r3.shape, [2, 3, 4]);
  const flat = r3.reshape([6, 4]) as tf.Tensor2D;
  assertClose(tf.matMul(flat.transpose(), flat), eye(4), 1e-5);
  const v = tl.OrthogonalInitializer()([7], key(5));
  assertClose(tf.sum(tf.square(v)), 1, 1e-5);
  // Like numbers drawn from a normal distribution, entries are symmetric about 0.
  const big = tl.OrthogonalInitializer()([64, 64], key(6));
  assert.ok(Math.abs(moments(big).mean) < 0.02);
  assertClose(moments(big).variance, 1 / 64, 1e-3);
});

test("AtariConvInit: uniform in ±1 / sqrt(fanIn * h * w), (h, w, in, out) kernels only", () => {
  const t = tl.AtariConvInit([8, 8, 4, 32], key(1));
  assert.equal(t.shape, [8, 8, 4, 32]);
  const std = 1 / Math.sqrt(4 * 8 * 8);
  const m = moments(t);
  assert.ok(m.min >= -std && m.max <= std && m.max > 0.95 * std);
  assertMoments(t, (std * std) / 3, "atari", 1.8);
  assert.throws(() => tl.AtariConvInit([3, 3, 4], key(1)), /4-D kernel shape/);
});

test("defaulted arguments work as options too (Trax's keywords): same values as positionally; both ways at once is refused", () => {
  const same = (a: tl.Initializer, b: tl.Initializer, shape = [2, 3, 5]) => {
    const [x, y] = [a(shape, key(3)), b(shape, key(3))];
    assert.equal(Array.from(x.dataSync()), Array.from(y.dataSync()));
    tf.dispose([x, y]);
  };
  same(tl.RandomNormalInitializer({ stddev: 0.5 }), tl.RandomNormalInitializer(0.5));
  same(tl.RandomUniformInitializer({ lim: 0.5 }), tl.RandomUniformInitializer(0.5));
  same(tl.OrthogonalInitializer({ stddev: 2 }), tl.OrthogonalInitializer(2));
  for (const [kw, pos] of [
    [tl.GlorotNormalInitializer, tl.GlorotNormalInitializer],
    [tl.GlorotUniformInitializer, tl.GlorotUniformInitializer],
    [tl.LeCunNormalInitializer, tl.LeCunNormalInitializer],
    [tl.LeCunUniformInitializer, tl.LeCunUniformInitializer],
  ] as const) {
    same(kw({ scale: 2 }), pos(-1, -2, 2));
    same(kw({ outDim: 0 }), pos(0));
    same(kw(0, { scale: 3 }), pos(0, -2, 3));
    same(kw(0, 1, { scale: 3 }), pos(0, 1, 3));
  }
  same(tl.KaimingNormalInitializer({ param: 1, inDim: 0 }), tl.KaimingNormalInitializer(-1, 0, 1));
  same(tl.KaimingUniformInitializer({ param: 1 }), tl.KaimingUniformInitializer(-1, -2, 1));
  // The option changes the values as the positional does: Glorot variance 2 * scale / (fanIn + fanOut).
  const wide = tl.GlorotNormalInitializer({ scale: 4 })([200, 300], key(1));
  assertClose(moments(wide).variance, (2 * 4) / 500, 5e-4);
  wide.dispose();
  const atari = [tl.AtariConvInit([2, 2, 3, 4], key(2), { dtype: "float32" }), tl.AtariConvInit([2, 2, 3, 4], key(2))];
  assert.equal(Array.from(atari[0].dataSync()), Array.from(atari[1].dataSync()));
  tf.dispose(atari);
  assert.throws(() => tl.AtariConvInit([2, 2, 3, 4], key(2), { dtype: "int32" as never }), /AtariConvInit makes float32 values; got dtype int32/);
  assert.throws(() => (tl.GlorotNormalInitializer as (...a: unknown[]) => unknown)(-1, -2, 2, { scale: 2 }), /GlorotNormalInitializer\(\) got multiple values for 'scale'/);
  assert.throws(() => (tl.RandomNormalInitializer as (...a: unknown[]) => unknown)(0.1, { stddev: 0.2 }), /got multiple values for 'stddev'/);
  assert.throws(() => tl.RandomNormalInitializer({ std: 0.2 } as never), /unexpected option 'std'; did you mean 'stddev'/);
});

test("initializers refuse bad shapes", () => {
  assert.throws(() => tl.RandomNormalInitializer()([2, -1], key()), /invalid shape/);
});

// ----------------------------------------------------- InitializerFromFile

function withNumpyFiles(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "trax-init-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function numpy(code: string): void {
  execFileSync(PYTHON, ["-c", `import numpy as np\n${code}`], { stdio: ["ignore", "ignore", "inherit"] });
}

test("InitializerFromFile reads what numpy's np.save wrote (Trax test_from_file), float64 and int files", () => {
  withNumpyFiles((dir) => {
    const file = join(dir, "params.npy");
    const ints = join(dir, "ints.npy");
    numpy(`np.save(${JSON.stringify(file)}, np.array([[0.0, 0.1], [0.2, 0.3], [0.4, 0.5]]))\nnp.save(${JSON.stringify(ints)}, np.arange(6, dtype=np.int64).reshape(2, 3))`);
    const init = tl.InitializerFromFile(file);
    const t = init([3, 2], key());
    assert.is(t.dtype, "float32");
    assertClose(t, [[0.0, 0.1], [0.2, 0.3], [0.4, 0.5]], 1e-4);
    const i = tl.InitializerFromFile(ints)([2, 3], key());
    assert.is(i.dtype, "int32");
    assert.equal(i.arraySync(), [[0, 1, 2], [3, 4, 5]]);
    assert.is(leakedBy(() => init([3, 2], key()).dispose()), 0);
  });
});

test("InitializerFromFile as an Embedding's kernel initializer: pretrained vectors", () => {
  withNumpyFiles((dir) => {
    const file = join(dir, "emb.npy");
    numpy(`np.save(${JSON.stringify(file)}, (np.arange(12, dtype=np.float32) / 4).reshape(4, 3))`);
    const emb = tl.Embedding(4, 3, { kernelInitializer: tl.InitializerFromFile(file) });
    assertClose(emb(tf.tensor([2, 0], [2], "int32")), [[1.5, 1.75, 2], [0, 0.25, 0.5]]);
    const wrong = tl.Embedding(5, 3, { kernelInitializer: tl.InitializerFromFile(file) });
    assert.throws(() => wrong.init(new ShapeDtype([1], "int32")), /InitializerFromFile: expected shape \[5, 3\], got \[4, 3\] in .*emb\.npy/);
  });
});

test("InitializerFromFile: a missing file, a file that is not .npy and a wrong shape are errors naming the file; nothing leaks", () => {
  withNumpyFiles((dir) => {
    const missing = join(dir, "nope.npy");
    assert.throws(() => tl.InitializerFromFile(missing)([2], key()), /InitializerFromFile: cannot read \.npy file .*nope\.npy/);
    const junk = join(dir, "junk.npy");
    writeFileSync(junk, "not a numpy file at all");
    assert.throws(() => tl.InitializerFromFile(junk)([2], key()), /InitializerFromFile: .*junk\.npy/);
    const file = join(dir, "p.npy");
    numpy(`np.save(${JSON.stringify(file)}, np.zeros((3, 2)))`);
    assert.is(leakedBy(() => assert.throws(() => tl.InitializerFromFile(file)([2, 3], key()), /expected shape \[2, 3\], got \[3, 2\]/)), 0);
    assert.throws(() => tl.InitializerFromFile(""), /needs a file path/);
  });
});

test.run();
