/**
 * A correct `MaxPoolGrad` for the wasm backend. tfjs-backend-wasm 4.22's
 * kernel loses the gradient of some windows whose values are all equal (a
 * window of zeros after a ReLU gets none: 7 of 8 ones for a 2x2/2 pool over
 * a (2, 4, 4, 1) ReLU output) and breaks ties at the last maximum. This one
 * sends each window's gradient to its first maximum, as XLA's
 * `SelectAndScatter` with `ge` does for JAX (Trax) and tfjs's cpu backend does.
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";

type Tf = typeof tfTypes;

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tfTypes.DataType): tfTypes.TensorInfo;
  typedArrayFromHeap(t: tfTypes.TensorInfo): Float32Array;
}

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tfTypes.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * dx for a 2-D max pool over NHWC `x`: each window's `dy` goes to the first
 * position holding the window's maximum (padding never wins).
 *
 * Shapes: x and dx (batch, height, width, channels); dy (batch, outHeight, outWidth, channels).
 */
export function maxPoolGradFirstMax(
  x: Float32Array, dy: Float32Array, dx: Float32Array, info: tfTypes.backend_util.Conv2DInfo
): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xBase = b * inHeight * inWidth * C;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - padTop;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - padLeft;
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let fh = 0; fh < effectiveFilterHeight; fh += dilationHeight) {
            const h = h0 + fh;
            if (h < 0 || h >= inHeight) continue;
            for (let fw = 0; fw < effectiveFilterWidth; fw += dilationWidth) {
              const w = w0 + fw;
              if (w < 0 || w >= inWidth) continue;
              const i = xBase + (h * inWidth + w) * C + c;
              const v = x[i];
              // The first maximum wins; a NaN beats any number (the forward pass propagates it).
              if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dy[dyBase + c];
        }
      }
    }
  }
}

let installed = false;

/**
 * Registers {@link maxPoolGradFirstMax} as the wasm backend's `MaxPoolGrad`
 * (what `tf.maxPool`'s gradient runs). Idempotent.
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
  tf.unregisterKernel("MaxPoolGrad", "wasm");
  tf.registerKernel({
    kernelName: "MaxPoolGrad",
    backendName: "wasm",
    kernelFunc: (({ inputs, backend, attrs }: { inputs: tfTypes.NamedTensorInfoMap; backend: unknown; attrs: MaxPoolGradAttrs }) => {
      const b = backend as WasmHeapBackend;
      const input = inputs.input as tfTypes.TensorInfo;
      const dy = inputs.dy as tfTypes.TensorInfo;
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode
      );
      // Allocate first: allocation may grow the wasm memory and detach older views.
      const dx = b.makeOutput(input.shape, input.dtype);
      maxPoolGradFirstMax(b.typedArrayFromHeap(input), b.typedArrayFromHeap(dy), b.typedArrayFromHeap(dx), info);
      return dx;
    }) as unknown as tfTypes.KernelFunc,
  });
}
