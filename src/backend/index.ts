/**
 * The tensor engine: which TensorFlow.js backend runs trax-ts, and how to pick it.
 *
 * Backends are tried in the order `tensorflow` (from `@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`), `webgpu` (from `@tensorflow/tfjs-backend-webgpu`
 * on the `webgpu` package's Dawn; hardware adapters only), `wasm`, `cpu`. The
 * `TRAX_BACKEND` environment variable forces one (`node-gpu`, `node`, `webgpu`,
 * `wasm` or `cpu`); a forced `webgpu` also runs on a software adapter (lavapipe).
 *
 * @example
 * ```ts
 * import * as trax from "trax-ts";
 * await trax.backend.ready();
 * console.log(trax.backend.info()); // { backend: "wasm", ... }
 * ```
 * @module
 */
import { assertBackendAlive } from "./engine-health";
export { BackendLostError, backendLost, assertFitsInBackend } from "./engine-health";
import { tf } from "./tf";
import { useSynchronousWasm } from "./wasm-sync";
import { simdMatMul } from "./simd/wasm-matmul";
import { forgetWebgpu, knownWebgpuVerdict, probeWebgpu, registerWebgpu, webgpuFailure, webgpuHint, type AdapterReport } from "./webgpu";
import { requestedTfjsThreads, requestedThreads, upgradeWasmToThreads, wasmTfjsThreads, wasmThreads, wasmThreadsNote } from "./wasm-threads";

export { tf };
export { wasmSyncFallbackReason } from "./wasm-sync";
export { requestedThreads, requestedTfjsThreads, availableCores, recoverFromInterrupt, MAX_THREADS, MIN_CORES_FOR_THREADS } from "./wasm-threads";
export { captureNesting, restoreNesting, type NestingSnapshot } from "./nesting";
export type { AdapterReport } from "./webgpu";
export { classifyAdapter, mayHaveGpu, type AdapterDescription, type AdapterKind } from "./adapter-kind";
export { backendHint } from "./errors";

// In Node wasm starts synchronously on one thread: a script computes without awaiting
// ready(). The threaded build (TRAX_THREADS, default: the cores) starts its workers
// asynchronously; ready() switches to it (see wasm-threads.ts).
useSynchronousWasm();

/** The backend names a user can ask for, in the order trax-ts tries them. */
export type BackendName = "node-gpu" | "node" | "webgpu" | "wasm" | "cpu";

/**
 * The order in which backends are tried when none is forced.
 *
 * @example
 * ```ts
 * trax.backend.BACKEND_ORDER; // ["node-gpu", "node", "webgpu", "wasm", "cpu"]
 * ```
 */
export const BACKEND_ORDER: readonly BackendName[] = ["node-gpu", "node", "webgpu", "wasm", "cpu"];

const PACKAGES: Record<BackendName, string | null> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  node: "@tensorflow/tfjs-node",
  webgpu: "@tensorflow/tfjs-backend-webgpu",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: null,
};

/** The tfjs backend name each choice registers. */
const TFJS_NAME: Record<BackendName, string> = {
  "node-gpu": "tensorflow",
  node: "tensorflow",
  webgpu: "webgpu",
  wasm: "wasm",
  cpu: "cpu",
};

/** What runs trax-ts now, as reported by {@link info}. */
export interface BackendInfo {
  /** The trax-ts backend choice (`node-gpu`, `node`, `webgpu`, `wasm`, `cpu`). */
  backend: BackendName;
  /** The tfjs backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsBackend: string;
  /** The package that provides it, or `null` for the built-in cpu backend. */
  package: string | null;
  /** Devices the backend computes on (for example `["cpu"]` or `["gpu:0"]`). */
  devices: string[];
  /** The tfjs version. */
  tfjsVersion: string;
  /** Why earlier backends in the order were skipped. */
  skipped: { backend: BackendName; reason: string }[];
  /** Whether the choice was forced by `TRAX_BACKEND` or {@link setBackend}. */
  forced: boolean;
  /**
   * The WebGPU adapter (vendor, architecture, description, hardware or
   * software) when webgpu runs or was looked at and skipped; absent otherwise.
   */
  adapter?: AdapterReport;
  /** Why the webgpu device stopped working (lost, GPU error), when it did. */
  deviceFailure?: string;
  /**
   * Threads the backend computes on now: on wasm, 1 from import until the
   * first `await ready()` (or `Loop.run`, the kernel's or the REPL's start)
   * switches to tfjs's threaded SIMD build on `TRAX_THREADS` threads
   * (default: the cores, at most 8, on machines with at least 4 cores;
   * else 1); 1 on the other backends.
   */
  threads: number;
  /** Why fewer threads run than were asked for (wasm): not switched yet, starting, or the threaded build failed. */
  threadsNote?: string;
  /**
   * Wasm only: threads tfjs-wasm's own kernels (XNNPACK: convolutions,
   * pooling) compute on now; `TRAX_TFJS_THREADS` sets it (default:
   * `threads`), while trax-ts's products use `threads`.
   */
  tfjsThreads?: number;
  /**
   * Wasm only: whether matrix products run trax-ts's SIMD kernels
   * (`src/backend/simd/`: transposed and batched operands at full speed, no
   * repacking, worker threads on the threaded build) rather than
   * tfjs-wasm's own; `TRAX_SIMD=0` turns them off.
   */
  simdProducts?: boolean;
  /**
   * Wasm only: whether those products use fused multiply-adds (relaxed
   * SIMD; about 1.3x the speed); `TRAX_FMA=0` turns them off.
   */
  fusedMultiplyAdd?: boolean;
}

/**
 * Thrown when a forced backend cannot be loaded.
 *
 * @example
 * ```ts
 * try {
 *   await trax.backend.setBackend("node-gpu");
 * } catch (e) {
 *   if (e instanceof trax.backend.BackendUnavailableError) console.log(e.message); // why it could not load
 * }
 * ```
 */
export class BackendUnavailableError extends Error {
  constructor(backend: BackendName, reason: string) {
    const pkg = PACKAGES[backend];
    super(
      `trax-ts: backend '${backend}' is not available (${reason}).` +
        (backend === "webgpu" ? ` ${webgpuHint(reason)}` : pkg ? ` Install it with: npm install ${pkg}@${tf.version_core}` : "")
    );
    this.name = "BackendUnavailableError";
  }
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

function normalize(name: string): BackendName {
  const n = name.trim().toLowerCase();
  const aliases: Record<string, BackendName> = {
    "node-gpu": "node-gpu", gpu: "node-gpu", "tfjs-node-gpu": "node-gpu",
    node: "node", tensorflow: "node", "tfjs-node": "node",
    webgpu: "webgpu", "tfjs-backend-webgpu": "webgpu",
    wasm: "wasm", cpu: "cpu",
  };
  const found = aliases[n];
  if (!found) {
    throw new Error(`trax-ts: unknown backend '${name}'; choose one of ${BACKEND_ORDER.join(", ")}`);
  }
  return found;
}

/** Loads the package behind a backend; returns why it cannot, or null on success. */
function loadPackage(backend: BackendName): string | null {
  const pkg = PACKAGES[backend];
  if (pkg === null) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require(pkg);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return /Cannot find module/.test(msg) ? `${pkg} is not installed` : `${pkg} failed to load: ${msg}`;
  }
  if (backend === "node-gpu" && !gpuPresent()) return "no CUDA GPU is visible to TensorFlow";
  return null;
}

function gpuPresent(): boolean {
  // tfjs-node-gpu falls back to the CPU silently when CUDA is missing; ask TF which devices it sees.
  try {
    const b = tf.findBackend("tensorflow") as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
    const using = b?.binding?.isUsingGpuDevice;
    return typeof using === "function" ? using() : true;
  } catch {
    return true;
  }
}

function devicesOf(backend: BackendName, adapter?: AdapterReport): string[] {
  if (backend === "node-gpu") return gpuPresent() ? ["gpu:0", "cpu:0"] : ["cpu:0"];
  if (backend === "webgpu") return [adapter?.kind === "hardware" ? "gpu:0" : "cpu:0 (software adapter)"];
  return ["cpu:0"];
}

type Listener = (...args: unknown[]) => void;
const PROCESS_EVENTS = ["uncaughtException", "unhandledRejection"] as const;

/**
 * The wasm backend's Emscripten runtime installs process handlers that rethrow
 * every uncaught error and unhandled rejection, printing its minified source
 * instead of the error. Runs `f`, then removes handlers it added.
 */
async function withoutRuntimeHandlers<T>(f: () => Promise<T>): Promise<T> {
  const before = PROCESS_EVENTS.map((e) => new Set(process.listeners(e as "exit") as unknown as Listener[]));
  try {
    return await f();
  } finally {
    PROCESS_EVENTS.forEach((e, i) => {
      for (const l of process.listeners(e as "exit") as unknown as Listener[]) if (!before[i].has(l)) process.removeListener(e as "exit", l);
    });
  }
}

/** The thread fields of {@link BackendInfo}, as they stand now. */
function threadFields(backend: BackendName): Pick<BackendInfo, "threads" | "threadsNote" | "tfjsThreads" | "simdProducts" | "fusedMultiplyAdd"> {
  if (backend !== "wasm") return { threads: 1 };
  let asked = 1;
  try {
    asked = requestedThreads();
  } catch {
    /* a bad TRAX_THREADS is reported by ready(); here it asks for nothing */
  }
  const note = wasmThreadsNote(asked);
  return {
    threads: wasmThreads(), ...(note ? { threadsNote: note } : {}), tfjsThreads: wasmTfjsThreads(),
    simdProducts: simdMatMul.enabled, fusedMultiplyAdd: simdMatMul.enabled && simdMatMul.fma,
  };
}

/** Switches wasm to its threaded build when wasm runs and more than one thread is asked for. */
async function useThreadsOnWasm(): Promise<void> {
  if (current?.backend === "wasm" && tf.getBackend() === "wasm") await upgradeWasmToThreads(requestedThreads());
}

function record(backend: BackendName, skipped: BackendInfo["skipped"], forced: boolean, adapter?: AdapterReport): BackendInfo {
  current = {
    backend,
    tfjsBackend: tf.getBackend(),
    package: PACKAGES[backend],
    devices: devicesOf(backend, adapter),
    tfjsVersion: tf.version_core,
    skipped,
    forced,
    ...(adapter ? { adapter } : {}),
    ...threadFields(backend),
  };
  return current;
}

async function activate(backend: BackendName, skipped: BackendInfo["skipped"], forced: boolean, adapter?: AdapterReport): Promise<BackendInfo> {
  if (backend === "webgpu") adapter = await registerWebgpu();
  const started = withoutRuntimeHandlers(() => tf.setBackend(TFJS_NAME[backend]));
  // A synchronous backend (cpu, tfjs-node, wasm in Node) is in place already: info() says so at once.
  if (!enginePending() && tf.getBackend() === TFJS_NAME[backend]) record(backend, skipped, forced, adapter);
  const ok = await started;
  if (!ok) {
    if (backend === "webgpu") forgetWebgpu();
    throw new BackendUnavailableError(backend, "tfjs could not initialize it" + (adapter ? ` on the adapter '${adapter.description}'` : ""));
  }
  await tf.ready();
  return record(backend, skipped, forced, adapter);
}

/** Whether tfjs is still initializing an asynchronous backend. */
function enginePending(): boolean {
  return (tf.engine() as unknown as { pendingBackendInit?: unknown }).pendingBackendInit != null;
}

/** Whether webgpu can run: null when it can (with the adapter), else why not. */
async function webgpuAvailability(forced: boolean): Promise<{ why: string | null; adapter?: AdapterReport }> {
  const probe = await probeWebgpu(forced);
  return probe.ok ? { why: null, adapter: probe.adapter } : { why: probe.reason, adapter: probe.adapter };
}

/** The cpu backend greets Node users with an install hint on first use; info() says it better. */
function silenceCpuBanner(): void {
  try {
    const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
    if (cpu) cpu.firstUse = false;
  } catch {
    /* not fatal */
  }
}

async function choose(forcedName?: string): Promise<BackendInfo> {
  silenceCpuBanner();
  requestedTfjsThreads(requestedThreads()); // a bad TRAX_THREADS or TRAX_TFJS_THREADS is an error, not a reason to skip wasm
  if (forcedName) {
    const backend = normalize(forcedName);
    if (backend === "webgpu") {
      const { why, adapter } = await webgpuAvailability(true);
      if (why) throw new BackendUnavailableError(backend, why);
      return activate(backend, [], true, adapter);
    }
    const why = loadPackage(backend);
    if (why) throw new BackendUnavailableError(backend, why);
    return activate(backend, [], true);
  }
  const skipped: BackendInfo["skipped"] = [];
  let seenAdapter: AdapterReport | undefined;
  for (const backend of BACKEND_ORDER) {
    let why: string | null;
    if (backend === "webgpu") {
      // Without a GPU this is known at once: no await, so wasm still starts synchronously.
      const known = knownWebgpuVerdict(false);
      const found = known ? { why: known.ok ? null : known.reason, adapter: known.adapter } : await webgpuAvailability(false);
      why = found.why;
      seenAdapter = found.adapter;
    } else {
      why = loadPackage(backend);
    }
    if (why) {
      skipped.push({ backend, reason: why });
      continue;
    }
    try {
      const info = await activate(backend, skipped, false, backend === "webgpu" ? seenAdapter : undefined);
      if (seenAdapter && !info.adapter) current = { ...info, adapter: seenAdapter };
      return current as BackendInfo;
    } catch (e) {
      skipped.push({ backend, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error("trax-ts: no backend could be started: " + JSON.stringify(skipped));
}

/**
 * Options of {@link ready}.
 *
 * @example
 * ```ts
 * await trax.backend.ready({ threads: false }); // what runs, without starting wasm's threads
 * ```
 */
export interface ReadyOptions {
  /**
   * On wasm, switch to the threaded build first (default true; it starts
   * once per process, in about 2 s). `false` only reports what runs.
   */
  threads?: boolean;
}

/** Chooses the backend once (or waits for the choice under way). */
function chosen(): Promise<BackendInfo> {
  if (current && !pending) return Promise.resolve(current);
  if (!pending) {
    pending = choose(process.env.TRAX_BACKEND || undefined).finally(() => {
      pending = null;
    });
  }
  return pending;
}

/**
 * Starts the engine (once) and resolves when it can compute, on every thread
 * it will use.
 *
 * trax-ts calls it (with `threads: false`) when imported: in Node the backends
 * trax-ts picks (tfjs-node, wasm, cpu) start synchronously during that import,
 * so a script may compute at once, on one wasm thread. Awaiting `ready()`
 * then switches wasm to its threaded build (`TRAX_THREADS` threads, default
 * the cores where there are at least 4; tensors made before keep their values and move over on first
 * use), and is needed after switching to a backend that starts asynchronously
 * (webgpu). `Loop.run`, the kernel and the REPL await it for you.
 *
 * @example
 * ```ts
 * const info = await trax.backend.ready(); // info.backend === "wasm", info.threads === the cores here
 * ```
 */
export function ready(options: ReadyOptions = {}): Promise<BackendInfo> {
  const base = chosen();
  if (options.threads === false) return base;
  return base.then(async () => {
    await useThreadsOnWasm();
    return info();
  });
}

/**
 * Switches to another backend (`node-gpu`, `node`, `webgpu`, `wasm`, `cpu`).
 * Fails with a message naming the package to install when it is missing (or,
 * for webgpu, the driver when no adapter is found); the backend in use then
 * stays as it was. Tensors (a layer's weights) made on one backend keep
 * working on the next: tfjs moves their data on first use. On wasm it
 * resolves once the threaded build runs (see {@link ready}).
 *
 * @example
 * ```ts
 * await trax.backend.setBackend("cpu");
 * ```
 */
export async function setBackend(name: BackendName | string): Promise<BackendInfo> {
  if (pending) await pending.catch(() => undefined);
  pending = choose(name)
    .then(async () => {
      await useThreadsOnWasm();
      return info();
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

/**
 * Says which backend runs, on which devices and how many threads (at the
 * moment of the call: wasm's thread count changes when {@link ready} switches
 * to the threaded build).
 *
 * @example
 * ```ts
 * trax.backend.info().backend; // e.g. "wasm" (the backend in use)
 * ```
 */
export function info(): BackendInfo {
  if (current) {
    const failure = current.backend === "webgpu" ? webgpuFailure() : null;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { threadsNote: _stale, ...rest } = current;
    return { ...rest, tfjsBackend: tf.getBackend() ?? current.tfjsBackend, ...threadFields(current.backend), ...(failure ? { deviceFailure: failure } : {}) };
  }
  const name = tf.getBackend();
  return {
    backend: (name === "tensorflow" ? "node" : (name as BackendName)) ?? "cpu",
    tfjsBackend: name,
    package: null,
    devices: ["cpu:0"],
    tfjsVersion: tf.version_core,
    skipped: [],
    forced: false,
    threads: name === "wasm" ? wasmThreads() : 1,
  };
}

/**
 * True once {@link ready} has resolved and no switch is under way.
 *
 * @example
 * ```ts
 * await trax.backend.ready();
 * trax.backend.isReady(); // true
 * ```
 */
export function isReady(): boolean {
  return current !== null && pending === null;
}

/**
 * Throws a clear error when computation starts while tfjs is still starting
 * an asynchronous backend. Layers call this before touching tensors.
 *
 * @example
 * ```ts
 * trax.backend.assertReady(); // passes once a backend computes (in Node: right after import)
 * ```
 */
export function assertReady(): void {
  assertBackendAlive();
  // A backend chosen synchronously computes at once, even while ready() is still settling.
  if (enginePending()) {
    throw new Error(
      "trax-ts: the tensor engine is still starting; run `await trax.backend.ready()` first " +
        "(the trax-ts kernel and REPL do this for you)"
    );
  }
}

/**
 * True when transposed matMul is slow on this backend, so hot paths transpose explicitly.
 * Only wasm with trax-ts's SIMD products switched off (tfjs-wasm's XNNPACK path
 * takes untransposed operands only); trax-ts's wasm products
 * (`src/backend/simd/`), GPUs (webgpu, node-gpu) and TensorFlow's CPU kernels
 * take transposed operands at full speed.
 *
 * @example
 * ```ts
 * trax.backend.prefersExplicitTranspose(); // false: wasm runs trax-ts's products
 * ```
 */
export function prefersExplicitTranspose(): boolean {
  return tf.getBackend() === "wasm" && !simdMatMul.enabled;
}

/**
 * True when small integer work (sorting LSH buckets, reading a predict-mode
 * position) is best done on the host: tensors live in host memory (wasm, cpu,
 * node). False on webgpu, where each host round trip waits for the GPU.
 *
 * @example
 * ```ts
 * trax.backend.prefersHostRoundTrips(); // true on wasm, false on webgpu
 * ```
 */
export function prefersHostRoundTrips(): boolean {
  return tf.getBackend() !== "webgpu";
}
