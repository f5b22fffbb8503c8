/**
 * `EfficientAttentionBase`: multi-head attention whose weights are stacked
 * per head and whose state is stacked per (example, head), with the input
 * cache of Trax's fast inference (`predict` mode).
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";
import { isTensor, nestedMap, treeFlatten, treeUnflatten } from "../../fastmath/tree";
import type { Nested } from "../../fastmath/tree";
import { ShapeDtype } from "../../shapes";
import type { Signature } from "../../shapes";
import { Layer } from "../base";
import type { State, Weights } from "../base";
import { callable } from "../callable";
import { vjp } from "../../fastmath/grad";
import { optionKeys } from "../arg-check";

/** Layer modes. */
export type EfficientAttentionMode = "train" | "eval" | "predict";

/** Options of {@link EfficientAttentionBase}. */
export interface EfficientAttentionBaseOptions {
  /** Number of inputs (default 1). */
  nIn?: number;
  /**
   * Heads computed together in the backward pass, as in Trax: null (default)
   * all at once; it must be a multiple or a fraction of `nHeads`. The
   * forward and the backward (which recomputes the forward) run one group
   * of heads at a time and free each group's work before the next, so `1`
   * bounds the peak memory of a call or a gradient by one head's attention.
   */
  nParallelHeads?: number | null;
  /** Fast inference: keep a cache of past inputs (self-attention only; default false). */
  incremental?: boolean;
  /** Input positions the fast-inference cache holds. */
  predictMemLen?: number | null;
  /** Positions dropped from the cache when it is full. */
  predictDropLen?: number | null;
  /** Accepted for Trax compatibility and has no effect: Trax chooses a Python or a compiled loop over head groups (the same numbers); trax-ts always loops in JavaScript. */
  usePythonLoop?: boolean;
  /** Run the readable per-example, per-head reference loop instead of the batched pass (default false). */
  useReferenceCode?: boolean;
  /** Layer name (default the class name; trax-ts addition). */
  name?: string;
}

/** Per-call context handed to the forward functions. */
export interface HeadContext {
  /** Weights (stacked per head, or one head's in the reference loop). */
  weights: Weights;
  /** State (stacked per example-head row, or one row's). */
  state: State;
  /** The layer's key, shared by all examples and heads. */
  rng: PRNGKey;
  /** In fast inference, the cache index of the first new query. */
  qStart?: number;
  /** In fast inference, how many new queries. */
  qLen?: number;
  /**
   * True in the backward pass: `state` is the state the forward returned, and
   * what it stored (LSH's buckets) is to be reused rather than recomputed.
   */
  reuseState?: boolean;
}

/** Validates the Trax parallel-heads setting. */
export function checkParallelHeads(nHeads: number, nParallelHeads: number | null | undefined): number | null {
  if (!Number.isInteger(nHeads) || nHeads <= 0) throw new Error(`nHeads must be a positive integer; got ${nHeads}`);
  if (!nParallelHeads) return null;
  if ((nParallelHeads > nHeads && nParallelHeads % nHeads !== 0) || (nParallelHeads < nHeads && nHeads % nParallelHeads !== 0)) {
    throw new Error(`nParallelHeads must be a multiple or fraction of nHeads; got nParallelHeads ${nParallelHeads}, nHeads ${nHeads}`);
  }
  return nParallelHeads;
}

/** Stacks same-structured trees of tensors along a new axis 0. */
export function stackTrees(trees: readonly Nested<tf.Tensor>[]): Nested<tf.Tensor> {
  if (trees.length === 0) return [];
  const first = trees[0];
  if (isTensor(first)) return tf.stack(trees as tf.Tensor[], 0);
  return (first as readonly Nested<tf.Tensor>[]).map((_, i) => stackTrees(trees.map((t) => (t as readonly Nested<tf.Tensor>[])[i])));
}

/** Row `i` of `t` by slicing (a gather's gradient needs a kernel the wasm backend lacks). */
function row(t: tf.Tensor, i: number): tf.Tensor {
  return tf.squeeze(tf.slice(t, [i], [1]), [0]);
}

/** Row `i` of every tensor in a stacked tree. */
export function sliceTree(tree: unknown, i: number): Nested<tf.Tensor> {
  return nestedMap(tree as Nested<tf.Tensor>, (t) => (isTensor(t) ? row(t, i) : t)) as Nested<tf.Tensor>;
}

/**
 * Base class for efficient attention, as Trax's `EfficientAttentionBase`.
 * Subclasses define `createWeightsUnbatched`, `createStateUnbatched` and
 * `forwardUnbatched` (one example, one head), and may override
 * `forwardBatched` (all examples and heads at once; the default loops over
 * `forwardUnbatched`, summing heads) and `incrementalForwardUnbatched` (fast
 * inference).
 *
 * Weights are stacked per head (`(nHeads, ...)`), state per example and head
 * (`(batch * nHeads, ...)`). With `incremental`, the state is
 * `[memEnd, mem, perHeadState]`: `mem` holds the last `predictMemLen` inputs.
 * Inputs `(batch, length, d)` (plus any further inputs); output `(batch, length, d)`.
 *
 * @example
 * ```ts
 * class MyAttention extends tl.EfficientAttentionBase {
 *   createWeightsUnbatched(sig, rng) { return trax.fastmath.random.normal(rng, [sig[0].shape[1], 1]); }
 *   forwardUnbatched(xs, ctx) { return [xs[0].mul(ctx.weights.sum()), ctx.state]; }
 * }
 * new MyAttention(2)(tf.ones([1, 3, 4])).shape; // [1, 3, 4]
 * ```
 */
class EfficientAttentionBaseLayer extends Layer {
  /** @internal */ _nHeads: number;
  /** @internal */ _nParallelHeads: number | null;
  /** @internal */ _incremental: boolean;
  /** @internal */ _predictMemLen: number;
  /** @internal */ _predictDropLen: number;
  /** @internal */ _useReferenceCode: boolean;

  constructor(nHeads: number, options: EfficientAttentionBaseOptions = {}) {
    super({ nIn: options.nIn ?? 1, nOut: 1, ...(options.name ? { name: options.name } : {}) });
    this._nParallelHeads = checkParallelHeads(nHeads, options.nParallelHeads);
    this._nHeads = nHeads;
    this._incremental = options.incremental ?? false;
    this._predictMemLen = 0;
    this._predictDropLen = 0;
    if (this._incremental) {
      const mem = options.predictMemLen ?? null;
      const drop = options.predictDropLen ?? null;
      if (mem === null || drop === null) throw new Error("This configuration does not support fast inference: set predictMemLen and predictDropLen.");
      if (!Number.isInteger(mem) || !Number.isInteger(drop) || !(0 < drop && drop <= mem)) {
        throw new Error(`Bad parameter values: need 0 < predictDropLen <= predictMemLen; got predictMemLen ${mem}, predictDropLen ${drop}`);
      }
      this._predictMemLen = mem;
      this._predictDropLen = drop;
    }
    this._useReferenceCode = options.useReferenceCode ?? false;
  }

  /** Number of attention heads. */
  get nHeads(): number {
    return this._nHeads;
  }

  /** Creates one head's weights for one example's signature (subclasses override). */
  createWeightsUnbatched(inputSignature: ShapeDtype[], rng: PRNGKey): Nested<tf.Tensor> {
    void [inputSignature, rng];
    throw new Error("Subclasses should override createWeightsUnbatched");
  }

  /** Creates one (example, head) pair's state (default none). */
  createStateUnbatched(inputSignature: ShapeDtype[], rng: PRNGKey): Nested<tf.Tensor> {
    void [inputSignature, rng];
    return [];
  }

  /** The inputs whose signatures shape the weights and the predict cache (default all). */
  protected signatureInputs(sigs: ShapeDtype[]): ShapeDtype[] {
    return sigs;
  }

  /**
   * One example, one head: inputs without the batch axis, that head's weights
   * and that pair's state; returns `[output (length, d), newState]`.
   */
  forwardUnbatched(inputs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    void [inputs, ctx];
    throw new Error("Subclasses should override forwardUnbatched");
  }

  /** Fast inference for one example and head (`ctx.qStart`, `ctx.qLen` are set). */
  incrementalForwardUnbatched(inputs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    void [inputs, ctx];
    throw new Error("Fast inference is not implemented for this attention type.");
  }

  /**
   * All examples and heads at once: `[output (batch, length, d), newState]`.
   * The default is the reference loop over {@link forwardUnbatched}.
   */
  forwardBatched(inputs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    return this.forwardReference(inputs, ctx);
  }

  /** The readable reference: loop over examples and heads, summing head outputs. */
  forwardReference(inputs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const batch = inputs[0].shape[0];
    const outs: tf.Tensor[] = [];
    const newStates: Nested<tf.Tensor>[] = [];
    const incremental = ctx.qStart !== undefined;
    for (let b = 0; b < batch; b++) {
      const single = inputs.map((x) => row(x, b));
      let acc: tf.Tensor | null = null;
      for (let h = 0; h < this._nHeads; h++) {
        const hctx: HeadContext = {
          ...ctx,
          weights: sliceTree(ctx.weights, h) as Weights,
          state: sliceTree(ctx.state, b * this._nHeads + h) as State,
        };
        const [o, s] = incremental ? this.incrementalForwardUnbatched(single, hctx) : this.forwardUnbatched(single, hctx);
        acc = acc === null ? o : acc.add(o);
        newStates.push(s as Nested<tf.Tensor>);
      }
      outs.push(acc as tf.Tensor);
    }
    const hasState = treeFlatten(newStates[0] ?? []).length > 0;
    return [tf.stack(outs, 0), (hasState ? stackTrees(newStates) : ctx.state) as State];
  }

  /** Heads per group: `nParallelHeads` (at most `nHeads`), or all heads. */
  private headsPerGroup(): number {
    return Math.min(this._nParallelHeads ?? this._nHeads, this._nHeads);
  }

  /** The state rows `b * nHeads + h` of heads `[h0, h0 + g)`, for every example. */
  private groupRows(batch: number, h0: number, g: number): tf.Tensor {
    const rows: number[] = [];
    for (let b = 0; b < batch; b++) for (let h = h0; h < h0 + g; h++) rows.push(b * this._nHeads + h);
    return tf.tensor1d(rows, "int32");
  }

  /** `forwardBatched` on heads `[h0, h0 + g)` only: their weights and state rows. */
  private forwardGroup(xs: tf.Tensor[], ctx: HeadContext, h0: number, g: number): [tf.Tensor, State] {
    const rows = this.groupRows(xs[0].shape[0], h0, g);
    const weights = nestedMap(ctx.weights as Nested<unknown>, (w) => (isTensor(w) ? w.slice([h0], [g, ...w.shape.slice(1)]) : w)) as unknown as Weights;
    const state = nestedMap(ctx.state as Nested<unknown>, (t) => (isTensor(t) ? tf.gather(t, rows, 0) : t)) as unknown as State;
    const saved = this._nHeads;
    this._nHeads = g;
    try {
      return this.forwardBatched(xs, { ...ctx, weights, state });
    } finally {
      this._nHeads = saved;
    }
  }

  /**
   * The forward one group of `nParallelHeads` heads at a time (all at once
   * when unset), as Trax's `forward_and_or_backward`: each group's work is
   * freed before the next, head outputs are summed and the groups' state rows
   * put back in `b * nHeads + h` order.
   */
  private forwardInGroups(xs: tf.Tensor[], ctx: HeadContext): [tf.Tensor, State] {
    const group = this.headsPerGroup();
    if (group >= this._nHeads) return this.forwardBatched(xs, ctx);
    const batch = xs[0].shape[0];
    let total: tf.Tensor | null = null;
    const states: tf.Tensor[][] = [];
    let stateTree: State = ctx.state;
    for (let h0 = 0; h0 < this._nHeads; h0 += group) {
      const g = Math.min(group, this._nHeads - h0);
      const [out, leaves] = tf.tidy(() => {
        const [o, st] = this.forwardGroup(xs, ctx, h0, g);
        stateTree = st;
        const ls = treeFlatten(st as Nested<unknown>).filter(isTensor);
        return [o, ls.map((t) => t.reshape([batch, g, ...t.shape.slice(1)]))] as unknown as tf.TensorContainer;
      }) as unknown as [tf.Tensor, tf.Tensor[]];
      if (total === null) total = out;
      else {
        const sum: tf.Tensor = total.add(out);
        total.dispose();
        out.dispose();
        total = sum;
      }
      states.push(leaves);
    }
    if (states[0].length === 0) return [total as tf.Tensor, ctx.state];
    const merged = states[0].map((_, k) => {
      const parts = states.map((ls) => ls[k]);
      const whole = tf.concat(parts, 1);
      tf.dispose(parts);
      const flat = whole.reshape([batch * this._nHeads, ...whole.shape.slice(2)]);
      whole.dispose();
      return flat;
    });
    let i = 0;
    return [total as tf.Tensor, nestedMap(stateTree as Nested<unknown>, (l) => (isTensor(l) ? merged[i++] : l)) as unknown as State];
  }

  /** A memory-efficient backward (per group of heads) unless running the reference code or fast inference. */
  get hasBackward(): boolean {
    return !this._useReferenceCode && !this._incremental;
  }

  /**
   * The gradient one group of `nParallelHeads` heads at a time, as Trax's
   * `forward_and_or_backward`: each group's forward is recomputed on its
   * slice of the weights and of the state the forward returned (LSH reuses
   * the buckets it stored) and differentiated, and its work is freed before
   * the next group, so the peak memory is one group's. Head outputs add up,
   * so the input gradient is the sum over groups and the weight gradient the
   * groups' slices stacked again.
   */
  backward(inputs: any, output: any, grad: any, weights: any, state: any, newState: any, rng: PRNGKey): [any, any] {
    void [output, state];
    const xs: tf.Tensor[] = Array.isArray(inputs) ? inputs : [inputs];
    const nHeads = this._nHeads;
    const group = this.headsPerGroup();
    const wLeaves = treeFlatten(weights as Nested<tf.Tensor>).filter(isTensor);
    const diffable = xs.map((x, i) => (x.dtype === "float32" ? i : -1)).filter((i) => i >= 0);
    const batch = xs[0].shape[0];
    const gx: tf.Tensor[] = xs.map((x) => tf.zerosLike(x).toFloat());
    const gwParts: tf.Tensor[][] = wLeaves.map(() => []);
    for (let h0 = 0; h0 < nHeads; h0 += group) {
      const g = Math.min(group, nHeads - h0);
      const [gxs, gws] = tf.tidy(() => {
        const rowIdx = this.groupRows(batch, h0, g);
        const groupState = nestedMap(newState as Nested<tf.Tensor>, (t) => tf.gather(t, rowIdx, 0)) as unknown as State;
        const groupWeights = wLeaves.map((w) => w.slice([h0], [g, ...w.shape.slice(1)]));
        const f = (...args: tf.Tensor[]) => {
          const all = xs.slice();
          diffable.forEach((i, k) => (all[i] = args[k]));
          const wTree = treeUnflatten(args.slice(diffable.length), weights as Nested<tf.Tensor>, (l: unknown) => !isTensor(l))[0] as Weights;
          const saved = this._nHeads;
          this._nHeads = g;
          try {
            return this.forwardBatched(all, { weights: wTree, state: groupState, rng, reuseState: true })[0];
          } finally {
            this._nHeads = saved;
          }
        };
        // vjp: a gradient nested in the outer backward pass keeps the outer tape.
        const [out, [gxsG, gwsG]] = vjp(
          ([xsD, ws]: tf.Tensor[][]) => f(...xsD, ...ws),
          [diffable.map((i) => xs[i]), groupWeights],
          grad as tf.Tensor
        );
        out.dispose();
        return [gxsG, gwsG] as unknown as tf.TensorContainer;
      }) as unknown as [tf.Tensor[], tf.Tensor[]];
      diffable.forEach((i, k) => {
        const sum = gx[i].add(gxs[k]);
        gx[i].dispose();
        gxs[k].dispose();
        gx[i] = sum;
      });
      gws.forEach((gw, k) => gwParts[k].push(gw));
    }
    const gw = gwParts.map((parts) => {
      if (parts.length === 1) return parts[0];
      const whole = tf.concat(parts, 0);
      tf.dispose(parts);
      return whole;
    });
    const gwTree = treeUnflatten(gw, weights as Nested<tf.Tensor>, (l: unknown) => !isTensor(l))[0];
    return [Array.isArray(inputs) ? gx : gx[0], gwTree];
  }

  initWeightsAndState(inputSignature: Signature): void {
    const all = (Array.isArray(inputSignature) ? inputSignature : [inputSignature]) as ShapeDtype[];
    if (all.length !== this.nIn) throw new Error(`${this.name} takes ${this.nIn} inputs; got ${all.length}`);
    const sigs = this.signatureInputs(all);
    for (const s of sigs) {
      if (!(s instanceof ShapeDtype) || s.rank < 2) throw new Error(`${this.name} expects inputs with a batch axis; got ${String(s)}`);
    }
    const unbatched = sigs.map((s) => new ShapeDtype(s.shape.slice(1), s.dtype));
    const batch = sigs[0].shape[0];
    const weightRngs = random.split(this.rng, this._nHeads);
    const perHead = weightRngs.map((r) => this.createWeightsUnbatched(unbatched, r));
    const stateRngs = random.split(this.rng, this._nHeads * batch);
    const perRow = stateRngs.map((r) => this.createStateUnbatched(unbatched, r));
    const weights = tf.tidy(() => stackTrees(perHead) as unknown as tf.TensorContainer) as unknown as Weights;
    let state = tf.tidy(() => stackTrees(perRow) as unknown as tf.TensorContainer) as unknown as State;
    tf.dispose([perHead, perRow] as unknown as tf.TensorContainer);
    if (this._incremental) {
      const mem = sigs.map((s) => tf.zeros([s.shape[0], this._predictMemLen, ...s.shape.slice(2)], s.dtype));
      state = [tf.scalar(0, "int32"), mem, state] as unknown as State;
    }
    this.weights = weights;
    this.state = state;
  }

  forward(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    this.checkInputs(xs);
    const rng = this.rng;
    if (!this._incremental) {
      const ctx: HeadContext = { weights: this.weights, state: this.state, rng };
      const [out, s] = this._useReferenceCode ? this.forwardReference(xs, ctx) : this.forwardInGroups(xs, ctx);
      this.state = s;
      return out;
    }
    const [memEnd, mem, perHead] = this.state as unknown as [tf.Tensor, tf.Tensor[], State];
    const seqlen = xs[0].shape[1];
    const [used, qStart, newMem, newEnd] = this.usePredictMem(this.signatureTensors(xs), mem, memEnd.dataSync()[0]);
    const ctx: HeadContext = { weights: this.weights, state: perHead, rng, qStart, qLen: seqlen };
    const all = this.withSignatureTensors(xs, used);
    const [out, s] = this._useReferenceCode ? this.forwardReference(all, ctx) : this.forwardBatched(all, ctx);
    this.state = [tf.scalar(newEnd, "int32"), newMem, s] as unknown as State;
    return out;
  }

  /** Checks input shapes (subclasses extend it); called before any work. */
  protected checkInputs(xs: tf.Tensor[]): void {
    const x = xs[0];
    if (x.rank !== 3) throw new Error(`${this.name} expects (batch, length, d) inputs; got shape [${x.shape}]`);
  }

  /** The inputs that go into the predict cache (matches `signatureInputs`). */
  protected signatureTensors(xs: tf.Tensor[]): tf.Tensor[] {
    return xs.slice(0, this.signatureInputs(xs.map((x) => new ShapeDtype(x.shape, x.dtype))).length);
  }

  /** Puts the cached versions back among the inputs. */
  protected withSignatureTensors(xs: tf.Tensor[], used: tf.Tensor[]): tf.Tensor[] {
    return [...used, ...xs.slice(used.length)];
  }

  /**
   * Updates the fast-inference input cache, as Trax's `_use_predict_mem`:
   * returns `[inputs to attend over, qStart, newMem, newMemEnd]`.
   */
  protected usePredictMem(xs: tf.Tensor[], mem: tf.Tensor[], memEnd: number): [tf.Tensor[], number, tf.Tensor[], number] {
    const seqlen = xs[0].shape[1] as number;
    const memLen = this._predictMemLen;
    const dropLen = this._predictDropLen;
    if (seqlen <= dropLen && seqlen < memLen) {
      // A few new positions (usually one): drop the oldest positions if they do not fit, then write.
      let end = memEnd;
      let bufs = mem;
      if (end + seqlen > memLen) {
        bufs = bufs.map((buf) => {
          const kept = buf.slice([0, dropLen], [buf.shape[0], memLen - dropLen, ...buf.shape.slice(2)]);
          return tf.concat([kept, tf.zeros([buf.shape[0], dropLen, ...buf.shape.slice(2)], buf.dtype)], 1);
        });
        end -= dropLen;
      }
      const updated = bufs.map((buf, i) => {
        const x = xs[i];
        if (x.shape[1] !== seqlen || x.shape[0] !== buf.shape[0] || x.shape.slice(2).join() !== buf.shape.slice(2).join()) {
          throw new Error(`${this.name} in predict mode expects inputs shaped like [${[buf.shape[0], seqlen, ...buf.shape.slice(2)]}] (as at init); got [${x.shape}]`);
        }
        const rest = buf.shape.slice(2);
        const before = buf.slice([0, 0], [buf.shape[0], end, ...rest]);
        const after = buf.slice([0, end + seqlen], [buf.shape[0], memLen - end - seqlen, ...rest]);
        return tf.concat([before, x.cast(buf.dtype), after], 1);
      });
      return [updated, end, updated, end + seqlen];
    }
    // A long prefix at once: only at the start of a sequence (Trax signals misuse with NaNs; we throw).
    if (memEnd !== 0) {
      throw new Error(
        `${this.name} in predict mode got ${seqlen} positions at once after ${memEnd} cached ones; more than predictDropLen (${dropLen}) positions only work at the start of a sequence`
      );
    }
    const newMem = xs.map((x) => {
      if (seqlen === memLen) return x;
      if (seqlen > memLen) return x.slice([0, seqlen - memLen], [x.shape[0], memLen, ...x.shape.slice(2)]);
      return tf.concat([x, tf.zeros([x.shape[0], memLen - seqlen, ...x.shape.slice(2)], x.dtype)], 1);
    });
    return [xs, 0, newMem, Math.min(seqlen, memLen)];
  }
}

/**
 * The base class, callable as Trax's `EfficientAttentionBase(nHeads, ...)`
 * (an instance computes nothing until a subclass defines the per-head
 * functions); subclass it with `extends tl.EfficientAttentionBase`.
 *
 * @example
 * ```ts
 * tl.EfficientAttentionBase(2, { nParallelHeads: 1 }).nIn; // 1
 * ```
 */
export const EfficientAttentionBase = callable(EfficientAttentionBaseLayer, "EfficientAttentionBase", {
  positional: ["nHeads"],
  options: optionKeys<EfficientAttentionBaseOptions>({
    nIn: true, nParallelHeads: true, incremental: true, predictMemLen: true, predictDropLen: true,
    usePythonLoop: true, useReferenceCode: true, name: true,
  }),
});
export type EfficientAttentionBase = EfficientAttentionBaseLayer;
