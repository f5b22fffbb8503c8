/**
 * Fused optimizer kernels: one pass over a weight, its gradient and its
 * slots instead of a dozen elementwise tfjs ops (each a full read and write
 * of the tensor). Registered for the backends that keep tensors in
 * JavaScript-visible memory (wasm: the wasm heap; cpu: typed arrays); on
 * other backends (node, GPU) the optimizers use plain tfjs ops.
 * @module
 */
import { tf } from "../backend/tf";

/** Name of the fused Adam kernel (inputs `w, g, m, v`; outputs `w', m', v'`). */
export const ADAM_KERNEL = "TraxFusedAdam";

/** Attributes of the fused Adam kernel: `m' = b1 m + (1-b1) g`, `v' = b2 v + (1-b2) g²`, `w' = keep w - stepSize m' / (sqrt(v') + epsHat)`. */
export interface FusedAdamAttrs {
  b1: number;
  b2: number;
  stepSize: number;
  epsHat: number;
  /** Factor on the old weights (1 - weight decay rate). */
  keep: number;
}

function adamLoop(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, ow: Float32Array, om: Float32Array, ov: Float32Array, a: FusedAdamAttrs): void {
  const { b1, b2, stepSize, epsHat, keep } = a;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * gi * gi;
    om[i] = mi;
    ov[i] = vi;
    ow[i] = keep * w[i] - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> };

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

interface CpuLike {
  data: { get(id: unknown): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

let registered = false;

/** Registers the fused kernels (once). */
function register(): void {
  if (registered) return;
  registered = true;
  const wasmAdam = ({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as WasmLike;
    const { w, g, m, v } = inputs;
    // Allocate first: allocation may grow the wasm memory and detach older views.
    const outs = [b.makeOutput(w.shape, "float32"), b.makeOutput(w.shape, "float32"), b.makeOutput(w.shape, "float32")];
    const [ow, om, ov] = outs.map((o) => b.typedArrayFromHeap(o));
    adamLoop(b.typedArrayFromHeap(w), b.typedArrayFromHeap(g), b.typedArrayFromHeap(m), b.typedArrayFromHeap(v), ow, om, ov, attrs as unknown as FusedAdamAttrs);
    return outs;
  };
  const cpuAdam = ({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as CpuLike;
    const { w, g, m, v } = inputs;
    const get = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
    const n = get(w).length;
    const [ow, om, ov] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    adamLoop(get(w), get(g), get(m), get(v), ow, om, ov, attrs as unknown as FusedAdamAttrs);
    return [b.makeTensorInfo(w.shape, "float32", ow), b.makeTensorInfo(w.shape, "float32", om), b.makeTensorInfo(w.shape, "float32", ov)];
  };
  for (const [backendName, kernelFunc] of [["wasm", wasmAdam], ["cpu", cpuAdam]] as const) {
    if (!tf.getKernel(ADAM_KERNEL, backendName)) {
      tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
  }
}

/** Whether fused kernels run on the current backend (set `TRAX_FUSED=0` to turn them off). */
export function fusedAvailable(): boolean {
  if (process.env.TRAX_FUSED === "0") return false;
  const name = tf.getBackend();
  return name === "wasm" || name === "cpu";
}

/**
 * One Adam update of one weight in a single pass: `[w', m', v']`, or null
 * when the fused kernel does not apply (other backend, dtype not float32).
 */
export function fusedAdam(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: FusedAdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!fusedAvailable()) return null;
  if (w.dtype !== "float32" || g.dtype !== "float32" || m.dtype !== "float32" || v.dtype !== "float32") return null;
  register();
  const out = tf.engine().runKernel(ADAM_KERNEL, { w, g, m, v } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return out as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
