/**
 * `x + table[start : start + length]` as one wasm kernel, `TraxAddRows`:
 * the positional encodings of a call, added where the tfjs path runs four
 * kernels (a range of row numbers, a gather of those rows, a reshape and
 * the add), each with its bookkeeping; in a predict-mode decoding step, at
 * every token. The same float32 sums as tfjs's `add`.
 * @module
 */
import { tf } from "./tf";
import { heapAddress, registersOnce, type WasmHeapBackend } from "./wasm-heap";
import { isRecordingGradients } from "../fastmath/lazy-grad";

/**
 * Switch for tests and A/B benchmarks: `false` adds the rows with tfjs ops.
 * Starts `false` when the environment sets `TRAX_SIMD=0`, as trax-ts's other kernels.
 *
 * @example
 * ```ts
 * wasmAddRows.enabled = false;
 * ```
 */
export const wasmAddRows = { enabled: process.env.TRAX_SIMD !== "0" };

type Info = tf.TensorInfo;

interface HeapBackend extends WasmHeapBackend {
  wasm: { HEAPF32: Float32Array };
}

function addRowsKernel({ inputs, backend, attrs }: { inputs: { x: Info; table: Info }; backend: unknown; attrs: { start: number } }): Info {
  const { x, table } = inputs;
  const b = backend as HeapBackend;
  const [batch, length, d] = x.shape;
  const out = b.makeOutput(x.shape, "float32");
  // Views only now: making the output may have grown (and detached) the heap.
  const heap = b.wasm.HEAPF32;
  const [xAt, outAt] = [heapAddress(b, x) >>> 2, heapAddress(b, out) >>> 2];
  const rowsAt = (heapAddress(b, table) >>> 2) + attrs.start * d;
  const perItem = length * d;
  for (let item = 0; item < batch; item++) {
    const [src, dst] = [xAt + item * perItem, outAt + item * perItem];
    for (let i = 0; i < perItem; i++) heap[dst + i] = heap[src + i] + heap[rowsAt + i];
  }
  return out;
}

const register = registersOnce(tf, "TraxAddRows", addRowsKernel);

/**
 * `x + table[start : start + length]` (the rows broadcast over the batch) as
 * one kernel, or `null` where it does not run: a backend other than wasm,
 * a dtype other than float32, a gradient being recorded (the tfjs ops
 * carry it to the table), or the switch off.
 *
 * Shapes: `x` `(batch, length, d)`, `table` `(n, d)` with `start + length <= n`; output as `x`.
 *
 * @example
 * ```ts
 * const y = addRows(x, encodings, position) ?? x.add(rowsOf(encodings, position, 1).reshape([1, 1, d]));
 * ```
 */
export function addRows(x: tf.Tensor, table: tf.Tensor, start: number): tf.Tensor | null {
  if (!wasmAddRows.enabled || tf.getBackend() !== "wasm" || x.dtype !== "float32" || table.dtype !== "float32") return null;
  if (x.rank !== 3 || table.rank !== 2 || x.shape[2] !== table.shape[1]) return null;
  if (!Number.isInteger(start) || start < 0 || start + (x.shape[1] as number) > (table.shape[0] as number)) return null;
  if (isRecordingGradients()) return null;
  register();
  return tf.engine().runKernel("TraxAddRows", { x, table }, { start } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
