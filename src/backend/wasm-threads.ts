/**
 * Multithreaded wasm in Node: tfjs-backend-wasm's threaded SIMD build (XNNPACK
 * on a pthread pool), which tfjs itself enables only in browsers (its pthread
 * worker comes from a `blob:` URL, which Node's `Worker` refuses; tensorflow/tfjs
 * issue 3830). Here the Emscripten module gets file paths instead: its
 * `.wasm`, its main script, and a worker file ({@link WORKER_FILE}).
 *
 * The thread count is `TRAX_THREADS` (default: the number of cores, at most
 * 8, the pool the build preallocates); 1 keeps tfjs's single-threaded build.
 * @module
 */
import os = require("node:os");
import * as path from "node:path";
import { existsSync } from "node:fs";
import { tf } from "./tf";

/** The most threads the threaded build runs (its preallocated worker pool). */
export const MAX_THREADS = 8;

/** Emscripten's pthread worker for Node (next to this file in src/ and dist/). */
const WORKER_FILE = path.join(__dirname, "wasm-threads-worker.cjs");

/**
 * The thread count asked for: `TRAX_THREADS` when set (a positive integer),
 * else 1 (threads are opt-in: on a busy 2-core machine they bought nothing
 * and cost about 2 s of start-up); at most {@link MAX_THREADS}.
 *
 * @example
 * ```ts
 * requestedThreads({ TRAX_THREADS: "2" }); // 2
 * ```
 */
export function requestedThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TRAX_THREADS;
  if (raw !== undefined && raw.trim() !== "") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`trax-ts: TRAX_THREADS must be a positive integer; got '${raw}'`);
    return Math.min(n, MAX_THREADS);
  }
  return 1;
}

interface WasmModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  PThread?: { runningWorkers: { unref?: () => void }[]; unusedWorkers?: { terminate?: () => void }[] };
  tfjs?: Record<string, unknown>;
}

interface EngineRegistry {
  registryFactory: Record<string, { factory: () => unknown; priority: number }>;
}

/** tfjs's own wasm backend factory, put back when the threaded one cannot start. */
let singleThreaded: { factory: () => unknown; priority: number } | null = null;

/** Threads the running wasm backend uses, when {@link installThreadedWasm} made it. */
let runningThreads = 1;

/** Why the threaded build fell back to one thread, if it did. */
let fallbackReason: string | null = null;

type WasmPackage = { BackendWasm: new (m: unknown) => unknown; setThreadsCount: (n: number) => void; getThreadsCount: () => number };

/** Starts the threaded SIMD build on `threads` threads; rejects when it cannot. */
async function startThreaded(dir: string, mainScript: string, threads: number, wasmPkg: WasmPackage): Promise<tf.KernelBackend> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const factory = require(mainScript) as (config: Record<string, unknown>) => Promise<WasmModule>;
  // The build sizes its pool as half the logical cores it sees (at most 8); it sees 2 x threads.
  const cpus = os.cpus;
  const keepAlive = setInterval(() => undefined, 1000); // the pool loads while nothing else is pending
  let mod: WasmModule;
  try {
    os.cpus = () => new Array(2 * threads).fill(cpus()[0]);
    mod = await factory({
      locateFile: (file: string) => (file.endsWith(".worker.js") ? WORKER_FILE : path.join(dir, file)),
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    os.cpus = cpus;
    clearInterval(keepAlive);
  }
  mod.tfjs = {
    init: mod.cwrap("init", null, []),
    initWithThreadsCount: mod.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: mod.cwrap("get_threads_count", "number", []),
    registerTensor: mod.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: mod.cwrap("dispose_data", null, ["number"]),
    dispose: mod.cwrap("dispose", null, []),
  };
  wasmPkg.setThreadsCount(threads);
  const backend = new wasmPkg.BackendWasm(mod);
  runningThreads = wasmPkg.getThreadsCount();
  // The pool's threads run for the life of the process without holding it open;
  // the build preallocates 8 workers: those the pool did not take are let go.
  const pthreads = mod.PThread;
  if (pthreads) {
    for (const w of pthreads.runningWorkers) w.unref?.();
    for (const w of pthreads.unusedWorkers ?? []) w.terminate?.();
    if (pthreads.unusedWorkers) pthreads.unusedWorkers = [];
  }
  return backend as tf.KernelBackend;
}

/**
 * Replaces tfjs's `wasm` backend factory with one that starts the threaded
 * SIMD build on `threads` threads. Returns why it cannot (the factory is then
 * left as it was), or null. The backend starts on the next `tf.setBackend("wasm")`.
 *
 * @example
 * ```ts
 * installThreadedWasm(2); // null: tf.setBackend("wasm") now starts 2 threads
 * ```
 */
export function installThreadedWasm(threads: number): string | null {
  let pkgDir: string;
  let wasmPkg: WasmPackage;
  try {
    pkgDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
    wasmPkg = require("@tensorflow/tfjs-backend-wasm");
  } catch (e) {
    return `@tensorflow/tfjs-backend-wasm is not loadable: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  }
  const dir = path.join(pkgDir, "wasm-out");
  const mainScript = path.join(dir, "tfjs-backend-wasm-threaded-simd.js");
  for (const f of [mainScript, path.join(dir, "tfjs-backend-wasm-threaded-simd.wasm"), WORKER_FILE]) {
    if (!existsSync(f)) return `the threaded wasm build is incomplete: ${f} is missing`;
  }
  if (typeof SharedArrayBuffer === "undefined") return "this Node has no SharedArrayBuffer";
  const registry = (tf.engine() as unknown as EngineRegistry).registryFactory;
  singleThreaded = singleThreaded ?? registry.wasm ?? null;
  if (!singleThreaded) return "tfjs has no wasm backend registered";
  const priority = singleThreaded.priority;
  tf.removeBackend("wasm");
  const original = singleThreaded;
  tf.registerBackend(
    "wasm",
    async () => {
      try {
        return await startThreaded(dir, mainScript, threads, wasmPkg);
      } catch (e) {
        // One thread, from tfjs's own build; info() says why.
        fallbackReason = `the threaded wasm build failed to start: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
        runningThreads = 1;
        return (await original.factory()) as tf.KernelBackend;
      }
    },
    priority
  );
  return null;
}

/**
 * Why the threaded wasm build fell back to one thread, or null if it did not.
 *
 * @example
 * ```ts
 * threadedWasmFailure(); // null when the threads started
 * ```
 */
export function threadedWasmFailure(): string | null {
  return fallbackReason;
}

/**
 * Threads the running wasm backend computes on (1 for tfjs's own build).
 *
 * @example
 * ```ts
 * wasmThreads(); // 2 with TRAX_THREADS=2 on wasm
 * ```
 */
export function wasmThreads(): number {
  return runningThreads;
}
