/**
 * Python pickles without Python: a restricted unpickler (an allow-list of
 * numpy, JAX and Trax globals; nothing else is constructed or called) and a
 * pickler for the values Trax's files hold.
 * @module
 */
export { unpickle } from "./unpickle";
export type { UnpickleOptions } from "./unpickle";
export { allowedGlobalNames } from "./globals";
export { UnpicklingError, PickledArray, PickledDtype, PickledShapeDtype, PyGlobal, isPyTuple, pyTuple } from "./values";
export { pickle, PyFloat, PyDefaultDict } from "./pickler";
