/**
 * The scalar view: the values `SummaryScalar` layers keep (or any named
 * numbers), as a small table.
 * @module
 */
import { inspect } from "util";
import type { tf } from "../backend/tf";
import { Layer } from "../layers/base";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";
import { formatNumpy } from "./numpy-format";
import { findSummaries } from "./summaries";
import { looksLikeTensor } from "./tensor-view";

/**
 * A view of named scalar values.
 *
 * @example
 * ```ts
 * new trax.display.ScalarView({ lr: 0.01 }).toString(); // "lr  0.01"
 * ```
 */
export class ScalarView {
  /** `[name, printed value]` rows. */
  readonly rows: [string, string][];

  constructor(source: Layer | Record<string, number | tf.Tensor>) {
    let entries: [string, number | tf.Tensor][];
    if (source instanceof Layer) {
      entries = findSummaries(source).scalars;
      if (entries.length === 0) throw new Error(`scalarView: ${source.name} holds no SummaryScalar values (call the model first)`);
    } else if (source && typeof source === "object") {
      entries = Object.entries(source);
    } else {
      throw new TypeError("scalarView: a layer with SummaryScalar layers, or an object of named numbers or tensors, expected");
    }
    this.rows = entries.map(([k, v]) => {
      if (typeof v === "number") return [k, formatNumpy(Float32Array.of(v), [], "float32")];
      if (looksLikeTensor(v)) return [k, formatNumpy(v.dataSync() as Float32Array, v.shape, v.dtype)];
      throw new TypeError(`scalarView: ${k} is neither a number nor a tensor`);
    });
  }

  toString(): string {
    const w = Math.max(0, ...this.rows.map(([k]) => k.length));
    return this.rows.map(([k, v]) => `${k.padEnd(w)}  ${v.replace(/\n/g, "\n" + " ".repeat(w + 2))}`).join("\n");
  }

  [DISPLAY](): MimeBundle {
    const tr = this.rows
      .map(([k, v]) => `<tr><th style="text-align:left;padding-right:12px">${escapeHtml(k)}</th><td><pre style="margin:0">${escapeHtml(v)}</pre></td></tr>`)
      .join("");
    return { "text/plain": this.toString(), "text/html": `<table class="trax-scalars" style="font-size:12px">${tr}</table>` };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The scalars a model's `SummaryScalar` layers hold (by `summary_<name>`),
 * or named numbers/tensors.
 *
 * @example
 * ```ts
 * const model = tl.Serial(tl.Dense(2), tl.SummaryScalar("act"));
 * model(tf.ones([3, 4]));
 * trax.display.scalarView(model); // summary_act  0.123
 * ```
 */
export function scalarView(source: Layer | Record<string, number | tf.Tensor>): ScalarView {
  return new ScalarView(source);
}
