/**
 * Synchronous reads (`dataSync`, `arraySync`) for the webgpu backend in Node.
 *
 * tfjs-backend-webgpu reads synchronously through an `OffscreenCanvas`, which
 * Node lacks, so `dataSync()` throws there. trax-ts's API is synchronous
 * (`layer(x)` returns a tensor, views read values), so this module gives the
 * backend a Node-native `readSync`: copy to a staging buffer, `mapAsync`, and
 * drive Dawn's event processing until the map completes.
 *
 * Dawn's Node binding processes GPU events from a `setImmediate` callback (a
 * native function it schedules itself while work is pending). A thin wrapper
 * around `globalThis.setImmediate` remembers those native callbacks so a
 * synchronous read can run them on the spot; when the event loop later gets to
 * them they are no-ops. JavaScript callbacks pass through untouched.
 * @module
 */

/** A Dawn event-processing callback waiting to run. */
interface PumpEntry {
  run: () => void;
  done: boolean;
}

const pending = new Set<PumpEntry>();
let installed = false;

function isNative(fn: unknown): boolean {
  return typeof fn === "function" && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}

/**
 * Wraps `globalThis.setImmediate` (once) so native callbacks can be run early.
 *
 * @example
 * ```ts
 * installEventPump(); // before the first Dawn call
 * ```
 */
export function installEventPump(): void {
  if (installed) return;
  installed = true;
  const real = globalThis.setImmediate;
  const wrapped = function (this: unknown, fn: (...a: unknown[]) => void, ...args: unknown[]) {
    if (args.length > 0 || !isNative(fn)) return real(fn, ...args);
    const entry: PumpEntry = { run: fn as () => void, done: false };
    pending.add(entry);
    return real(() => {
      if (entry.done) return;
      entry.done = true;
      pending.delete(entry);
      entry.run();
    });
  };
  Object.assign(wrapped, real); // keeps setImmediate[util.promisify.custom]
  globalThis.setImmediate = wrapped as unknown as typeof setImmediate;
}

/** Runs the Dawn callbacks queued so far; returns how many ran. */
function pumpOnce(): number {
  const entries = [...pending];
  for (const e of entries) {
    e.done = true;
    pending.delete(e);
    e.run();
  }
  return entries.length;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Drives Dawn until `done()` is true, sleeping a little between polls so the
 * driver's own threads (lavapipe's, on a CPU) get the cores.
 *
 * @param done - the condition to wait for (e.g. a buffer's `mapState` left `"pending"`)
 * @param what - what is waited for, for the error message
 * @example
 * ```ts
 * pumpUntil(() => staging.mapState !== "pending", "reading a tensor");
 * ```
 */
export function pumpUntil(done: () => boolean, what: string): void {
  let sleepMs = 0;
  while (!done()) {
    if (pumpOnce() === 0) {
      throw new Error(
        `trax-ts (webgpu): cannot wait for the GPU synchronously while ${what}: Dawn's event callback is not ` +
          `reachable (globalThis.setImmediate was replaced after the webgpu backend started). ` +
          `Use \`await tensor.data()\`, or TRAX_BACKEND=wasm.`
      );
    }
    if (done()) return;
    sleepMs = Math.min(1, sleepMs + 0.02);
    Atomics.wait(sleeper, 0, 0, sleepMs);
  }
}

/** The parts of tfjs-backend-webgpu's `WebGPUBackend` the synchronous read uses. */
export interface WebGPUBackendLike {
  tensorMap: { get(dataId: object): { values: unknown; dtype: string; resource?: unknown } | undefined };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBufferLike; releaseBuffer(b: GPUBufferLike): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: { copyBufferToBuffer(src: unknown, so: number, dst: unknown, dO: number, size: number): void };
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, values: unknown): unknown;
  readSync(dataId: object): unknown;
}

/** The parts of a `GPUBuffer` the synchronous read uses. */
export interface GPUBufferLike {
  size: number;
  mapState: string;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

/**
 * Gives a WebGPUBackend instance a `readSync` that works in Node.
 *
 * @param backend - the backend instance (`tf.findBackend("webgpu")`)
 * @param convert - tfjs's `util.convertBackendValuesAndArrayBuffer`
 * @param check - called before each read; throws when the device is lost or broken
 * @example
 * ```ts
 * patchReadSync(tf.findBackend("webgpu"), tf.util.convertBackendValuesAndArrayBuffer, () => {});
 * ```
 */
export function patchReadSync(
  backend: WebGPUBackendLike,
  convert: (data: ArrayBuffer, dtype: string) => unknown,
  check: () => void
): void {
  const original = backend.readSync.bind(backend);
  const g = globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number }; GPUMapMode: { READ: number } };
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (!data || data.values != null || data.dtype === "string" || data.dtype === "complex64") return original(dataId);
    check();
    const source = data.resource as GPUBufferLike;
    const staging = backend.bufferManager.acquireBuffer(source.size, g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.commandEncoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
    backend.submitQueue();
    let failure: unknown = null;
    staging.mapAsync(g.GPUMapMode.READ).catch((e) => (failure = e));
    pumpUntil(() => staging.mapState !== "pending", "reading a tensor (dataSync)");
    if (staging.mapState !== "mapped") {
      check();
      throw new Error(`trax-ts (webgpu): reading a tensor back from the GPU failed (map state '${staging.mapState}'${failure ? `: ${String(failure)}` : ""}); the device may be lost or out of memory. Hint: TRAX_BACKEND=wasm`);
    }
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    backend.bufferManager.releaseBuffer(staging);
    check(); // a GPU error reported while waiting makes these values suspect
    return backend.convertAndCacheOnCPU(dataId, convert(bytes, data.dtype));
  };
}
