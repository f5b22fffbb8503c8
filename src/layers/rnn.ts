/**
 * The rnn module of the reference (`trax.layers.rnn`): LSTM, GRU and SRU
 * cells and layers, built on the `Scan` combinator. In `predict` mode the
 * layers carry their recurrent state between calls (in `Scan`'s state), so a
 * sequence can be fed one step at a time.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { dense } from "../fastmath/matmul";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { Fn, Layer } from "./base";
import { callable } from "./callable";
import { Branch, Dup, Gate, Multiply, Parallel, Scan, Select, Serial, Split } from "./combinators";
import { Sigmoid, Tanh } from "./activation-fns";
import { Conv } from "./convolution";
import { Dense, Dropout } from "./core";
import { GlorotUniformInitializer, RandomNormalInitializer, RandomUniformInitializer } from "./initializers";
import { optionalArgs } from "./optional-args";
import type { Initializer } from "./initializers";
import { withArgs, optionKeys } from "./arg-check";
import { assertPromotable, toInexact } from "./core/checks";

/** A layer constructor taking no arguments (e.g. `tl.Sigmoid`). */
export type LayerFactory = () => Layer;

const sigmoidLayer: LayerFactory = () => Sigmoid();
const tanhLayer: LayerFactory = () => Tanh();

function checkUnits(layer: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${layer} needs a positive integer number of units; got ${n}`);
}

function cellSignature(layer: string, sig: Signature): [ShapeDtype, ShapeDtype] {
  if (!Array.isArray(sig) || sig.length !== 2) throw new Error(`${layer} takes two inputs (x, state)`);
  const [x, s] = sig as ShapeDtype[];
  assertPromotable(layer, x);
  return [x, s];
}

// ------------------------------------------------------------------ LSTMCell

/** Options of {@link LSTMCell}. */
export interface LSTMCellOptions {
  /** Added to the bias at init (all four gates, as Trax) (default 1.0). */
  forgetBias?: number;
  /** Kernel initializer (default Glorot uniform). */
  kernelInitializer?: Initializer;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
}

class LSTMCellLayer extends Layer {
  /** @internal */ _nUnits: number;
  /** @internal */ _forgetBias: number;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;

  constructor(nUnits: number, options: LSTMCellOptions = {}) {
    checkUnits("LSTMCell", nUnits);
    super({ nIn: 2, nOut: 2, name: "LSTMCell" });
    this._nUnits = nUnits;
    this._forgetBias = options.forgetBias ?? 1.0;
    this._kernelInitializer = options.kernelInitializer ?? GlorotUniformInitializer();
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
  }

  forward([x, lstmState]: tf.Tensor[]): tf.Tensor[] {
    x = toInexact(this.name, x);
    const n = this._nUnits;
    const [w, b] = this.weights as tf.Tensor[];
    if (lstmState.shape[lstmState.rank - 1] !== 2 * n) {
      throw new Error(`LSTMCell state must have 2*nUnits = ${2 * n} features (c and h); got shape [${lstmState.shape}]`);
    }
    if (x.shape[x.rank - 1] + n !== w.shape[0]) {
      throw new Error(`LSTMCell expects inputs with ${(w.shape[0] as number) - n} features; got shape [${x.shape}]`);
    }
    const [c, h] = tf.split(lstmState, 2, -1);
    const y = dense(tf.concat([x, h], -1), w, b);
    const [i, j, f, o] = tf.split(y, 4, -1);
    const newC = c.mul(tf.sigmoid(f)).add(tf.sigmoid(i).mul(tf.tanh(j)));
    const newH = tf.tanh(newC).mul(tf.sigmoid(o));
    return [newH, tf.concat([newC, newH], -1)];
  }

  initWeightsAndState(inputSignature: Signature): void {
    const [x, s] = cellSignature(this.name, inputSignature);
    const n = this._nUnits;
    if (s.shape[s.rank - 1] !== 2 * n) {
      throw new Error(`Last dimension of state (shape: [${s.shape}]) must be equal to 2*nUnits (${2 * n})`);
    }
    const [rng1, rng2] = random.split(this.rng, 2);
    const w = this._kernelInitializer([(x.shape[x.rank - 1] as number) + n, 4 * n], rng1);
    const b0 = this._biasInitializer([4 * n], rng2);
    const b = tf.tidy(() => b0.add(this._forgetBias));
    b0.dispose();
    this.weights = [w, b];
  }
}

/**
 * One LSTM step: `(x (..., d), state (..., 2n))` to `(h (..., n), newState (..., 2n))`,
 * with `state = [c, h]` concatenated. Weights `w (d + n, 4n)` and `b (4n)`
 * with gates in Trax's order `i, j (candidate), f, o`:
 * `c' = c*sigmoid(f) + sigmoid(i)*tanh(j)`, `h' = tanh(c')*sigmoid(o)`.
 *
 * @example
 * ```ts
 * const [h, s] = tl.LSTMCell(9)([tf.ones([8, 9]), tf.zeros([8, 18])]); // (8, 9), (8, 18)
 * ```
 */
export const LSTMCell = callable(LSTMCellLayer, "LSTMCell", {
  positional: ["nUnits"],
  options: optionKeys<LSTMCellOptions>({
    forgetBias: true, kernelInitializer: true, biasInitializer: true,
  }),
});
export type LSTMCell = LSTMCellLayer;

// ------------------------------------------------------------- MakeZeroState

/** Options of {@link MakeZeroState}. */
export interface MakeZeroStateOptions {
  /** Depth of the state as a multiple of the input depth (default 1). */
  depthMultiplier?: number;
}

/**
 * Zeros for a recurrent state: `(b, l, d)` to float32 zeros `(b, depthMultiplier*d)`.
 *
 * @example
 * ```ts
 * tl.MakeZeroState({ depthMultiplier: 2 })(tf.ones([4, 5, 3])).shape; // [4, 6]
 * ```
 */
export const MakeZeroState = withArgs("MakeZeroState", {
  positional: [],
  options: optionKeys<MakeZeroStateOptions>({
    depthMultiplier: true,
  }),
}, function MakeZeroState(options: MakeZeroStateOptions = {}): Layer {
  const m = options.depthMultiplier ?? 1;
  return Fn("MakeZeroState", (x: tf.Tensor) => {
    if (x.rank !== 3) {
      throw new Error(
        `Layer input should be a rank 3 tensor representing (batch_size, sequence_length, feature_depth); instead got shape [${x.shape}].`
      );
    }
    return tf.zeros([x.shape[0] as number, m * (x.shape[2] as number)], "float32");
  });
});

// ---------------------------------------------------------------------- LSTM

/** Options of {@link LSTM}. */
export interface LSTMOptions {
  /** `train`, `eval` or `predict` (predict carries the state between calls) (default `train`). */
  mode?: string;
  /** Also return the final state `(b, 2n)` (default false). */
  returnState?: boolean;
  /** Take the initial state `(b, 2n)` from the stack, after the input (default false: zeros). */
  initialState?: boolean;
}

/**
 * An LSTM over axis 1: `(b, l, d)` to `(b, l, n)` (with `returnState`, also
 * the final state `(b, 2n)`; with `initialState`, a second input `(b, 2n)`).
 * With zero initial state the input depth must be `n` (the zero state is made
 * from the input, as in Trax).
 *
 * @example
 * ```ts
 * const lstm = tl.LSTM(3);
 * lstm(tf.ones([2, 5, 3])).shape; // [2, 5, 3]
 * String(lstm); // "LSTM_3"
 * ```
 */
export const LSTM = withArgs("LSTM", {
  positional: ["nUnits"],
  options: optionKeys<LSTMOptions>({
    mode: true, returnState: true, initialState: true,
  }),
}, function LSTM(nUnits: number, options: LSTMOptions = {}): Layer {
  const mode = options.mode ?? "train";
  const scan = () => Scan(LSTMCell(nUnits), { axis: 1, mode });
  const name = `LSTM_${nUnits}`;
  const layers: Layer[] = [];
  if (!options.initialState) layers.push(Branch(null, MakeZeroState({ depthMultiplier: 2 })));
  layers.push(scan());
  if (!options.returnState) layers.push(Select([0], { nIn: 2 }));
  return Serial(...layers, { name, sublayersToPrint: [] });
});

// ------------------------------------------------------------------- GRUCell

/** Options of {@link GRUCell}. */
export interface GRUCellOptions {
  /** Added to the gate bias at init (default 0). */
  forgetBias?: number;
  /** Kernel initializer (default uniform in [-0.01, 0.01]). */
  kernelInitializer?: Initializer;
  /** Bias initializer (default normal with stddev 1e-6). */
  biasInitializer?: Initializer;
}

class GRUCellLayer extends Layer {
  /** @internal */ _nUnits: number;
  /** @internal */ _forgetBias: number;
  /** @internal */ _kernelInitializer: Initializer;
  /** @internal */ _biasInitializer: Initializer;

  constructor(nUnits: number, options: GRUCellOptions = {}) {
    checkUnits("GRUCell", nUnits);
    super({ nIn: 2, nOut: 2, name: "GRUCell" });
    this._nUnits = nUnits;
    this._forgetBias = options.forgetBias ?? 0.0;
    this._kernelInitializer = options.kernelInitializer ?? RandomUniformInitializer(0.01);
    this._biasInitializer = options.biasInitializer ?? RandomNormalInitializer(1e-6);
  }

  forward([x, gruState]: tf.Tensor[]): tf.Tensor[] {
    x = toInexact(this.name, x);
    const n = this._nUnits;
    const [w1, b1, w2, b2] = this.weights as tf.Tensor[];
    if (gruState.shape[gruState.rank - 1] !== n) {
      throw new Error(`GRUCell state must have nUnits = ${n} features; got shape [${gruState.shape}]`);
    }
    if (x.shape[x.rank - 1] + n !== w1.shape[0]) {
      throw new Error(`GRUCell expects inputs with ${(w1.shape[0] as number) - n} features; got shape [${x.shape}]`);
    }
    const y = dense(tf.concat([x, gruState], -1), w1, b1);
    const [u, r] = tf.split(tf.sigmoid(y), 2, -1);
    const c = dense(tf.concat([x, r.mul(gruState)], -1), w2, b2);
    const newState = u.mul(gruState).add(tf.sub(1, u).mul(tf.tanh(c)));
    return [newState, newState.clone()];
  }

  initWeightsAndState(inputSignature: Signature): void {
    const [x, s] = cellSignature(this.name, inputSignature);
    const n = this._nUnits;
    if (s.shape[s.rank - 1] !== n) {
      throw new Error(`Second argument in input signature should have a final dimension of ${n}; instead got ${s.shape[s.rank - 1]}.`);
    }
    const dIn = (x.shape[x.rank - 1] as number) + n;
    const [rng1, rng2, rng3, rng4] = random.split(this.rng, 4);
    const w1 = this._kernelInitializer([dIn, 2 * n], rng1);
    const b10 = this._biasInitializer([2 * n], rng2);
    const b1 = tf.tidy(() => b10.add(this._forgetBias));
    b10.dispose();
    const w2 = this._kernelInitializer([dIn, n], rng3);
    const b2 = this._biasInitializer([n], rng4);
    this.weights = [w1, b1, w2, b2];
  }
}

/**
 * One GRU step (Cho et al., reset applied before the candidate projection):
 * `(x (..., d), s (..., n))` to `(s', s')` with `[u, r] = sigmoid([x, s] @ w1 + b1)`,
 * `c = [x, r*s] @ w2 + b2`, `s' = u*s + (1-u)*tanh(c)`.
 * Weights `w1 (d+n, 2n)`, `b1 (2n)`, `w2 (d+n, n)`, `b2 (n)`.
 *
 * @example
 * ```ts
 * const [y, s] = tl.GRUCell(9)([tf.ones([8, 7, 9]), tf.ones([8, 7, 9])]); // (8, 7, 9) twice
 * ```
 */
export const GRUCell = callable(GRUCellLayer, "GRUCell", {
  positional: ["nUnits"],
  options: optionKeys<GRUCellOptions>({
    forgetBias: true, kernelInitializer: true, biasInitializer: true,
  }),
});
export type GRUCell = GRUCellLayer;

/** Options of {@link GRU}. */
export interface GRUOptions {
  /** `train`, `eval` or `predict` (predict carries the state between calls) (default `train`). */
  mode?: string;
}

/**
 * A GRU over axis 1: `(b, l, n)` to `(b, l, n)` from a zero initial state.
 *
 * @example
 * ```ts
 * tl.GRU(5)(tf.ones([2, 4, 5])).shape; // [2, 4, 5]
 * ```
 */
export const GRU = withArgs("GRU", {
  positional: ["nUnits"],
  options: optionKeys<GRUOptions>({
    mode: true,
  }),
}, function GRU(nUnits: number, options: GRUOptions = {}): Layer {
  const mode = options.mode ?? "train";
  return Serial(
    Branch(null, MakeZeroState({ depthMultiplier: 1 })),
    Scan(GRUCell(nUnits), { axis: 1, mode }),
    Select([0], { nIn: 2 }),
    { name: `GRU_${nUnits}`, sublayersToPrint: [] }
  );
});

// ------------------------------------------------------------ GeneralGRUCell

/** Options of {@link GeneralGRUCell}. */
export interface GeneralGRUCellOptions {
  /** Optional transformation of the memory before gating (default none). */
  memoryTransformFn?: LayerFactory | null;
  /** Gate activation (default Sigmoid). */
  gateNonlinearity?: LayerFactory;
  /** Candidate activation (default Tanh). */
  candidateNonlinearity?: LayerFactory;
  /** Dropout on the candidate, in train mode (default 0.1). */
  dropoutRateC?: number;
  /** Constant added before the sigmoid gates (default 0.5). */
  sigmoidBias?: number;
  /** Mode of the candidate dropout (trax-ts addition; default `train`, as Trax). */
  mode?: string;
}

function AddSigmoidBias(sigmoidBias: number): Layer {
  return Fn(`AddSigmoidBias(${sigmoidBias})`, (x: tf.Tensor) => x.add(sigmoidBias));
}

/**
 * A GRU cell with configurable transforms: maps the memory `s` to
 * `u*s + (1-u)*c` with `u = gate(T(s) + bias)`, `r = gate(T(s) + bias)`,
 * `c = dropout(candidate(T(r*s)))`, where each `T` is a fresh
 * `candidateTransform()`. Input and output have the shape of `s`.
 *
 * @example
 * ```ts
 * const cell = tl.GeneralGRUCell(() => tl.Dense(4), { dropoutRateC: 0 });
 * cell(tf.ones([2, 4])).shape; // [2, 4]
 * ```
 */
export const GeneralGRUCell = withArgs("GeneralGRUCell", {
  positional: ["candidateTransform"],
  options: optionKeys<GeneralGRUCellOptions>({
    memoryTransformFn: true, gateNonlinearity: true, candidateNonlinearity: true, dropoutRateC: true,
    sigmoidBias: true, mode: true,
  }),
}, function GeneralGRUCell(candidateTransform: LayerFactory, options: GeneralGRUCellOptions = {}): Layer {
  const gate = options.gateNonlinearity ?? sigmoidLayer;
  const cand = options.candidateNonlinearity ?? tanhLayer;
  const sigmoidBias = options.sigmoidBias ?? 0.5;
  const gateBlock = [candidateTransform(), AddSigmoidBias(sigmoidBias), gate()];
  const resetBlock = [candidateTransform(), AddSigmoidBias(sigmoidBias), gate()];
  const candidateBlock = [
    Dup(), resetBlock, Multiply(), candidateTransform(), cand(), Dropout({ rate: options.dropoutRateC ?? 0.1, mode: (options.mode ?? "train") as "train" }),
  ];
  const memory = options.memoryTransformFn ? options.memoryTransformFn() : null;
  return Serial(Branch(memory, gateBlock, candidateBlock), Gate(), { name: "GeneralGRUCell" });
});

/** Options of {@link ConvGRUCell}. */
export interface ConvGRUCellOptions {
  /** Convolution kernel size (default `[3, 3]`). */
  kernelSize?: [number, number];
  /** Mode of the candidate dropout (rate 0.1, as Trax; trax-ts addition: `eval`/`predict` turn it off) (default `train`). */
  mode?: string;
}

/**
 * A convolutional GRU cell (Kaiser & Sutskever): {@link GeneralGRUCell} with
 * `Conv(nUnits, kernelSize, SAME)` transforms. Input and output
 * `(b, h, w, nUnits)`.
 *
 * @example
 * ```ts
 * tl.ConvGRUCell(9)(tf.ones([8, 1, 7, 9])).shape; // [8, 1, 7, 9]
 * ```
 */
export const ConvGRUCell = withArgs("ConvGRUCell", {
  positional: ["nUnits"],
  options: optionKeys<ConvGRUCellOptions>({
    kernelSize: true, mode: true,
  }),
}, function ConvGRUCell(nUnits: number, options: ConvGRUCellOptions = {}): Layer {
  const kernel = options.kernelSize ?? [3, 3];
  return GeneralGRUCell(() => Conv(nUnits, kernel, { padding: "SAME" }), {
    memoryTransformFn: null, gateNonlinearity: sigmoidLayer, candidateNonlinearity: tanhLayer, mode: options.mode ?? "train",
  });
});

// ----------------------------------------------------------------------- SRU

/**
 * The inner recurrence of an SRU: `(x*(1-f), f, c)` to `(c', c')` with
 * `c' = f*c + x*(1-f)`.
 *
 * @example
 * ```ts
 * const [y, c] = tl.InnerSRUCell()([tf.ones([2, 3]), tf.fill([2, 3], 0.5), tf.ones([2, 3])]); // 1.5s
 * ```
 */
export const InnerSRUCell = withArgs("InnerSRUCell", { positional: [], options: [] }, function InnerSRUCell(): Layer {
  return Fn("InnerSRUCell", (xTimesOneMinusF: tf.Tensor, f: tf.Tensor, state: tf.Tensor) => {
    const res = f.mul(state).add(xTimesOneMinusF);
    return [res, res.clone()];
  }, { nOut: 2 });
});

/**
 * {@link InnerSRUCell} scanned over axis 1: `(x*(1-f) (b,l,n), f (b,l,n), c0 (b,n))`
 * to `(c (b,l,n), cLast (b,n))`; in `predict` mode the last `c` is carried
 * between calls. (`monkeyPatchedMask`, a Terraformer detail, is not supported.)
 *
 * @example
 * ```ts
 * const [cs, last] = tl.ScanSRUCell("eval")([tf.ones([1, 4, 2]), tf.fill([1, 4, 2], 0.5), tf.zeros([1, 2])]);
 * ```
 */
export const ScanSRUCell = withArgs("ScanSRUCell", {
  positional: ["mode", "monkeyPatchedMask?"],
  options: ["monkeyPatchedMask"],
}, function ScanSRUCell(mode: string, ...rest: unknown[]): Layer {
  const { monkeyPatchedMask = null } = optionalArgs("ScanSRUCell", rest, ["monkeyPatchedMask"]);
  if (monkeyPatchedMask !== null) {
    throw new Error("ScanSRUCell: monkeyPatchedMask (Terraformer's predict-mode mask) is not supported in trax-ts");
  }
  return Scan(InnerSRUCell(), { axis: 1, mode });
}) as (mode: string, monkeyPatchedMask?: null | { monkeyPatchedMask?: null }) => Layer;

/** Options of {@link SRU}. */
export interface SRUOptions {
  /** Activation applied to `c` (default none). */
  activation?: Layer | null;
  /** `train`, `eval` or `predict` (predict carries `c` between calls) (default `train`). */
  mode?: string;
}

/**
 * Simple Recurrent Unit (Lei et al. 2017) over axis 1: `(b, l, n)` to
 * `(b, l, n)`: `[r, f, y] = split(Dense(3n)(x))`, `c_t = f c_{t-1} + (1-f) y`,
 * `h = r*act(c) + (1-r)*x*sqrt(3)` (with sigmoid `r`, `f`).
 *
 * @example
 * ```ts
 * tl.SRU(7)(tf.ones([8, 9, 7])).shape; // [8, 9, 7]
 * ```
 */
export const SRU = withArgs("SRU", {
  positional: ["nUnits"],
  options: optionKeys<SRUOptions>({
    activation: true, mode: true,
  }),
}, function SRU(nUnits: number, options: SRUOptions = {}): Layer {
  const mode = options.mode ?? "train";
  const layers: (Layer | null)[] = [
    Branch(Dense(3 * nUnits), null),
    Split({ nItems: 3 }),
    Parallel(sigmoidLayer(), sigmoidLayer()),
    Fn("", (r: tf.Tensor, f: tf.Tensor, y: tf.Tensor) => [y.mul(tf.sub(1.0, f)), f, r], { nOut: 3 }),
    Parallel(null, null, Branch(MakeZeroState(), null)),
    ScanSRUCell(mode),
    Select([0], { nIn: 2 }),
  ];
  if (options.activation) layers.push(options.activation);
  layers.push(Fn("FinalSRUGate", (c: tf.Tensor, r: tf.Tensor, x: tf.Tensor) => c.mul(r).add(x.mul(tf.sub(1, r)).mul(Math.sqrt(3)))));
  return Serial(...(layers as Layer[]), { name: `SRU_${nUnits}`, sublayersToPrint: [] });
});
