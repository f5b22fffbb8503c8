// Trax's EfficientAttentionBase computes the forward and the backward one
// group of n_parallel_heads heads at a time, so memory is one group's work.
// Peaks are measured with tf.profile (bytes), never timings.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, ShapeDtype, tf, tl, trax } from "../../helpers";

const test = suite("efficient attention memory");
test.before(ready);

type Make = (nHeads: number, nParallelHeads: number | null) => trax.layers.Layer;
const makers: Record<string, Make> = {
  LSHSelfAttention: (nHeads, nParallelHeads) =>
    tl.LSHSelfAttention({ nHeads, dQk: 16, dV: 16, chunkLen: 32, nHashes: 2, nBuckets: 8, causal: true, nParallelHeads, mode: "train" }),
  SelfAttention: (nHeads, nParallelHeads) =>
    tl.SelfAttention({ nHeads, dQk: 16, dV: 16, chunkLen: 64, causal: true, nParallelHeads, mode: "train" }),
};

/** Peak bytes of a gradient (inputs and weights) of the layer's summed output. */
async function gradientPeak(make: Make, nHeads: number, nParallelHeads: number | null): Promise<number> {
  const layer = make(nHeads, nParallelHeads);
  const x = tf.randomNormal([2, 256, 32], 0, 1, "float32", 1);
  layer.init(new ShapeDtype([2, 256, 32]));
  const grad = () => trax.fastmath.grad(([xx, w]: [tf.Tensor, tl.WeightsTree]) => (layer.pureFn(xx, w, layer.state, layer.rng)[0] as tf.Tensor).sum())([x, layer.weights]);
  tf.dispose(grad() as unknown as tf.Tensor[]);
  const info = await tf.profile(() => void tf.dispose(grad() as unknown as tf.Tensor[]));
  x.dispose();
  return info.peakBytes;
}

for (const [name, make] of Object.entries(makers)) {
  test(`${name}: with nParallelHeads 1 a gradient's peak memory stays one head's as heads grow`, async () => {
    const two = await gradientPeak(make, 2, 1);
    const eight = await gradientPeak(make, 8, 1);
    const eightAtOnce = await gradientPeak(make, 8, null);
    const eightInPairs = await gradientPeak(make, 8, 2);
    // 4x the heads: under 1.3x the peak one head at a time; all at once grows about 4x.
    assert.ok(eight < 1.3 * two, `8 heads ${eight} B vs 2 heads ${two} B, one at a time`);
    assert.ok(eight < 0.3 * eightAtOnce, `one at a time ${eight} B vs all at once ${eightAtOnce} B`);
    assert.ok(eight < eightInPairs && eightInPairs < eightAtOnce, `groups of 1 ${eight}, 2 ${eightInPairs}, 8 ${eightAtOnce} B`);
  });

  test(`${name}: outputs, state and gradients are the same with every nParallelHeads`, () => {
    const x = tf.randomNormal([2, 64, 32], 0, 1, "float32", 2);
    const results = [null, 1, 2].map((par) => {
      const layer = make(4, par);
      layer.init(new ShapeDtype([2, 64, 32]), { rng: trax.fastmath.random.getPrng(5) });
      const rng = trax.fastmath.random.getPrng(7);
      const [y, s] = layer.pureFn(x, layer.weights, layer.state, rng);
      const [gx, gw] = trax.fastmath.grad(([xx, w]: [tf.Tensor, tl.WeightsTree]) => (layer.pureFn(xx, w, layer.state, rng)[0] as tf.Tensor).sum())([x, layer.weights]);
      return { y: y as tf.Tensor, s, gx, gw: gw as tf.Tensor[] };
    });
    const [all, one, two] = results;
    for (const r of [one, two]) {
      assertClose(r.y, all.y.arraySync() as number[][][], 1e-5, 1e-5);
      assertClose(r.gx, all.gx.arraySync() as number[][][], 1e-4, 1e-4);
      r.gw.forEach((g, i) => assertClose(g, all.gw[i].arraySync() as number[], 1e-4, 1e-4));
      const sa = trax.fastmath.treeFlatten(all.s as never) as tf.Tensor[];
      (trax.fastmath.treeFlatten(r.s as never) as tf.Tensor[]).forEach((t, i) => assert.equal(t.arraySync(), sa[i].arraySync()));
    }
  });

  test(`${name}: grouped forward and backward leak nothing`, () => {
    const layer = make(4, 1);
    const x = tf.randomNormal([1, 64, 32]);
    layer(x);
    assert.is(leakedBy(() => tf.dispose(trax.fastmath.grad((w: tl.WeightsTree) => (layer.pureFn(x, w, layer.state, layer.rng)[0] as tf.Tensor).sum())(layer.weights) as unknown as tf.Tensor[])), 0);
    assert.is(leakedBy(() => {
      const [y, newState] = layer.pureFn(x, layer.weights, layer.state, layer.rng);
      const old = new Set<unknown>(trax.fastmath.treeFlatten(layer.state as never));
      tf.dispose([y as tf.Tensor, ...(trax.fastmath.treeFlatten(newState as never) as tf.Tensor[]).filter((t) => !old.has(t))]);
    }), 0);
  });
}

test.run();
