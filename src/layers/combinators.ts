/**
 * Combinators: layers that organize the computation of their sublayers on
 * the data stack, as `trax.layers.combinators`.
 * @module
 */
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import { isTensor } from "../fastmath/tree";
import { ShapeDtype } from "../shapes";
import type { Signature } from "../shapes";
import { Fn, GET_STATE_FROM_CACHE, Layer, PureLayer } from "./base";
import type { LayerOptions, State, Weights, WeightsView } from "./base";
import { callable } from "./callable";
import { cloneLayer } from "./clone";
import { splitArgs } from "./layer-args";
import type { LayerArg } from "./layer-args";
import { deepFlatten, inputsFromStack, makeSingleItemOrOriginal, makeTuple, outputsOntoStack } from "./stack";
import { isPlainObject, withArgs, optionKeys } from "./arg-check";
import { oneOutput, type BranchOf, type OneOutput, type SerialOf } from "./typed-output";

export { inputsFromStack, outputsOntoStack };

export type { LayerArg };

/** Flattens nested arrays of layers; `Serial(null)` has none. */
function ensureFlat(layers: readonly LayerArg[]): Layer[] {
  const flat = layers.length === 1 && layers[0] === null ? [] : deepFlatten<unknown>(layers);
  for (const obj of flat) {
    if (!(obj instanceof Layer)) {
      throw new TypeError(`Found nonlayer object (${String(obj)}) in layers; every sublayer must be a Layer`);
    }
  }
  return flat as Layer[];
}

function nInputsNOutputs(layers: readonly Layer[]): [number, number] {
  let runningMax = 0;
  let runningTotal = 0;
  for (const layer of layers) {
    runningTotal += layer.nIn;
    runningMax = Math.max(runningMax, runningTotal);
    runningTotal -= layer.nOut;
  }
  return [runningMax, runningMax - runningTotal];
}

// ------------------------------------------------------------------- Serial

/** Options of {@link Serial}. */
export interface SerialOptions {
  /** Name to print (default `Serial`). */
  name?: string;
  /** Sublayers to print instead of all. */
  sublayersToPrint?: Layer[] | null;
}

class SerialLayer extends Layer {
  constructor(...args: (LayerArg | SerialOptions)[]) {
    const [layers, options] = splitArgs<SerialOptions>(args);
    super({ name: options.name, sublayersToPrint: options.sublayersToPrint ?? null });
    const sublayers = ensureFlat(layers);
    this._sublayers = sublayers;
    if (sublayers.length > 0) {
      [this._nIn, this._nOut] = nInputsNOutputs(sublayers);
      this._weights = sublayers.map(() => null);
      this._state = sublayers.map(() => null);
    }
  }

  get acceptsLongerStack(): boolean {
    return true;
  }

  validateInputs(xs: unknown): void {
    if (!Array.isArray(xs) && this._nIn !== 1) {
      throw new TypeError(`Serial.forward input must be an array of ${this._nIn} tensors; got one tensor.`);
    }
    const n = Array.isArray(xs) ? xs.length : 1;
    if (n < this._nIn) {
      throw new Error(`Number of inputs (${n}) to Serial.forward less than nIn (${this._nIn}).`);
    }
  }

  forward(xs: unknown): any {
    const subs = this._sublayers;
    if (subs.length === 0) return xs;
    const weights = this.weights as Weights[];
    const rngs = random.splitShared(this.rng, subs.length);
    let stack = xs;
    // Each sublayer keeps its new state (`useCache`), and this layer's state is read through
    // its sublayers: nothing to write back.
    for (let i = 0; i < subs.length; i++) {
      const layer = subs[i];
      const inputs = inputsFromStack(stack, layer._nIn);
      const [outputs] = layer.pureFn(inputs, weights[i], this.sublayerState(i) as State, rngs[i], true);
      stack = outputsOntoStack(outputs as unknown, stack, layer._nIn);
    }
    return stack;
  }

  initWeightsAndState(inputSignature: Signature): void {
    const weights: Weights[] = [];
    const states: State[] = [];
    let stack: unknown = inputSignature;
    for (const sublayer of this._sublayers) {
      const inputs = inputsFromStack(stack, sublayer.nIn);
      const [w, s] = sublayer.init(inputs, { useCache: true });
      const [outputs] = sublayer.forwardAbstract(inputs as Signature);
      stack = outputsOntoStack(outputs as unknown, stack, sublayer.nIn);
      weights.push(w);
      states.push(s);
    }
    this.state = states;
    this.weights = weights;
  }
}

/**
 * Applies layers serially (function composition) on the data stack: each
 * sublayer takes its `nIn` items off the top and pushes its `nOut` outputs.
 * With no sublayers it is a 1-in 1-out no-op. Nested arrays are flattened.
 *
 * @example
 * ```ts
 * const mlp = tl.Serial(tl.Dense(128), tl.Relu(), tl.Dense(10));
 * mlp(tf.zeros([4, 784])).shape; // [4, 10]
 * ```
 */
export const Serial = callable(SerialLayer, "Serial", {
  rest: true,
  options: optionKeys<SerialOptions>({
    name: true, sublayersToPrint: true,
  }),
}) as typeof SerialLayer &
  (<A extends (LayerArg | SerialOptions)[]>(...args: A) => SerialOf<A, SerialLayer>);
export type Serial = SerialLayer;

// ----------------------------------------------------------------- Parallel

/** Options of {@link Parallel}. */
export interface ParallelOptions {
  /** Name to print (default `Parallel`). */
  name?: string;
}

class ParallelLayer extends Layer {
  constructor(...args: (LayerArg | ParallelOptions)[]) {
    const [layers, options] = splitArgs<ParallelOptions>(args);
    super({ name: options.name });
    if (layers.length < 2) {
      throw new Error(`Parallel needs at least two sublayers (null for a no-op); got ${layers.length}`);
    }
    const subs = layers.map((obj) => {
      let layer: Layer;
      if (obj === null || (Array.isArray(obj) && obj.length === 0)) layer = new SerialLayer(null);
      else if (Array.isArray(obj)) layer = new SerialLayer(...(obj as LayerArg[]));
      else if (obj instanceof Layer) layer = obj;
      else throw new TypeError(`Found nonlayer object (${String(obj)}) in Parallel's sublayers`);
      if (layer.nIn === 0) throw new Error(`Sublayer with nIn = 0 not allowed in Parallel: ${layer}`);
      return layer;
    });
    this._sublayers = subs;
    this._nIn = subs.reduce((a, l) => a + l.nIn, 0);
    this._nOut = subs.reduce((a, l) => a + l.nOut, 0);
    this._weights = subs.map(() => null);
    this._state = subs.map(() => null);
  }

  /** Hands each sublayer its slice of the inputs. */
  allotToSublayers<T>(inputs: readonly T[]): (T | T[])[] {
    let start = 0;
    return this._sublayers.map((layer) => {
      const end = start + layer.nIn;
      const part = layer.nIn === 1 ? inputs[start] : inputs.slice(start, end);
      start = end;
      return part;
    });
  }

  forward(inputs: tf.Tensor[]): any {
    const subs = this._sublayers;
    const parts = this.allotToSublayers(inputs);
    const weights = this.weights as Weights[];
    const rngs = random.split(this.rng, subs.length);
    const outputs: tf.Tensor[] = [];
    // Each sublayer keeps its new state (`useCache`): nothing to write back (see Serial).
    subs.forEach((layer, i) => {
      const [out] = layer.pureFn(parts[i], weights[i], this.sublayerState(i) as State, rngs[i], true);
      if (layer.nOut === 1) outputs.push(out as tf.Tensor);
      else outputs.push(...(out as tf.Tensor[]));
    });
    return this._nOut === 1 ? outputs[0] : outputs;
  }

  initWeightsAndState(inputSignature: Signature): void {
    const parts = this.allotToSublayers(inputSignature as readonly Signature[]);
    const inits = this._sublayers.map((layer, i) => layer.init(parts[i], { useCache: true }));
    this.state = inits.map((x) => x[1]);
    this.weights = inits.map((x) => x[0]);
  }
}

/**
 * Applies sublayers side by side, each to its own slice of the stack; `null`
 * (or `[]`) is a 1-in 1-out no-op, an array is a Serial.
 *
 * @example
 * ```ts
 * const p = tl.Parallel(tl.Dense(3), null); // nIn = 2, nOut = 2
 * const [a, b] = p([tf.zeros([1, 4]), tf.ones([1, 2])]);
 * ```
 */
export const Parallel = callable(ParallelLayer, "Parallel", {
  rest: true,
  options: optionKeys<ParallelOptions>({
    name: true,
  }),
});
export type Parallel = ParallelLayer;

// ------------------------------------------------------- Concatenate, Split

/** Options of {@link Concatenate}. */
export interface ConcatenateOptions {
  /** Number of tensors to concatenate (default 2). */
  nItems?: number;
  /** Axis to concatenate along (default -1). */
  axis?: number;
}

class ConcatenateLayer extends Layer {
  /** @internal */ _axis: number;

  constructor(options: ConcatenateOptions = {}) {
    const axis = options.axis ?? -1;
    super({ nIn: options.nItems ?? 2, name: axis === -1 ? "Concatenate" : `Concatenate_axis${axis}` });
    this._axis = axis;
  }

  forward(xs: tf.Tensor[]): tf.Tensor {
    const rank = xs[0].rank;
    for (const x of xs) {
      if (x.rank !== rank) throw new Error(`Concatenate: all inputs need the same rank; got shapes ${xs.map((t) => `[${t.shape}]`).join(", ")}`);
    }
    const axis = this._axis < 0 ? this._axis + rank : this._axis;
    xs.forEach((x) => {
      x.shape.forEach((d, i) => {
        if (i !== axis && d !== xs[0].shape[i]) {
          throw new Error(`Concatenate on axis ${this._axis}: shapes ${xs.map((t) => `[${t.shape}]`).join(", ")} differ on axis ${i}`);
        }
      });
    });
    return tf.concat(xs, axis);
  }
}

/**
 * Concatenates `nItems` tensors along `axis`.
 *
 * @example
 * ```ts
 * tl.Concatenate()([tf.ones([2, 3]), tf.zeros([2, 1])]).shape; // [2, 4]
 * ```
 */
export const Concatenate = callable(ConcatenateLayer, "Concatenate", {
  positional: [],
  options: optionKeys<ConcatenateOptions>({
    nItems: true, axis: true,
  }),
});
export type Concatenate = ConcatenateLayer;

/** Options of {@link Split}. */
export interface SplitOptions {
  /** Number of equal parts (default 2). */
  nItems?: number;
  /** Axis to split (default -1). */
  axis?: number;
}

class SplitLayer extends Layer {
  /** @internal */ _nItems: number;
  /** @internal */ _axis: number;

  constructor(options: SplitOptions = {}) {
    super({ nOut: options.nItems ?? 2 });
    this._nItems = options.nItems ?? 2;
    this._axis = options.axis ?? -1;
  }

  forward(x: tf.Tensor): tf.Tensor[] {
    const axis = this._axis < 0 ? this._axis + x.rank : this._axis;
    if (x.shape[axis] % this._nItems !== 0) {
      throw new Error(`Split: axis ${this._axis} of size ${x.shape[axis]} does not divide into ${this._nItems} equal parts`);
    }
    return tf.split(x, this._nItems, axis);
  }
}

/**
 * Splits a tensor into `nItems` equal parts along `axis`.
 *
 * @example
 * ```ts
 * const [a, b] = tl.Split()(tf.ones([2, 4])); // two (2, 2) tensors
 * ```
 */
export const Split = callable(SplitLayer, "Split", {
  positional: [],
  options: optionKeys<SplitOptions>({
    nItems: true, axis: true,
  }),
});
export type Split = SplitLayer;

// --------------------------------------------------------------------- Scan

/** Options of {@link Scan}. */
export interface ScanOptions {
  /** Axis to scan over (default 0). */
  axis?: number;
  /** Number of carried values at the top of the stack (default 1). */
  nCarry?: number;
  /**
   * Recompute in the backward pass. Accepted for Trax compatibility and has
   * no effect: Trax's `remat` only saves memory (the same numbers), and
   * tfjs's gradient keeps every step's activations.
   */
  remat?: boolean;
  /** `train`, `eval` or `predict` (predict keeps the carry between calls). */
  mode?: string;
}

function shapeWithoutAxis(sig: ShapeDtype, axis: number): ShapeDtype {
  const a = axis < 0 ? axis + sig.shape.length : axis;
  return new ShapeDtype(sig.shape.filter((_, i) => i !== a), sig.dtype);
}

class ScanLayer extends Layer {
  /** @internal */ _nCarry: number;
  /** @internal */ _axis: number;
  /** @internal */ _remat: boolean;
  /** @internal */ _mode: string;

  constructor(layer: Layer, options: ScanOptions = {}) {
    super({ nIn: layer.nIn, nOut: layer.nOut });
    this._sublayers = [layer];
    this._nCarry = options.nCarry ?? 1;
    this._axis = options.axis ?? 0;
    this._remat = options.remat ?? false;
    this._mode = options.mode ?? "train";
    this._weights = [null];
    this._state = [null, []];
  }

  /** The scanned layer. */
  get sublayer(): Layer {
    return this._sublayers[0];
  }

  get state(): WeightsView {
    return [this.sublayer.state, (this._state as unknown[])[1]] as unknown as WeightsView;
  }

  set state(state: State) {
    if (state === GET_STATE_FROM_CACHE) return;
    const s = state as State[];
    this._state = [null, s[1]];
    this.sublayer.state = s[0];
  }

  forward(inputs: unknown): any {
    const weights = (this.weights as Weights[])[0];
    const nCarry = this._nCarry;
    const all = makeTuple(inputs as tf.Tensor | tf.Tensor[]);
    let xs = nCarry > 0 ? all.slice(0, all.length - nCarry) : all;
    let carry = nCarry > 0 ? all.slice(all.length - nCarry) : [];
    const savedCarry = (this._state as unknown[])[1] as tf.Tensor[];
    if (this._mode === "predict" && nCarry > 0 && Array.isArray(savedCarry) && savedCarry.length > 0) carry = savedCarry;
    const axis = this._axis;
    if (xs.length === 0) throw new Error("Scan needs at least one input to scan over");
    const ax = (t: tf.Tensor) => (axis < 0 ? axis + t.rank : axis);
    const length = xs[0].shape[ax(xs[0])];
    for (const x of xs) {
      if (x.shape[ax(x)] !== length) throw new Error(`Scan: inputs differ in length along axis ${axis}: ${xs.map((t) => `[${t.shape}]`).join(", ")}`);
    }
    if (length === 0) {
      throw new Error(`Scan: the sequence is empty (length 0 along axis ${axis} of [${xs[0].shape}]); there must be at least one step to scan over`);
    }
    const carried = carry === savedCarry && this._mode === "predict";
    if (carried && ax(xs[0]) !== 0 && carry[0].rank > 0 && carry[0].shape[0] !== xs[0].shape[0]) {
      throw new Error(
        `Scan (predict mode): the batch size changed from ${carry[0].shape[0]} to ${xs[0].shape[0]} since the previous call; ` +
          `the state kept for decoding belongs to the old batch. To decode another batch size, make a new predict-mode layer and give it these weights (\`fresh.weights = layer.weights\`)`
      );
    }
    const slices = xs.map((x) => tf.unstack(x, ax(x)));
    xs = [];
    let layerState = (this.state as State[])[0];
    const ys: tf.Tensor[][] = [];
    for (let i = 0; i < length; i++) {
      const xAndCarry = [...slices.map((s) => s[i]), ...carry];
      const rng = random.foldIn(this.rng, i);
      const [res, newState] = this.sublayer.pureFn(makeSingleItemOrOriginal(xAndCarry), weights, layerState, rng, true);
      const out = makeTuple(res as tf.Tensor | tf.Tensor[]);
      ys.push(out.slice(0, out.length - nCarry));
      carry = out.slice(out.length - nCarry);
      layerState = newState;
    }
    const nYs = ys.length > 0 ? ys[0].length : 0;
    const stacked: tf.Tensor[] = [];
    for (let k = 0; k < nYs; k++) {
      const parts = ys.map((y) => y[k]);
      stacked.push(tf.stack(parts, axis < 0 ? axis + parts[0].rank + 1 : axis));
    }
    const stateCarry = this._mode === "predict" && nCarry > 0 ? carry : [];
    this.state = [layerState, stateCarry] as State;
    return makeSingleItemOrOriginal([...stacked, ...carry]);
  }

  initWeightsAndState(inputSignature: Signature): void {
    const nCarry = this._nCarry;
    const sigs = makeTuple(inputSignature as ShapeDtype | ShapeDtype[]);
    let weights: Weights;
    let state: State;
    if (nCarry === 0) {
      const layerSig = sigs.map((s) => shapeWithoutAxis(s, this._axis));
      [weights, state] = this.sublayer.init(makeSingleItemOrOriginal(layerSig));
    } else {
      const xs = sigs.slice(0, sigs.length - nCarry).map((s) => shapeWithoutAxis(s, this._axis));
      const init = sigs.slice(sigs.length - nCarry);
      [weights, state] = this.sublayer.init(makeSingleItemOrOriginal([...xs, ...init]), { useCache: true });
    }
    this.state = [state, []] as State;
    this.weights = [weights];
  }
}

/**
 * Applies a layer progressively along an axis, carrying `nCarry` values from
 * step to step (the carry is at the top of the stack; outputs first, carry last).
 *
 * @example
 * ```ts
 * // running sum over axis 0, carry of shape (2,)
 * const cumsum = tl.Scan(tl.Fn("Step", (x, c) => [x.add(c), x.add(c)], { nOut: 2 }));
 * const [ys, last] = cumsum([tf.ones([3, 2]), tf.zeros([2])]); // ys [[1,1],[2,2],[3,3]]
 * ```
 */
export const Scan = callable(ScanLayer, "Scan", {
  positional: ["layer"],
  options: optionKeys<ScanOptions>({
    axis: true, nCarry: true, remat: true, mode: true,
  }),
});
export type Scan = ScanLayer;

// --------------------------------------------------------------------- Cond

/** Options of {@link Cond}. */
export interface CondOptions {
  /** Layer run when the condition is false (default `null`: identity), Trax's `false`. */
  false?: Layer | null;
  /** Name to print (default `Cond`). */
  name?: string;
}

class CondLayer extends Layer {
  /** @internal */ _identityFalse: boolean;

  constructor(cond: Layer, trueLayer: Layer, falseOrOptions: Layer | null | CondOptions = null, options: CondOptions = {}) {
    if (isPlainObject(falseOrOptions)) [falseOrOptions, options] = [null, falseOrOptions];
    if (options.false !== undefined && falseOrOptions !== null) {
      throw new TypeError("Cond() got the false layer twice (as an argument and as the option 'false')");
    }
    const falseLayer = options.false ?? (falseOrOptions as Layer | null);
    super({ name: options.name });
    this._identityFalse = falseLayer === null;
    const falseL = falseLayer ?? new SerialLayer();
    if (cond.nOut !== 1) throw new Error(`cond.nOut must be 1: cond:${cond.nIn}->${cond.nOut}`);
    if (trueLayer.nIn !== falseL.nIn) {
      throw new Error(`true.nIn and false.nIn must be equal: true:${trueLayer.nIn}->${trueLayer.nOut} ; false:${falseL.nIn}->${falseL.nOut}`);
    }
    if (trueLayer.nOut !== falseL.nOut) {
      throw new Error(`true.nOut and false.nOut must be equal: true:${trueLayer.nIn}->${trueLayer.nOut} ; false:${falseL.nIn}->${falseL.nOut}`);
    }
    this._sublayers = [cond, trueLayer, falseL];
    this._nIn = cond.nIn + trueLayer.nIn;
    this._nOut = trueLayer.nOut;
    this._weights = [null, null, null];
    this._state = [null, null, null];
  }

  validateInputs(xs: unknown): void {
    const n = makeTuple(xs).length;
    if (n < this._nIn) throw new Error(`Number of inputs (${n}) to Cond.forward less than nIn (${this._nIn}).`);
  }

  forward(xs: unknown): any {
    const [cond, trueL, falseL] = this._sublayers;
    const rngs = random.split(this.rng, 3);
    const weights = this.weights as Weights[];
    const state = this.state as State[];
    let stack = makeTuple(xs as tf.Tensor | tf.Tensor[]);
    const condInputs = inputsFromStack(stack, cond.nIn);
    const [condOut, s0] = cond.pureFn(condInputs, weights[0], state[0], rngs[0], true);
    if (!isTensor(condOut) || condOut.size !== 1) {
      throw new Error(`Cond: the condition must give one scalar; got ${isTensor(condOut) ? `shape [${condOut.shape}]` : "several outputs"}`);
    }
    const takeTrue = Boolean(condOut.dataSync()[0]);
    stack = makeTuple(outputsOntoStack([], stack, cond.nIn) as tf.Tensor[]);
    const newState = [s0, state[1], state[2]];
    let outputs: unknown;
    if (takeTrue) {
      [outputs, newState[1]] = trueL.pureFn(inputsFromStack(stack, trueL.nIn), weights[1], state[1], rngs[1]);
    } else if (this._identityFalse) {
      outputs = inputsFromStack(stack, trueL.nIn);
    } else {
      [outputs, newState[2]] = falseL.pureFn(inputsFromStack(stack, falseL.nIn), weights[2], state[2], rngs[2]);
    }
    this.state = newState;
    return outputsOntoStack(outputs as tf.Tensor, stack, trueL.nIn);
  }

  initWeightsAndState(inputSignature: Signature): void {
    const [cond, trueL, falseL] = this._sublayers;
    let stack = makeTuple(inputSignature as ShapeDtype | ShapeDtype[]);
    const condInputs = inputsFromStack(stack, cond.nIn);
    const weights: Weights[] = [];
    const states: State[] = [];
    const [w0, s0] = cond.init(condInputs, { useCache: true });
    weights.push(w0);
    states.push(s0);
    cond.forwardAbstract(condInputs as Signature);
    stack = makeTuple(outputsOntoStack([], stack, cond.nIn) as ShapeDtype[]);
    for (const layer of [trueL, falseL]) {
      const [w, s] = layer.init(inputsFromStack(stack, layer.nIn), { useCache: true });
      weights.push(w);
      states.push(s);
    }
    this.state = states;
    this.weights = weights;
  }
}

/**
 * Runs `trueLayer` or the false layer (the option `false`, as Trax names it;
 * default: identity) depending on the scalar output of `cond`, which consumes
 * its inputs from the stack first. The false layer may also be given as a
 * third argument.
 *
 * @example
 * ```ts
 * const isPositive = tl.Fn("IsPositive", (x) => x.sum().greater(0));
 * const c = tl.Cond(isPositive, tl.Negate());  // nIn = 2: cond input, then data
 * const d = tl.Cond(isPositive, tl.Negate(), { false: tl.Exp() });
 * ```
 */
export const Cond = callable(CondLayer, "Cond", {
  positional: ["cond", "trueLayer", "falseLayer?"],
  options: optionKeys<CondOptions>({
    false: true, name: true,
  }),
});
export type Cond = CondLayer;

// ------------------------------------------------------------- compositions

/** Options of {@link Chunk}. */
export interface ChunkOptions {
  /** Run unchunked when the batch does not divide (default true); else fail. */
  passUnchunkable?: boolean;
}

/**
 * Runs a layer on chunks of the batch (axis 0) in sequence, to save memory.
 *
 * @example
 * ```ts
 * tl.Chunk(tl.Dense(8), 2)(tf.ones([6, 4])).shape; // [6, 8], run as 3 chunks of 2
 * ```
 */
export const Chunk = withArgs("Chunk", {
  positional: ["layer", "chunkSize"],
  options: optionKeys<ChunkOptions>({
    passUnchunkable: true,
  }),
}, function Chunk(layer: Layer, chunkSize: number, options: ChunkOptions = {}): Layer {
  if (chunkSize < 1) return layer;
  const passUnchunkable = options.passUnchunkable ?? true;
  const toChunks = (x: tf.Tensor) => {
    const batch = x.shape[0];
    let size = chunkSize;
    let nChunks = Math.floor(batch / size);
    if (batch % size !== 0) {
      if (passUnchunkable) {
        nChunks = 1;
        size = batch;
      } else {
        throw new Error(`Chunk size ${size} must divide batch size ${batch}`);
      }
    }
    return x.reshape([nChunks, size, ...x.shape.slice(1)]);
  };
  const fromChunks = (x: tf.Tensor) => x.reshape([x.shape[0] * (x.shape[1] as number), ...x.shape.slice(2)]);
  const mapAll = (f: (t: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor | tf.Tensor[]) => (Array.isArray(xs) ? xs.map(f) : f(xs));
  return new SerialLayer(
    PureLayer(mapAll(toChunks), { nIn: layer.nIn, nOut: layer.nIn, name: "ReshapeToChunks" }),
    new ScanLayer(layer, { axis: 0, nCarry: 0, remat: true }),
    PureLayer(mapAll(fromChunks), { nIn: layer.nOut, nOut: layer.nOut, name: "ReshapeFromChunks" })
  );
});

/** Options of {@link Branch}. */
export interface BranchOptions {
  /** Name to print (default `Branch`). */
  name?: string;
}

/**
 * Runs layers side by side on copies of the same stack items; each branch
 * takes its `nIn` items from the top. `null` is an identity branch.
 *
 * @example
 * ```ts
 * const [a, b] = tl.Branch(tl.Dense(3), null)(tf.ones([1, 4])); // Dense(x) and x
 * ```
 */
export const Branch = withArgs("Branch", {
  rest: true,
  options: optionKeys<BranchOptions>({
    name: true,
  }),
}, function Branch<A extends (LayerArg | BranchOptions)[]>(...args: A): BranchOf<A, Layer> {
  const [layers, options] = splitArgs<BranchOptions>(args);
  if (layers.length === 1 && layers[0] instanceof Layer) return layers[0] as BranchOf<A, Layer>;
  const parallel = new ParallelLayer(...layers);
  const indices = parallel.sublayers.map((l) => Array.from({ length: l.nIn }, (_, i) => i));
  return new SerialLayer(Select(deepFlatten<number>(indices)), parallel, {
    name: options.name ?? "Branch",
    sublayersToPrint: parallel.sublayers,
  }) as BranchOf<A, Layer>;
});

/** Options of {@link Residual}. */
export interface ResidualOptions {
  /** Layer applied to the input on the shortcut path (default: identity). */
  shortcut?: Layer | null;
}

/**
 * Adds a (series of) layer's output to its input: `x + f(x)`, or
 * `shortcut(x) + f(x)`.
 *
 * @example
 * ```ts
 * const block = tl.Residual(tl.Dense(8), tl.Relu()); // input must have 8 features
 * ```
 */
export const Residual = withArgs("Residual", {
  rest: true,
  options: optionKeys<ResidualOptions>({
    shortcut: true,
  }),
}, function Residual<A extends (LayerArg | ResidualOptions)[]>(...args: A): SerialOf<A, Layer> {
  const [layers, options] = splitArgs<ResidualOptions>(args);
  const flat = ensureFlat(layers);
  const layer = flat.length === 1 ? flat[0] : new SerialLayer(...flat);
  return new SerialLayer(Branch(options.shortcut ?? null, layer), Add()) as SerialOf<A, Layer>;
});

/** Options of {@link Select}. */
export interface SelectOptions {
  /** Number of inputs taken (default: max index + 1). */
  nIn?: number;
  /** Name (default `Select[indices]`). */
  name?: string;
}

/**
 * Copies, reorders or deletes stack items: outputs `inputs[i]` for each index.
 *
 * @example
 * ```ts
 * tl.Select([0, 1, 0], { nIn: 2 }); // (x, y) -> (x, y, x)
 * tl.Select([1]);                    // (x, y) -> y
 * ```
 */
export const Select = withArgs("Select", {
  positional: ["indices"],
  options: optionKeys<SelectOptions>({
    nIn: true, name: true,
  }),
}, function Select(indices: readonly number[], options: SelectOptions = {}): PureLayer {
  if (!Array.isArray(indices) || indices.some((i) => !Number.isInteger(i) || i < 0)) {
    throw new Error(`Select: indices must be non-negative integers, got ${JSON.stringify(indices)}`);
  }
  const nIn = options.nIn ?? (indices.length > 0 ? Math.max(...indices) + 1 : 0);
  const bad = indices.find((i) => i >= nIn);
  if (bad !== undefined) throw new Error(`Select: index ${bad} is out of range for nIn = ${nIn}`);
  const name = options.name ?? `Select[${indices.join(",")}]`;
  return PureLayer(
    (xs: unknown) => {
      const items = makeTuple(xs as tf.Tensor | tf.Tensor[]);
      const selected = indices.map((i) => {
        if (i >= items.length) throw new Error(`Select: index ${i} is out of range for ${items.length} inputs`);
        return items[i];
      });
      return selected.length === 1 ? selected[0] : selected;
    },
    { nIn, nOut: indices.length, name }
  );
});

/**
 * Drops the top stack item.
 *
 * @example
 * ```ts
 * tl.Serial(tl.Drop())([a, b]); // b
 * ```
 */
export const Drop = withArgs("Drop", { positional: [], options: [] }, function Drop(): PureLayer {
  return Fn("Drop", (_x: tf.Tensor) => [], { nOut: 0 });
});

/**
 * Duplicates the top stack item.
 *
 * @example
 * ```ts
 * const [a, b] = tl.Dup()(x); // a === b === x
 * ```
 */
export const Dup = withArgs("Dup", { positional: [], options: [] }, function Dup(): PureLayer {
  return Fn("Dup", (x: tf.Tensor) => [x, x], { nOut: 2 });
});

/**
 * Swaps the top two stack items.
 *
 * @example
 * ```ts
 * const [b, a] = tl.Swap()([a, b]);
 * ```
 */
export const Swap = withArgs("Swap", { positional: [], options: [] }, function Swap(): PureLayer {
  return Fn("Swap", (x0: tf.Tensor, x1: tf.Tensor) => [x1, x0], { nOut: 2 });
});

/** Options of {@link SerialWithSideOutputs}. */
export interface SerialWithSideOutputsOptions {
  /** Side outputs per layer: one number for all, or one per layer (default 1). */
  nSideOutputs?: number | number[];
}

/**
 * Serial where each layer's last `nSideOutputs` outputs are moved below the
 * remaining stack and kept as side outputs.
 *
 * @example
 * ```ts
 * tl.SerialWithSideOutputs([tl.Dup(), tl.Dense(3)]); // returns Dense(x) and the side copy of x
 * ```
 */
export const SerialWithSideOutputs = withArgs("SerialWithSideOutputs", {
  positional: ["layers"],
  options: optionKeys<SerialWithSideOutputsOptions>({
    nSideOutputs: true,
  }),
}, function SerialWithSideOutputs(layers: Layer[], options: SerialWithSideOutputsOptions = {}): Serial {
  const given = options.nSideOutputs ?? 1;
  const nSide = typeof given === "number" ? layers.map(() => given) : given;
  if (nSide.length !== layers.length) throw new Error("SerialWithSideOutputs: one nSideOutputs per layer");
  let runningMax = 0;
  let runningTotal = 0;
  layers.forEach((layer, i) => {
    runningTotal += layer.nIn;
    runningMax = Math.max(runningMax, runningTotal);
    runningTotal -= layer.nOut - nSide[i];
  });
  let curStackSize = runningMax;
  const serialLayers: Layer[] = [];
  layers.forEach((layer, k) => {
    const n = nSide[k];
    serialLayers.push(layer);
    curStackSize += layer.nOut - layer.nIn;
    const moveBack: number[] = [];
    for (let i = 0; i < layer.nOut - n; i++) moveBack.push(i);
    for (let i = 0; i < curStackSize - layer.nOut; i++) moveBack.push(i + layer.nOut);
    for (let i = 0; i < n; i++) moveBack.push(i + layer.nOut - n);
    serialLayers.push(Select(moveBack));
  });
  return new SerialLayer(serialLayers);
});

/**
 * Flattens a (nested) array input into a flat array.
 *
 * @example
 * ```ts
 * tl.FlattenList()([[a, b], [c]]); // [a, b, c]
 * ```
 */
export const FlattenList = withArgs("FlattenList", { positional: [], options: [] }, function FlattenList(): PureLayer {
  return Fn("FlattenList", (x: unknown) => deepFlatten<tf.Tensor>(x));
});

/**
 * Adds the top two stack items, element-wise (broadcasting).
 *
 * @example
 * ```ts
 * tl.Add()([tf.tensor([1, 2]), tf.tensor([10, 20])]); // [11, 22]
 * ```
 */
export const Add = withArgs("Add", { positional: [], options: [] }, function Add(): OneOutput<PureLayer> {
  return oneOutput(Fn("Add", (x0: tf.Tensor, x1: tf.Tensor) => tf.add(x0, x1)));
});

/**
 * Subtracts the top stack item from the second: `x1 - x0`.
 *
 * @example
 * ```ts
 * tl.SubtractTop()([tf.tensor([1]), tf.tensor([10])]); // [9]
 * ```
 */
export const SubtractTop = withArgs("SubtractTop", { positional: [], options: [] }, function SubtractTop(): OneOutput<PureLayer> {
  return oneOutput(Fn("SubtractTop", (x0: tf.Tensor, x1: tf.Tensor) => tf.sub(x1, x0)));
});

/**
 * Multiplies the top two stack items, element-wise.
 *
 * @example
 * ```ts
 * tl.Multiply()([tf.tensor([2]), tf.tensor([5])]); // [10]
 * ```
 */
export const Multiply = withArgs("Multiply", { positional: [], options: [] }, function Multiply(): OneOutput<PureLayer> {
  return oneOutput(Fn("Multiply", (x0: tf.Tensor, x1: tf.Tensor) => tf.mul(x0, x1)));
});

/**
 * Gates with three inputs `(m, g, c)`: `g * m + (1 - g) * c`.
 *
 * @example
 * ```ts
 * tl.Gate()([m, g, c]);
 * ```
 */
export const Gate = withArgs("Gate", { positional: [], options: [] }, function Gate(): PureLayer {
  return Fn("Gate", (m: tf.Tensor, g: tf.Tensor, c: tf.Tensor) => tf.add(tf.mul(g, m), tf.mul(tf.sub(1, g), c)));
});

// -------------------------------------------------------------------- Cache

class CacheLayer extends Layer {
  constructor(layer: Layer) {
    super({ nIn: layer.nIn, nOut: layer.nOut });
    this._sublayers = [layer];
    this._state = [[], []];
  }

  /** The cached layer. */
  get sublayer(): Layer {
    return this._sublayers[0];
  }

  get state(): WeightsView {
    return this._state as WeightsView;
  }

  set state(state: State) {
    if (state === GET_STATE_FROM_CACHE) return;
    this._state = state;
    this.sublayer.state = (state as State[])[1];
  }

  initWeightsAndState(inputSignature: Signature): void {
    const [weights, layerState] = this.sublayer.init(inputSignature, { useCache: true });
    this.state = [[], layerState] as State;
    this._weights = [weights];
  }

  forward(inputs: unknown): any {
    const state = this.state as State[];
    const weights = (this.weights as Weights[])[0];
    if (Array.isArray(state[0]) && state[0].length === 0) {
      const [res, layerState] = this.sublayer.pureFn(inputs, weights, state[1], this.rng);
      this.state = [res, layerState] as unknown as State;
      return res;
    }
    return state[0];
  }
}

/**
 * Runs its layer once and returns the cached result on every later call
 * (the result lives in the state).
 *
 * @example
 * ```ts
 * const c = tl.Cache(tl.Dense(4));
 * c(x1); c(x2); // the second call returns the first result
 * ```
 */
export const Cache = callable(CacheLayer, "Cache", { positional: ["layer"], options: [] });
export type Cache = CacheLayer;

// --------------------------------------------------------- BatchLeadingAxes

/** Options of {@link BatchLeadingAxes}. */
export interface BatchLeadingAxesOptions {
  /** Trailing axes the layer sees; the others are folded into one batch axis (default 1). */
  nLastAxesToKeep?: number;
}

class BatchLeadingAxesLayer extends Layer {
  /** @internal */ _nLastAxesToKeep: number;

  constructor(layer: Layer, options: BatchLeadingAxesOptions = {}) {
    if (layer.nOut !== 1) {
      throw new Error(`BatchLeadingAxes currently only works for layers with nOut = 1, got ${layer.nOut}.`);
    }
    super({ nIn: layer.nIn, nOut: layer.nOut });
    this._sublayers = [layer];
    this._nLastAxesToKeep = options.nLastAxesToKeep ?? 1;
    this._weights = [null];
    this._state = [null];
  }

  /** The wrapped layer. */
  get sublayer(): Layer {
    return this._sublayers[0];
  }

  forward(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const keep = this._nLastAxesToKeep;
    const xs = this._nIn === 1 ? [inputs as tf.Tensor] : (inputs as tf.Tensor[]);
    let batchedAxesShape: number[] = [];
    const newInputs = xs.map((x) => {
      batchedAxesShape = x.shape.slice(0, x.rank - keep);
      return x.reshape([-1, ...x.shape.slice(x.rank - keep)]);
    });
    const [res, layerState] = this.sublayer.pureFn(
      this._nIn === 1 ? newInputs[0] : newInputs, (this.weights as Weights[])[0], (this.state as State[])[0], this.rng
    );
    this.state = [layerState];
    const r = res as tf.Tensor;
    return r.reshape([...batchedAxesShape, ...r.shape.slice(1)]);
  }

  initWeightsAndState(inputSignature: Signature): void {
    const keep = this._nLastAxesToKeep;
    const sigs = this._nIn === 1 && !Array.isArray(inputSignature) ? [inputSignature as ShapeDtype] : (inputSignature as ShapeDtype[]);
    const batched = sigs.map((s) => {
      const lead = s.shape.slice(0, s.shape.length - keep).reduce((a, b) => a * b, 1);
      return new ShapeDtype([lead, ...s.shape.slice(s.shape.length - keep)], s.dtype);
    });
    const [weights, layerState] = this.sublayer.init(this._nIn === 1 ? batched[0] : batched, { useCache: true });
    this.state = [layerState];
    this.weights = [weights];
  }
}

/**
 * Applies a layer after folding all leading axes into one batch axis, then
 * restores them.
 *
 * @example
 * ```ts
 * tl.BatchLeadingAxes(tl.Dense(3))(tf.ones([2, 5, 4])).shape; // [2, 5, 3]
 * ```
 */
export const BatchLeadingAxes = callable(BatchLeadingAxesLayer, "BatchLeadingAxes", {
  positional: ["layer"],
  options: optionKeys<BatchLeadingAxesOptions>({
    nLastAxesToKeep: true,
  }),
});
export type BatchLeadingAxes = BatchLeadingAxesLayer;

// ------------------------------------------------------------ Bidirectional

/** Options of {@link Bidirectional}. */
export interface BidirectionalOptions {
  /** Time axis (default 1). */
  axis?: number;
  /** Layer merging both directions (default `Concatenate()`). */
  mergeLayer?: Layer;
}

/**
 * Runs a (recurrent) layer forward in time and a copy of it backward (on the
 * flipped sequence), then merges both (by default, concatenation).
 *
 * @example
 * ```ts
 * tl.Bidirectional(tl.LSTM(8)); // outputs 16 features per step
 * ```
 */
export const Bidirectional = withArgs("Bidirectional", {
  positional: ["forwardLayer"],
  options: optionKeys<BidirectionalOptions>({
    axis: true, mergeLayer: true,
  }),
}, function Bidirectional(forwardLayer: Layer, options: BidirectionalOptions = {}): Serial {
  const axis = options.axis ?? 1;
  const backwardLayer = cloneLayer(forwardLayer);
  const flip = () => Fn("_FlipAlongTimeAxis", (x: tf.Tensor) => tf.reverse(x, axis));
  const backward = new SerialLayer(flip(), backwardLayer, flip());
  return new SerialLayer(Branch(forwardLayer, backward), options.mergeLayer ?? new ConcatenateLayer());
});
