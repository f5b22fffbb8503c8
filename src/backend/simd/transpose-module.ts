/**
 * Transposes that keep the last axis in place, as one WebAssembly function
 * (written with {@link encodeModule}): each output row (the last axis, a
 * contiguous run in both tensors) is copied whole, 16 bytes at a time, from
 * where the permutation puts it. tfjs-wasm's `Transpose` moves one element
 * at a time (1.7 ns an element for an attention head split); the head split
 * and merge of every attention layer keep the last axis.
 *
 * Export: `copy_rows(src, dst, n0, n1, n2, s0, s1, s2, rowBytes)`: for each
 * output index `(i0, i1, i2)` in order, copies `rowBytes` bytes from
 * `src + i0 s0 + i1 s1 + i2 s2` to the next `rowBytes` of `dst` (strides in
 * bytes; `rowBytes` a multiple of 4, 16-byte steps then 4-byte ones).
 * @module
 */
import { encodeModule, FunctionBuilder } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

function copyRows(): FunctionBuilder {
  const f = new FunctionBuilder(new Array(9).fill("i32"));
  const [src, dst, n0, n1, n2, s0, s1, s2, rowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i0, i1, i2, at0, at1, from, b, whole] = f.locals("i32", 8);
  f.get(rowBytes).i32(-16).op("i32.and").set(whole);
  f.i32(0).set(i0);
  f.forLoop(i0, n0, 1, () => {
    f.get(src).get(i0).get(s0).op("i32.mul").op("i32.add").set(at0);
    f.i32(0).set(i1);
    f.forLoop(i1, n1, 1, () => {
      f.get(at0).get(i1).get(s1).op("i32.mul").op("i32.add").set(at1);
      f.i32(0).set(i2);
      f.forLoop(i2, n2, 1, () => {
        f.get(at1).get(i2).get(s2).op("i32.mul").op("i32.add").set(from);
        f.i32(0).set(b);
        f.forLoop(b, whole, 16, () => {
          f.get(dst).get(b).op("i32.add").get(from).get(b).op("i32.add").mem("v128.load").mem("v128.store");
        }, true);
        f.forLoop(b, rowBytes, 4, () => {
          f.get(dst).get(b).op("i32.add").get(from).get(b).op("i32.add").mem("i32.load").mem("i32.store");
        });
        f.addTo(dst, rowBytes, true);
      });
    });
  });
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(transposeModuleBytes(false)); // exports copy_rows
 * ```
 */
export function transposeModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: "copy_rows", fn: copyRows() }], sharedMemory);
}

/**
 * The exports of an instantiated transpose module (see the module comment).
 *
 * @example
 * ```ts
 * mod.copy_rows(src, dst, 1, 4, 5, 0, 32, 128, 32); // (5, 4, 8) float32 to (4, 5, 8)
 * ```
 */
export interface TransposeExports {
  copy_rows(src: number, dst: number, n0: number, n1: number, n2: number, s0: number, s1: number, s2: number, rowBytes: number): void;
}

/**
 * Instantiates the transpose module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * instantiateTranspose(backend.wasm.asm.memory).copy_rows(src, dst, 2, 3, 4, 48, 16, 96, 16);
 * ```
 */
export function instantiateTranspose(memory: WasmMemory): TransposeExports {
  return instantiateModule(memory, transposeModuleBytes) as unknown as TransposeExports;
}
