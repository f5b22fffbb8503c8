/**
 * Timing helpers for benchmarks: warm up, then alternate the candidates so
 * that machine noise hits them alike, and report medians in milliseconds.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs each function once to warm up, then `rounds` times in alternation;
 * returns the median wall time of each, in milliseconds.
 */
export function timeMedian(fns: (() => void)[], rounds = 5): number[] {
  fns.forEach((f) => f());
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      times[i].push(performance.now() - t0);
    });
  }
  return times.map(median);
}

/** This process's CPU time (user + system, all its threads) in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Whether {@link mainThreadCpuMs} reads the main thread's own clock (Linux) rather than the process's.
 *
 * @example
 * ```ts
 * console.log(`${MAIN_THREAD_CLOCK ? "main-thread" : "process"} CPU time`);
 * ```
 */
export const MAIN_THREAD_CLOCK = (() => {
  try {
    return Number.isFinite(Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]));
  } catch {
    return false;
  }
})();

/**
 * CPU time of the calling (main) thread in milliseconds, in nanosecond
 * steps: on Linux from `/proc/thread-self/schedstat`, which leaves out V8's
 * background threads (optimizing compilers, concurrent GC marking), whose
 * work depends on how long the process has run rather than on the code
 * measured; elsewhere the process's CPU time ({@link cpuMs}).
 *
 * @example
 * ```ts
 * const t0 = mainThreadCpuMs(); work(); const ms = mainThreadCpuMs() - t0;
 * ```
 */
export function mainThreadCpuMs(): number {
  if (!MAIN_THREAD_CLOCK) return cpuMs();
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
}

/** The `q`-quantile of numbers (0: the least, 0.5: about the median), by rank. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

/**
 * Runs each function once to warm up, then `rounds` times in alternation
 * (the order rotating each round), timing this process's CPU time, and
 * returns each one's lower decile of CPU milliseconds (`ms`), their ratios
 * to the first's (`ratios`), and the median over rounds of each one's time
 * divided by the first's in the same round (`medianRatios`). On a busy
 * machine other jobs only ever add time (a shared core, evicted caches,
 * a GC landing in one round), so many short rounds and the least-disturbed
 * of them give a ratio that moves little with the load; medians move more.
 */
export function cpuRatios(fns: (() => void)[], rounds = 201): { ms: number[]; ratios: number[]; medianRatios: number[] } {
  fns.forEach((f) => f());
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length;
      const t0 = cpuMs();
      fns[i]();
      times[i].push(cpuMs() - t0);
    }
  }
  const ms = times.map((t) => quantile(t, 0.1));
  return {
    ms,
    ratios: ms.map((t) => t / ms[0]),
    medianRatios: times.map((t) => median(t.map((v, r) => v / times[0][r]))),
  };
}

/**
 * Warms each candidate up (3 calls), then runs them in alternation, `rounds`
 * times `calls` calls each; each candidate's CPU ms per call in each round.
 * A candidate that runs in another process returns its own CPU ms per call
 * (this process's CPU time would miss its work).
 */
export async function alternateCpuRounds(fns: Record<string, (n: number) => Promise<void | number> | void | number>, calls: number, rounds: number): Promise<Record<string, number[]>> {
  const names = Object.keys(fns);
  for (const n of names) await fns[n](3);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const t0 = cpuMs();
      const own = await fns[n](calls);
      times[n].push(typeof own === "number" ? own : (cpuMs() - t0) / calls);
    }
  }
  return times;
}

/** {@link alternateCpuRounds}, the median CPU ms per call of each candidate. */
export async function alternateCpu(fns: Record<string, (n: number) => Promise<void | number> | void | number>, calls: number, rounds: number): Promise<Record<string, number>> {
  const times = await alternateCpuRounds(fns, calls, rounds);
  return Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
}
