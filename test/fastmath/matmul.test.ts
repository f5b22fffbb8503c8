import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf } from "../helpers";
import { dense, matMulT } from "../../src/fastmath/matmul";
import { pattern } from "../fixtures/patterns";

const test = suite("fastmath/matmul");
test.before(ready);

// Shapes chosen so that both the direct and the swapped form get picked.
const CASES: [number[], number[], boolean, boolean][] = [
  [[3, 40], [50, 40], false, true], // a @ b^T, b large: swapped form
  [[30, 4], [5, 4], false, true], // a @ b^T, a large: direct form
  [[6, 3], [6, 40], true, false], // a^T @ b, direct
  [[40, 30], [40, 2], true, false], // a^T @ b, a large: swapped form
  [[4, 3], [5, 4], true, true], // a^T @ b^T
  [[40, 30], [2, 40], true, true],
];

for (const [sa, sb, ta, tb] of CASES) {
  test(`matMulT a[${sa}]${ta ? "^T" : ""} @ b[${sb}]${tb ? "^T" : ""} equals tf.matMul with flags, without leaks`, () => {
    const a = pattern(sa) as tf.Tensor2D;
    const b = pattern(sb, "cos") as tf.Tensor2D;
    const want = tf.matMul(a, b, ta, tb);
    const got = matMulT(a, b, ta, tb);
    assert.equal(got.shape, want.shape);
    assertClose(got, want.arraySync(), 1e-4, 1e-5);
    // Its intermediates are freed by the caller's tf.tidy (it runs inside gradient functions).
    assert.is(leakedBy(() => tf.tidy(() => matMulT(a, b, ta, tb)).dispose()), 0);
  });
}

test("dense: value and gradients equal tfjs autograd of matMul + add", () => {
  const x = pattern([6, 40]);
  const w = pattern([40, 50], "cos", 0.3, 0.1, 0.2);
  const b = pattern([50], "sin", 0.5);
  const ct = pattern([6, 50], "cos", 0.9);
  assertClose(dense(x, w, b), tf.add(tf.matMul(x, w), b).arraySync(), 1e-4);
  const ours = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww, bb), ct)))([x, w, b]);
  const raw = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx, ww), bb), ct)))([x, w, b]);
  ours.forEach((g, i) => assertClose(g, raw[i].arraySync(), 1e-4, 1e-5, `grad ${i}`));
  const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww), ct)))([x, w]);
  assertClose(g2[0], raw[0].arraySync(), 1e-4, 1e-5);
  assertClose(g2[1], raw[1].arraySync(), 1e-4, 1e-5);
});

test.run();
