/**
 * `tf.unstack` along axis 0 without tfjs-wasm's quadratic copying: its
 * Unpack kernel takes each item with its Slice kernel, which first copies the
 * whole input out of the wasm heap (`readSync`), so unstacking `n` items
 * copies the input `n` times (measured (8, 512, 64): 7.7 ms, against 0.5 ms
 * for one copy; (64, 32, 32): 14.5 ms). Here a kernel of our own copies each
 * item straight from the heap, once. Used by the per-item products of
 * attention and batched `matMul`s.
 * @module
 */
import { tf } from "../backend/tf";
import type { WasmHeapBackend } from "../backend/wasm-heap";
import { isRecordingGradients, opWithLazyGradients } from "./lazy-grad";

const KERNEL = "TraxUnstackRows";

/** Switch for tests and A/B benchmarks to run tfjs's own unstack and stack gradient (internal). */
export const unstackPaths = { fromHeap: true };

function fast(): boolean {
  return unstackPaths.fromHeap && tf.getBackend() === "wasm";
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(KERNEL, "wasm")) {
    const kernelFunc = ({ inputs, backend }: { inputs: { x: tf.TensorInfo }; backend: unknown }) => {
      const heap = backend as WasmHeapBackend;
      const { x } = inputs;
      const [n, ...rest] = x.shape;
      const size = rest.reduce((p, d) => p * d, 1);
      // Allocate first: allocation may grow the wasm memory and detach older views.
      const outs = Array.from({ length: n }, () => heap.makeOutput(rest, x.dtype));
      const src = heap.typedArrayFromHeap(x);
      // Views of the dtype's own array type (float32, int32 or bool bytes): items are copied as they are.
      outs.forEach((o, i) => heap.typedArrayFromHeap(o).set(src.subarray(i * size, (i + 1) * size)));
      return outs;
    };
    tf.registerKernel({ kernelName: KERNEL, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  if (!tf.getGradient(KERNEL)) {
    tf.registerGradient({
      kernelName: KERNEL,
      // One output comes as a tensor, several as an array (tfjs fills unused ones with zeros).
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => tf.stack(Array.isArray(dy) ? dy : [dy]) }),
    });
  }
}

/**
 * The items of `x` along axis 0, as `tf.unstack(x)`; on wasm each item is
 * copied once from the heap. Differentiable (the gradient stacks).
 *
 * Shapes: `x` `(n, ...rest)` to `n` tensors `(...rest)`.
 *
 * @example
 * ```ts
 * unstackRows(tf.tensor([[1, 2], [3, 4]])).map((t) => t.arraySync()); // [[1, 2], [3, 4]]
 * ```
 */
export function unstackRows(x: tf.Tensor): tf.Tensor[] {
  if (!fast() || x.rank < 1 || !["float32", "int32", "bool"].includes(x.dtype)) return tf.unstack(x);
  register();
  return tf.engine().runKernel(KERNEL, { x } as unknown as tf.NamedTensorMap, {}) as unknown as tf.Tensor[];
}

/**
 * `tf.stack(items)` along a new axis 0, whose gradient takes the items of
 * `dy` with {@link unstackRows} (tfjs's own stack gradient unstacks with the
 * quadratic Unpack kernel on wasm).
 *
 * Shapes: `n` tensors `(...rest)` of one shape to `(n, ...rest)`.
 *
 * @example
 * ```ts
 * stackRows([tf.tensor([1, 2]), tf.tensor([3, 4])]).shape; // [2, 2]
 * ```
 */
export function stackRows(items: tf.Tensor[]): tf.Tensor {
  if (!fast() || !isRecordingGradients()) return tf.stack(items);
  return opWithLazyGradients(
    items,
    () => tf.stack(items),
    (dy) => {
      // Taken once for all items (as tfjs's stack gradient does), handed out per item.
      const parts = unstackRows(dy);
      return parts.map((p) => () => p);
    }
  );
}
