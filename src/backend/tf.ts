/**
 * The one TensorFlow.js instance trax-ts uses. `@tensorflow/tfjs` registers the
 * gradients and the cpu backend; the wasm backend registers itself with the same
 * `tfjs-core` instance.
 *
 * @example
 * ```ts
 * import { tf } from "trax-ts";
 * tf.tensor([1, 2, 3]).print();
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export { tf };
