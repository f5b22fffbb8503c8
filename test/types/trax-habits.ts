/**
 * Type-level checks of Trax habits: this file must type-check (`npm run
 * typecheck` with this repository's TypeScript; test/package compiles it
 * against the shipped .d.ts with TypeScript 5.0), and each
 * `@ts-expect-error` line must be an error. `habits()` runs the same code so
 * test/types/trax-habits.test.ts can check that the values are what the
 * types say.
 */
import * as trax from "../../src";
import { tf, tl } from "../../src";

/** Asserts at compile time that `T` is exactly `Expected`. */
type Exactly<T, Expected> = [T] extends [Expected] ? ([Expected] extends [T] ? true : false) : false;
function exactly<T, Expected>(ok: Exactly<T, Expected>, value: T): T {
  void ok;
  return value;
}

// Modes: a plain string parameter, as Trax code writes it, and an attention mode for Dropout.
function Decoder(mode = "train") {
  return tl.Serial(tl.Dense(8), tl.Relu(), tl.Dropout({ rate: 0.1, mode }), tl.BatchNorm({ mode }));
}
function Block(mode: tl.AttentionMode) {
  return tl.Serial(tl.CausalAttention(8, { nHeads: 2, mode }), tl.Dropout({ rate: 0.1, mode }));
}

export function habits() {
  const x = tf.ones([2, 4, 8]);
  // One-output layers return a tf.Tensor: .shape with no cast.
  const dense = tl.Dense(8)(x);
  const relu = tl.Relu()(dense);
  const norm = tl.LayerNorm()(relu);
  const batchNorm = tl.BatchNorm()(relu);
  const dropped = tl.Dropout({ rate: 0.5, mode: "eval" })(norm);
  const causal = tl.CausalAttention(8, { nHeads: 2, mode: "eval" })(x);
  const embedded = tl.Embedding(10, 8)(tf.tensor2d([[1, 2, 3]], [1, 3], "int32"));
  exactly<typeof dense, tf.Tensor>(true, dense);
  exactly<typeof causal, tf.Tensor>(true, causal);
  const shapes: number[][] = [dense.shape, relu.shape, norm.shape, batchNorm.shape, dropped.shape, causal.shape, embedded.shape];

  // A Serial of one-output layers is one too; so is a Residual of them.
  const model = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(8), tl.Tanh());
  const y = model(x);
  exactly<typeof y, tf.Tensor>(true, y);
  const residual = tl.Residual(tl.LayerNorm(), tl.Dense(8))(x);
  exactly<typeof residual, tf.Tensor>(true, residual);
  const decoded = Decoder("eval")(x);
  exactly<typeof decoded, tf.Tensor>(true, decoded);
  const block = Block("eval")(x);

  // Several outputs: a tuple.
  const mask = tf.ones([2, 1, 1, 4], "bool");
  const attention = tl.Attention(8, { nHeads: 2, mode: "eval" })([x, mask]);
  exactly<typeof attention, [tf.Tensor, tf.Tensor]>(true, attention);
  const [attended, maskOut] = attention;
  const branches = tl.Branch(tl.Dense(3), null, tl.Relu())(x);
  exactly<typeof branches, [tf.Tensor, tf.Tensor, tf.Tensor]>(true, branches);
  // @ts-expect-error a tuple of two has no third item
  void attention[2];
  // @ts-expect-error a one-output layer's result is a tensor, not an array
  void y.length;

  // Layers the types cannot know still read both ways (a tensor and an array).
  const generic: tl.Layer = tl.Fn("SumAndMax", (a: tf.Tensor, b: tf.Tensor) => [a.add(b), tf.maximum(a, b)], { nOut: 2 });
  const [sum, max] = generic([tf.ones([2]), tf.ones([2])]);
  const known: tl.Layer = tl.Dense(2); // a typed layer is still a tl.Layer
  const mixed = tl.Serial(tl.Dense(4), generic === known ? tl.Relu() : tl.Select([0]));
  const mixedOut = mixed(tf.ones([1, 3]));

  // Inspection paths, no casts.
  const nWeights: number = model.weights.length;
  const firstKernel: number[] = model.weights[0][0].shape;
  const kernels = model.sublayers.filter((l) => l.weights.length > 0).map((l) => l.weights[0].shape);
  const nState: number = tl.Serial(tl.BatchNorm()).state.length;
  const params = model.sublayers.map((l) => l.name);

  return { shapes, y, residual, decoded, block, attended, maskOut, branches, sum, max, mixedOut, nWeights, firstKernel, kernels, nState, params, trax };
}

/** Type errors only (never called): what the types still refuse. */
export function refused(): void {
  // @ts-expect-error a mode must be a string
  tl.Dropout({ mode: 1 });
  // @ts-expect-error Dense needs its number of units
  tl.Dense();
}

/** The exported helper types, as a user annotates with them. */
export function annotated(): number[] {
  const relu: tl.OneOutput = tl.Relu();
  const att: tl.TwoOutputs = tl.Attention(4);
  const mode: tl.ModeLike = "eval";
  const strict: tl.Mode = "predict";
  const view: tl.WeightsView = tl.Dense(2).weights;
  const custom: tl.Returns<trax.tf.Tensor> & tl.Layer = tl.Dense(2);
  void [att, mode, strict, view, custom];
  return relu(tf.ones([2])).shape;
}
