/**
 * The wasm backend's `Identity` shares its input's buffer (src/backend/
 * wasm-shared-identity.ts): clones made by `tf.clone` and by the gradient
 * tape cost no copy, stay valid when the original goes, and give the same
 * numbers in products (whose XNNPACK operators are cached per buffer) and in
 * gradients.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax } from "../helpers";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

test("a clone shares the buffer and outlives its original", () => {
  if (!onWasm()) return;
  const before = tf.memory();
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const b = a.clone();
  assert.is(tf.memory().numDataBuffers, before.numDataBuffers + 1, "one buffer for the tensor and its clone");
  a.dispose();
  assert.equal(Array.from(b.dataSync()), [1, 2, 3, 4]);
  b.dispose();
  assert.is(tf.memory().numDataBuffers, before.numDataBuffers);
  assert.is(tf.memory().numTensors, before.numTensors);
});

test("a clone used as the packed operand of a product, after the original is gone, gives the same product", () => {
  if (!onWasm()) return;
  const w = tf.tensor2d([[1, 0, 2], [0, 1, -1]]);
  const x = tf.tensor2d([[3, 4]]);
  const first = tf.matMul(x, w); // packs w's buffer
  const w2 = w.clone();
  w.dispose();
  const again = tf.matMul(x, w2);
  assert.equal(Array.from(again.dataSync()), [3, 4, 2]);
  assert.equal(Array.from(again.dataSync()), Array.from(first.dataSync()));
  tf.dispose([x, first, w2, again]);
});

test("gradients through saved (shared) tensors equal the cpu backend's", () => {
  if (!onWasm()) return;
  const model = tl.Serial(tl.Dense(5), tl.Relu(), tl.Dense(3), tl.LogSoftmax());
  const x = tf.randomNormal([4, 6], 0, 1, "float32", 3);
  model.init(new trax.shapes.ShapeDtype([4, 6]));
  const lossOf = (w: unknown) => (model.pureFn(x, w as never, model.state, model.rng)[0] as tf.Tensor).square().sum();
  const before = tf.memory().numTensors;
  const gWasm = (trax.fastmath.grad(lossOf)(model.weights as never) as unknown as tf.Tensor[][]).flat(4) as tf.Tensor[];
  const wasmValues = gWasm.map((g) => Array.from(g.dataSync()));
  tf.dispose(gWasm);
  assert.is(tf.memory().numTensors, before, "no tensor leaks");
  tf.setBackend("cpu");
  try {
    const xc = tf.tensor(x.arraySync() as number[][]);
    const wc = trax.fastmath.nestedMap(model.weights as never, (t: unknown) => tf.tensor((t as tf.Tensor).arraySync() as number[])) as unknown;
    const gCpu = (trax.fastmath.grad((w: unknown) => (model.pureFn(xc, w as never, model.state, model.rng)[0] as tf.Tensor).square().sum())(wc as never) as unknown as tf.Tensor[][]).flat(4) as tf.Tensor[];
    gCpu.forEach((g, i) => {
      const c = Array.from(g.dataSync());
      c.forEach((v, j) => assert.ok(Math.abs(v - wasmValues[i][j]) < 1e-4 * (1 + Math.abs(v)), `gradient ${i}[${j}]: wasm ${wasmValues[i][j]}, cpu ${v}`));
    });
    tf.dispose([xc, gCpu, wc as never]);
  } finally {
    tf.setBackend("wasm");
  }
  x.dispose();
});

test.run();
