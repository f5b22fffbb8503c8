/**
 * Who holds which weight tensors, and which weight writes are the
 * library's own. A tensor shared by several layers (`b.weights =
 * a.weights`) is freed only when no layer holds it any more; writes made by
 * init, a forward pass with given weights or a checked load are not checked
 * (or counted) as a user's assignment.
 * @module
 */
import { tf } from "../backend/tf";
import { tensorsIn } from "../fastmath/tree";
import { registerNestingCounter, registerNestingKeeper } from "../backend/nesting";

/** Above zero while the library itself writes weights. */
let trustedWrites = 0;
registerNestingCounter("trusted weight writes", () => trustedWrites, (v) => (trustedWrites = v));

/** True while the library itself writes weights (see {@link withTrustedWrites}). @internal */
export function writesAreTrusted(): boolean {
  return trustedWrites > 0;
}

/** Starts a span of the library's own writes; call the returned function to end it. @internal */
export function beginTrustedWrites(): () => void {
  trustedWrites++;
  let ended = false;
  return () => {
    if (!ended) trustedWrites--;
    ended = true;
  };
}

/**
 * Starts a span of the library's own writes without allocating (a layer
 * call's hot path); pair with {@link leaveTrustedWrites} in a `finally`. @internal
 *
 * @example
 * ```ts
 * enterTrustedWrites();
 * try { layer.weights = given; } finally { leaveTrustedWrites(); }
 * ```
 */
export function enterTrustedWrites(): void {
  trustedWrites++;
}

/** Ends a span started by {@link enterTrustedWrites}. @internal */
export function leaveTrustedWrites(): void {
  trustedWrites--;
}

/**
 * Runs `f` with weight writes marked as the library's own (not checked
 * against the layer's current shapes). For loaders that have checked
 * everything already. @internal
 *
 * @example
 * ```ts
 * withTrustedWrites(() => { layer.weights = checkedWeights; });
 * ```
 */
export function withTrustedWrites<T>(f: () => T): T {
  const end = beginTrustedWrites();
  try {
    return f();
  } finally {
    end();
  }
}

/** The holders (layers) of each tensor. */
const holders = new WeakMap<tf.Tensor, Set<object>>();

/** Records that `holder` now holds the tensors of `next` instead of those of `old`. @internal */
export function trackHolders(holder: object, old: unknown, next: unknown): void {
  if (old === next) return;
  for (const t of tensorsIn(old)) holders.get(t)?.delete(holder);
  for (const t of tensorsIn(next)) {
    let set = holders.get(t);
    if (set === undefined) holders.set(t, (set = new Set()));
    set.add(holder);
  }
}

/**
 * True while some layer's weights or state hold `t`. @internal
 *
 * @example
 * ```ts
 * isHeldByLayer((dense.weights as tf.Tensor[])[0]); // true
 * ```
 */
export function isHeldByLayer(t: tf.Tensor): boolean {
  const set = holders.get(t);
  return set !== undefined && set.size > 0;
}

// A layer call stopped by the REPL's Ctrl-C may have stored tensors its scope made: they stay.
registerNestingKeeper(isHeldByLayer);

/**
 * Disposes the tensors of `old` that are not in `keep` and that no layer
 * holds any more (a tensor another layer adopted stays alive). @internal
 *
 * @example
 * ```ts
 * disposeUnheld(oldWeights, newWeights);
 * ```
 */
export function disposeUnheld(old: unknown, ...keep: unknown[]): void {
  const kept = new Set<tf.Tensor>();
  for (const k of keep) for (const t of tensorsIn(k)) kept.add(t);
  for (const t of tensorsIn(old)) if (!kept.has(t) && !t.isDisposed && !isHeldByLayer(t)) t.dispose();
}
