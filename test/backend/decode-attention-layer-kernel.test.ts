/**
 * A predict-mode step of a whole attention layer as one wasm kernel
 * (src/backend/simd/wasm-decode-attention-layer.ts, run by
 * ConfigurableAttention and so CausalAttention): exactly the outputs and
 * caches of running the layers (projections, head splits, attention, merge,
 * output projection), over batch sizes (more rows than one product call
 * takes among them), heads and unequal widths; what it does not take runs
 * the layers; a full cache and a failed step leave the cache as it was; a
 * decoder's tokens equal eval mode's; nothing leaks.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertFailsWhenMallocOf, kernelsRunBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { decodeAgainstEval } from "./decoder-vs-eval";
import { fusedDecodeAttentionLayer, simdDecodeAttentionLayer } from "../../src/backend/simd/wasm-decode-attention-layer";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

type Layer = InstanceType<typeof tl.Layer>;

/** A predict-mode ConfigurableAttention: input width `dIn`, queries and keys `dq`, values `dv`, output `dOut`. */
function attention(dIn: number, dq: number, dv: number, dOut: number, nHeads: number, batch: number, maxInferenceLength = 8): Layer {
  const layer = tl.ConfigurableAttention(tl.Dense(dq), tl.Dense(dq), tl.Dense(dv), tl.Dense(dOut),
    tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength }), { nHeads });
  layer.init(new trax.shapes.ShapeDtype([batch, 1, dIn]), { rng: trax.fastmath.random.getPrng(dIn + dq) });
  return layer;
}

/** Outputs of `steps` one-position calls, then the cache, as plain numbers; and the kernels they ran. */
function decode(layer: Layer, xs: tf.Tensor[]): { outputs: number[][]; cache: number[][]; kernels: string[] } {
  const outputs: number[][] = [];
  const kernels = kernelsRunBy(() => {
    for (const x of xs) {
      const y = layer(x) as tf.Tensor;
      outputs.push(Array.from(y.dataSync()));
      y.dispose();
    }
  });
  const cache = (trax.fastmath.treeFlatten(layer.state as never) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
  return { outputs, cache, kernels };
}

test("one kernel a step, with exactly the layers' outputs and caches, over batch sizes, heads and widths", () => {
  if (!onWasm()) return;
  let seed = 1;
  for (const [batch, dIn, dq, dv, dOut, heads] of [[1, 256, 256, 256, 256, 4], [2, 10, 8, 12, 6, 2], [5, 16, 16, 16, 16, 4], [3, 8, 8, 8, 8, 1], [9, 12, 16, 8, 20, 2]]) {
    const fused = attention(dIn, dq, dv, dOut, heads, batch);
    const layers = attention(dIn, dq, dv, dOut, heads, batch);
    layers.weights = fused.weights;
    const xs = Array.from({ length: 5 }, () => tf.randomNormal([batch, 1, dIn], 0, 1, "float32", seed++));
    const got = decode(fused, xs);
    const want = withSwitch(simdDecodeAttentionLayer, false, () => decode(layers, xs));
    const what = `batch ${batch}, widths ${dIn} ${dq} ${dv} ${dOut}, ${heads} heads`;
    assert.equal(got.kernels, xs.map(() => "TraxDecodeAttentionLayer"), `one kernel a step (${what})`);
    assert.ok(!want.kernels.includes("TraxDecodeAttentionLayer"), "switched off");
    assert.equal(got.outputs, want.outputs, `outputs (${what})`);
    assert.equal(got.cache, want.cache, `keys, values and position (${what})`);
    assert.equal((fused.state as tf.Tensor[][])[1].map((t) => t.shape), [[batch * heads, 8, dq / heads], [batch * heads, 8, dv / heads], []]);
    tf.dispose(xs);
  }
});

test("what the kernel does not take runs the layers: convolved projections, a Dense without bias or of a subclass, two positions, odd heads, a gradient tape", () => {
  if (!onWasm()) return;
  class MyDense extends tl.Dense {}
  const cases: [string, () => Layer, number[]][] = [
    ["useDconv", () => tl.CausalAttention(8, { nHeads: 2, mode: "predict", useDconv: true }), [1, 1, 8]],
    ["no bias", () => tl.ConfigurableAttention(tl.Dense(8, { useBias: false }), tl.Dense(8), tl.Dense(8), tl.Dense(8), tl.DotProductCausalAttention({ mode: "predict" }), { nHeads: 2 }), [1, 1, 8]],
    ["a Dense subclass", () => tl.ConfigurableAttention(tl.Dense(8), tl.Dense(8), tl.Dense(8), new MyDense(8), tl.DotProductCausalAttention({ mode: "predict" }), { nHeads: 2 }), [1, 1, 8]],
    ["two positions", () => tl.CausalAttention(8, { nHeads: 2, mode: "predict" }), [1, 2, 8]],
    ["heads 3 wide", () => tl.CausalAttention(6, { nHeads: 2, mode: "predict" }), [1, 1, 6]],
    ["eval mode", () => tl.CausalAttention(8, { nHeads: 2, mode: "eval" }), [1, 1, 8]],
  ];
  for (const [what, make, shape] of cases) {
    const layer = make();
    const x = tf.randomNormal(shape, 0, 1, "float32", 2);
    layer.init(trax.shapes.signature(x));
    const names = kernelsRunBy(() => (layer(x) as tf.Tensor).dispose());
    assert.not.ok(names.includes("TraxDecodeAttentionLayer"), `${what}: ${names.join(" ")}`);
    x.dispose();
  }
  const [w, b] = [tf.ones([8, 8]), tf.zeros([8])];
  const p = { q: [w, b], k: [w, b], v: [w, b], out: [w, b] } as Parameters<typeof fusedDecodeAttentionLayer>[1];
  const cache = tf.zeros([2, 3, 4]);
  const grad = tf.grad((x: tf.Tensor) => {
    assert.is(fusedDecodeAttentionLayer(x, p, cache, cache, 0, 2), null, "under a gradient tape");
    return tf.sum(x);
  })(tf.ones([1, 1, 8]));
  assert.is(fusedDecodeAttentionLayer(tf.ones([1, 1, 8]), p, cache, cache, 3, 2), null, "no room at position 3 of 3");
  const step = fusedDecodeAttentionLayer(tf.ones([1, 1, 8]), p, cache, cache, 0, 2);
  assert.ok(step, "the same operands without a tape");
  assert.ok(step![1] !== cache && step![2] !== cache && step![1] !== step![2], "a cache of the caller's is copied, not written");
  tf.dispose([w, b, cache, grad, ...step!]);
});

test("a tree changed after construction (a head merge replaced) runs the layers", () => {
  if (!onWasm()) return;
  const changed = attention(8, 8, 8, 8, 2, 1);
  const plain = attention(8, 8, 8, 8, 2, 1);
  plain.weights = changed.weights;
  changed.sublayers[2] = tl.MergeHeads(2);
  const xs = [1, 2, 3].map((seed) => tf.randomNormal([1, 1, 8], 0, 1, "float32", seed));
  const got = decode(changed, xs);
  const want = withSwitch(simdDecodeAttentionLayer, false, () => decode(plain, xs));
  assert.not.ok(got.kernels.includes("TraxDecodeAttentionLayer"), got.kernels.join(" "));
  assert.equal(got.outputs, want.outputs);
  tf.dispose(xs);
});

test("a full cache gives the layers' error and keeps the cache", () => {
  if (!onWasm()) return;
  const layer = attention(8, 8, 8, 8, 2, 1, 2);
  const x = tf.randomNormal([1, 1, 8], 0, 1, "float32", 4);
  for (let i = 0; i < 2; i++) (layer(x) as tf.Tensor).dispose();
  const leaves = () => trax.fastmath.treeFlatten(layer.state as never) as tf.Tensor[];
  const state = leaves();
  assert.throws(() => layer(x), /beyond maxInferenceLength 2; the cache is left as it was/);
  assert.ok(leaves().every((t, i) => t === state[i]), "the same tensors");
  assert.ok(state.every((t) => !t.isDisposed));
  x.dispose();
});

test("a step that cannot get its scratch memory throws, leaves no buffer behind, and the layer keeps its cache", () => {
  if (!onWasm()) return;
  const layer = attention(8, 8, 12, 8, 2, 1);
  const x = tf.randomNormal([1, 1, 8], 0, 1, "float32", 5);
  (layer(x) as tf.Tensor).dispose(); // one position cached
  const leaves = () => trax.fastmath.treeFlatten(layer.state as never) as tf.Tensor[];
  const state = leaves();
  const cached = state.map((t) => Array.from(t.dataSync()));
  const scratchBytes = 4 * (1 * (2 * 8 + 2 * 12) + 2 * 2); // q, k, v, attention output, logits of 2 heads x 2 positions
  assertFailsWhenMallocOf(scratchBytes, () => layer(x), /out of wasm memory/);
  assert.ok(leaves().every((t, i) => t === state[i]), "the same tensors");
  assert.equal(state.map((t) => Array.from(t.dataSync())), cached);
  x.dispose();
});

test("a predict-mode decoder runs one kernel a layer, gives eval mode's outputs, and leaks nothing", () => {
  if (!onWasm()) return;
  const names = decodeAgainstEval();
  assert.is(names.filter((n) => n === "TraxDecodeAttentionLayer").length, 12, "two layers, six tokens");
  assert.not.ok(names.includes("TraxDecodeAttention") || names.includes("Concat"), "no per-layer attention kernels");
});

test.run();
