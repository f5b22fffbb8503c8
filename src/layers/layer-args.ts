/**
 * Arguments of combinator constructors: layers, then one optional trailing
 * options object, as `tl.Serial(a, b, { name })` takes them. Internal.
 * @module
 */
import { Layer } from "./base";

/** A sublayer argument: a layer, `null` (a no-op), or a (nested) array of them (a Serial). */
export type LayerArg = Layer | null | readonly LayerArg[];

/** True for a plain options object (not a layer, an array or `null`). */
export function isOptions(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Layer);
}

/**
 * Splits `(...layers, options?)` into the layers and the trailing options object.
 *
 * @example
 * ```ts
 * splitArgs<{ name?: string }>([tl.Dense(2), { name: "Head" }]); // [[Dense_2], { name: "Head" }]
 * ```
 */
export function splitArgs<O>(args: unknown[]): [LayerArg[], O] {
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    return [args.slice(0, -1) as LayerArg[], args[args.length - 1] as O];
  }
  return [args as LayerArg[], {} as O];
}
