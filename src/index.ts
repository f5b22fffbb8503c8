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
import * as models from "./models";
import * as optimizers from "./optimizers";
import * as supervised from "./supervised";
import * as data from "./data";
import * as display from "./display";
import * as io from "./io";

export { tf } from "./backend/tf";
export { backend, shapes, fastmath, layers, layers as tl, models, optimizers, supervised, data, display, io };

// Choose the backend right away (in Node it is in place when this returns, on one wasm thread);
// `await trax.backend.ready()` reports it, after switching wasm to its threaded build.
backend.ready({ threads: false }).catch((e: unknown) => {
  // Surface the reason once; calls to ready() reject with it too.
  if (process.env.TRAX_QUIET !== "1") console.error(e instanceof Error ? e.message : e);
});
