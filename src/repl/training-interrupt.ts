/**
 * Ctrl-C in the REPL while a training loop runs: the loop stops after its
 * current step and its `run` rejects with KeyboardInterrupt (which names the
 * step), as in the notebook; the REPL's own Ctrl-C handling applies otherwise.
 * @module
 */
import type { REPLServer } from "repl";

/**
 * Sends the REPL's Ctrl-C (its `SIGINT` event) to running training loops
 * first: when one runs, it is asked to stop after its step and the REPL's
 * own handler (which would abandon the pending `await`) is skipped.
 *
 * @example
 * ```ts
 * interruptTrainingOnCtrlC(server, () => trax.supervised.interruptTraining());
 * ```
 */
export function interruptTrainingOnCtrlC(server: REPLServer, interruptTraining: () => number): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === "SIGINT" && interruptTraining() > 0) return true;
    return emit(event, ...args);
  }) as REPLServer["emit"];
}
