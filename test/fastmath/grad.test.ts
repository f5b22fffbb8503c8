import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, trax } from "../helpers";

const test = suite("fastmath/grad");
test.before(ready);

test("valueAndGrad over a nested tree; unused and integer leaves get zeros", () => {
  const x = [tf.tensor([1, 2]), [tf.tensor([3]), tf.tensor([7], [1], "int32")], tf.tensor([5])];
  const [value, g] = trax.fastmath.valueAndGrad((t: typeof x) => (t[0] as tf.Tensor).square().sum().add(((t[1] as tf.Tensor[])[0]).mul(2).sum()))(x);
  assert.is(value.arraySync(), 1 + 4 + 6);
  assertClose(g[0], [2, 4]);
  assertClose((g[1] as tf.Tensor[])[0], [2]);
  assert.equal(((g[1] as tf.Tensor[])[1]).arraySync(), [0]);
  assertClose(g[2], [0]);
});

test("grad with no float leaves returns zeros instead of failing", () => {
  const g = trax.fastmath.grad((t: tf.Tensor) => t.toFloat().sum())(tf.tensor([1, 2], [2], "int32"));
  assert.equal((g as tf.Tensor).arraySync(), [0, 0]);
});

test("vjp: outputs and the cotangent-weighted gradient", () => {
  const [y, [gx, gw]] = trax.fastmath.vjp(
    ([x, w]: tf.Tensor[]) => [x.mul(w), x.add(1)],
    [tf.tensor([1, 2]), tf.tensor([3, 4])],
    [tf.tensor([1, 10]), tf.tensor([100, 1000])]
  );
  assertClose(y[0], [3, 8]);
  assertClose(y[1], [2, 3]);
  assertClose(gx, [3 * 1 + 100, 4 * 10 + 1000]);
  assertClose(gw, [1 * 1, 2 * 10]);
  assert.throws(() => trax.fastmath.vjp((x: tf.Tensor) => x, tf.tensor([1]), tf.tensor([1, 2])), /cotangent 0 has shape \[2\]/);
});

test("a gradient taken inside a custom gradient's backward pass leaves the outer pass intact", () => {
  const square = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: x.square(),
      gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => trax.fastmath.grad((t: tf.Tensor) => t.square().mul(dy).sum())(xs),
    };
  }) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
  const x = tf.tensor([1, -3]);
  const leaked = leakedBy(() => {
    const g = trax.fastmath.grad((t: tf.Tensor) => square(t).mul(tf.tensor([1, 2])).sum())(x);
    assertClose(g, [2, -12]);
    g.dispose();
  });
  assert.is(leaked, 0);
});

test.run();
