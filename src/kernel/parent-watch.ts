/**
 * Ends the kernel when the process that started it is gone (Jupyter's
 * server, nbclient, a console): an orphaned kernel must not run on.
 * @module
 */

/** Options of {@link watchParent}. */
export interface ParentWatchOptions {
  /** How often to look, in ms (default 1000). */
  intervalMs?: number;
  /** What to do when the parent is gone (default: exit the process). */
  onGone?: (why: string) => void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Polls the parent: the kernel's parent process id changing (the parent
 * died and the kernel was re-parented) or `JPY_PARENT_PID` (set by
 * jupyter_client) naming a process that no longer exists ends the kernel,
 * as ipykernel's parent poller does. The timer does not keep the process alive.
 * Returns a function that stops watching.
 *
 * @example
 * ```ts
 * watchParent(); // the kernel exits within a second or so of its client's death
 * ```
 */
export function watchParent(opts: ParentWatchOptions = {}): () => void {
  const startParent = process.ppid;
  const declared = Number(process.env.JPY_PARENT_PID);
  const onGone = opts.onGone ?? ((why: string) => {
    process.stderr.write(`trax-ts kernel: ${why}; exiting\n`);
    process.exit(0);
  });
  const timer = setInterval(() => {
    if (process.ppid !== startParent) onGone(`its parent process ${startParent} is gone`);
    else if (Number.isInteger(declared) && declared > 1 && !alive(declared)) onGone(`the Jupyter process ${declared} that started it is gone`);
    else return;
    clearInterval(timer);
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
