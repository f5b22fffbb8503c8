/**
 * Worker threads for trax-ts's SIMD products on the threaded wasm build:
 * its heap is a shared memory, so Node `worker_threads` can instantiate the
 * same GEMM module over it and each compute a share of a product's rows (or
 * of a batch's items) while the calling thread computes its own. Workers are
 * `unref`'d, so they never hold the process open.
 *
 * Between products a worker polls for the next one for
 * {@link WORKER_SPIN_MS}, then sleeps in `Atomics.wait`; the calling thread
 * polls for the workers' shares for up to {@link CALLER_SPIN_MS} before it
 * sleeps. A training step's products come a few hundred microseconds
 * apart (its first one about a millisecond after the last step's), and
 * waking a sleeping thread took 20-200 us on the 2-core virtual machine
 * measured (a sleeping virtual CPU is woken through the hypervisor):
 * polling took the MLP step on two threads from 0.93 to 0.83 of one
 * thread's time, the Transformer block's from 0.84 to 0.80 (medians of 25
 * alternated rounds), and polling for 1 ms rather than 0.25 the step's
 * first product from 0.83 to 0.71 of its one-thread time. Idle, a worker
 * sleeps after a millisecond, costing nothing.
 *
 * Protocol, per worker `i`, in a shared `Int32Array` at `i * SLOT`:
 * `[seq, done, ready, count, args...]`: the caller writes `count` calls of
 * `GEMM_ARGS` arguments each, then bumps `seq` and notifies; the worker runs them and
 * stores `seq` into `done`.
 * @module
 */
import { Worker } from "node:worker_threads";
import { GEMM_ARGS, type GemmExports } from "./gemm-module";
import type { WasmMemory } from "./instantiate";

/** The most `gemm` calls one worker takes per product. */
const MAX_CALLS = 64;
const ARGS = GEMM_ARGS;
const HEADER = 4;
const SLOT = HEADER + MAX_CALLS * ARGS;
const [SEQ, DONE, READY, COUNT] = [0, 1, 2, 3];
/** How long a worker polls for its next product before it sleeps (ms). */
export const WORKER_SPIN_MS = 1;
/** How long the calling thread polls for the workers' shares before it sleeps (ms). */
export const CALLER_SPIN_MS = 2;

/** The worker: instantiates the module over the shared memory, then runs what it is given. */
const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { module, memory, control, index } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctrl = new Int32Array(control);
const base = index * ${SLOT};
Atomics.store(ctrl, base + ${READY}, 1);
Atomics.notify(ctrl, base + ${READY});
let seen = 0;
for (;;) {
  if (Atomics.load(ctrl, base + ${SEQ}) === seen) {
    const until = performance.now() + ${WORKER_SPIN_MS};
    while (Atomics.load(ctrl, base + ${SEQ}) === seen && performance.now() < until);
  }
  Atomics.wait(ctrl, base + ${SEQ}, seen);
  const seq = Atomics.load(ctrl, base + ${SEQ});
  if (seq < 0) break;
  seen = seq;
  const count = ctrl[base + ${COUNT}];
  for (let c = 0; c < count; c++) {
    const o = base + ${HEADER} + c * ${ARGS};
    gemm(...ctrl.subarray(o, o + ${GEMM_ARGS}));
  }
  Atomics.store(ctrl, base + ${DONE}, seq);
  Atomics.notify(ctrl, base + ${DONE});
}
`;

/** Arguments of one `gemm` call (see gemm-module.ts). */
export type GemmCall = [a: number, b: number, c: number, ldc: number, m: number, n: number, k: number, bias: number, relu: number];

/**
 * A pool of `workers` threads running GEMM calls over a shared wasm memory.
 *
 * @example
 * ```ts
 * const pool = new GemmPool(module, memory, 3);
 * pool.run([call0, call1, call2, call3], gemm); // call0 here, the rest on the workers
 * ```
 */
export class GemmPool {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  private seq = 0;
  private failed = false;

  constructor(module: object, memory: WasmMemory, workers: number) {
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOT * workers));
    for (let i = 0; i < workers; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.control.buffer, index: i } });
      w.unref();
      w.on("error", () => (this.failed = true));
      w.on("exit", () => (this.failed = true));
      this.workers.push(w);
    }
  }

  /** Workers that have started (a product uses only those). */
  readyWorkers(): number {
    if (this.failed) return 0;
    let n = 0;
    while (n < this.workers.length && Atomics.load(this.control, n * SLOT + READY) === 1) n++;
    return n;
  }

  /**
   * Runs `shares[0]` on the calling thread with `gemm` and each further share
   * on a worker (at most {@link readyWorkers} of them), and returns when all
   * are done. A share is a list of calls (at most 64).
   */
  run(shares: GemmCall[][], gemm: GemmExports["gemm"]): void {
    const seq = ++this.seq;
    const used = shares.length - 1;
    for (let i = 0; i < used; i++) {
      const base = i * SLOT;
      const calls = shares[i + 1];
      if (calls.length > MAX_CALLS) throw new Error(`GemmPool: ${calls.length} calls for one worker (at most ${MAX_CALLS})`);
      this.control[base + COUNT] = calls.length;
      calls.forEach((call, c) => this.control.set(call, base + HEADER + c * ARGS));
      Atomics.store(this.control, base + SEQ, seq);
      Atomics.notify(this.control, base + SEQ);
    }
    for (const call of shares[0]) gemm(...call);
    const until = performance.now() + CALLER_SPIN_MS;
    for (let i = 0; i < used; i++) {
      const at = i * SLOT + DONE;
      while (Atomics.load(this.control, at) !== seq && performance.now() < until);
      for (;;) {
        const done = Atomics.load(this.control, at);
        if (done === seq) break;
        Atomics.wait(this.control, at, done, 1000);
        if (this.failed) throw new Error("trax-ts: a matrix product worker thread stopped");
      }
    }
  }

  /** Stops the workers. */
  terminate(): void {
    for (let i = 0; i < this.workers.length; i++) {
      Atomics.store(this.control, i * SLOT + SEQ, -1);
      Atomics.notify(this.control, i * SLOT + SEQ);
    }
    this.workers.forEach((w) => void w.terminate());
  }
}
