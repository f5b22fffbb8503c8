/**
 * Column and row sums of a row-major float32 matrix as WebAssembly loops,
 * generated from TypeScript ({@link encodeModule}).
 *
 * - Column sums are the `Sum` over leading axes that every bias gradient and
 *   every broadcast gradient takes. tfjs-backend-wasm 4.22 transposes the
 *   input to put those axes last and then sums each row (about 5 ns an
 *   element, most of it the transpose); this adds the rows into the output,
 *   four columns a vector.
 * - Row sums are the `Sum` over trailing axes (a cross-entropy's sum over
 *   the vocabulary). tfjs-wasm sums a row at a time, each add waiting for
 *   the last (1.3-2.3 ns an element); this sums four rows side by side, so
 *   four adds are in flight (0.4 ns an element).
 *
 * Every sum is taken in order from zero, one float32 add at a time, as
 * tfjs-wasm's own sum loop does: the results are its results, bit for bit.
 *
 * Exports (byte addresses; outputs do not overlap `src`):
 * - `column_sums(src, dst, R, C)`: `dst[j] = Σ_i src[i C + j]`, C floats.
 * - `row_sums(src, dst, R, C)`: `dst[i] = Σ_j src[i C + j]`, R floats.
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

/** Rows summed side by side in `row_sums` (measured: 4 rows 0.4 ns an element, 8 rows 0.7-1.1). */
const ROWS_AT_ONCE = 4;

function rowSums(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32"]);
  const [src, dst, R, C] = [0, 1, 2, 3];
  const [r, k, rowBytes] = f.locals("i32", 3);
  const rows = f.locals("i32", ROWS_AT_ONCE); // each row's next element
  const sums = f.locals("f32", ROWS_AT_ONCE);
  f.get(C).i32(2).op("i32.shl").set(rowBytes);
  /** Sums `n` rows starting at `src` into `dst`, then moves both past them. */
  const block = (n: number) => {
    for (let j = 0; j < n; j++) {
      f.f32(0).set(sums[j]);
      if (j === 0) f.get(src).set(rows[0]);
      else f.get(rows[j - 1]).get(rowBytes).op("i32.add").set(rows[j]);
    }
    f.i32(0).set(k);
    f.forLoop(k, C, 1, () => {
      for (let j = 0; j < n; j++) f.get(sums[j]).get(rows[j]).mem("f32.load").op("f32.add").set(sums[j]).addTo(rows[j], 4);
    });
    for (let j = 0; j < n; j++) f.get(dst).get(sums[j]).mem("f32.store", 4 * j);
    f.addTo(dst, 4 * n);
    f.get(src).get(rowBytes).i32(n).op("i32.mul").op("i32.add").set(src);
  };
  f.i32(0).set(r);
  f.forLoop(r, R, ROWS_AT_ONCE, () => block(ROWS_AT_ONCE), true);
  f.forLoop(r, R, 1, () => block(1));
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(sumsModuleBytes(false)); // exports column_sums and row_sums
 * ```
 */
export function sumsModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "column_sums", fn: columnSums() },
      { name: "row_sums", fn: rowSums() },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated sums module.
 *
 * @example
 * ```ts
 * mod.column_sums(srcPtr, dstPtr, rows, cols); // dst[j] = sum over rows of src[i, j]
 * ```
 */
export interface SumsExports {
  column_sums(src: number, dst: number, rows: number, cols: number): void;
  row_sums(src: number, dst: number, rows: number, cols: number): void;
}

/**
 * Instantiates the sums module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { column_sums } = instantiateSums(backend.wasm.asm.memory);
 * ```
 */
export function instantiateSums(memory: WasmMemory): SumsExports {
  return instantiateModule(memory, sumsModuleBytes) as unknown as SumsExports;
}
