/**
 * Dot products of one vector with each row of a matrix, as a WebAssembly
 * SIMD function (written with {@link encodeModule}): the logits of a
 * decoding step's single query against its cached keys, where a matrix
 * product would pack the keys first and fill four of a five-row tile with
 * zeros.
 *
 * Export (addresses are byte offsets into the imported memory):
 * - `dots(q, k, out, rows, d, scale)`: `out[j] = scale (q . k[j])` for
 *   `rows` rows `k[j]` of `d` floats each, stored one after another; `d` a
 *   multiple of 4. Each row's products are summed in two 4-lane
 *   accumulators (elements 8i..8i+3 and 8i+4..8i+7), then lane by lane.
 * @module
 */
import { encodeModule, FunctionBuilder } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

function dots(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "f32"]);
  const [q, k, out, rows, d, scale] = [0, 1, 2, 3, 4, 5];
  const [row, kb, dBytes, kRow] = f.locals("i32", 4);
  const [acc0, acc1] = f.locals("v128", 2);
  /** `acc += q[kb + offset] * k[row][kb + offset]` (4 lanes). */
  const step = (acc: typeof acc0, offset: number): void =>
    void f.get(acc).get(q).get(kb).op("i32.add").mem("v128.load", offset).get(kRow).get(kb).op("i32.add").mem("v128.load", offset).op("f32x4.mul").op("f32x4.add").set(acc);
  f.get(d).i32(2).op("i32.shl").set(dBytes);
  f.get(k).set(kRow);
  f.i32(0).set(row);
  f.forLoop(row, rows, 1, () => {
    f.f32x4(0).set(acc0).f32x4(0).set(acc1);
    f.i32(0).set(kb);
    f.forLoop(kb, dBytes, 32, () => {
      step(acc0, 0);
      step(acc1, 16);
    }, true);
    f.forLoop(kb, dBytes, 16, () => step(acc0, 0));
    // out[row] = scale ((acc0 + acc1) summed over lanes 0..3)
    f.get(out).get(row).i32(2).op("i32.shl").op("i32.add");
    f.get(acc0).get(acc1).op("f32x4.add").set(acc0);
    f.get(acc0).extractLane(0).get(acc0).extractLane(1).op("f32.add").get(acc0).extractLane(2).op("f32.add").get(acc0).extractLane(3).op("f32.add");
    f.get(scale).op("f32.mul").mem("f32.store");
    f.get(kRow).get(dBytes).op("i32.add").set(kRow);
  });
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(dotsModuleBytes(false)); // exports dots
 * ```
 */
export function dotsModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: "dots", fn: dots() }], sharedMemory);
}

/**
 * The exports of an instantiated dots module.
 *
 * @example
 * ```ts
 * mod.dots(qPtr, keysPtr, logitsPtr, t, 64, 1 / 8); // logits[j] = (q . keys[j]) / 8
 * ```
 */
export interface DotsExports {
  dots(q: number, k: number, out: number, rows: number, d: number, scale: number): void;
}

/**
 * Instantiates the dots module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { dots } = instantiateDots(backend.wasm.asm.memory);
 * ```
 */
export function instantiateDots(memory: WasmMemory): DotsExports {
  return instantiateModule(memory, dotsModuleBytes) as unknown as DotsExports;
}
