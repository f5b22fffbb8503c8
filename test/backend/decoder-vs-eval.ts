/**
 * A shared check of the decoding kernels' tests: a decoder of two residual
 * CausalAttention layers run in eval mode on a whole sequence, then one
 * position at a time in predict mode with the same weights.
 */
import * as assert from "uvu/assert";
import { assertClose, kernelsRunBy, leakedBy, tf, tl, trax } from "../helpers";

/**
 * Decodes `(2, 6, 5)` step by step in predict mode (12 attention steps: two
 * layers, six positions), asserts that the steps' outputs are eval mode's
 * to rounding and that only those outputs remain, and returns the kernels
 * the steps ran.
 *
 * @example
 * ```ts
 * const names = decodeAgainstEval();
 * assert.is(names.filter((n) => n === "TraxDecodeAttentionLayer").length, 12);
 * ```
 */
export function decodeAgainstEval(): string[] {
  const make = (mode: "eval" | "predict") =>
    tl.Serial(tl.Dense(16), tl.Residual(tl.CausalAttention(16, { nHeads: 4, mode, maxInferenceLength: 6 })), tl.Residual(tl.CausalAttention(16, { nHeads: 2, mode, maxInferenceLength: 6 })));
  const ev = make("eval");
  const x = tf.randomNormal([2, 6, 5], 0, 1, "float32", 7);
  ev.init(trax.shapes.signature(x), { rng: trax.fastmath.random.getPrng(1) });
  const expected = ev(x) as tf.Tensor;
  const pr = make("predict");
  pr.init(new trax.shapes.ShapeDtype([2, 1, 5]), { rng: trax.fastmath.random.getPrng(1) });
  pr.weights = ev.weights;
  const steps: tf.Tensor[] = [];
  let names: string[] = [];
  const leaked = leakedBy(() => {
    names = kernelsRunBy(() => {
      for (let i = 0; i < 6; i++) {
        const xi = x.slice([0, i, 0], [2, 1, 5]);
        steps.push(pr(xi) as tf.Tensor);
        xi.dispose();
      }
    });
  });
  assert.is(leaked, steps.length, "only the outputs remain");
  assertClose(tf.concat(steps, 1), expected, 1e-5, 1e-5, "predict vs eval");
  tf.dispose([x, expected, ...steps]);
  return names;
}
