/**
 * The attention view: one heatmap per head of attention probabilities
 * `(batch, heads, queries, keys)`, with query tokens on rows and key tokens
 * on columns, taken from a layer run in `"viz"` mode or from a tensor.
 * @module
 */
import { inspect } from "util";
import type { tf } from "../backend/tf";
import { Layer } from "../layers/base";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";
import { heatmapPngScaled, heatmapSvg, svgImage } from "./heatmap";
import { looksLikeTensor } from "./tensor-view";

/** Options of {@link attentionView}. */
export interface AttentionViewOptions {
  /** Labels of the queries (rows). */
  queryTokens?: readonly string[];
  /** Labels of the keys (columns); default the query tokens when the map is square. */
  keyTokens?: readonly string[];
  /** Which batch element to draw (default 0). */
  batch?: number;
  /** Heatmap side in pixels (default 240). */
  size?: number;
  /** A title (default the layer's name). */
  title?: string;
}

/** One attention map: heads of `queries x keys` probabilities. */
export interface AttentionMap {
  /** Where it came from (layer path or "probabilities"). */
  source: string;
  heads: Float32Array[];
  queries: number;
  keys: number;
}

function mapFromTensor(t: tf.Tensor, batch: number, source: string): AttentionMap {
  const shape = t.shape;
  if (shape.length < 2 || shape.length > 4) {
    throw new Error(`attentionView: probabilities of shape (batch, heads, queries, keys), (heads, queries, keys) or (queries, keys) expected; got [${shape}]`);
  }
  const [q, k] = shape.slice(-2);
  const h = shape.length >= 3 ? shape[shape.length - 3] : 1;
  const b = shape.length === 4 ? shape[0] : 1;
  if (!Number.isInteger(batch) || batch < 0 || batch >= b) throw new Error(`attentionView: batch ${batch} is out of range for ${b} batch elements`);
  const data = t.dataSync() as Float32Array;
  const per = q * k;
  const heads: Float32Array[] = [];
  for (let i = 0; i < h; i++) heads.push(Float32Array.from(data.subarray((batch * h + i) * per, (batch * h + i + 1) * per)));
  return { source, heads, queries: q, keys: k };
}

/**
 * Attention probabilities kept by `viz`-mode layers inside `layer`: `[path, tensor]`.
 *
 * @example
 * ```ts
 * trax.display.findVizProbabilities(model); // [["Serial[1].DotProductAttention", probs], ...]
 * ```
 */
export function findVizProbabilities(layer: Layer): [string, tf.Tensor][] {
  const out: [string, tf.Tensor][] = [];
  const seen = new Set<Layer>();
  const walk = (l: Layer, path: string) => {
    if (seen.has(l)) return;
    seen.add(l);
    const mode = (l as unknown as { _mode?: string })._mode;
    if (l.sublayers.length === 0 && mode === "viz") {
      const s = l.state as unknown;
      if (looksLikeTensor(s) && !s.isDisposed && s.shape.length === 4) out.push([path, s]);
    }
    l.sublayers.forEach((sub, i) => walk(sub, `${path}[${i}].${sub.name}`));
  };
  walk(layer, layer.name);
  return out;
}

/**
 * A view of attention maps (values are copied when the view is made, so a
 * later call of the layer does not change it).
 *
 * @example
 * ```ts
 * new trax.display.AttentionView(tf.softmax(tf.randomNormal([1, 2, 3, 3])), { queryTokens: ["a", "b", "c"] });
 * ```
 */
export class AttentionView {
  readonly maps: AttentionMap[];
  readonly options: AttentionViewOptions;

  constructor(source: Layer | tf.Tensor, options: AttentionViewOptions = {}) {
    const batch = options.batch ?? 0;
    this.options = options;
    if (source instanceof Layer) {
      const found = findVizProbabilities(source);
      if (found.length === 0) {
        throw new Error(
          `attentionView: ${source.name} holds no attention probabilities; build its attention layers with { mode: "viz" } and call the layer first`
        );
      }
      this.maps = found.map(([path, t]) => mapFromTensor(t, batch, path));
    } else if (looksLikeTensor(source)) {
      this.maps = [mapFromTensor(source, batch, "probabilities")];
    } else {
      throw new TypeError(`attentionView: a layer run in "viz" mode or a probabilities tensor expected; got ${typeof source}`);
    }
    const q = options.queryTokens;
    const k = options.keyTokens;
    for (const m of this.maps) {
      if (q && q.length !== m.queries) throw new Error(`attentionView: ${q.length} query tokens given for ${m.queries} queries`);
      if (k && k.length !== m.keys) throw new Error(`attentionView: ${k.length} key tokens given for ${m.keys} keys`);
    }
  }

  private labels(m: AttentionMap): [string[] | undefined, string[] | undefined] {
    const q = this.options.queryTokens?.map(String);
    let k = this.options.keyTokens?.map(String);
    if (!k && q && m.keys === m.queries) k = q;
    return [q, k];
  }

  /** Text: per head, the probabilities rounded to two decimals with labels. */
  toString(): string {
    const out: string[] = [];
    for (const m of this.maps) {
      out.push(`Attention ${m.source}: ${m.heads.length} head${m.heads.length === 1 ? "" : "s"}, ${m.queries} queries x ${m.keys} keys`);
      if (m.queries > 24 || m.keys > 24) continue;
      const [ql, kl] = this.labels(m);
      const rowL = (ql ?? Array.from({ length: m.queries }, (_, i) => String(i))).map((s) => s.slice(0, 10));
      const colL = (kl ?? Array.from({ length: m.keys }, (_, i) => String(i))).map((s) => s.slice(0, 6));
      const lw = Math.max(...rowL.map((s) => s.length));
      m.heads.forEach((h, hi) => {
        out.push(`head ${hi}`);
        out.push(" ".repeat(lw) + " " + colL.map((s) => s.padStart(6)).join(""));
        for (let r = 0; r < m.queries; r++) {
          const row = Array.from({ length: m.keys }, (_, c) => h[r * m.keys + c].toFixed(2).padStart(6)).join("");
          out.push(rowL[r].padEnd(lw) + " " + row);
        }
      });
    }
    return out.join("\n");
  }

  /** The MIME bundle: text and one heatmap per head. */
  [DISPLAY](): MimeBundle {
    const size = this.options.size ?? 240;
    const sections = this.maps.map((m) => {
      const [rowLabels, colLabels] = this.labels(m);
      const maps = m.heads.map(
        (h, i) =>
          `<div style="display:inline-block;margin:0 10px 10px 0;vertical-align:top">${svgImage(
            heatmapSvg({ values: h, rows: m.queries, cols: m.keys }, { rowLabels, colLabels, title: `head ${i}`, min: 0, max: 1, size }),
            `${m.source}: head ${i}`
          )}</div>`
      );
      const title = this.options.title ?? m.source;
      return `<div><div style="font-weight:bold;margin:4px 0">${escapeHtml(title)} <span style="font-weight:normal;color:#666">(${m.heads.length} heads, ${m.queries} queries \u00d7 ${m.keys} keys)</span></div>${maps.join("")}</div>`;
    });
    const bundle: MimeBundle = { "text/plain": this.toString(), "text/html": `<div class="trax-attention">${sections.join("")}</div>` };
    // The first head as a PNG, for renderers that show images but no HTML.
    const first = this.maps[0];
    if (first && first.heads.length) bundle["image/png"] = heatmapPngScaled({ values: first.heads[0], rows: first.queries, cols: first.keys }, 256, 0, 1);
    return bundle;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Attention maps of `source`: a layer whose attention sublayers ran in
 * `"viz"` mode (their state keeps the probabilities), or a probabilities
 * tensor `(batch, heads, queries, keys)` / `(heads, queries, keys)` / `(queries, keys)`.
 *
 * @example
 * ```ts
 * const att = tl.DotProductAttention({ mode: "viz" });
 * const x = tf.randomNormal([1, 2, 3, 4]);
 * att([x, x, x, tf.ones([1, 1, 1, 3], "bool")]);
 * trax.display.attentionView(att, { queryTokens: ["a", "b", "c"] });
 * ```
 */
export function attentionView(source: Layer | tf.Tensor, options: AttentionViewOptions = {}): AttentionView {
  return new AttentionView(source, options);
}
