/**
 * Predict-mode attention caches written in place (src/backend/decoding-cache.ts):
 * on wasm a decoding step writes its position into the state's buffers
 * instead of new ones, with exactly the results of new buffers (Trax's
 * dynamic_update_slice), on every path (the whole-layer kernel, the
 * attention kernel, the tfjs ops); decoding on from an earlier state
 * (branches, a restored clone) copies first, so every state stays valid;
 * tensors of the caller's are never written; keys and values sharing a
 * buffer; gradients through a cache write; a failed step frees its copy.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertFailsWhenMallocOf, assertLayerError, ready, tf, tl, trax, withSwitch } from "../helpers";
import { emptyDecodingCache, inPlaceCacheWrites, withRowsAt, writableInPlace } from "../../src/backend/decoding-cache";
import { simdDecodeAttention } from "../../src/backend/simd/wasm-decode-attention";
import { simdDecodeAttentionLayer } from "../../src/backend/simd/wasm-decode-attention-layer";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";
type Layer = InstanceType<typeof tl.Layer>;
type Tensor = InstanceType<typeof tf.Tensor>;

const D = 16;

/** A predict-mode CausalAttention of 4 heads holding up to 8 positions, with fixed weights. */
function attention(): Layer {
  const layer = tl.CausalAttention(D, { nHeads: 4, mode: "predict", maxInferenceLength: 8 });
  layer.init(new trax.shapes.ShapeDtype([2, 1, D]), { rng: trax.fastmath.random.getPrng(3) });
  return layer;
}

const tokens = (n: number, seed: number) => Array.from({ length: n }, (_, i) => tf.randomNormal([2, 1, D], 0, 1, "float32", seed + i));
const values = (t: Tensor) => Array.from(t.dataSync());
const stateLeaves = (layer: Layer) => trax.fastmath.treeFlatten(layer.state as never) as Tensor[];

/** Outputs of feeding `xs` one at a time to a fresh layer, and its final state's values (all rows). */
function decodeFresh(xs: Tensor[]): { outputs: number[][]; state: number[][] } {
  const layer = attention();
  const outputs = xs.map((x) => {
    const y = layer(x) as Tensor;
    const v = values(y);
    y.dispose();
    return v;
  });
  return { outputs, state: stateLeaves(layer).map(values) };
}

/** The three paths a decoding step can take on wasm: the whole-layer kernel, the attention kernel, the tfjs ops. */
const paths: [string, <T>(f: () => T) => T][] = [
  ["the whole-layer kernel", (f) => f()],
  ["the attention kernel", (f) => withSwitch(simdDecodeAttentionLayer, false, f)],
  ["the tfjs ops", (f) => withSwitch(simdDecodeAttentionLayer, false, () => withSwitch(simdDecodeAttention, false, f))],
];

test("a decoding step writes the state's buffers in place, with exactly the results of new buffers, on every path", () => {
  if (!onWasm()) return;
  const xs = tokens(6, 1);
  for (const [path, on] of paths) {
    on(() => {
      const copied = withSwitch(inPlaceCacheWrites, false, () => decodeFresh(xs));
      const layer = attention();
      const [keys, vals] = stateLeaves(layer);
      const outputs = xs.map((x) => {
        const y = layer(x) as Tensor;
        const [k, v] = stateLeaves(layer);
        assert.ok(k === keys && v === vals, `${path}: the same buffers`);
        const out = values(y);
        y.dispose();
        return out;
      });
      assert.equal(outputs, copied.outputs, `${path}: outputs`);
      assert.equal(stateLeaves(layer).map(values), copied.state, `${path}: keys, values and index`);
      tf.dispose(stateLeaves(layer));
    });
  }
  tf.dispose(xs);
});

test("branches from one state (pureFn): each decodes as if alone, and the first stays valid after the second", () => {
  if (!onWasm()) return;
  const [a, b, c, d, e] = tokens(5, 20);
  for (const [path, on] of paths) {
    on(() => {
      const layer = attention();
      const { weights } = layer;
      const rng = trax.fastmath.random.getPrng(0);
      const step = (x: Tensor, state: unknown) => layer.pureFn(x, weights, state as never, rng) as [Tensor, unknown];
      let state: unknown = layer.state;
      for (const x of [a, b]) state = step(x, state)[1];
      // branch 1 writes position 2 in place; branch 2 must not see it, nor branch 1 see branch 2's
      const [y1, s1] = step(c, state);
      const [y2, s2] = step(d, state);
      const [y1next] = step(e, s1);
      const [y2next] = step(e, s2);
      const want1 = decodeFresh([a, b, c, e]).outputs;
      const want2 = decodeFresh([a, b, d, e]).outputs;
      assert.equal([values(y1), values(y1next)], want1.slice(2), `${path}: branch 1`);
      assert.equal([values(y2), values(y2next)], want2.slice(2), `${path}: branch 2`);
      assert.not.equal(want1[3], want2[3]);
    });
  }
  tf.dispose([a, b, c, d, e]);
});

test("a clone of an earlier state, restored, decodes as it would have (its buffers are copied, not written)", () => {
  if (!onWasm()) return;
  const [a, b, c, d] = tokens(4, 40);
  const layer = attention();
  for (const x of [a, b]) (layer(x) as Tensor).dispose();
  const saved = trax.fastmath.nestedMap(layer.state as never, (t: Tensor) => t.clone());
  const savedValues = (trax.fastmath.treeFlatten(saved as never) as Tensor[]).map(values);
  (layer(c) as Tensor).dispose(); // writes position 2 into the buffers the clone shares
  const y = layer(d, { state: saved as never }) as Tensor;
  assert.equal(values(y), decodeFresh([a, b, d]).outputs[2]);
  const rows = (t: number[], n: number, capacity: number) => t.filter((_, i) => Math.floor(i / 4) % capacity < n);
  // the clone's own two positions are as they were (positions past its index are scratch)
  const savedLeaves = trax.fastmath.treeFlatten(saved as never) as Tensor[];
  savedLeaves.slice(0, 2).forEach((t, i) => assert.equal(rows(values(t), 2, 8), rows(savedValues[i]!, 2, 8)));
  tf.dispose([y, a, b, c, d, ...savedLeaves]);
});

test("tensors of the caller's are never written: a state set by hand is copied on its first step", () => {
  if (!onWasm()) return;
  const layer = attention();
  const mine = [tf.randomNormal([8, 8, 4], 0, 1, "float32", 1), tf.randomNormal([8, 8, 4], 0, 1, "float32", 2)];
  const before = mine.map(values);
  assert.ok(layer.sublayers[1] instanceof tl.DotProductCausalAttention);
  const [branch, , merge, final] = layer.state as unknown[];
  const x = tokens(1, 60)[0]!;
  // (a state given for the call stays the caller's: the layer frees only states it replaced itself)
  const y = layer(x, { state: [branch, [mine[0], mine[1], tf.scalar(3, "int32")], merge, final] as never }) as Tensor;
  assert.equal(mine.map(values), before, "not written");
  const [k, v] = stateLeaves(layer);
  assert.ok(k !== mine[0] && v !== mine[1], "new buffers");
  assert.equal(values(k!).slice(0, 12), before[0]!.slice(0, 12), "the positions held are kept");
  assert.not.ok(writableInPlace(mine[0]!, 5), "a buffer trax-ts did not make");
  tf.dispose([y, x, ...mine]);
});

test("keys and values in one buffer: one of them is copied, and the step is right", () => {
  if (!onWasm()) return;
  const dpca = tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength: 4 });
  const one = emptyDecodingCache(2, 4, 8, "float32");
  dpca.state = [one, one, tf.scalar(0, "int32")];
  const q = tf.randomNormal([2, 1, 8], 0, 1, "float32", 7);
  const v = tf.randomNormal([2, 1, 8], 0, 1, "float32", 8);
  const reference = tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength: 4 });
  reference.init([q, q, v].map((t) => new trax.shapes.ShapeDtype(t.shape)));
  for (const [path, on] of paths.slice(1)) {
    on(() => {
      dpca.state = [one, one, tf.scalar(0, "int32")];
      const y = dpca([q, q, v]) as Tensor;
      const want = withSwitch(inPlaceCacheWrites, false, () => reference.pureFn([q, q, v], [], reference.state, null)[0] as Tensor);
      assert.equal(values(y), values(want), path);
      const [keys, vals] = dpca.state as Tensor[];
      assert.equal(values(keys!).slice(0, 8), values(q).slice(0, 8), `${path}: keys`);
      assert.equal(values(vals!).slice(0, 8), values(v).slice(0, 8), `${path}: values`);
      tf.dispose([y, want]);
    });
  }
  tf.dispose([q, v]);
});

test("a cache write under a gradient tape makes a new buffer that gradients flow through", () => {
  const cache = emptyDecodingCache(1, 4, 2, "float32");
  const held = withRowsAt(cache, tf.tensor3d([[[1, 2]]]), 0);
  const rows = tf.tensor3d([[[3, 4]]]);
  const w = tf.tensor3d([[[1, 10], [100, 1000], [5, 5], [7, 7]]]);
  const [dCache, dRows] = tf.grads((c: Tensor, r: Tensor) => tf.sum(tf.mul(withRowsAt(c, r, 1), w)))([held, rows]);
  assert.equal(values(dRows!), [100, 1000]);
  assert.equal(values(dCache!), [1, 10, 0, 0, 5, 5, 7, 7], "positions kept get their gradient, the one overwritten none");
  assert.equal(values(held).slice(0, 4), [1, 2, 0, 0], "the buffer is not written");
  assert.throws(() => withRowsAt(cache, tf.ones([1, 4, 2]), 1), /cannot write rows \[1,4,2\] at position 1 of a decoding cache \[1,4,2\]/);
  assert.throws(() => withRowsAt(cache, tf.ones([1, 1, 3]), 0), /cannot write rows/);
  tf.dispose([cache, held, rows, w, dCache, dRows]);
});

test("a step that fails after copying an earlier state's buffers frees the copies and keeps the state", () => {
  if (!onWasm()) return;
  const [a, b] = tokens(2, 80);
  const layer = attention();
  (layer(a) as Tensor).dispose();
  const saved = trax.fastmath.nestedMap(layer.state as never, (t: Tensor) => t.clone());
  (layer(b) as Tensor).dispose();
  layer.state = saved as never; // position 1 is past its index: the next step copies
  const leaves = stateLeaves(layer);
  const scratchBytes = 4 * (2 * (2 * D + 2 * D) + 8 * 2); // q, k, v, attention output of 2 rows; logits of 8 heads x 2 positions
  assertFailsWhenMallocOf(scratchBytes, () => layer(b), /out of wasm memory/); // (the copies are freed)
  assert.ok(stateLeaves(layer).every((t, i) => t === leaves[i] && !t.isDisposed), "the state is kept");
  const y = layer(b) as Tensor;
  assert.equal(values(y), decodeFresh([a, b]).outputs[1], "and decodes on");
  tf.dispose([a, b, y]);
});

test("a cache too large to allocate: a LayerError that says how large, the layer left uninitialized, nothing leaked", () => {
  const before = tf.memory().numTensors;
  const huge = tl.CausalAttention(512, { nHeads: 8, mode: "predict", maxInferenceLength: 100000 });
  assertLayerError(() => huge.init(new trax.shapes.ShapeDtype([64, 1, 512])),
    /the decoding cache \(512 items x 100000 positions x 64; a smaller maxInferenceLength or batch needs less\) (needs 12500 MiB|could not be allocated)/);
  assert.not.ok(huge.initialized);
  // keys allocated, values not: the keys are freed
  const dpca = tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength: 100000 });
  const sig = (d: number) => new trax.shapes.ShapeDtype([2, 1, d]);
  assertLayerError(() => dpca.init([sig(4), sig(4), sig(50000)]), /the decoding cache \(2 items x 100000 positions x 50000;/);
  assert.is(tf.memory().numTensors, before, "no tensor left behind");
});

test("caches made on another backend (tensors not yet moved to wasm's heap) decode right on every path", async () => {
  if (!onWasm()) return;
  const xs = tokens(3, 90);
  const want = decodeFresh(xs).outputs;
  for (const [path, on] of paths) {
    await tf.setBackend("cpu");
    const layer = attention(); // its weights and caches live on the cpu backend
    await tf.setBackend("wasm");
    const onCpu = stateLeaves(layer)[0];
    const got = on(() => xs.map((x) => {
      const y = layer(x) as Tensor;
      const v = values(y);
      y.dispose();
      return v;
    }));
    got.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-5, `${path}: step ${i}, output ${j}: ${v} against ${want[i]![j]}`)));
    assert.ok(stateLeaves(layer)[0] !== onCpu, `${path}: the first step copies the caches into wasm's heap`);
    tf.dispose(stateLeaves(layer));
  }
  tf.dispose(xs);
});

test.run();
