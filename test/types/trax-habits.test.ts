/**
 * The values behind the types of test/types/trax-habits.ts: a layer typed to
 * return a tensor returns one, a tuple type has that many tensors, and the
 * inspection paths read what they claim.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl } from "../helpers";
import { habits } from "./trax-habits";

test.before(ready);

test("layers typed as one-output return a tensor; tuples have their length", () => {
  const h = habits();
  for (const t of [h.y, h.residual, h.decoded, h.block, h.attended, h.maskOut, h.mixedOut]) assert.ok(t instanceof tf.Tensor);
  assert.equal(h.shapes, [[2, 4, 8], [2, 4, 8], [2, 4, 8], [2, 4, 8], [2, 4, 8], [2, 4, 8], [1, 3, 8]]);
  assert.equal(h.y.shape, [2, 4, 8]);
  assert.equal(h.attended.shape, [2, 4, 8]);
  assert.equal(h.maskOut.shape, [2, 1, 1, 4]);
  assert.ok(Array.isArray(h.branches) && h.branches.length === 3);
  assert.equal(h.branches.map((t) => t.shape), [[2, 4, 3], [2, 4, 8], [2, 4, 8]]);
  assert.equal(Array.from(h.sum.dataSync()), [2, 2]);
});

test("inspection paths: weights.length, weights[0][0].shape, state.length", () => {
  const h = habits();
  assert.is(h.nWeights, 4);
  assert.equal(h.firstKernel, [8, 16]);
  assert.equal(h.kernels, [[8, 16], [16, 8]]);
  assert.is(h.nState, 1);
  assert.equal(h.params, ["Dense_16", "Relu", "Dense_8", "Tanh"]);
});

test("a mode given as a plain string is checked when the layer is built", () => {
  const mode: string = "tran";
  assert.throws(() => tl.Dropout({ rate: 0.1, mode }), /Dropout: mode must be "train", "eval", "predict" or "viz"; got "tran"/);
  assert.throws(() => tl.BatchNorm({ mode }), /BatchNorm: mode must be "train", "eval" or "predict"; got "tran"/);
  assert.throws(() => tl.DotProductAttention({ mode }), /mode must be one of train, eval, predict, viz; got 'tran'/);
  // An attention mode is a Dropout mode: "viz" passes inputs through like "eval".
  const x = tf.ones([2, 3]);
  assert.equal(tl.Dropout({ rate: 0.5, mode: "viz" })(x).arraySync(), x.arraySync());
});

test.run();
