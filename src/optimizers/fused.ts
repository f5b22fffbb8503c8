/**
 * Fused optimizer kernels: one pass over a weight, its gradient and its
 * slots instead of several elementwise tfjs ops (each a full read and write
 * of the tensor). Registered for the backends that keep tensors in
 * JavaScript-visible memory (wasm: the wasm heap; cpu: typed arrays); on
 * other backends (node, GPU) the optimizers use plain tfjs ops. On wasm the
 * updates run as SIMD loops (src/backend/simd/optim-module.ts, float32
 * arithmetic); the JavaScript loops here (float64, rounded once) serve the
 * cpu backend and wasm with `simdOptimizers.enabled = false`.
 * @module
 */
import { tf } from "../backend/tf";
import { heapAddress, type WasmHeapBackend } from "../backend/wasm-heap";
import { simdOptimizersOf } from "../backend/simd/wasm-optim";
import type { OptimExports } from "../backend/simd/optim-module";

/** A fused update: reads the input arrays, writes the output arrays (all of one size). */
type UpdateLoop = (inputs: Float32Array[], outputs: Float32Array[], attrs: Record<string, number>) => void;

interface CpuLike {
  data: { get(id: unknown): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, number> };

/** The same update by the SIMD module: heap addresses of the inputs then the outputs, the element count. */
type SimdUpdate = (optim: OptimExports, addresses: number[], n: number, attrs: Record<string, number>) => void;

/** Adam: inputs `w, g, m, v`; outputs `w', m', v'`. */
const adam: UpdateLoop = ([w, g, m, v], [ow, om, ov], { b1, b2, stepSize, epsHat, keep }) => {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0, n = w.length; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * gi * gi;
    om[i] = mi;
    ov[i] = vi;
    ow[i] = keep * w[i] - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
};

/** Momentum: inputs `w, g, v`; outputs `w', v'`. */
const momentum: UpdateLoop = ([w, g, v], [ow, ov], { mass, lr, keep, nesterov }) => {
  for (let i = 0, n = w.length; i < n; i++) {
    const gi = g[i];
    const vi = mass * v[i] + gi;
    ov[i] = vi;
    ow[i] = keep * w[i] - lr * (nesterov ? mass * vi + gi : vi);
  }
};

/** RMSProp: inputs `w, g, a`; outputs `w', a'`. */
const rmsProp: UpdateLoop = ([w, g, a], [ow, oa], { gamma, lr, eps }) => {
  const c = 1 - gamma;
  for (let i = 0, n = w.length; i < n; i++) {
    const gi = g[i];
    const ai = gamma * a[i] + c * gi * gi;
    oa[i] = ai;
    ow[i] = w[i] - (lr * gi) / (Math.sqrt(ai) + eps);
  }
};

/** Adam by the SIMD module (`1 - b1`, `1 - b2` computed here in float64). */
const adamSimd: SimdUpdate = (o, [w, g, m, v, ow, om, ov], n, { b1, b2, stepSize, epsHat, keep }) =>
  o.adam(w, g, m, v, ow, om, ov, n, b1, 1 - b1, b2, 1 - b2, stepSize, epsHat, keep);

/** Momentum by the SIMD module (Nesterov's correction is a separate function there). */
const momentumSimd: SimdUpdate = (o, [w, g, v, ow, ov], n, { mass, lr, keep, nesterov }) =>
  (nesterov ? o.momentum_nesterov : o.momentum)(w, g, v, ow, ov, n, mass, lr, keep);

/** RMSProp by the SIMD module. */
const rmsPropSimd: SimdUpdate = (o, [w, g, a, ow, oa], n, { gamma, lr, eps }) => o.rms_prop(w, g, a, ow, oa, n, gamma, 1 - gamma, lr, eps);

/** The fused kernels: name, input names, number of outputs, JavaScript loop, SIMD call. */
const KERNELS: Record<string, { inputs: string[]; nOut: number; loop: UpdateLoop; simd: SimdUpdate }> = {
  TraxFusedAdam: { inputs: ["w", "g", "m", "v"], nOut: 3, loop: adam, simd: adamSimd },
  TraxFusedMomentum: { inputs: ["w", "g", "v"], nOut: 2, loop: momentum, simd: momentumSimd },
  TraxFusedRMSProp: { inputs: ["w", "g", "a"], nOut: 2, loop: rmsProp, simd: rmsPropSimd },
};

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, k] of Object.entries(KERNELS)) {
    const wasm = ({ inputs, backend, attrs }: KernelArgs) => {
      const b = backend as WasmHeapBackend;
      const shape = inputs[k.inputs[0]].shape;
      // Allocate first: allocation may grow the wasm memory and detach older views.
      const outs = Array.from({ length: k.nOut }, () => b.makeOutput(shape, "float32"));
      const optim = simdOptimizersOf(backend);
      if (optim) {
        const n = shape.reduce((p, d) => p * d, 1);
        if (n > 0) k.simd(optim, [...k.inputs.map((name) => heapAddress(backend, inputs[name])), ...outs.map((o) => heapAddress(backend, o))], n, attrs);
        return outs;
      }
      k.loop(k.inputs.map((n) => b.typedArrayFromHeap(inputs[n])), outs.map((o) => b.typedArrayFromHeap(o)), attrs);
      return outs;
    };
    const cpu = ({ inputs, backend, attrs }: KernelArgs) => {
      const b = backend as CpuLike;
      const ins = k.inputs.map((n) => b.data.get(inputs[n].dataId).values);
      const outs = Array.from({ length: k.nOut }, () => new Float32Array(ins[0].length));
      k.loop(ins, outs, attrs);
      return outs.map((o) => b.makeTensorInfo(inputs[k.inputs[0]].shape, "float32", o));
    };
    for (const [backendName, kernelFunc] of [["wasm", wasm], ["cpu", cpu]] as const) {
      if (!tf.getKernel(kernelName, backendName)) {
        tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
      }
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
 * Runs a fused kernel on float32 tensors of one shape; null when it does
 * not apply (another backend, another dtype or shape): use plain ops then.
 */
function runFused(kernelName: string, tensors: tf.Tensor[], attrs: Record<string, number>): tf.Tensor[] | null {
  if (!fusedAvailable()) return null;
  const shape = tensors[0].shape;
  for (const t of tensors) {
    if (t.dtype !== "float32" || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) return null;
  }
  register();
  const named: Record<string, tf.Tensor> = {};
  KERNELS[kernelName].inputs.forEach((n, i) => (named[n] = tensors[i]));
  return tf.engine().runKernel(kernelName, named as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}

/** Adam in one pass: `m' = b1 m + (1-b1) g`, `v' = b2 v + (1-b2) g²`, `w' = keep w - stepSize m' / (sqrt(v') + epsHat)`; `[w', m', v']` or null. */
export function fusedAdam(
  w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor,
  attrs: { b1: number; b2: number; stepSize: number; epsHat: number; keep: number }
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  return runFused("TraxFusedAdam", [w, g, m, v], attrs) as [tf.Tensor, tf.Tensor, tf.Tensor] | null;
}

/** Momentum in one pass: `v' = mass v + g`, `w' = keep w - lr (nesterov ? mass v' + g : v')`; `[w', v']` or null. */
export function fusedMomentum(
  w: tf.Tensor, g: tf.Tensor, v: tf.Tensor,
  attrs: { mass: number; lr: number; keep: number; nesterov: boolean }
): [tf.Tensor, tf.Tensor] | null {
  return runFused("TraxFusedMomentum", [w, g, v], { ...attrs, nesterov: attrs.nesterov ? 1 : 0 }) as [tf.Tensor, tf.Tensor] | null;
}

/** RMSProp in one pass: `a' = gamma a + (1-gamma) g²`, `w' = w - lr g / (sqrt(a') + eps)`; `[w', a']` or null. */
export function fusedRMSProp(w: tf.Tensor, g: tf.Tensor, a: tf.Tensor, attrs: { gamma: number; lr: number; eps: number }): [tf.Tensor, tf.Tensor] | null {
  return runFused("TraxFusedRMSProp", [w, g, a], attrs) as [tf.Tensor, tf.Tensor] | null;
}
