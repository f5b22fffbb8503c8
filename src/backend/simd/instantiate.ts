/**
 * Instantiating trax-ts's generated WebAssembly modules over tfjs-wasm's
 * heap: each module imports the backend's memory as `env.memory`, declared
 * shared when the memory is (the threaded build's).
 * @module
 */
/** A WebAssembly memory (the project compiles without the DOM library's types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The memory of a tfjs-wasm backend object: `asm.memory` (single-threaded build) or `wasmMemory` (threaded). */
export interface WasmModuleMemory {
  wasm: { asm: { memory?: WasmMemory }; wasmMemory?: WasmMemory };
}

/**
 * The heap of a tfjs-wasm backend: the single-threaded build exports its
 * memory, the threaded build imports it (so it is not among its exports).
 *
 * @example
 * ```ts
 * heapMemory(tf.backend() as never); // a WasmMemory, or undefined
 * ```
 */
export function heapMemory(backend: WasmModuleMemory): WasmMemory | undefined {
  return backend.wasm.asm.memory ?? backend.wasm.wasmMemory;
}

/**
 * Whether `memory` is shared (the threaded build's heap).
 *
 * @example
 * ```ts
 * isSharedMemory(new WebAssembly.Memory({ initial: 1 })); // false
 * ```
 */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The parts of the WebAssembly API used to instantiate our modules. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

const api = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compiled modules, by their bytes function and memory kind (compiled once per process). */
const compiled = new Map<(shared: boolean) => Uint8Array, Map<boolean, object>>();

/**
 * The module `bytesFor(shared)` compiled for `memory` (`shared`: whether it
 * is a shared memory), compiled once per process and kind of memory.
 *
 * @example
 * ```ts
 * const module = compiledModule(memory, gemmModuleBytes); // worker threads instantiate it too
 * ```
 */
export function compiledModule(memory: WasmMemory, bytesFor: (sharedMemory: boolean) => Uint8Array): object {
  const shared = isSharedMemory(memory);
  let byKind = compiled.get(bytesFor);
  if (!byKind) compiled.set(bytesFor, (byKind = new Map()));
  let module = byKind.get(shared);
  if (!module) byKind.set(shared, (module = new (api().Module)(bytesFor(shared))));
  return module;
}

/**
 * An instance of the module `bytesFor(shared)` over `memory` (tfjs-wasm's
 * heap); its exports.
 *
 * @example
 * ```ts
 * const exports = instantiateModule(backend.wasm.asm.memory, optimModuleBytes);
 * ```
 */
export function instantiateModule(memory: WasmMemory, bytesFor: (sharedMemory: boolean) => Uint8Array): object {
  return new (api().Instance)(compiledModule(memory, bytesFor), { env: { memory } }).exports;
}
