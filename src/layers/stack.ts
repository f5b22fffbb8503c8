/**
 * The data stack that combinators run: items are taken off the top as a
 * layer's inputs and its outputs are pushed back.
 * @module
 */

/** An array as is, anything else as a one-item array. */
export function makeTuple<T>(xs: T | readonly T[]): T[] {
  return Array.isArray(xs) ? [...(xs as readonly T[])] : [xs as T];
}

/** The only item of a one-item array, anything else unchanged. */
export function makeSingleItemOrOriginal<T>(xs: T[]): T | T[] {
  return xs.length === 1 ? xs[0] : xs;
}

/**
 * The top `n` items of the stack, packaged as a layer's inputs (one item
 * alone, several as an array).
 *
 * @example
 * ```ts
 * tl.inputsFromStack([a, b, c], 2); // [a, b]
 * tl.inputsFromStack([a, b, c], 1); // a
 * ```
 */
export function inputsFromStack<T>(stack: T | readonly T[], n: number): T | T[] {
  if (!Array.isArray(stack)) return n === 0 ? [] : (stack as T);
  return n === 1 ? (stack as T[])[0] : (stack as T[]).slice(0, n);
}

/**
 * The stack after a layer that took `n` items pushed `outputs`.
 *
 * @example
 * ```ts
 * tl.outputsOntoStack([y], [a, b, c], 2); // [y, c]
 * ```
 */
export function outputsOntoStack<T>(outputs: T | readonly T[], stack: T | readonly T[], n: number): T | T[] {
  const stackLength = Array.isArray(stack) ? stack.length : 1;
  if (stackLength <= n && !Array.isArray(outputs)) return outputs as T; // the common 1-in 1-out case
  return makeSingleItemOrOriginal([...makeTuple(outputs), ...makeTuple(stack).slice(n)]);
}

/** Flattens arbitrarily nested arrays. */
export function deepFlatten<T>(items: unknown): T[] {
  const out: T[] = [];
  const visit = (xs: unknown) => {
    if (Array.isArray(xs)) xs.forEach(visit);
    else out.push(xs as T);
  };
  visit(items);
  return out;
}
