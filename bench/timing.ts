/**
 * Timing helpers for benchmarks: warm up, then alternate the candidates so
 * that machine noise hits them alike, and report medians in milliseconds.
 */
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
