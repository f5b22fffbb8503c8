/**
 * The display protocol: MIME bundles and the `Jupyter.display` symbol.
 * @module
 */

/** The symbol a displayable object implements: `obj[DISPLAY]()` returns a {@link MimeBundle}. */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/**
 * A MIME bundle, as Jupyter's `display_data` carries it: MIME type to data.
 * `text/plain` is always there; `image/png` is base64; the Vega-Lite entry is
 * the spec object.
 */
export interface MimeBundle {
  "text/plain": string;
  "text/html"?: string;
  "image/svg+xml"?: string;
  "image/png"?: string;
  "application/vnd.vegalite.v5+json"?: Record<string, unknown>;
  [mime: string]: unknown;
}

/**
 * The symbol of an async display method: `obj[DISPLAY_ASYNC]()` resolves to a
 * fuller bundle than `obj[DISPLAY]()` (charts add their SVG rendered by vega).
 */
export const DISPLAY_ASYNC: unique symbol = Symbol.for("trax.display.async") as never;

/** An object that shows itself richly. */
export interface Displayable {
  [DISPLAY](): MimeBundle;
}

/**
 * True when `x` implements the `Jupyter.display` symbol.
 *
 * @example
 * ```ts
 * isDisplayable({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "x" }) }); // true
 * ```
 */
export function isDisplayable(x: unknown): x is Displayable {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as Record<symbol, unknown>)[DISPLAY] === "function";
}

/**
 * Checks a bundle: an object with a `text/plain` string.
 *
 * @example
 * ```ts
 * checkBundle({ "text/plain": "hi" }, "show"); // the bundle
 * ```
 */
export function checkBundle(b: unknown, from: string): MimeBundle {
  if (typeof b !== "object" || b === null || typeof (b as MimeBundle)["text/plain"] !== "string") {
    throw new TypeError(`${from}: a display bundle must be an object with a "text/plain" string; got ${b === null ? "null" : typeof b}`);
  }
  return b as MimeBundle;
}
