/**
 * The optimizer base class (Trax's `trax.optimizers.Optimizer`): per-weight
 * `init` (slots) and `update`, assembled over a whole weight tree by
 * `treeInit` / `treeUpdate`, with gradient clipping by global norm.
 * @module
 */
import { tf } from "../backend/tf";
import { callable } from "../layers/callable";
import { nestedMap, treeFlatten, treeUnflatten } from "../fastmath/tree";
import type { Nested } from "../fastmath/tree";

/** Optimizer hyperparameters by name (`learningRate`, `b1`, ...); they may change every step. */
export type OptParams = Record<string, number>;

/** Optimizer slots: for each weight tensor of the tree (in flattened order), its slot tensors. */
export type Slots = tf.Tensor[][];

/** Metrics of one `treeUpdate`: global L2 norms of the gradients and of the weights. */
export interface UpdateMetrics {
  gradientsL2?: tf.Scalar;
  weightsL2?: tf.Scalar;
}

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Learning rate; a schedule may change it every step. */
  learningRate?: number;
  /** Scale all gradients down together so their global L2 norm is at most this (null: no clipping). */
  clipGradNorm?: number | null;
}

/** Options of {@link Optimizer.treeUpdate}. */
export interface TreeUpdateOptions {
  /** Keep the new slots in `optimizer.slots` (disposing the replaced ones). Default true. */
  storeSlots?: boolean;
  /** Also return the gradient and weight norms. Default true. */
  metrics?: boolean;
}

function isWeightTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/**
 * Global L2 norm of all tensors in a tree, as if they were one vector.
 *
 * @example
 * ```ts
 * trax.optimizers.l2Norm([tf.tensor([3]), [tf.tensor([4])]]); // 5
 * ```
 */
export function l2Norm(tree: unknown): tf.Scalar {
  return tf.tidy(() => {
    const leaves = treeFlatten(tree as Nested<unknown>).filter(isWeightTensor);
    if (leaves.length === 0) return tf.scalar(0);
    const sq = leaves.map((x) => tf.sum(tf.square(x)));
    return tf.sqrt(sumOfMany(sq)) as tf.Scalar;
  });
}

/**
 * The elementwise sum of same-shaped tensors, in `tf.addN`s of at most
 * {@link ADD_N_MAX} inputs: tfjs-webgpu's AddN binds every input as a storage
 * buffer and fails past the device's per-stage limit (8 by default in WebGPU,
 * one of them the output), where a model has dozens of weights.
 */
function sumOfMany(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADD_N_MAX) {
      const group = level.slice(i, i + ADD_N_MAX);
      next.push(group.length === 1 ? group[0] : tf.addN(group));
    }
    level = next;
  }
  return level[0];
}

/** The most inputs one `tf.addN` gets (WebGPU: 8 storage buffers per stage, one for the output). */
const ADD_N_MAX = 7;

/**
 * Scales every gradient by `maxNorm / norm` when the global norm exceeds
 * `maxNorm` (Trax's `clip_grads`). Same tree structure out.
 *
 * @example
 * ```ts
 * trax.optimizers.clipGrads([tf.tensor([3, 4])], 1); // [[0.6, 0.8]]
 * ```
 */
export function clipGrads<T>(gradTree: T, maxNorm: number, norm?: tf.Scalar): T {
  return tf.tidy(() => {
    const n = norm ?? l2Norm(gradTree);
    const scale = tf.where(tf.less(n, maxNorm), tf.scalar(1), tf.div(maxNorm, n));
    return nestedMap(gradTree as Nested<unknown>, (g) => (isWeightTensor(g) ? tf.mul(g, scale) : g)) as unknown as tf.TensorContainer;
  }) as unknown as T;
}

/**
 * Base class of optimizers. A subclass says how to make the slots of one
 * weight tensor (`init`) and how one step changes a weight and its slots
 * (`update`); `treeInit` and `treeUpdate` apply that to every weight of a
 * model. Hyperparameters live in `optParams` (a learning-rate schedule sets
 * `optParams.learningRate` each step).
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.SGD({ learningRate: 0.1 });
 * opt.treeInit(model.weights);
 * const [newWeights] = opt.treeUpdate(0, grads, model.weights, opt.slots!, opt.optParams);
 * ```
 */
export abstract class Optimizer {
  /** Current hyperparameters (camelCase names: `learningRate`, `b1`, ...). */
  optParams: OptParams;
  /** Global-norm gradient clipping threshold (null: none). */
  readonly clipGradNorm: number | null;
  private _slots: Slots | null = null;

  constructor(options: OptimizerOptions & Record<string, number | null | undefined> = {}) {
    const { clipGradNorm = null, ...params } = options as OptimizerOptions & Record<string, number>;
    const p: OptParams = { learningRate: 0.01, ...params };
    for (const [k, v] of Object.entries(p)) {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${this.constructor.name}: ${k} must be a finite number; got ${String(v)}`);
    }
    if (clipGradNorm !== null && !(typeof clipGradNorm === "number" && clipGradNorm > 0)) {
      throw new Error(`${this.constructor.name}: clipGradNorm must be a positive number or null; got ${String(clipGradNorm)}`);
    }
    this.optParams = p;
    this.clipGradNorm = clipGradNorm;
  }

  /** The slot tensors for one weight tensor (e.g. Adam: `[m, v]`; SGD: `[]`). */
  abstract init(weights: tf.Tensor): tf.Tensor[];

  /**
   * One step for one weight tensor: `[newWeights, newSlots]`. Runs inside a
   * `tf.tidy` (intermediates are freed); must not dispose its inputs.
   */
  abstract update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], optParams: OptParams): [tf.Tensor, tf.Tensor[]];

  /** The slots kept by this optimizer (set by `treeInit` and `treeUpdate`). */
  get slots(): Slots | null {
    return this._slots;
  }

  set slots(slots: Slots | null) {
    if (this._slots && this._slots !== slots) {
      const keep = new Set((slots ?? []).flat());
      for (const t of this._slots.flat()) if (!keep.has(t) && !t.isDisposed) t.dispose();
    }
    this._slots = slots;
  }

  /**
   * Makes slots for every weight tensor of a tree (flattened order) and
   * keeps them; returns `[slots, optParams]`.
   *
   * @example
   * ```ts
   * const [slots] = new trax.optimizers.Adam().treeInit(model.weights); // [[m, v], ...]
   * ```
   */
  treeInit(weightTree: unknown): [Slots, OptParams] {
    const leaves = treeFlatten(weightTree as Nested<unknown>).filter(isWeightTensor);
    const slots = leaves.map((w) => tf.tidy(() => this.init(w)));
    this.slots = slots;
    return [slots, this.optParams];
  }

  /**
   * One optimizer step over a whole tree: clips the gradients (if
   * `clipGradNorm`), updates every weight and its slots. Returns
   * `[newWeights, newSlots, metrics]` (new tensors; the inputs are left
   * alone, except that `storeSlots` disposes the slots it replaces in
   * `this.slots`). Non-tensor leaves (cache markers) pass through.
   *
   * @example
   * ```ts
   * const [w2, slots2] = opt.treeUpdate(step, grads, weights, opt.slots!, opt.optParams);
   * ```
   */
  treeUpdate(
    step: number,
    gradTree: unknown,
    weightTree: unknown,
    slots: Slots,
    optParams: OptParams = this.optParams,
    options: TreeUpdateOptions = {}
  ): [unknown, Slots, UpdateMetrics] {
    const storeSlots = options.storeSlots ?? true;
    const wantMetrics = options.metrics ?? true;
    const weightLeaves = treeFlatten(weightTree as Nested<unknown>);
    const gradLeaves = treeFlatten(gradTree as Nested<unknown>);
    const ws = weightLeaves.filter(isWeightTensor);
    const gs = gradLeaves.filter(isWeightTensor);
    if (gs.length !== ws.length) {
      throw new Error(`${this.constructor.name}: ${gs.length} gradients for ${ws.length} weights`);
    }
    if (slots.length !== ws.length) {
      throw new Error(`${this.constructor.name}: slots for ${slots.length} weights, but the tree has ${ws.length} (call treeInit on these weights)`);
    }
    ws.forEach((w, i) => {
      const g = gs[i];
      if (g.shape.length !== w.shape.length || g.shape.some((d, k) => d !== w.shape[k])) {
        throw new Error(`${this.constructor.name}: gradient ${i} has shape [${g.shape}]; its weight has [${w.shape}]`);
      }
    });
    const out = tf.tidy(() => {
      let grads = gs;
      let gradNorm: tf.Scalar | undefined;
      if (this.clipGradNorm !== null || wantMetrics) gradNorm = l2Norm(gs);
      if (this.clipGradNorm !== null) grads = clipGrads(gs, this.clipGradNorm, gradNorm);
      const newW: tf.Tensor[] = [];
      const newS: tf.Tensor[][] = [];
      ws.forEach((w, i) => {
        const [nw, ns] = this.update(step, grads[i], w, slots[i], optParams);
        if (nw.dtype !== w.dtype) throw new Error(`${this.constructor.name}: new weights of dtype ${nw.dtype} for weights of dtype ${w.dtype}`);
        newW.push(nw);
        newS.push(ns);
      });
      const metrics: tf.Tensor[] = wantMetrics ? [gradNorm as tf.Scalar, l2Norm(ws)] : [];
      return [newW, newS, metrics] as unknown as tf.TensorContainer;
    }) as unknown as [tf.Tensor[], Slots, tf.Scalar[]];
    const [newW, newS, m] = out;
    let k = 0;
    const newLeaves = weightLeaves.map((l) => (isWeightTensor(l) ? newW[k++] : l));
    const newWeights = treeUnflatten(newLeaves, weightTree as Nested<unknown>)[0];
    if (storeSlots) this.slots = newS;
    const metrics: UpdateMetrics = wantMetrics ? { gradientsL2: m[0], weightsL2: m[1] } : {};
    return [newWeights, newS, metrics];
  }
}

/** Options of {@link SGD}. */
export type SGDOptions = OptimizerOptions;

/**
 * Stochastic gradient descent: `w - learningRate * g`. No slots.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.SGD({ learningRate: 0.1 });
 * ```
 */
class SGDOptimizer extends Optimizer {
  constructor(options: SGDOptions = {}) {
    super({ ...options });
  }

  init(weights: tf.Tensor): tf.Tensor[] {
    void weights;
    return [];
  }

  update(step: number, grads: tf.Tensor, weights: tf.Tensor, slots: tf.Tensor[], p: OptParams): [tf.Tensor, tf.Tensor[]] {
    void step;
    void slots;
    return [tf.sub(weights, tf.mul(grads, p.learningRate)), []];
  }
}

/**
 * Stochastic gradient descent: `w - learningRate * g`. No slots.
 *
 * @example
 * ```ts
 * const opt = new trax.optimizers.SGD({ learningRate: 0.1 });
 * ```
 */
export const SGD = callable(SGDOptimizer, "SGD");
export type SGD = SGDOptimizer;
