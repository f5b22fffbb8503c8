/**
 * A layer's weights to and from Python Trax's `save_to_file` format: the
 * bodies of `layer.saveToFile(f, { format: "trax" })` and of
 * `layer.initFromFile(f)` on a file Trax wrote.
 * @module
 */
import { tf } from "../backend/tf";
import { signature } from "../shapes";
import type { Signature } from "../shapes";
import { treeFlatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import type { Layer, State, Weights } from "../layers/base";
import { initLayerFromArrays } from "./checkpoint";
import type { LayerFileOptions } from "./checkpoint";
import { isSingleSignatureTuple, readTraxFile, saveToFileDict, writeTraxPickle } from "./trax-file";

function tensorLeaves(tree: unknown): tf.Tensor[] {
  return treeFlatten(tree as Nested<unknown>).filter((l) => l instanceof tf.Tensor) as tf.Tensor[];
}

/**
 * Saves a layer as Python Trax's `Layer.save_to_file` does: a gzip pickle of
 * `{'flat_weights': [...], 'flat_state': [...], 'input_signature': ...}`
 * (numpy arrays; `flat_state` left out with `weightsOnly`, which Trax's own
 * `init_from_file` cannot read; `input_signature` only when given, as a
 * `trax.shapes.ShapeDtype` or a tuple of them).
 *
 * @example
 * ```ts
 * saveLayerToTraxFile(model, "/tmp/model.pkl.gz", { inputSignature: new ShapeDtype([1, 4]) });
 * // Python: model.init_from_file("/tmp/model.pkl.gz")
 * ```
 */
export function saveLayerToTraxFile(layer: Layer, fileName: string, options: LayerFileOptions = {}): void {
  if (!layer.initialized) {
    throw new Error(`cannot save ${layer.name} to '${fileName}': it has no weights yet (call it or init it first)`);
  }
  const sig = options.inputSignature === undefined || options.inputSignature === null ? null : signature(options.inputSignature);
  const weights = tensorLeaves(layer.weights);
  const state = options.weightsOnly ? null : tensorLeaves(layer.state);
  writeTraxPickle(fileName, saveToFileDict(weights, state, sig));
}

/**
 * Initializes a layer from a file Python Trax wrote (`save_to_file`, or a
 * Loop's `model.pkl.gz` with its `model.weights.npy.gz`). The flat arrays
 * are matched to the layer's weight tree in Trax's flattening order; every
 * count, shape and dtype is checked before the layer is touched, so on any
 * error (naming the file and what was expected) the layer keeps its
 * weights and state.
 *
 * @example
 * ```ts
 * const [weights, state] = initLayerFromTraxFile(model, "model.pkl.gz");
 * ```
 */
export function initLayerFromTraxFile(layer: Layer, fileName: string, options: LayerFileOptions = {}): [Weights, State] {
  const weightsOnly = options.weightsOnly ?? false;
  const f = readTraxFile(fileName, { maxDecompressedBytes: options.maxDecompressedBytes });
  let sig: Signature | null = options.inputSignature !== undefined && options.inputSignature !== null ? signature(options.inputSignature) : f.inputSignature;
  // A Trax loop stores batch_signature[:n_in]: a 1-tuple for a one-input model.
  if (sig !== null && layer.nIn === 1 && isSingleSignatureTuple(sig)) sig = (sig as Signature[])[0];
  if (!weightsOnly && f.flatState === null) {
    throw new Error(
      `Trax file '${fileName}' has no 'flat_state' (it was saved with weights_only=True; Python Trax cannot load it either); load it with { weightsOnly: true }`
    );
  }
  // Checked against the weights the layer would have for the signature (or
  // has, without one), made into tensors and swapped in all at once.
  return initLayerFromArrays(layer, fileName, sig, f.flatWeights, weightsOnly ? null : f.flatState ?? []);
}
