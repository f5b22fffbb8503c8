/**
 * The wasm backend's block-copy `GatherV2` (src/backend/wasm-gather.ts):
 * the same values as tfjs's cpu backend, bit for bit, for every axis,
 * `batchDims`, dtype and slice width; the same error for an index out of
 * range; nothing leaked; and gradients (an Embedding's) unchanged.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelsRunBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { fastGather } from "../../src/backend/wasm-gather";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Runs `f` on the cpu backend (tfjs's reference kernels), then returns to wasm. */
function onCpu<T>(f: () => T): T {
  tf.setBackend("cpu");
  try {
    return f();
  } finally {
    tf.setBackend("wasm");
  }
}

type Case = { shape: number[]; dtype: "float32" | "int32" | "bool"; idxShape: number[]; axis: number; batchDims: number };

const cases: Case[] = [
  { shape: [64, 128], dtype: "float32", idxShape: [512], axis: 0, batchDims: 0 }, // an Embedding lookup
  { shape: [10, 3], dtype: "float32", idxShape: [4, 5], axis: 0, batchDims: 0 }, // slices shorter than a block copy
  { shape: [10], dtype: "float32", idxShape: [7], axis: 0, batchDims: 0 }, // slices of one element
  { shape: [4, 9, 20], dtype: "float32", idxShape: [6], axis: 1, batchDims: 0 }, // a middle axis
  { shape: [4, 9, 20], dtype: "float32", idxShape: [2, 3], axis: -1, batchDims: 0 }, // the last axis
  { shape: [3, 8, 17], dtype: "float32", idxShape: [3, 5], axis: 1, batchDims: 1 }, // per-batch indices
  { shape: [2, 3, 6, 16], dtype: "float32", idxShape: [2, 3, 4], axis: 2, batchDims: 2 },
  { shape: [12, 40], dtype: "int32", idxShape: [9], axis: 0, batchDims: 0 },
  { shape: [12, 20], dtype: "bool", idxShape: [9], axis: 0, batchDims: 0 },
  { shape: [12, 20], dtype: "float32", idxShape: [0], axis: 0, batchDims: 0 }, // no indices
  { shape: [0, 4], dtype: "float32", idxShape: [0], axis: 0, batchDims: 0 }, // an empty table
];

function values(c: Case, seed: number): { x: number[]; idx: number[] } {
  return tf.tidy(() => {
    const size = c.shape.reduce((p, d) => p * d, 1);
    const axis = c.axis < 0 ? c.shape.length + c.axis : c.axis;
    const idxSize = c.idxShape.reduce((p, d) => p * d, 1);
    const x = c.dtype === "float32" ? tf.randomNormal([size], 0, 1, "float32", seed) : tf.randomUniformInt([size], c.dtype === "bool" ? 0 : -50, c.dtype === "bool" ? 2 : 50, seed);
    const idx = idxSize === 0 ? [] : Array.from(tf.randomUniformInt([idxSize], 0, c.shape[axis], seed + 1).dataSync());
    return { x: Array.from(x.dataSync()), idx };
  });
}

function gathered(c: Case, v: { x: number[]; idx: number[] }): { shape: number[]; data: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor(v.x, c.shape, c.dtype);
    const out = tf.gather(x, tf.tensor(v.idx, c.idxShape, "int32"), c.axis, c.batchDims);
    return { shape: out.shape, data: Array.from(out.dataSync()) };
  });
}

test("gathers the same values as tfjs's cpu backend: every axis, batchDims, dtype and slice width", () => {
  if (!onWasm()) return;
  cases.forEach((c, i) => {
    const v = values(c, 10 + 3 * i);
    const before = tf.memory().numTensors;
    const wasm = gathered(c, v);
    assert.is(tf.memory().numTensors, before, `no tensor left: ${JSON.stringify(c)}`);
    const cpu = onCpu(() => gathered(c, v));
    assert.equal(wasm, cpu, JSON.stringify(c));
  });
});

test("switched off (benchmarks' plain-tfjs rows), tfjs-wasm's own kernel gives the same values", () => {
  if (!onWasm()) return;
  const c = cases[0];
  const v = values(c, 99);
  const fast = gathered(c, v);
  let names: string[] = [];
  const stock = withSwitch(fastGather, false, () => {
    names = kernelsRunBy(() => gathered(c, v));
    return gathered(c, v);
  });
  assert.ok(names.includes("GatherV2"), names.join(" "));
  assert.equal(stock, fast);
});

test("an index out of range throws tfjs-wasm's own error and leaks nothing", () => {
  if (!onWasm()) return;
  const table = tf.ones([5, 3]);
  const before = tf.memory().numTensors;
  for (const bad of [5, -1]) {
    const ids = tf.tensor1d([0, bad], "int32");
    assert.throws(() => tf.gather(table, ids), new RegExp(`GatherV2: the index value ${bad} is not in \\[0, 4\\]`));
    ids.dispose();
  }
  assert.is(tf.memory().numTensors, before);
  table.dispose();
});

test("an Embedding's outputs and gradients are those of the cpu backend", () => {
  if (!onWasm()) return;
  const run = () => {
    const emb = tl.Embedding(50, 24);
    const ids = tf.tensor2d([[3, 7, 7, 49], [0, 1, 2, 3]], [2, 4], "int32");
    emb.init(trax.shapes.signature(ids), { rng: trax.fastmath.random.getPrng(5) });
    const y = emb(ids) as tf.Tensor;
    const scale = tf.range(0, 8 * 24).reshape([2, 4, 24]);
    const g = trax.fastmath.grad((w: tf.Tensor) => (emb(ids, { weights: w as never }) as tf.Tensor).mul(scale).sum())(emb.weights as tf.Tensor);
    scale.dispose();
    const out = { y: Array.from(y.dataSync()), g: Array.from(g.dataSync()) };
    tf.dispose([ids, y, g]);
    return out;
  };
  const wasm = run();
  const cpu = onCpu(run);
  assert.equal(wasm, cpu);
});

test.run();
