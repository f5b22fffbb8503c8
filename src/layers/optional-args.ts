/**
 * Arguments with a default that a constructor takes either positionally (as
 * Python allows, `RandomNormalInitializer(0.02)`) or in its options object
 * (as DESIGN.md asks of every defaulted argument, `{ stddev: 0.02 }`).
 * @module
 */
import { isPlainObject } from "./arg-check";

/**
 * The values of a constructor's defaulted arguments `names`, from the
 * positional arguments `args` (in the order of `names`) and the options
 * object that may follow them. A name given both ways is refused, as Python
 * refuses "got multiple values for argument". Names given neither way are
 * left out (the caller applies the defaults).
 *
 * @example
 * ```ts
 * optionalArgs("GlorotNormalInitializer", [-1, { scale: 2 }], ["outDim", "inDim", "scale"]);
 * // { outDim: -1, scale: 2 }
 * ```
 */
export function optionalArgs(name: string, args: readonly unknown[], names: readonly string[]): Record<string, unknown> {
  const at = args.findIndex((a) => isPlainObject(a));
  const positional = at === -1 ? args : args.slice(0, at);
  const options = at === -1 ? {} : (args[at] as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  names.forEach((key, i) => {
    if (positional[i] !== undefined) out[key] = positional[i];
  });
  for (const key of names) {
    if (options[key] === undefined) continue;
    if (key in out) throw new TypeError(`${name}() got multiple values for '${key}': ${String(out[key])} as an argument and ${String(options[key])} in the options`);
    out[key] = options[key];
  }
  return out;
}
