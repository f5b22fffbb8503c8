/**
 * The SIMD matrix product of trax-ts's wasm kernels, written as a
 * WebAssembly module from TypeScript ({@link encodeModule}): B is packed
 * into panels of 8 columns interleaved along k (packing absorbs a
 * transposed B), then a 4x8 register tile accumulates over k with 128-bit
 * multiply-adds, reading A through strides (a transposed A as it is, or,
 * when its columns lie far apart, copied into panels of 4 rows first), and
 * an epilogue adds a bias and applies ReLU.
 *
 * Exports (addresses are byte offsets into the imported memory):
 * - `pack_b(src, dst, K, N, kStride, nStride)`: `dst[q][k][c] = B[k, 8q + c]`
 *   with B's element (k, n) at `src + 4 (k kStride + n nStride)`; columns past
 *   N are zero. `dst` holds `8 ceil(N / 8) K` floats, 16-byte aligned.
 * - `pack_a_t(src, dst, M, K, ld)`: a transposed A (element (i, k) at
 *   `src + 4 (k ld + i)`) copied into panels of 4 rows, 16 bytes a step.
 * - `gemm(a, aRowStride, aColStride, b, bkStride, bPanelStride, c, ldc, M,
 *   N, K, bias, relu, aRowStep)`: `C = A B (+ bias) (ReLU)`, A's element
 *   (i, k) at `a + i aRowStride + k aColStride` (A packed by `pack_a_t`:
 *   `a + (i - i mod 4) 4K + (i mod 4) 4 + 16 k`, so aRowStride `4 K`,
 *   aColStride `16`, and aRowStep, the step between a tile's rows, `4`;
 *   otherwise aRowStep is aRowStride); B's panel q (columns 8q .. 8q + 7) at
 *   `b + q bPanelStride`, its 8 values for step k at `+ k bkStride` (strides
 *   in bytes: `32` and `32 K` for B packed by `pack_b`; `4 N` and `32` for a
 *   row-major B read in place, whole panels only); C's row i at `c + 4 i ldc`;
 *   `bias` is 0 for none, else the address of N floats padded with zeros to
 *   a multiple of 8 (16-byte aligned); `relu` 0 or 1.
 *
 * Each output is one sum over k in order from zero, then the bias is added.
 * In float32 multiply then add ({@link gemmModuleBytes}), results are those
 * of a plain loop followed by a bias add, bit for bit (tfjs-wasm's products,
 * XNNPACK's included, round the same way); with fused multiply-adds
 * ({@link gemmFmaModuleBytes}, relaxed SIMD) each step rounds once.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/**
 * Rows of A per register tile: 4 rows of 8 columns is 8 accumulators, which
 * with B's two vectors and A's splat fits V8's x64 vector registers
 * (measured: 3, 5 and 6 rows, and unrolling k, were all slower).
 */
export const TILE_M = 4;
/** Columns of B per register tile. */
export const TILE_N = 8;

/**
 * Writes `acc + x y` (v128 locals) onto the stack: `f32x4.relaxed_madd`
 * (one rounding) when `fma`, else a multiply then an add.
 */
function multiplyAdd(f: FunctionBuilder, fma: boolean, acc: Local, x: Local, y: Local): FunctionBuilder {
  return fma ? f.get(x).get(y).get(acc).op("f32x4.relaxed_madd") : f.get(acc).get(x).get(y).op("f32x4.mul").op("f32x4.add");
}

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
  const [j0, k, c, col, from] = f.locals("i32", 5);
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

/**
 * `pack_a_t`: (src, dst, M, K, ld) for a transposed A, A's element (i, k) at
 * `src + 4 (k ld + i)`: copies it into panels of 4 rows, panel p's 4 values
 * for step k at `dst + 16 (p K + k)` (one vector copy each; the rows past M
 * of the last panel are zero). `gemm` then reads A with aRowStride `4 K`,
 * aColStride `16` and aRowStep `4`: each step's 4 values in one place, where
 * the transposed A itself has them `4 ld` bytes from the last step's.
 */
function packAT(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32"]);
  const [src, dst, M, K, ld] = [0, 1, 2, 3, 4];
  const [i0, k, from] = f.locals("i32", 3);
  const ldBytes = f.local("i32");
  f.get(ld).i32(2).op("i32.shl").set(ldBytes);
  f.i32(0).set(i0);
  // Whole panels: a vector per step.
  f.forLoop(i0, M, 4, () => {
    f.get(src).get(i0).i32(2).op("i32.shl").op("i32.add").set(from);
    f.i32(0).set(k);
    f.forLoop(k, K, 1, () => {
      f.get(dst).get(from).mem("v128.load").mem("v128.store");
      f.addTo(dst, 16).addTo(from, ldBytes, true);
    });
  }, true);
  // The last panel's 1-3 rows, one value at a time, zeros after them.
  f.get(i0).get(M).op("i32.lt_s");
  f.if(() => {
    f.get(src).get(i0).i32(2).op("i32.shl").op("i32.add").set(from);
    f.i32(0).set(k);
    f.forLoop(k, K, 1, () => {
      for (let row = 0; row < 4; row++) {
        f.get(i0).i32(row).op("i32.add").get(M).op("i32.lt_s");
        f.if(() => void f.get(dst).get(from).mem("f32.load", 4 * row).mem("f32.store", 4 * row), () => void f.get(dst).f32(0).mem("f32.store", 4 * row));
      }
      f.addTo(dst, 16).addTo(from, ldBytes, true);
    });
  });
  return f;
}

/** The number of `gemm`'s arguments. */
export const GEMM_ARGS = 14;

/** `gemm`: (a, aRowStride, aColStride, b, bkStride, bPanelStride, c, ldc, M, N, K, bias, relu, aRowStep); strides of A and B in bytes. */
function gemm(fma: boolean): FunctionBuilder {
  const f = new FunctionBuilder(new Array(GEMM_ARGS).fill("i32"));
  const [a, aRowStride, aColStride, bp, bkStride, bPanelStride, c, ldc, M, N, K, bias, relu, aRowStep] = Array.from({ length: GEMM_ARGS }, (_, i) => i);
  const [j0, i0, pb, panelB, kLeft, rows, cols, out] = f.locals("i32", 8);
  const pa = f.locals("i32", TILE_M); // A's row pointers
  const acc = f.locals("v128", 2 * TILE_M); // row r: acc[2r] columns 0-3, acc[2r + 1] columns 4-7
  const [b0, b1, av, zero, bias0, bias1] = f.locals("v128", 6);
  /** The register tile of rows `i0 .. i0 + mr` and the panel's 8 columns: sum over k, bias, ReLU, store. */
  const tile = (mr: number): void => {
    f.get(a).get(i0).get(aRowStride).op("i32.mul").op("i32.add").set(pa[0]);
    for (let t = 1; t < mr; t++) f.get(pa[t - 1]).get(aRowStep).op("i32.add").set(pa[t]);
    const used = acc.slice(0, 2 * mr);
    for (const x of used) f.get(zero).set(x);
    f.get(panelB).set(pb);
    f.get(K).set(kLeft);
    f.block(() =>
      f.loop(() => {
        f.get(kLeft).op("i32.eqz").brIf(1);
        f.get(pb).mem("v128.load").set(b0);
        f.get(pb).mem("v128.load", 16).set(b1);
        for (let row = 0; row < mr; row++) {
          f.get(pa[row]).mem("v128.load32_splat").set(av);
          multiplyAdd(f, fma, acc[2 * row], av, b0).set(acc[2 * row]);
          multiplyAdd(f, fma, acc[2 * row + 1], av, b1).set(acc[2 * row + 1]);
          f.addTo(pa[row], aColStride, true);
        }
        f.addTo(pb, bkStride, true).addTo(kLeft, -1).br(0);
      })
    );
    // The bias after the sum (as matMul then add rounds), then ReLU.
    f.get(bias);
    f.if(() => {
      for (let t = 0; t < used.length; t++) f.get(used[t]).get(t % 2 === 0 ? bias0 : bias1).op("f32x4.add").set(used[t]);
    });
    f.get(relu);
    f.if(() => {
      for (const x of used) f.get(x).get(zero).op("f32x4.max").set(x);
    });
    // out = c + 4 (i0 ldc + j0); whole rows of 8 as vectors, a panel's last columns one by one.
    f.get(c).get(i0).get(ldc).op("i32.mul").get(j0).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(out);
    f.get(N).get(j0).op("i32.sub").set(cols);
    f.get(cols).i32(TILE_N).op("i32.ge_s");
    f.if(() => {
      for (let row = 0; row < mr; row++) {
        f.get(out).get(acc[2 * row]).mem("v128.store");
        f.get(out).get(acc[2 * row + 1]).mem("v128.store", 16);
        if (row < mr - 1) f.get(out).get(ldc).i32(2).op("i32.shl").op("i32.add").set(out);
      }
    }, () => {
      for (let row = 0; row < mr; row++) {
        for (let col = 0; col < TILE_N; col++) {
          f.get(cols).i32(col).op("i32.gt_s");
          f.if(() => {
            f.get(out).get(acc[2 * row + (col >> 2)]).extractLane(col & 3).mem("f32.store", 4 * col);
          });
        }
        if (row < mr - 1) f.get(out).get(ldc).i32(2).op("i32.shl").op("i32.add").set(out);
      }
    });
  };
  f.f32(0).op("f32x4.splat").set(zero);
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
      // A whole tile of 4 rows, else the 1-3 rows left (a single-row product computes one row).
      f.get(M).get(i0).op("i32.sub").set(rows);
      f.get(rows).i32(TILE_M).op("i32.ge_s");
      f.if(() => tile(TILE_M), () => {
        f.get(rows).i32(3).op("i32.eq");
        f.if(() => tile(3), () => {
          f.get(rows).i32(2).op("i32.eq");
          f.if(() => tile(2), () => tile(1));
        });
      });
    });
    f.addTo(panelB, bPanelStride, true);
  });
  return f;
}

/** The number of `gemv` functions' arguments. */
export const GEMV_ARGS = 11;

/**
 * `gemv<mr>`: (a, aRowStride, aColStride, b, ldb, c, ldc, N, K, bias, relu)
 * for `mr` rows of A and a row-major B read in place, row by row (k outer:
 * each step adds `A[:, k] B[k, :]` to C's rows, kept in cache, a few steps
 * per load and store of C), so B streams through once; strides in bytes.
 * The same sums in the same order as `gemm`.
 */
function gemv(mr: number, fma: boolean): FunctionBuilder {
  const f = new FunctionBuilder(new Array(GEMV_ARGS).fill("i32"));
  const [a, aRowStride, aColStride, b, ldb, c, ldc, N, K, bias, relu] = Array.from({ length: GEMV_ARGS }, (_, i) => i);
  const [k, jo, bRow, whole, end, at] = f.locals("i32", 6);
  const pa = f.locals("i32", mr);
  const cRow = f.locals("i32", mr);
  const [b0, b1] = f.locals("v128", 2);
  for (let r = 0; r < mr; r++) {
    if (r === 0) f.get(a).set(pa[0]).get(c).set(cRow[0]);
    else f.get(pa[r - 1]).get(aRowStride).op("i32.add").set(pa[r]).get(cRow[r - 1]).get(ldc).i32(2).op("i32.shl").op("i32.add").set(cRow[r]);
  }
  // end = 4 N; whole = 4 (N - N % 8): the byte offsets of the columns done 8 at a time.
  f.get(N).i32(2).op("i32.shl").set(end);
  f.get(N).i32(-8).op("i32.and").i32(2).op("i32.shl").set(whole);
  /** For each offset `jo` in [from, to) by `step` bytes, `body()`. */
  const columns = (from: number | Local, to: Local, step: number, body: () => void, fromLocal = false): void => {
    if (fromLocal) f.get(from).set(jo);
    else f.i32(from).set(jo);
    f.forLoop(jo, to, step, body);
  };
  // C's rows start at zero.
  for (let r = 0; r < mr; r++) columns(0, end, 4, () => void f.get(cRow[r]).get(jo).op("i32.add").f32(0).mem("f32.store"));
  /**
   * `u` steps of k at once: each 8-column block of C's rows is loaded once,
   * takes the `u` steps' products in order in registers, and is stored once.
   */
  const steps = (u: number, av: Local[][], cv: Local[][], bAt: Local[]): void => {
    for (let t = 0; t < u; t++) {
      for (let r = 0; r < mr; r++) f.get(pa[r]).mem("v128.load32_splat").set(av[t][r]).addTo(pa[r], aColStride, true);
      if (t === 0) f.get(bRow).set(bAt[0]);
      else f.get(bAt[t - 1]).get(ldb).op("i32.add").set(bAt[t]);
    }
    columns(0, whole, 32, () => {
      for (let r = 0; r < mr; r++) {
        f.get(cRow[r]).get(jo).op("i32.add").tee(at).mem("v128.load").set(cv[r][0]);
        f.get(at).mem("v128.load", 16).set(cv[r][1]);
      }
      for (let t = 0; t < u; t++) {
        f.get(bAt[t]).get(jo).op("i32.add").tee(at).mem("v128.load").set(b0);
        f.get(at).mem("v128.load", 16).set(b1);
        for (let r = 0; r < mr; r++) {
          multiplyAdd(f, fma, cv[r][0], av[t][r], b0).set(cv[r][0]);
          multiplyAdd(f, fma, cv[r][1], av[t][r], b1).set(cv[r][1]);
        }
      }
      for (let r = 0; r < mr; r++) {
        f.get(cRow[r]).get(jo).op("i32.add").tee(at).get(cv[r][0]).mem("v128.store");
        f.get(at).get(cv[r][1]).mem("v128.store", 16);
      }
    });
    columns(whole, end, 4, () => {
      for (let r = 0; r < mr; r++) {
        for (let t = 0; t < u; t++) {
          f.get(cRow[r]).get(jo).op("i32.add").set(at);
          if (fma) {
            // no scalar fused multiply-add in WebAssembly: lane 0 of a vector one
            f.get(at).get(av[t][r]).get(bAt[t]).get(jo).op("i32.add").mem("v128.load32_splat").get(at).mem("v128.load32_splat");
            f.op("f32x4.relaxed_madd").extractLane(0).mem("f32.store");
          } else {
            f.get(at).get(at).mem("f32.load").get(av[t][r]).extractLane(0).get(bAt[t]).get(jo).op("i32.add").mem("f32.load").op("f32.mul").op("f32.add").mem("f32.store");
          }
        }
      }
    }, true);
    f.get(bAt[u - 1]).get(ldb).op("i32.add").set(bRow);
  };
  // Four steps at a time for one or two rows (registers allow), two for three or four; then one by one.
  const unroll = mr <= 2 ? 4 : 2;
  const avs = Array.from({ length: unroll }, () => f.locals("v128", mr));
  const cvs = Array.from({ length: mr }, () => f.locals("v128", 2));
  const bAt = f.locals("i32", unroll);
  f.get(b).set(bRow);
  f.i32(0).set(k);
  f.forLoop(k, K, unroll, () => steps(unroll, avs, cvs, bAt), true);
  f.forLoop(k, K, 1, () => steps(1, avs, cvs, bAt));
  // The bias after the sums, then ReLU.
  for (let r = 0; r < mr; r++) {
    columns(0, end, 4, () => {
      f.get(cRow[r]).get(jo).op("i32.add").set(at);
      f.get(bias);
      f.if(() => {
        f.get(at).get(at).mem("f32.load").get(bias).get(jo).op("i32.add").mem("f32.load").op("f32.add").mem("f32.store");
      });
      f.get(relu);
      f.if(() => {
        f.get(at).get(at).mem("f32.load").f32(0).op("f32.max").mem("f32.store");
      });
    });
  }
  return f;
}

function gemmModule(sharedMemory: boolean, fma: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "pack_b", fn: packB() },
      { name: "pack_a_t", fn: packAT() },
      { name: "gemm", fn: gemm(fma) },
      ...[1, 2, 3, 4].map((mr) => ({ name: `gemv${mr}`, fn: gemv(mr, fma) })),
    ],
    sharedMemory
  );
}

/**
 * The encoded module (see the module comment for its exports), importing a
 * shared memory when `sharedMemory`: separate multiplies and adds.
 *
 * @example
 * ```ts
 * const bytes = gemmModuleBytes(false); // a module of pack_b, gemm and gemv1-4
 * ```
 */
export function gemmModuleBytes(sharedMemory: boolean): Uint8Array {
  return gemmModule(sharedMemory, false);
}

/**
 * {@link gemmModuleBytes} with fused multiply-adds (`f32x4.relaxed_madd`,
 * relaxed SIMD): each step of a sum rounds once.
 *
 * @example
 * ```ts
 * if (fusedMultiplyAdd()) new WebAssembly.Module(gemmFmaModuleBytes(false));
 * ```
 */
export function gemmFmaModuleBytes(sharedMemory: boolean): Uint8Array {
  return gemmModule(sharedMemory, true);
}

/** A `gemv<mr>` export: (a, aRowStride, aColStride, b, ldb, c, ldc, N, K, bias, relu). */
export type Gemv = (a: number, aRowStride: number, aColStride: number, b: number, ldb: number, c: number, ldc: number, n: number, k: number, bias: number, relu: number) => void;

/**
 * The exports of an instantiated GEMM module (see the module comment).
 *
 * @example
 * ```ts
 * gemm.pack_b(bPtr, packed, k, n, n, 1);
 * gemm.gemm(aPtr, 4 * k, 4, packed, 32, 32 * k, cPtr, n, m, n, k, 0, 0, 4 * k);
 * ```
 */
export interface GemmExports {
  pack_b(src: number, dst: number, k: number, n: number, kStride: number, nStride: number): void;
  pack_a_t(src: number, dst: number, m: number, k: number, ld: number): void;
  gemm(a: number, aRowStride: number, aColStride: number, b: number, bkStride: number, bPanelStride: number, c: number, ldc: number, m: number, n: number, k: number, bias: number, relu: number, aRowStep: number): void;
  /** `gemv1` .. `gemv4`: the product of 1-4 rows of A and a row-major B read in place. */
  gemv1: Gemv;
  gemv2: Gemv;
  gemv3: Gemv;
  gemv4: Gemv;
}

/**
 * Instantiates the GEMM module over `memory` (tfjs-wasm's heap; shared on its
 * threaded build), with fused multiply-adds when `fma`; its compiled module
 * is {@link compiledModule}`(memory, gemmModuleBytesFor(fma))`, which worker
 * threads instantiate too.
 *
 * @example
 * ```ts
 * const gemm = instantiateGemm(backend.wasm.asm.memory, fusedMultiplyAdd());
 * ```
 */
export function instantiateGemm(memory: WasmMemory, fma = false): GemmExports {
  return instantiateModule(memory, gemmModuleBytesFor(fma)) as unknown as GemmExports;
}

/**
 * The bytes function of the GEMM module with or without fused multiply-adds.
 *
 * @example
 * ```ts
 * compiledModule(memory, gemmModuleBytesFor(true));
 * ```
 */
export function gemmModuleBytesFor(fma: boolean): (sharedMemory: boolean) => Uint8Array {
  return fma ? gemmFmaModuleBytes : gemmModuleBytes;
}
