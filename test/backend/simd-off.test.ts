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
console.log(JSON.stringify({ names: [...names].filter((n) => n.startsWith('Trax')), loss: l }));`;

test("TRAX_SIMD=0: none of trax-ts's fused wasm kernels run, and the loss is the same to rounding", () => {
  if (tf.getBackend() !== "wasm") return;
  type R = { names: string[]; loss: number };
  const on = runScriptJson<R>(script, {});
  const off = runScriptJson<R>(script, { TRAX_SIMD: "0" });
  for (const k of ["TraxLayerNorm", "TraxLayerNormGrad", "TraxSoftmaxCrossEntropy", "TraxSoftmaxCrossEntropyGrad", "TraxReluGrad"]) {
    assert.ok(on.names.includes(k), `${k} runs by default (${on.names})`);
    assert.not.ok(off.names.includes(k), `${k} is off with TRAX_SIMD=0 (${off.names})`);
  }
  assert.ok(Math.abs(on.loss - off.loss) <= 1e-5 * Math.abs(off.loss), `loss ${on.loss} vs ${off.loss}`);
});

test.run();
