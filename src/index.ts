/**
 * trax-ts: the Trax layer library in TypeScript, on TensorFlow.js.
 *
 * @example
 * ```ts
 * import * as trax from "trax-ts"; // in Node the backend is ready when this returns
 * const tl = trax.layers;
 * const model = tl.Serial(tl.Dense(4), tl.Relu());
 * model(trax.tf.ones([2, 3])).print();
 * ```
 * @module
 */
import * as backend from "./backend";
import * as shapes from "./shapes";
import * as fastmath from "./fastmath";
import * as layers from "./layers";
import * as optimizers from "./optimizers";
import * as supervised from "./supervised";
import * as data from "./data";
import * as display from "./display";

export { tf } from "./backend/tf";
export { backend, shapes, fastmath, layers, layers as tl, optimizers, supervised, data, display };

// Choose the backend right away (in Node it is in place when this returns); `await trax.backend.ready()` reports it.
backend.ready().catch((e: unknown) => {
  // Surface the reason once; calls to ready() reject with it too.
  if (process.env.TRAX_QUIET !== "1") console.error(e instanceof Error ? e.message : e);
});
