/**
 * The promise `loop.run` returns, as a display object: left as a cell's last
 * value (a forgotten `await`), it says that training goes on in the
 * background and, once settled, how the run ended.
 * @module
 */
import { inspect } from "util";

/** How a run ended, for its promise's view. */
type Outcome = { state: "pending" } | { state: "done"; step: number } | { state: "failed"; error: unknown };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Gives a run's promise its views (`Symbol.for("Jupyter.display")` and
 * `util.inspect.custom`): returns a promise that settles as `promise` does
 * and shows where the run stands.
 *
 * @example
 * ```ts
 * const p = describeRun(runSteps(200), 200, loop); // p shows "loop.run(200): training in the background..."
 * ```
 */
export function describeRun<T>(promise: Promise<T>, nSteps: number, loop: { readonly step: number }): Promise<T> {
  let outcome: Outcome = { state: "pending" };
  // A new promise that settles as the run does (a rejection nobody handles stays unhandled, and is reported).
  const shown = promise.then(
    (value) => {
      outcome = { state: "done", step: loop.step };
      return value;
    },
    (error: unknown) => {
      outcome = { state: "failed", error };
      throw error;
    }
  );
  const text = (): string => {
    const call = `loop.run(${nSteps})`;
    if (outcome.state === "done") return `${call} finished at step ${outcome.step}`;
    if (outcome.state === "failed") {
      const e = outcome.error;
      return `${call} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
    return `${call}: training in the background (step ${loop.step}; its progress shows above); \`await ${call}\` waits for it`;
  };
  Object.defineProperty(shown, Symbol.for("Jupyter.display"), {
    value: () => {
      const t = text();
      const colour = outcome.state === "failed" ? ";color:#b00" : "";
      return { "text/plain": t, "text/html": `<div style="font-family:monospace;white-space:pre-wrap${colour}">${escapeHtml(t)}</div>` };
    },
  });
  Object.defineProperty(shown, inspect.custom, { value: () => `Promise { ${text()} }` });
  return shown;
}
