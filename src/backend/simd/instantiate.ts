/**
 * Instantiating trax-ts's generated WebAssembly modules over tfjs-wasm's
 * heap: each module imports the backend's memory as `env.memory`, declared
 * shared when the memory is (the threaded build's).
 * @module
 */
import { isSharedMemory, type WasmMemory } from "./gemm-module";

export type { WasmMemory };

/** The parts of the WebAssembly API used to instantiate our modules. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

/** Compiled modules, by their bytes function and memory kind (compiled once per process). */
const compiled = new Map<(shared: boolean) => Uint8Array, Map<boolean, object>>();

/**
 * An instance of the module `bytesFor(shared)` over `memory` (tfjs-wasm's
 * heap), `shared` being whether `memory` is a shared memory; its exports.
 *
 * @example
 * ```ts
 * const exports = instantiateModule(backend.wasm.asm.memory, optimModuleBytes);
 * ```
 */
export function instantiateModule(memory: WasmMemory, bytesFor: (sharedMemory: boolean) => Uint8Array): object {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const shared = isSharedMemory(memory);
  let byKind = compiled.get(bytesFor);
  if (!byKind) compiled.set(bytesFor, (byKind = new Map()));
  let module = byKind.get(shared);
  if (!module) byKind.set(shared, (module = new api.Module(bytesFor(shared))));
  return new api.Instance(module, { env: { memory } }).exports;
}
