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
 *   multiple of 4. Each row's products are summed in one 4-lane
 *   accumulator, then lane by lane; four rows at a time, so that their
 *   sums' additions overlap.
 * @module
 */
import { encodeModule, FunctionBuilder } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** Rows of `k` whose dot products run side by side (independent sums overlap their latencies). */
const ROWS_AT_ONCE = 4;

function dots(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "f32"]);
  const [q, k, out, rows, d, scale] = [0, 1, 2, 3, 4, 5];
  const [row, kb, dBytes, kRow] = f.locals("i32", 4);
  const qv = f.local("v128");
  const accs = f.locals("v128", ROWS_AT_ONCE);
  /** Dot products of `m` rows from `kRow` on, each summed in one 4-lane accumulator, then lane by lane. */
  const block = (m: number): void => {
    for (let j = 0; j < m; j++) f.f32x4(0).set(accs[j]);
    f.i32(0).set(kb);
    f.forLoop(kb, dBytes, 16, () => {
      f.get(q).get(kb).op("i32.add").mem("v128.load").set(qv);
      for (let j = 0; j < m; j++) {
        // row j of the block at kRow + j d floats
        f.get(accs[j]).get(qv).get(kRow).get(kb).op("i32.add");
        if (j > 0) f.get(dBytes).i32(j).op("i32.mul").op("i32.add");
        f.mem("v128.load").op("f32x4.mul").op("f32x4.add").set(accs[j]);
      }
    });
    for (let j = 0; j < m; j++) {
      // out[row + j] = scale (acc lanes 0 + 1 + 2 + 3)
      f.get(out).get(row).i32(j).op("i32.add").i32(2).op("i32.shl").op("i32.add");
      f.get(accs[j]).extractLane(0).get(accs[j]).extractLane(1).op("f32.add").get(accs[j]).extractLane(2).op("f32.add").get(accs[j]).extractLane(3).op("f32.add");
      f.get(scale).op("f32.mul").mem("f32.store");
    }
    f.get(kRow).get(dBytes).i32(m).op("i32.mul").op("i32.add").set(kRow);
  };
  f.get(d).i32(2).op("i32.shl").set(dBytes);
  f.get(k).set(kRow);
  f.i32(0).set(row);
  f.forLoop(row, rows, ROWS_AT_ONCE, () => block(ROWS_AT_ONCE), true);
  f.forLoop(row, rows, 1, () => block(1));
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
