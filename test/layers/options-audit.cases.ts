/**
 * One example build per public constructor of `tl` that takes options: its
 * positional arguments, a valid value for every option it declares (each
 * different from the default, so that leaving it out must change something),
 * an input, and the extra runs (other modes, an input that fails an
 * assertion) where an option only matters there. Used by
 * options-audit.test.ts.
 */
import { tf, tl, trax } from "../helpers";

/** Deterministic float32 values of a shape (no randomness, no two entries alike). */
export function f(shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.4) * 1.5), shape, "float32");
}

/** Deterministic int32 values in `[0, vocab)`. */
export function ints(shape: number[], vocab: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => (i * 7 + 3) % vocab), shape, "int32");
}

/** Deterministic boolean mask, last position of each row false. */
export function mask(shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1];
  return tf.tensor(Array.from({ length: n }, (_, i) => (i % last === last - 1 ? 0 : 1)), shape, "bool");
}

/** One run of a case: options merged over the case's, and the input. */
export interface Run {
  /** Options merged over the case's options for this run. */
  options?: Record<string, unknown>;
  /** The input for this run (default: the case's). */
  input?: () => unknown;
  /** This run's input makes the layer throw (the error text is the run's result). */
  throws?: boolean;
  /** Positional arguments for this run (default: the case's). */
  args?: () => unknown[];
  /** Call the layer this many times (predict mode: one token after another). Default 1. */
  calls?: number;
}

/** How to build one constructor with every option set. */
export interface Case {
  /** Positional arguments before the options object. */
  args?: () => unknown[];
  /** A valid non-default value for every option key. */
  options: Record<string, unknown>;
  /** The input the layer is initialized on and called with. */
  input: () => unknown;
  /** Runs (default: one run with `options`). */
  runs?: Run[];
  /** The constructor builds no layer (an initializer): call the result as `init(shape, rng)`. */
  initializer?: boolean;
}

const r = (n: number) => tf.range(0, n).reshape([1, n]);
/** The arg-min classifier (any classifier other than the default ArgMax). */
const argMin = () => tl.Serial(tl.Negate(), tl.ArgMax());

const lshOptions = {
  nHeads: 1, dQk: 4, dV: 4, shareQk: false, causal: true, chunkLen: 4, nChunksBefore: 0,
  nChunksAfter: 1, nHashes: 2, nBuckets: 2, predictMemLen: 16, predictDropLen: 8, attentionDropout: 0.5,
  outputDropout: 0.5, maxLengthForBuckets: 16, nParallelHeads: 1, usePythonLoop: true,
};
/** LSH layers refuse `bias: true` (Trax makes bias weights for it, then its forward cannot unpack them). */
const refusesBias: Run = { options: { bias: true }, throws: true };
/** PureLSHSelfAttention refuses `useReferenceCode: true` (as Trax's forward raises NotImplementedError). */
const refusesReferenceCode: Run = { options: { useReferenceCode: true }, throws: true };

/** Every constructor of `tl` that declares options, with an example for each option. */
export const CASES: Record<string, Case> = {
  Accelerate: { args: () => [tl.Dense(3)], options: { nDevices: 2 }, input: () => f([3, 4]) },
  AtariConvInit: { args: () => [[2, 2, 3, 4], trax.fastmath.random.getPrng(2)], options: { dtype: "float32" }, input: () => [], initializer: true },
  GlorotNormalInitializer: { options: { scale: 2 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  GlorotUniformInitializer: { options: { scale: 2 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  LeCunNormalInitializer: { options: { scale: 2 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  LeCunUniformInitializer: { options: { scale: 2 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  KaimingNormalInitializer: { options: { param: 1 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  KaimingUniformInitializer: { options: { param: 1 }, input: () => [2, 3, 5], initializer: true, runs: [{}, { options: { outDim: 0 } }, { options: { inDim: 0 } }] },
  OrthogonalInitializer: { options: { stddev: 2 }, input: () => [3, 2], initializer: true },
  RandomNormalInitializer: { options: { stddev: 2 }, input: () => [3, 2], initializer: true },
  RandomUniformInitializer: { options: { lim: 2 }, input: () => [3, 2], initializer: true },
  ScanSRUCell: {
    args: () => ["eval"],
    options: { monkeyPatchedMask: tf.ones([1, 3]) },
    input: () => [f([1, 3, 2]), f([1, 3, 2]), f([1, 2])],
    runs: [{ throws: true }],
  },
  Accuracy: { options: { classifier: argMin() }, input: () => [f([4, 3]), ints([4], 3), f([4]).abs()] },
  SequenceAccuracy: { options: { classifier: argMin() }, input: () => [f([2, 2, 3]), ints([2, 2], 3), f([2, 2]).abs()] },
  ArgMax: { options: { axis: 0 }, input: () => f([2, 3]) },
  AssertShape: {
    args: () => ["ab"],
    options: { message: "custom message", visibleLayer: true },
    input: () => f([2, 3]),
    runs: [{}, { input: () => f([2, 3, 1]), throws: true }],
  },
  AssertFunction: {
    args: () => ["ab->ab", tl.Relu()],
    options: { message: "custom message" },
    input: () => f([2, 3]),
    runs: [{}, { input: () => f([2, 3, 1]), throws: true }],
  },
  Attention: {
    args: () => [4],
    options: { nHeads: 2, dropout: 0.5 },
    input: () => [f([1, 3, 4]), mask([1, 1, 1, 3])],
    runs: [{}, { options: { mode: "eval" } }],
  },
  AttentionQKV: {
    args: () => [4],
    options: { nHeads: 2, dropout: 0.5, qSparsity: "noop", resultSparsity: 2, cacheKVInPredict: true },
    input: () => [f([1, 3, 4]), f([1, 3, 4]), f([1, 3, 4]), mask([1, 1, 1, 3])],
    runs: [
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", nHeads: 1 }, input: () => [f([1, 1, 4]), f([1, 3, 4]), f([1, 3, 4]), mask([1, 1, 1, 3])], calls: 2 },
    ],
  },
  AvgPool: { options: { poolSize: [2], strides: [2], padding: "SAME", countPadding: true }, input: () => f([1, 5, 2]) },
  AxialPositionalEncoding: {
    options: { shape: [2, 3], dEmbs: [2, 2], kernelInitializer: tl.RandomUniformInitializer(2), dropout: 0.5, dropoutBroadcastDims: [-1] },
    input: () => f([1, 6, 4]),
    runs: [{}, { options: { mode: "eval" } }],
  },
  BatchLeadingAxes: { args: () => [tl.Fn("times_len", (x: tf.Tensor) => tf.mul(x, x.shape[0]))], options: { nLastAxesToKeep: 2 }, input: () => f([2, 3, 4]) },
  BatchNorm: {
    options: { axis: [0], epsilon: 0.5, center: false, scale: false, momentum: 0.5 },
    input: () => f([4, 3]),
    runs: [{ calls: 2 }, { options: { mode: "eval" } }],
  },
  Bidirectional: { args: () => [tl.GRU(2)], options: { axis: 0, mergeLayer: tl.Add() }, input: () => f([2, 3, 2]) },
  Branch: { args: () => [tl.Relu(), tl.Negate()], options: { name: "MyBranch" }, input: () => f([2]) },
  CategoryCrossEntropy: { options: { labelSmoothing: 0.1 }, input: () => [f([2, 3]), ints([2], 3)] },
  CausalAttention: {
    args: () => [4],
    options: { nHeads: 2, dropout: 0.5, maxInferenceLength: 3, useDconv: true },
    input: () => f([1, 3, 4]),
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "predict" }, input: () => f([1, 1, 4]), calls: 4, throws: true }],
  },
  CausalConv: {
    args: () => [2],
    options: { kernelWidth: 2, kernelInitializer: tl.RandomUniformInitializer(2), biasInitializer: tl.RandomUniformInitializer(1), useBias: false },
    input: () => f([1, 4, 3]),
    runs: [{}, { options: { useBias: true } }],
  },
  CausalDepthwiseConv: { options: { kernelSize: 2, kernelInitializer: tl.RandomUniformInitializer(2), useBfloat16: true }, input: () => f([1, 4, 3]) },
  Chunk: { args: () => [tl.Dense(2), 2], options: { passUnchunkable: false }, input: () => f([3, 4]), runs: [{ throws: true }] },
  Concatenate: { options: { nItems: 3, axis: 0 }, input: () => [f([1, 2]), f([1, 2]), f([1, 2])] },
  Cond: { args: () => [tl.Fn("c", (x: tf.Tensor) => tf.sum(x).greater(100)), tl.Relu()], options: { false: tl.Negate(), name: "MyCond" }, input: () => [f([3]), f([3])] },
  ConfigurableAttention: {
    args: () => [tl.Dense(4), tl.Dense(4), tl.Dense(4), tl.Dense(4), tl.DotProductCausalAttention({ mode: "eval" })],
    options: { nHeads: 2 },
    input: () => f([1, 3, 4]),
  },
  Conv: {
    args: () => [2, [2, 2]],
    options: {
      strides: [2, 1], padding: "SAME", dimensionNumbers: ["NCHW", "OIHW", "NCHW"], kernelInitializer: tl.RandomUniformInitializer(2),
      biasInitializer: tl.RandomUniformInitializer(1), useBias: false, kernelDilation: [1, 2], useBfloat16: true,
    },
    input: () => f([1, 3, 4, 4]),
    runs: [{}, { options: { useBias: true } }],
  },
  Conv1d: {
    args: () => [2, 2],
    options: { stride: 2, padding: "SAME", kernelInitializer: tl.RandomUniformInitializer(2), biasInitializer: tl.RandomUniformInitializer(1), useBias: false },
    input: () => f([1, 5, 3]),
    runs: [{}, { options: { useBias: true } }],
  },
  ConvGRUCell: { args: () => [2], options: { kernelSize: [1, 1] }, input: () => f([1, 3, 3, 2]), runs: [{}, { options: { mode: "eval" } }] },
  Dense: {
    args: () => [3],
    options: { kernelInitializer: tl.RandomUniformInitializer(2), biasInitializer: tl.RandomUniformInitializer(1), useBias: false, useBfloat16: true },
    input: () => f([2, 4]),
    runs: [{}, { options: { useBias: true } }],
  },
  DotProductAttention: {
    options: { dropout: 0.5, nHeads: 2 },
    input: () => [f([2, 3, 4]), f([2, 3, 4]), f([2, 3, 4]), mask([2, 1, 3])],
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "viz" } }],
  },
  DotProductCausalAttention: {
    options: { dropout: 0.5, maxInferenceLength: 3, nHeads: 2 },
    input: () => [f([2, 3, 4]), f([2, 3, 4]), f([2, 3, 4])],
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "viz" } }, { options: { mode: "predict" }, input: () => [f([2, 1, 4]), f([2, 1, 4]), f([2, 1, 4])], calls: 4, throws: true }],
  },
  Dropout: { options: { rate: 0.5, sharedAxes: [0] }, input: () => f([3, 4]), runs: [{}, { options: { mode: "eval" } }] },
  EfficientAttentionBase: {
    args: () => [2],
    options: { nIn: 1, nParallelHeads: 1, incremental: true, predictMemLen: 4, predictDropLen: 2, usePythonLoop: true, useReferenceCode: true, name: "MyBase" },
    input: () => f([1, 4, 4]),
    runs: [{ throws: true }],
  },
  Elu: { options: { a: 2 }, input: () => f([5]) },
  Embedding: { args: () => [5, 3], options: { useBfloat16: true, kernelInitializer: tl.RandomUniformInitializer(2) }, input: () => ints([2, 3], 5) },
  EncDecAttention: {
    options: { nHeads: 1, dQk: 2, dV: 2, masked: false, attentionDropout: 0.5, outputDropout: 0.5, nParallelHeads: 1, usePythonLoop: true, useReferenceCode: true },
    input: () => [f([1, 3, 4]), f([1, 2, 4])],
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "predict" }, input: () => [f([1, 1, 4]), f([1, 2, 4])], calls: 2 }],
  },
  FilterResponseNorm: {
    options: { learnEpsilon: true, initEpsilon: 0.5, initLearntEpsilon: 0.25 },
    input: () => f([1, 2, 2, 3]),
    runs: [{}, { options: { mode: "eval" } }],
  },
  FixedBasePositionalEncoding: {
    options: { bases: [2, 3], nDigits: 3, startFromZeroOneIn: 1, initializer: tl.RandomUniformInitializer(2) },
    input: () => f([4, 4, 6]),
    runs: [{}, { options: { mode: "eval", startFromZeroOneIn: 1000000 } }, { options: { baseDropoutOneIn: 1 } }],
  },
  Flatten: { options: { nAxesToKeep: 2 }, input: () => f([2, 2, 3]) },
  Fn: { args: () => ["Two", (...xs: tf.Tensor[]) => [tf.add(xs[0], xs[1]), tf.sub(xs[0], xs[1])]], options: { nOut: 2, nIn: 2 }, input: () => [f([2]), f([2])] },
  GRU: { args: () => [2], options: {}, input: () => f([1, 3, 2]), runs: [{}, { options: { mode: "predict" }, calls: 2 }] },
  GRUCell: {
    args: () => [2],
    options: { forgetBias: 2, kernelInitializer: tl.RandomNormalInitializer(1), biasInitializer: tl.RandomUniformInitializer(1) },
    input: () => [f([1, 2]), f([1, 2])],
  },
  GeneralGRUCell: {
    args: () => [() => tl.Dense(2)],
    options: {
      memoryTransformFn: () => tl.Negate(), gateNonlinearity: () => tl.Tanh(), candidateNonlinearity: () => tl.Sigmoid(), dropoutRateC: 0.5, sigmoidBias: 2,
    },
    input: () => f([1, 2]),
    runs: [{}, { options: { mode: "eval" } }],
  },
  InfinitePositionalEncoding: {
    options: { drift: 0.5, affine: false, transform: "diag", timeBinLength: 2 },
    input: () => f([1, 4, 4]),
    runs: [{}, { options: { mode: "predict" }, input: () => f([1, 1, 4]), calls: 2 }],
  },
  Layer: { options: { nIn: 2, nOut: 2, name: "MyLayer", sublayersToPrint: [] }, input: () => [f([2]), f([2])], runs: [{ throws: true }] },
  LayerNorm: { options: { center: false, epsilon: 0.5 }, input: () => f([2, 3]) },
  LeakyRelu: { options: { a: 0.5 }, input: () => f([5]) },
  LocallyConnected1d: {
    args: () => [2, 3],
    options: { kernelInitializer: tl.RandomUniformInitializer(2), biasInitializer: tl.RandomUniformInitializer(1), useBias: false, padding: "WRAP" },
    input: () => f([1, 4, 3]),
    runs: [{}, { options: { useBias: true } }],
  },
  LogSoftmax: { options: { axis: 0 }, input: () => f([2, 3]) },
  LogSumExp: { options: { axis: 0 }, input: () => f([2, 3]) },
  LSHFF: {
    args: () => [16, 8],
    options: { nHashes: 1, kernelInitializer: tl.RandomUniformInitializer(2), biasInitializer: tl.RandomUniformInitializer(1) },
    input: () => f([1, 5, 8]),
    runs: [{}, { options: { mode: "eval" } }],
  },
  LSHSelfAttention: {
    options: { ...lshOptions, useReferenceCode: true },
    input: () => f([1, 8, 8]),
    runs: [
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", nChunksAfter: 0 }, input: () => f([1, 1, 8]), calls: 2 },
      { options: { masked: true, causal: false }, input: () => [f([1, 8, 8]), mask([1, 8])] },
      refusesBias,
    ],
  },
  LSTM: {
    args: () => [2],
    options: { returnState: true, initialState: true },
    input: () => [f([1, 3, 2]), f([1, 4])],
    runs: [{}, { options: { mode: "predict" }, calls: 2 }],
  },
  LSTMCell: {
    args: () => [2],
    options: { forgetBias: 2, kernelInitializer: tl.RandomNormalInitializer(1), biasInitializer: tl.RandomUniformInitializer(1) },
    input: () => [f([1, 2]), f([1, 4])],
  },
  MacroAveragedFScore: { options: { beta: 2, initialCategoryIndex: 1 }, input: () => [tf.oneHot([0, 1, 2, 2, 1], 3).toFloat(), ints([5], 3)] },
  MakeZeroState: { options: { depthMultiplier: 2 }, input: () => f([2, 3, 4]) },
  Max: { options: { axis: 0, keepdims: true }, input: () => f([2, 3]) },
  MaxPool: { options: { poolSize: [2], strides: [2], padding: "SAME" }, input: () => f([1, 5, 2]) },
  Mean: { options: { axis: 0, keepdims: true }, input: () => f([2, 3]) },
  MergeHeads: { args: () => [2], options: { mergedBatchAndHead: false }, input: () => f([1, 2, 3, 2]) },
  Min: { options: { axis: 0, keepdims: true }, input: () => f([2, 3]) },
  MixedLSHSelfAttention: {
    options: { ...lshOptions, nHeads: 2 },
    input: () => [f([4, 8, 4]), f([4, 8, 4])],
    runs: [
      refusesReferenceCode,
      refusesBias,
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", nChunksAfter: 0 }, input: () => [f([4, 1, 4]), f([4, 1, 4])], calls: 2 },
      { options: { stdLength: 8 } },
      { options: { forceNoDropout: true } },
      { options: { masked: true, causal: false, stdLength: 8 }, input: () => [f([4, 8, 4]), f([4, 8, 4]), mask([2, 8])] },
    ],
  },
  PaddingMask: { options: { pad: 3 }, input: () => tf.tensor([[1, 3, 0]], undefined, "int32") },
  Parallel: { args: () => [tl.Relu(), tl.Negate()], options: { name: "MyParallel" }, input: () => [f([2]), f([2])] },
  ParametricRelu: { options: { a: 0.5 }, input: () => f([5]) },
  PositionalEncoding: {
    options: { maxLen: 8, dropout: 0.5, dropoutBroadcastDims: [0], useBfloat16: true, startFromZeroProb: 0, maxOffsetToAdd: 3, dFeature: 2 },
    input: () => f([1, 3, 4]),
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "predict" }, input: () => f([1, 1, 4]), calls: 2 }],
  },
  PrintShape: { options: { nIn: 2, msg: "custom message" }, input: () => [f([2]), f([2])] },
  PureAttention: {
    options: { nHeads: 2, dropout: 0.5 },
    input: () => [f([1, 3, 4]), f([1, 3, 4]), f([1, 3, 4]), mask([1, 1, 1, 3])],
    runs: [{}, { options: { mode: "eval" } }],
  },
  PureLayer: { args: () => [(x: tf.Tensor[]) => [x[0], x[1]]], options: { nIn: 2, nOut: 2, name: "MyPure" }, input: () => [f([2]), f([2])] },
  PureLSHSelfAttention: {
    options: lshOptions,
    input: () => [f([2, 8, 4]), f([2, 8, 4])],
    runs: [
      refusesReferenceCode,
      refusesBias,
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", nChunksAfter: 0 }, input: () => [f([2, 1, 4]), f([2, 1, 4])], calls: 2 },
      { options: { masked: true, causal: false }, input: () => [f([2, 8, 4]), f([2, 8, 4]), mask([2, 8])] },
    ],
  },
  PureLSHSelfAttentionWrapper: {
    options: { ...lshOptions, nHeads: 2, numWeights: 2, sparsity: 4, bias: false },
    input: () => f([1, 8, 8]),
    runs: [
      refusesReferenceCode,
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", nChunksAfter: 0 }, input: () => f([1, 1, 8]), calls: 2 },
      { options: { pureLshImplementation: (o: Record<string, unknown>) => tl.MixedLSHSelfAttention(o), stdLength: 8, forceNoDropout: true } },
      { options: { masked: true, causal: false }, input: () => [f([1, 8, 8]), mask([1, 8])] },
      { options: { weightsFormat: "heads" }, throws: true },
      { options: { rotaryPositionEmb: true }, throws: true },
    ],
  },
  RandomUniform: { options: { minVal: 2, maxVal: 3, shape: [2], dtype: "float32", sync: true }, input: () => [] },
  Residual: { args: () => [tl.Relu()], options: { shortcut: tl.Negate() }, input: () => f([3]) },
  ReversibleHalfResidual: {
    args: () => [tl.Dense(4)],
    options: { attentionLayer: tl.SelfAttention({ nHeads: 1, dQk: 2, dV: 2, mode: "eval" }), name: "MyHalf" },
    input: () => [f([1, 3, 4]), f([1, 3, 4])],
  },
  ReversibleLayer: { options: { nIn: 2, nOut: 2, name: "MyRev", sublayersToPrint: [] }, input: () => [f([2]), f([2])], runs: [{ throws: true }] },
  ReversiblePrintShape: { options: { nIn: 2, msg: "custom message" }, input: () => [f([2]), f([2])] },
  ReversibleReshape: { args: () => [[2, 3], [6]], options: { nIn: 2 }, input: () => [f([2, 3]), f([2, 3])] },
  ReversibleSelect: { args: () => [[1, 0]], options: { nIn: 2, name: "MySelect" }, input: () => [f([2]), f([2])] },
  Scan: {
    args: () => [tl.Fn("add_carry", (x: tf.Tensor, c: tf.Tensor) => [tf.add(x, c), tf.add(x, c)], { nOut: 2 })],
    options: { axis: 1, nCarry: 1, remat: true },
    input: () => [f([2, 3]), f([2])],
    runs: [
      {},
      { options: { mode: "predict" } },
      { args: () => [tl.Fn("double", (x: tf.Tensor) => tf.mul(x, 2))], options: { nCarry: 0 }, input: () => f([2, 3]) },
    ],
  },
  Select: { args: () => [[1, 0]], options: { nIn: 3, name: "MySelect" }, input: () => [f([2]), f([2]), f([2])] },
  Selu: { options: { alpha: 2, lmbda: 0.5 }, input: () => f([5]) },
  SelfAttention: {
    options: {
      nHeads: 1, dQk: 2, dV: 2, shareQk: true, causal: true, chunkLen: 2, nChunksBefore: 1, nChunksAfter: 1, bias: true,
      predictMemLen: 6, predictDropLen: 2, attentionDropout: 0.5, outputDropout: 0.5, nParallelHeads: 1, usePythonLoop: true, useReferenceCode: true,
    },
    input: () => f([1, 4, 4]),
    runs: [
      {},
      { options: { mode: "eval" } },
      { options: { mode: "predict", chunkLen: null, nChunksBefore: 0, nChunksAfter: 0 }, input: () => f([1, 1, 4]), calls: 7 },
      { options: { masked: true, causal: false }, input: () => [f([1, 4, 4]), mask([1, 4])] },
    ],
  },
  Serial: { args: () => [tl.Relu(), tl.Negate()], options: { name: "MySerial", sublayersToPrint: [] }, input: () => f([2]) },
  SerialWithSideOutputs: { args: () => [[tl.Dup(), tl.Negate()]], options: { nSideOutputs: 0 }, input: () => f([2]) },
  ShiftRight: { options: { nPositions: 2 }, input: () => f([1, 4, 2]), runs: [{}, { options: { mode: "predict" } }] },
  SinCosPositionalEncoding: {
    options: { addOffset: 3, dropout: 0.5, dropoutBroadcastDims: [0], startFromZeroOneIn: 1000000 },
    input: () => f([1, 3, 4]),
    runs: [{}, { options: { mode: "eval" } }, { options: { mode: "predict" }, input: () => f([1, 1, 4]), calls: 2 }],
  },
  Softmax: { options: { axis: 0 }, input: () => f([2, 3]) },
  Split: { options: { nItems: 3, axis: 0 }, input: () => f([3, 2]) },
  SplitIntoHeads: { args: () => [2], options: { mergedBatchAndHead: false }, input: () => f([1, 3, 4]) },
  SRU: { args: () => [2], options: { activation: tl.Relu() }, input: () => f([1, 3, 2]), runs: [{}, { options: { mode: "predict" }, calls: 2 }] },
  Sum: { options: { axis: 0, keepdims: true }, input: () => f([2, 3]) },
  SummaryImage: { args: () => ["img", 1], options: { numSummaries: 1, recoverFn: (x: tf.Tensor) => tf.neg(x) }, input: () => f([2, 2, 2, 3]) },
  SummaryScalar: { args: () => ["s"], options: { aggregationFun: (x: tf.Tensor) => tf.max(x) }, input: () => f([3]) },
  SumPool: { options: { poolSize: [2], strides: [2], padding: "SAME" }, input: () => f([1, 5, 2]) },
  ThresholdedLinearUnit: { options: { nIn: 1, nOut: 1, name: "MyTLU", sublayersToPrint: [] }, input: () => f([3]) },
  ThresholdToBinary: { options: { threshold: 0.9 }, input: () => f([5]) },
  TimeBinPositionalEncoding: { args: () => [2], options: {}, input: () => f([1, 4, 4]), runs: [{}, { options: { mode: "predict" }, input: () => f([1, 1, 4]), calls: 2 }] },
  WeightedCategoryCrossEntropy: { options: { labelSmoothing: 0.1, cutoff: 0.5 }, input: () => [f([2, 3]), ints([2], 3), f([2])] },
  WeightedFScore: { options: { beta: 2, initialCategoryIndex: 1 }, input: () => [tf.oneHot([0, 1, 2, 2, 1], 3).toFloat(), ints([5], 3)] },
  Weights: { args: () => [tl.RandomUniformInitializer(1)], options: { shape: [2], useBfloat16: true }, input: () => [] },
  ReversibleSerial: { options: {}, input: () => f([2]) },
};
void r;
