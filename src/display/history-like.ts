/**
 * The shape of a training history the views read (structural, so that any
 * object with `records` works, `trax.supervised.History` included).
 * @module
 */

/** One recorded value. */
export interface HistoryRecordLike {
  step: number;
  mode: string;
  metric: string;
  value: number;
}

/** Anything with an array of records (e.g. `trax.supervised.History`). */
export interface HistoryLike {
  readonly records: readonly HistoryRecordLike[];
}

/**
 * True when `x` has a `records` array of `{ step, mode, metric, value }`.
 *
 * @example
 * ```ts
 * looksLikeHistory({ records: [] }); // true
 * ```
 */
export function looksLikeHistory(x: unknown): x is HistoryLike {
  const r = (x as HistoryLike | null)?.records;
  return Array.isArray(r) && (r.length === 0 || (typeof r[0]?.metric === "string" && typeof r[0]?.step === "number"));
}

/**
 * The metrics to draw: the given ones, else every `metrics/...` metric
 * (loss and the others) and `summaries/...` value (the model's
 * SummaryScalar layers), else all metrics, in order of first appearance.
 *
 * @example
 * ```ts
 * chartMetrics(history); // ["metrics/CrossEntropyLoss", "metrics/Accuracy"]
 * ```
 */
export function chartMetrics(h: HistoryLike, metrics?: readonly string[]): string[] {
  if (metrics) return [...metrics];
  const all = [...new Set(h.records.map((r) => r.metric))];
  const m = all.filter((n) => n.startsWith("metrics/") || n.startsWith("summaries/"));
  return m.length > 0 ? m : all;
}

/**
 * `[step, value]` points of one metric in one mode, sorted by step.
 *
 * @example
 * ```ts
 * series(history, "eval", "metrics/Accuracy"); // [[1, 0.5], [100, 0.8]]
 * ```
 */
export function series(h: HistoryLike, mode: string, metric: string): [number, number][] {
  return h.records
    .filter((r) => r.mode === mode && r.metric === metric)
    .map((r) => [r.step, r.value] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}
