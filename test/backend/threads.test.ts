import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { trax } from "../helpers";

const test = suite("backend/threads");

/**
 * Runs a fresh process (the thread count is chosen once, when wasm starts) that
 * prints the backend info and a Dense layer's output on fixed inputs, as JSON.
 * `prelude` runs first (CommonJS).
 */
function runChild(env: Record<string, string>, prelude = ""): { threads: number; note?: string; backend: string; y: number[] } {
  const script = `${prelude}
    const t = require('./src');
    t.backend.ready().then((i) => {
      const tf = t.tf;
      const x = tf.tensor2d(Array.from({ length: 64 * 300 }, (_, k) => Math.sin(k)), [64, 300]);
      const w = tf.tensor2d(Array.from({ length: 300 * 200 }, (_, k) => Math.cos(k) / 10), [300, 200]);
      const y = tf.matMul(x, w);
      console.log(JSON.stringify({ backend: i.backend, threads: i.threads, note: i.threadsNote, y: Array.from(y.dataSync()).slice(0, 400) }));
    }, (e) => { console.log(JSON.stringify({ error: e.message })); });`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
    env: { ...process.env, TRAX_BACKEND: "wasm", TRAX_QUIET: "1", ...env },
    encoding: "utf8",
    timeout: 120000,
  });
  const line = out.trim().split("\n").pop() as string;
  return JSON.parse(line);
}

test("TRAX_THREADS=2 runs the threaded wasm build on 2 threads, with the single-threaded build's numbers", () => {
  const one = runChild({ TRAX_THREADS: "1" });
  assert.is(one.threads, 1);
  assert.is(one.note, undefined);
  const two = runChild({ TRAX_THREADS: "2" });
  assert.is(two.backend, "wasm");
  assert.is(two.threads, 2, `threads: ${two.threads} (${two.note ?? "no note"})`);
  assert.is(two.y.length, 400);
  const worst = Math.max(...two.y.map((v, i) => Math.abs(v - one.y[i]) / (1 + Math.abs(one.y[i]))));
  assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
});

test("a threaded build that cannot start falls back to one thread, and info() says why", () => {
  // The threaded module replaced by one whose start fails.
  const prelude = `
    const p = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    require.cache[p] = { id: p, filename: p, loaded: true, exports: () => Promise.reject(new Error('no pthreads here')) };`;
  const r = runChild({ TRAX_THREADS: "2" }, prelude);
  assert.is(r.backend, "wasm");
  assert.is(r.threads, 1);
  assert.match(r.note ?? "", /running on 1 thread: the threaded wasm build failed to start: no pthreads here/);
  const one = runChild({ TRAX_THREADS: "1" });
  assert.equal(r.y, one.y);
});

test("requestedThreads: TRAX_THREADS, else 1 (threads are opt-in), at most 8; a clear error for a bad value", () => {
  const { requestedThreads, MAX_THREADS } = trax.backend;
  assert.is(requestedThreads({ TRAX_THREADS: "3" }), 3);
  assert.is(requestedThreads({ TRAX_THREADS: "64" }), MAX_THREADS);
  assert.is(requestedThreads({}), 1);
  assert.throws(() => requestedThreads({ TRAX_THREADS: "two" }), /TRAX_THREADS must be a positive integer; got 'two'/);
  assert.throws(() => requestedThreads({ TRAX_THREADS: "0" }), /TRAX_THREADS must be a positive integer/);
});

test.run();
