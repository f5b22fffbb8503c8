/**
 * The gradient of ReLU as one wasm kernel, `TraxReluGrad`: `dy * step(x)` in
 * one SIMD pass, where tfjs's gradient of `Relu` runs three kernels (`Step`,
 * `Cast`, `Multiply`), each a pass over the activations. The same multiply
 * of the same values, so the same bits: `dy * 1` where `x > 0`, `dy * 0`
 * elsewhere (`-0` for a negative `dy`, NaN for an infinite one), and NaN
 * where `x` is NaN (as tfjs's `step`). {@link installReluGradient} makes
 * tfjs's gradient of `Relu` use it on wasm for float32, the composed ops
 * elsewhere.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { encodeModule, FunctionBuilder } from "./wasm-encoder";
import { instancePerBackend, instantiateModule, type WasmMemory, type WasmModuleMemory } from "./instantiate";
import { heapAddress, type WasmHeapBackend } from "../wasm-heap";

/**
 * `relu_grad(x, dy, dst, n)`: `dst[i] = dy[i] * m` with `m` 1 where
 * `x[i] > 0`, NaN where `x[i]` is NaN, else 0 (addresses in bytes): vectors
 * of 4, then each remaining element as lane 0 of a splat.
 */
function reluGradFunction(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32"]);
  const [x, dy, dst, count] = [0, 1, 2, 3];
  const i = f.local("i32");
  const [xv, one] = f.locals("v128", 2);
  f.f32x4(1).set(one);
  /** dy (on the stack already) times the mask of `xv`. */
  const times = () => {
    f.get(xv).f32(0).op("f32x4.splat").op("f32x4.gt").get(one).op("v128.and");
    f.get(xv).get(xv).op("f32x4.ne").get(xv).op("v128.and").op("v128.or");
    f.op("f32x4.mul");
  };
  f.i32(0).set(i);
  f.forLoop(i, count, 4, () => {
    f.get(x).mem("v128.load").set(xv);
    f.get(dst).get(dy).mem("v128.load");
    times();
    f.mem("v128.store");
    f.addTo(x, 16).addTo(dy, 16).addTo(dst, 16);
  }, true);
  f.forLoop(i, count, 1, () => {
    f.get(x).mem("v128.load32_splat").set(xv);
    f.get(dst).get(dy).mem("v128.load32_splat");
    times();
    f.extractLane(0).mem("f32.store");
    f.addTo(x, 4).addTo(dy, 4).addTo(dst, 4);
  });
  return f;
}

/**
 * The module's bytes (exports `relu_grad`), importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(reluGradModuleBytes(false));
 * ```
 */
export function reluGradModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: "relu_grad", fn: reluGradFunction() }], sharedMemory);
}

interface ReluGradExports {
  relu_grad(x: number, dy: number, dst: number, n: number): void;
}

const moduleOf = instancePerBackend((memory: WasmMemory) => instantiateModule(memory, reluGradModuleBytes) as unknown as ReluGradExports);

/**
 * Switch for tests and A/B benchmarks: `false` gives tfjs's own gradient
 * (`Step`, `Cast`, `Multiply`). Starts `false` when the environment sets
 * `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdReluGrad.enabled = false;
 * ```
 */
export const simdReluGrad = { enabled: process.env.TRAX_SIMD !== "0" };

/**
 * The kernel's name (inputs `dy` and `x` of one shape, float32).
 *
 * @example
 * ```ts
 * tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }); // dy * step(x), on wasm
 * ```
 */
export const RELU_GRAD_KERNEL = "TraxReluGrad";

type ReluGradArgs = { inputs: { dy: tfTypes.TensorInfo; x: tfTypes.TensorInfo }; backend: unknown };

function reluGradKernel(args: ReluGradArgs): tfTypes.TensorInfo {
  const { dy, x } = args.inputs;
  const mod = moduleOf(args.backend as WasmModuleMemory);
  if (!mod) throw new Error("trax-ts: the ReLU gradient kernel cannot reach tfjs-wasm's memory");
  const backend = args.backend as WasmHeapBackend;
  const out = backend.makeOutput(x.shape, "float32");
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (size > 0) mod.relu_grad(heapAddress(backend, x), heapAddress(backend, dy), heapAddress(backend, out), size);
  return out;
}

/**
 * `dy * step(x)`, the gradient of `relu(x)`: the wasm kernel where it runs
 * (wasm backend, float32, equal shapes, switched on), else tfjs's ops.
 *
 * Shapes: `dy` and `x` the same; result the same.
 *
 * @example
 * ```ts
 * reluGradient(tf.ones([2]), tf.tensor([-1, 1])); // [0, 1]
 * ```
 */
export function reluGradient(tf: typeof tfTypes, dy: tfTypes.Tensor, x: tfTypes.Tensor): tfTypes.Tensor {
  const fused = simdReluGrad.enabled && installed && tf.getBackend() === "wasm" && dy.dtype === "float32" && x.dtype === "float32" && tf.util.arraysEqual(dy.shape, x.shape);
  if (fused && moduleOf(tf.backend() as unknown as WasmModuleMemory)) return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tfTypes.Tensor;
  return tf.mul(dy, tf.step(x).toFloat());
}

let installed = false;

/**
 * Registers `TraxReluGrad` for tfjs-backend-wasm (with its own gradient, so
 * second derivatives still work) and makes tfjs's gradient of `Relu` call
 * {@link reluGradient}. Once; a no-op without the wasm backend.
 *
 * @example
 * ```ts
 * installReluGradient(tf); // done by trax-ts at load
 * tf.grad((x) => tf.relu(x))(x); // one kernel on wasm
 * ```
 */
export function installReluGradient(tf: typeof tfTypes): void {
  if (installed || !tf.findBackendFactory("wasm")) return;
  tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: "wasm", kernelFunc: reluGradKernel as unknown as tfTypes.KernelFunc });
  // d/d(dy) of dy * step(x) is step(x); step has no gradient (zero almost everywhere), as tfjs's Step.
  tf.registerGradient({
    kernelName: RELU_GRAD_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (ddx, saved) => ({ dy: () => reluGradient(tf, ddx as tfTypes.Tensor, saved[0]), x: () => tf.zerosLike(saved[0]) }),
  });
  tf.registerGradient({
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => ({ x: () => reluGradient(tf, dy as tfTypes.Tensor, saved[0]) }),
  });
  installed = true;
}
