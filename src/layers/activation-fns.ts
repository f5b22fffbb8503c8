/**
 * Activation functions, as `trax.layers.activation_fns`.
 * @module
 */
import { tf } from "../backend/tf";
import { Fn } from "./base";
import type { PureLayer } from "./base";

/**
 * Rectified linear unit: `max(x, 0)`, element-wise.
 *
 * @example
 * ```ts
 * tl.Relu()(tf.tensor([-2, 0, 3])); // [0, 0, 3]
 * ```
 */
export function Relu(): PureLayer {
  return Fn("Relu", (x: tf.Tensor) => tf.relu(x));
}
