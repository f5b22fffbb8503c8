/**
 * The tensor engine: which TensorFlow.js backend runs trax-ts, and how to pick it.
 *
 * Backends are tried in the order `tensorflow` (from `@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`), `wasm`, `cpu`. The `TRAX_BACKEND` environment
 * variable forces one (`node-gpu`, `node`, `wasm` or `cpu`).
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

export { tf };
export { wasmSyncFallbackReason } from "./wasm-sync";

// In Node the wasm backend starts synchronously: a script computes without awaiting ready().
useSynchronousWasm();

/** The backend names a user can ask for, in the order trax-ts tries them. */
export type BackendName = "node-gpu" | "node" | "wasm" | "cpu";

/**
 * The order in which backends are tried when none is forced.
 *
 * @example
 * ```ts
 * trax.backend.BACKEND_ORDER; // ["node-gpu", "node", "wasm", "cpu"]
 * ```
 */
export const BACKEND_ORDER: readonly BackendName[] = ["node-gpu", "node", "wasm", "cpu"];

const PACKAGES: Record<BackendName, string | null> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  node: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: null,
};

/** The tfjs backend name each choice registers. */
const TFJS_NAME: Record<BackendName, string> = {
  "node-gpu": "tensorflow",
  node: "tensorflow",
  wasm: "wasm",
  cpu: "cpu",
};

/** What runs trax-ts now, as reported by {@link info}. */
export interface BackendInfo {
  /** The trax-ts backend choice (`node-gpu`, `node`, `wasm`, `cpu`). */
  backend: BackendName;
  /** The tfjs backend name (`tensorflow`, `wasm`, `cpu`). */
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
        (pkg ? ` Install it with: npm install ${pkg}@${tf.version_core}` : "")
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

function devicesOf(backend: BackendName): string[] {
  if (backend === "node-gpu") return gpuPresent() ? ["gpu:0", "cpu:0"] : ["cpu:0"];
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

function record(backend: BackendName, skipped: BackendInfo["skipped"], forced: boolean): BackendInfo {
  current = {
    backend,
    tfjsBackend: tf.getBackend(),
    package: PACKAGES[backend],
    devices: devicesOf(backend),
    tfjsVersion: tf.version_core,
    skipped,
    forced,
  };
  return current;
}

async function activate(backend: BackendName, skipped: BackendInfo["skipped"], forced: boolean): Promise<BackendInfo> {
  const started = withoutRuntimeHandlers(() => tf.setBackend(TFJS_NAME[backend]));
  // A synchronous backend (cpu, tfjs-node, wasm in Node) is in place already: info() says so at once.
  if (!enginePending() && tf.getBackend() === TFJS_NAME[backend]) record(backend, skipped, forced);
  const ok = await started;
  if (!ok) throw new BackendUnavailableError(backend, "tfjs could not initialize it");
  await tf.ready();
  return record(backend, skipped, forced);
}

/** Whether tfjs is still initializing an asynchronous backend. */
function enginePending(): boolean {
  return (tf.engine() as unknown as { pendingBackendInit?: unknown }).pendingBackendInit != null;
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
  if (forcedName) {
    const backend = normalize(forcedName);
    const why = loadPackage(backend);
    if (why) throw new BackendUnavailableError(backend, why);
    return activate(backend, [], true);
  }
  const skipped: BackendInfo["skipped"] = [];
  for (const backend of BACKEND_ORDER) {
    const why = loadPackage(backend);
    if (why) {
      skipped.push({ backend, reason: why });
      continue;
    }
    try {
      return await activate(backend, skipped, false);
    } catch (e) {
      skipped.push({ backend, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error("trax-ts: no backend could be started: " + JSON.stringify(skipped));
}

/**
 * Starts the engine (once) and resolves when it can compute.
 *
 * Called automatically when trax-ts is imported. In Node the backends trax-ts
 * picks (tfjs-node, wasm, cpu) start synchronously during that import, so a
 * script may compute at once; awaiting this is only needed after switching to
 * a backend that starts asynchronously, or to learn what runs.
 *
 * @example
 * ```ts
 * const info = await trax.backend.ready(); // info.backend === "wasm" here
 * ```
 */
export function ready(): Promise<BackendInfo> {
  if (current && !pending) return Promise.resolve(current);
  if (!pending) {
    pending = choose(process.env.TRAX_BACKEND || undefined).finally(() => {
      pending = null;
    });
  }
  return pending;
}

/**
 * Switches to another backend (`node-gpu`, `node`, `wasm`, `cpu`).
 * Fails with a message naming the package to install when it is missing.
 *
 * @example
 * ```ts
 * await trax.backend.setBackend("cpu");
 * ```
 */
export async function setBackend(name: BackendName | string): Promise<BackendInfo> {
  if (pending) await pending.catch(() => undefined);
  pending = choose(name).finally(() => {
    pending = null;
  });
  return pending;
}

/**
 * Says which backend runs and on which devices.
 *
 * @example
 * ```ts
 * trax.backend.info().backend; // e.g. "wasm" (the backend in use)
 * ```
 */
export function info(): BackendInfo {
  if (current) return { ...current, tfjsBackend: tf.getBackend() ?? current.tfjsBackend };
  const name = tf.getBackend();
  return {
    backend: (name === "tensorflow" ? "node" : (name as BackendName)) ?? "cpu",
    tfjsBackend: name,
    package: null,
    devices: ["cpu:0"],
    tfjsVersion: tf.version_core,
    skipped: [],
    forced: false,
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
 *
 * @example
 * ```ts
 * trax.backend.prefersExplicitTranspose(); // true on wasm
 * ```
 */
export function prefersExplicitTranspose(): boolean {
  return tf.getBackend() === "wasm";
}
