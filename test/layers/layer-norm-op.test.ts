import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, tl, trax } from "../helpers";
import { layerNormPaths, layerNormRecorded } from "../../src/layers/layer-norm-op";
import { pattern } from "../fixtures/patterns";

const test = suite("layers/layer-norm-op");
test.before(ready);

/** Gradients of sum(LayerNorm(x) * ct) with respect to x, scale and bias, on the fused or the autograd path. */
function grads(fused: boolean, x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, ct: tf.Tensor): tf.Tensor[] {
  const layer = tl.LayerNorm();
  layer.init(new trax.shapes.ShapeDtype(x.shape));
  layerNormPaths.fused = fused;
  try {
    return tf.grads((xx: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layer.pureFn(xx, [s, b], [], null)[0] as tf.Tensor, ct)))([x, scale, bias]);
  } finally {
    layerNormPaths.fused = true;
  }
}

test("LayerNorm's fused op: same values as the forward ops, gradients equal tfjs autograd (ranks 1 to 3)", () => {
  for (const shape of [[8], [5, 8], [2, 3, 16]]) {
    const f = shape[shape.length - 1];
    const x = pattern(shape, "sin", 0.9, 0.2, 3);
    const scale = pattern([f], "cos", 0.4, 0.1, 1.5);
    const bias = pattern([f], "sin", 0.3);
    const ct = pattern(shape, "cos", 0.7);
    const layer = tl.LayerNorm();
    layer.init(new trax.shapes.ShapeDtype(shape));
    const eager = layer.pureFn(x, [scale, bias], [], null)[0] as tf.Tensor;
    // The op's forward is the layer's eager forward, op for op.
    assert.equal(tf.tidy(() => layerNormRecorded(x, scale, bias, 1e-6)).arraySync(), eager.arraySync());
    const [fusedG, autoG] = [grads(true, x, scale, bias, ct), grads(false, x, scale, bias, ct)];
    fusedG.forEach((g, i) => assertClose(g, autoG[i].arraySync(), 1e-5, 1e-5, `grad ${i}`));
  }
});

test("LayerNorm's fused op: only the gradients asked for; nothing leaks", () => {
  const x = pattern([4, 6]);
  const s = pattern([6], "cos");
  const b = pattern([6]);
  const layer = tl.LayerNorm();
  layer.init(new trax.shapes.ShapeDtype([4, 6]));
  const loss = (xx: tf.Tensor, ss: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(layer.pureFn(xx, [ss, bb], [], null)[0] as tf.Tensor));
  const all = tf.grads(loss)([x, s, b]);
  const [gs, gb] = tf.grads((ss: tf.Tensor, bb: tf.Tensor) => loss(x, ss, bb))([s, b]);
  assertClose(gs, all[1].arraySync(), 1e-6);
  assertClose(gb, all[2].arraySync(), 1e-6);
  assert.is(leakedBy(() => tf.grads(loss)([x, s, b]).forEach((g) => g.dispose())), 0);
});

test.run();
