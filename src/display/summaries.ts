/**
 * Finding what `SummaryScalar` / `SummaryImage` layers keep in their state
 * (structurally: a layer with a `summaryName` and a tensor or an array of
 * tensors as state), by Trax's keys.
 * @module
 */
import type { tf } from "../backend/tf";
import type { Layer } from "../layers/base";
import { looksLikeTensor } from "./tensor-view";

/** The summaries of a model: scalars by `summary_<name>`, image lists by `summary_<name>`. */
export interface FoundSummaries {
  scalars: [string, tf.Tensor][];
  images: [string, tf.Tensor[]][];
}

/**
 * True for a summary layer (it has a `summaryName`).
 *
 * @example
 * ```ts
 * isSummaryLayer(tl.SummaryScalar("x")); // true
 * ```
 */
export function isSummaryLayer(l: unknown): l is Layer & { summaryName: string } {
  return typeof (l as { summaryName?: unknown }).summaryName === "string";
}

/**
 * The scalar and image summaries held by `layer` and its sublayers.
 *
 * @example
 * ```ts
 * findSummaries(model).scalars; // [["summary_act", tensor]]
 * ```
 */
export function findSummaries(layer: Layer): FoundSummaries {
  const out: FoundSummaries = { scalars: [], images: [] };
  const seen = new Set<Layer>();
  const visit = (l: Layer) => {
    if (seen.has(l)) return;
    seen.add(l);
    if (isSummaryLayer(l) && l.sublayers.length === 0) {
      const st = l.state as unknown;
      if (looksLikeTensor(st) && !st.isDisposed) out.scalars.push([l.summaryName, st]);
      else if (Array.isArray(st) && st.every((t) => looksLikeTensor(t) && !t.isDisposed)) out.images.push([l.summaryName, st as tf.Tensor[]]);
    }
    l.sublayers.forEach(visit);
  };
  visit(layer);
  return out;
}
