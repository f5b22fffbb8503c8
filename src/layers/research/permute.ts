/**
 * Permutation helpers of LSH attention, as Trax's `permute_via_gather` and
 * `permute_via_sort`: the forward pass permutes, the backward pass applies the
 * inverse permutation by the same means (a gather, not a scatter).
 * @module
 */
import { tf } from "../../backend/tf";

function normAxis(axis: number, rank: number): number {
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return ax;
}

function checkPermutation(name: string, p: tf.Tensor, n: number): void {
  if (p.rank !== 1 || p.shape[0] !== n) throw new Error(`${name} must be a 1-D permutation of length ${n}; got shape [${p.shape}]`);
}

/**
 * Permutes `val` along `axis` by gathering with `permutation`; the gradient
 * gathers with `inversePermutation` (which must be its inverse).
 *
 * `val (..., n, ...)`, `permutation (n,)` and `inversePermutation (n,)` int32;
 * output like `val`.
 *
 * @example
 * ```ts
 * const p = tf.tensor1d([2, 0, 1], "int32"), ip = tf.tensor1d([1, 2, 0], "int32");
 * tl.permuteViaGather(tf.tensor1d([10, 20, 30]), p, ip); // [30, 10, 20]
 * ```
 */
export function permuteViaGather(val: tf.Tensor, permutation: tf.Tensor, inversePermutation: tf.Tensor, options: { axis?: number } = {}): tf.Tensor {
  const axis = normAxis(options.axis ?? 0, val.rank);
  checkPermutation("permutation", permutation, val.shape[axis]);
  checkPermutation("inversePermutation", inversePermutation, val.shape[axis]);
  // The inverse is saved with the forward pass: it must outlive the caller's tf.tidy until backprop.
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([inversePermutation.toInt()]);
    return {
      value: tf.gather(x, permutation.toInt(), axis),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.gather(dy, saved[0] as tf.Tensor, axis),
    };
  }) as any) as unknown as (x: tf.Tensor) => tf.Tensor;
  return f(val);
}

/**
 * `out[r, j] = x[r, idx[r, j]]` for `x (rows, n, ...)` and int32 `idx (rows, m)`:
 * a gather per row, done as one flat gather (tfjs's `batchDims` gather is
 * wrong on the wasm backend).
 */
export function gatherRows(x: tf.Tensor, idx: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [rows, n] = x.shape as [number, number];
    const m = idx.shape[1] as number;
    const rest = x.shape.slice(2);
    const offsets = tf.range(0, rows * n, n, "int32").reshape([rows, 1]);
    const flatIdx = idx.toInt().add(offsets).reshape([rows * m]);
    return tf.gather(x.reshape([rows * n, ...rest]), flatIdx, 0).reshape([rows, m, ...rest]);
  });
}

/**
 * {@link gatherRows} for permutations: `perm (rows, n)` permutes each row of
 * `x (rows, n, ...)` and `inverse` is its inverse; the gradient is a gather
 * with `inverse` (tfjs's gather gradient needs UnsortedSegmentSum, which the
 * wasm backend lacks).
 */
export function permuteRows(x: tf.Tensor, perm: tf.Tensor, inverse: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([inverse]);
    return {
      value: gatherRows(v, perm),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gatherRows(dy, saved[0] as tf.Tensor),
    };
  }) as any) as unknown as (v: tf.Tensor) => tf.Tensor;
  return f(x);
}

/** Indices that sort each row of `keys (rows, n)` ascending (stable). */
function argsortRows(keys: tf.Tensor): tf.Tensor {
  const [rows, n] = keys.shape;
  const data = keys.dataSync();
  const out = new Int32Array(rows * n);
  const idx = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => data[off + a] - data[off + b] || a - b);
    for (let i = 0; i < n; i++) out[off + i] = idx[i];
  }
  return tf.tensor2d(out, [rows, n], "int32");
}

/** Rearranges `x` along `axis` in the order that sorts `keys` (same shape) along that axis. */
export function sortAlong(x: tf.Tensor, keys: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const perm = x.shape.map((_, i) => i).filter((i) => i !== axis);
    perm.push(axis);
    const inv = perm.map((_, i) => perm.indexOf(i));
    const xt = tf.transpose(x, perm);
    const kt = tf.transpose(keys, perm);
    const n = x.shape[axis];
    const rows = x.size / n;
    const order = argsortRows(kt.reshape([rows, n]));
    const sorted = gatherRows(xt.reshape([rows, n]), order).reshape(xt.shape);
    return tf.transpose(sorted, inv);
  });
}

/**
 * Permutes `val` along `axis` into the order that sorts `keys` ascending;
 * the gradient is sorted back by `inverseKeys`. `keys` and `inverseKeys` have
 * the shape of `val` (sorting is row by row along `axis`).
 *
 * @example
 * ```ts
 * const keys = tf.tensor1d([2, 0, 1], "int32"), inv = tf.tensor1d([1, 2, 0], "int32");
 * tl.permuteViaSort(tf.tensor1d([10, 20, 30]), keys, inv); // [20, 30, 10]
 * ```
 */
export function permuteViaSort(val: tf.Tensor, keys: tf.Tensor, inverseKeys: tf.Tensor, options: { axis?: number } = {}): tf.Tensor {
  const axis = normAxis(options.axis ?? 0, val.rank);
  for (const [name, k] of [["keys", keys], ["inverseKeys", inverseKeys]] as const) {
    if (k.shape.join() !== val.shape.join()) throw new Error(`${name} must have the shape of val [${val.shape}]; got [${k.shape}]`);
  }
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([inverseKeys.clone()]);
    return {
      value: sortAlong(x, keys, axis),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => sortAlong(dy, saved[0] as tf.Tensor, axis),
    };
  }) as any) as unknown as (x: tf.Tensor) => tf.Tensor;
  return f(val);
}
