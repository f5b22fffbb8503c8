/**
 * LayerNorm's forward and input gradient as wasm kernels
 * (src/backend/simd/layer-norm-module.ts, wasm-layer-norm.ts): the same bits
 * as the tfjs ops they replace, for the output and every gradient, over
 * shapes whose rows and features are and are not multiples of 4 (the
 * four-rows-at-once blocks, the vector passes and their scalar tails), an
 * empty batch, and inputs with NaN and infinities; a Transformer-sized
 * LayerNorm layer trains to the same weights; no leaked tensors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, float32Bits, kernelsRunBy, leakedBy, ready, tf, tl, withSwitch } from "../helpers";
import { layerNormModuleBytes } from "../../src/backend/simd/layer-norm-module";
import { simdLayerNorm } from "../../src/backend/simd/wasm-layer-norm";
import { layerNormRecorded } from "../../src/layers/layer-norm-op";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Output and gradients (x, scale, bias) of `sum(layerNorm(x) * dy)`, with the kernels on or off. */
function run(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, dy: tf.Tensor, fused: boolean): number[][] {
  return withSwitch(simdLayerNorm, fused, () =>
    tf.tidy(() => {
      const y = layerNormRecorded(x, scale, bias, 1e-6);
      const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNormRecorded(a, s, b, 1e-6), dy)))([x, scale, bias]);
      return [y, ...grads].map((t) => float32Bits(t.dataSync() as Float32Array));
    })
  );
}

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(layerNormModuleBytes);
});

test("the same bits as the tfjs ops: output and the three gradients, edge shapes included", () => {
  if (!onWasm()) return;
  let seed = 1;
  for (const shape of [[16, 32, 128], [3, 7], [9, 13], [5, 1], [1, 4], [6, 8], [2, 3, 20], [0, 4]]) {
    const f = shape[shape.length - 1];
    const x = tf.randomNormal(shape, 0.5, 3, "float32", seed++);
    const [scale, bias] = [tf.randomNormal([f], 1, 0.5, "float32", seed++), tf.randomNormal([f], 0, 0.5, "float32", seed++)];
    const dy = tf.randomNormal(shape, 0, 1, "float32", seed++);
    let on: number[][] = [];
    const names = kernelsRunBy(() => (on = run(x, scale, bias, dy, true)));
    assert.ok(names.includes("TraxLayerNorm") && names.includes("TraxLayerNormGrad"), `the kernels ran at [${shape}]`);
    assert.not.ok(names.includes("Sqrt"), `no tfjs ops at [${shape}]`);
    const off = run(x, scale, bias, dy, false);
    ["output", "dx", "dscale", "dbias"].forEach((what, i) => assert.equal(on[i], off[i], `${what} at [${shape}]`));
    tf.dispose([x, scale, bias, dy]);
  }
});

test("NaN and infinities propagate as through the tfjs ops", () => {
  if (!onWasm()) return;
  const x = tf.tensor2d([[1, NaN, 3, 4, 5], [Infinity, 0, 1, 2, 3], [1, 1, 1, 1, 1], [-Infinity, Infinity, 0, 0, 0], [1e30, -1e30, 2, 3, 4]]);
  const [scale, bias, dy] = [tf.ones([5]), tf.zeros([5]), tf.ones([5, 5])];
  const [on, off] = [run(x, scale, bias, dy, true), run(x, scale, bias, dy, false)];
  ["output", "dx", "dscale", "dbias"].forEach((what, i) => assert.equal(on[i], off[i], what));
  tf.dispose([x, scale, bias, dy]);
});

test("a LayerNorm layer's training step gives the same weights with the kernels on and off", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([4, 6, 12], 0, 1, "float32", 7);
  const step = (fused: boolean) =>
    withSwitch(simdLayerNorm, fused, () => {
      const layer = tl.Serial(tl.Dense(12), tl.LayerNorm());
      layer.init(x); // the same default key each time: the same weights
      return tf.tidy(() => {
        const { grads } = tf.valueAndGrads((...w: tf.Tensor[]) => {
          layer.weights = [[w[0], w[1]], [w[2], w[3]]] as never;
          return tf.sum(tf.square(layer(x) as tf.Tensor)) as tf.Scalar;
        })((layer.weights as tf.Tensor[][]).flat());
        return grads.map((g) => float32Bits(g.dataSync() as Float32Array));
      });
    });
  assert.equal(step(true), step(false));
  x.dispose();
});

test("no tensor left behind, forward and backward", () => {
  if (!onWasm()) return;
  const [x, scale, bias] = [tf.randomNormal([8, 16]), tf.ones([16]), tf.zeros([16])];
  assert.is(leakedBy(() => tf.dispose(tf.grads((a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(layerNormRecorded(a, s, b, 1e-6)))([x, scale, bias]))), 0);
  tf.dispose([x, scale, bias]);
});

test.run();
