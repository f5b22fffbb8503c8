/**
 * Interrupting training, as Python's KeyboardInterrupt does in Trax: the
 * Jupyter kernel's Interrupt button and the REPL's Ctrl-C ask every running
 * `loop.run` to stop after its current step; the run then rejects with a
 * {@link KeyboardInterrupt} that names the step, and the loop stays usable
 * (`loop.run(n)` goes on from there).
 * @module
 */

/**
 * A training run stopped by an interrupt (Ctrl-C, the notebook's Interrupt).
 *
 * @example
 * ```ts
 * try { await loop.run(1e6); } catch (e) { if (e instanceof trax.supervised.KeyboardInterrupt) e.step; }
 * ```
 */
export class KeyboardInterrupt extends Error {
  /** The last step that ran (the loop's `step`). */
  readonly step: number;
  /** The step the run was to end at. */
  readonly endStep: number;

  constructor(step: number, endStep: number) {
    super(`training interrupted after step ${step} (of ${endStep}); the loop is intact: loop.run(n) goes on from step ${step}`);
    this.name = "KeyboardInterrupt";
    this.step = step;
    this.endStep = endStep;
  }
}

/** Something running that an interrupt stops. */
export interface Interruptible {
  interrupt(): void;
}

const running = new Set<Interruptible>();

/**
 * Registers a running job until the returned function is called.
 *
 * @example
 * ```ts
 * const done = whileRunning({ interrupt: () => (stop = true) });
 * try { ... } finally { done(); }
 * ```
 */
export function whileRunning(job: Interruptible): () => void {
  running.add(job);
  return () => {
    running.delete(job);
  };
}

/**
 * Asks every running training loop to stop after its current step; returns
 * how many were running (0: nothing to interrupt).
 *
 * @example
 * ```ts
 * process.on("SIGINT", () => trax.supervised.interruptTraining());
 * ```
 */
export function interruptTraining(): number {
  const jobs = [...running];
  for (const j of jobs) j.interrupt();
  return jobs.length;
}

/**
 * The number of training runs in progress.
 *
 * @example
 * ```ts
 * trax.supervised.runningTrainings(); // 0 when no loop.run is going on
 * ```
 */
export function runningTrainings(): number {
  return running.size;
}
