/**
 * Live training views: one notebook display, updated in place
 * (`update_display_data` with one display id), showing a progress line and
 * the history chart while a loop runs; the last update adds the SVG.
 * Outside notebooks (no display sink) a live view does nothing: terminals
 * have the loop's progress bar.
 * @module
 */
import { randomBytes } from "crypto";
import type { MimeBundle } from "./bundle";
import { DISPLAY, DISPLAY_ASYNC } from "./bundle";
import type { HistoryLike } from "./history-like";
import { historyView, type HistoryViewOptions } from "./history-view";
import { libraryPending } from "./vega";
import { displaySink, inNotebook, type DisplaySink } from "./show";
import { formatDuration, formatLoss } from "./progress-format";

/** Where training stands, for the progress line. */
export interface LiveProgress {
  step: number;
  /** The step the run ends at, when known. */
  total?: number;
  loss?: number;
}

/** Options of {@link liveView} and {@link attachLiveView}. */
export interface LiveViewOptions extends HistoryViewOptions {
  /** Least time between two redraws of the chart, in ms (default 1000). */
  chartIntervalMs?: number;
  /** Least time between two progress-line updates, in ms (default 1000: each update redraws the chart in the page). */
  progressIntervalMs?: number;
  /** The sink to draw into (default: the one in force, see `displaySink`). */
  sink?: DisplaySink | null;
}


/**
 * One display that follows a history. Call `update(progress)` as often as
 * you like (it throttles), and `finish()` at the end (it draws the SVG too).
 *
 * @example
 * ```ts
 * const live = trax.display.liveView(loop.history);
 * loop.onStep(({ step, loss }) => live.update({ step, loss, total: 500 }));
 * await loop.run(500);
 * await live.finish();
 * ```
 */
export class LiveView {
  readonly history: HistoryLike;
  readonly displayId: string;
  readonly options: LiveViewOptions;
  private sink: DisplaySink | null;
  private shown = false;
  private lastChart = -Infinity;
  private lastProgressTime = -Infinity;
  private lastRecords = -1;
  private progress: LiveProgress | null = null;
  private started: { time: number; step: number } | null = null;
  private finished = false;
  /** This view's first display carried the vega libraries: its last update must carry them too (it replaces the first). */
  private ownsLibrary = false;
  /** Bundles sent so far (for tests and debugging). */
  sent = 0;

  constructor(history: HistoryLike, options: LiveViewOptions = {}) {
    this.history = history;
    this.options = options;
    this.displayId = "trax-live-" + randomBytes(8).toString("hex");
    // By default only a rich frontend gets live updates (a text-only sink, like the REPL's, has a progress bar).
    this.sink = options.sink === undefined ? (inNotebook() ? displaySink() : null) : options.sink;
  }

  /** True once `finish` ran. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** The last progress given. */
  get lastProgress(): LiveProgress | null {
    return this.progress;
  }

  /** True when there is a notebook to draw into. */
  get active(): boolean {
    return this.sink !== null;
  }

  /** The progress line: `step 120/500 (24%) | loss 0.4321 | 35.2 steps/s | 11s left`. */
  statusLine(): string {
    const p = this.progress;
    if (!p) return "";
    const parts = [p.total ? `step ${p.step}/${p.total} (${Math.floor((100 * p.step) / p.total)}%)` : `step ${p.step}`];
    if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${formatLoss(p.loss)}`);
    if (this.started) {
      const secs = (Date.now() - this.started.time) / 1000;
      const done = p.step - this.started.step;
      if (secs > 0 && done > 0) {
        const rate = done / secs;
        parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)} steps/s`);
        if (p.total && !this.finished) parts.push(`${formatDuration((p.total - p.step) / rate)} left`);
      }
    }
    return parts.join(" | ");
  }

  private bundle(): MimeBundle {
    if (!this.shown) this.ownsLibrary = libraryPending();
    return historyView(this.history, { ...this.options, status: this.statusLine() || undefined })[DISPLAY]();
  }

  private send(bundle: MimeBundle): void {
    if (!this.sink) return;
    this.sink(bundle, { displayId: this.displayId, update: this.shown });
    this.shown = true;
    this.sent++;
  }

  /**
   * Records progress and redraws when due: the chart when the history grew
   * (at most every `chartIntervalMs`), the progress line every `progressIntervalMs`.
   * `force` redraws now.
   */
  update(progress?: LiveProgress, force = false): void {
    if (progress) {
      if (!this.started) this.started = { time: Date.now(), step: Math.max(0, progress.step - 1) };
      this.progress = progress;
    }
    if (!this.sink || this.finished) return;
    const now = Date.now();
    const grew = this.history.records.length !== this.lastRecords;
    const chartDue = grew && now - this.lastChart >= (this.options.chartIntervalMs ?? 1000);
    const progressDue = now - this.lastProgressTime >= (this.options.progressIntervalMs ?? 1000);
    if (!force && !chartDue && !progressDue && this.shown) return;
    this.lastProgressTime = now;
    if (chartDue || force || !this.shown) {
      this.lastChart = now;
      this.lastRecords = this.history.records.length;
    }
    this.send(this.bundle());
  }

  /** The last update: final progress and the chart with its SVG. */
  async finish(progress?: LiveProgress): Promise<void> {
    if (progress) this.progress = progress;
    if (!this.sink || this.finished) return;
    this.finished = true;
    const view = historyView(this.history, {
      ...this.options,
      status: this.statusLine() || undefined,
      includeLibrary: this.ownsLibrary ? true : this.options.includeLibrary,
    });
    this.send(await view[DISPLAY_ASYNC]());
  }
}

/**
 * A live view of `history` (see {@link LiveView}).
 *
 * @example
 * ```ts
 * const live = trax.display.liveView(history);
 * ```
 */
export function liveView(history: HistoryLike, options: LiveViewOptions = {}): LiveView {
  return new LiveView(history, options);
}

/** The mark `attachLiveView` leaves on a loop (read by `Loop.run`). */
const LIVE_VIEW = Symbol.for("trax.display.liveView");

/** What {@link attachLiveView} needs of a training loop (`trax.supervised.Loop` has it). */
export interface LiveLoop {
  readonly history: HistoryLike;
  /** The current step. */
  readonly step?: number;
  onStep?(cb: (info: { step: number; loss: number }) => void): (() => void) | void;
  onEval?(cb: (info: { step: number }) => void): (() => void) | void;
  run?(nSteps?: number): Promise<unknown>;
}

/** A live view following a loop; `detach()` stops following it. */
export interface LiveAttachment {
  /** The view of the current (or last) run. */
  readonly view: LiveView;
  /** Unsubscribes from the loop and gives `loop.run` back. */
  detach(): void;
}

/**
 * Follows a training loop in one notebook display: every step updates the
 * progress line, every evaluation the chart, and the end of each `run` draws
 * the final chart with its SVG (each `run` gets a new display). In a
 * notebook it is the loop's one display: the loop draws no progress line of
 * its own while a live view is attached. In a terminal (no display sink) it
 * does nothing.
 *
 * @example
 * ```ts
 * trax.display.attachLiveView(loop);
 * await loop.run(500); // one display, updated in place
 * ```
 */
export function attachLiveView(loop: LiveLoop, options: LiveViewOptions = {}): LiveAttachment {
  let view = new LiveView(loop.history, options);
  let total: number | undefined;
  const offs: (() => void)[] = [];
  const sub = (r: (() => void) | void) => {
    if (typeof r === "function") offs.push(r);
  };
  if (typeof loop.onStep === "function") {
    sub(loop.onStep(({ step, loss }) => view.update({ step, loss, total })));
  }
  if (typeof loop.onEval === "function") {
    sub(loop.onEval(() => view.update(undefined, true)));
  }
  // Tells the loop that this view is its notebook display (see Loop's progress).
  Object.defineProperty(loop, LIVE_VIEW, { value: true, configurable: true });
  const own = Object.getOwnPropertyDescriptor(loop, "run");
  const originalRun = loop.run;
  if (typeof originalRun === "function") {
    const wrapped = async function (nSteps?: number) {
      const from = typeof loop.step === "number" ? loop.step : 0;
      total = from + (nSteps ?? 1);
      if (view.isFinished) view = new LiveView(loop.history, options);
      try {
        return await originalRun.call(loop, nSteps);
      } finally {
        const step = typeof loop.step === "number" ? loop.step : view.lastProgress?.step;
        await view.finish(step === undefined ? undefined : { ...view.lastProgress, step, total });
      }
    };
    Object.defineProperty(loop, "run", { value: wrapped, configurable: true, writable: true });
  }
  return {
    get view() {
      return view;
    },
    detach() {
      for (const off of offs.splice(0)) off();
      delete (loop as unknown as Record<symbol, unknown>)[LIVE_VIEW];
      if (typeof originalRun !== "function") return;
      if (own) Object.defineProperty(loop, "run", own);
      else delete (loop as { run?: unknown }).run;
    },
  };
}
