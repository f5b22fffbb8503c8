/**
 * Progress of a training run: in a notebook one progress line updated in
 * place (none when a live chart follows the loop: that is its display), a
 * cli-progress bar with the latest loss in a terminal, Trax-style lines at
 * evaluation points elsewhere, or nothing.
 * @module
 */
import type { HistoryRecord } from "./history";
import { notebookProgress } from "./notebook-progress";

/** How a loop shows progress. */
export type ProgressMode = "auto" | "bar" | "lines" | "none";

/** @internal */
export interface ProgressReporter {
  update(step: number, loss: number): void;
  report(step: number, records: HistoryRecord[]): void;
  /** Ends the display; `note` (e.g. "interrupted after step 12") is shown where there is room. */
  stop(note?: string): void;
}

/** @internal What the loop tells the progress about its run. */
export interface ProgressContext {
  /** A live chart (`attachLiveView`) follows the loop: in a notebook it is the one display. */
  liveView?: boolean;
}

/** True when a rich notebook frontend is attached (the display module says so). */
function inNotebook(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("../display/show") as { inNotebook(): boolean }).inNotebook();
  } catch {
    return false;
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(5);
}

/** @internal */
export function makeProgress(
  mode: ProgressMode,
  log: (line: string) => void,
  startStep: number,
  endStep: number,
  context: ProgressContext = {}
): ProgressReporter {
  if (!["auto", "bar", "lines", "none"].includes(mode)) {
    throw new Error(`Loop: progress must be "auto", "bar", "lines" or "none"; got ${String(mode)}`);
  }
  const notebook = mode === "auto" && inNotebook();
  if (notebook && context.liveView) return { update() {}, report() {}, stop() {} };
  if (notebook && endStep !== startStep) return notebookProgress(startStep, endStep);
  const resolved = mode === "auto" ? (process.stdout.isTTY ? "bar" : "lines") : mode;
  if (resolved === "none" || endStep === startStep) return { update() {}, report() {}, stop() {} };
  if (resolved === "lines") {
    const w = String(endStep).length;
    return {
      update() {},
      report(step, records) {
        for (const r of records) {
          if (r.metric === "training/steps per second") {
            log(`Step ${String(step).padStart(w)}: ran at ${r.value.toFixed(1)} steps/s`);
          } else if (r.metric.startsWith("metrics/")) {
            log(`Step ${String(step).padStart(w)}: ${r.mode.padEnd(5)} ${r.metric.slice(8)} | ${fmt(r.value)}`);
          }
        }
      },
      stop(note) {
        if (note) log(note);
      },
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  const bar = new cliProgress.SingleBar(
    { format: "step {step} [{bar}] {percentage}% | loss {loss} | {eta_formatted} left", hideCursor: true, clearOnComplete: false, etaBuffer: 50, stream: process.stdout },
    cliProgress.Presets.shades_classic
  );
  bar.start(endStep - startStep, 0, { step: startStep, loss: "-" });
  let lastDraw = 0;
  return {
    update(step, loss) {
      const now = Date.now();
      if (now - lastDraw > 100 || step === endStep) {
        bar.update(step - startStep, { step, loss: fmt(loss) });
        lastDraw = now;
      }
    },
    report() {},
    stop(note) {
      bar.stop();
      if (note) log(note);
    },
  };
}
