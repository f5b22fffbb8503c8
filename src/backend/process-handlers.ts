/**
 * Emscripten's runtime (tfjs-backend-wasm's glue) adds process handlers that
 * rethrow every uncaught error and unhandled rejection, printing its minified
 * source instead of the error; and inside node's REPL adding an
 * `uncaughtException` listener throws. {@link withoutNewProcessHandlers} runs
 * a start of that runtime outside the REPL's domain and removes what it added.
 * @module
 */

const PROCESS_EVENTS = ["uncaughtException", "unhandledRejection"] as const;
type Listener = (...args: unknown[]) => void;

const listenersOf = (event: string): Listener[] => process.listeners(event as "exit") as unknown as Listener[];

/**
 * Runs `f` outside any domain (node's REPL refuses `uncaughtException`
 * listeners added from its domain), then removes the process handlers it
 * added: at once, and again once the promise `f` returns (if any) settles.
 *
 * @example
 * ```ts
 * const mod = await withoutNewProcessHandlers(() => emscriptenFactory(config));
 * ```
 */
export function withoutNewProcessHandlers<T>(f: () => T): T {
  const before = PROCESS_EVENTS.map((e) => new Set(listenersOf(e)));
  const removeAdded = (): void =>
    PROCESS_EVENTS.forEach((e, i) => {
      for (const l of listenersOf(e)) if (!before[i].has(l)) process.removeListener(e as "exit", l);
    });
  const proc = process as unknown as { domain?: unknown };
  const domain = proc.domain;
  let result: T;
  try {
    if (domain) proc.domain = null;
    result = f();
  } catch (e) {
    removeAdded();
    throw e;
  } finally {
    if (domain) proc.domain = domain;
  }
  removeAdded();
  // A start that goes on asynchronously may add more before it settles.
  if (result instanceof Promise) return result.finally(removeAdded) as unknown as T;
  return result;
}
