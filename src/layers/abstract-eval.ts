/**
 * Whether layers are running only to learn output shapes (`forwardAbstract`:
 * on zeros, while initializing, computing an output signature or showing a
 * model), so that side effects meant for real calls (`PrintShape`) skip it.
 * Internal.
 * @module
 */

import { registerNestingCounter } from "../backend/nesting";

let depth = 0;
registerNestingCounter("abstract evaluation", () => depth, (v) => (depth = v));

/** True while a `forwardAbstract` runs (shapes only, not a real call). */
export function inAbstractEvaluation(): boolean {
  return depth > 0;
}

/**
 * Runs `f` marked as an abstract (shapes-only) evaluation.
 *
 * @example
 * ```ts
 * asAbstractEvaluation(() => layer.pureFn(zeros, w, s, rng)); // PrintShape stays quiet
 * ```
 */
export function asAbstractEvaluation<T>(f: () => T): T {
  depth++;
  try {
    return f();
  } finally {
    depth--;
  }
}
