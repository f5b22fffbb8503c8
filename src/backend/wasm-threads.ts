/**
 * Multithreaded wasm in Node: tfjs-backend-wasm's threaded SIMD build (XNNPACK
 * on a pthread pool), which tfjs itself enables only in browsers (its pthread
 * worker comes from a `blob:` URL, which Node's `Worker` refuses; tensorflow/tfjs
 * issue 3830). Here the Emscripten module gets file paths instead: its
 * `.wasm`, its main script, and a worker file ({@link WORKER_FILE}).
 *
 * The threaded build's workers start asynchronously (about 2 s and 130 MB on
 * a 2-core machine), while a script must compute right after import. So wasm
 * always starts synchronously on one thread (wasm-sync.ts), and
 * {@link upgradeWasmToThreads} (called where a caller waits anyway:
 * `await trax.backend.ready()`, `Loop.run`, the kernel's and the REPL's start)
 * starts the threaded build beside it and then makes it tfjs's `wasm` backend.
 * Tensors made before the switch stay valid: tfjs moves a tensor's data from
 * the backend that holds it to the one in use on first use (`engine.moveData`),
 * so the single-threaded instance stays alive, outside tfjs's registry, until
 * its last tensor has moved or been disposed.
 *
 * The thread count is `TRAX_THREADS` (default: the number of cores, at most
 * {@link MAX_THREADS}, on machines with at least {@link MIN_CORES_FOR_THREADS}
 * cores; else 1); 1 keeps the single-threaded build for good. trax-ts's
 * products use that many threads; tfjs-wasm's own kernels (XNNPACK:
 * convolutions, element-wise ops) use `TRAX_TFJS_THREADS`
 * ({@link requestedTfjsThreads}, default the same).
 * @module
 */
import os = require("node:os");
import * as path from "node:path";
import { existsSync } from "node:fs";
import { tf } from "./tf";
import { createWasmBackendSync } from "./wasm-sync";
import { withoutNewProcessHandlers } from "./process-handlers";
import { setSimdProductThreads, stopSimdWorkers } from "./simd/wasm-matmul";
import { precompileSimdKernels } from "./simd/precompile";

/** The most threads the threaded build runs (its preallocated worker pool). */
export const MAX_THREADS = 8;

/** Emscripten's pthread worker for Node (next to this file in src/ and dist/). */
const WORKER_FILE = path.join(__dirname, "wasm-threads-worker.cjs");

/**
 * The cores this process may use (`os.availableParallelism()`, which honours
 * CPU affinity, where Node has it; else the count of `os.cpus()`).
 *
 * @example
 * ```ts
 * availableCores(); // 2 on a 2-core machine
 * ```
 */
export function availableCores(): number {
  const parallelism = (os as { availableParallelism?: () => number }).availableParallelism;
  return Math.max(1, typeof parallelism === "function" ? parallelism() : os.cpus().length);
}

/**
 * The fewest cores on which threads are the default. On the 2-core machine
 * trax-ts is measured on (shared with other jobs), a second thread made the
 * MLP training step slower (1.02x-1.57x of one thread's time over four runs
 * of `bench/threads.bench.ts`) and a large product 0.75x-1.07x, while the
 * workers cost about 2 s and 130 MB to start: with fewer cores than this,
 * one thread stays the default (`TRAX_THREADS` still asks for more).
 */
export const MIN_CORES_FOR_THREADS = 4;

/**
 * The thread count asked for: `TRAX_THREADS` when set (a positive integer),
 * else the number of cores where there are at least
 * {@link MIN_CORES_FOR_THREADS} of them, else 1; at most {@link MAX_THREADS}.
 *
 * @example
 * ```ts
 * requestedThreads({ TRAX_THREADS: "2" }); // 2
 * requestedThreads({}, 6); // 6: the cores
 * requestedThreads({}, 2); // 1: too few cores for threads to pay
 * ```
 */
export function requestedThreads(env: NodeJS.ProcessEnv = process.env, cores: number = availableCores()): number {
  const raw = env.TRAX_THREADS;
  if (raw !== undefined && raw.trim() !== "") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`trax-ts: TRAX_THREADS must be a positive integer; got '${raw}'`);
    return Math.min(n, MAX_THREADS);
  }
  return cores >= MIN_CORES_FOR_THREADS ? Math.min(cores, MAX_THREADS) : 1;
}

/**
 * Threads for tfjs-wasm's own kernels (XNNPACK's pool: convolutions,
 * pooling; element-wise arithmetic and softmax are trax-ts's own, on the
 * calling thread) on the threaded build of `threads` threads:
 * `TRAX_TFJS_THREADS` when set (a positive integer; at most `threads`), else
 * `threads`. trax-ts's products run on `threads` either way.
 *
 * XNNPACK's pool threads spin for a while after each op they share, on the
 * cores trax-ts's product workers need: on the 2-core machine trax-ts is
 * measured on, with both on two threads a product inside a training step
 * took as long as on one thread (alone it takes 0.55-0.6 of the time), and
 * the MLP step 1.12-1.3 of one thread's time; with `TRAX_TFJS_THREADS=1`,
 * 0.92-0.95 (the Transformer block step 0.87), while a 3x3 convolution's
 * forward, which XNNPACK runs, took 1.75x as long as on its two threads.
 * (Measured before trax-ts took over the element-wise kernels, which had
 * woken the pool several times a step.)
 *
 * @example
 * ```ts
 * requestedTfjsThreads(4, { TRAX_TFJS_THREADS: "1" }); // 1
 * requestedTfjsThreads(4, {}); // 4
 * ```
 */
export function requestedTfjsThreads(threads: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TRAX_TFJS_THREADS;
  if (raw === undefined || raw.trim() === "") return threads;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`trax-ts: TRAX_TFJS_THREADS must be a positive integer; got '${raw}'`);
  return Math.min(n, threads);
}

interface WasmModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  PThread?: { runningWorkers: { unref?: () => void }[]; unusedWorkers?: { terminate?: () => void }[] };
  tfjs?: Record<string, unknown>;
}

/** The parts of tfjs's engine the switch touches. */
interface EngineInternals {
  registry: Record<string, tf.KernelBackend | undefined>;
  backendName: string;
}

type WasmPackage = { BackendWasm: new (m: unknown) => unknown; setThreadsCount: (n: number) => void; getThreadsCount: () => number };

/** Where the threaded build stands in this process. */
type ThreadedState =
  | { phase: "idle" }
  | { phase: "starting"; threads: number; done: Promise<void> }
  | { phase: "running"; threads: number; tfjsThreads: number; backend: tf.KernelBackend }
  | { phase: "failed"; threads: number; reason: string }
  | { phase: "interrupted" };

let state: ThreadedState = { phase: "idle" };

/** Loads what the threaded build needs; throws why it cannot. */
function locateThreadedBuild(): { dir: string; mainScript: string; wasmPkg: WasmPackage } {
  let pkgDir: string;
  let wasmPkg: WasmPackage;
  try {
    pkgDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
    wasmPkg = require("@tensorflow/tfjs-backend-wasm");
  } catch (e) {
    throw new Error(`@tensorflow/tfjs-backend-wasm is not loadable: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const dir = path.join(pkgDir, "wasm-out");
  const mainScript = path.join(dir, "tfjs-backend-wasm-threaded-simd.js");
  for (const f of [mainScript, path.join(dir, "tfjs-backend-wasm-threaded-simd.wasm"), WORKER_FILE]) {
    if (!existsSync(f)) throw new Error(`the threaded wasm build is incomplete: ${f} is missing`);
  }
  if (typeof SharedArrayBuffer === "undefined") throw new Error("this Node has no SharedArrayBuffer");
  return { dir, mainScript, wasmPkg };
}

/** Starts the threaded SIMD build on `threads` threads, as a backend instance outside tfjs's registry; rejects when it cannot. */
async function startThreaded(threads: number): Promise<{ backend: tf.KernelBackend; threads: number; tfjsThreads: number }> {
  const tfjsThreads = requestedTfjsThreads(threads);
  const { dir, mainScript, wasmPkg } = locateThreadedBuild();
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
  wasmPkg.setThreadsCount(tfjsThreads);
  const backend = new wasmPkg.BackendWasm(mod) as tf.KernelBackend;
  const running = wasmPkg.getThreadsCount();
  // trax-ts's products share the heap with workers of their own, however many threads XNNPACK
  // has (as many as it got, should its pool have started fewer than asked).
  const productThreads = running === tfjsThreads ? threads : running;
  setSimdProductThreads(backend, productThreads);
  // The pool's threads run for the life of the process without holding it open;
  // the build preallocates 8 workers: those the pool did not take are let go.
  const pthreads = mod.PThread;
  if (pthreads) {
    for (const w of pthreads.runningWorkers) w.unref?.();
    for (const w of pthreads.unusedWorkers ?? []) w.terminate?.();
    if (pthreads.unusedWorkers) pthreads.unusedWorkers = [];
  }
  return { backend, threads: productThreads, tfjsThreads: running };
}

/**
 * Makes `threaded` tfjs's `wasm` backend. The single-threaded instance is
 * taken out of the registry without being disposed: tensors it holds move to
 * the threaded one on first use (tfjs's `moveData`), and it is collected once
 * none is left. tfjs's wasm kernels bind the module they call in their setup
 * functions, which `tf.setBackend` runs again for the new instance.
 */
async function switchTo(threaded: tf.KernelBackend): Promise<void> {
  const engine = tf.engine() as unknown as EngineInternals;
  engine.registry.wasm = threaded;
  if (engine.backendName === "wasm") await tf.setBackend("wasm");
}

/**
 * Starts the threaded wasm build on `threads` threads (once per process) and
 * switches tfjs's `wasm` backend to it; resolves when that is done or has
 * failed (then wasm stays on one thread and {@link threadedWasmFailure} says
 * why). Does nothing for `threads` 1, or when another backend than wasm runs
 * and wasm was never started. Tensors made before keep their values.
 *
 * @example
 * ```ts
 * await upgradeWasmToThreads(2);
 * wasmThreads(); // 2 (or 1, with threadedWasmFailure() saying why)
 * ```
 */
export function upgradeWasmToThreads(threads: number): Promise<void> {
  if (state.phase === "starting") return state.done;
  if ((state.phase !== "idle" && state.phase !== "interrupted") || threads <= 1) return Promise.resolve();
  const engine = tf.engine() as unknown as EngineInternals;
  if (!engine.registry.wasm) return Promise.resolve();
  const done = withoutNewProcessHandlers(() => startThreaded(threads)).then(
    async (started) => {
      state = { phase: "running", threads: started.threads, tfjsThreads: started.tfjsThreads, backend: started.backend };
      precompileSimdKernels(true); // for the shared heap, optimized in the background by the first product
      await switchTo(started.backend);
    },
    (e: unknown) => {
      state = { phase: "failed", threads, reason: `the threaded wasm build failed to start: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
    }
  );
  state = { phase: "starting", threads, done };
  return done;
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
  return state.phase === "failed" ? state.reason : null;
}

/**
 * Threads tfjs's `wasm` backend computes on now: the threaded build's count
 * once {@link upgradeWasmToThreads} has switched to it, else 1.
 *
 * @example
 * ```ts
 * wasmThreads(); // 1 right after import; 2 after `await trax.backend.ready()` on 2 cores
 * ```
 */
export function wasmThreads(): number {
  return runningThreaded()?.threads ?? 1;
}

/** The threaded build's running state while it is tfjs's `wasm` backend, else null. */
function runningThreaded(): Extract<ThreadedState, { phase: "running" }> | null {
  if (state.phase !== "running") return null;
  const engine = tf.engine() as unknown as EngineInternals;
  return engine.registry.wasm === state.backend ? state : null;
}

/**
 * Threads tfjs-wasm's own kernels (XNNPACK) compute on now: the threaded
 * build's `TRAX_TFJS_THREADS` (default: its thread count) once
 * {@link upgradeWasmToThreads} has switched to it, else 1.
 *
 * @example
 * ```ts
 * wasmTfjsThreads(); // 1 with TRAX_THREADS=2 TRAX_TFJS_THREADS=1, after `await trax.backend.ready()`
 * ```
 */
export function wasmTfjsThreads(): number {
  return runningThreaded()?.tfjsThreads ?? 1;
}

/**
 * Why wasm computes on fewer threads than `asked` now, or null when it does
 * not: the threaded build not started yet, starting, or failed.
 *
 * @example
 * ```ts
 * wasmThreadsNote(2); // "1 thread until ... starts the threaded build (2 threads)" right after import
 * ```
 */
export function wasmThreadsNote(asked: number): string | null {
  if (asked <= 1) return null;
  switch (state.phase) {
    case "idle":
      return `1 thread until the first \`await trax.backend.ready()\` (or Loop.run, the kernel's or the REPL's start) starts the threaded build (${asked} threads)`;
    case "interrupted":
      return `1 thread since Ctrl-C stopped a computation on the threaded build (its pool cannot be trusted after that); the next \`await trax.backend.ready()\` (or Loop.run) starts it again (${asked} threads)`;
    case "starting":
      return `1 thread while the threaded build (${asked} threads) starts`;
    case "failed":
      return `running on 1 thread: ${state.reason}`;
    case "running": {
      const now = wasmThreads();
      return now < asked ? `running on ${now} of the ${asked} threads asked for` : null;
    }
  }
}

/** The parts of tfjs's `BackendWasm` that {@link quarantine} touches. */
interface WasmInstance {
  wasm: { PThread?: { runningWorkers: PoolWorker[]; unusedWorkers?: PoolWorker[] } } | null;
  dataIdMap: { has(id: object): boolean; get(id: object): { refCount: number }; delete(id: object): void };
  disposeData(dataId: object, force?: boolean): boolean;
}

/** A pthread of the pool: a Node `Worker` as Emscripten keeps it. */
interface PoolWorker {
  onmessage?: unknown;
  removeAllListeners?: (event?: string) => void;
  terminate?: () => unknown;
}

/**
 * Cuts an instance of the threaded build off from its module, whose locks an
 * interrupted call may hold (so any call into it could wait for ever): its
 * workers are stopped and their pending messages dropped, and disposing data
 * forgets it without calling the module. Reading stays possible (a copy out
 * of the heap), so its tensors still move to the backend in use on first use.
 */
function quarantine(instance: WasmInstance): void {
  stopSimdWorkers(instance);
  const pthreads = instance.wasm?.PThread;
  for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) {
    w.removeAllListeners?.("message");
    w.onmessage = () => undefined;
    void Promise.resolve(w.terminate?.()).catch(() => undefined);
  }
  instance.disposeData = function (dataId: object, force = false): boolean {
    if (this.dataIdMap.has(dataId)) {
      const data = this.dataIdMap.get(dataId);
      data.refCount--;
      if (!force && data.refCount > 0) return false;
      this.dataIdMap.delete(dataId);
    }
    return true;
  };
}

/**
 * Call after synchronous code was stopped from outside (V8's
 * `breakOnSigint`, as the REPL's Ctrl-C does): a call into the threaded wasm
 * build stopped half way may leave its thread pool locked, and the next
 * product would then wait for ever. When the threaded build is tfjs's `wasm`
 * backend, it is replaced by a fresh single-threaded instance (tensors keep
 * their values and move over on first use) and returns true; the next
 * {@link upgradeWasmToThreads} starts a new threaded build. Otherwise does
 * nothing and returns false (the single-threaded build has no pool).
 *
 * @example
 * ```ts
 * try { runWithBreakOnSigint(); } catch { recoverFromInterrupt(); } // true on threads
 * ```
 */
export function recoverFromInterrupt(): boolean {
  if (state.phase !== "running") return false;
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.registry.wasm !== state.backend) return false;
  quarantine(state.backend as unknown as WasmInstance);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  (require("@tensorflow/tfjs-backend-wasm") as WasmPackage).setThreadsCount(1);
  engine.registry.wasm = createWasmBackendSync() as tf.KernelBackend;
  state = { phase: "interrupted" };
  // With the instance in the registry, setBackend swaps it in and rebinds the kernels before returning.
  if (engine.backendName === "wasm") void tf.setBackend("wasm");
  return true;
}
