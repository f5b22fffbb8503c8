/**
 * "Hand-tuned tfjs": what someone who knows the wasm backend writes by hand,
 * the baseline row of the benchmarks. A dense layer under `tf.customGrad`
 * whose gradient transposes explicitly (tfjs's transposed `matMul` is slow on
 * wasm) and computes every gradient (trax-ts's own dense before issue 11).
 */
import * as trax from "../dist";

const { tf } = trax;
type Tensor = trax.tf.Tensor;

const transposedFirst = (a: trax.tf.Tensor2D, b: trax.tf.Tensor2D) => tf.matMul(a.transpose(), b);
const transposedSecond = (a: trax.tf.Tensor2D, b: trax.tf.Tensor2D) => tf.matMul(a, b.transpose());

const denseGrad = tf.customGrad(((x: Tensor, w: trax.tf.Tensor2D, b: Tensor, save: trax.tf.GradSaveFunc) => {
  const x2 = x.reshape([-1, w.shape[0]]) as trax.tf.Tensor2D;
  save([x2, w]);
  return {
    value: tf.add(tf.matMul(x2, w), b).reshape([...x.shape.slice(0, -1), w.shape[1]]),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sx, sw] = saved as trax.tf.Tensor2D[];
      const dy2 = dy.reshape([-1, sw.shape[1]]) as trax.tf.Tensor2D;
      return [transposedSecond(dy2, sw).reshape(x.shape), transposedFirst(sx, dy2), dy2.sum(0)];
    },
  };
}) as never) as unknown as (x: Tensor, w: Tensor, b: Tensor) => Tensor;

/** `x @ w + b` over the last axis, the hand-tuned way. */
export function handTunedDense(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return denseGrad(x, w, b);
}
