/**
 * Deep copies of layers (as Python's `copy.deepcopy` of a Trax layer): the
 * copy has its own sublayers and its own copies of any weights and state;
 * layers shared inside the original stay shared inside the copy.
 * @module
 */
import { tf } from "../backend/tf";
import { Layer, callableNamed } from "./base";

function copyValue(value: unknown, memo: Map<unknown, unknown>): unknown {
  if (value instanceof Layer) return cloneLayer(value, memo);
  if (value instanceof tf.Tensor) {
    if (!memo.has(value)) memo.set(value, value.isDisposed ? value : tf.keep(value.clone()));
    return memo.get(value);
  }
  if (Array.isArray(value)) return value.map((v) => copyValue(v, memo));
  return value;
}

/**
 * A deep copy of `layer`, callable and of the same class.
 *
 * @example
 * ```ts
 * const backward = cloneLayer(tl.LSTM(8)); // same structure, separate weights
 * ```
 */
export function cloneLayer<T extends Layer>(layer: T, memo: Map<unknown, unknown> = new Map()): T {
  if (memo.has(layer)) return memo.get(layer) as T;
  const copy = callableNamed(layer.name) as unknown as T;
  Object.setPrototypeOf(copy, Object.getPrototypeOf(layer));
  memo.set(layer, copy);
  for (const key of Reflect.ownKeys(layer)) {
    // The copy has its own `name` and `length` already; redefining `length` would put it in dictionary mode.
    if (key === "name" || key === "length") continue;
    const desc = Object.getOwnPropertyDescriptor(layer, key);
    if (!desc) continue;
    if ("value" in desc) desc.value = copyValue(desc.value, memo);
    Object.defineProperty(copy, key, desc);
  }
  return copy;
}
