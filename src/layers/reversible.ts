/**
 * Layers that can run in reverse to compute inputs from outputs, as
 * `trax.layers.reversible`.
 *
 * In a series of reversible layers the activations of the forward pass need
 * not be stored for backpropagation: each layer's inputs are reconstructed
 * from its outputs on the way back (RevNet, Reformer). Here a reversible
 * layer has a custom `backward` that calls {@link ReversibleLayer.reverseAndGrad},
 * so gradients through it are computed by reconstruction, and the
 * intermediate activations inside a {@link ReversibleSerial} are never kept
 * for the backward pass.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import type { PRNGKey } from "../fastmath/random";
import { vjp } from "../fastmath/grad";
import { isTensor, tensorsIn, treeFlatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import { signature, ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { Layer, renameLayer } from "./base";
import type { LayerOptions, State, Weights } from "./base";
import { callable } from "./callable";
import { Serial } from "./combinators";
import { splitArgs } from "./layer-args";
import type { LayerArg } from "./layer-args";
import { inputsFromStack, makeTuple, outputsOntoStack } from "./stack";
import { withArgs, optionKeys } from "./arg-check";
import { inAbstractEvaluation } from "./abstract-eval";

/** Marks the prototypes of reversible layers (see `ReversibleLayer[Symbol.hasInstance]`). */
const REVERSIBLE = Symbol.for("trax-ts.reversible");

/** Inputs or outputs of a layer: one tensor or an array of them. */
type Items = tf.Tensor | tf.Tensor[];

/** `[reconstructedInputs, [inputGradients, weightGradients]]`. */
export type ReverseAndGradResult = [Items, [Items, Weights]];

/** What every reversible layer provides on top of {@link Layer}. */
export interface Reversible {
  /** Computes the inputs of the layer from its outputs. */
  reverse(output: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null): Items;
  /** Reconstructs the inputs and back-propagates `grad` (the outputs' cotangent) through the layer. */
  reverseAndGrad(
    output: Items, grad: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null
  ): ReverseAndGradResult;
}

/** True if `layer` is reversible (a {@link ReversibleLayer}, including {@link ReversibleSerial}). */
export function isReversible(layer: unknown): layer is Layer & Reversible {
  return typeof layer === "function" && (layer as unknown as Record<symbol, unknown>)[REVERSIBLE] === true;
}

/** Disposes the tensors of `out` except those also in `keep` (an output may be an input). */
function disposeExcept(out: unknown, keep: unknown): void {
  const kept = new Set(treeFlatten(keep as Nested<unknown>));
  for (const t of treeFlatten(out as Nested<unknown>)) if (isTensor(t) && !kept.has(t)) t.dispose();
}

/** Runs `layer.forward` with the given weights, state and key, then puts the layer's own back. */
function pureForward(layer: Layer, x: Items, weights: Weights, state: State, rng: PRNGKey | null): Items {
  const oldWeights = layer.weights;
  const oldState = layer.state;
  const oldRng = layer._rng;
  try {
    layer.weights = weights;
    layer.state = state;
    layer._rng = rng;
    return layer.forward(x);
  } finally {
    layer.weights = oldWeights;
    layer.state = oldState;
    layer._rng = oldRng;
  }
}

/**
 * The default `reverseAndGrad`: reconstructs the inputs with `reverse`, then
 * takes the vector-Jacobian product of the forward pass at them.
 */
function reverseThenVjp(
  layer: Layer & Reversible, output: Items, grad: Items, weights: Weights, state: State, newState: State, rng: PRNGKey | null
): ReverseAndGradResult {
  const x = layer.reverse(output, weights, state, newState, rng);
  const [out, [gx, gw]] = vjp(
    ([xs, ws]: [Items, Weights]) => pureForward(layer, xs, ws, state, rng),
    [x, weights] as [Items, Weights],
    grad
  );
  disposeExcept(out, [x, weights]);
  return [x, [gx, gw]];
}

function checkItems(layer: Layer, what: string, xs: unknown, n: number): void {
  const count = Array.isArray(xs) ? xs.length : 1;
  if (count !== n) throw new Error(`${layer.name}.${what} expects ${n} item(s); got ${count}`);
}

// ------------------------------------------------------------ ReversibleLayer

class ReversibleLayerImpl extends Layer implements Reversible {
  static [Symbol.hasInstance](x: unknown): boolean {
    if (this === ReversibleLayerImpl || this === (ReversibleLayer as unknown)) return isReversible(x);
    return Function.prototype[Symbol.hasInstance].call(this, x);
  }

  constructor(options: LayerOptions = {}) {
    super(options);
  }

  /** Computes the inputs of this layer from its outputs; override in subclasses. */
  reverse(output: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null): Items {
    void [output, weights, state, newState, rng];
    throw new Error(`${this.name} does not implement reverse()`);
  }

  /**
   * Reconstructs the inputs from `output` and back-propagates `grad` through
   * the layer: `[x, [xGrad, weightsGrad]]`. The default reverses, then
   * differentiates the forward pass at the reconstructed inputs; subclasses may
   * share work between the two.
   */
  reverseAndGrad(
    output: Items, grad: Items, weights: Weights = [] as unknown as Weights, state: State = [] as unknown as State,
    newState: State = [] as unknown as State, rng: PRNGKey | null = null
  ): ReverseAndGradResult {
    return reverseThenVjp(this, output, grad, weights, state, newState, rng);
  }

  get hasBackward(): boolean {
    return true;
  }

  backward(
    inputs: unknown, output: Items, grad: Items, weights: Weights, state: State, newState: State, rng: PRNGKey
  ): [Items, Weights] {
    void inputs;
    // Runs inside the engine's backward tidy: the reconstructed inputs are freed with it.
    return this.reverseAndGrad(output, grad, weights, state, newState, rng)[1];
  }
}
(ReversibleLayerImpl.prototype as unknown as Record<symbol, unknown>)[REVERSIBLE] = true;

/**
 * Base class of reversible layers: layers that can compute their inputs from
 * their outputs (`reverse`) and so back-propagate without stored activations
 * (`reverseAndGrad`, used as the layer's custom `backward`). Subclass it and
 * implement `forward` and `reverse`.
 *
 * `x instanceof tl.ReversibleLayer` is true for every reversible layer,
 * {@link ReversibleSerial} included.
 *
 * @example
 * ```ts
 * class Double extends tl.ReversibleLayer {
 *   forward(x: tf.Tensor) { return x.mul(2); }
 *   reverse(y: tf.Tensor) { return y.div(2); }
 * }
 * new Double().reverse(tf.tensor([4])); // [2]
 * ```
 */
export const ReversibleLayer = callable(ReversibleLayerImpl, "ReversibleLayer", {
  positional: [],
  options: optionKeys<LayerOptions>({
    nIn: true, nOut: true, name: true, sublayersToPrint: true,
  }),
});
export type ReversibleLayer = ReversibleLayerImpl;

// ------------------------------------------------- ReversibleConcatenatePair

class ReversibleConcatenatePairLayer extends ReversibleLayerImpl {
  constructor() {
    super({ nIn: 2, nOut: 2, name: "ReversibleConcatenatePair" });
  }

  forward([x, y]: tf.Tensor[]): tf.Tensor[] {
    if (x.shape[x.rank - 1] !== y.shape[y.rank - 1]) {
      throw new Error(
        `ReversibleConcatenatePair needs inputs with the same last axis, to be split again; got [${x.shape}] and [${y.shape}]`
      );
    }
    const r = tf.concat([x, y], -1);
    return [r, r];
  }

  reverse(outputs: Items): Items {
    checkItems(this, "reverse", outputs, 2);
    const [pair] = outputs as tf.Tensor[];
    return tf.split(pair, 2, -1);
  }
}

/**
 * Maps `(x, y)` to `([x, y], [x, y])`, where `[x, y]` is the concatenation on
 * the last axis; reversed by splitting the first output in two halves.
 *
 * Inputs `(..., d)`, `(..., d)`; outputs `(..., 2d)`, `(..., 2d)`.
 *
 * @example
 * ```ts
 * const [a, b] = tl.ReversibleConcatenatePair()([tf.ones([1, 2]), tf.zeros([1, 2])]); // a = b = [[1, 1, 0, 0]]
 * ```
 */
export const ReversibleConcatenatePair = callable(ReversibleConcatenatePairLayer, "ReversibleConcatenatePair", {
  positional: [],
  options: [],
});
export type ReversibleConcatenatePair = ReversibleConcatenatePairLayer;

// ---------------------------------------------------------- ReversibleSelect

/** Options of {@link ReversibleSelect}. */
export interface ReversibleSelectOptions {
  /** Number of inputs (default `max(indices) + 1`). */
  nIn?: number;
  /** Layer name (default `ReversibleSelect[i,j,...]`). */
  name?: string;
}

class ReversibleSelectLayer extends ReversibleLayerImpl {
  /** @internal */ _indices: number[];
  /** @internal */ _reverseIndices: number[];

  constructor(indices: readonly number[], options: ReversibleSelectOptions = {}) {
    if (!Array.isArray(indices) || indices.length === 0 || !indices.every((i) => Number.isInteger(i) && i >= 0)) {
      throw new Error(`ReversibleSelect needs a non-empty array of non-negative integer indices; got ${JSON.stringify(indices)}`);
    }
    const nIn = options.nIn ?? Math.max(...indices) + 1;
    super({ nIn, nOut: indices.length, name: options.name ?? `ReversibleSelect[${indices.join(",")}]` });
    this._indices = [...indices];
    this._reverseIndices = [];
    for (let i = 0; i < nIn; i++) {
      const at = indices.indexOf(i);
      if (at < 0) {
        throw new Error(`To be reversible, all inputs to Select must be in indices. Did not find ${i} in indices.`);
      }
      this._reverseIndices.push(at);
    }
    const bad = indices.find((i) => i >= nIn);
    if (bad !== undefined) throw new Error(`ReversibleSelect: index ${bad} is out of range for nIn = ${nIn}`);
  }

  forward(inputs: Items): Items {
    const xs = makeTuple(inputs);
    const selected = this._indices.map((i) => xs[i]);
    return selected.length === 1 ? selected[0] : selected;
  }

  reverse(outputs: Items): Items {
    checkItems(this, "reverse", outputs, this.nOut);
    const ys = makeTuple(outputs);
    const selected = this._reverseIndices.map((i) => ys[i]);
    return selected.length === 1 ? selected[0] : selected;
  }
}

/**
 * The reversible version of {@link Select}: a permutation of the top `nIn`
 * stack items (every input must be selected, or the layer could not be
 * reversed). Reversal applies the inverse permutation.
 *
 * @example
 * ```ts
 * tl.ReversibleSelect([2, 0, 1])([a, b, c]); // [c, a, b]
 * ```
 */
export const ReversibleSelect = callable(ReversibleSelectLayer, "ReversibleSelect", {
  positional: ["indices"],
  options: optionKeys<ReversibleSelectOptions>({
    nIn: true, name: true,
  }),
});
export type ReversibleSelect = ReversibleSelectLayer;

/**
 * Swaps the top two stack items, reversibly: `ReversibleSelect([1, 0])`.
 *
 * @example
 * ```ts
 * tl.toList(tl.ReversibleSwap()([tf.tensor([1, 2]), tf.tensor([10, 20])])); // [[10, 20], [1, 2]]
 * ```
 */
export const ReversibleSwap = withArgs("ReversibleSwap", {
  positional: [],
  options: [],
}, function ReversibleSwap(): ReversibleSelect {
  return ReversibleSelect([1, 0], { name: "ReversibleSwap" });
});

// --------------------------------------------------------- ReversibleReshape

/** Options of {@link ReversibleReshape}. */
export interface ReversibleReshapeOptions {
  /** Number of inputs (each reshaped the same way; default 1). */
  nIn?: number;
}

function reshapeLeading(x: tf.Tensor, from: readonly number[], to: readonly number[], layer: string): tf.Tensor {
  const lead = x.shape.slice(0, from.length);
  const known = from.every((d, i) => d === -1 || d === lead[i]);
  if (x.rank < from.length || !known) {
    throw new Error(`${layer}: expected leading axes [${from}]; got an input of shape [${x.shape}]`);
  }
  return x.reshape([...to, ...x.shape.slice(from.length)]);
}

class ReversibleReshapeLayer extends ReversibleLayerImpl {
  /** @internal */ _shape1: number[];
  /** @internal */ _shape2: number[];

  constructor(shape1: readonly number[], shape2: readonly number[], options: ReversibleReshapeOptions = {}) {
    const nIn = options.nIn ?? 1;
    super({ nIn, nOut: nIn, name: `ReversibleReshape_[${shape1.join(", ")}]_[${shape2.join(", ")}]` });
    this._shape1 = [...shape1];
    this._shape2 = [...shape2];
  }

  forward(inputs: Items): Items {
    const res = makeTuple(inputs).map((x) => reshapeLeading(x, this._shape1, this._shape2, this.name));
    return res.length === 1 ? res[0] : res;
  }

  reverse(outputs: Items): Items {
    checkItems(this, "reverse", outputs, this.nOut);
    const res = makeTuple(outputs).map((x) => reshapeLeading(x, this._shape2, this._shape1, this.name));
    return res.length === 1 ? res[0] : res;
  }
}

/**
 * Reshapes the leading axes of each input from `shape1` to `shape2` (the
 * remaining axes are kept); reversed by reshaping back. `-1` may stand for one
 * axis, as in `reshape`.
 *
 * Input `(*shape1, ...rest)`; output `(*shape2, ...rest)`.
 *
 * @example
 * ```ts
 * tl.ReversibleReshape([2, 3], [6])(tf.zeros([2, 3, 4])).shape; // [6, 4]
 * ```
 */
export const ReversibleReshape = callable(ReversibleReshapeLayer, "ReversibleReshape", {
  positional: ["shape1", "shape2"],
  options: optionKeys<ReversibleReshapeOptions>({
    nIn: true,
  }),
});
export type ReversibleReshape = ReversibleReshapeLayer;

// ------------------------------------------------------ ReversiblePrintShape

/** Options of {@link ReversiblePrintShape}. */
export interface ReversiblePrintShapeOptions {
  /** Number of inputs (default 1). */
  nIn?: number;
  /** Message printed before the shapes (default ""). */
  msg?: string;
}

/** A shape as Python prints a tuple: `(2, 3)`, `(5,)`, `()`. */
function pythonShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

class ReversiblePrintShapeLayer extends ReversibleLayerImpl {
  /** @internal */ _msg: string;

  constructor(options: ReversiblePrintShapeOptions = {}) {
    const nIn = options.nIn ?? 1;
    super({ nIn, nOut: nIn, name: "ReversiblePrintShape" });
    this._msg = options.msg ?? "";
  }

  forward(xs: Items): Items {
    if (inAbstractEvaluation()) return xs; // shapes only: print once per real call
    const shapes = makeTuple(xs).map((x) => `${pythonShape(x.shape)}[${x.dtype}]`).join(", ");
    console.log(`PrintShape: ${this._msg}: [${shapes}]`);
    return xs;
  }

  reverse(outputs: Items): Items {
    checkItems(this, "reverse", outputs, this.nOut);
    return outputs;
  }
}

/**
 * Prints the shapes and dtypes of its inputs (like {@link PrintShape}) and
 * passes them on unchanged; the identity in reverse. For debugging
 * reversible models.
 *
 * Prints `PrintShape: <msg>: [(2, 3)[float32], ...]` to stdout.
 *
 * @example
 * ```ts
 * tl.ReversiblePrintShape({ msg: "block" })(tf.zeros([2, 3])); // prints "PrintShape: block: [(2, 3)[float32]]"
 * ```
 */
export const ReversiblePrintShape = callable(ReversiblePrintShapeLayer, "ReversiblePrintShape", {
  positional: [],
  options: optionKeys<ReversiblePrintShapeOptions>({
    nIn: true, msg: true,
  }),
});
export type ReversiblePrintShape = ReversiblePrintShapeLayer;

// ---------------------------------------------------------- ReversibleSerial

class ReversibleSerialLayer extends Serial implements Reversible {
  constructor(...layers: LayerArg[]) {
    super(...layers);
    this.sublayers.forEach((layer, i) => {
      if (!isReversible(layer)) {
        throw new Error(`Sub-layer ${i} of ReversibleSerial is not reversible: ${layer.name}`);
      }
    });
    if (this.sublayers.length === 0) renameLayer(this, "ReversibleSerial");
  }

  /**
   * Serial's forward, freeing each intermediate stack as soon as the next
   * sublayer has replaced it: the forward of a reversible stack runs under
   * its custom gradient (nothing is taped), and the backward reconstructs
   * what it needs, so memory stays one block's however deep the stack.
   */
  forward(xs: unknown): any {
    const subs = this._sublayers;
    if (subs.length === 0) return xs;
    const weights = this.weights as Weights[];
    const state = this.state as State[];
    const owned = new Set(tensorsIn([xs, weights, state]));
    const rngs = random.split(this.rng, subs.length);
    let stack = xs;
    const newState: State[] = [];
    let changed = false;
    for (let i = 0; i < subs.length; i++) {
      const layer = subs[i];
      const inputs = inputsFromStack(stack, layer.nIn);
      const [outputs, s] = layer.pureFn(inputs, weights[i], state[i], rngs[i], true);
      const superseded = tensorsIn(stack);
      stack = outputsOntoStack(outputs as unknown, stack, layer.nIn);
      newState.push(s);
      if (s !== state[i]) changed = true;
      const live = new Set(tensorsIn([stack, newState]));
      for (const t of superseded) if (!live.has(t) && !owned.has(t)) t.dispose();
      
    }
    if (changed) this.state = newState;
    return stack;
  }

  /** The sublayers with their weights, states and keys, for a pass in reverse. */
  private reverseArgs(weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null) {
    const n = this.sublayers.length;
    return {
      subs: this.sublayers as (Layer & Reversible)[],
      ws: (weights ?? this.weights) as Weights[],
      ss: (state ?? this.state) as State[],
      ns: (newState ?? this.state) as State[],
      rngs: rng ? random.split(rng, n) : (new Array(n).fill(null) as (PRNGKey | null)[]),
    };
  }

  reverse(output: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null): Items {
    const { subs, ws, ss, ns, rngs } = this.reverseArgs(weights, state, newState, rng);
    let stack: Items = output;
    for (let i = subs.length - 1; i >= 0; i--) {
      const layer = subs[i];
      const val = inputsFromStack(stack, layer.nOut) as Items;
      const rev = layer.reverse(val, ws[i], ss[i], ns[i], rngs[i]);
      stack = outputsOntoStack(rev, stack, layer.nOut) as Items;
    }
    return stack;
  }

  reverseAndGrad(
    output: Items, grad: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null
  ): ReverseAndGradResult {
    const { subs, ws, ss, ns, rngs } = this.reverseArgs(weights, state, newState, rng);
    // What the caller owns is never freed here: outputs, cotangents, weights and states.
    const owned = new Set(tensorsIn([output, grad, ws, ss, ns]));
    let stack: Items = output;
    let stackGrad: Items = grad;
    const weightsGrad: Weights[] = [];
    for (let i = subs.length - 1; i >= 0; i--) {
      const layer = subs[i];
      const val = inputsFromStack(stack, layer.nOut) as Items;
      const ct = inputsFromStack(stackGrad, layer.nOut) as Items;
      const [x, [xCt, wCt]] = layer.reverseAndGrad(val, ct, ws[i], ss[i], ns[i], rngs[i]);
      weightsGrad.unshift(wCt);
      const superseded = tensorsIn([stack, stackGrad]);
      stack = outputsOntoStack(x, stack, layer.nOut) as Items;
      stackGrad = outputsOntoStack(xCt, stackGrad, layer.nOut) as Items;
      // Free the reconstructed activations and cotangents this step replaced, so
      // memory stays that of one block however deep the stack (Trax's promise).
      const live = new Set(tensorsIn([stack, stackGrad, weightsGrad]));
      for (const t of superseded) if (!live.has(t) && !owned.has(t)) t.dispose();
    }
    return [stack, [stackGrad, weightsGrad as unknown as Weights]];
  }

  get hasBackward(): boolean {
    return true;
  }

  backward(
    inputs: unknown, output: Items, grad: Items, weights: Weights, state: State, newState: State, rng: PRNGKey
  ): [Items, Weights] {
    return ReversibleLayerImpl.prototype.backward.call(this as unknown as ReversibleLayerImpl, inputs, output, grad, weights, state, newState, rng);
  }
}
(ReversibleSerialLayer.prototype as unknown as Record<symbol, unknown>)[REVERSIBLE] = true;

/**
 * A {@link Serial} of reversible layers that is itself reversible: `reverse`
 * runs the sublayers' `reverse` from last to first, and the backward pass
 * reconstructs each sublayer's inputs from its outputs instead of storing
 * them. Every sublayer must be reversible.
 *
 * @example
 * ```ts
 * const block = tl.ReversibleSerial(
 *   tl.ReversibleHalfResidual(tl.Dense(4)), tl.ReversibleSwap(),
 *   tl.ReversibleHalfResidual(tl.Dense(4)), tl.ReversibleSwap());
 * const [y1, y2] = block([tf.ones([2, 4]), tf.ones([2, 4])]);
 * block.reverse([y1, y2]); // [x1, x2] again
 * ```
 */
export const ReversibleSerial = callable(ReversibleSerialLayer, "ReversibleSerial", { rest: true, options: [] });
export type ReversibleSerial = ReversibleSerialLayer;

// ---------------------------------------------------- ReversibleHalfResidual

/** Options of {@link ReversibleHalfResidual}. */
export interface ReversibleHalfResidualOptions {
  /**
   * A layer applied after the residual layers to compute the residual (in
   * Trax an efficient attention layer); `null` for none (default).
   */
  attentionLayer?: Layer | null;
  /** Layer name (default `ReversibleHalfResidual`). */
  name?: string;
}

class ReversibleHalfResidualLayer extends ReversibleLayerImpl {
  /** @internal */ _computeResidual: Layer;
  /** @internal */ _attentionLayer: Layer | null;

  constructor(...args: (LayerArg | ReversibleHalfResidualOptions)[]) {
    const [layers, options] = splitArgs<ReversibleHalfResidualOptions>(args);
    super({ name: options.name ?? "ReversibleHalfResidual" });
    this._computeResidual = Serial(...layers);
    this._attentionLayer = options.attentionLayer ?? null;
    this._sublayers = this._attentionLayer ? [this._computeResidual, this._attentionLayer] : [this._computeResidual];
    this._weights = this._sublayers.map(() => null);
    this._state = this._sublayers.map(() => null);
    let runningMax = 0;
    let runningTotal = 0;
    for (const layer of this._sublayers) {
      runningTotal += layer.nIn;
      runningMax = Math.max(runningMax, runningTotal);
      runningTotal -= layer.nOut;
    }
    this._nIn = this._nOut = runningMax + 1;
  }

  /** The residual: the sublayers run as a stack machine over the context. */
  private residual(
    context: tf.Tensor[], weights: Weights[], state: State[], rngs: PRNGKey[], useCache = false
  ): [tf.Tensor, State[]] {
    let stack: Items = context.length === 1 ? context[0] : context;
    const newState: State[] = [];
    this._sublayers.forEach((layer, i) => {
      const inputs = inputsFromStack(stack, layer.nIn);
      const [outputs, s] = layer.pureFn(inputs, weights[i], state[i], rngs[i], useCache);
      stack = outputsOntoStack(outputs as Items, stack, layer.nIn) as Items;
      newState.push(s);
    });
    const residual = Array.isArray(stack) ? stack[0] : stack;
    return [residual, newState];
  }

  forward(xs: tf.Tensor[]): tf.Tensor[] {
    const [accumulator, ...context] = makeTuple(xs);
    const rngs = random.split(this.rng, this._sublayers.length);
    const [residual, newState] = this.residual(context, this.weights as Weights[], this.state as State[], rngs, true);
    if (!arraysEqual(residual.shape, accumulator.shape)) {
      throw new Error(`ReversibleHalfResidual: the residual has shape [${residual.shape}], the accumulator [${accumulator.shape}]`);
    }
    this.state = newState as unknown as State;
    return [accumulator.add(residual), ...context];
  }

  /** The accumulator, context, weights, states and keys of a pass in reverse. */
  private reverseArgs(output: Items, weights?: Weights, state?: State, rng?: PRNGKey | null) {
    checkItems(this, "reverse", output, this.nOut);
    const [accumulatorOut, ...context] = makeTuple(output);
    return {
      accumulatorOut,
      context,
      ws: (weights ?? this.weights) as Weights[],
      ss: (state ?? this.state) as State[],
      rngs: random.split(rng ?? this.rng, this._sublayers.length),
    };
  }

  /** Reconstructs `accumulator = output - f(context)`; the context passes through. */
  reverse(output: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null): Items {
    void newState;
    const { accumulatorOut, context, ws, ss, rngs } = this.reverseArgs(output, weights, state, rng);
    const accumulator = tf.tidy(() => accumulatorOut.sub(this.residual(context, ws, ss, rngs)[0]));
    return [accumulator, ...context];
  }

  /**
   * Reconstructs the inputs as {@link reverse} does and back-propagates
   * `grad`: the accumulator's gradient passes through, the context's gets the
   * residual's contribution added.
   */
  reverseAndGrad(
    output: Items, grad: Items, weights?: Weights, state?: State, newState?: State, rng?: PRNGKey | null
  ): ReverseAndGradResult {
    void newState;
    const { accumulatorOut, context, ws, ss, rngs } = this.reverseArgs(output, weights, state, rng);
    const [accumulatorCt, ...contextCt] = makeTuple(grad);
    const [residual, [contextGrad, weightsGrad]] = vjp(
      ([c, w]: [tf.Tensor[], Weights[]]) => this.residual(c, w, ss, rngs)[0],
      [context, ws] as [tf.Tensor[], Weights[]],
      accumulatorCt
    );
    const x = [accumulatorOut.sub(residual), ...context];
    residual.dispose();
    const xCt = [accumulatorCt.clone(), ...contextCt.map((ct, i) => ct.add(contextGrad[i]))];
    contextGrad.forEach((g) => g.dispose());
    return [x, [xCt, weightsGrad as unknown as Weights]];
  }

  initWeightsAndState(inputSignature: Signature): void {
    const sigs = makeTuple(inputSignature as ShapeDtype | ShapeDtype[]);
    if (sigs.length !== this.nIn) throw new Error(`${this.name} takes ${this.nIn} inputs; got ${sigs.length}`);
    let stack: ShapeDtype | ShapeDtype[] = sigs.length === 2 ? sigs[1] : sigs.slice(1);
    const weights: Weights[] = [];
    const states: State[] = [];
    for (const layer of this._sublayers) {
      const inputs = inputsFromStack(stack, layer.nIn);
      const [w, s] = layer.init(inputs, { useCache: true });
      const [outputs] = layer.forwardAbstract(inputs as Signature);
      stack = outputsOntoStack(outputs as ShapeDtype | ShapeDtype[], stack, layer.nIn);
      weights.push(w);
      states.push(s);
    }
    const residual = signature(Array.isArray(stack) ? stack[0] : stack) as ShapeDtype;
    if (!arraysEqual(residual.shape, sigs[0].shape)) {
      throw new Error(`ReversibleHalfResidual: the residual would have shape [${residual.shape}], the accumulator has [${sigs[0].shape}]`);
    }
    this.weights = weights as unknown as Weights;
    this.state = states as unknown as State;
  }
}

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Half of a RevNet-style residual: `[accumulator, ...context] ->
 * [accumulator + f(context), ...context]`, where `f` is the `Serial` of the
 * given layers, followed by `attentionLayer` if one is given. Reversed by
 * subtracting `f(context)` again, so it is exactly invertible whatever `f` is.
 * A reversible residual block is two of these with swaps between:
 * `y1 = x1 + f(x2); y2 = x2 + g(y1)`.
 *
 * Inputs `[accumulator, ...context]` (`nIn` = 1 + what `f` takes off the
 * stack); outputs of the same shapes.
 *
 * @example
 * ```ts
 * const half = tl.ReversibleHalfResidual(tl.Dense(3));
 * const [y, x2] = half([tf.zeros([1, 3]), tf.ones([1, 3])]);
 * half.reverse([y, x2]); // [zeros, ones]
 * ```
 */
export const ReversibleHalfResidual = callable(ReversibleHalfResidualLayer, "ReversibleHalfResidual", {
  rest: true,
  options: optionKeys<ReversibleHalfResidualOptions>({
    attentionLayer: true, name: true,
  }),
});
export type ReversibleHalfResidual = ReversibleHalfResidualLayer;
