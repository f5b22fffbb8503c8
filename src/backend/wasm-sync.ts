/**
 * The wasm backend, started synchronously in Node, so a script computes right
 * after `require("trax-ts")` without `await trax.backend.ready()`.
 *
 * tfjs's own wasm factory is asynchronous (it fetches and compiles the binary
 * with promises), so the first tensor op of a script that does not await
 * fails with "Backend 'wasm' has not yet been initialized". In Node the binary
 * is a local file: reading it, compiling it (`new WebAssembly.Module`) and
 * instantiating it synchronously costs the same as the asynchronous path
 * (about 13 ms for both on a 2-core machine, 2026-12-04) and computes at the
 * same speed (the same XNNPACK code). Where the synchronous start fails, the
 * factory falls back to tfjs's own.
 * @module
 */
import * as fs from "fs";
import * as path from "path";
import { tf } from "./tf";
import { withoutNewProcessHandlers } from "./process-handlers";

/** The parts of the WebAssembly API used here (the project compiles without the DOM library). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (): WasmApi | undefined => (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

type Instance = { exports: object };

/** The Emscripten module of tfjs-backend-wasm, as `BackendWasm` uses it. */
interface EmscriptenModule {
  calledRun?: boolean;
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
  instantiateWasm?: (imports: object, receive: (instance: Instance, module: object) => void) => object;
}

type BackendFactory = () => ReturnType<Parameters<typeof tf.registerBackend>[1]>;

/** The directory of the package's Emscripten glue and binaries. */
function wasmOutDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js"));
}

/** Compiles the SIMD binary where this engine validates it, the plain one otherwise. */
function compileBinary(wasm: WasmApi, dir: string): object {
  const simd = fs.readFileSync(path.join(dir, "tfjs-backend-wasm-simd.wasm"));
  if (wasm.validate(simd)) return new wasm.Module(simd);
  return new wasm.Module(fs.readFileSync(path.join(dir, "tfjs-backend-wasm.wasm")));
}

/**
 * Builds the wasm backend synchronously: the same Emscripten glue, binary and
 * C entry points tfjs's `init()` wires up, handed to tfjs's `BackendWasm`.
 * Throws when any step is not synchronous here.
 *
 * @example
 * ```ts
 * const backend = createWasmBackendSync(); // a new single-threaded instance, outside tfjs's registry
 * ```
 */
export function createWasmBackendSync(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { BackendWasm } = require("@tensorflow/tfjs-backend-wasm") as { BackendWasm: new (wasm: EmscriptenModule) => unknown };
  const dir = wasmOutDir();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const glue = require(path.join(dir, "tfjs-backend-wasm.js")) as (config: EmscriptenModule) => Promise<unknown>;
  const wasm = wasmApi();
  if (!wasm) throw new Error("this engine has no WebAssembly");
  const compiled = compileBinary(wasm, dir);
  const module = {
    instantiateWasm(imports: object, receive: (i: Instance, m: object) => void) {
      const instance = new wasm.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
  } as EmscriptenModule;
  // Emscripten fills `module` in place; with a synchronous instantiateWasm the runtime starts before the call returns.
  withoutNewProcessHandlers(() => glue(module)).catch(() => undefined);
  if (!module.calledRun) throw new Error("the wasm runtime did not start synchronously");
  const wrap = (name: string, ret: string | null, args: string[]) => module.cwrap(name, ret, args);
  module.tfjs = {
    init: wrap("init", null, []),
    initWithThreadsCount: wrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: wrap("get_threads_count", "number", []),
    registerTensor: wrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: wrap("dispose_data", null, ["number"]),
    dispose: wrap("dispose", null, []),
  };
  return withoutNewProcessHandlers(() => new BackendWasm(module));
}

let installed = false;

/**
 * Replaces tfjs's asynchronous wasm factory with one that starts the backend
 * synchronously in Node (and falls back to tfjs's factory if that fails).
 * Returns whether the synchronous factory is in place. Idempotent.
 *
 * @example
 * ```ts
 * useSynchronousWasm(); // true in Node
 * tf.setBackend("wasm"); // the backend is ready when this returns
 * ```
 */
export function useSynchronousWasm(): boolean {
  if (installed) return true;
  if (typeof process === "undefined" || !process.versions?.node || !wasmApi()) return false;
  const original = tf.findBackendFactory("wasm") as BackendFactory | null;
  // (tf.findBackend would start the backend it looks up: read the registry instead.)
  const started = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (!original || started.wasm) return false;
  let fallback: string | null = null;
  const factory: BackendFactory = () => {
    try {
      return createWasmBackendSync() as ReturnType<BackendFactory>;
    } catch (e) {
      fallback = e instanceof Error ? e.message : String(e);
      return original();
    }
  };
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", factory, 2);
  installed = true;
  synchronousWasmFailure = () => fallback;
  return true;
}

let synchronousWasmFailure: () => string | null = () => null;

/**
 * Why the synchronous wasm start fell back to tfjs's asynchronous one, or
 * `null` when it did not (or has not run yet).
 *
 * @example
 * ```ts
 * wasmSyncFallbackReason(); // null
 * ```
 */
export function wasmSyncFallbackReason(): string | null {
  return synchronousWasmFailure();
}
