/**
 * Ctrl-C breaks synchronous code running at the REPL prompt, as node's own
 * REPL does with `breakEvalOnSigint` (which node refuses together with a
 * custom eval such as ts-node's): while an input runs, the terminal leaves raw
 * mode so Ctrl-C raises SIGINT, and the script runs with `breakOnSigint`.
 * @module
 */
import * as vm from "vm";

/** The message of the error an interrupted input ends with. */
export const INTERRUPTED = "Ctrl-C stopped the input; what it had already set keeps its value";

/** Reported (as the input's error, named like Python's) when Ctrl-C stopped it. */
export class ReplInterrupt extends Error {
  constructor() {
    super(INTERRUPTED);
    this.name = "KeyboardInterrupt";
  }
}

/** The terminal input of a REPL: raw mode is switched off while code runs. */
interface TerminalInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * The error to report for `e`: a {@link ReplInterrupt} for V8's "Script
 * execution interrupted" (vm's breakOnSigint), `e` itself otherwise.
 *
 * @example
 * ```ts
 * asInterrupt(new Error("Script execution was interrupted by `SIGINT`")); // a ReplInterrupt
 * ```
 */
export function asInterrupt(e: unknown): unknown {
  return e instanceof Error && /^Script execution (was )?interrupted/.test(e.message) ? new ReplInterrupt() : e;
}

/**
 * Runs `f` (which evaluates REPL input through `vm.Script`) so that Ctrl-C
 * stops the synchronous part of the code it runs. Returns what `f` returns;
 * an interrupted run throws {@link ReplInterrupt}. A SIGINT that arrives
 * outside the script (while compiling, say) is ignored instead of ending the
 * process.
 *
 * @example
 * ```ts
 * runInterruptible(process.stdin, () => new vm.Script("while (true) {}").runInThisContext());
 * // Ctrl-C -> throws ReplInterrupt, the REPL goes on
 * ```
 */
export function runInterruptible<T>(input: TerminalInput, f: () => T): T {
  const proto = vm.Script.prototype as unknown as { runInThisContext: (options?: vm.RunningScriptOptions) => unknown };
  const original = proto.runInThisContext;
  proto.runInThisContext = function (this: vm.Script, options?: vm.RunningScriptOptions) {
    return original.call(this, { ...options, breakOnSigint: true });
  };
  const ignoreStraySigint = (): void => undefined;
  process.on("SIGINT", ignoreStraySigint);
  const wasRaw = Boolean(input.isTTY && input.isRaw && input.setRawMode);
  if (wasRaw) input.setRawMode?.(false);
  try {
    return f();
  } catch (e) {
    throw asInterrupt(e);
  } finally {
    proto.runInThisContext = original;
    if (wasRaw) input.setRawMode?.(true);
    process.removeListener("SIGINT", ignoreStraySigint);
  }
}
