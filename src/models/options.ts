/**
 * Options of `trax.models` constructors: Trax's keyword arguments in one
 * trailing camelCase object, unknown keys refused. Internal.
 * @module
 */
import type { Layer } from "../layers/base";

/** A model's mode, as Trax's models take it. */
export type ModelMode = "train" | "eval" | "predict";

/** A layer constructor with no required arguments, as Trax's `ff_activation=tl.Relu`. */
export type LayerFactory = () => Layer;

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The valid key closest to `key` (case-insensitive edit distance), if it is close enough to be a typo. */
function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/**
 * Checks a model's options object: a plain object whose keys are all known.
 * An unknown key is an error naming the model and the closest valid key
 * (a snake_case key suggests its camelCase name).
 *
 * @example
 * ```ts
 * checkModelOptions("TransformerLM", { d_model: 8 }, ["dModel"]); // throws: did you mean dModel?
 * ```
 */
export function checkModelOptions<O extends object>(model: string, options: O | undefined, known: readonly (keyof O & string)[]): O {
  if (options === undefined) return {} as O;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`trax.models.${model}: the options must be an object like { ${known.slice(0, 2).join(", ")} }; got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if ((known as readonly string[]).includes(key)) continue;
    const closest = closestKey(snakeToCamel(key), known);
    const hint = closest !== null ? `did you mean ${closest}?` : `valid options: ${known.join(", ")}`;
    throw new TypeError(`trax.models.${model}: unknown option ${JSON.stringify(key)}; ${hint}`);
  }
  return options;
}
