import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertWeightGradsMatchFiniteDifferences, assertLayerError, leakedBy, ready, shapes, tf, tl, ShapeDtype } from "../helpers";
import * as random from "../../src/fastmath/random";
import { treeFlatten } from "../../src/fastmath/tree";
import { bmm, bmmT, causalBias, perHeadAttention } from "../../src/layers/attention-math";
import { pattern } from "../fixtures/patterns";
import { ATT } from "../fixtures/attention_values";

const test = suite("attention");
test.before(ready);

type Layer = InstanceType<typeof tl.Layer>;
const T = (x: unknown) => tf.tensor(x as number[]);

/** Leaf layers of a tree, depth first, whose name starts with `prefix`. */
function leaves(layer: Layer, prefix: string): Layer[] {
  const out: Layer[] = [];
  const walk = (l: Layer) => {
    if (l.sublayers.length === 0 && l.name.startsWith(prefix)) out.push(l);
    for (const s of l.sublayers) walk(s);
  };
  walk(layer);
  return out;
}

/** Gives the leaf layers named `prefix...` the weights listed, in depth-first order. */
function setWeights(layer: Layer, prefix: string, weights: unknown[][]): void {
  const ls = leaves(layer, prefix);
  assert.is(ls.length, weights.length, `${weights.length} ${prefix} layers in ${layer.name}`);
  ls.forEach((l, i) => {
    const single = l.weights instanceof tf.Tensor;
    const old = treeFlatten(l.weights as never) as tf.Tensor[];
    const ws = weights[i].map(T);
    assert.equal(ws.map((w) => w.shape), old.map((w) => w.shape), `${prefix} #${i} weight shapes`);
    l.weights = single ? ws[0] : ws;
    tf.dispose(old);
  });
}

const A = ATT.attn;
const denseQKVO = [[A.wq, A.bq], [A.wk, A.bk], [A.wv, A.bv], [A.wo, A.bo]];
const values = (t: tf.Tensor) => t.arraySync();
const stateValues = (l: Layer) => treeFlatten(l.state as never).map((t) => (t as tf.Tensor).arraySync());

// ------------------------------------------------------------ Trax's cases

test("Attention on (x, mask) returns (y, mask) (Trax AttentionTest.test_simple_call)", () => {
  // Trax's test builds this layer with tl.CausalAttention; with (x, mask) inputs it is tl.Attention.
  const layer = tl.Attention(4, { nHeads: 2 });
  const x = [tf.tensor([[[2, 5, 3, 4], [0, 1, 2, 3], [0, 1, 2, 3]]]), tf.tensor([[[[1, 0, 1]]]])];
  const [y, mask] = layer(x) as tf.Tensor[];
  assert.equal(y.shape, [1, 3, 4]);
  assert.equal(mask.shape, [1, 1, 1, 3]);
});

test("ShiftRight on ints and floats (Trax test_shift_right, test_shift_right_float)", () => {
  const x = [[[9, 9, 9], [8, 8, 8], [7, 7, 7], [6, 6, 6]], [[99, 98, 97], [96, 95, 94], [93, 92, 91], [90, 89, 88]]];
  const yi = tl.ShiftRight()(tf.tensor(x, undefined, "int32")) as tf.Tensor;
  assert.is(yi.dtype, "int32");
  assert.equal(values(yi), [[[0, 0, 0], [9, 9, 9], [8, 8, 8], [7, 7, 7]], [[0, 0, 0], [99, 98, 97], [96, 95, 94], [93, 92, 91]]]);
  const yf = tl.ShiftRight()(tf.tensor(x).div(2)) as tf.Tensor;
  assert.is(yf.dtype, "float32");
  assert.equal(values(yf), [
    [[0, 0, 0], [4.5, 4.5, 4.5], [4, 4, 4], [3.5, 3.5, 3.5]],
    [[0, 0, 0], [49.5, 49, 48.5], [48, 47.5, 47], [46.5, 46, 45.5]],
  ]);
});

test("ShiftRight: nPositions, predict mode is a no-op, name", () => {
  assert.equal(values(tl.ShiftRight({ nPositions: 2 })(tf.tensor([[1, 2, 3]])) as tf.Tensor), [[0, 0, 1]]);
  assert.equal(values(tl.ShiftRight({ nPositions: 5 })(tf.tensor([[1, 2, 3]])) as tf.Tensor), [[0, 0, 0]]);
  assert.equal(values(tl.ShiftRight({ mode: "predict" })(tf.tensor([[1, 2, 3]])) as tf.Tensor), [[1, 2, 3]]);
  assert.is(tl.ShiftRight().name, "ShiftRight(1)");
  assert.throws(() => tl.ShiftRight({ nPositions: -1 }), /non-negative integer/);
  assertLayerError(() => tl.ShiftRight()(tf.tensor([1, 2])), /rank >= 2/);
});

test("PaddingMask (Trax test_padding_mask)", () => {
  const x = tf.tensor([[1, 2, 3, 4, 0], [1, 2, 3, 0, 0], [1, 2, 0, 0, 0]]);
  const y = tl.PaddingMask()(x) as tf.Tensor;
  assert.equal(y.shape, [3, 1, 1, 5]);
  assert.is(y.dtype, "bool");
  assert.equal(values(y), [[[[1, 1, 1, 1, 0]]], [[[1, 1, 1, 0, 0]]], [[[1, 1, 0, 0, 0]]]]);
  assert.equal(values(tl.PaddingMask({ pad: 2 })(tf.tensor([[2, 1]])) as tf.Tensor), [[[[0, 1]]]]);
  assertLayerError(() => tl.PaddingMask()(tf.ones([2, 3, 4])), /2-D array/);
});

test("CausalAttention shape and deterministic eval (Trax CausalAttentionTest)", () => {
  const layer = tl.CausalAttention(4, { nHeads: 2 });
  assert.equal((layer(tf.tensor([[[2, 5, 3, 4], [0, 1, 2, 3], [0, 1, 2, 3]]])) as tf.Tensor).shape, [1, 3, 4]);
  const ev = tl.CausalAttention(32, { nHeads: 4, mode: "eval", dropout: 0.5 });
  const x = tf.ones([1, 3, 32]);
  assert.equal(values(ev(x) as tf.Tensor), values(ev(x) as tf.Tensor));
});

/** Feeds `x (b, l, d)` one position at a time to a predict-mode copy of `make` and compares with eval. */
function checkPredictEqualsEval(make: (mode: string) => Layer, x: tf.Tensor, atol = 1e-5): void {
  const [b, l, d] = x.shape;
  const ev = make("eval");
  ev.init(new ShapeDtype([b, l, d]), { rng: random.getPrng(0) });
  const pr = make("predict");
  pr.init(new ShapeDtype([b, 1, d]), { rng: random.getPrng(0) });
  pr.weights = ev.weights;
  const expected = ev(x) as tf.Tensor;
  const got: tf.Tensor[] = [];
  for (let t = 0; t < l; t++) got.push(pr(x.slice([0, t, 0], [b, 1, d])) as tf.Tensor);
  assertClose(tf.concat(got, 1), expected, atol, 1e-5, "predict vs eval");
}

test("CausalAttention: predict equals eval (Trax test_predict_equals_eval)", () => {
  checkPredictEqualsEval((mode) => tl.CausalAttention(32, { nHeads: 4, mode: mode as "eval" }), tf.ones([1, 10, 32]));
  checkPredictEqualsEval((mode) => tl.CausalAttention(8, { nHeads: 2, mode: mode as "eval" }), random.normal(random.getPrng(1), [2, 7, 8]));
});

test("PositionalEncoding simple call and predict in pieces (Trax PositionalEncodingTest)", () => {
  const x = tf.tensor([[[2, 3, 4, 5], [1, 2, 3, 4]]]);
  assert.equal((tl.PositionalEncoding({ maxLen: 8 })(x) as tf.Tensor).shape, [1, 2, 4]);
  const x2 = tf.tensor([[[2, 3], [1, 2], [0, 1], [3, 4]]]);
  const y = tl.PositionalEncoding({ maxLen: 8 })(x2) as tf.Tensor;
  const pr = tl.PositionalEncoding({ maxLen: 8, mode: "predict" });
  pr.init(new ShapeDtype([1, 1, 2]));
  assert.equal(values(pr(x2.slice([0, 0, 0], [1, 1, 2])) as tf.Tensor), values(y.slice([0, 0, 0], [1, 1, 2])));
  assert.equal(values(pr(x2.slice([0, 1, 0], [1, 2, 2])) as tf.Tensor), values(y.slice([0, 1, 0], [1, 2, 2])));
  assert.equal(values(pr(x2.slice([0, 3, 0], [1, 1, 2])) as tf.Tensor), values(y.slice([0, 3, 0], [1, 1, 2])));
  assert.is((pr.state as tf.Tensor).dataSync()[0], 4);
});

test("PositionalEncoding with dFeature: predict equals eval (Trax test_predict_equals_eval)", () => {
  const x = tf.tensor([[[2, 3], [1, 2], [0, 1], [3, 4]]]);
  const ev = tl.PositionalEncoding({ maxLen: 8, dFeature: 4, mode: "eval" });
  ev.init(new ShapeDtype([1, 4, 2]));
  assert.equal(shapes(ev.weights), [[8, 4], [4, 2]]);
  const pr = tl.PositionalEncoding({ maxLen: 8, dFeature: 4, mode: "predict" });
  pr.init(new ShapeDtype([1, 4, 2]));
  pr.weights = ev.weights;
  assert.equal(values(pr(x) as tf.Tensor), values(ev(x) as tf.Tensor));
});

// ----------------------------------------------------- known values (numpy)

test("DotProductAttention values with a padding mask, and the viz state (b, h, q, k)", () => {
  const F = ATT.dpa;
  const mask = tf.tensor([[[[1, 1, 0]]]]).cast("bool");
  for (const mode of ["eval", "train", "predict"] as const) {
    assertClose(tl.DotProductAttention({ mode })([T(F.q), T(F.k), T(F.v), mask]), F.out, 1e-5, 1e-5, mode);
  }
  const viz = tl.DotProductAttention({ mode: "viz" });
  assertClose(viz([T(F.q), T(F.k), T(F.v), mask]), F.out, 1e-5);
  assertClose(viz.state, F.probs, 1e-5, 1e-5, "viz probabilities");
  // numeric mask (nonzero = visible) works as the boolean one
  assertClose(tl.DotProductAttention({ mode: "eval" })([T(F.q), T(F.k), T(F.v), tf.tensor([[[[1, 1, 0]]]])]), F.out, 1e-5);
  // merged heads (b*h, l, d) with nHeads: the viz state is still (b, h, q, k)
  const merged = tl.DotProductAttention({ mode: "viz", nHeads: 2 });
  const r3 = (x: unknown) => T(x).reshape([2, 3, 4]);
  assertClose(merged([r3(F.q), r3(F.k), r3(F.v), mask.reshape([1, 1, 3])]), T(F.out).reshape([2, 3, 4]), 1e-5);
  assertClose(merged.state, F.probs, 1e-5);
});

test("DotProductAttention dropout: train only, rows rescaled, same key same mask", () => {
  const F = ATT.dpa;
  const mask = tf.ones([1, 1, 1, 3], "bool");
  const v = tf.eye(3).reshape([1, 1, 3, 3]).tile([1, 2, 1, 1]); // output = probabilities
  const q = T(F.q).slice([0, 0, 0, 0], [1, 2, 3, 3]);
  const k = T(F.k).slice([0, 0, 0, 0], [1, 2, 3, 3]);
  const layer = tl.DotProductAttention({ dropout: 0.5, mode: "train" });
  const key = random.getPrng(4);
  const p1 = layer([q, k, v, mask], { rng: key }) as tf.Tensor;
  const p2 = layer([q, k, v, mask], { rng: key }) as tf.Tensor;
  assert.equal(values(p1), values(p2));
  const plain = tl.DotProductAttention({ mode: "eval" })([q, k, v, mask]) as tf.Tensor;
  const a = p1.dataSync();
  const e = plain.dataSync();
  let dropped = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) dropped++;
    else assert.ok(Math.abs(a[i] - 2 * e[i]) < 1e-5, "kept probabilities are doubled");
  }
  assert.ok(dropped > 0 && dropped < a.length, `some dropped (${dropped}/${a.length})`);
  assert.equal(values(tl.DotProductAttention({ dropout: 0.5, mode: "eval" })([q, k, v, mask]) as tf.Tensor), values(plain));
  assert.throws(() => tl.DotProductAttention({ dropout: 1 }), /lower than 1/);
});

test("Attention values (Dense Q, K, V, O with 2 heads) against numpy; masked keys change nothing", () => {
  const layer = tl.Attention(4, { nHeads: 2, mode: "eval" });
  const mask = tf.tensor([[[[1, 1, 1, 0]]]]).cast("bool");
  layer.init([new ShapeDtype([1, 4, 4]), new ShapeDtype([1, 1, 1, 4], "bool")]);
  setWeights(layer, "Dense", denseQKVO);
  const [y, m] = layer([T(A.x), mask]) as tf.Tensor[];
  assertClose(y, A.out, 1e-5, 1e-5);
  assert.equal(values(m), values(mask));
  // padded position 3: its input does not reach positions 0..2
  const x2 = T(A.x).add(tf.tensor([0, 0, 0, 1]).reshape([1, 4, 1]).mul(100));
  const y2 = (layer([x2, mask]) as tf.Tensor[])[0];
  assertClose(y2.slice([0, 0, 0], [1, 3, 4]), y.slice([0, 0, 0], [1, 3, 4]), 1e-5);
});

test("AttentionQKV from separate sources (lq != lk) against numpy, with the viz state", () => {
  const F = ATT.qkv;
  const layer = tl.AttentionQKV(4, { nHeads: 2, mode: "viz" });
  const mask = tf.tensor([[[[1, 0, 1]]]]).cast("bool");
  layer.init([new ShapeDtype([1, 2, 4]), new ShapeDtype([1, 3, 4]), new ShapeDtype([1, 3, 4]), new ShapeDtype([1, 1, 1, 3], "bool")]);
  setWeights(layer, "Dense", denseQKVO);
  const [y] = layer([T(F.aq), T(F.ak), T(F.av), mask]) as tf.Tensor[];
  assertClose(y, F.out, 1e-5, 1e-5);
  const pure = leaves(layer, "PureAttention")[0];
  assertClose(pure.state, F.probs, 1e-5, 1e-5, "viz probabilities (b, h, q, k)");
});

test("AttentionQKV with qSparsity/resultSparsity 2 (FactoredDense + LocallyConvDense) against numpy", () => {
  const F = ATT.sparse;
  const layer = tl.AttentionQKV(4, { nHeads: 2, mode: "eval", qSparsity: 2, resultSparsity: 2 });
  const mask = tf.ones([1, 1, 1, 3], "bool");
  const sig = new ShapeDtype([1, 3, 4]);
  layer.init([sig, sig, sig, new ShapeDtype([1, 1, 1, 3], "bool")]);
  setWeights(layer, "FactoredDense", [[F.q.gating, F.q.proj, F.q.bias], [F.res.gating, F.res.proj, F.res.bias]]);
  setWeights(layer, "LocallyConvDense", [[F.q.kernel, F.q.cbias], [F.res.kernel, F.res.cbias]]);
  setWeights(layer, "Dense", [denseQKVO[1], denseQKVO[2]]);
  const x = T(F.x);
  assertClose((layer([x, x, x, mask]) as tf.Tensor[])[0], F.out, 1e-5, 1e-5);
});

test("AttentionQKV sparsity 'noop' passes Q and the result through; bad sparsity is an error", () => {
  const layer = tl.AttentionQKV(4, { nHeads: 2, mode: "eval", qSparsity: "noop", resultSparsity: "noop" });
  const x = T(ATT.attn.x);
  const mask = tf.ones([1, 1, 1, 4], "bool");
  layer.init([new ShapeDtype([1, 4, 4]), new ShapeDtype([1, 4, 4]), new ShapeDtype([1, 4, 4]), new ShapeDtype([1, 1, 1, 4], "bool")]);
  assert.is(leaves(layer, "Dense").length, 2);
  setWeights(layer, "Dense", [[A.wk, A.bk], [A.wv, A.bv]]);
  const split = (t: tf.Tensor) => t.reshape([1, 4, 2, 2]).transpose([0, 2, 1, 3]);
  const k = tf.matMul(x.reshape([4, 4]), T(A.wk)).add(T(A.bk)).reshape([1, 4, 4]);
  const v = tf.matMul(x.reshape([4, 4]), T(A.wv)).add(T(A.bv)).reshape([1, 4, 4]);
  const per = tl.DotProductAttention({ mode: "eval" })([split(x), split(k), split(v), mask]) as tf.Tensor;
  const expected = per.transpose([0, 2, 1, 3]).reshape([1, 4, 4]);
  assertClose((layer([x, x, x, mask]) as tf.Tensor[])[0], expected, 1e-5);
  assert.throws(() => tl.AttentionQKV(4, { qSparsity: 3 }), /multiple of the sparsity/);
  assert.throws(() => tl.AttentionQKV(4, { resultSparsity: 0 }), /positive integer/);
});

test("AttentionQKV cacheKVInPredict: K and V are projected once and reused", () => {
  const make = (cache: boolean) => tl.AttentionQKV(4, { nHeads: 2, mode: "predict", cacheKVInPredict: cache });
  const sig = [new ShapeDtype([1, 1, 4]), new ShapeDtype([1, 3, 4]), new ShapeDtype([1, 3, 4]), new ShapeDtype([1, 1, 1, 3], "bool")];
  const cached = make(true);
  cached.init(sig, { rng: random.getPrng(2) });
  const fresh = make(false);
  fresh.init(sig, { rng: random.getPrng(2) });
  const dense = leaves(cached, "Dense");
  assert.is(dense.length, 4);
  setWeights(fresh, "Dense", dense.map((d) => (d.weights as tf.Tensor[]).map((w) => w.arraySync())));
  const mask = tf.ones([1, 1, 1, 3], "bool");
  const [q1, q2, kv, other] = [1, 2, 3, 4].map((s) => random.normal(random.getPrng(s), [1, s <= 2 ? 1 : 3, 4]));
  assertClose((cached([q1, kv, kv, mask]) as tf.Tensor[])[0], (fresh([q1, kv, kv, mask]) as tf.Tensor[])[0], 1e-6);
  // second call: new keys/values are ignored, the cached projections are used
  assertClose((cached([q2, other, other, mask]) as tf.Tensor[])[0], (fresh([q2, kv, kv, mask]) as tf.Tensor[])[0], 1e-6);
  assert.is(leakedBy(() => tf.dispose((cached([q2, other, other, mask]) as tf.Tensor[])[0])), 0, "no leaks");
});

test("CausalAttention values against numpy; ConfigurableAttention with the same parts gives the same", () => {
  const layer = tl.CausalAttention(4, { nHeads: 2, mode: "eval" });
  layer.init(new ShapeDtype([1, 4, 4]));
  setWeights(layer, "Dense", denseQKVO);
  assertClose(layer(T(A.x)), ATT.causal.out, 1e-5, 1e-5);
  const conf = tl.ConfigurableAttention(tl.Dense(4), tl.Dense(4), tl.Dense(4), tl.Dense(4),
    tl.DotProductCausalAttention({ mode: "eval" }), { nHeads: 2 });
  conf.init(new ShapeDtype([1, 4, 4]));
  setWeights(conf, "Dense", denseQKVO);
  assertClose(conf(T(A.x)), ATT.causal.out, 1e-5, 1e-5);
  // and with full (non-causal) attention as the qkv layer, it is Attention without a mask
  const full = tl.ConfigurableAttention(tl.Dense(4), tl.Dense(4), tl.Dense(4), tl.Dense(4),
    tl.Fn("Full", (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tl.DotProductAttention({ mode: "eval" })([q, k, v, tf.ones([1, 1, 4], "bool")]) as tf.Tensor), { nHeads: 2 });
  full.init(new ShapeDtype([1, 4, 4]));
  setWeights(full, "Dense", denseQKVO);
  const att = tl.Attention(4, { nHeads: 2, mode: "eval" });
  att.init([new ShapeDtype([1, 4, 4]), new ShapeDtype([1, 1, 1, 4], "bool")]);
  setWeights(att, "Dense", denseQKVO);
  assertClose(full(T(A.x)), (att([T(A.x), tf.ones([1, 1, 1, 4], "bool")]) as tf.Tensor[])[0], 1e-5);
});

test("CausalAttention useDconv uses a causal depthwise convolution after Q, K, V", () => {
  const layer = tl.CausalAttention(4, { nHeads: 2, mode: "eval", useDconv: true });
  layer.init(new ShapeDtype([1, 4, 4]));
  const convs = leaves(layer, "CausalDepthwiseConv");
  assert.is(convs.length, 3);
  setWeights(layer, "Dense", denseQKVO);
  // kernel [1, 0, 0] per channel: the identity, so the values of plain CausalAttention
  setWeights(layer, "CausalDepthwiseConv", [0, 1, 2].map(() => [[[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]]));
  assertClose(layer(T(A.x)), ATT.causal.out, 1e-5, 1e-5);
  // kernel [0, 1, 0]: keys/values/queries of the previous position; check against the math by hand
  setWeights(layer, "CausalDepthwiseConv", [0, 1, 2].map(() => [[[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]]));
  const x = T(A.x);
  const proj = (w: unknown, b: unknown) => tl.ShiftRight()(tf.matMul(x.reshape([4, 4]), T(w)).add(T(b)).reshape([1, 4, 4])) as tf.Tensor;
  const split = (t: tf.Tensor) => t.reshape([1, 4, 2, 2]).transpose([0, 2, 1, 3]);
  const a = tl.DotProductAttention({ mode: "eval" })([split(proj(A.wq, A.bq)), split(proj(A.wk, A.bk)), split(proj(A.wv, A.bv)),
    tf.linalg.bandPart(tf.ones([4, 4]), -1, 0).reshape([1, 1, 4, 4])]) as tf.Tensor;
  const expected = tf.matMul(a.transpose([0, 2, 1, 3]).reshape([4, 4]), T(A.wo)).add(T(A.bo)).reshape([1, 4, 4]);
  assertClose(layer(x), expected, 1e-5);
});

test("DotProductCausalAttention equals DotProductAttention with a lower-triangular mask; viz state", () => {
  const F = ATT.dpa;
  const r3 = (x: unknown) => T(x).reshape([2, 3, 4]);
  const tri = tf.linalg.bandPart(tf.ones([3, 3]), -1, 0).reshape([1, 3, 3]);
  const expected = tl.DotProductAttention({ mode: "eval" })([r3(F.q), r3(F.k), r3(F.v), tri]) as tf.Tensor;
  assertClose(tl.DotProductCausalAttention({ mode: "eval" })([r3(F.q), r3(F.k), r3(F.v)]), expected, 1e-6);
  const viz = tl.DotProductCausalAttention({ mode: "viz", nHeads: 2 });
  viz([r3(F.q), r3(F.k), r3(F.v)]);
  const p = viz.state as tf.Tensor;
  assert.equal(p.shape, [1, 2, 3, 3]);
  const pv = p.arraySync() as number[][][][];
  for (const head of pv[0]) {
    head.forEach((row, i) => {
      assertClose(row.reduce((s, v) => s + v, 0), 1, 1e-6, 0, "row sums to 1");
      row.forEach((v, j) => j > i && assert.is(v, 0, "no attention to later keys"));
    });
  }
});

test("causality: changing inputs after position t leaves outputs up to t unchanged", () => {
  const layer = tl.CausalAttention(8, { nHeads: 2, mode: "eval", useDconv: true });
  const x = random.normal(random.getPrng(5), [2, 6, 8]);
  const y = layer(x) as tf.Tensor;
  for (const t of [0, 2, 4]) {
    const noise = random.normal(random.getPrng(t + 10), [2, 6 - t - 1, 8]);
    const x2 = tf.concat([x.slice([0, 0, 0], [2, t + 1, 8]), noise], 1);
    const y2 = layer(x2) as tf.Tensor;
    assertClose(y2.slice([0, 0, 0], [2, t + 1, 8]), y.slice([0, 0, 0], [2, t + 1, 8]), 1e-6, 0, `t=${t}`);
    const later = tf.max(tf.abs(y2.slice([0, t + 1, 0], [2, 6 - t - 1, 8]).sub(y.slice([0, t + 1, 0], [2, 6 - t - 1, 8])))).dataSync()[0];
    assert.ok(later > 1e-4, "later positions do change");
  }
});

// ------------------------------------------------------------------ heads

test("SplitIntoHeads and MergeHeads: values, both layouts, round trip", () => {
  const x = tf.range(0, 2 * 2 * 4).reshape([2, 2, 4]); // (b=2, l=2, d=4)
  const merged = tl.SplitIntoHeads(2)(x) as tf.Tensor;
  assert.equal(merged.shape, [4, 2, 2]);
  assert.equal(values(merged), [[[0, 1], [4, 5]], [[2, 3], [6, 7]], [[8, 9], [12, 13]], [[10, 11], [14, 15]]]);
  const apart = tl.SplitIntoHeads(2, { mergedBatchAndHead: false })(x) as tf.Tensor;
  assert.equal(apart.shape, [2, 2, 2, 2]);
  assert.equal(values(apart.reshape([4, 2, 2])), values(merged));
  assert.equal(values(tl.MergeHeads(2)(merged) as tf.Tensor), values(x));
  assert.equal(values(tl.MergeHeads(2, { mergedBatchAndHead: false })(apart) as tf.Tensor), values(x));
  assertLayerError(() => tl.SplitIntoHeads(3)(x), /not a multiple of the requested number of attention heads \(3\)/);
  assertLayerError(() => tl.MergeHeads(3)(merged), /not a multiple of the number of attention heads \(3\)/);
  assertLayerError(() => tl.SplitIntoHeads(2)(tf.ones([2, 4])), /rank 3/);
});

test("PureAttention equals per-head DotProductAttention between SplitIntoHeads and MergeHeads", () => {
  const [q, k, v] = [1, 2, 3].map((s) => random.normal(random.getPrng(s), [2, 3, 4]));
  const mask = tf.tensor([[[[1, 1, 0]]], [[[1, 1, 1]]]]).cast("bool");
  const [y, m] = tl.PureAttention({ nHeads: 2, mode: "eval" })([q, k, v, mask]) as tf.Tensor[];
  const s = (t: tf.Tensor) => tl.SplitIntoHeads(2, { mergedBatchAndHead: false })(t) as tf.Tensor;
  const per = tl.DotProductAttention({ mode: "eval" })([s(q), s(k), s(v), mask]) as tf.Tensor;
  assertClose(y, tl.MergeHeads(2, { mergedBatchAndHead: false })(per), 1e-6);
  assert.equal(values(m), values(mask));
  const viz = tl.PureAttention({ nHeads: 2, mode: "viz" });
  viz([q, k, v, mask]);
  assert.equal((viz.state as tf.Tensor).shape, [2, 2, 3, 3]);
  assertLayerError(() => tl.PureAttention({ nHeads: 3 })([q, k, v, mask]), /not a multiple of the requested number of attention heads/);
});

// ------------------------------------------------------------------ masks

test("EncoderDecoderMask: (decoder input, padding mask) -> float (b, 1, ld, le)", () => {
  const y = tl.EncoderDecoderMask()([tf.ones([2, 3, 4]), tf.tensor([[[[1, 0]]], [[[1, 1]]]]).cast("bool")]) as tf.Tensor;
  assert.equal(y.shape, [2, 1, 3, 2]);
  assert.is(y.dtype, "float32");
  assert.equal(values(y), [[[[1, 0], [1, 0], [1, 0]]], [[[1, 1], [1, 1], [1, 1]]]]);
  assertLayerError(() => tl.EncoderDecoderMask()([tf.ones([2, 3]), tf.ones([2, 1, 1, 2])]), /3-D array/);
  assertLayerError(() => tl.EncoderDecoderMask()([tf.ones([2, 3, 4]), tf.ones([2, 1, 2, 2])]), /padding mask/);
});

// ------------------------------------------------------- PositionalEncoding

function sinusoid(maxLen: number, d: number): number[][] {
  // pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(pos / 10000^(2i/d))
  return Array.from({ length: maxLen }, (_, pos) =>
    Array.from({ length: d }, (_, j) => {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / d);
      return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }));
}

test("PositionalEncoding equals the closed-form sinusoid (even and odd depth)", () => {
  for (const d of [6, 5]) {
    const pe = tl.PositionalEncoding({ maxLen: 12, mode: "eval" });
    const x = random.normal(random.getPrng(d), [2, 12, d]);
    const expected = x.add(tf.tensor(sinusoid(12, d)).reshape([1, 12, d]));
    assertClose(pe(x), expected, 1e-5, 1e-5, `d=${d}`);
    assertClose(pe.weights, sinusoid(12, d), 1e-6, 1e-5);
  }
});

test("PositionalEncoding gradients with respect to its table (rows used get dy, others 0), also with dFeature", () => {
  const pe = tl.PositionalEncoding({ maxLen: 8, mode: "train" });
  pe.init(new ShapeDtype([1, 3, 4]));
  const x = tf.ones([1, 3, 4]);
  const g = tf.grad((w: tf.Tensor) => tf.sum(tf.square(pe.pureFn(x, w, pe.state, null)[0] as tf.Tensor)))(pe.weights as tf.Tensor);
  const table = sinusoid(8, 4);
  assertClose(g, table.map((row, pos) => row.map((v) => (pos < 3 ? 2 * (1 + v) : 0))), 1e-5);
  const pf = tl.PositionalEncoding({ maxLen: 8, dFeature: 6, mode: "train" });
  pf.init(new ShapeDtype([1, 3, 4]));
  const [w, ff] = pf.weights as tf.Tensor[];
  const [gw, gff] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(pf.pureFn(x, [a, b], pf.state, null)[0] as tf.Tensor))([w, ff]);
  // d/dw of sum(x + w[:3] @ ff) = ones(3, 4) @ ff^T on rows 0..2
  const rowGrad = tf.sum(ff, 1).arraySync() as number[];
  assertClose(gw, Array.from({ length: 8 }, (_, pos) => (pos < 3 ? rowGrad : rowGrad.map(() => 0))), 1e-5);
  assert.equal(gff.shape, [6, 4]);
});

test("PositionalEncoding useBfloat16 rounds the table to bfloat16 precision", () => {
  const pe = tl.PositionalEncoding({ maxLen: 8, useBfloat16: true, mode: "eval" });
  pe.init(new ShapeDtype([1, 8, 6]));
  const table = sinusoid(8, 6).flat();
  const got = Array.from((pe.weights as tf.Tensor).dataSync());
  got.forEach((v, i) => {
    // bfloat16 keeps 8 significant bits: relative error below 2^-8, and the low 16 bits are zero
    assert.ok(Math.abs(v - table[i]) <= Math.abs(table[i]) * 2 ** -8 + 1e-30, `entry ${i}: ${v} vs ${table[i]}`);
    assert.is(new Uint32Array(new Float32Array([v]).buffer)[0] & 0xffff, 0);
  });
});

test("PositionalEncoding dFeature: x + sinusoid(dFeature) @ ff", () => {
  const pe = tl.PositionalEncoding({ maxLen: 6, dFeature: 4, mode: "eval" });
  const x = random.normal(random.getPrng(1), [1, 5, 3]);
  pe.init(new ShapeDtype([1, 5, 3]));
  const ff = (pe.weights as tf.Tensor[])[1];
  const expected = x.add(tf.matMul(tf.tensor(sinusoid(6, 4)).slice([0, 0], [5, 4]), ff).reshape([1, 5, 3]));
  assertClose(pe(x), expected, 1e-5);
});

test("PositionalEncoding dropout shares its mask along dropoutBroadcastDims (train only)", () => {
  const x = tf.zeros([1, 6, 8]);
  const pe0 = tf.tensor(sinusoid(6, 8));
  const pe = tl.PositionalEncoding({ maxLen: 6, dropout: 0.5, mode: "train" });
  const y = (pe(x, { rng: random.getPrng(3) }) as tf.Tensor).reshape([6, 8]).arraySync() as number[][];
  const p = pe0.arraySync() as number[][];
  let kept = 0;
  for (let j = 0; j < 8; j++) {
    const keep = Math.abs(y[1][j]) > 1e-7 || Math.abs(p[1][j]) < 1e-7;
    if (Math.abs(y[1][j]) > 1e-7) kept++;
    for (let pos = 0; pos < 6; pos++) assertClose(y[pos][j], keep ? 2 * p[pos][j] : 0, 1e-5, 0, `column ${j} all kept or all dropped`);
  }
  assert.ok(kept > 0 && kept < 8, `some columns kept (${kept}/8)`);
  // broadcast over no axis: positions differ
  const own = tl.PositionalEncoding({ maxLen: 6, dropout: 0.5, dropoutBroadcastDims: [], mode: "train" });
  const z = (own(tf.ones([1, 6, 8]), { rng: random.getPrng(3) }) as tf.Tensor).sub(1).div(pe0.mul(2).add(1e-30));
  const ratios = new Set(Array.from(z.dataSync()).map((v) => Math.round(v)));
  assert.equal([...ratios].sort(), [0, 1]);
  // eval: no dropout
  assertClose(tl.PositionalEncoding({ maxLen: 6, dropout: 0.5, mode: "eval" })(x), pe0.reshape([1, 6, 8]), 1e-6);
  assert.throws(() => tl.PositionalEncoding({ dropout: 1 }), /lower than 1/);
});

test("PositionalEncoding startFromZeroProb / maxOffsetToAdd: train starts at a random offset", () => {
  const table = sinusoid(16, 4);
  const offsets = new Set<number>();
  for (let seed = 0; seed < 12; seed++) {
    const pe = tl.PositionalEncoding({ maxLen: 16, startFromZeroProb: 0, maxOffsetToAdd: 8, mode: "train" });
    const y = (pe(tf.zeros([1, 3, 4]), { rng: random.getPrng(seed) }) as tf.Tensor).arraySync() as number[][][];
    const found = [...Array(8).keys()].filter((o) => y[0].every((row, i) => row.every((v, j) => Math.abs(v - table[o + i][j]) < 1e-5)));
    assert.is(found.length, 1, `seed ${seed}: the encodings of positions offset..offset+2 for one offset below 8`);
    offsets.add(found[0]);
  }
  assert.ok(offsets.size > 2, `several offsets seen: ${[...offsets]}`);
  // probability 1 (default) always starts from 0, as does eval
  const pe = tl.PositionalEncoding({ maxLen: 16, startFromZeroProb: 1, maxOffsetToAdd: 8, mode: "train" });
  assertClose(pe(tf.zeros([1, 3, 4]), { rng: random.getPrng(1) }), [table.slice(0, 3)], 1e-6);
  const ev = tl.PositionalEncoding({ maxLen: 16, startFromZeroProb: 0, maxOffsetToAdd: 8, mode: "eval" });
  assertClose(ev(tf.zeros([1, 3, 4])), [table.slice(0, 3)], 1e-6);
});

// ----------------------------------------------------------- predict mode

function decoder(mode: string, useDconv: boolean): Layer {
  const m = mode as "eval";
  return tl.Serial(
    tl.ShiftRight({ mode: m }),
    tl.Dense(16),
    tl.PositionalEncoding({ maxLen: 32, mode: m }),
    tl.Residual(tl.CausalAttention(16, { nHeads: 4, mode: m, maxInferenceLength: 12, useDconv })),
    tl.Residual(tl.CausalAttention(16, { nHeads: 4, mode: m, maxInferenceLength: 12 })),
    tl.Dense(5),
  );
}

test("a decoder (ShiftRight, Dense, PositionalEncoding, 2 CausalAttention, Dense) fed one token at a time in predict mode equals eval", () => {
  for (const useDconv of [false, true]) {
    const x = random.normal(random.getPrng(7), [2, 10, 3]);
    const ev = decoder("eval", useDconv);
    ev.init(new ShapeDtype([2, 10, 3]), { rng: random.getPrng(1) });
    const pr = decoder("predict", useDconv);
    pr.init(new ShapeDtype([2, 1, 3]), { rng: random.getPrng(1) });
    pr.weights = ev.weights;
    const expected = ev(x) as tf.Tensor;
    // predict mode does not shift: feed the shifted sequence 0, x0, x1, ...
    const shifted = tl.ShiftRight()(x) as tf.Tensor;
    const got: tf.Tensor[] = [];
    for (let t = 0; t < 10; t++) got.push(pr(shifted.slice([0, t, 0], [2, 1, 3])) as tf.Tensor);
    assertClose(tf.concat(got, 1), expected, 1e-5, 1e-5, `useDconv ${useDconv}`);
    assert.ok(tf.max(tf.abs(expected)).dataSync()[0] > 1e-3, "outputs are not trivial");
  }
});

test("predict mode accepts several positions a call (prefill), then one at a time", () => {
  const x = random.normal(random.getPrng(8), [1, 9, 3]);
  const ev = decoder("eval", true);
  ev.init(new ShapeDtype([1, 9, 3]), { rng: random.getPrng(2) });
  const pr = decoder("predict", true);
  pr.init(new ShapeDtype([1, 1, 3]), { rng: random.getPrng(2) });
  pr.weights = ev.weights;
  const shifted = tl.ShiftRight()(x) as tf.Tensor;
  const parts = [pr(shifted.slice([0, 0, 0], [1, 5, 3])) as tf.Tensor];
  for (let t = 5; t < 9; t++) parts.push(pr(shifted.slice([0, t, 0], [1, 1, 3])) as tf.Tensor);
  assertClose(tf.concat(parts, 1), ev(x), 1e-5, 1e-5);
});

test("DotProductCausalAttention predict state: Trax's (keys, values, index), buffers of maxInferenceLength positions of which the first index are held", () => {
  const layer = tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength: 5 });
  const sig = new ShapeDtype([2, 1, 3]);
  layer.init([sig, sig, sig]);
  const [ks, vs, idx] = layer.state as tf.Tensor[];
  assert.equal([ks.shape, vs.shape, idx.shape, idx.dtype, idx.dataSync()[0]], [[2, 5, 3], [2, 5, 3], [], "int32", 0]);
  assert.equal(Array.from(ks.dataSync()), new Array(30).fill(0), "zeros, as Trax's");
  assert.is(layer.maxInferenceLength, 5);
  const k = random.normal(random.getPrng(1), [2, 2, 3]);
  const v = random.normal(random.getPrng(2), [2, 2, 3]);
  layer([k, k, v]);
  const k2 = random.normal(random.getPrng(3), [2, 1, 3]);
  layer([k2, k2, k2]);
  const [ks2, vs2, idx2] = layer.state as tf.Tensor[];
  assert.is(idx2.dataSync()[0], 3);
  assert.equal([ks2.shape, vs2.shape], [[2, 5, 3], [2, 5, 3]]);
  assertClose(ks2.slice([0, 0, 0], [2, 3, 3]), tf.concat([k, k2], 1), 0);
  assertClose(vs2.slice([0, 0, 0], [2, 3, 3]), tf.concat([v, k2], 1), 0);
  assert.equal(Array.from(ks2.slice([0, 3, 0], [2, 2, 3]).dataSync()), new Array(12).fill(0), "positions not yet written stay zero");
});

// ------------------------------------------------------------- bad input

test("bad input: LayerErrors that say so", () => {
  const F = ATT.dpa;
  assertLayerError(() => tl.DotProductAttention({ mode: "eval" })([T(F.q), T(F.k), T(F.v), tf.ones([1, 1, 1, 4])]), /mask of shape \[1,1,1,4\] does not broadcast/);
  assertLayerError(() => tl.Attention(4, { nHeads: 2 })([tf.ones([1, 3, 4]), tf.ones([1, 1, 1, 5], "bool")]), /mask of shape \[1,1,1,5\]/);
  assertLayerError(() => tl.CausalAttention(6, { nHeads: 4 }), /\(6\) is not a multiple of the requested number of attention heads \(4\)/);
  assertLayerError(() => tl.Attention(6, { nHeads: 4 }), /not a multiple/);
  assertLayerError(() => tl.AttentionQKV(6, { nHeads: 4 }), /not a multiple/);
  assertLayerError(() => tl.PositionalEncoding({ maxLen: 4, mode: "eval" })(tf.ones([1, 5, 2])), /length 5 is longer than maxLen 4/);
  assertLayerError(() => tl.PositionalEncoding()(tf.tensor([[["a", "b"]]])), /needs numeric input/);
  assert.is(tl.PositionalEncoding({ mode: "eval" })(tf.ones([1, 5, 2], "int32")).dtype, "float32"); // int + float encodings, as in JAX
  assertLayerError(() => tl.CausalAttention(4, { mode: "fast" as "eval" }), /mode must be one of/);
  assertLayerError(() => tl.DotProductAttention({ mode: "eval" })([tf.ones([1, 3, 4]), tf.ones([1, 3, 5]), tf.ones([1, 3, 4]), tf.ones([1, 1, 3])]), /same depth/);
});

test("predict past maxInferenceLength / maxLen: LayerError, and the decoding state is left as it was", () => {
  const x = random.normal(random.getPrng(9), [2, 12, 3]);
  const shifted = tl.ShiftRight()(x) as tf.Tensor;
  const ev = decoder("eval", true);
  ev.init(new ShapeDtype([2, 12, 3]), { rng: random.getPrng(3) });
  const pr = decoder("predict", true);
  pr.init(new ShapeDtype([2, 1, 3]), { rng: random.getPrng(3) });
  pr.weights = ev.weights;
  const got = [pr(shifted.slice([0, 0, 0], [2, 8, 3])) as tf.Tensor];
  const before = stateValues(pr);
  // 8 cached + 5 new > maxInferenceLength 12: PositionalEncoding and the convolutions ran before the failure
  assertLayerError(() => pr(shifted.slice([0, 8, 0], [2, 5, 3])), /8 positions are cached and 5 more came, beyond maxInferenceLength 12/, /left as it was/);
  assert.equal(stateValues(pr), before);
  // a bad shape mid-stream: same
  assertLayerError(() => pr(tf.ones([2, 1, 4])), /Dense|features|shape/);
  assert.equal(stateValues(pr), before);
  // another batch size than the cache's: same
  assertLayerError(() => pr(tf.ones([3, 1, 3])), /batch|do not fit the decoding cache/);
  assert.equal(stateValues(pr), before);
  // decoding goes on as if nothing happened
  for (let t = 8; t < 12; t++) got.push(pr(shifted.slice([0, t, 0], [2, 1, 3])) as tf.Tensor);
  assertClose(tf.concat(got, 1), ev(x), 1e-5, 1e-5);
  // full: one more position is an error, state kept
  const full = stateValues(pr);
  assertLayerError(() => pr(shifted.slice([0, 0, 0], [2, 1, 3])), /beyond maxInferenceLength 12/);
  assert.equal(stateValues(pr), full);

  const pe = tl.PositionalEncoding({ maxLen: 4, mode: "predict" });
  pe.init(new ShapeDtype([1, 1, 2]));
  pe(tf.ones([1, 3, 2]));
  assertLayerError(() => pe(tf.ones([1, 2, 2])), /at position 3; 2 more positions pass maxLen 4/);
  assert.is((pe.state as tf.Tensor).dataSync()[0], 3);
});

// -------------------------------------------------------- gradients, leaks

test("bmm / bmmT gradients equal tfjs's matMul gradients", () => {
  const a = random.normal(random.getPrng(1), [2, 3, 4]);
  const b = random.normal(random.getPrng(2), [2, 4, 5]);
  const c = random.normal(random.getPrng(3), [2, 5, 4]);
  const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(bmm(x, y))))([a, b]);
  const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y))))([a, b]);
  ours.forEach((g, i) => assertClose(g, ref[i], 1e-5));
  const oursT = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(bmmT(x, y))))([a, c]);
  const refT = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, false, true))))([a, c]);
  oursT.forEach((g, i) => assertClose(g, refT[i], 1e-5));
});

test("gradients on this backend through every attention layer, checked against finite differences", () => {
  const x = random.normal(random.getPrng(1), [1, 4, 4]);
  const m = tf.ones([1, 1, 1, 4], "bool");
  const cases: [string, Layer, unknown][] = [
    ["Attention", tl.Attention(4, { nHeads: 2 }), [x, m]],
    ["AttentionQKV sparse", tl.AttentionQKV(4, { nHeads: 2, qSparsity: 2, resultSparsity: 2 }), [x, x, x, m]],
    ["CausalAttention useDconv", tl.CausalAttention(4, { nHeads: 2, useDconv: true }), x],
    ["PositionalEncoding dFeature", tl.PositionalEncoding({ maxLen: 8, dFeature: 6 }), x],
    ["ShiftRight + Dense", tl.Serial(tl.ShiftRight(), tl.Dense(4)), x],
  ];
  for (const [name, layer, inp] of cases) {
    layer(inp as tf.Tensor);
    assertWeightGradsMatchFiniteDifferences(name, layer, inp);
  }
});

test("no leaks: every attention layer, predict steps, and a gradient through CausalAttention", () => {
  const x = tf.ones([1, 3, 4]);
  const mask = tf.ones([1, 1, 1, 3], "bool");
  const mask3 = tf.ones([1, 1, 3], "bool");
  const cases: [Layer, unknown][] = [
    [tl.Attention(4, { nHeads: 2 }), [x, mask]],
    [tl.AttentionQKV(4, { nHeads: 2, qSparsity: 2, resultSparsity: 2 }), [x, x, x, mask]],
    [tl.PureAttention({ nHeads: 2, mode: "viz" }), [x, x, x, mask]],
    [tl.DotProductAttention({ mode: "viz" }), [x, x, x, mask3]],
    [tl.DotProductAttention({ dropout: 0.3 }), [x, x, x, mask3]],
    [tl.CausalAttention(4, { nHeads: 2, useDconv: true }), x],
    [tl.DotProductCausalAttention({ mode: "viz" }), [x, x, x]],
    [tl.SplitIntoHeads(2), x],
    [tl.MergeHeads(2), tf.ones([2, 3, 2])],
    [tl.ShiftRight(), x],
    [tl.PaddingMask(), tf.ones([2, 3])],
    [tl.EncoderDecoderMask(), [x, mask]],
    [tl.PositionalEncoding({ dropout: 0.2, dFeature: 6, startFromZeroProb: 0.5, maxOffsetToAdd: 4 }), x],
  ];
  const inputs = new Set(cases.flatMap(([, inp]) => (Array.isArray(inp) ? inp : [inp])));
  const disposeOutputs = (y: unknown) => tf.dispose((Array.isArray(y) ? y : [y]).filter((t) => !inputs.has(t)));
  for (const [layer, inp] of cases) {
    disposeOutputs(layer(inp as tf.Tensor));
    assert.is(leakedBy(() => disposeOutputs(layer(inp as tf.Tensor))), 0, layer.name);
  }
  const pr = decoder("predict", true);
  pr.init(new ShapeDtype([1, 1, 3]));
  const tok = tf.ones([1, 1, 3]);
  tf.dispose(pr(tok) as tf.Tensor);
  assert.is(leakedBy(() => { for (let i = 0; i < 3; i++) tf.dispose(pr(tok) as tf.Tensor); }), 0, "predict steps");
  const tooLong = tf.ones([1, 20, 3]);
  assert.is(leakedBy(() => assertLayerError(() => pr(tooLong))), 0, "failed predict call");
  const ca = tl.CausalAttention(4, { nHeads: 2 });
  ca(x);
  const leaked = leakedBy(() => {
    const g = tf.grad((inp: tf.Tensor) => tf.sum(ca.pureFn(inp, ca.weights, ca.state, null)[0] as tf.Tensor))(x);
    assert.equal(g.shape, [1, 3, 4]);
    g.dispose();
  });
  assert.is(leaked, 0, "gradient");
});

test("perHeadAttention one item at a time (large heads on wasm) equals the batched formula: values, dropout draws and gradients", () => {
  // (2 batch, 3 heads) of 64 positions, depth 32: per item 64*32*64 multiply-adds, the per-item path on wasm.
  const [b, h, l, d] = [2, 3, 64, 32];
  const q = pattern([b, h, l, d]);
  const k = pattern([b, h, l, d], "cos", 0.8);
  const v = pattern([b, h, l, d], "sin", 0.6, 0.2);
  const ct = pattern([b, h, l, d], "cos", 0.4);
  const rng = random.getPrng(3);
  // The batched formula (the previous path), written out with tfjs ops.
  const reference = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, bias: tf.Tensor, dropout: number) => {
    let probs = tf.softmax(tf.matMul(qq, kk, false, true).mul(1 / Math.sqrt(d)).add(bias), -1);
    if (dropout > 0) {
      const keep = random.bernoulli(rng, 1 - dropout, probs.shape);
      probs = tf.where(keep, probs.div(1 - dropout), tf.zerosLike(probs));
    }
    return [tf.matMul(probs, vv), probs];
  };
  const padMask = tf.tensor(Array.from({ length: b * l }, (_, i) => (i % l) < l - 5 * (1 + Math.floor(i / l))), [b, 1, 1, l], "bool");
  const padBias = tf.where(padMask, tf.zeros(padMask.shape), tf.fill(padMask.shape, -1e9));
  const cases: [string, tf.Tensor | null, tf.Tensor | null, tf.Tensor, number][] = [
    ["causal bias", null, causalBias(l, l), causalBias(l, l), 0],
    ["padding mask", padMask, null, padBias, 0],
    ["causal bias with dropout", null, causalBias(l, l), causalBias(l, l), 0.25],
  ];
  for (const [name, mask, bias, refBias, dropout] of cases) {
    const opts = { bias, dropout, mode: "train", rng };
    const [act, probs] = perHeadAttention(q, k, v, mask, opts);
    const [wantAct, wantProbs] = reference(q, k, v, refBias, dropout);
    assertClose(act, wantAct, 1e-4, 1e-4, name);
    assertClose(probs, wantProbs, 1e-5, 1e-4, name);
    const ours = tf.grads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => perHeadAttention(qq, kk, vv, mask, opts)[0].mul(ct).sum())([q, k, v]);
    const want = tf.grads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => reference(qq, kk, vv, refBias, dropout)[0].mul(ct).sum())([q, k, v]);
    ours.forEach((g, i) => assertClose(g, want[i], 1e-3, 1e-3, `${name}: grad ${i}`));
  }
  assert.is(leakedBy(() => tf.tidy(() => { perHeadAttention(q, k, v, padMask, { bias: causalBias(l, l) }); })), 0);
});

test.run();
