/**
 * `LayerNorm`'s forward and input gradient as two wasm kernels,
 * `TraxLayerNorm` and `TraxLayerNormGrad` (the functions of
 * {@link instantiateLayerNorm}): the same float32 operations in the same
 * order as the tfjs ops they replace, so the same bits, in two passes over a
 * row instead of about 17 kernels, each a pass over the activations (nine
 * forward, eight for the input gradient). Used by `layerNormRecorded` on
 * wasm for float32; elsewhere, and with the switch off, the tfjs ops run.
 * @module
 */
import { tf } from "../tf";
import { instantiateLayerNorm } from "./layer-norm-module";
import { instancePerBackend, type WasmModuleMemory } from "./instantiate";
import { heapAddress, registersOnce, rowsOfLastAxis, type WasmHeapBackend } from "../wasm-heap";

/**
 * Switch for tests and A/B benchmarks: `false` runs `LayerNorm` as tfjs ops.
 * Starts `false` when the environment sets `TRAX_SIMD=0`.
 *
 * @example
 * ```ts
 * simdLayerNorm.enabled = false;
 * ```
 */
export const simdLayerNorm = { enabled: process.env.TRAX_SIMD !== "0" };

const moduleOf = instancePerBackend(instantiateLayerNorm);

type Info = tf.TensorInfo;
type Args<I> = { inputs: I; backend: unknown; attrs?: { epsilon?: number } };

function layerNormKernel({ inputs, backend, attrs }: Args<{ x: Info; scale: Info; bias: Info }>): Info[] {
  const { x, scale, bias } = inputs;
  const b = backend as WasmHeapBackend;
  // Allocate first: allocation may grow the wasm memory.
  const outs = [b.makeOutput(x.shape, "float32"), b.makeOutput(x.shape, "float32"), b.makeOutput([...x.shape.slice(0, -1), 1], "float32")];
  const [rows, n] = rowsOfLastAxis(x.shape);
  if (rows * n > 0) {
    const at = (t: Info) => heapAddress(backend, t);
    moduleOf(backend as WasmModuleMemory)!.layer_norm(at(x), at(scale), at(bias), at(outs[0]), at(outs[1]), at(outs[2]), rows, n, attrs?.epsilon ?? 0);
  }
  return outs;
}

function layerNormGradKernel({ inputs, backend }: Args<{ dy: Info; normalized: Info; std: Info; scale: Info }>): Info {
  const { dy, normalized, std, scale } = inputs;
  const out = (backend as WasmHeapBackend).makeOutput(dy.shape, "float32");
  const [rows, n] = rowsOfLastAxis(dy.shape);
  if (rows * n > 0) {
    const at = (t: Info) => heapAddress(backend, t);
    moduleOf(backend as WasmModuleMemory)!.layer_norm_grad(at(dy), at(normalized), at(std), at(scale), at(out), rows, n);
  }
  return out;
}

const registerForward = registersOnce(tf, "TraxLayerNorm", layerNormKernel);
const registerGradient = registersOnce(tf, "TraxLayerNormGrad", layerNormGradKernel);

/** Whether the kernels take `tensors` now (wasm backend, its memory reachable, all float32, switched on). */
function applies(tensors: tf.Tensor[]): boolean {
  if (!simdLayerNorm.enabled || tf.getBackend() !== "wasm" || tensors.some((t) => t.dtype !== "float32")) return false;
  if (!moduleOf(tf.backend() as unknown as WasmModuleMemory)) return false;
  registerForward();
  registerGradient();
  return true;
}

/**
 * `LayerNorm`'s forward over the last axis as one kernel:
 * `[y, normalized, std]` (see layer-norm-module.ts), or `null` where it
 * does not run (use the tfjs ops then).
 *
 * Shapes: `x` `(..., f)`, `scale` and `bias` `(f,)`; `y` and `normalized`
 * like `x`, `std` `(..., 1)`.
 *
 * @example
 * ```ts
 * const [y, normalized, std] = fusedLayerNorm(x, scale, bias, 1e-6) ?? plainOps();
 * ```
 */
export function fusedLayerNorm(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (x.rank < 1 || scale.rank !== 1 || bias.rank !== 1 || !applies([x, scale, bias])) return null;
  return tf.engine().runKernel("TraxLayerNorm", { x, scale, bias }, { epsilon }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * `LayerNorm`'s input gradient as one kernel,
 * `((g - mean(g)) - normalized mean(g normalized)) / std` with `g = dy scale`
 * (means over the last axis), or `null` where it does not run.
 *
 * Shapes: `dy` and `normalized` `(..., f)`, `std` `(..., 1)`, `scale` `(f,)`; result like `dy`.
 *
 * @example
 * ```ts
 * const dx = fusedLayerNormGrad(dy, normalized, std, scale) ?? plainOps();
 * ```
 */
export function fusedLayerNormGrad(dy: tf.Tensor, normalized: tf.Tensor, std: tf.Tensor, scale: tf.Tensor): tf.Tensor | null {
  if (!applies([dy, normalized, std, scale])) return null;
  return tf.engine().runKernel("TraxLayerNormGrad", { dy, normalized, std, scale }) as tf.Tensor;
}
