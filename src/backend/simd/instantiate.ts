/**
 * Instantiating trax-ts's generated WebAssembly modules over tfjs-wasm's
 * heap: each module imports the backend's memory as `env.memory`, declared
 * shared when the memory is (the threaded build's).
 * @module
 */
import * as v8 from "node:v8";

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
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

const api = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * Whether this process's WebAssembly accepts a module (its instructions
 * included: a relaxed SIMD one validates only where relaxed SIMD is on).
 *
 * @example
 * ```ts
 * isValidModule(gemmModuleBytes(false)); // true
 * ```
 */
export function isValidModule(bytes: Uint8Array): boolean {
  return api().validate(bytes);
}

/**
 * Whether to compile our modules eagerly, with V8's lazy compilation and
 * dynamic tiering off: V8 then compiles all of a module's functions at once
 * and optimizes them in background threads right away, instead of compiling
 * each at its first call and running it in baseline (Liftoff) code until it
 * has been hot for a while. Measured: a process's first 512 x 1024 x 1024
 * product 0.21-0.44 s with V8's defaults, 0.05-0.07 s compiled eagerly at
 * import (the later ones 0.04 s either way); compiling trax-ts's modules
 * costs about 50 ms of import time. Only for V8 10-13 (Node 18-24), which
 * know both flags (V8 prints an error for a flag it does not know), and not
 * when the process sets either flag itself (on its command line: Node
 * refuses V8 flags in NODE_OPTIONS). @internal
 *
 * @example
 * ```ts
 * eagerTierUp("11.3.244.8-node.33", []); // true
 * eagerTierUp("11.3.244.8-node.33", ["--no-wasm-dynamic-tiering"]); // false: the user's own choice
 * ```
 */
export function eagerTierUp(v8Version: string = process.versions.v8, args: string[] = process.execArgv): boolean {
  const major = Number(v8Version.split(".")[0]);
  const own = args.some((a) => /wasm-(dynamic-tiering|lazy-compilation)/.test(a));
  return major >= 10 && major <= 13 && !own;
}

/** A compiled module of `bytes`, all its functions compiled now and optimized in the background where {@link eagerTierUp}. */
function compileEagerly(bytes: Uint8Array): object {
  if (!eagerTierUp()) return new (api().Module)(bytes);
  v8.setFlagsFromString("--no-wasm-dynamic-tiering");
  v8.setFlagsFromString("--no-wasm-lazy-compilation");
  try {
    return new (api().Module)(bytes);
  } finally {
    v8.setFlagsFromString("--wasm-dynamic-tiering");
    v8.setFlagsFromString("--wasm-lazy-compilation");
  }
}

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
  return compiledFor(bytesFor, isSharedMemory(memory));
}

function compiledFor(bytesFor: (sharedMemory: boolean) => Uint8Array, shared: boolean): object {
  let byKind = compiled.get(bytesFor);
  if (!byKind) compiled.set(bytesFor, (byKind = new Map()));
  let module = byKind.get(shared);
  if (!module) byKind.set(shared, (module = compileEagerly(bytesFor(shared))));
  return module;
}

/**
 * Compiles the module `bytesFor(sharedMemory)` now (once per process), so
 * that V8 has optimized it by the time the first kernel runs (see
 * {@link eagerTierUp}): trax-ts does this at import for the single-threaded
 * build's memory, and when the threaded build starts for its shared one.
 *
 * @example
 * ```ts
 * precompile(gemmModuleBytes, false);
 * ```
 */
export function precompile(bytesFor: (sharedMemory: boolean) => Uint8Array, sharedMemory: boolean): void {
  compiledFor(bytesFor, sharedMemory);
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

/**
 * A function giving each tfjs-wasm backend object its own instance of a
 * module (made on first use by `instantiate` over the backend's heap, then
 * kept), or `null` for a backend whose memory cannot be reached.
 *
 * @example
 * ```ts
 * const expOf = instancePerBackend(instantiateExp);
 * expOf(tf.backend() as never)?.exp(src, dst, n);
 * ```
 */
export function instancePerBackend<T>(instantiate: (memory: WasmMemory) => T): (backend: WasmModuleMemory) => T | null {
  const instances = new WeakMap<object, T | null>();
  return (backend) => {
    let instance = instances.get(backend);
    if (instance === undefined) {
      const memory = backend.wasm?.asm ? heapMemory(backend) : undefined;
      instance = memory ? instantiate(memory) : null;
      instances.set(backend, instance);
    }
    return instance;
  };
}
