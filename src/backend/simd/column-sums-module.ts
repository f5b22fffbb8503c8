/**
 * Column sums of a row-major float32 matrix as a WebAssembly SIMD loop,
 * generated from TypeScript ({@link encodeModule}): the `Sum` over leading
 * axes that every bias gradient and every broadcast gradient takes.
 * tfjs-backend-wasm 4.22 transposes the input to put those axes last and
 * then sums each row (about 5 ns an element, most of it the transpose);
 * this adds the rows into the output, four columns a vector.
 *
 * Each column's sum is taken over the rows in order from zero, one float32
 * add at a time, as tfjs-wasm's own sum loop does: the results are its
 * results, bit for bit.
 *
 * Export: `column_sums(src, dst, R, C)`: `dst[j] = Σ_i src[i C + j]` for an
 * R x C matrix at byte address `src`, C float32s at `dst` (not overlapping
 * `src`).
 * @module
 */
import { encodeModule, FunctionBuilder } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** Vectors (4 columns each) per iteration along a row. */
const UNROLL = 4;

function columnSums(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32"]);
  const [src, dst, R, C] = [0, 1, 2, 3];
  // Offsets in bytes from 0 (counters compare signed: addresses past 2 GiB would not)
  const [i, j, at, from, endBytes] = f.locals("i32", 5);
  f.get(C).i32(2).op("i32.shl").set(endBytes);
  // dst = 0
  f.i32(0).set(j);
  f.forLoop(j, endBytes, 4, () => void f.get(dst).get(j).op("i32.add").f32(0).mem("f32.store"));
  f.i32(0).set(i);
  f.forLoop(i, R, 1, () => {
    f.i32(0).set(j);
    /** `dst += row` for `lanes` floats (4: vectors, 1: a scalar), `vectors` of them an iteration. */
    const columns = (lanes: number, vectors: number) =>
      f.forLoop(j, endBytes, 4 * lanes * vectors, () => {
        f.get(dst).get(j).op("i32.add").set(at);
        f.get(src).get(j).op("i32.add").set(from);
        for (let v = 0; v < vectors; v++) {
          if (lanes === 4) f.get(at).get(at).mem("v128.load", 16 * v).get(from).mem("v128.load", 16 * v).op("f32x4.add").mem("v128.store", 16 * v);
          else f.get(at).get(at).mem("f32.load").get(from).mem("f32.load").op("f32.add").mem("f32.store");
        }
      }, true);
    columns(4, UNROLL);
    columns(4, 1);
    columns(1, 1);
    f.get(src).get(endBytes).op("i32.add").set(src);
  });
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(columnSumsModuleBytes(false)); // exports column_sums
 * ```
 */
export function columnSumsModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: "column_sums", fn: columnSums() }], sharedMemory);
}

/**
 * The exports of an instantiated column-sums module.
 *
 * @example
 * ```ts
 * mod.column_sums(srcPtr, dstPtr, rows, cols); // dst[j] = sum over rows of src[i, j]
 * ```
 */
export interface ColumnSumsExports {
  column_sums(src: number, dst: number, rows: number, cols: number): void;
}

/**
 * Instantiates the column-sums module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { column_sums } = instantiateColumnSums(backend.wasm.asm.memory);
 * ```
 */
export function instantiateColumnSums(memory: WasmMemory): ColumnSumsExports {
  return instantiateModule(memory, columnSumsModuleBytes) as unknown as ColumnSumsExports;
}
