/**
 * A training run's progress in a notebook: one display, updated in place
 * (`update_display_data` with one display id): a bar drawn with px-wide
 * blocks (it survives an untrusted notebook's sanitizer) and a text line.
 * @module
 */
import { randomBytes } from "crypto";
import { escapeHtml } from "../display/escape";
import { formatDuration, formatLoss } from "../display/progress-format";
import type { HistoryRecord } from "./history";
import type { ProgressReporter } from "./progress";

type Sink = (bundle: Record<string, unknown>, opts: { displayId?: string; update?: boolean }) => void;


/** Width of the drawn bar in pixels, and of the text bar in characters. */
const BAR_PX = 240;
const BAR_CHARS = 30;

/**
 * The progress line's text and HTML.
 *
 * @example
 * ```ts
 * progressBundle({ step: 50, start: 0, end: 200, loss: 0.5 })["text/plain"]; // "step 50/200 [#######.......] 25% | loss 0.5000"
 * ```
 */
export function progressBundle(p: { step: number; start: number; end: number; loss?: number; rate?: number; note?: string }): { "text/plain": string; "text/html": string } {
  const span = Math.max(1, p.end - p.start);
  const frac = Math.min(1, Math.max(0, (p.step - p.start) / span));
  const pct = Math.floor(frac * 100);
  const parts = [`step ${p.step}/${p.end}`];
  const tail: string[] = [];
  if (p.loss !== undefined && Number.isFinite(p.loss)) tail.push(`loss ${formatLoss(p.loss)}`);
  if (p.rate !== undefined && p.rate > 0) {
    tail.push(`${p.rate.toFixed(p.rate < 10 ? 2 : 1)} steps/s`);
    if (p.step < p.end && !p.note) tail.push(`${formatDuration((p.end - p.step) / p.rate)} left`);
  }
  if (p.note) tail.push(p.note);
  const filled = Math.round(frac * BAR_CHARS);
  const text = `${parts[0]} [${"#".repeat(filled)}${".".repeat(BAR_CHARS - filled)}] ${pct}%${tail.length ? " | " + tail.join(" | ") : ""}`;
  const done = Math.round(frac * BAR_PX);
  const colour = p.note ? "#d62728" : "#1f77b4";
  const html =
    `<table style="border:none;margin:2px 0"><tr style="background:none">` +
    `<td style="border:none;padding:0 6px 0 0;font-family:monospace;font-size:12px">step ${p.step}/${p.end}</td>` +
    `<td style="border:none;padding:0"><div style="width:${BAR_PX}px;height:12px;background:#e6e6e6">` +
    `<div style="width:${done}px;height:12px;background:${colour}"></div></div></td>` +
    `<td style="border:none;padding:0 0 0 6px;font-family:monospace;font-size:12px">${pct}%${tail.length ? " | " + escapeHtml(tail.join(" | ")) : ""}</td>` +
    `</tr></table>`;
  return { "text/plain": text, "text/html": html };
}

/**
 * A progress reporter that draws into the notebook (the display sink in
 * force), throttled to about two redraws a second, with a last one at the end.
 *
 * @example
 * ```ts
 * const progress = notebookProgress(0, 500); // called by Loop.run in a notebook
 * ```
 */
export function notebookProgress(startStep: number, endStep: number, intervalMs = 500): ProgressReporter {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const sink = (require("../display/show") as { displaySink(): Sink | null }).displaySink();
  if (!sink) return { update() {}, report() {}, stop() {} };
  const displayId = "trax-progress-" + randomBytes(8).toString("hex");
  const began = Date.now();
  let step = startStep;
  let loss: number | undefined;
  let lastDraw = -Infinity;
  let shown = false;
  const draw = (note?: string) => {
    const secs = (Date.now() - began) / 1000;
    const rate = secs > 0 && step > startStep ? (step - startStep) / secs : undefined;
    try {
      sink(progressBundle({ step, start: startStep, end: endStep, loss, rate, note }), { displayId, update: shown });
      shown = true;
    } catch {
      /* no cell to draw into (the kernel is between cells): the next redraw tries again */
    }
    lastDraw = Date.now();
  };
  draw();
  return {
    update(s, l) {
      step = s;
      loss = l;
      if (Date.now() - lastDraw >= intervalMs) draw();
    },
    report(s: number, _records: HistoryRecord[]) {
      step = s;
    },
    stop(note) {
      draw(note);
    },
  };
}
