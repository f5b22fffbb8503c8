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
    const camel = snakeToCamel(key);
    const hint = (known as readonly string[]).includes(camel)
      ? `did you mean ${camel}?`
      : `valid options: ${known.join(", ")}`;
    throw new TypeError(`trax.models.${model}: unknown option ${JSON.stringify(key)}; ${hint}`);
  }
  return options;
}
