/**
 * `TRAX_SIMD=0` turns off every SIMD kernel of trax-ts, the fused ones
 * included: a child process trains a small Transformer-like step
 * (LayerNorm, attention heads, ReLU, cross-entropy) and runs none of
 * `TraxLayerNorm`, `TraxSoftmaxCrossEntropy`, `TraxReluGrad` (tfjs's own ops
 * instead), with the same loss as with them, to float32 rounding.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, runScriptJson, tf } from "../helpers";

test.before(ready);

const script = `
const t = require('./src'); const tf = t.tf; const tl = t.layers;
const names = new Set();
const engine = tf.engine(); const original = engine.runKernel;
engine.runKernel = function (name, ...rest) { names.add(name); return original.call(this, name, ...rest); };
const x = tf.randomUniformInt([2, 8], 0, 16, 1);
const model = tl.Serial(tl.Embedding(16, 32), tl.Residual(tl.LayerNorm(), tl.CausalAttention(32, { nHeads: 4 })), tl.Residual(tl.LayerNorm(), tl.Dense(64), tl.Relu(), tl.Dense(32)), tl.Dense(16));
model.init(t.shapes.signature(x));
const loss = tl.CrossEntropyLossWithLogSoftmax();
const value = t.fastmath.grad((w) => { model.weights = w; return tf.mean(loss([model(x), x, tf.onesLike(x).toFloat()])); })(model.weights);
const l = tf.mean(loss([model(x), x, tf.onesLike(x).toFloat()])).dataSync()[0];
const dec = tl.CausalAttention(32, { nHeads: 4, mode: 'predict', maxInferenceLength: 4 });
dec.init(t.shapes.signature(tf.zeros([1, 1, 32])), { rng: t.fastmath.random.getPrng(3) });
dec(tf.randomNormal([1, 1, 32], 0, 1, 'float32', 4));
const decoded = Array.from(dec(tf.randomNormal([1, 1, 32], 0, 1, 'float32', 5)).dataSync());
const dpca = tl.DotProductCausalAttention({ mode: 'predict', maxInferenceLength: 4 });
const qkv = [1, 2, 3].map((seed) => tf.randomNormal([4, 1, 8], 0, 1, 'float32', seed));
dpca.init(t.shapes.signature(qkv));
decoded.push(...Array.from(dpca(qkv).dataSync()));
const pe = tl.PositionalEncoding({ maxLen: 4, mode: 'predict' });
pe.init(t.shapes.signature(qkv[0]));
decoded.push(...Array.from(pe(qkv[0]).dataSync()));
console.log(JSON.stringify({ names: [...names].filter((n) => n.startsWith('Trax')), loss: l, decoded }));`;

test("TRAX_SIMD=0: none of trax-ts's fused wasm kernels run, and the loss is the same to rounding", () => {
  if (tf.getBackend() !== "wasm") return;
  type R = { names: string[]; loss: number; decoded: number[] };
  const on = runScriptJson<R>(script, {});
  const off = runScriptJson<R>(script, { TRAX_SIMD: "0" });
  for (const k of ["TraxLayerNorm", "TraxLayerNormGrad", "TraxSoftmaxCrossEntropy", "TraxSoftmaxCrossEntropyGrad", "TraxReluGrad", "TraxDecodeAttentionLayer", "TraxDecodeAttention", "TraxAddRows"]) {
    assert.ok(on.names.includes(k), `${k} runs by default (${on.names})`);
    assert.not.ok(off.names.includes(k), `${k} is off with TRAX_SIMD=0 (${off.names})`);
  }
  assert.ok(Math.abs(on.loss - off.loss) <= 1e-5 * Math.abs(off.loss), `loss ${on.loss} vs ${off.loss}`);
  assert.is(on.decoded.length, 32 + 4 * 8 + 4 * 8);
  on.decoded.forEach((y, i) => assert.ok(Math.abs(y - off.decoded[i]) <= 1e-5 + 1e-5 * Math.abs(off.decoded[i]), `decoded[${i}] ${y} vs ${off.decoded[i]}`));
});

test.run();
