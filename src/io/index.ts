/**
 * Files of Python Trax and numpy: read what Trax writes (`readTraxFile`:
 * `Layer.save_to_file` pickles and training-loop checkpoints) through a
 * restricted unpickler (`unpickle`: numpy, JAX and Trax values only; any
 * other Python global is refused), and write Trax's formats
 * (`writeTraxPickle`, `npToTraxFile`; layers write them with
 * `layer.saveToFile(path, { format: "trax" })`).
 *
 * @example
 * ```ts
 * const f = trax.io.readTraxFile("model.pkl.gz");
 * f.flatWeights.length; // 4 for Serial(Dense, Relu, Dense)
 * model.initFromFile("model.pkl.gz"); // the same file, loaded into a layer
 * ```
 * @module
 */
export { readTraxFile, writeTraxPickle, npToTraxFile, traxWeightsFile } from "./trax-file";
export type { TraxFile } from "./trax-file";
export { unpickle, pickle, UnpicklingError, allowedGlobalNames, PickledArray, PickledDtype, PickledShapeDtype, PyGlobal, PyFloat, PyDefaultDict, isPyTuple, pyTuple } from "./pickle";
export type { UnpickleOptions } from "./pickle";
export { npyToTensor } from "./npy";
export type { NpyArray } from "./npy";
