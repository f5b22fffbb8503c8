/**
 * Correct max-pool gradients (`MaxPoolGrad`, `MaxPool3DGrad`) for the wasm
 * backend. tfjs-backend-wasm 4.22's kernels lose the gradient of some windows
 * whose values are all equal (a window of zeros after a ReLU gets none: 7 of
 * 8 ones for a 2x2/2 pool over a (2, 4, 4, 1) ReLU output) and break ties at
 * the last maximum. These send each window's gradient to its first maximum,
 * as XLA's `SelectAndScatter` with `ge` does for JAX (Trax) and tfjs's cpu
 * backend does.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { replaceWasmKernel, WasmHeapBackend } from "./wasm-heap";

type Tf = typeof tfTypes;

/** Where a pool's windows lie: depth, height and width (a 2-D pool has depth 1). */
export interface PoolGeometry {
  batch: number;
  channels: number;
  /** Input extent per spatial axis [depth, height, width]. */
  inSize: [number, number, number];
  /** Output extent per spatial axis. */
  outSize: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  /** Window extent per axis, dilation included. */
  window: [number, number, number];
  /** Padding before the first element, per axis. */
  padBefore: [number, number, number];
}

/**
 * dx for a max pool over channels-last `x`: each window's `dy` goes to the
 * first position holding the window's maximum (padding never wins; a NaN
 * beats any number, as it does in the forward pass).
 *
 * Shapes: x and dx (batch, depth, height, width, channels) flattened;
 * dy (batch, outDepth, outHeight, outWidth, channels) flattened.
 */
export function maxPoolGradFirstMax(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const [D, H, W] = g.inSize;
  const [OD, OH, OW] = g.outSize;
  const C = g.channels;
  dx.fill(0);
  let dyAt = 0;
  for (let b = 0; b < g.batch; b++) {
    const xBase = b * D * H * W * C;
    for (let od = 0; od < OD; od++) {
      const d0 = od * g.strides[0] - g.padBefore[0];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * g.strides[1] - g.padBefore[1];
        for (let ow = 0; ow < OW; ow++) {
          const w0 = ow * g.strides[2] - g.padBefore[2];
          for (let c = 0; c < C; c++, dyAt++) {
            let best = -Infinity;
            let at = -1;
            for (let fd = 0; fd < g.window[0]; fd += g.dilations[0]) {
              const d = d0 + fd;
              if (d < 0 || d >= D) continue;
              for (let fh = 0; fh < g.window[1]; fh += g.dilations[1]) {
                const h = h0 + fh;
                if (h < 0 || h >= H) continue;
                for (let fw = 0; fw < g.window[2]; fw += g.dilations[2]) {
                  const w = w0 + fw;
                  if (w < 0 || w >= W) continue;
                  const i = xBase + ((d * H + h) * W + w) * C + c;
                  const v = x[i];
                  if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                    best = v;
                    at = i;
                  }
                }
              }
            }
            if (at >= 0) dx[at] += dy[dyAt];
          }
        }
      }
    }
  }
}

interface PoolGradAttrs {
  filterSize: number | number[];
  strides: number | number[];
  pad: "valid" | "same" | number | tfTypes.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function geometry2d(i: tfTypes.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: i.batchSize, channels: i.inChannels,
    inSize: [1, i.inHeight, i.inWidth], outSize: [1, i.outHeight, i.outWidth],
    strides: [1, i.strideHeight, i.strideWidth], dilations: [1, i.dilationHeight, i.dilationWidth],
    window: [1, i.effectiveFilterHeight, i.effectiveFilterWidth], padBefore: [0, i.padInfo.top, i.padInfo.left],
  };
}

function geometry3d(i: tfTypes.backend_util.Conv3DInfo): PoolGeometry {
  return {
    batch: i.batchSize, channels: i.inChannels,
    inSize: [i.inDepth, i.inHeight, i.inWidth], outSize: [i.outDepth, i.outHeight, i.outWidth],
    strides: [i.strideDepth, i.strideHeight, i.strideWidth], dilations: [i.dilationDepth, i.dilationHeight, i.dilationWidth],
    window: [i.effectiveFilterDepth, i.effectiveFilterHeight, i.effectiveFilterWidth],
    padBefore: [i.padInfo.front, i.padInfo.top, i.padInfo.left],
  };
}

let installed = false;

/**
 * Registers {@link maxPoolGradFirstMax} as the wasm backend's `MaxPoolGrad`
 * and `MaxPool3DGrad` (what the gradients of `tf.maxPool` and
 * `tf.maxPool3d` run). Idempotent.
 *
 * @example
 * ```ts
 * installMaxPoolGrad(tf);
 * tf.grad((x) => tf.maxPool(x, 2, 2, "valid").sum())(tf.zeros([1, 2, 2, 1])); // [[[[1], [0]], [[0], [0]]]]
 * ```
 */
export function installMaxPoolGrad(tf: Tf): void {
  if (installed || !tf.getKernel("MaxPoolGrad", "wasm")) return;
  installed = true;
  const kernels: [string, (shape: number[], a: PoolGradAttrs) => PoolGeometry][] = [
    ["MaxPoolGrad", (shape, a) => geometry2d(tf.backend_util.computePool2DInfo(
      shape as [number, number, number, number], a.filterSize as [number, number], a.strides as [number, number], 1, a.pad, a.dimRoundingMode))],
    ["MaxPool3DGrad", (shape, a) => geometry3d(tf.backend_util.computePool3DInfo(
      shape as [number, number, number, number, number], a.filterSize as [number, number, number], a.strides as [number, number, number],
      1, a.pad as "valid" | "same" | number, a.dimRoundingMode))],
  ];
  for (const [kernelName, geometryOf] of kernels) {
    replaceWasmKernel(tf, kernelName, ({ inputs, backend, attrs }: { inputs: tfTypes.NamedTensorInfoMap; backend: unknown; attrs: PoolGradAttrs }) => {
      const b = backend as WasmHeapBackend;
      const input = inputs.input as tfTypes.TensorInfo;
      const dy = inputs.dy as tfTypes.TensorInfo;
      // Allocate first: allocation may grow the wasm memory and detach older views.
      const dx = b.makeOutput(input.shape, input.dtype);
      maxPoolGradFirstMax(b.typedArrayFromHeap(input), b.typedArrayFromHeap(dy), b.typedArrayFromHeap(dx), geometryOf(input.shape, attrs));
      return dx;
    });
  }
}
