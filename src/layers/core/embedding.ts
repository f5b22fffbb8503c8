/**
 * `Embedding`: a trainable table of vectors indexed by token ids.
 * @module
 */
import { tf } from "../../backend/tf";
import { roundToBfloat16If } from "../../fastmath/bfloat16";
import { Layer } from "../base";
import { callable } from "../callable";
import { ScaledInitializer } from "../initializers";
import type { Initializer } from "../initializers";
import { initializerResult } from "./checks";
import { optionKeys } from "../arg-check";

/**
 * `table[ids]` (rows of a 2-D table) with a gradient that scatters (and sums)
 * the output gradient back onto the rows. tfjs's own Gather gradient needs the
 * UnsortedSegmentSum kernel, which the wasm backend lacks; ScatterNd exists on
 * every backend and sums repeated ids.
 */
const gatherRowsGrad = tf.customGrad(((table: tf.Tensor, ids: tf.Tensor, save: tf.GradSaveFunc) => {
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedIds] = saved;
      return [tf.scatterND(savedIds.reshape([-1, 1]), dy, table.shape), tf.zerosLike(savedIds)];
    },
  };
}) as any) as unknown as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

/** Rows `ids` (int32, 1-D, in range) of a 2-D `table`, differentiable in `table` on every backend. */
function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return gatherRowsGrad(table, ids);
}

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /**
   * tfjs has no bfloat16: when true the table is rounded to bfloat16
   * precision at init and stored as float32 (outputs are float32, as in Trax).
   */
  useBfloat16?: boolean;
  /** Initializer of the `(vocabSize, dFeature)` table (default: uniform scaled by fan-out, as Trax). */
  kernelInitializer?: Initializer;
}

class EmbeddingLayer extends Layer {
  /** @internal */ _vocabSize: number;
  /** @internal */ _dFeature: number;
  /** @internal */ _useBfloat16: boolean;
  /** @internal */ _kernelInitializer: Initializer;

  constructor(vocabSize: number, dFeature: number, options: EmbeddingOptions = {}) {
    for (const [what, v] of [["vocabSize", vocabSize], ["dFeature", dFeature]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Embedding needs a positive integer ${what}; got ${v}`);
    }
    super({ name: `Embedding_${vocabSize}_${dFeature}` });
    this._vocabSize = vocabSize;
    this._dFeature = dFeature;
    this._useBfloat16 = options.useBfloat16 ?? false;
    this._kernelInitializer = options.kernelInitializer ?? ScaledInitializer(-1, -2, 1.0, "fan_out", "uniform");
  }

  forward(x: tf.Tensor): tf.Tensor {
    const w = this.weights as tf.Tensor;
    if (!(w instanceof tf.Tensor) || w.rank !== 2) {
      throw new Error(`${this.name} needs one (vocabSize, dFeature) weight tensor; got ${w instanceof tf.Tensor ? `shape [${w.shape}]` : "something else"}`);
    }
    let ids: tf.Tensor;
    if (x.dtype === "int32") ids = x;
    else if (x.dtype === "float32") {
      // JS number arrays arrive as float32: accept them when they hold whole numbers.
      const values = x.dataSync();
      for (let i = 0; i < values.length; i++) {
        if (!Number.isInteger(values[i])) {
          throw new TypeError(`${this.name} needs integer token ids; got the non-integer value ${values[i]} (in a float32 tensor)`);
        }
      }
      ids = x.toInt();
    } else {
      throw new TypeError(`${this.name} needs integer token ids (int32); got ${x.dtype}`);
    }
    // Ids are clipped to [0, vocabSize), as Trax's jnp.take(mode="clip").
    const [vocab, depth] = w.shape as [number, number];
    // (tf.clipByValue is wrong for int32 on the wasm backend.)
    const clipped = tf.maximum(tf.minimum(ids, tf.scalar(vocab - 1, "int32")), tf.scalar(0, "int32"));
    return gatherRows(w, clipped.reshape([-1])).reshape([...x.shape, depth]);
  }

  initWeightsAndState(inputSignature: unknown): void {
    void inputSignature;
    const shape = [this._vocabSize, this._dFeature];
    const w = initializerResult(this.name, this._kernelInitializer(shape, this.rng), shape);
    this.weights = roundToBfloat16If(this._useBfloat16, w);
  }
}

/**
 * A trainable layer that maps token ids to vectors: row `id` of a
 * `(vocabSize, dFeature)` table. Ids are clipped to `[0, vocabSize)`:
 * negative ids map to row 0, ids `>= vocabSize` to the last row.
 *
 * Input `(...)` integer ids (int32, or float32 holding whole numbers);
 * output `(..., dFeature)` float32. The input signature is not used at init
 * (`layer.init(null)` works).
 *
 * @example
 * ```ts
 * const embed = tl.Embedding(5, 32);
 * embed(tf.tensor([1, 2, 3, 4], [4], "int32")).shape; // [4, 32]
 * ```
 */
export const Embedding = callable<typeof EmbeddingLayer, tf.Tensor>(EmbeddingLayer, "Embedding", {
  positional: ["vocabSize", "dFeature"],
  options: optionKeys<EmbeddingOptions>({
    useBfloat16: true, kernelInitializer: true,
  }),
});
export type Embedding = EmbeddingLayer;

