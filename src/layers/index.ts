/**
 * `trax.layers` (also `tl`): every layer, combinator, initializer and metric.
 *
 * @example
 * ```ts
 * import * as tl from "trax-ts/layers";
 * const model = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(2));
 * ```
 * @module
 */
export * from "./base";
export * from "./combinators";
export * from "./core";
export * from "./activation-fns";
export * from "./initializers";
export * from "./normalization";
export * from "./pooling";
export * from "./convolution";
export * from "./metrics";
export * from "./attention";
export * from "./rnn";
export * from "./reversible";
export * from "./acceleration";
export * from "./np-file";
// `Weights` is both the weights-tree type of ./base and the layer of ./core: tl.Weights is the layer (as in Trax).
export { Weights } from "./core";
export * from "./research";
// Function constructors that record their calls (for layer.toPython()) replace the plain ones above.
export {
  Fn, Chunk, Branch, Residual, Select, Drop, Dup, Swap, SerialWithSideOutputs, FlattenList, Add,
  SubtractTop, Multiply, Gate, Bidirectional, PrintShape, Flatten, LogSoftmax, LogSumExp, Softmax,
  ToFloat, Mean, Min, Max, Sum, ThresholdToBinary, ArgMax, Negate, StopGradient, Relu,
  ParametricRelu, LeakyRelu, Elu, Selu, Gelu, FastGelu, Sigmoid, Tanh, HardSigmoid, HardTanh,
  Softplus, Exp, Log, Swish, Glu, InitializerFromFile, RandomNormalInitializer,
  RandomUniformInitializer, ScaledInitializer, GlorotNormalInitializer, GlorotUniformInitializer,
  LeCunNormalInitializer, LeCunUniformInitializer, KaimingNormalInitializer,
  KaimingUniformInitializer, OrthogonalInitializer, MaxPool, SumPool, AvgPool, Conv1d,
  CategoryAccuracy, WeightedCategoryAccuracy, CategoryCrossEntropy, WeightedCategoryCrossEntropy,
  BinaryCrossEntropy, MaskedSequenceAccuracy, Accuracy, SequenceAccuracy, CrossEntropyLoss,
  CrossEntropyLossWithLogSoftmax, BinaryCrossEntropyLoss, L2Loss, SmoothL1Loss,
  MacroAveragedFScore, WeightedFScore, WeightedSum, CrossEntropySum, BinaryCrossEntropySum,
  SplitIntoHeads, MergeHeads, AttentionQKV, Attention, ConfigurableAttention, CausalAttention,
  ShiftRight, PaddingMask, EncoderDecoderMask, MakeZeroState, LSTM, GRU, GeneralGRUCell,
  ConvGRUCell, InnerSRUCell, ScanSRUCell, SRU, ReversibleSwap, PureLSHSelfAttentionWrapper,
} from "./recorded-constructors";
export { constructorCallOf, isRecordingConstructor } from "./constructor-call";
export type { ConstructorCall, ConstructorNamespace } from "./constructor-call";
