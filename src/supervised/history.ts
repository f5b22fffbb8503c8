/**
 * The training history (Trax's `trax.supervised.history.History`): metric
 * values by mode ("train" or "eval"), metric name and step. A plain data
 * class that serializes to JSON; the display module draws it.
 * @module
 */

/** Where a value comes from: the training task or an evaluation. */
export type HistoryMode = "train" | "eval";

/** One recorded value. */
export interface HistoryRecord {
  /** Training step (1-based: the value after this many steps). */
  step: number;
  mode: HistoryMode;
  /** Metric name, as Trax writes it: `metrics/CrossEntropyLoss`, `training/learning_rate`, ... */
  metric: string;
  value: number;
}

/** The JSON form of a {@link History}. */
export interface HistoryJSON {
  records: HistoryRecord[];
}

/**
 * Metric values over training steps, by mode and metric name.
 *
 * @example
 * ```ts
 * const h = new trax.supervised.History();
 * h.append("train", "metrics/loss", 1, 0.9);
 * h.append("train", "metrics/loss", 2, 0.5);
 * h.get("train", "metrics/loss"); // [[1, 0.9], [2, 0.5]]
 * const copy = trax.supervised.History.fromJSON(JSON.parse(JSON.stringify(h)));
 * ```
 */
export class History {
  /** All records in the order they were appended. */
  readonly records: HistoryRecord[] = [];

  /** Adds one value (Trax's argument order: mode, metric, step, value). */
  append(mode: HistoryMode, metric: string, step: number, value: number): void {
    if (mode !== "train" && mode !== "eval") throw new Error(`History.append: mode must be "train" or "eval"; got ${String(mode)}`);
    if (typeof metric !== "string" || metric === "") throw new Error(`History.append: metric must be a non-empty string; got ${String(metric)}`);
    if (!Number.isInteger(step) || step < 0) throw new Error(`History.append: step must be a non-negative integer; got ${String(step)}`);
    if (typeof value !== "number") throw new Error(`History.append: value must be a number; got ${typeof value}`);
    this.records.push({ step, mode, metric, value });
  }

  /** `[step, value]` pairs of one metric in one mode, in the order recorded. */
  get(mode: HistoryMode, metric: string): [number, number][] {
    return this.records.filter((r) => r.mode === mode && r.metric === metric).map((r) => [r.step, r.value]);
  }

  /** The modes that have records. */
  get modes(): HistoryMode[] {
    return [...new Set(this.records.map((r) => r.mode))];
  }

  /** Metric names recorded in `mode`, in order of first appearance. */
  metricsForMode(mode: HistoryMode): string[] {
    return [...new Set(this.records.filter((r) => r.mode === mode).map((r) => r.metric))];
  }

  /** The last value of a metric (undefined if none). */
  last(mode: HistoryMode, metric: string): number | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r.mode === mode && r.metric === metric) return r.value;
    }
    return undefined;
  }

  /** Number of records. */
  get length(): number {
    return this.records.length;
  }

  /** Drops the records after `step` (used when a loop goes back to a checkpoint). */
  truncateAfter(step: number): void {
    let w = 0;
    for (const r of this.records) if (r.step <= step) this.records[w++] = r;
    this.records.length = w;
  }

  /** `{ records }`, for `JSON.stringify` (non-finite values become null there). */
  toJSON(): HistoryJSON {
    return { records: this.records.map((r) => ({ ...r })) };
  }

  /** Rebuilds a history from its JSON form (null values become NaN). */
  static fromJSON(json: unknown): History {
    const recs = (json as HistoryJSON | null)?.records;
    if (!Array.isArray(recs)) throw new Error("History.fromJSON: expected an object with a records array");
    const h = new History();
    for (const r of recs) h.append(r.mode, r.metric, r.step, r.value === null ? NaN : r.value);
    return h;
  }

  /** A short text view: the last value of each metric. */
  toString(): string {
    const lines: string[] = [`History(${this.records.length} records)`];
    for (const mode of this.modes) {
      for (const m of this.metricsForMode(mode)) {
        const pts = this.get(mode, m);
        const [s, v] = pts[pts.length - 1];
        lines.push(`  ${mode} ${m}: ${pts.length} values, last ${v} at step ${s}`);
      }
    }
    return lines.join("\n");
  }
}
