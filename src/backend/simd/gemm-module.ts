/**
 * The SIMD matrix product of trax-ts's wasm kernels, written as a
 * WebAssembly module from TypeScript ({@link encodeModule}): B is packed
 * into panels of 8 columns interleaved along k (packing absorbs a
 * transposed B), then a 4x8 register tile accumulates over k with 128-bit
 * multiply-adds, reading A through strides (so a transposed A costs
 * nothing), and an epilogue adds a bias and applies ReLU.
 *
 * Exports (addresses are byte offsets into the imported memory):
 * - `pack_b(src, dst, K, N, kStride, nStride)`: `dst[q][k][c] = B[k, 8q + c]`
 *   with B's element (k, n) at `src + 4 (k kStride + n nStride)`; columns past
 *   N are zero. `dst` holds `8 ceil(N / 8) K` floats, 16-byte aligned.
 * - `gemm(a, aRowStride, aColStride, bp, c, M, N, K, bias, relu)`:
 *   `C = A B (+ bias) (ReLU)`, A's element (i, k) at `a + i aRowStride +
 *   k aColStride` (strides in bytes), `bp` B packed by `pack_b`, C row-major
 *   (M, N); `bias` is 0 for none, else the address of N floats padded with
 *   zeros to a multiple of 8 (16-byte aligned); `relu` 0 or 1.
 *
 * Each output is one sum over k in order from zero, in float32 multiply then
 * add (no fused multiply-add), then the bias is added: results are those of
 * a plain loop followed by a bias add, bit for bit.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";

/**
 * Rows of A per register tile: 4 rows of 8 columns is 8 accumulators, which
 * with B's two vectors and A's splat fits V8's x64 vector registers
 * (measured: 3, 5 and 6 rows, and unrolling k, were all slower).
 */
export const TILE_M = 4;
/** Columns of B per register tile. */
export const TILE_N = 8;

/** A new i32 local holding `value`. */
function constLocal(f: FunctionBuilder, value: number): Local {
  const l = f.local("i32");
  f.i32(value).set(l);
  return l;
}

/** `pack_b`: (src, dst, K, N, kStride, nStride). */
function packB(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32"]);
  const [src, dst, K, N, kStride, nStride] = [0, 1, 2, 3, 4, 5];
  const j0 = f.local("i32");
  const k = f.local("i32");
  const c = f.local("i32");
  const col = f.local("i32");
  const from = f.local("i32");
  const tile = constLocal(f, TILE_N);
  f.i32(0).set(j0);
  f.forLoop(j0, N, TILE_N, () => {
    f.i32(0).set(k);
    // A whole panel of contiguous columns: two vector copies per k.
    f.get(nStride).i32(1).op("i32.eq").get(j0).i32(TILE_N).op("i32.add").get(N).op("i32.le_s").op("i32.and");
    f.if(() => {
      f.get(src).get(j0).i32(2).op("i32.shl").op("i32.add").set(from);
      f.forLoop(k, K, 1, () => {
        f.get(dst).get(from).mem("v128.load").mem("v128.store");
        f.get(dst).get(from).mem("v128.load", 16).mem("v128.store", 16);
        f.addTo(dst, 4 * TILE_N);
        f.get(from).get(kStride).i32(2).op("i32.shl").op("i32.add").set(from);
      });
    }, () => {
      f.forLoop(k, K, 1, () => {
        f.i32(0).set(c);
        f.forLoop(c, tile, 1, () => {
          f.get(j0).get(c).op("i32.add").set(col);
          f.get(col).get(N).op("i32.lt_s");
          f.if(() => {
            f.get(dst).get(src).get(k).get(kStride).op("i32.mul").get(col).get(nStride).op("i32.mul").op("i32.add").i32(2).op("i32.shl").op("i32.add").mem("f32.load");
            f.mem("f32.store");
          }, () => {
            f.get(dst).f32(0).mem("f32.store");
          });
          f.addTo(dst, 4);
        });
      });
    });
  });
  return f;
}

/** `gemm`: (a, aRowStride, aColStride, bp, c, M, N, K, bias, relu); A's strides in bytes. */
function gemm(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [a, aRowStride, aColStride, bp, c, M, N, K, bias, relu] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const j0 = f.local("i32");
  const i0 = f.local("i32");
  const pb = f.local("i32");
  const panelB = f.local("i32");
  const kLeft = f.local("i32");
  const rows = f.local("i32");
  const cols = f.local("i32");
  const out = f.local("i32");
  const lastRow = f.local("i32");
  const pa: Local[] = [];
  for (let t = 0; t < TILE_M; t++) pa.push(f.local("i32"));
  const acc: Local[] = [];
  for (let t = 0; t < TILE_M * 2; t++) acc.push(f.local("v128"));
  const b0 = f.local("v128");
  const b1 = f.local("v128");
  const av = f.local("v128");
  const zero = f.local("v128");
  const bias0 = f.local("v128");
  const bias1 = f.local("v128");
  f.f32(0).op("f32x4.splat").set(zero);
  // lastRow = a + (M - 1) aRowStride: rows past M read the last row (their results are not stored).
  f.get(a).get(M).i32(1).op("i32.sub").get(aRowStride).op("i32.mul").op("i32.add").set(lastRow);
  f.get(bp).set(panelB);
  f.i32(0).set(j0);
  f.forLoop(j0, N, TILE_N, () => {
    // The bias of this panel's columns (zero without a bias).
    f.get(bias).op("i32.eqz");
    f.if(() => {
      f.get(zero).set(bias0).get(zero).set(bias1);
    }, () => {
      f.get(bias).get(j0).i32(2).op("i32.shl").op("i32.add").tee(out).mem("v128.load").set(bias0);
      f.get(out).mem("v128.load", 16).set(bias1);
    });
    f.i32(0).set(i0);
    f.forLoop(i0, M, TILE_M, () => {
      // Row pointers of this tile, clamped to the last row.
      f.get(a).get(i0).get(aRowStride).op("i32.mul").op("i32.add").set(pa[0]);
      for (let t = 1; t < TILE_M; t++) {
        f.get(pa[t - 1]).get(aRowStride).op("i32.add").tee(pa[t]).get(lastRow).op("i32.gt_s");
        f.if(() => {
          f.get(lastRow).set(pa[t]);
        });
      }
      for (const x of acc) f.get(zero).set(x);
      f.get(panelB).set(pb);
      f.get(K).set(kLeft);
      f.block(() =>
        f.loop(() => {
          f.get(kLeft).op("i32.eqz").brIf(1);
          f.get(pb).mem("v128.load").set(b0);
          f.get(pb).mem("v128.load", 16).set(b1);
          for (let row = 0; row < TILE_M; row++) {
            f.get(pa[row]).mem("v128.load32_splat").set(av);
            f.get(acc[2 * row]).get(av).get(b0).op("f32x4.mul").op("f32x4.add").set(acc[2 * row]);
            f.get(acc[2 * row + 1]).get(av).get(b1).op("f32x4.mul").op("f32x4.add").set(acc[2 * row + 1]);
            f.addTo(pa[row], aColStride, true);
          }
          f.addTo(pb, 4 * TILE_N).addTo(kLeft, -1).br(0);
        })
      );
      // The bias after the sum (as matMul then add rounds), then ReLU.
      f.get(bias);
      f.if(() => {
        for (let t = 0; t < acc.length; t++) f.get(acc[t]).get(t % 2 === 0 ? bias0 : bias1).op("f32x4.add").set(acc[t]);
      });
      f.get(relu);
      f.if(() => {
        for (const x of acc) f.get(x).get(zero).op("f32x4.max").set(x);
      });
      // out = c + 4 (i0 N + j0)
      f.get(c).get(i0).get(N).op("i32.mul").get(j0).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(out);
      f.get(M).get(i0).op("i32.sub").set(rows);
      f.get(N).get(j0).op("i32.sub").set(cols);
      f.get(rows).i32(TILE_M).op("i32.ge_s").get(cols).i32(TILE_N).op("i32.ge_s").op("i32.and");
      f.if(() => {
        for (let row = 0; row < TILE_M; row++) {
          f.get(out).get(acc[2 * row]).mem("v128.store");
          f.get(out).get(acc[2 * row + 1]).mem("v128.store", 16);
          if (row < TILE_M - 1) f.get(out).get(N).i32(2).op("i32.shl").op("i32.add").set(out);
        }
      }, () => {
        // An edge tile: store element by element, rows < rows, columns < cols.
        for (let row = 0; row < TILE_M; row++) {
          f.get(rows).i32(row).op("i32.gt_s");
          f.if(() => {
            for (let col = 0; col < TILE_N; col++) {
              f.get(cols).i32(col).op("i32.gt_s");
              f.if(() => {
                f.get(out).get(acc[2 * row + (col >> 2)]).extractLane(col & 3).mem("f32.store", 4 * col);
              });
            }
            f.get(out).get(N).i32(2).op("i32.shl").op("i32.add").set(out);
          });
        }
      });
    });
    f.get(panelB).get(K).i32(2 + 3).op("i32.shl").op("i32.add").set(panelB);
  });
  return f;
}

/**
 * The encoded module (see the module comment for its exports), importing a
 * shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * const bytes = gemmModuleBytes(false); // a module of pack_b and gemm
 * ```
 */
export function gemmModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "pack_b", fn: packB() },
      { name: "gemm", fn: gemm() },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated GEMM module (see the module comment).
 *
 * @example
 * ```ts
 * gemm.pack_b(bPtr, packed, k, n, n, 1);
 * gemm.gemm(aPtr, 4 * k, 4, packed, cPtr, m, n, k, 0, 0);
 * ```
 */
export interface GemmExports {
  pack_b(src: number, dst: number, k: number, n: number, kStride: number, nStride: number): void;
  gemm(a: number, aRowStride: number, aColStride: number, bp: number, c: number, m: number, n: number, k: number, bias: number, relu: number): void;
}

/** A WebAssembly memory (the project compiles without the DOM library's types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The parts of the WebAssembly API used to instantiate our modules. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

/** Whether `memory` is shared (the threaded build's heap). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Compiles the GEMM module for `memory` (a module that imports a shared
 * memory when `memory` is shared); worker threads instantiate the same
 * compiled module.
 *
 * @example
 * ```ts
 * const module = compileGemm(backend.wasm.asm.memory);
 * ```
 */
export function compileGemm(memory: WasmMemory): object {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return new api.Module(gemmModuleBytes(isSharedMemory(memory)));
}

/**
 * Instantiates the GEMM module over `memory` (tfjs-wasm's heap; shared on its
 * threaded build), compiling it unless `module` is given.
 *
 * @example
 * ```ts
 * const gemm = instantiateGemm(backend.wasm.asm.memory);
 * ```
 */
export function instantiateGemm(memory: WasmMemory, module: object = compileGemm(memory)): GemmExports {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return new api.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
}
