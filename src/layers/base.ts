/**
 * The key layer abstraction (`Layer`) and its supporting machinery, as in
 * `trax.layers.base`.
 *
 * A layer computes a function from zero or more inputs to zero or more
 * outputs, optionally with trainable weights and non-parameter state. Inputs
 * and outputs are packaged by count: one tensor when there is one, an array
 * of tensors otherwise (an empty array for none).
 * @module
 */
import { inspect } from "util";
import { tf } from "../backend/tf";
import { assertReady } from "../backend";
import { registerNestingCounter } from "../backend/nesting";
import * as random from "../fastmath/random";
import type { PRNGKey } from "../fastmath/random";
import { disposeReplaced, isTensor, nestedMap, tensorsIn, treeFlatten, treeUnflatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import { ShapeDtype, signature, isTensorData } from "../shapes";
import type { Signature } from "../shapes";
import { callable } from "./callable";
import { LayerError } from "./layer-error";
import { beginTrustedWrites, disposeUnheld, enterTrustedWrites, leaveTrustedWrites, trackHolders, writesAreTrusted } from "./weight-ownership";
import { asAbstractEvaluation } from "./abstract-eval";
import { withArgs, optionKeys } from "./arg-check";

export { LayerError };

/**
 * Bumped on every write of any layer's weights (`weightsEpoch`) or state
 * (`stateEpoch`): cached trees older than theirs are stale. Separate counts
 * keep the weights trees valid while decoding writes state at every call.
 */
let weightsEpoch = 0;
let stateEpoch = 0;

/** A combinator's assembled weights and state trees, each valid for one epoch of its kind. */
interface TreeCache {
  sublayers: Layer[];
  weightsEpoch: number;
  weights: unknown[] | null;
  stateEpoch: number;
  state: unknown[] | null;
}

/** Marks weights a shared layer already has (returned by `init` with `useCache`). */
export const GET_WEIGHTS_FROM_CACHE: CacheMarker = Object.freeze({ __markerForCachedWeights: true as const });
/** Marks state a shared layer already has. */
export const GET_STATE_FROM_CACHE: CacheMarker = Object.freeze({ __markerForCachedState: true as const });

/** The weights of a layer that has none. */
export const EMPTY_WEIGHTS: Weights = Object.freeze([]) as unknown as Weights;
/** The state of a layer that has none. */
export const EMPTY_STATE: State = Object.freeze([]) as unknown as State;

/** One of the two cache markers. */
export type CacheMarker = Readonly<{ __markerForCachedWeights: true } | { __markerForCachedState: true }>;

/** Weights of a layer: a tensor, or arrays nesting them (empty when none). */
export type Weights = Nested<tf.Tensor | CacheMarker>;
/** State of a layer: like weights, not trained. */
export type State = Nested<tf.Tensor | CacheMarker>;

/**
 * Weights (or state) as a layer's `weights` and `state` read back: one type
 * for every level of the tree, so the common inspection paths type-check
 * without casts: `model.weights.length`, `model.weights[0]`,
 * `dense.weights[0].shape`, `for (const w of model.weights)`. A level is a
 * tensor or an array at run time (check with `instanceof tf.Tensor` or
 * `Array.isArray` when unsure), as in Trax.
 *
 * @example
 * ```ts
 * const model = tl.Serial(tl.Dense(4), tl.Relu());
 * model(tf.ones([2, 3]));
 * model.weights.length; // 2 (one entry per sublayer)
 * model.weights[0][0].shape; // [3, 4]
 * ```
 */
export type WeightsView = tf.Tensor & WeightsView[];

/**
 * The weights tree of a layer, under a name that does not clash with the
 * {@link Weights} layer of `tl` (`tl.Weights` is the layer, as in Trax).
 *
 * @example
 * ```ts
 * const w: tl.WeightsTree = tl.Dense(2).init(new trax.shapes.ShapeDtype([1, 3]))[0];
 * ```
 */
export type WeightsTree = Weights;

/**
 * The state tree of a layer (alias of `State`, named like {@link WeightsTree}).
 *
 * @example
 * ```ts
 * const s: tl.StateTree = tl.BatchNorm().init(new trax.shapes.ShapeDtype([4, 3]))[1];
 * ```
 */
export type StateTree = State;

/** Inputs as layers receive them: one tensor (`nIn = 1`) or an array of tensors. */
export type Inputs = tf.Tensor | readonly tf.Tensor[];

/**
 * What a layer returns: one tensor when `nOut = 1`, an array of tensors
 * otherwise. Typed as both so that `y.shape` and `const [a, b] = y` both
 * type-check in a notebook without casts; check `layer.nOut` when unsure.
 */
export type LayerOutput = tf.Tensor & tf.Tensor[];

/** Anything a layer call accepts: tensors, numbers, (nested) arrays, typed arrays. */
export type InputLike = tf.Tensor | tf.TensorLike | readonly InputLike[];

/** Per-call overrides for `layer(x, options)`. */
export interface CallOptions {
  /** Weights to use for this call instead of the cached ones. */
  weights?: Weights;
  /** State to use (and update) for this call. */
  state?: State;
  /** Random key for this call (dropout and other randomness). */
  rng?: PRNGKey;
}

/** Options every layer constructor understands. */
export interface LayerOptions {
  /** Number of inputs (default 1). */
  nIn?: number;
  /** Number of outputs (default 1). */
  nOut?: number;
  /** Name shown when printing the layer (default: the class name). */
  name?: string;
  /** Sublayers to show when printing (default: all sublayers). */
  sublayersToPrint?: Layer[] | null;
}

/** Options of {@link Layer.init}. */
export interface InitOptions {
  /** Random key for the weights (default: the layer's key, from seed 0). */
  rng?: PRNGKey;
  /** Internal: return cache markers if already initialized elsewhere in the network. */
  useCache?: boolean;
}

/** Fields restored when an init fails or is only tried. */
interface Snapshot {
  layer: Layer;
  rng: PRNGKey | null;
  weights: unknown;
  state: unknown;
  initCached: boolean;
  initialized: boolean;
  assigned: boolean;
}

/** Above zero while an init is only tried (signatures): replaced tensors are not freed. */
let trialInits = 0;

const LIBRARY_FRAME = /[\\/](src|dist)[\\/](layers|supervised|optimizers|kernel|repl)[\\/]|node:internal|[\\/]node_modules[\\/]/;

function creationSite(err: Error): string | null {
  const lines = (err.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    if (LIBRARY_FRAME.test(line)) continue;
    const m = /\(?([^()\s]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (m) return m[1];
  }
  return null;
}

/** Converts input data to tensors, remembering which tensors were made here. */
function toTensor(x: unknown, made: tf.Tensor[]): unknown {
  if (isTensor(x)) return x;
  if (isTensorData(x)) {
    const t = x instanceof Int32Array ? tf.tensor(x, [x.length], "int32") : tf.tensor(x as tf.TensorLike);
    made.push(t);
    return t;
  }
  return x;
}

/**
 * Base class for composable layers in a deep learning network.
 *
 * Subclasses override `forward(inputs)` (the computation, reading
 * `this.weights`, `this.state` and `this.rng`) and, if they have weights or
 * state, `initWeightsAndState(inputSignature)`. Layers are callable:
 * `layer(x)` runs with the cached weights, initializing them from `x`'s
 * signature on the first call.
 *
 * Inputs/outputs: `nIn = 1` one tensor, `nIn > 1` an array of `nIn` tensors,
 * `nIn = 0` an empty array; the same for outputs.
 *
 * @example
 * ```ts
 * class Double extends tl.Layer {
 *   forward(x: tf.Tensor) { return x.mul(2); }
 * }
 * const y = new Double()(tf.tensor([1, 2])); // [2, 4]
 * ```
 */
export interface Layer {
  /** Runs the layer on `x` with the cached (or given) weights, state and key. */
  (x?: InputLike, options?: CallOptions): LayerOutput;
}
export class Layer {
  /** @internal */ _nIn!: number;
  /** @internal */ _nOut!: number;
  /** @internal Written only through {@link renameLayer} (which also sets `name`). */ _name!: string;
  /** @internal */ _sublayersToPrint!: Layer[] | null;
  /** @internal */ _sublayers!: Layer[];
  /** @internal */ _rng!: PRNGKey | null;
  /** @internal */ __weights!: unknown;
  /** @internal */ __state!: unknown;
  /** @internal */ _treeCache!: TreeCache | null;
  /** @internal */ _initCached!: boolean;
  /** @internal */ _initialized!: boolean;
  /** @internal True when a user assigned weights before init: init keeps them. */
  _assignedWeights!: boolean;
  /** @internal */ _creation!: Error | null;

  constructor(options: LayerOptions = {}) {
    const name = options.name ?? new.target.name;
    const self = callableNamed(name) as unknown as Layer;
    Object.setPrototypeOf(self, new.target.prototype);
    self._nIn = options.nIn ?? 1;
    self._nOut = options.nOut ?? 1;
    self._name = name;
    self._sublayersToPrint = options.sublayersToPrint ?? null;
    self._sublayers = [];
    self._rng = null;
    self._treeCache = null;
    self._weights = [];
    self._state = [];
    self._initCached = false;
    self._initialized = false;
    self._assignedWeights = false;
    self._creation = new Error();
    for (const n of [self._nIn, self._nOut]) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`trax-ts: nIn and nOut must be non-negative integers, got ${n}`);
    }
    return self;
  }

  // ---------------------------------------------------------------- members

  /** The name of this layer (as printed, e.g. `Dense_10`). */
  get name(): string {
    return this._name;
  }

  /** How many tensors this layer expects as input. */
  get nIn(): number {
    return this._nIn;
  }

  /** How many tensors this layer promises as output. */
  get nOut(): number {
    return this._nOut;
  }

  /** This layer's sublayers (empty for a leaf layer). */
  get sublayers(): Layer[] {
    return this._sublayers;
  }

  /** Sublayers shown when printing (null: all). */
  get sublayersToPrint(): Layer[] | null {
    return this._sublayersToPrint;
  }

  /** Where the layer was created (`file:line:column`), for error messages. */
  get createdAt(): string | null {
    return this._creation ? creationSite(this._creation) : null;
  }

  /**
   * True once weights and state exist (by `init`, a first call, or a load).
   * Weights assigned to a layer that was never initialized are kept: the
   * first call (or `init`) creates only the state and checks the assigned
   * weights' shapes against the input's, and then `initialized` is true.
   */
  get initialized(): boolean {
    return this._initialized;
  }

  /**
   * This layer's weights: a tensor, a nested array of tensors, or an empty
   * array. A layer with sublayers has one entry per sublayer.
   */
  get weights(): WeightsView {
    const subs = this._sublayers;
    if (subs.length === 0) return this.__weights as unknown as WeightsView;
    const cache = this.treeCache();
    if (cache.weights !== null && cache.weightsEpoch === weightsEpoch) return cache.weights as unknown as WeightsView;
    const own = this.__weights as unknown[];
    const out = new Array(subs.length);
    for (let i = 0; i < subs.length; i++) out[i] = own[i] === null || own[i] === undefined ? subs[i].weights : own[i];
    cache.weights = out;
    cache.weightsEpoch = weightsEpoch;
    return out as unknown as WeightsView;
  }

  /** @internal Own weights slots (one per sublayer for combinators); writes invalidate cached trees. */
  get _weights(): unknown {
    return this.__weights;
  }

  set _weights(value: unknown) {
    trackHolders(this, this.__weights, value);
    this.__weights = value;
    weightsEpoch++;
  }

  /** @internal Own state slots; writes invalidate cached trees. */
  get _state(): unknown {
    return this.__state;
  }

  set _state(value: unknown) {
    trackHolders(this, this.__state, value);
    this.__state = value;
    stateEpoch++;
  }

  /**
   * The assembled weights and state trees of a combinator, each valid while
   * no layer's weights (or state) has been written since (global epochs), so
   * that repeated reads are cheap and return the same arrays.
   */
  private treeCache(): TreeCache {
    let cache = this._treeCache;
    if (cache === null || cache.sublayers !== this._sublayers) {
      cache = { sublayers: this._sublayers, weightsEpoch: -1, weights: null, stateEpoch: -1, state: null };
      this._treeCache = cache;
    }
    return cache;
  }

  /**
   * Assigns weights (a tree like `weights` returns). A user's assignment is
   * checked first, all of it before anything changes: one entry per
   * sublayer, and for an initialized layer the shapes and dtypes of its
   * current weights; an error names the layer path and both shapes. A layer
   * that was never initialized keeps assigned weights through its first
   * call or `init`, which checks them against the input's shapes.
   */
  set weights(weights: Weights) {
    if (weights === GET_WEIGHTS_FROM_CACHE) return;
    const byUser = !writesAreTrusted();
    if (byUser) checkWeightsFit(this, weights, this.name);
    this.assignWeights(weights, byUser);
  }

  /** Writes a checked weights tree into this layer and its sublayers. */
  private assignWeights(weights: Weights, byUser: boolean): void {
    if (weights === GET_WEIGHTS_FROM_CACHE) return;
    if (this._sublayers.length === 0) {
      this._weights = weights;
      if (byUser && !this._initialized) this._assignedWeights = true;
    } else {
      checkSublayerCount(this, weights, "weight");
      const list = weights as unknown as Weights[];
      this._weights = list.map((w) => (w === GET_WEIGHTS_FROM_CACHE ? w : null));
      this._sublayers.forEach((sub, i) => {
        // A layer with its own weights accessor (Accelerate) gets them through it.
        if (overridesAccessor(sub, "weights")) sub.weights = list[i];
        else sub.assignWeights(list[i], byUser);
      });
    }
  }

  /** This layer's state (non-trainable); one entry per sublayer for combinators. */
  get state(): WeightsView {
    const subs = this._sublayers;
    if (subs.length === 0) return this.__state as unknown as WeightsView;
    const cache = this.treeCache();
    if (cache.state !== null && cache.stateEpoch === stateEpoch) return cache.state as unknown as WeightsView;
    const out = new Array(subs.length);
    for (let i = 0; i < subs.length; i++) out[i] = this.sublayerState(i);
    cache.state = out;
    cache.stateEpoch = stateEpoch;
    return out as unknown as WeightsView;
  }

  /**
   * Entry `i` of this combinator's state tree (what `state[i]` gives) without
   * assembling the tree: a combinator runs each sublayer with its entry read
   * just before, so a state written by an earlier sublayer of the same call
   * does not make the later ones see a rebuilt (new, equal) tree and re-assign it. @internal
   *
   * @example
   * ```ts
   * serial.sublayerState(1) === (serial.state as unknown[])[1]; // true (the same entry, no tree built)
   * ```
   */
  sublayerState(i: number): unknown {
    const own = (this.__state as unknown[])[i];
    return own === null || own === undefined ? this._sublayers[i].state : own;
  }

  set state(state: State) {
    if (state === GET_STATE_FROM_CACHE) return;
    if (this._sublayers.length === 0) {
      this._state = state;
    } else {
      checkSublayerCount(this, state, "state");
      const list = state as unknown as State[];
      // A combinator whose sublayers already hold `state` (they keep their new state
      // after a call, before their parent writes it back) changes nothing.
      if (this.holdsState(list)) return;
      this._state = list.map((s) => (s === GET_STATE_FROM_CACHE ? s : null));
      this._sublayers.forEach((sub, i) => {
        sub.state = list[i];
      });
    }
  }

  /**
   * True when assigning `state` would change nothing: leaves hold the same
   * objects, combinators the same tree (compared leaf by leaf, since trees
   * are rebuilt as arrays after writes elsewhere). Layers with their own
   * state accessors compare what their getter returns. @internal
   *
   * @example
   * ```ts
   * model.holdsState(model.state); // true: assigning it would change nothing
   * ```
   */
  holdsState(state: unknown): boolean {
    const subs = this._sublayers;
    if (subs.length === 0 || overridesAccessor(this, "state")) return this.state === state;
    if (!Array.isArray(state) || state.length !== subs.length) return false;
    const own = this.__state as unknown[];
    for (let i = 0; i < subs.length; i++) {
      const s = state[i];
      if (s === GET_STATE_FROM_CACHE) {
        if (own[i] !== GET_STATE_FROM_CACHE) return false;
      } else if ((own[i] !== null && own[i] !== undefined) || !subs[i].holdsState(s)) {
        return false;
      }
    }
    return true;
  }

  /**
   * This layer's random key. Setting it splits the key among sublayers,
   * recursively. Defaults to the key of seed 0.
   */
  get rng(): PRNGKey {
    if (this._rng === null) this._rng = random.getPrng(0);
    return this._rng;
  }

  set rng(rng: PRNGKey) {
    this._rng = rng;
    const subs = this._sublayers;
    if (subs.length > 0) {
      const rngs = random.split(rng, subs.length);
      subs.forEach((sub, i) => {
        sub.rng = rngs[i];
      });
    }
  }

  // ------------------------------------------------------- for subclasses

  /**
   * Computes this layer's output from its inputs; override in subclasses.
   * Reads `this.weights`, `this.state` (and may set it) and `this.rng`.
   */
  forward(inputs: any): tf.Tensor | tf.Tensor[] {
    void inputs;
    throw new Error(`${this.constructor.name} does not implement forward()`);
  }

  /** Creates weights and state for inputs of the given signature; override when the layer has them. */
  initWeightsAndState(inputSignature: any): void {
    void inputSignature;
  }

  /** True if this layer provides its own backward pass (`backward`). */
  get hasBackward(): boolean {
    return false;
  }

  /**
   * Custom backward pass: returns `[gradInputs, gradWeights]` given the
   * inputs, the output, the output's gradient, weights, state before and
   * after the forward pass, and the key.
   */
  backward(
    inputs: any, output: any, grad: any, weights: any, state: any, newState: any, rng: PRNGKey
  ): [any, any] {
    void [inputs, output, grad, weights, state, newState, rng];
    throw new Error(`${this.constructor.name} does not implement backward()`);
  }

  /**
   * True for layers whose `forward` frees every tensor it makes except its
   * outputs and leaves the state unchanged (Dense): a call then runs without
   * its own `tf.tidy`, the larger part of an eager call's overhead.
   */
  get forwardFreesIntermediates(): boolean {
    return false;
  }

  /** True for layers that take `nIn` items off a longer stack and pass the rest through (Serial). */
  get acceptsLongerStack(): boolean {
    return false;
  }

  /** Checks the packaging of inputs: exactly `nIn` of them. Combinators may relax it. */
  validateInputs(x: unknown): void {
    const n = this._nIn;
    if (n === 1) {
      if (!isTensor(x) && !Array.isArray(x)) {
        throw new TypeError(`${this.name} expects one tensor as input; got ${describe(x)}`);
      }
      return;
    }
    if (!Array.isArray(x)) {
      throw new TypeError(`${this.name} expects ${n} inputs in an array; got ${describe(x)}`);
    }
    if (x.length !== n) {
      throw new Error(`Input tuple length (${x.length}) does not equal required number of inputs (${n}) for ${this.name}.`);
    }
  }

  // --------------------------------------------------------------- running

  /**
   * Initializes weights and state of this layer and its sublayers, for inputs
   * of the given signature (a ShapeDtype, an array of them, or example
   * tensors). A layer is initialized once per instance, so a layer used in
   * several places shares its weights. A failed init leaves the layer as it was.
   *
   * @returns `[weights, state]`
   * @example
   * ```ts
   * const dense = tl.Dense(3);
   * dense.init(new trax.shapes.ShapeDtype([2, 5]));
   * dense.weights; // [w: (5, 3), b: (3,)]
   * ```
   */
  init(inputSignature: Signature | unknown, options: InitOptions = {}): [Weights, State] {
    const useCache = options.useCache ?? false;
    if (this._initCached && useCache) return [GET_WEIGHTS_FROM_CACHE, GET_STATE_FROM_CACHE];
    if (autoInitDepth > 0 && this._initialized) {
      this._initCached = true;
      return [this.weights, this.state];
    }
    // `init(null)` (Trax's `init(None)`): for layers whose weights do not depend on the input.
    const sig = inputSignature === null || inputSignature === undefined ? (null as unknown as Signature) : signature(inputSignature);
    const snapshot = useCache ? null : this.snapshot();
    const endTrusted = beginTrustedWrites();
    try {
      this.rng = options.rng ?? this.rng;
      const assigned = this._assignedWeights && this._sublayers.length === 0 ? this.__weights : null;
      this.initWeightsAndState(sig);
      if (assigned !== null) this.keepAssignedWeights(assigned);
      if (useCache) this._initCached = true;
      else this.clearInitCache();
      this.markInitialized();
      const result: [Weights, State] = [this.weights, this.state];
      // The layer owns them: an enclosing tf.tidy of the caller must not free them.
      keepAll(result);
      if (snapshot && trialInits === 0) disposeSnapshotTensors(snapshot, result);
      return result;
    } catch (e) {
      if (snapshot) {
        const partial = [this.weights, this.state];
        restoreSnapshot(snapshot);
        disposeReplaced(partial, snapshotTensors(snapshot));
      }
      throw LayerError.wrap(e, this, "init", () => sig);
    } finally {
      endTrusted();
    }
  }

  /**
   * After `initWeightsAndState` made fresh weights: puts the weights a user
   * assigned before init back in their place, if they fit the fresh ones'
   * shapes and dtypes, and frees the fresh ones.
   */
  private keepAssignedWeights(assigned: unknown): void {
    const fresh = this.__weights;
    const problem = weightsMismatch(fresh, assigned, "weights");
    if (problem !== null) {
      throw new Error(`the weights assigned to ${this.name} before init do not fit its input: ${problem}`);
    }
    this._weights = assigned;
    this._assignedWeights = false;
    disposeReplaced(fresh, assigned);
  }

  /**
   * Applies this layer as a pure function: `[outputs, newState]` from inputs,
   * weights, state and a key. With `useCache`, the weights and state stay in
   * the layer object (combinators use this for shared layers).
   *
   * @example
   * ```ts
   * const [y, state] = layer.pureFn(x, layer.weights, layer.state, trax.fastmath.random.getPrng(0));
   * ```
   */
  pureFn(x: unknown, weights: Weights, state: State, rng: PRNGKey | null, useCache = false): [LayerOutput, State] {
    // Weights given for one call are swapped in and out by the library: not an assignment.
    enterTrustedWrites();
    try {
      return this.pureFnBody(x, weights, state, rng, useCache);
    } finally {
      leaveTrustedWrites();
    }
  }

  private pureFnBody(x: unknown, weights: Weights, state: State, rng: PRNGKey | null, useCache: boolean): [LayerOutput, State] {
    const wasCached = weights === GET_WEIGHTS_FROM_CACHE && state === GET_STATE_FROM_CACHE;
    // What to put back afterwards (always the state, for a failed call; weights only if swapped).
    const oldWeights = wasCached ? undefined : this.weights;
    const oldState = this.state;
    const oldRng = this._rng;
    try {
      this._rng = rng;
      if (!wasCached) {
        if (weights !== oldWeights) this.weights = weights;
        if (state !== oldState) this.state = state;
      }
      this.validateInputs(x);
      let outputs: unknown;
      let s: State;
      if (!this.hasBackward) {
        if (forwardDepth > 0 || this.forwardFreesIntermediates) {
          // Inside a layer that is already running: its tf.tidy frees our intermediates
          // (or this layer frees its own).
          forwardDepth++;
          try {
            outputs = this.forward(x);
          } finally {
            forwardDepth--;
          }
          s = this.state;
        } else {
          const before = this.state;
          let after: State = before;
          const result = tf.tidy(() => {
            forwardDepth++;
            try {
              const out = this.forward(x);
              // New state must leave the scope too, as a flat list (tfjs's walk of a nested
              // state tree cost a decoding step 2%); unchanged state need not be walked
              // (nor the outputs wrapped: tidy walks what it returns).
              after = this.state;
              if (after === before) return out as unknown as tf.TensorContainer;
              return [out, tensorsIn(after)] as unknown as tf.TensorContainer;
            } finally {
              forwardDepth--;
            }
          }) as unknown;
          outputs = after !== before ? (result as unknown[])[0] : result;
          s = after;
        }
      } else {
        [outputs, s] = this.forwardWithCustomGradient(x);
        this.state = s;
      }
      this._rng = oldRng;
      if (!useCache) {
        if (oldWeights !== undefined && oldWeights !== weights) this.weights = oldWeights;
        if (s !== oldState) this.state = oldState;
      }
      if (wasCached) s = GET_STATE_FROM_CACHE;
      return [outputs as LayerOutput, s];
    } catch (e) {
      this._rng = oldRng;
      try {
        if (oldWeights !== undefined) this.weights = oldWeights;
        this.state = oldState;
      } catch {
        /* keep the original error */
      }
      throw LayerError.wrap(e, this, "forward", () => signature(x));
    }
  }

  /** Runs `forward` under `tf.customGrad`, with gradients from `backward`. */
  private forwardWithCustomGradient(x: unknown): [unknown, State] {
    const xLeaves = treeFlatten(x as Nested<tf.Tensor>);
    const weights = this.weights;
    const wLeaves = treeFlatten(weights).filter(isTensor);
    const state = this.state;
    const rng = this._rng as PRNGKey;
    let newState: State = state;
    let outStructure: unknown;
    const keptState: tf.Tensor[] = [];
    const f = tf.customGrad(((...args: unknown[]) => {
      const save = args.pop() as (ts: tf.Tensor[]) => void;
      const tensors = args as tf.Tensor[];
      const xs = treeUnflatten(tensors.slice(0, xLeaves.length), x as Nested<tf.Tensor>)[0];
      const ws = treeUnflatten(tensors.slice(xLeaves.length), weights, (l) => !isTensor(l))[0] as Weights;
      this.weights = ws;
      this.state = state;
      const out = this.forward(xs);
      newState = this.state;
      // tf.customGrad frees what its function made and did not return: keep the new state (re-tracked below).
      const before = new Set(tensorsIn(state));
      for (const t of tensorsIn(newState)) if (!before.has(t)) keptState.push(tf.keep(t));
      // An output that is one of the inputs must be a new tensor, or the tape would skip `backward`.
      const flatOut = treeFlatten(out as Nested<tf.Tensor>).map((t) => (tensors.includes(t) ? t.clone() : t));
      outStructure = treeUnflatten(flatOut, out as Nested<tf.Tensor>)[0];
      // The new state is saved too: a backward may read it (LSH reads its stored buckets).
      const stateLeaves = tensorsIn(newState);
      save([...tensors, ...flatOut, ...stateLeaves]);
      return {
        // tf.customGrad takes one output tensor: several are packed into one.
        value: flatOut.length === 1 ? flatOut[0] : packTensors(flatOut),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const sx = treeUnflatten(saved.slice(0, xLeaves.length), x as Nested<tf.Tensor>)[0];
          const nIn = xLeaves.length + wLeaves.length;
          const sw = treeUnflatten(saved.slice(xLeaves.length, nIn), weights, (l) => !isTensor(l))[0];
          const nOut = treeFlatten(outStructure as Nested<tf.Tensor>).length;
          const so = treeUnflatten(saved.slice(nIn, nIn + nOut), outStructure as Nested<tf.Tensor>)[0];
          const savedOut = saved.slice(nIn, nIn + nOut);
          const savedState = saved.slice(nIn + nOut);
          let stateIndex = 0;
          const sNew = savedState.length > 0 ? nestedMap(newState as Nested<unknown>, (l) => (isTensor(l) ? savedState[stateIndex++] : l)) : newState;
          const dys = savedOut.length === 1 ? [dy as tf.Tensor] : unpackTensors(dy as tf.Tensor, savedOut, true);
          const g = treeUnflatten(dys, outStructure as Nested<tf.Tensor>)[0];
          const [gx, gw] = this.backward(sx, so, g, sw, state, sNew, rng);
          const flat = [...treeFlatten(gx as Nested<tf.Tensor>), ...treeFlatten(gw as Nested<tf.Tensor>).filter(isTensor)];
          // Saved tensors are freed after backprop: a gradient that is one of them must be a copy.
          return tensors.map((t, i) => (flat[i] ? (saved.includes(flat[i]) ? flat[i].clone() : flat[i]) : tf.zerosLike(t)));
        },
      };
    }) as any);
    const result = f(...(xLeaves as tf.Tensor[]), ...(wLeaves as tf.Tensor[])) as unknown as tf.Tensor;
    if (keptState.length > 0) {
      // Clones belong to the caller's scope like any other result; the kept originals go.
      const kept = new Set(keptState);
      newState = nestedMap(newState as Nested<tf.Tensor>, (t) => (kept.has(t) ? t.clone() : t)) as unknown as State;
      tf.dispose(keptState);
    }
    const outLeaves = treeFlatten(outStructure as Nested<tf.Tensor>);
    let flat = [result];
    if (outLeaves.length > 1) {
      flat = tf.tidy(() => unpackTensors(result, outLeaves, false));
      result.dispose();
    }
    const outputs = treeUnflatten(flat, outStructure as Nested<tf.Tensor>)[0];
    return [outputs, newState];
  }

  /**
   * The output signature this layer gives for inputs of `inputSignature`.
   * An uninitialized layer is initialized for the question only, then left as it was.
   *
   * @example
   * ```ts
   * tl.Dense(3).outputSignature(new ShapeDtype([2, 5])); // ShapeDtype{shape:(2, 3), dtype:float32}
   * ```
   */
  outputSignature(inputSignature: Signature | unknown): Signature {
    const sig = signature(inputSignature);
    if (this._initialized) return this.forwardAbstract(sig)[0];
    return this.withTemporaryInit(sig, () => this.forwardAbstract(sig)[0]);
  }

  /**
   * Shapes and dtypes a forward pass would produce: `[outputSignature, stateSignature]`.
   * Runs the layer on zeros of the given signature and keeps only the shapes.
   */
  forwardAbstract(inputSignature: Signature): [Signature, unknown] {
    try {
      return tf.tidy(() => {
        const x = zerosOf(inputSignature);
        const [out, s] = asAbstractEvaluation(() => this.pureFn(x, this.weights, this.state, random.getPrng(0)));
        return [signatureOfOutputs(out), nestedMap(s as Nested<unknown>, (l) => (isTensor(l) ? signature(l) : l))] as unknown as tf.TensorContainer;
      }) as unknown as [Signature, unknown];
    } catch (e) {
      throw LayerError.wrap(e, this, "forwardAbstract", () => inputSignature);
    }
  }

  /**
   * The signatures `[weights, state]` that `init` would create, without
   * changing the layer.
   *
   * @example
   * ```ts
   * tl.Dense(3).weightsAndStateSignature(new ShapeDtype([2, 5]));
   * // [[ShapeDtype{shape:(5, 3)...}, ShapeDtype{shape:(3,)...}], []]
   * ```
   */
  weightsAndStateSignature(inputSignature: Signature | unknown): [unknown, unknown] {
    const sig = signature(inputSignature);
    const toSig = (tree: unknown) => nestedMap(tree as Nested<unknown>, (l) => (isTensor(l) ? signature(l) : l));
    const snapshot = this.snapshot();
    // A trial: the layer's own tensors must survive it (they are put back below).
    trialInits++;
    try {
      this.clearInitCache();
      const [w, s] = this.init(sig, { useCache: false });
      return [toSig(w), toSig(s)];
    } finally {
      trialInits--;
      const made = [this.weights, this.state];
      restoreSnapshot(snapshot);
      disposeReplaced(made, snapshotTensors(snapshot));
    }
  }

  // ------------------------------------------------------------ interactive

  /** The body of `layer(x, options)`. */
  private call_(x: InputLike, options: CallOptions = {}): LayerOutput {
    assertReady();
    // `layer()` for a layer that takes no inputs.
    if (x === undefined && this._nIn === 0) x = [];
    const made: tf.Tensor[] = [];
    let inputs: unknown;
    try {
      inputs = this.convertInputs(x, made);
      // `layer([x])` for a one-input layer means `layer(x)`.
      if (this._nIn === 1 && Array.isArray(inputs) && inputs.length === 1 && isTensor(inputs[0])) inputs = inputs[0];
      this.validateCallInputs(inputs);
    } catch (e) {
      tf.dispose(made);
      throw LayerError.wrap(e, this, "forward", () => signature(x));
    }
    let outputs: LayerOutput | undefined;
    try {
      if (options.state !== undefined) this.state = options.state;
      if (options.weights === undefined && !this._initialized) this.autoInit(inputs, options.rng);
      const rng = options.rng ?? this.rng;
      const oldState = this.state;
      let out: LayerOutput;
      if (options.weights === undefined) {
        // The cached weights and state are already in place: run without swapping them.
        out = this.pureFn(inputs, GET_WEIGHTS_FROM_CACHE, GET_STATE_FROM_CACHE, rng, true)[0];
      } else {
        const [o, newState] = this.pureFn(inputs, options.weights, oldState, rng);
        out = o;
        this.state = newState;
      }
      outputs = out;
      if (insideTidy()) keepAll(this.state);
      if (options.state === undefined && hasTensor(oldState)) {
        disposeReplaced(oldState, this.state, this.weights, out, inputs);
      }
      return out;
    } finally {
      if (made.length > 0) {
        const keep = new Set([...tensorsIn(this.state), ...tensorsIn(outputs)]);
        tf.dispose(made.filter((t) => !keep.has(t)));
      }
    }
  }

  /**
   * Initializes on a first call: sublayers that already have weights (for
   * example a trained layer put into a new Serial) keep them.
   */
  private autoInit(inputs: unknown, rng?: PRNGKey): void {
    autoInitDepth++;
    try {
      this.init(signature(inputs), rng ? { rng } : {});
    } finally {
      autoInitDepth--;
    }
  }

  /** A direct call takes exactly `nIn` inputs (combinators inside a network may pass a longer stack). */
  private validateCallInputs(x: unknown): void {
    if (this.acceptsLongerStack) {
      this.validateInputs(x);
      return;
    }
    const n = this._nIn;
    const isNested = Array.isArray(x) && x.some((v) => Array.isArray(v));
    if (n === 1 && Array.isArray(x) && !isNested) {
      throw new Error(`${this.name} takes 1 input; got an array of ${x.length} (pass one tensor)`);
    }
    if (n !== 1 && (!Array.isArray(x) || x.length !== n)) {
      throw new Error(`${this.name} takes ${n} inputs in an array; got ${Array.isArray(x) ? `an array of ${x.length}` : "one tensor"}`);
    }
    this.validateInputs(x);
  }

  /** Converts JS data to tensors according to `nIn`. */
  private convertInputs(x: unknown, made: tf.Tensor[]): unknown {
    if (this._nIn === 1 && !(Array.isArray(x) && x.length > 0 && !isTensorData(x))) return toTensor(x, made);
    if (Array.isArray(x)) return x.map((v) => toTensor(v, made));
    return toTensor(x, made);
  }

  /** Marks this layer and its sublayers as having weights and state. */
  private markInitialized(): void {
    this._initialized = true;
    this._assignedWeights = false;
    for (const sub of this._sublayers) sub.markInitialized();
  }

  /** @internal */
  clearInitCache(): void {
    this._initCached = false;
    for (const sub of this._sublayers) sub.clearInitCache();
  }

  /** The fields of this layer and all sublayers, to restore later. */
  private snapshot(): Snapshot[] {
    const seen = new Set<Layer>();
    const out: Snapshot[] = [];
    const visit = (l: Layer) => {
      if (seen.has(l)) return;
      seen.add(l);
      out.push({
        layer: l, rng: l._rng,
        weights: Array.isArray(l._weights) ? [...l._weights] : l._weights,
        state: Array.isArray(l._state) ? [...l._state] : l._state,
        initCached: l._initCached, initialized: l._initialized, assigned: l._assignedWeights,
      });
      l._sublayers.forEach(visit);
    };
    visit(this);
    return out;
  }

  /** Runs `f` with this layer initialized for `sig`, then puts everything back. */
  private withTemporaryInit<T>(sig: Signature, f: () => T): T {
    const snapshot = this.snapshot();
    trialInits++;
    try {
      this.init(sig);
      return f();
    } finally {
      trialInits--;
      const made = [this.weights, this.state];
      restoreSnapshot(snapshot);
      disposeReplaced(made, snapshotTensors(snapshot));
    }
  }

  // ------------------------------------------------------------- checkpoints

  /**
   * Saves this layer's weights and state (and `inputSignature`, when given)
   * to a gzip file, written to a temporary name and renamed into place:
   * trax-ts's checkpoint, or with `format: "trax"` the pickle Python Trax's
   * `Layer.init_from_file` reads (full, with `flat_state`, unless `weightsOnly`).
   *
   * @example
   * ```ts
   * model.saveToFile("/tmp/model.ckpt.gz", { inputSignature: new trax.shapes.ShapeDtype([1, 4]) });
   * model.saveToFile("/tmp/model.pkl.gz", { format: "trax", inputSignature: new trax.shapes.ShapeDtype([1, 4]) });
   * ```
   */
  saveToFile(fileName: string, options: { weightsOnly?: boolean; inputSignature?: unknown; format?: "trax-ts" | "trax" } = {}): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    (require("../io/layer-file") as typeof import("../io/layer-file")).saveLayer(this, fileName, options);
  }

  /**
   * Initializes this layer from a file written by `saveToFile`, or by Python
   * Trax (`Layer.save_to_file`, or a training Loop's `model.pkl.gz`); returns
   * `[weights, state]`. On a bad file it throws, naming the file, and the
   * layer keeps its weights and state. `maxDecompressedBytes` caps how far a
   * file may expand (default 1 GiB, or `TRAX_MAX_DECOMPRESSED_BYTES`).
   *
   * @example
   * ```ts
   * const [weights, state] = model.initFromFile("/tmp/model.ckpt.gz");
   * ```
   */
  initFromFile(
    fileName: string,
    options: { weightsOnly?: boolean; inputSignature?: unknown; maxDecompressedBytes?: number } = {}
  ): [Weights, State] {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("../io/layer-file") as typeof import("../io/layer-file")).loadLayer(this, fileName, options);
  }

  // ---------------------------------------------------------------- printing

  /**
   * The Python Trax expression that builds this layer tree, from the
   * constructor calls each layer recorded: `tl.Serial(tl.Dense(10),
   * tl.Relu())`; models print as `trax.models.X(...)`. Parts that cannot be
   * translated (`tl.Fn` bodies, subclasses) print with a `# TODO` comment.
   *
   * @example
   * ```ts
   * tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, { nHeads: 2 })).toPython();
   * // "tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, n_heads=2))"
   * ```
   */
  toPython(options: { width?: number } = {}): string {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("./to-python") as typeof import("./to-python")).toPython(this, options);
  }

  /**
   * A medium-detailed text view, as Trax prints layers:
   * `Serial[\n  Dense_10\n  Relu\n]`.
   */
  toString(): string {
    let name = this._name;
    if (this._nIn !== 1) name += `_in${this._nIn}`;
    if (this._nOut !== 1) name += `_out${this._nOut}`;
    const subs = this._sublayersToPrint ?? this._sublayers;
    if (subs.length === 0) return name;
    const body = subs.map((s) => String(s)).filter((s) => s).map((s) => "  " + s.replace(/\n/g, "\n  "));
    return `${name}[\n${body.join("\n")}\n]`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  get [Symbol.toStringTag](): string {
    return this._name;
  }
}

/**
 * The function object a layer is: calling it runs the layer's `call_`. Its
 * own `name` is the layer's name and its `length` 0 (a function's own `name`
 * would hide the `name` getter; deleting it instead, as earlier versions did,
 * puts every layer's properties into V8's slow dictionary mode, which cost
 * about a third of an eager call of a cheap layer). @internal
 *
 * @example
 * ```ts
 * const self = callableNamed("Dense_4"); // self.name === "Dense_4"
 * ```
 */
export function callableNamed(name: string): (...args: unknown[]) => unknown {
  const holder = {
    [name]: (...args: unknown[]): unknown => (self as unknown as { call_(x: unknown, o: unknown): unknown }).call_(args[0], args[1]),
  };
  const self = holder[name];
  return self;
}

/**
 * Renames a layer (its printed name and `name`), keeping its properties in
 * V8's fast mode. @internal
 *
 * @example
 * ```ts
 * renameLayer(layer, "CausalAttention");
 * ```
 */
export function renameLayer(layer: Layer, name: string): void {
  layer._name = name;
  Object.defineProperty(layer, "name", { value: name, configurable: true });
}

/** Above zero while a layer's forward runs (the outermost one opens the tf.tidy). */
let forwardDepth = 0;

/** Above zero while a first call initializes a layer (see `autoInit`). */
let autoInitDepth = 0;

// A REPL's Ctrl-C skips the `finally` blocks that lower these: it puts them back (backend/nesting.ts).
registerNestingCounter("layer forward", () => forwardDepth, (v) => (forwardDepth = v));
registerNestingCounter("layer auto-init", () => autoInitDepth, (v) => (autoInitDepth = v));
registerNestingCounter("trial init", () => trialInits, (v) => (trialInits = v));

// Layers are functions (callable); keep Function.prototype's call/apply/bind reachable.
Object.setPrototypeOf(Layer.prototype, Function.prototype);

function describe(x: unknown): string {
  if (isTensor(x)) return `a tensor of shape [${x.shape}]`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return x === null ? "null" : typeof x;
}

function zerosOf(sig: Signature): tf.Tensor | tf.Tensor[] {
  if (sig instanceof ShapeDtype) return tf.zeros([...sig.shape], sig.dtype);
  return (sig as readonly Signature[]).map((s) => zerosOf(s)) as tf.Tensor[];
}

function signatureOfOutputs(out: unknown): Signature {
  if (isTensor(out)) return signature(out);
  if (Array.isArray(out)) return out.map(signatureOfOutputs);
  throw new TypeError(`layer output is not a tensor or an array of tensors: ${typeof out}`);
}

function restoreSnapshot(snapshot: Snapshot[]): void {
  for (const s of snapshot) {
    s.layer._rng = s.rng;
    s.layer._weights = s.weights;
    s.layer._state = s.state;
    s.layer._initCached = s.initCached;
    s.layer._initialized = s.initialized;
    s.layer._assignedWeights = s.assigned;
  }
}

function snapshotTensors(snapshot: Snapshot[]): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const s of snapshot) {
    tensorsIn(s.weights, out);
    tensorsIn(s.state, out);
  }
  return out;
}

/** After a successful root init, frees the tensors it replaced. */
function disposeSnapshotTensors(snapshot: Snapshot[], keep: unknown): void {
  // Only what some layer's init made (tensors the user made stay theirs),
  // and only when no layer holds it any more: weights another layer adopted
  // (`b.weights = a.weights`) stay alive while it has them.
  const made = snapshotTensors(snapshot).filter((t) => madeBy.has(t));
  disposeUnheld(made, keep);
  registerMade(snapshot);
}

/** The layer whose init made each weight or state tensor. */
const madeBy = new WeakMap<tf.Tensor, Layer>();

/** Records the layers of a fresh init as the makers of their new tensors. */
function registerMade(snapshot: Snapshot[]): void {
  for (const { layer } of snapshot) {
    for (const t of tensorsIn(layer.__weights)) if (!madeBy.has(t)) madeBy.set(t, layer);
    for (const t of tensorsIn(layer.__state)) if (!madeBy.has(t)) madeBy.set(t, layer);
  }
}

/** Per prototype and accessor, whether a subclass defines its own (found once, then looked up). */
const ownAccessors = { weights: new WeakMap<object, boolean>(), state: new WeakMap<object, boolean>() };

/**
 * True when a subclass defines its own `weights` (or `state`) setter, e.g.
 * Accelerate passing its sublayer's through, Cache and Scan keeping extra state.
 */
function overridesAccessor(layer: Layer, accessor: "weights" | "state"): boolean {
  const proto = Object.getPrototypeOf(layer) as object;
  const known = ownAccessors[accessor].get(proto);
  if (known !== undefined) return known;
  const base = Object.getOwnPropertyDescriptor(Layer.prototype, accessor);
  let found = false;
  for (let p = proto; p && p !== Layer.prototype; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, accessor);
    if (d !== undefined && d.set !== base?.set) found = true;
  }
  ownAccessors[accessor].set(proto, found);
  return found;
}

/** Throws unless `tree` is an array with one entry per sublayer of `layer`. */
function checkSublayerCount(layer: Layer, tree: unknown, what: "weight" | "state"): void {
  if (!Array.isArray(tree)) {
    throw new Error(`trax-ts: ${what === "weight" ? "weights" : "state"} of ${layer.name} must be an array with one entry per sublayer`);
  }
  const n = layer.sublayers.length;
  if (tree.length !== n) {
    throw new Error(`Number of ${what} elements (${tree.length}) does not equal the number of sublayers (${n}) in: ${layer.name}.`);
  }
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Why `given` does not fit `expected` (a weights tree of the layer), or
 * null when it fits: the same nesting, and tensors of the same shapes and
 * dtypes where `expected` has tensors.
 */
function weightsMismatch(expected: unknown, given: unknown, where: string): string | null {
  if (isMarker(expected) || isMarker(given)) return null;
  if (isTensor(expected)) {
    if (!isTensor(given)) return `${where} should be a tensor of shape ${shapeText(expected.shape)}; got ${describe(given)}`;
    if (given.isDisposed) return `${where} is a disposed tensor`;
    const same = given.shape.length === expected.shape.length && given.shape.every((d, i) => d === expected.shape[i]);
    if (!same) return `${where} has shape ${shapeText(given.shape)}; expected ${shapeText(expected.shape)}`;
    if (given.dtype !== expected.dtype) return `${where} has dtype ${given.dtype}; expected ${expected.dtype} (shape ${shapeText(expected.shape)})`;
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(given)) return `${where} should be an array of ${expected.length}; got ${describe(given)}`;
    if (given.length !== expected.length) return `${where} has ${given.length} entries; expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const p = weightsMismatch(expected[i], given[i], `${where}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  return null;
}

/**
 * Checks a user's weights assignment to `layer` before anything changes:
 * the sublayer counts everywhere, and the shapes and dtypes of every
 * initialized leaf's current weights. Throws naming the layer path.
 */
function checkWeightsFit(layer: Layer, weights: unknown, path: string): void {
  if (weights === GET_WEIGHTS_FROM_CACHE) return;
  if (overridesAccessor(layer, "weights")) return; // its own setter decides (and checks through its sublayer)
  const subs = layer.sublayers;
  if (subs.length > 0) {
    try {
      checkSublayerCount(layer, weights, "weight");
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
    subs.forEach((sub, i) => checkWeightsFit(sub, (weights as unknown[])[i], `${path}[${i}].${sub.name}`));
    return;
  }
  if (!layer.initialized) return;
  const problem = weightsMismatch(layer._weights, weights, "weights");
  if (problem !== null) {
    throw new Error(`cannot assign weights to ${path}: ${problem} (call init() with a new input signature to change shapes)`);
  }
}

// ------------------------------------------------------------------ PureLayer

/** True when the caller runs inside a `tf.tidy` (which would free what it did not return). */
function insideTidy(): boolean {
  return (tf.engine() as unknown as { state: { scopeStack: unknown[] } }).state.scopeStack.length > 0;
}

/** True if `tree` holds at least one tensor (stops at the first). */
function hasTensor(tree: unknown): boolean {
  if (isTensor(tree)) return true;
  if (Array.isArray(tree)) {
    for (const v of tree) if (hasTensor(v)) return true;
  }
  return false;
}

/** Marks every tensor in `tree` as kept, so no `tf.tidy` frees it. */
function keepAll(tree: unknown): void {
  for (const t of tensorsIn(tree)) tf.keep(t);
}

/** Packs tensors into one flat float32 tensor (for tf.customGrad, which takes one output). */
function packTensors(ts: readonly tf.Tensor[]): tf.Tensor {
  return tf.concat(ts.map((t) => (t.dtype === "float32" ? t : t.cast("float32")).reshape([-1])));
}

/**
 * Splits a tensor made by {@link packTensors} into tensors shaped like
 * `like` (of their dtypes unless `asFloat`: gradients are float32).
 */
function unpackTensors(packed: tf.Tensor, like: readonly tf.Tensor[], asFloat: boolean): tf.Tensor[] {
  const pieces = tf.split(packed, like.map((t) => t.size));
  return pieces.map((p, i) => {
    const shaped = p.reshape(like[i].shape);
    return asFloat || like[i].dtype === "float32" ? shaped : shaped.cast(like[i].dtype);
  });
}

/** Options of {@link PureLayer}. */
export interface PureLayerOptions {
  /** Number of inputs (default 1). */
  nIn?: number;
  /** Number of outputs (default 1). */
  nOut?: number;
  /** Name (default `PureLayer`). */
  name?: string;
}

/** A function from inputs to outputs as `forward` receives and returns them. */
export type ForwardFn = (inputs: any) => tf.Tensor | tf.Tensor[] | readonly tf.Tensor[];

class PureLayerImpl extends Layer {
  /** @internal */ _forwardFn: ForwardFn;

  constructor(forwardFn: ForwardFn, options: PureLayerOptions = {}) {
    super({ nIn: options.nIn ?? 1, nOut: options.nOut ?? 1, name: options.name ?? "PureLayer" });
    if (typeof forwardFn !== "function") throw new TypeError("trax-ts: PureLayer needs a function");
    this._forwardFn = forwardFn;
  }

  forward(inputs: unknown): tf.Tensor | tf.Tensor[] {
    const out = this._forwardFn(inputs);
    if (out === null || out === undefined) throw new Error(`${this.name}: the function returned ${out}`);
    return out as tf.Tensor | tf.Tensor[];
  }
}

/**
 * A layer with no weights and no randomness: a pure function from inputs to
 * outputs, which receives and returns them packaged as `forward` does.
 *
 * @example
 * ```ts
 * const double = tl.PureLayer((x: tf.Tensor) => x.mul(2), { name: "Double" });
 * double(tf.tensor([1, 2])); // [2, 4]
 * ```
 */
export const PureLayer = callable(PureLayerImpl, "PureLayer", {
  positional: ["forwardFn"],
  options: optionKeys<PureLayerOptions>({
    nIn: true, nOut: true, name: true,
  }),
});
export type PureLayer = PureLayerImpl;

/** Options of {@link Fn}. */
export interface FnOptions {
  /** Number of outputs (default 1). */
  nOut?: number;
  /** Number of inputs; default: the function's number of parameters (trax-ts addition: Trax counts them the same way, without a keyword). */
  nIn?: number;
}

/**
 * A layer with no weights that applies `f`; `nIn` is the number of
 * parameters of `f`, `nOut` must be given when not 1.
 *
 * @example
 * ```ts
 * const sumAndMax = tl.Fn("SumAndMax", (a: tf.Tensor, b: tf.Tensor) => [a.add(b), tf.maximum(a, b)], { nOut: 2 });
 * const [s, m] = sumAndMax([tf.tensor([1, 5]), tf.tensor([3, 2])]); // [4, 7], [3, 5]
 * ```
 */
export const Fn = withArgs("Fn", {
  positional: ["name", "f"],
  options: optionKeys<FnOptions>({
    nOut: true, nIn: true,
  }),
}, function Fn(name: string, f: (...xs: any[]) => any, options: FnOptions = {}): PureLayer {
  if (typeof f !== "function") throw new TypeError(`trax-ts: Fn('${name}') needs a function`);
  const source = Function.prototype.toString.call(f);
  const single = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  const list = /^\s*(?:async\s*)?(?:function\b[^(]*)?(?:[A-Za-z_$][\w$]*\s*)?\(([^)]*)\)/.exec(source);
  const paramText = single ? single[1] : list ? list[1] : "";
  if (options.nIn === undefined) {
    if (/\.\.\./.test(paramText)) throw new Error(`Fn('${name}'): function has variable args (not allowed); give { nIn } explicitly.`);
    if (/=/.test(paramText)) throw new Error(`Fn('${name}'): function has default arguments (not allowed).`);
  }
  const nIn = options.nIn ?? f.length;
  const forward = nIn === 1 ? (x: unknown) => f(x) : (xs: unknown) => f(...(xs as unknown[]));
  return new PureLayerImpl(forward, { nIn, nOut: options.nOut ?? 1, name: name || "Fn" });
});

// --------------------------------------------------------- weights helpers

function isMarker(x: unknown): boolean {
  return x === GET_WEIGHTS_FROM_CACHE || x === GET_STATE_FROM_CACHE;
}

/**
 * Flattens weights and state into lists of tensors, leaving out empty
 * entries and cache markers.
 *
 * @example
 * ```ts
 * const [flatW, flatS] = tl.flattenWeightsAndState(model.weights, model.state);
 * ```
 */
export function flattenWeightsAndState(weights: Weights, state: State): [tf.Tensor[], tf.Tensor[]] {
  const flatW = treeFlatten(weights).filter((w) => !isMarker(w)) as tf.Tensor[];
  const flatS = treeFlatten(state).filter((s) => !isMarker(s)) as tf.Tensor[];
  return [flatW, flatS];
}

/**
 * Rebuilds weights and state from flat lists, given their signatures (as
 * returned by `weightsAndStateSignature`).
 *
 * @example
 * ```ts
 * const sig = model.weightsAndStateSignature(inputSig);
 * const [w, s] = tl.unflattenWeightsAndState(flatW, flatS, sig);
 * ```
 */
export function unflattenWeightsAndState(
  flatWeights: readonly tf.Tensor[],
  flatState: readonly tf.Tensor[],
  weightsAndStateSignature: [unknown, unknown],
  weightsOnly = false
): [Weights, State | null] {
  const [wTree, sTree] = weightsAndStateSignature;
  const [weights] = treeUnflatten(flatWeights, wTree as Nested<unknown>, isMarker);
  let state: unknown = null;
  if (!weightsOnly) [state] = treeUnflatten(flatState, sTree as Nested<unknown>, isMarker);
  return [weights as Weights, state as State | null];
}

/**
 * Converts layer outputs to nested JS arrays, for easy equality testing.
 *
 * @example
 * ```ts
 * tl.toList(tl.Relu()(tf.tensor([-1, 2]))); // [0, 2]
 * ```
 */
export function toList(outputs: tf.Tensor | readonly tf.Tensor[]): unknown {
  if (Array.isArray(outputs)) return outputs.map((y) => (y as tf.Tensor).arraySync());
  return (outputs as tf.Tensor).arraySync();
}

/** The number of devices tensors are sharded over here (one: no pmap in tfjs). */
export function localDeviceCount(): number {
  return 1;
}

function shardAxis(shape: readonly number[]): number {
  return shape.length < 3 ? 0 : shape.length - 1;
}

/**
 * Shards tensors across `nShards`, as Trax does on one device: each tensor is
 * split on its shard axis (0 for rank < 3, else the last) and the shard of each
 * local device is stacked on a new leading axis.
 *
 * @example
 * ```ts
 * tl.shard(tf.ones([4, 2]), 2).shape; // [1, 2, 2]: device 0 holds shard 0
 * ```
 */
export function shard<T extends Nested<tf.Tensor>>(tensors: T, nShards = 1): Nested<tf.Tensor> {
  const devices = localDeviceCount();
  return nestedMap(tensors, (x) =>
    tf.tidy(() => {
      const axis = shardAxis(x.shape);
      if (x.shape[axis] % nShards !== 0) throw new Error(`Cannot split x with shape [${x.shape}] into ${nShards}.`);
      const parts = tf.split(x, nShards, axis);
      const picked = Array.from({ length: devices }, (_, i) => parts[i % nShards]);
      return tf.stack(picked, 0);
    })
  );
}

/**
 * Undoes {@link shard} outside of pmap: splits the leading axis into
 * `nShards` pieces and concatenates them on the shard axis.
 *
 * @example
 * ```ts
 * tl.unshard(tf.ones([2, 3, 4, 5]), 2).shape; // [3, 4, 10]
 * ```
 */
export function unshard<T extends Nested<tf.Tensor>>(tensors: T, nShards = 1): Nested<tf.Tensor> {
  return nestedMap(tensors, (x) =>
    tf.tidy(() => {
      const parts = tf.split(x, nShards, 0).map((p) => p.squeeze([0]));
      return tf.concat(parts, shardAxis(parts[0].shape));
    })
  );
}

/**
 * Unshards tensors inside pmap. tfjs has no pmap, so this is always the
 * "outside pmap" case of Trax: it returns `[tensors, false]` unchanged.
 *
 * @example
 * ```ts
 * const [w, unsharded] = tl.unshardInPmap(weights, 2); // unsharded === false
 * ```
 */
export function unshardInPmap<T>(tensors: T, nShards: number): [T, boolean] {
  void nShards;
  return [tensors, false];
}
