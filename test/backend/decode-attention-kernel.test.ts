/**
 * A decoding step of causal attention as one wasm kernel
 * (src/backend/simd/wasm-decode-attention.ts, dots-module.ts): the same
 * activations and caches as the tfjs ops it replaces (two cache writes, the
 * logits, a softmax and a product), to float32 rounding, over head sizes,
 * positions held (the first token's empty cache included) and extreme
 * logits; the caches written in place where no state sees it, else copied;
 * shapes it does not take (a depth not a multiple of 4, a recorded
 * gradient, a full cache) run the tfjs ops; a decoder's tokens equal eval
 * mode's; no leaked tensors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertFailsWhenMallocOf, assertValidModule, kernelsRunBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { dotsModuleBytes } from "../../src/backend/simd/dots-module";
import { decodeAgainstEval } from "./decoder-vs-eval";
import { fusedDecodeAttention, simdDecodeAttention } from "../../src/backend/simd/wasm-decode-attention";
import { simdDecodeAttentionLayer } from "../../src/backend/simd/wasm-decode-attention-layer";
import { singleQueryAttention } from "../../src/layers/attention-math";
import { emptyDecodingCache, inPlaceCacheWrites, withRowsAt } from "../../src/backend/decoding-cache";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** The tfjs ops' step: the rows written into new buffers (Trax's dynamic_update_slice), then single-query attention over the positions held. */
function reference(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, keys: tf.Tensor, values: tf.Tensor, index: number): tf.Tensor[] {
  return withSwitch(inPlaceCacheWrites, false, () => tf.tidy(() => {
    const [ks, vs] = [withRowsAt(keys, k, index), withRowsAt(values, v, index)];
    const held = (c: tf.Tensor) => c.slice([0, 0, 0], [c.shape[0] as number, index + 1, c.shape[2] as number]);
    return [singleQueryAttention(q, held(ks), held(vs)), ks, vs];
  }));
}

/** A cache `(n, capacity, w)` of trax-ts's (writable in place) holding `held` random positions. */
function cacheHolding(n: number, capacity: number, w: number, held: number, seed: number): tf.Tensor {
  const empty = emptyDecodingCache(n, capacity, w, "float32");
  if (held === 0) return empty;
  const cache = withRowsAt(empty, tf.randomNormal([n, held, w], 0, 2, "float32", seed), 0);
  assert.is(cache, empty, "written in place");
  return cache;
}

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(dotsModuleBytes);
});

test("the same activations and caches as the tfjs ops, over head sizes and cache lengths", () => {
  if (!onWasm()) return;
  let seed = 1;
  for (const [n, t, d, dv, capacity] of [[4, 5, 64, 64, 6], [1, 0, 4, 4, 1], [2, 1, 8, 12, 9], [3, 17, 12, 5, 40], [8, 100, 32, 32, 128], [1, 7, 20, 3, 8]]) {
    const q = tf.randomNormal([n, 1, d], 0, 2, "float32", seed++);
    const k = tf.randomNormal([n, 1, d], 0, 2, "float32", seed++);
    const v = tf.randomNormal([n, 1, dv], 0, 1, "float32", seed++);
    const keys = cacheHolding(n, capacity, d, t, seed++);
    const values = cacheHolding(n, capacity, dv, t, seed++);
    const want = reference(q, k, v, keys, values, t);
    let got: tf.Tensor[] = [];
    const names = kernelsRunBy(() => (got = fusedDecodeAttention(q, k, v, keys, values, t)!));
    assert.equal(names, ["TraxDecodeAttention"], `one kernel at n ${n}, t ${t}, d ${d}, dv ${dv}`);
    assert.ok(got[1] === keys && got[2] === values, "written in place");
    assert.equal(got.map((x) => x.shape), [[n, 1, dv], [n, capacity, d], [n, capacity, dv]]);
    assertClose(got[0], want[0], 1e-6, 1e-5, `activations at t ${t}, d ${d}`);
    assert.equal(Array.from(got[1].dataSync()), Array.from(want[1].dataSync()), "keys written exactly");
    assert.equal(Array.from(got[2].dataSync()), Array.from(want[2].dataSync()), "values written exactly");
    tf.dispose([q, k, v, keys, values, got[0], ...want]);
  }
});

test("extreme logits: a dominant key takes all the weight, large equal logits share it (no overflow)", () => {
  if (!onWasm()) return;
  const q = tf.tensor3d([[[100, 100, 100, 100]]]);
  // (tensors of the caller's: copied, not written)
  const keys = tf.tensor3d([[[100, 100, 100, 100], [-100, -100, -100, -100], [0, 0, 0, 0]]]);
  const values = tf.tensor3d([[[1, 2], [3, 4], [0, 0]]]);
  const [k, v] = [tf.tensor3d([[[100, 100, 100, 100]]]), tf.tensor3d([[[5, 6]]])];
  const [act, ...caches] = fusedDecodeAttention(q, k, v, keys, values, 2)!;
  assert.ok(caches[0] !== keys && caches[1] !== values, "copies");
  assert.equal(Array.from(keys.dataSync()).slice(8), [0, 0, 0, 0], "the caller's tensor is not written");
  // logits 2e4, -2e4, 2e4 (scaled by 1/sqrt(d)): half the weight each on values 0 and 2
  assertClose(act, tf.tensor3d([[[3, 4]]]), 1e-6, 1e-6, "two equal dominant keys");
  const want = reference(q, k, v, keys, values, 2);
  assertClose(act, want[0], 1e-6, 1e-6, "as the tfjs ops");
  tf.dispose([q, k, v, keys, values, act, ...caches, ...want]);
});

test("what the kernel does not take runs the tfjs ops: a depth not a multiple of 4, a recorded gradient, the switch off, no room", () => {
  if (!onWasm()) return;
  const make = (d: number) => [tf.ones([2, 1, d]), tf.ones([2, 1, d]), tf.ones([2, 1, 3]), tf.ones([2, 4, d]), tf.ones([2, 4, 3])] as const;
  const odd = make(6);
  assert.is(fusedDecodeAttention(...odd, 1), null, "depth 6");
  const even = make(8);
  const grad = tf.grad((q: tf.Tensor) => {
    assert.is(fusedDecodeAttention(q, ...(even.slice(1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]), 1), null, "under a gradient tape");
    return tf.sum(q);
  })(even[0]);
  withSwitch(simdDecodeAttention, false, () => assert.is(fusedDecodeAttention(...even, 1), null, "switched off"));
  assert.is(fusedDecodeAttention(...even, 4), null, "no room at position 4 of 4");
  tf.dispose([...odd, ...even, grad]);
});

test("a step that cannot get its scratch memory throws, leaves no buffer behind, and the layer keeps its cache", () => {
  if (!onWasm()) return;
  const layer = tl.DotProductCausalAttention({ mode: "predict", maxInferenceLength: 4 });
  const x = () => tf.randomNormal([2, 1, 8], 0, 1, "float32", 3);
  const inputs = [x(), x(), x()];
  layer.init(trax.shapes.signature(inputs));
  (layer(inputs) as tf.Tensor).dispose(); // one position cached
  const state = layer.state as tf.Tensor[];
  const cached = state.map((t) => Array.from(t.dataSync()));
  const scratchBytes = 4 * 2 * 2; // 2 items, 2 positions: no tensor of this step has this size
  assertFailsWhenMallocOf(scratchBytes, () => layer(inputs), /out of wasm memory/);
  assert.is(layer.state, state);
  assert.equal(state.map((t) => Array.from(t.dataSync())), cached);
  tf.dispose(inputs);
});

test("a predict-mode decoder run layer by layer runs the kernel, gives eval mode's outputs, and leaks nothing", () => {
  if (!onWasm()) return;
  // (the whole attention layer is one kernel of its own by default: decode-attention-layer-kernel.test.ts)
  const names = withSwitch(simdDecodeAttentionLayer, false, decodeAgainstEval);
  assert.is(names.filter((n) => n === "TraxDecodeAttention").length, 12, "two layers, six tokens");
  assert.not.ok(names.includes("Concat") || names.includes("Softmax"), "no tfjs attention ops");
});

test.run();
