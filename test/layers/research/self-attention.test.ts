import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../../helpers";

const { random } = trax.fastmath;
const test = suite("research.SelfAttention / EncDecAttention");

/**
 * Multi-head attention written out with plain tfjs ops: per head
 * `softmax(q k^T / sqrt(dQk) + penalty) v wO`, summed over heads.
 * `penalty (lq, lk)` or per example `(b, lq, lk)`.
 */
function reference(
  xq: tf.Tensor, xkv: tf.Tensor, w: { wQ: tf.Tensor; wK: tf.Tensor | null; wV: tf.Tensor; wO: tf.Tensor }, penalty: tf.Tensor, normalizeKeys = false
): tf.Tensor {
  return tf.tidy(() => {
    const [b, lq, d] = xq.shape;
    const lk = xkv.shape[1] as number;
    const h = w.wQ.shape[0];
    let out = tf.zeros([b, lq, d]);
    for (let i = 0; i < h; i++) {
      const q = tf.matMul(xq.reshape([b * lq, d]), w.wQ.gather(i)).reshape([b, lq, -1]);
      let k = tf.matMul(xkv.reshape([b * lk, -1]), (w.wK ?? w.wQ).gather(i)).reshape([b, lk, -1]);
      if (normalizeKeys) k = k.div(tf.sqrt(tf.mean(tf.square(k), -1, true).add(1e-6)));
      const v = tf.matMul(xkv.reshape([b * lk, -1]), w.wV.gather(i)).reshape([b, lk, -1]);
      const logits = tf.matMul(q, k.transpose([0, 2, 1])).div(Math.sqrt(q.shape[2] as number)).add(penalty);
      const o = tf.matMul(tf.softmax(logits), v);
      out = out.add(tf.matMul(o.reshape([b * lq, -1]), w.wO.gather(i)).reshape([b, lq, d]));
    }
    return out;
  });
}

function penaltyFrom(l: number, f: (i: number, j: number) => number, lk = l): tf.Tensor {
  const a = new Float32Array(l * lk);
  for (let i = 0; i < l; i++) for (let j = 0; j < lk; j++) a[i * lk + j] = f(i, j);
  return tf.tensor2d(a, [l, lk]);
}

function weightsOf(layer: tl.Layer, shareQk = false) {
  const ws = layer.weights as tf.Tensor[];
  return shareQk ? { wQ: ws[0], wK: null, wV: ws[1], wO: ws[2] } : { wQ: ws[0], wK: ws[1], wV: ws[2], wO: ws[3] };
}

let X: tf.Tensor;
test.before(async () => {
  await ready();
  X = tf.keep(random.uniform(random.getPrng(0), [2, 10, 13]));
});

// ------------------------------------------------------------ Trax's cases

test("SelfAttention (3, 32, 8) causal, chunks of 8 with one before -> same shape (Trax test_self_attention)", () => {
  for (const useReferenceCode of [true, false]) {
    const layer = tl.SelfAttention({ nHeads: 5, dQk: 7, dV: 17, shareQk: false, causal: true, chunkLen: 8, nChunksBefore: 1, nChunksAfter: 0, useReferenceCode, attentionDropout: 0, mode: "train" });
    const x = tf.ones([3, 32, 8]);
    layer.init(new ShapeDtype([3, 32, 8]));
    assert.equal(layer(x).shape, [3, 32, 8]);
    assert.equal((layer.weights as tf.Tensor[]).map((w) => w.shape), [[5, 8, 7], [5, 8, 7], [5, 8, 17], [5, 17, 8]]);
    assert.equal(layer.state, []);
  }
});

test("batched pass equals the per-example, per-head reference in train mode with dropout, outputs and gradients (Trax test_batching_self_attention)", () => {
  const common = { nHeads: 6, dQk: 7, dV: 17, shareQk: false, causal: true, chunkLen: 5, nChunksBefore: 1, nChunksAfter: 0, attentionDropout: 0.2, outputDropout: 0.1, mode: "train" as const };
  const ref = tl.SelfAttention({ ...common, useReferenceCode: true });
  const rng = random.getPrng(123);
  const [weights, state] = ref.init(new ShapeDtype(X.shape), { rng });
  const run = (layer: tl.Layer) => {
    const f = (x: tf.Tensor, ...ws: tf.Tensor[]) => layer.pureFn(x, ws, state, random.getPrng(0))[0].sum() as tf.Scalar;
    const out = layer.pureFn(X, weights, state, random.getPrng(0))[0];
    const grads = tf.grads(f)([X, ...(weights as tf.Tensor[])]);
    return [out, ...grads];
  };
  const expected = run(ref);
  for (const nParallelHeads of [1, 3, 6, 12]) {
    const layer = tl.SelfAttention({ ...common, nParallelHeads });
    layer.init(new ShapeDtype(X.shape), { rng });
    const got = run(layer);
    got.forEach((g, i) => assertClose(g, expected[i], 2e-4, 2e-4, `nParallelHeads ${nParallelHeads}, item ${i}`));
  }
  assert.throws(() => tl.SelfAttention({ nHeads: 6, nParallelHeads: 4 }), /multiple or fraction/);
});

test("predict mode one token at a time equals eval mode (Trax test_fast_inference_self_attention), also past the cache size", () => {
  const common = { nHeads: 6, dQk: 7, dV: 17, shareQk: false, causal: true, chunkLen: 5, nChunksBefore: 1, nChunksAfter: 0 };
  const x = random.uniform(random.getPrng(0), [2, 15, 13]);
  const ref = tl.SelfAttention({ ...common, mode: "eval" });
  ref.init(new ShapeDtype(x.shape));
  const expected = ref(x);
  for (const useReferenceCode of [false, true]) {
    const fast = tl.SelfAttention({ ...common, mode: "predict", useReferenceCode });
    fast.init(new ShapeDtype([2, 1, 13]));
    fast.weights = ref.weights;
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < 15; i++) outs.push(fast(x.slice([0, i, 0], [2, 1, 13])));
    assertClose(tf.concat(outs, 1), expected, 1e-4, 1e-3, `reference ${useReferenceCode}`);
    const [memEnd, mem] = fast.state as unknown as [tf.Tensor, tf.Tensor[]];
    assert.equal(mem[0].shape, [2, 10, 13]); // chunkLen * (1 + nChunksBefore)
    assert.is(memEnd.dataSync()[0], 10); // 15 tokens, rolled by 5 twice
  }
  // A prefix of two chunks at once, then single tokens.
  const fast = tl.SelfAttention({ ...common, mode: "predict" });
  fast.init(new ShapeDtype([2, 1, 13]));
  fast.weights = ref.weights;
  const outs = [fast(x.slice([0, 0, 0], [2, 10, 13]))];
  for (let i = 10; i < 15; i++) outs.push(fast(x.slice([0, i, 0], [2, 1, 13])));
  assertClose(tf.concat(outs, 1), expected, 1e-4, 1e-3, "prefix");
  // A long prefix in the middle of a sequence is refused.
  assertLayerError(() => fast(x.slice([0, 0, 0], [2, 10, 13])), /only work at the start of a sequence/);
});

test("predict == eval with shared QK, biases and two chunks before (cache of 9, rolled by 3)", () => {
  for (const [shareQk, bias] of [[true, false], [false, true], [true, true]]) {
    const common = { nHeads: 2, dQk: 4, dV: 3, shareQk, bias, causal: true, chunkLen: 3, nChunksBefore: 2 };
    const x = random.uniform(random.getPrng(0), [2, 12, 5]);
    const ref = tl.SelfAttention({ ...common, mode: "eval" });
    ref.init(new ShapeDtype(x.shape));
    const fast = tl.SelfAttention({ ...common, mode: "predict" });
    fast.init(new ShapeDtype([2, 1, 5]));
    fast.weights = ref.weights;
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < 12; i++) outs.push(fast(x.slice([0, i, 0], [2, 1, 5])));
    assertClose(tf.concat(outs, 1), ref(x), 1e-5, 1e-4, `shareQk ${shareQk}, bias ${bias}`);
  }
});

// ------------------------------------------------------ known values (math)

test("chunkLen null: plain softmax multi-head attention (non-causal and causal)", () => {
  for (const causal of [false, true]) {
    const layer = tl.SelfAttention({ nHeads: 3, dQk: 4, dV: 5, causal, mode: "eval" });
    layer.init(new ShapeDtype(X.shape));
    const pen = penaltyFrom(10, (i, j) => (causal && j > i ? -1e9 : 0));
    assertClose(layer(X), reference(X, X, weightsOf(layer), pen), 1e-5, 1e-4, `causal ${causal}`);
  }
});

test("chunked causal attention with one chunk before equals banded attention", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, causal: true, chunkLen: 2, nChunksBefore: 1, mode: "eval" });
  layer.init(new ShapeDtype(X.shape));
  const pen = penaltyFrom(10, (i, j) => (j > i || j < (Math.floor(i / 2) - 1) * 2 ? -1e9 : 0));
  assertClose(layer(X), reference(X, X, weightsOf(layer), pen), 1e-5, 1e-4);
  // Non-causal, no neighbours: block-diagonal attention.
  const local = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, chunkLen: 5, mode: "eval" });
  local.init(new ShapeDtype(X.shape));
  const block = penaltyFrom(10, (i, j) => (Math.floor(i / 5) === Math.floor(j / 5) ? 0 : -1e9));
  assertClose(local(X), reference(X, X, weightsOf(local), block), 1e-5, 1e-4);
});

test("shareQk: keys are the length-normalized queries and a position avoids itself", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, shareQk: true, causal: true, mode: "eval" });
  layer.init(new ShapeDtype(X.shape));
  assert.is((layer.weights as tf.Tensor[]).length, 3);
  const pen = penaltyFrom(10, (i, j) => (j > i ? -1e9 : 0) + (i === j ? -1e5 : 0));
  const y = layer(X);
  // Position 0 can only see itself (penalized by 1e5 in float32): compare the others tightly.
  assertClose(y.slice([0, 1, 0], [2, 9, 13]), reference(X, X, weightsOf(layer, true), pen, true).slice([0, 1, 0], [2, 9, 13]), 1e-5, 1e-4);
});

test("bias: zero-initialized biases shift q, k, v", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, bias: true, mode: "eval" });
  layer.init(new ShapeDtype(X.shape));
  const ws = layer.weights as tf.Tensor[];
  assert.equal(ws.map((w) => w.shape), [[2, 13, 4], [2, 13, 4], [2, 13, 3], [2, 3, 13], [2, 4], [2, 4], [2, 3]]);
  assertClose(layer(X), reference(X, X, weightsOf(layer), tf.zeros([10, 10])), 1e-5, 1e-4);
  // A value bias b adds sum_h b_h wO_h to every output.
  const bV = tf.ones([2, 3]);
  const shifted = layer(X, { weights: [...ws.slice(0, 6), bV] });
  const delta = tf.add(tf.matMul(bV.slice([0, 0], [1, 3]), ws[3].gather(0)), tf.matMul(bV.slice([1, 0], [1, 3]), ws[3].gather(1)));
  assertClose(shifted.sub(layer(X)), tf.broadcastTo(delta.reshape([1, 1, 13]), [2, 10, 13]), 1e-4);
});

test("causal: changing later inputs leaves earlier outputs unchanged (full and chunked)", () => {
  for (const chunkLen of [null, 2]) {
    const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, causal: true, chunkLen, nChunksBefore: chunkLen ? 1 : 0, mode: "eval" });
    layer.init(new ShapeDtype(X.shape));
    const y1 = layer(X);
    const x2 = tf.concat([X.slice([0, 0, 0], [2, 6, 13]), random.normal(random.getPrng(9), [2, 4, 13])], 1);
    const y2 = layer(x2);
    assertClose(y2.slice([0, 0, 0], [2, 6, 13]), y1.slice([0, 0, 0], [2, 6, 13]), 1e-6, 0, `chunkLen ${chunkLen}`);
    assert.ok(tf.abs(y2.slice([0, 6, 0], [2, 4, 13]).sub(y1.slice([0, 6, 0], [2, 4, 13]))).max().dataSync()[0] > 1e-4);
  }
});

// Trax's `pos * (+-1)` then `+1` leaves padded positions 0 and 1 visible (a
// documented deviation: trax-ts hides every padded position).
test("masked: padding keys are ignored (positions 0 and 1 included); changing padded inputs keeps real outputs", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, masked: true, mode: "eval" });
  assert.is(layer.nIn, 2);
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]], [2, 10], "bool");
  layer.init([new ShapeDtype(X.shape), new ShapeDtype([2, 10], "bool")]);
  const y = layer([X, mask]);
  const pen = tf.where(mask.reshape([2, 1, 10]), tf.zeros([2, 1, 10]), tf.fill([2, 1, 10], -1e9));
  assertClose(y, reference(X, X, weightsOf(layer), pen), 1e-5, 1e-4);
  const noise = random.normal(random.getPrng(3), [2, 10, 13]).mul(tf.logicalNot(mask).toFloat().reshape([2, 10, 1]));
  const y2 = layer([X.add(noise), mask]);
  assertClose(y2.slice([0, 0, 0], [1, 6, 13]), y.slice([0, 0, 0], [1, 6, 13]), 1e-6);
  assertClose(y2.slice([1, 2, 0], [1, 8, 13]), y.slice([1, 2, 0], [1, 8, 13]), 1e-6);
  // A 0/1 int mask works as well.
  assertClose(layer([X, mask.toInt()]), y, 1e-6);
});

// ----------------------------------------------------- dropout, modes, grads

test("dropout: train mode only, deterministic per key, different per key", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, attentionDropout: 0.5, outputDropout: 0.5, mode: "train" });
  layer.init(new ShapeDtype(X.shape));
  const a = layer(X, { rng: random.getPrng(1) });
  assertClose(layer(X, { rng: random.getPrng(1) }), a, 0);
  assert.ok(tf.abs(layer(X, { rng: random.getPrng(2) }).sub(a)).max().dataSync()[0] > 1e-3);
  // Output dropout zeroes whole features, the same for every position and example.
  const zeroCols = tf.all(tf.equal(a, 0), [0, 1]).dataSync();
  assert.ok(Array.from(zeroCols).some((v) => v === 1));
  const evalLayer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, attentionDropout: 0.5, outputDropout: 0.5, mode: "eval" });
  evalLayer.init(new ShapeDtype(X.shape));
  evalLayer.weights = layer.weights;
  assertClose(evalLayer(X), reference(X, X, weightsOf(layer), tf.zeros([10, 10])), 1e-5, 1e-4);
});

test("gradients reach inputs and every weight", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, causal: true, chunkLen: 5, nChunksBefore: 1, shareQk: true, mode: "train" });
  const [w, s] = layer.init(new ShapeDtype(X.shape));
  const grads = tf.grads((x: tf.Tensor, ...ws: tf.Tensor[]) => layer.pureFn(x, ws, s, random.getPrng(0))[0].square().sum() as tf.Scalar)([X, ...(w as tf.Tensor[])]);
  for (const g of grads) {
    const v = g.dataSync();
    assert.ok(Array.from(v).every(Number.isFinite));
    assert.ok(tf.abs(g).max().dataSync()[0] > 0);
  }
});

test("errors: length not a multiple of chunkLen, mask shape, predict without causal, bad mode", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, chunkLen: 4 });
  assertLayerError(() => layer(X), /length 10 is not a multiple of chunkLen 4/);
  const masked = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, masked: true });
  assertLayerError(() => masked([X, tf.ones([2, 9], "bool")]), /mask of shape \[2, 10\]/);
  assert.throws(() => tl.SelfAttention({ mode: "predict", chunkLen: 4 }), /only causal attention/);
  assert.throws(() => tl.SelfAttention({ mode: "predict", causal: true }), /needs chunkLen/);
  assert.throws(() => tl.SelfAttention({ mode: "test" as never }), /mode must be/);
  assert.throws(() => tl.SelfAttention({ attentionDropout: 1 }), /attentionDropout/);
  assertLayerError(() => tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3 })(tf.ones([2, 10])), /\(batch, length, d\)/);
});

test("no leaks: init, eval and train calls, predict steps, gradients", () => {
  const layer = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, causal: true, chunkLen: 5, nChunksBefore: 1, attentionDropout: 0.1 });
  layer.init(new ShapeDtype(X.shape));
  assert.is(leakedBy(() => layer(X).dispose()), 0);
  const fresh = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3 });
  assert.is(leakedBy(() => fresh.init(new ShapeDtype(X.shape))), 4);
  const fast = tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 3, causal: true, chunkLen: 2, nChunksBefore: 1, mode: "predict" });
  fast.init(new ShapeDtype([2, 1, 13]));
  const step = X.slice([0, 0, 0], [2, 1, 13]);
  fast(step).dispose();
  assert.is(leakedBy(() => {
    for (let i = 0; i < 6; i++) fast(step).dispose();
  }), 0);
  const [w, s] = [layer.weights as tf.Tensor[], layer.state];
  assert.is(leakedBy(() => tf.tidy(() => {
    tf.grads((x: tf.Tensor) => layer.pureFn(x, w, s, random.getPrng(0))[0].sum() as tf.Scalar)([X]);
  })), 0);
});

// ---------------------------------------------------- EfficientAttentionBase

test("EfficientAttentionBase subclass: per-head weights stacked, per-row state stacked, head outputs summed", () => {
  class Scale extends tl.EfficientAttentionBase {
    createWeightsUnbatched(sigs: InstanceType<typeof ShapeDtype>[], rng: Uint32Array) {
      return random.uniform(rng, [sigs[0].shape[1] as number]);
    }
    createStateUnbatched(_sigs: unknown, rng: Uint32Array) {
      return tf.tensor1d(Array.from(rng.slice(0, 1)), "float32");
    }
    forwardUnbatched(xs: tf.Tensor[], ctx: { weights: unknown; state: unknown }): [tf.Tensor, never] {
      return [xs[0].mul(ctx.weights as tf.Tensor), (ctx.state as tf.Tensor).add(1) as never];
    }
  }
  const layer = new Scale(3);
  const x = random.normal(random.getPrng(1), [2, 4, 5]);
  const [w, s] = layer.init(new ShapeDtype(x.shape), { rng: random.getPrng(2) });
  assert.equal((w as tf.Tensor).shape, [3, 5]);
  assert.equal((s as tf.Tensor).shape, [6, 1]);
  const headKeys = random.split(random.getPrng(2), 3);
  assertClose(w as tf.Tensor, headKeys.map((k) => Array.from(random.uniformArray(k, 5))), 0);
  const nextState = (s as tf.Tensor).add(1); // the call replaces (and frees) the old state
  const y = layer(x);
  assertClose(y, x.mul((w as tf.Tensor).sum(0)), 1e-5);
  assertClose(layer.state as tf.Tensor, nextState, 0);
  assert.is(layer.nHeads, 3);
  const fast = () => new Scale(2, { incremental: true, predictMemLen: 4 });
  assert.throws(fast, /does not support fast inference/);
  assert.throws(() => new Scale(2, { incremental: true, predictMemLen: 2, predictDropLen: 3 }), /predictDropLen <= predictMemLen/);
  assert.throws(() => new Scale(0), /nHeads/);
  class Missing extends tl.EfficientAttentionBase {}
  assertLayerError(() => new Missing(1)(x), /override createWeightsUnbatched/);
});

// ------------------------------------------------------------ EncDecAttention

test("EncDecAttention: decoder queries attend to encoder keys, hiding padding (position 0 too)", () => {
  const layer = tl.EncDecAttention({ nHeads: 2, dQk: 4, dV: 3, mode: "eval" });
  assert.is(layer.nIn, 3);
  const xd = random.uniform(random.getPrng(1), [2, 4, 6]);
  const xe = random.uniform(random.getPrng(2), [2, 5, 7]);
  const mask = tf.tensor2d([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], [2, 5], "bool");
  layer.init([new ShapeDtype(xd.shape), new ShapeDtype(xe.shape), new ShapeDtype([2, 5], "bool")]);
  assert.equal((layer.weights as tf.Tensor[]).map((w) => w.shape), [[2, 6, 4], [2, 7, 4], [2, 7, 3], [2, 3, 6]]);
  const y = layer([xd, xe, mask]);
  assert.equal(y.shape, [2, 4, 6]);
  const pen = tf.where(mask.reshape([2, 1, 5]), tf.zeros([2, 1, 5]), tf.fill([2, 1, 5], -1e9));
  assertClose(y, reference(xd, xe, weightsOf(layer), pen), 1e-5, 1e-4);
  const unmasked = tl.EncDecAttention({ nHeads: 2, dQk: 4, dV: 3, masked: false, mode: "eval" });
  assert.is(unmasked.nIn, 2);
  unmasked.init([new ShapeDtype(xd.shape), new ShapeDtype(xe.shape)]);
  unmasked.weights = layer.weights;
  assertClose(unmasked([xd, xe]), reference(xd, xe, weightsOf(layer), tf.zeros([4, 5])), 1e-5, 1e-4);
  // The reference loop agrees.
  const ref = tl.EncDecAttention({ nHeads: 2, dQk: 4, dV: 3, mode: "eval", useReferenceCode: true });
  ref.init([new ShapeDtype(xd.shape), new ShapeDtype(xe.shape), new ShapeDtype([2, 5], "bool")]);
  ref.weights = layer.weights;
  assertClose(ref([xd, xe, mask]), y, 1e-5);
  assertLayerError(() => layer([xd, xe, tf.ones([2, 4], "bool")]), /mask of shape \[2, 5\]/);
  assert.is(leakedBy(() => layer([xd, xe, mask]).dispose()), 0);
});

test.run();
