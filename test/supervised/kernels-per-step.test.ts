/**
 * How many kernels a training step runs on wasm, for the two models of
 * `bench/train.bench.ts`, and a decoding step of `bench/decode.bench.ts`'s
 * decoder: each tfjs kernel call costs about 10 us of
 * bookkeeping before any arithmetic, so the fused kernels (LayerNorm,
 * cross-entropy, ReLU's gradient) and the Dense backward without reshapes
 * are held to their counts here (counted, not timed: the same on a busy
 * machine), with a little room for unrelated changes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelsRunBy, kernelsRunByAsync, ready, tf, tl, trax } from "../helpers";

test.before(ready);

function* forever(batch: tf.Tensor[]): Generator<tf.Tensor[]> {
  for (;;) yield batch;
}

/** The kernels of one Adam step of `model` on `batch` (after two warm-up steps). */
async function stepKernels(model: trax.layers.Layer, batch: tf.Tensor[]): Promise<string[]> {
  const task = trax.supervised.TrainTask(forever(batch), tl.CrossEntropyLossWithLogSoftmax(), trax.optimizers.Adam({ learningRate: 1e-3, weightDecayRate: 0 }), { disposeBatches: false });
  const loop = trax.supervised.Loop(model, task, { progress: "none", stepsPerEval: 1e9 });
  await loop.run(2);
  return kernelsRunByAsync(() => loop.run(1));
}

test("an MLP step (784-256-256-10, batch 128): at most 60 kernels, the fused ones among them", async () => {
  if (tf.getBackend() !== "wasm") return;
  const x = tf.randomNormal([128, 784], 0, 1, "float32", 1);
  const labels = tf.randomUniformInt([128], 0, 10, 2);
  const names = await stepKernels(tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(10)), [x, labels]);
  assert.ok(names.length <= 60, `${names.length} kernels: ${names.join(" ")}`);
  for (const k of ["TraxSoftmaxCrossEntropy", "TraxSoftmaxCrossEntropyGrad", "TraxReluGrad", "TraxFusedAdam"]) assert.ok(names.includes(k), `${k} runs`);
  assert.not.ok(names.includes("Step") || names.includes("OneHot"), names.join(" "));
  tf.dispose([x, labels]);
});

test("a Transformer block step (batch 16, length 32, d 128, 4 heads): at most 215 kernels, the fused ones among them", async () => {
  if (tf.getBackend() !== "wasm") return;
  const x = tf.randomUniformInt([16, 32], 0, 64, 1);
  const model = tl.Serial(
    tl.Embedding(64, 128),
    tl.Residual(tl.LayerNorm(), tl.CausalAttention(128, { nHeads: 4 })),
    tl.Residual(tl.LayerNorm(), tl.Dense(512), tl.Relu(), tl.Dense(128)),
    tl.Dense(64)
  );
  const names = await stepKernels(model, [x, x]);
  assert.ok(names.length <= 215, `${names.length} kernels`);
  for (const k of ["TraxLayerNorm", "TraxLayerNormGrad", "TraxSoftmaxCrossEntropy", "TraxReluGrad"]) assert.ok(names.includes(k), `${k} runs`);
  x.dispose();
});

test("a decoding step of a 2-layer decoder (d 256, 4 heads) in predict mode: at most 22 kernels, one kernel an attention layer, one for the positional encodings", () => {
  if (tf.getBackend() !== "wasm") return;
  const block = () => [
    tl.Residual(tl.CausalAttention(256, { nHeads: 4, mode: "predict", maxInferenceLength: 8 })),
    tl.Residual(tl.Dense(512), tl.Relu(), tl.Dense(256)),
  ];
  const model = tl.Serial(tl.ShiftRight({ mode: "predict" }), tl.Dense(256), tl.PositionalEncoding({ maxLen: 8, mode: "predict" }), ...block(), ...block(), tl.Dense(32));
  model.init(new trax.shapes.ShapeDtype([1, 1, 32]));
  const x = tf.oneHot(tf.tensor2d([[3]], [1, 1], "int32"), 32).toFloat();
  for (let i = 0; i < 2; i++) (model(x) as tf.Tensor).dispose();
  const names = kernelsRunBy(() => (model(x) as tf.Tensor).dispose());
  assert.ok(names.length <= 22, `${names.length} kernels: ${names.join(" ")}`);
  assert.is(names.filter((k) => k === "TraxAddRows").length, 1, names.join(" "));
  assert.is(names.filter((k) => k === "TraxDecodeAttentionLayer").length, 2, names.join(" "));
  assert.not.ok(names.includes("Concat") || names.includes("Softmax"), names.join(" "));
  x.dispose();
});

test.run();
