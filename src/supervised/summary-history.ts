/**
 * Summary layers' values during training, into the loop's history: the mean
 * of each `SummaryScalar` over the steps since the last report, recorded as
 * `summaries/<name>` in train mode (the charts draw them next to the
 * metrics).
 * @module
 */
import { tf } from "../backend/tf";
import type { Layer } from "../layers/base";
import type { History } from "./history";

/** The history metric of a summary layer (`summary_act` -> `summaries/act`). */
export function summaryMetric(summaryName: string): string {
  return `summaries/${summaryName.replace(/^summary_/, "")}`;
}

/** The scalar summary layers under `model` (a `summaryName` and a tensor state), each once. */
function scalarSummaryLayers(model: Layer): (Layer & { summaryName: string })[] {
  const out: (Layer & { summaryName: string })[] = [];
  const seen = new Set<Layer>();
  const visit = (l: Layer): void => {
    if (seen.has(l)) return;
    seen.add(l);
    const name = (l as { summaryName?: unknown }).summaryName;
    if (typeof name === "string" && l.sublayers.length === 0 && !Array.isArray(l.state)) out.push(l as Layer & { summaryName: string });
    l.sublayers.forEach(visit);
  };
  visit(model);
  return out;
}

/**
 * Averages a model's scalar summaries over training steps and writes them to
 * a history at each report.
 *
 * @example
 * ```ts
 * const averages = new SummaryAverages(model);
 * // after each train step:
 * averages.add();
 * // at a report step:
 * averages.flush(history, step); // history gets "summaries/act" in train mode
 * ```
 */
export class SummaryAverages {
  private layers: (Layer & { summaryName: string })[] | null = null;
  private readonly sums = new Map<string, { sum: number; count: number }>();

  constructor(private readonly model: Layer) {}

  /** Reads each scalar summary's value after a step (a summary of more than one number counts by its mean). */
  add(): void {
    this.layers ??= scalarSummaryLayers(this.model);
    for (const l of this.layers) {
      const st = l.state as unknown;
      if (!(st instanceof tf.Tensor) || st.isDisposed || st.size === 0) continue;
      const v = st.dataSync() as Float32Array;
      let mean = 0;
      for (let i = 0; i < v.length; i++) mean += v[i] / v.length;
      const acc = this.sums.get(l.summaryName) ?? { sum: 0, count: 0 };
      acc.sum += mean;
      acc.count += 1;
      this.sums.set(l.summaryName, acc);
    }
  }

  /** Appends the mean of each summary since the last flush at `step`, then starts over. */
  flush(history: History, step: number): void {
    for (const [name, { sum, count }] of this.sums) {
      if (count > 0) history.append("train", summaryMetric(name), step, sum / count);
    }
    this.sums.clear();
  }
}
