/**
 * Modifications to data and computation to use accelerators, as
 * `trax.layers.acceleration`.
 *
 * TensorFlow.js runs every tensor on one device (the backend's: a GPU with
 * `tfjs-node-gpu`, otherwise the CPU) and has neither `pmap` nor `jit`. So
 * this module gives each function the reference's single-device semantics:
 * nothing is split across devices or compiled, and results are those of the
 * plain layer. `nDevices` still matters where the reference's results depend
 * on it (padding the batch to a multiple of it, the divisibility checks, the
 * batch mean of {@link jitForward}'s `doMean`, and the leading device axis of
 * {@link reshapeByDevice} and {@link forNDevices}).
 * Each function's TSDoc says exactly what differs from JAX.
 * @module
 */
import { tf } from "../backend/tf";
import type { PRNGKey } from "../fastmath/random";
import { isTensor, nestedMap } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";
import { Layer, localDeviceCount } from "./base";
import type { LayerOutput, State, Weights, WeightsView } from "./base";
import { callable } from "./callable";
import { optionKeys } from "./arg-check";

/** A layer's pure function: `[outputs, newState]` from inputs, weights, state and a key. */
export type PureForward = (x: any, weights: Weights, state: State, rng: PRNGKey) => [LayerOutput, State];

function checkNDevices(where: string, nDevices: number): void {
  if (!Number.isInteger(nDevices) || nDevices < 0) {
    throw new RangeError(`${where}: nDevices must be a non-negative integer; got ${nDevices}`);
  }
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function leafTensor(where: string, x: unknown): tf.Tensor {
  if (!isTensor(x)) {
    throw new TypeError(`${where}: expected tensors (or nested arrays of tensors); got ${x === null ? "null" : typeof x}`);
  }
  return x;
}

/** Throws the reference's error unless `nDevices` divides the leading axis of `x`. */
function checkDivisible(where: string, x: tf.Tensor, nDevices: number): void {
  if (x.rank < 1) throw new Error(`${where}: tensors must have a batch axis to split over devices; got a scalar`);
  const batchSize = x.shape[0];
  if (nDevices > 0 && batchSize % nDevices !== 0) {
    throw new Error(`Number of devices (${nDevices}) does not evenly divide batch size (${batchSize}).`);
  }
}

// --------------------------------------------------------------- jitForward

/** Options of {@link jitForward}. */
export interface JitForwardOptions {
  /**
   * For `nDevices >= 2`, average every output over its first (batch) axis,
   * as the reference does after combining the devices' outputs (default
   * true). Without several devices the reference returns the outputs as
   * they are, and so does this.
   */
  doMean?: boolean;
}

/**
 * Returns the forward function `(x, weights, state, rng) => [y, newState]`
 * to run on `nDevices` devices; give it a layer's pure function or the layer.
 *
 * For `nDevices < 2` (0 means the CPU in the reference) it is the function
 * itself. For `nDevices >= 2` the inputs must split evenly over the devices
 * (the reference's error otherwise) and, with `doMean`, each output of rank
 * >= 1 comes back averaged over its batch axis (outputs the reference's
 * devices give as scalars stay as computed on the whole batch).
 *
 * Differences from JAX: tfjs runs ops eagerly on one device, so nothing is
 * JIT-compiled and nothing is split by `pmap`: the function runs once on the
 * whole batch with the weights, state and key it is given (not replicated
 * per device, not split per device), and returns one state. Outputs equal
 * the reference's when the layer treats batch items independently.
 *
 * @example
 * ```ts
 * const layer = tl.Dense(2);
 * layer.init(new trax.shapes.ShapeDtype([4, 3]));
 * const f = tl.jitForward(layer, 1);
 * const [y, state] = f(tf.ones([4, 3]), layer.weights, layer.state, layer.rng); // y: (4, 2)
 * const [mean] = tl.jitForward(layer, 2)(tf.ones([4, 3]), layer.weights, layer.state, layer.rng); // (2,)
 * ```
 */
export function jitForward(forward: PureForward | Layer, nDevices: number, options: JitForwardOptions = {}): PureForward {
  checkNDevices("jitForward", nDevices);
  const doMean = options.doMean ?? true;
  let f: PureForward;
  if (forward instanceof Layer) {
    const layer = forward;
    f = (x, weights, state, rng) => layer.pureFn(x, weights, state, rng);
  } else if (typeof forward === "function") {
    f = forward;
  } else {
    throw new TypeError(`jitForward needs a forward function or a layer; got ${forward === null ? "null" : typeof forward}`);
  }
  if (nDevices < 2) return f;
  return (x, weights, state, rng) => {
    for (const leaf of [x].flat(Infinity)) checkDivisible("jitForward", leafTensor("jitForward", leaf), nDevices);
    if (!doMean) return f(x, weights, state, rng);
    // Inside one tidy: the un-averaged outputs are freed, the means and the state kept.
    return tf.tidy(() => {
      const [y, newState] = f(x, weights, state, rng);
      const mean = nestedMap(y as Nested<tf.Tensor>, (t) => (isTensor(t) && t.rank >= 1 ? tf.mean(t, 0) : t));
      return [mean, newState] as unknown as tf.TensorContainer;
    }) as unknown as [LayerOutput, State];
  }
}

// --------------------------------------------------------------- Accelerate

/** Options of {@link Accelerate}. */
export interface AccelerateOptions {
  /**
   * Number of devices to split the batch over (default: all local devices,
   * which is 1 on tfjs). The batch is padded to a multiple of it.
   */
  nDevices?: number | null;
}

class AccelerateLayer extends Layer {
  /** @internal */ _nDevices: number;
  /** @internal */ _jitPureFn: PureForward;

  constructor(layer: Layer, options: AccelerateOptions = {}) {
    if (!(layer instanceof Layer)) throw new TypeError(`Accelerate needs a layer; got ${layer === null ? "null" : typeof layer}`);
    super({ nIn: layer.nIn, nOut: layer.nOut });
    this._sublayers = [layer];
    this._weights = [null];
    this._state = [null];
    const n = options.nDevices || localDeviceCount();
    checkNDevices("Accelerate", n);
    this._nDevices = n;
    this._jitPureFn = jitForward((x, w, s, r) => layer.pureFn(x, w, s, r, true), n, { doMean: false });
  }

  /** The unique sublayer managed by this layer. */
  get sublayer(): Layer {
    return this._sublayers[0];
  }

  /** Number of devices the batch is padded for. */
  get nDevices(): number {
    return this._nDevices;
  }

  /**
   * The sublayer's weights. In JAX with `nDevices > 1` they are replicated
   * with a leading device axis; on tfjs's one device they are the sublayer's
   * own tensors (copies would only cost memory).
   */
  get weights(): WeightsView {
    return this.sublayer.weights;
  }

  set weights(weights: Weights) {
    this.sublayer.weights = weights;
  }

  /** The sublayer's state (one copy, as the weights). */
  get state(): WeightsView {
    return this.sublayer.state;
  }

  set state(state: State) {
    this.sublayer.state = state;
  }

  /** The key passed to the sublayer unchanged (Accelerate is transparent to randomness). */
  get rng(): PRNGKey {
    return this._rng ?? this.sublayer.rng;
  }

  set rng(rng: PRNGKey) {
    this._rng = rng;
    this.sublayer.rng = rng;
  }

  forward(x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const xs = Array.isArray(x) ? x : null;
    const first = xs ? xs[0] : x;
    if (!isTensor(first) || first.rank < 1) {
      throw new Error(`Accelerate splits inputs on their first (batch) axis: the first input must be a tensor of rank >= 1; got ${isTensor(first) ? "a scalar" : typeof first}`);
    }
    const n = this._nDevices;
    const sub = this.sublayer;
    const rng = this._rng ?? sub.rng;
    const batch = first.shape[0];
    const remainder = batch % n;
    if (remainder === 0) {
      const [y, s] = this._jitPureFn(x, sub.weights, sub.state, rng);
      this.state = s;
      return y;
    }
    // Pad with zeros on the batch axis up to a multiple of nDevices, run, cut back.
    const extra = n - remainder;
    const pad = (z: tf.Tensor) => {
      if (!isTensor(z) || z.rank < 1) throw new Error(`Accelerate pads every input on its batch axis; got ${isTensor(z) ? "a scalar" : typeof z}`);
      return tf.pad(z, z.shape.map((_, i) => (i === 0 ? [0, extra] : [0, 0]) as [number, number]));
    };
    const padded = xs ? xs.map(pad) : pad(x as tf.Tensor);
    const [py, s] = this._jitPureFn(padded, sub.weights, sub.state, rng);
    this.state = s;
    const unpad = (y: tf.Tensor, size: number) => (y.rank >= 1 && y.shape[0] === batch + extra ? y.slice(0, size) : y);
    if (Array.isArray(py)) return py.map((y, i) => unpad(y, xs && i < xs.length ? xs[i].shape[0] : batch));
    return unpad(py as tf.Tensor, batch);
  }

  initWeightsAndState(inputSignature: unknown): void {
    this.sublayer.init(inputSignature, { useCache: true });
  }

  /** Sets the weights of the sublayer (replicated onto devices in JAX; one copy here). */
  replicateWeights(weights: Weights): void {
    this.sublayer.weights = weights;
  }

  /** Sets the state of the sublayer (replicated onto devices in JAX; one copy here). */
  replicateState(state: State): void {
    this.sublayer.state = state;
  }
}

/**
 * Accelerates a layer: runs it data-parallel on the batch (first) axis. If
 * the batch size is not a multiple of `nDevices`, the inputs are padded with
 * zeros on that axis and the outputs cut back to the batch size (outputs
 * without that batch axis, such as a metric's scalar, are returned as
 * computed on the padded batch; zero weights make padded items count 0).
 * Does not need `init` when the sublayer is initialized; its weights and
 * state are the sublayer's, and `replicateWeights`/`replicateState` set them.
 *
 * Same inputs and outputs as the wrapped layer. Differences from JAX: tfjs
 * has one device and no `pmap`/`jit`, so the (padded) batch runs as one call
 * of the sublayer on the backend's device, the weights and state are not
 * replicated with a leading device axis, and a stateful sublayer's new state
 * is its one new state. Results therefore equal the plain layer's, also for
 * batch-dependent layers like BatchNorm when no padding is needed.
 *
 * @example
 * ```ts
 * const layer = tl.Dense(2);
 * layer.init(new trax.shapes.ShapeDtype([3, 7]));
 * const fast = tl.Accelerate(layer, { nDevices: 2 });
 * fast(tf.ones([3, 7])).shape; // [3, 2]: padded to 4 rows, then cut back
 * fast.replicateWeights(layer.weights);
 * ```
 */
export const Accelerate = callable(AccelerateLayer, "Accelerate", {
  positional: ["layer"],
  options: optionKeys<AccelerateOptions>({
    nDevices: true,
  }),
});
export type Accelerate = AccelerateLayer;

// ---------------------------------------------------------------- functions

/**
 * The mean of a distributed value `x` along `axis` (all axes when `null`).
 * Single-device semantics, as the reference's JAX backend computes it: a
 * plain `mean`, for any `nDevices` and any axis (the tensorflow-numpy backend
 * of the reference psums over devices first and allows only axis 0 or null).
 *
 * Input any tensor; output the mean (a scalar for `axis = null`). The caller
 * owns the result.
 *
 * @example
 * ```ts
 * tl.meanOrPmean(1, tf.tensor([[1, 2], [3, 4]]), 0); // [2, 3]
 * tl.meanOrPmean(1, tf.tensor([1, 2, 3, 6])); // 3
 * ```
 */
export function meanOrPmean(nDevices: number, x: tf.Tensor | tf.TensorLike, axis: number | number[] | null = null): tf.Tensor {
  checkNDevices("meanOrPmean", nDevices);
  return tf.tidy(() => {
    const t = isTensor(x) ? x : tf.tensor(x);
    return tf.mean(t, axis === null ? undefined : axis);
  });
}

/** Options of {@link reshapeByDevice}. */
export interface ReshapeByDeviceOptions {
  /**
   * In the reference, reshape with numpy (host memory) instead of jnp. tfjs
   * has one kind of tensor: accepted and ignored.
   */
  pureNp?: boolean;
}

/**
 * Reshapes every tensor of a (possibly nested) `x` from `(batch, ...)` to
 * `(nDevices, batch / nDevices, ...)`, as the reference does before `pmap`.
 * Throws the reference's error when `nDevices` does not divide the batch.
 * On tfjs the result is only a reshape (nothing is placed on devices).
 *
 * Input tensors `(batch, ...)`; output `(nDevices, batch / nDevices, ...)`
 * in the same nesting. The caller owns the results.
 *
 * @example
 * ```ts
 * (tl.reshapeByDevice(tf.zeros([6, 5]), 3) as tf.Tensor).shape; // [3, 2, 5]
 * tl.reshapeByDevice([tf.zeros([4]), tf.zeros([4, 2])], 2); // shapes [2, 2], [2, 2, 2]
 * ```
 */
export function reshapeByDevice<T extends Nested<tf.Tensor>>(x: T, nDevices: number, options: ReshapeByDeviceOptions = {}): Nested<tf.Tensor> {
  void options.pureNp;
  if (!Number.isInteger(nDevices) || nDevices < 1) throw new RangeError(`reshapeByDevice: nDevices must be a positive integer; got ${nDevices}`);
  return nestedMap(x as Nested<tf.Tensor>, (leaf) => {
    const t = leafTensor("reshapeByDevice", leaf);
    checkDivisible("reshapeByDevice", t, nDevices);
    const [batchSize, ...rest] = t.shape;
    return tf.reshape(t, [nDevices, batchSize / nDevices, ...rest]);
  });
}

/**
 * Replicates every tensor of a (possibly nested) `x` for `nDevices`: for
 * `nDevices > 1` each becomes `(nDevices, ...shape)` with a copy per device on
 * the leading axis (as `jax.device_put_replicated` lays it out, but all on
 * tfjs's one device); for `nDevices <= 1` `x` is returned as it is.
 *
 * @example
 * ```ts
 * tl.forNDevices(tf.tensor([1, 2]), 3); // [[1, 2], [1, 2], [1, 2]]
 * const w = tf.ones([2]);
 * tl.forNDevices(w, 1) === w; // true
 * ```
 */
export function forNDevices<T extends Nested<tf.Tensor>>(x: T, nDevices: number): T | Nested<tf.Tensor> {
  checkNDevices("forNDevices", nDevices);
  if (nDevices <= 1) return x;
  return nestedMap(x as Nested<tf.Tensor>, (leaf) => {
    const t = leafTensor("forNDevices", leaf);
    return tf.broadcastTo(t, [nDevices, ...t.shape]);
  });
}

/**
 * Puts `x` in CPU memory in JAX. tfjs tensors live on their backend's device
 * and cannot be moved one by one: returns `x` unchanged (switch the whole
 * backend with `trax.backend.setBackend("cpu")` to compute on the CPU).
 *
 * @example
 * ```ts
 * const x = tf.ones([2]);
 * tl.onCpu(x) === x; // true
 * ```
 */
export function onCpu<T>(x: T): T {
  return x;
}

/**
 * Puts `x` in (single) accelerator memory in JAX. tfjs tensors already live
 * on the backend's device (the GPU with `tfjs-node-gpu`): returns `x`
 * unchanged, as the reference does when there is no single accelerator.
 *
 * @example
 * ```ts
 * const x = tf.ones([2]);
 * tl.onAccelerator(x) === x; // true
 * ```
 */
export function onAccelerator<T>(x: T): T {
  return x;
}
