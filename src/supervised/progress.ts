/**
 * Progress of a training run: a cli-progress bar with the latest loss in a
 * terminal, Trax-style lines at evaluation points elsewhere, or nothing.
 * @module
 */
import type { HistoryRecord } from "./history";

/** How a loop shows progress. */
export type ProgressMode = "auto" | "bar" | "lines" | "none";

/** @internal */
export interface ProgressReporter {
  update(step: number, loss: number): void;
  report(step: number, records: HistoryRecord[]): void;
  stop(): void;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(5);
}

/** @internal */
export function makeProgress(mode: ProgressMode, log: (line: string) => void, startStep: number, endStep: number): ProgressReporter {
  if (!["auto", "bar", "lines", "none"].includes(mode)) {
    throw new Error(`Loop: progress must be "auto", "bar", "lines" or "none"; got ${String(mode)}`);
  }
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
      stop() {},
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
    stop() {
      bar.stop();
    },
  };
}
