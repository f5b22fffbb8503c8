/**
 * Escaping for strings that reach HTML or SVG (text and attribute values).
 * @module
 */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes `s` for HTML/XML text and quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml("<b>"); // "&lt;b&gt;"
 * ```
 */
export function escapeHtml(s: unknown): string {
  // Characters XML 1.0 forbids (control characters) are dropped: SVG must parse.
  return String(s)
    .replace(/[&<>"']/g, (c) => ENTITIES[c])
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");
}

/**
 * JSON for a `<script>` element: `</script>` and `<!--` cannot end or change it.
 *
 * @example
 * ```ts
 * jsonForScript({ a: "</script>" }); // '{"a":"\\u003c/script>"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
