import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf } from "../helpers";
import { stackRows, unstackPaths, unstackRows } from "../../src/fastmath/unstack";
import { pattern } from "../fixtures/patterns";

const test = suite("fastmath/unstack");
test.before(ready);

test("unstackRows equals tf.unstack (float32, int32, bool; ranks 1 to 3; one item)", () => {
  const cases = [
    pattern([4, 3, 5]),
    pattern([1, 2, 2], "cos"),
    pattern([6]),
    tf.tensor([[1, -2, 3], [4, 5, -6]], undefined, "int32"),
    tf.tensor([[true, false], [false, true], [true, true]], undefined, "bool"),
  ];
  for (const x of cases) {
    const ours = unstackRows(x);
    const theirs = tf.unstack(x);
    assert.is(ours.length, theirs.length);
    ours.forEach((t, i) => {
      assert.is(t.dtype, x.dtype);
      assert.equal(t.shape, theirs[i].shape);
      assert.equal(t.arraySync(), theirs[i].arraySync());
    });
  }
});

test("unstackRows and stackRows: gradients equal tfjs's unstack and stack, unused items get zeros", () => {
  const x = pattern([5, 2, 3]);
  const weights = pattern([5, 2, 3], "cos");
  const ws = tf.unstack(weights);
  // Items 1 and 3 unused: their gradient is zero.
  const loss = (unstack: (t: tf.Tensor) => tf.Tensor[], stack: (ts: tf.Tensor[]) => tf.Tensor) => (z: tf.Tensor) => {
    const items = unstack(z);
    const used = [0, 2, 4].map((i) => items[i].mul(ws[i]).square());
    return tf.sum(stack(used).mul(2));
  };
  const theirs = tf.grad(loss((t) => tf.unstack(t), (ts) => tf.stack(ts)))(x);
  const ours = tf.grad(loss(unstackRows, stackRows))(x);
  assertClose(ours, theirs.arraySync(), 1e-6);
  assert.equal(tf.grad((z: tf.Tensor) => tf.sum(unstackRows(z)[0]))(pattern([1, 3])).arraySync(), [[1, 1, 1]]);
});

test("unstackRows / stackRows leak nothing; the switch gives tfjs's own ops", () => {
  const x = pattern([3, 4]);
  assert.is(leakedBy(() => tf.dispose(unstackRows(x))), 0);
  assert.is(leakedBy(() => tf.grad((z: tf.Tensor) => tf.sum(stackRows(unstackRows(z)).square()))(x).dispose()), 0);
  unstackPaths.fromHeap = false;
  try {
    assert.equal(unstackRows(x).map((t) => t.arraySync()), tf.unstack(x).map((t) => t.arraySync()));
  } finally {
    unstackPaths.fromHeap = true;
  }
});

test.run();
