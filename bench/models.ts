/**
 * The two models the training benchmarks time, with their batches: the MLP
 * 784-256-256-10 on 128 examples, and the Transformer block (batch 16,
 * length 32, d 128, 4 heads, feed-forward 512, vocabulary 64), each with a
 * trax-ts training loop over its batch, Adam and log-softmax cross-entropy.
 */
import * as trax from "../dist";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;

/** A model, its batch (inputs, int32 targets) and how many steps make a timed round of it. */
export interface BenchModel {
  model: trax.layers.Layer;
  batch: Tensor[];
  stepsPerRound: number;
}

/**
 * The MLP 784-256-256-10 (Dense, ReLU, Dense, ReLU, Dense), without weights.
 *
 * @example
 * ```ts
 * const model = mlpModel();
 * ```
 */
export function mlpModel(): trax.layers.Layer {
  return tl.Serial(tl.Dense(256), tl.Relu(), tl.Dense(256), tl.Relu(), tl.Dense(10));
}

/**
 * The MLP 784-256-256-10 and a batch of 128 (seeded).
 *
 * @example
 * ```ts
 * const { model, batch } = mlpBench();
 * ```
 */
export function mlpBench(): BenchModel {
  return {
    model: mlpModel(),
    batch: [tf.randomNormal([128, 784], 0, 1, "float32", 1), tf.randomUniformInt([128], 0, 10, 2)],
    stepsPerRound: 10,
  };
}

/** The Transformer block's sizes: batch, length, model depth, heads, feed-forward depth, vocabulary. */
export const BLOCK = { B: 16, L: 32, D: 128, H: 4, F: 512, V: 64 } as const;

/**
 * The Transformer block (LayerNorm, causal attention, residual; LayerNorm,
 * feed-forward, residual; projection to the vocabulary), without weights.
 *
 * @example
 * ```ts
 * const model = transformerBlock();
 * ```
 */
export function transformerBlock(): trax.layers.Layer {
  const { D, H, F, V } = BLOCK;
  return tl.Serial(
    tl.Residual(tl.LayerNorm(), tl.CausalAttention(D, { nHeads: H })),
    tl.Residual(tl.LayerNorm(), tl.Dense(F), tl.Relu(), tl.Dense(D)),
    tl.Dense(V)
  );
}

/**
 * The Transformer block and a batch of embeddings and targets (seeded).
 *
 * @example
 * ```ts
 * const { model, batch } = transformerBench();
 * ```
 */
export function transformerBench(): BenchModel {
  const { B, L, D, V } = BLOCK;
  return { model: transformerBlock(), batch: [tf.randomNormal([B, L, D], 0, 1, "float32", 3), tf.randomUniformInt([B, L], 0, V, 4)], stepsPerRound: 4 };
}

/**
 * A training loop of `model` over `batch` again and again (Adam at 1e-3, no
 * weight decay; log-softmax cross-entropy; no evaluation, no progress bar).
 *
 * @example
 * ```ts
 * const { model, batch } = mlpBench();
 * await trainingLoop(model, batch).run(10);
 * ```
 */
export function trainingLoop(model: trax.layers.Layer, batch: Tensor[]): trax.supervised.Loop {
  function* forever(): Generator<Tensor[]> {
    for (;;) yield batch;
  }
  return trax.supervised.Loop(
    model,
    trax.supervised.TrainTask(forever(), tl.CrossEntropyLossWithLogSoftmax(), trax.optimizers.Adam({ learningRate: 1e-3, weightDecayRate: 0 }), { disposeBatches: false }),
    { progress: "none", stepsPerEval: 1e9 }
  );
}
