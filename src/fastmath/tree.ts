/**
 * Nested structures of tensors ("trees"): arrays nest, anything else is a leaf.
 * Weights and state of layers are such trees.
 * @module
 */
import { tf } from "../backend/tf";

/** A tree of leaves: a leaf or an array of trees. */
export type Nested<T> = T | readonly Nested<T>[];

/**
 * The leaves of a tree, depth first.
 *
 * @example
 * ```ts
 * treeFlatten([1, [2, []], 3]); // [1, 2, 3]
 * ```
 */
export function treeFlatten<T>(tree: Nested<T>, out: T[] = []): T[] {
  if (Array.isArray(tree)) {
    for (const t of tree as readonly Nested<T>[]) treeFlatten(t, out);
  } else {
    out.push(tree as T);
  }
  return out;
}

/**
 * Applies `f` to every leaf, keeping the array structure.
 *
 * @example
 * ```ts
 * nestedMap([tf.ones([2]), [tf.ones([3])]], (t) => t.shape); // [[2], [[3]]]
 * ```
 */
export function nestedMap<T, U>(tree: Nested<T>, f: (leaf: T) => U): Nested<U> {
  if (Array.isArray(tree)) return (tree as readonly Nested<T>[]).map((t) => nestedMap(t, f));
  return f(tree as T);
}

/**
 * Rebuilds a tree of `template`'s structure from a flat list of leaves,
 * returning the tree and the number of leaves used.
 *
 * @example
 * ```ts
 * treeUnflatten([1, 2, 3], [0, [0, 0]]); // [[1, [2, 3]], 3]: the tree and the 3 leaves used
 * ```
 */
export function treeUnflatten<T, U>(
  leaves: readonly U[],
  template: Nested<T>,
  isCopied: (leaf: T) => boolean = () => false,
  start = 0
): [Nested<U | T>, number] {
  if (Array.isArray(template)) {
    const out: Nested<U | T>[] = [];
    let used = 0;
    for (const t of template as readonly Nested<T>[]) {
      const [sub, n] = treeUnflatten(leaves, t, isCopied, start + used);
      out.push(sub);
      used += n;
    }
    return [out, used];
  }
  if (isCopied(template as T)) return [template as T, 0];
  if (start >= leaves.length) {
    throw new Error(`trax-ts: too few leaves to fill the structure (${leaves.length} given)`);
  }
  return [leaves[start], 1];
}

// Read once: every `tf.X` access goes through two module getters, and this runs per layer call.
const TensorClass = tf.Tensor;

/**
 * True for a tfjs tensor.
 *
 * @example
 * ```ts
 * isTensor(tf.ones([1])); // true
 * isTensor([1]); // false
 * ```
 */
export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof TensorClass;
}

/**
 * All tensors inside any nesting of arrays and plain objects.
 *
 * @example
 * ```ts
 * const a = tf.ones([1]), b = tf.zeros([2]);
 * tensorsIn([a, { w: b, n: 3 }]).length; // 2
 * ```
 */
export function tensorsIn(x: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (x instanceof TensorClass) out.push(x);
  else if (Array.isArray(x)) for (const v of x) tensorsIn(v, out);
  else if (x && typeof x === "object" && !ArrayBuffer.isView(x)) for (const v of Object.values(x)) tensorsIn(v, out);
  return out;
}

/**
 * Disposes the tensors of `old` that do not appear in any of `keep`.
 * Used where a layer replaces tensors it owns.
 *
 * @example
 * ```ts
 * const a = tf.ones([1]), b = tf.zeros([1]);
 * disposeReplaced([a, b], [b]); // a is disposed, b is kept
 * ```
 */
export function disposeReplaced(old: unknown, ...keep: unknown[]): void {
  const olds = tensorsIn(old);
  if (olds.length === 0) return;
  const kept = new Set<tf.Tensor>();
  for (const k of keep) for (const t of tensorsIn(k)) kept.add(t);
  for (const t of olds) if (!kept.has(t) && !t.isDisposed) t.dispose();
}
