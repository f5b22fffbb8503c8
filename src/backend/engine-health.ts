/**
 * When the tensor engine itself breaks: the wasm backend's heap is limited
 * (wasm32: 4 GiB), and an allocation past it traps ("memory access out of
 * bounds"), after which every operation of the process fails with
 * "Aborted()". trax-ts checks sizes before it allocates large tensors, and
 * turns such a failure into one clear error: the backend is lost, restart
 * the kernel (or the process).
 * @module
 */
import { tf } from "./tf";

/** The most a wasm32 heap can hold. */
export const WASM_MAX_HEAP_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * The engine failed and cannot recover in this process: every later tensor
 * operation fails. Restart the kernel (or the process).
 *
 * @example
 * ```ts
 * try { model(x); } catch (e) { if (e instanceof trax.backend.BackendLostError) console.log("restart the kernel"); }
 * ```
 */
export class BackendLostError extends Error {
  constructor(cause: string) {
    super(
      `trax-ts: the ${tf.getBackend()} backend is lost (${cause}); every later tensor operation in this process fails. ` +
        "Restart the kernel (or the process), then use smaller batches or models" +
        (tf.getBackend() === "wasm" ? " (the wasm heap holds at most 4 GiB)." : ".")
    );
    this.name = "BackendLostError";
  }
}

let lost: BackendLostError | null = null;

/** True for an error that means the engine itself broke (a wasm trap or abort), not a bad argument. */
export function isEngineFailure(e: unknown): boolean {
  const wasmApi = (globalThis as { WebAssembly?: { RuntimeError: new () => Error } }).WebAssembly;
  if (wasmApi !== undefined && e instanceof wasmApi.RuntimeError) return true;
  const msg = e instanceof Error ? e.message : typeof e === "string" ? e : "";
  return /^Aborted\(|memory access out of bounds/.test(msg);
}

/**
 * Records an engine failure (see {@link isEngineFailure}); returns the
 * {@link BackendLostError} to show when the backend is now lost, else null.
 *
 * @example
 * ```ts
 * noteEngineFailure(new WebAssembly.RuntimeError("memory access out of bounds")); // BackendLostError
 * ```
 */
export function noteEngineFailure(e: unknown): BackendLostError | null {
  if (lost === null && isEngineFailure(e)) {
    const what = e instanceof Error ? e.message.split("\n")[0] : String(e);
    const cause = /out of bounds/.test(what) ? `out of memory: ${what}` : /^Aborted\(/.test(what) ? "the engine aborted, most likely out of memory" : what;
    lost = new BackendLostError(cause);
  }
  return lost;
}

/**
 * The error saying the backend is lost, once it is (null while it works).
 *
 * @example
 * ```ts
 * trax.backend.backendLost(); // null
 * ```
 */
export function backendLost(): BackendLostError | null {
  return lost;
}

/** Throws the {@link BackendLostError} when the backend is lost. */
export function assertBackendAlive(): void {
  if (lost !== null) throw lost;
}

/**
 * Throws a clear error, before anything is allocated, when `nBytes` more
 * (with room for a temporary copy) would not fit in the wasm heap beside
 * the tensors already there: allocating would break the backend for good.
 * Other backends are not checked.
 *
 * @example
 * ```ts
 * assertFitsInBackend(4 * 2 ** 30, "weights of shape [32768, 32768]"); // throws on wasm
 * ```
 */
export function assertFitsInBackend(nBytes: number, what: string): void {
  if (tf.getBackend() !== "wasm") return;
  const inUse = tf.memory().numBytes;
  if (inUse + 2 * nBytes > WASM_MAX_HEAP_BYTES) {
    const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
    throw new Error(
      `trax-ts: ${what} needs ${mib(nBytes)}; with ${mib(inUse)} in use that does not fit in the wasm backend's heap (at most 4 GiB). ` +
        "Nothing was allocated; use smaller shapes or free tensors (tf.dispose)."
    );
  }
}
