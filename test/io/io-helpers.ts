/** Helpers shared by the io tests. */
import * as assert from "uvu/assert";
import { execFileSync } from "child_process";

/** Runs Python code with the system python3 (numpy installed) and returns its trimmed stdout. */
export function python(code: string): string {
  return execFileSync("/usr/bin/python3", ["-c", code], { encoding: "utf8" }).trim();
}

/** Asserts that `f` throws an Error whose message matches every pattern. */
export function throwsMatching(f: () => unknown, ...patterns: RegExp[]): void {
  try {
    f();
  } catch (e) {
    for (const p of patterns) assert.match((e as Error).message, p);
    return;
  }
  assert.unreachable("expected an Error");
}

/** A small seeded generator (mulberry32) for the fuzz tests: the same cases on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
