/**
 * The Python view: a layer tree as the Python Trax script that rebuilds it
 * (`layer.toPython()` with its imports), shown as a code block.
 * @module
 */
import { inspect } from "util";
import { Layer } from "../layers/base";
import { pythonScript } from "../layers/to-python";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";

/**
 * A view of a layer's Python Trax code: `text/plain` is the script, and
 * `text/html` a `<pre>` code block (readable untrusted: no script, no style
 * element).
 *
 * @example
 * ```ts
 * new trax.display.PythonView(tl.Serial(tl.Dense(4), tl.Relu())).code;
 * // "import trax\nfrom trax import layers as tl\n\nmodel = tl.Serial(tl.Dense(4), tl.Relu())\n"
 * ```
 */
export class PythonView {
  /** The Python script: imports, then `variable = <expression>`. */
  readonly code: string;

  constructor(layer: Layer, options: { variable?: string; width?: number } = {}) {
    if (!(layer instanceof Layer)) throw new TypeError("pythonView: a layer expected");
    this.code = pythonScript(layer, options);
  }

  toString(): string {
    return this.code;
  }

  [DISPLAY](): MimeBundle {
    const html = `<pre class="trax-python" style="font-size:12px;line-height:1.35;padding:8px;border:1px solid #ddd;overflow-x:auto"><code class="language-python">${escapeHtml(this.code)}</code></pre>`;
    return { "text/plain": this.code, "text/html": html };
  }

  [inspect.custom](): string {
    return this.code;
  }
}

/**
 * Shows a layer tree as the Python Trax script that rebuilds it.
 *
 * @example
 * ```ts
 * trax.display.pythonView(trax.models.TransformerLM(32, { dModel: 16, nLayers: 1 }));
 * ```
 */
export function pythonView(layer: Layer, options: { variable?: string; width?: number } = {}): PythonView {
  return new PythonView(layer, options);
}
