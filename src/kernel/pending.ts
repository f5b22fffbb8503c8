/**
 * A promise left as a cell's last value (a forgotten `await`): shown as a
 * display that says it is still running, then updated in place with its
 * outcome, its rejection included, so that nothing fails unseen.
 * @module
 */
import { randomBytes } from "crypto";
import { escapeHtml } from "../display/escape";
import type { MimeBundle } from "./render";

/** Writes a bundle as `display_data` (or updates the display with that id). */
export type DisplayWriter = (bundle: Record<string, unknown>, opts: { displayId: string; update: boolean }) => void;

/**
 * True for promises and promise-like values.
 *
 * @example
 * ```ts
 * isThenable(loop.run(10)); // true
 * ```
 */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function textBundle(text: string, colour?: string): MimeBundle {
  const style = `font-family:monospace;white-space:pre-wrap${colour ? `;color:${colour}` : ""}`;
  return { "text/plain": text, "text/html": `<div style="${style}">${escapeHtml(text)}</div>` };
}

/**
 * Shows a pending promise in the cell: its own view (`Symbol.for("Jupyter.display")`,
 * e.g. a training run's) or "Promise (pending)", then updates that display when
 * it settles: the outcome's text, or the rejection in red. Handling the
 * promise here also keeps its rejection from going unseen elsewhere.
 *
 * @example
 * ```ts
 * showPendingPromise(loop.run(200), write, (v) => plainText(v), (t) => t);
 * ```
 */
export function showPendingPromise(
  promise: PromiseLike<unknown>,
  write: DisplayWriter,
  describe: (value: unknown) => string,
  rewrite: (text: string) => string = (t) => t
): void {
  const displayId = "trax-promise-" + randomBytes(8).toString("hex");
  const own = (promise as unknown as Record<symbol, unknown>)[Symbol.for("Jupyter.display")];
  const ownBundle = (): MimeBundle | null => {
    if (typeof own !== "function") return null;
    try {
      const b = own.call(promise) as MimeBundle;
      return b && typeof b["text/plain"] === "string" ? b : null;
    } catch {
      return null;
    }
  };
  write(ownBundle() ?? textBundle("Promise { <pending> }: running in the background (add `await` to wait for it); its outcome will show here"), { displayId, update: false });
  const settle = (bundle: MimeBundle) => {
    try {
      write(bundle, { displayId, update: true });
    } catch {
      /* the kernel is closing */
    }
  };
  promise.then(
    (value) => settle(ownBundle() ?? textBundle(`Promise resolved: ${describe(value)}`)),
    (reason) => {
      const mine = ownBundle();
      settle(mine ?? textBundle(`Promise rejected: ${rewrite(errorText(reason))}`, "#b00"));
    }
  );
}
