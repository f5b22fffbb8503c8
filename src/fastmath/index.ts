/**
 * `trax.fastmath`: random keys, tree utilities and gradients.
 * @module
 */
import * as random from "./random";

export { random };
export { threefry2x32 } from "./threefry";
export { treeFlatten, treeUnflatten, nestedMap } from "./tree";
export { grad, valueAndGrad, vjp } from "./grad";
export { roundToBfloat16 } from "./bfloat16";
