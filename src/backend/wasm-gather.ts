/**
 * A fast `GatherV2` for the wasm backend. tfjs-backend-wasm 4.22's kernel
 * works out every output element's source index one element at a time,
 * about 70 ns an element: an `Embedding` lookup of 512 tokens of width 128
 * took 4.7 ms, 7% of a small Transformer LM's training step. This one copies
 * each gathered slice with one `copyWithin` (the same values, bit for bit, and the same
 * error for an index out of range).
 * @module
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { heapAddress, replaceWasmKernel, type WasmHeapBackend } from "./wasm-heap";

type Tf = typeof tfTypes;

/** A view of the whole wasm heap: 32-bit elements (float32, int32 as bits) or bytes (bool). */
type HeapArray = Int32Array | Uint8Array;

/** The gather's geometry, as tfjs's `collectGatherOpShapeInfo` gives it. */
export interface GatherGeometry {
  /** Leading dimensions shared by the table and the indices (`batchDims`). */
  batchSize: number;
  /** Table dimensions before the gathered axis (after the batch ones). */
  outerSize: number;
  /** Length of the gathered axis. */
  dimSize: number;
  /** Elements after the gathered axis: the block copied per index. */
  sliceSize: number;
}

/**
 * Gathers `indices` (checked by the caller) along the middle axis of a table
 * seen as (batch, outer, dim, slice), writing (batch, outer, indicesPerBatch,
 * slice). Table and output are element offsets into `heap`, one view of the
 * whole wasm memory with the tensors' element size: each slice is one
 * `copyWithin` (a memmove, with no view made per slice).
 *
 * Shapes: table (batchSize·outerSize·dimSize·sliceSize) at `x`; indices
 * (batchSize·indicesPerBatch); output (batchSize·outerSize·indicesPerBatch·sliceSize) at `out`.
 */
export function gatherSlices(heap: HeapArray, x: number, indices: Int32Array, out: number, g: GatherGeometry): void {
  const perBatch = g.batchSize > 0 ? indices.length / g.batchSize : 0;
  const S = g.sliceSize;
  let dst = out;
  for (let b = 0; b < g.batchSize; b++) {
    const idx = b * perBatch;
    for (let o = 0; o < g.outerSize; o++) {
      const rowBase = x + (b * g.outerSize + o) * g.dimSize * S;
      for (let j = 0; j < perBatch; j++, dst += S) {
        const src = rowBase + indices[idx + j] * S;
        if (S === 1) heap[dst] = heap[src];
        else heap.copyWithin(dst, src, src + S);
      }
    }
  }
}

type GatherArgs = {
  inputs: { x: tfTypes.TensorInfo; indices: tfTypes.TensorInfo };
  attrs: { axis: number; batchDims: number };
  backend: unknown;
};

function makeGatherV2(tf: Tf) {
  return function gatherV2(args: GatherArgs): tfTypes.TensorInfo {
    const { x, indices } = args.inputs;
    const backend = args.backend as WasmHeapBackend;
    const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0];
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as tfTypes.Tensor, indices as tfTypes.Tensor, axis, args.attrs.batchDims
    );
    const dimSize = x.shape[axis];
    const checked = backend.typedArrayFromHeap(indices) as unknown as Int32Array;
    for (let i = 0; i < checked.length; i++) {
      const index = checked[i];
      // tfjs-wasm's own message, so errors read the same with or without this kernel
      if (!(index <= dimSize - 1 && index >= 0)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dimSize - 1}]`);
    }
    const out = backend.makeOutput(info.outputShape, x.dtype);
    if (tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(info.outputShape) === 0) return out;
    // Views only now: making the output may have grown (and detached) the heap.
    const buffer = backend.typedArrayFromHeap(out).buffer;
    // 32-bit values are copied as bits (an Int32Array view); bool is one byte.
    const heap = x.dtype === "bool" ? new Uint8Array(buffer) : new Int32Array(buffer);
    const at = (t: tfTypes.TensorInfo) => heapAddress(backend, t) / heap.BYTES_PER_ELEMENT;
    const idx = backend.typedArrayFromHeap(indices) as unknown as Int32Array;
    gatherSlices(heap, at(x), idx, at(out), info);
    return out;
  };
}

/** The dtypes whose values lie in tfjs-wasm's heap (strings do not). */
const HEAP_DTYPES = new Set(["float32", "int32", "bool"]);

let installed = false;

/**
 * Switch for A/B benchmarks: `false` runs tfjs-wasm's own `GatherV2`
 * (benchmarks' plain-tfjs rows).
 *
 * @example
 * ```ts
 * fastGather.enabled = false;
 * ```
 */
export const fastGather = { enabled: true };

/**
 * Registers the block-copy `GatherV2` for tfjs-backend-wasm (once; a no-op
 * when the wasm backend is not loaded). Indices must be int32, as tfjs's
 * `gather` makes them; other indices, and string tables, go to tfjs-wasm's
 * own kernel.
 *
 * @example
 * ```ts
 * installFastGather(tf); // done by trax-ts at load
 * tf.gather(table, ids); // rows of `table`, copied as blocks
 * ```
 */
export function installFastGather(tf: Tf): void {
  if (installed) return;
  const gather = makeGatherV2(tf);
  const original = replaceWasmKernel(tf, "GatherV2", (args: GatherArgs) =>
    fastGather.enabled && args.inputs.indices.dtype === "int32" && HEAP_DTYPES.has(args.inputs.x.dtype) ? gather(args) : original!.kernelFunc(args as never)
  );
  installed = original !== undefined;
}
