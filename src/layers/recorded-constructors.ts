/**
 * The function constructors of `tl`, wrapped so that each layer they build
 * records its call (see ./constructor-call.ts) for `layer.toPython()`.
 * src/layers/index.ts exports these in place of the plain functions; code
 * inside the library may call either. Class constructors record through
 * ./callable.ts instead.
 * @module
 */
import { recordedConstructor as rec } from "./constructor-call";
import * as base from "./base";
import * as combinators from "./combinators";
import * as coreSummary from "./core/summary";
import * as coreFunctions from "./core/functions";
import * as activationFns from "./activation-fns";
import * as initializers from "./initializers";
import * as pooling from "./pooling";
import * as convolution from "./convolution";
import * as metrics from "./metrics";
import * as attention from "./attention";
import * as rnn from "./rnn";
import * as reversible from "./reversible";
import * as researchMixedLshAttention from "./research/mixed-lsh-attention";

/** `tl.Fn` (base.ts), recording its call. {@inheritDoc base.Fn} */
export const Fn = rec("Fn", base.Fn);
/** `tl.Chunk` (combinators.ts), recording its call. {@inheritDoc combinators.Chunk} */
export const Chunk = rec("Chunk", combinators.Chunk);
/** `tl.Branch` (combinators.ts), recording its call. {@inheritDoc combinators.Branch} */
export const Branch = rec("Branch", combinators.Branch);
/** `tl.Residual` (combinators.ts), recording its call. {@inheritDoc combinators.Residual} */
export const Residual = rec("Residual", combinators.Residual);
/** `tl.Select` (combinators.ts), recording its call. {@inheritDoc combinators.Select} */
export const Select = rec("Select", combinators.Select);
/** `tl.Drop` (combinators.ts), recording its call. {@inheritDoc combinators.Drop} */
export const Drop = rec("Drop", combinators.Drop);
/** `tl.Dup` (combinators.ts), recording its call. {@inheritDoc combinators.Dup} */
export const Dup = rec("Dup", combinators.Dup);
/** `tl.Swap` (combinators.ts), recording its call. {@inheritDoc combinators.Swap} */
export const Swap = rec("Swap", combinators.Swap);
/** `tl.SerialWithSideOutputs` (combinators.ts), recording its call. {@inheritDoc combinators.SerialWithSideOutputs} */
export const SerialWithSideOutputs = rec("SerialWithSideOutputs", combinators.SerialWithSideOutputs);
/** `tl.FlattenList` (combinators.ts), recording its call. {@inheritDoc combinators.FlattenList} */
export const FlattenList = rec("FlattenList", combinators.FlattenList);
/** `tl.Add` (combinators.ts), recording its call. {@inheritDoc combinators.Add} */
export const Add = rec("Add", combinators.Add);
/** `tl.SubtractTop` (combinators.ts), recording its call. {@inheritDoc combinators.SubtractTop} */
export const SubtractTop = rec("SubtractTop", combinators.SubtractTop);
/** `tl.Multiply` (combinators.ts), recording its call. {@inheritDoc combinators.Multiply} */
export const Multiply = rec("Multiply", combinators.Multiply);
/** `tl.Gate` (combinators.ts), recording its call. {@inheritDoc combinators.Gate} */
export const Gate = rec("Gate", combinators.Gate);
/** `tl.Bidirectional` (combinators.ts), recording its call. {@inheritDoc combinators.Bidirectional} */
export const Bidirectional = rec("Bidirectional", combinators.Bidirectional);
/** `tl.PrintShape` (core/summary.ts), recording its call. {@inheritDoc coreSummary.PrintShape} */
export const PrintShape = rec("PrintShape", coreSummary.PrintShape);
/** `tl.Flatten` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Flatten} */
export const Flatten = rec("Flatten", coreFunctions.Flatten);
/** `tl.LogSoftmax` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.LogSoftmax} */
export const LogSoftmax = rec("LogSoftmax", coreFunctions.LogSoftmax);
/** `tl.LogSumExp` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.LogSumExp} */
export const LogSumExp = rec("LogSumExp", coreFunctions.LogSumExp);
/** `tl.Softmax` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Softmax} */
export const Softmax = rec("Softmax", coreFunctions.Softmax);
/** `tl.ToFloat` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.ToFloat} */
export const ToFloat = rec("ToFloat", coreFunctions.ToFloat);
/** `tl.Mean` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Mean} */
export const Mean = rec("Mean", coreFunctions.Mean);
/** `tl.Min` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Min} */
export const Min = rec("Min", coreFunctions.Min);
/** `tl.Max` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Max} */
export const Max = rec("Max", coreFunctions.Max);
/** `tl.Sum` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Sum} */
export const Sum = rec("Sum", coreFunctions.Sum);
/** `tl.ThresholdToBinary` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.ThresholdToBinary} */
export const ThresholdToBinary = rec("ThresholdToBinary", coreFunctions.ThresholdToBinary);
/** `tl.ArgMax` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.ArgMax} */
export const ArgMax = rec("ArgMax", coreFunctions.ArgMax);
/** `tl.Negate` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.Negate} */
export const Negate = rec("Negate", coreFunctions.Negate);
/** `tl.StopGradient` (core/functions.ts), recording its call. {@inheritDoc coreFunctions.StopGradient} */
export const StopGradient = rec("StopGradient", coreFunctions.StopGradient);
/** `tl.Relu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Relu} */
export const Relu = rec("Relu", activationFns.Relu);
/** `tl.ParametricRelu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.ParametricRelu} */
export const ParametricRelu = rec("ParametricRelu", activationFns.ParametricRelu);
/** `tl.LeakyRelu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.LeakyRelu} */
export const LeakyRelu = rec("LeakyRelu", activationFns.LeakyRelu);
/** `tl.Elu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Elu} */
export const Elu = rec("Elu", activationFns.Elu);
/** `tl.Selu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Selu} */
export const Selu = rec("Selu", activationFns.Selu);
/** `tl.Gelu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Gelu} */
export const Gelu = rec("Gelu", activationFns.Gelu);
/** `tl.FastGelu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.FastGelu} */
export const FastGelu = rec("FastGelu", activationFns.FastGelu);
/** `tl.Sigmoid` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Sigmoid} */
export const Sigmoid = rec("Sigmoid", activationFns.Sigmoid);
/** `tl.Tanh` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Tanh} */
export const Tanh = rec("Tanh", activationFns.Tanh);
/** `tl.HardSigmoid` (activation-fns.ts), recording its call. {@inheritDoc activationFns.HardSigmoid} */
export const HardSigmoid = rec("HardSigmoid", activationFns.HardSigmoid);
/** `tl.HardTanh` (activation-fns.ts), recording its call. {@inheritDoc activationFns.HardTanh} */
export const HardTanh = rec("HardTanh", activationFns.HardTanh);
/** `tl.Softplus` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Softplus} */
export const Softplus = rec("Softplus", activationFns.Softplus);
/** `tl.Exp` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Exp} */
export const Exp = rec("Exp", activationFns.Exp);
/** `tl.Log` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Log} */
export const Log = rec("Log", activationFns.Log);
/** `tl.Swish` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Swish} */
export const Swish = rec("Swish", activationFns.Swish);
/** `tl.Glu` (activation-fns.ts), recording its call. {@inheritDoc activationFns.Glu} */
export const Glu = rec("Glu", activationFns.Glu);
/** `tl.InitializerFromFile` (initializers.ts), recording its call. {@inheritDoc initializers.InitializerFromFile} */
export const InitializerFromFile = rec("InitializerFromFile", initializers.InitializerFromFile);
/** `tl.RandomNormalInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.RandomNormalInitializer} */
export const RandomNormalInitializer = rec("RandomNormalInitializer", initializers.RandomNormalInitializer);
/** `tl.RandomUniformInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.RandomUniformInitializer} */
export const RandomUniformInitializer = rec("RandomUniformInitializer", initializers.RandomUniformInitializer);
/** `tl.ScaledInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.ScaledInitializer} */
export const ScaledInitializer = rec("ScaledInitializer", initializers.ScaledInitializer);
/** `tl.GlorotNormalInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.GlorotNormalInitializer} */
export const GlorotNormalInitializer = rec("GlorotNormalInitializer", initializers.GlorotNormalInitializer);
/** `tl.GlorotUniformInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.GlorotUniformInitializer} */
export const GlorotUniformInitializer = rec("GlorotUniformInitializer", initializers.GlorotUniformInitializer);
/** `tl.LeCunNormalInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.LeCunNormalInitializer} */
export const LeCunNormalInitializer = rec("LeCunNormalInitializer", initializers.LeCunNormalInitializer);
/** `tl.LeCunUniformInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.LeCunUniformInitializer} */
export const LeCunUniformInitializer = rec("LeCunUniformInitializer", initializers.LeCunUniformInitializer);
/** `tl.KaimingNormalInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.KaimingNormalInitializer} */
export const KaimingNormalInitializer = rec("KaimingNormalInitializer", initializers.KaimingNormalInitializer);
/** `tl.KaimingUniformInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.KaimingUniformInitializer} */
export const KaimingUniformInitializer = rec("KaimingUniformInitializer", initializers.KaimingUniformInitializer);
/** `tl.OrthogonalInitializer` (initializers.ts), recording its call. {@inheritDoc initializers.OrthogonalInitializer} */
export const OrthogonalInitializer = rec("OrthogonalInitializer", initializers.OrthogonalInitializer);
/** `tl.MaxPool` (pooling.ts), recording its call. {@inheritDoc pooling.MaxPool} */
export const MaxPool = rec("MaxPool", pooling.MaxPool);
/** `tl.SumPool` (pooling.ts), recording its call. {@inheritDoc pooling.SumPool} */
export const SumPool = rec("SumPool", pooling.SumPool);
/** `tl.AvgPool` (pooling.ts), recording its call. {@inheritDoc pooling.AvgPool} */
export const AvgPool = rec("AvgPool", pooling.AvgPool);
/** `tl.Conv1d` (convolution.ts), recording its call. {@inheritDoc convolution.Conv1d} */
export const Conv1d = rec("Conv1d", convolution.Conv1d);
/** `tl.CategoryAccuracy` (metrics.ts), recording its call. {@inheritDoc metrics.CategoryAccuracy} */
export const CategoryAccuracy = rec("CategoryAccuracy", metrics.CategoryAccuracy);
/** `tl.WeightedCategoryAccuracy` (metrics.ts), recording its call. {@inheritDoc metrics.WeightedCategoryAccuracy} */
export const WeightedCategoryAccuracy = rec("WeightedCategoryAccuracy", metrics.WeightedCategoryAccuracy);
/** `tl.CategoryCrossEntropy` (metrics.ts), recording its call. {@inheritDoc metrics.CategoryCrossEntropy} */
export const CategoryCrossEntropy = rec("CategoryCrossEntropy", metrics.CategoryCrossEntropy);
/** `tl.WeightedCategoryCrossEntropy` (metrics.ts), recording its call. {@inheritDoc metrics.WeightedCategoryCrossEntropy} */
export const WeightedCategoryCrossEntropy = rec("WeightedCategoryCrossEntropy", metrics.WeightedCategoryCrossEntropy);
/** `tl.BinaryCrossEntropy` (metrics.ts), recording its call. {@inheritDoc metrics.BinaryCrossEntropy} */
export const BinaryCrossEntropy = rec("BinaryCrossEntropy", metrics.BinaryCrossEntropy);
/** `tl.MaskedSequenceAccuracy` (metrics.ts), recording its call. {@inheritDoc metrics.MaskedSequenceAccuracy} */
export const MaskedSequenceAccuracy = rec("MaskedSequenceAccuracy", metrics.MaskedSequenceAccuracy);
/** `tl.Accuracy` (metrics.ts), recording its call. {@inheritDoc metrics.Accuracy} */
export const Accuracy = rec("Accuracy", metrics.Accuracy);
/** `tl.SequenceAccuracy` (metrics.ts), recording its call. {@inheritDoc metrics.SequenceAccuracy} */
export const SequenceAccuracy = rec("SequenceAccuracy", metrics.SequenceAccuracy);
/** `tl.CrossEntropyLoss` (metrics.ts), recording its call. {@inheritDoc metrics.CrossEntropyLoss} */
export const CrossEntropyLoss = rec("CrossEntropyLoss", metrics.CrossEntropyLoss);
/** `tl.CrossEntropyLossWithLogSoftmax` (metrics.ts), recording its call. {@inheritDoc metrics.CrossEntropyLossWithLogSoftmax} */
export const CrossEntropyLossWithLogSoftmax = rec("CrossEntropyLossWithLogSoftmax", metrics.CrossEntropyLossWithLogSoftmax);
/** `tl.BinaryCrossEntropyLoss` (metrics.ts), recording its call. {@inheritDoc metrics.BinaryCrossEntropyLoss} */
export const BinaryCrossEntropyLoss = rec("BinaryCrossEntropyLoss", metrics.BinaryCrossEntropyLoss);
/** `tl.L2Loss` (metrics.ts), recording its call. {@inheritDoc metrics.L2Loss} */
export const L2Loss = rec("L2Loss", metrics.L2Loss);
/** `tl.SmoothL1Loss` (metrics.ts), recording its call. {@inheritDoc metrics.SmoothL1Loss} */
export const SmoothL1Loss = rec("SmoothL1Loss", metrics.SmoothL1Loss);
/** `tl.MacroAveragedFScore` (metrics.ts), recording its call. {@inheritDoc metrics.MacroAveragedFScore} */
export const MacroAveragedFScore = rec("MacroAveragedFScore", metrics.MacroAveragedFScore);
/** `tl.WeightedFScore` (metrics.ts), recording its call. {@inheritDoc metrics.WeightedFScore} */
export const WeightedFScore = rec("WeightedFScore", metrics.WeightedFScore);
/** `tl.WeightedSum` (metrics.ts), recording its call. {@inheritDoc metrics.WeightedSum} */
export const WeightedSum = rec("WeightedSum", metrics.WeightedSum);
/** `tl.CrossEntropySum` (metrics.ts), recording its call. {@inheritDoc metrics.CrossEntropySum} */
export const CrossEntropySum = rec("CrossEntropySum", metrics.CrossEntropySum);
/** `tl.BinaryCrossEntropySum` (metrics.ts), recording its call. {@inheritDoc metrics.BinaryCrossEntropySum} */
export const BinaryCrossEntropySum = rec("BinaryCrossEntropySum", metrics.BinaryCrossEntropySum);
/** `tl.SplitIntoHeads` (attention.ts), recording its call. {@inheritDoc attention.SplitIntoHeads} */
export const SplitIntoHeads = rec("SplitIntoHeads", attention.SplitIntoHeads);
/** `tl.MergeHeads` (attention.ts), recording its call. {@inheritDoc attention.MergeHeads} */
export const MergeHeads = rec("MergeHeads", attention.MergeHeads);
/** `tl.AttentionQKV` (attention.ts), recording its call. {@inheritDoc attention.AttentionQKV} */
export const AttentionQKV = rec("AttentionQKV", attention.AttentionQKV);
/** `tl.Attention` (attention.ts), recording its call. {@inheritDoc attention.Attention} */
export const Attention = rec("Attention", attention.Attention);
/** `tl.ConfigurableAttention` (attention.ts), recording its call. {@inheritDoc attention.ConfigurableAttention} */
export const ConfigurableAttention = rec("ConfigurableAttention", attention.ConfigurableAttention);
/** `tl.CausalAttention` (attention.ts), recording its call. {@inheritDoc attention.CausalAttention} */
export const CausalAttention = rec("CausalAttention", attention.CausalAttention);
/** `tl.ShiftRight` (attention.ts), recording its call. {@inheritDoc attention.ShiftRight} */
export const ShiftRight = rec("ShiftRight", attention.ShiftRight);
/** `tl.PaddingMask` (attention.ts), recording its call. {@inheritDoc attention.PaddingMask} */
export const PaddingMask = rec("PaddingMask", attention.PaddingMask);
/** `tl.EncoderDecoderMask` (attention.ts), recording its call. {@inheritDoc attention.EncoderDecoderMask} */
export const EncoderDecoderMask = rec("EncoderDecoderMask", attention.EncoderDecoderMask);
/** `tl.MakeZeroState` (rnn.ts), recording its call. {@inheritDoc rnn.MakeZeroState} */
export const MakeZeroState = rec("MakeZeroState", rnn.MakeZeroState);
/** `tl.LSTM` (rnn.ts), recording its call. {@inheritDoc rnn.LSTM} */
export const LSTM = rec("LSTM", rnn.LSTM);
/** `tl.GRU` (rnn.ts), recording its call. {@inheritDoc rnn.GRU} */
export const GRU = rec("GRU", rnn.GRU);
/** `tl.GeneralGRUCell` (rnn.ts), recording its call. {@inheritDoc rnn.GeneralGRUCell} */
export const GeneralGRUCell = rec("GeneralGRUCell", rnn.GeneralGRUCell);
/** `tl.ConvGRUCell` (rnn.ts), recording its call. {@inheritDoc rnn.ConvGRUCell} */
export const ConvGRUCell = rec("ConvGRUCell", rnn.ConvGRUCell);
/** `tl.InnerSRUCell` (rnn.ts), recording its call. {@inheritDoc rnn.InnerSRUCell} */
export const InnerSRUCell = rec("InnerSRUCell", rnn.InnerSRUCell);
/** `tl.ScanSRUCell` (rnn.ts), recording its call. {@inheritDoc rnn.ScanSRUCell} */
export const ScanSRUCell = rec("ScanSRUCell", rnn.ScanSRUCell);
/** `tl.SRU` (rnn.ts), recording its call. {@inheritDoc rnn.SRU} */
export const SRU = rec("SRU", rnn.SRU);
/** `tl.ReversibleSwap` (reversible.ts), recording its call. {@inheritDoc reversible.ReversibleSwap} */
export const ReversibleSwap = rec("ReversibleSwap", reversible.ReversibleSwap);
/** `tl.PureLSHSelfAttentionWrapper` (research/mixed-lsh-attention.ts), recording its call. {@inheritDoc researchMixedLshAttention.PureLSHSelfAttentionWrapper} */
export const PureLSHSelfAttentionWrapper = rec("PureLSHSelfAttentionWrapper", researchMixedLshAttention.PureLSHSelfAttentionWrapper);
