/**
 * The SIMD matrix product of trax-ts's wasm kernels, written as a
 * WebAssembly module from TypeScript ({@link encodeModule}). As in native
 * GEMMs both operands are packed first: A into panels of {@link TILE_M}
 * rows (a step's 5 values side by side; packing absorbs a transposed A) and
 * B into panels of {@link TILE_N} columns (a transposed B likewise). A 5x8
 * register tile then accumulates over k with 128-bit multiply-adds: per step
 * one vector load of A's first 4 rows, broadcast lane by lane with shuffles,
 * and a splat of the fifth; an epilogue adds a bias and applies ReLU.
 *
 * Exports (addresses are byte offsets into the imported memory):
 * - `pack_b(src, dst, K, N, kStride, nStride)`: `dst[q][k][c] = B[k, 8q + c]`
 *   with B's element (k, n) at `src + 4 (k kStride + n nStride)`; columns past
 *   N are zero. `dst` holds `8 ceil(N / 8) K` floats, 16-byte aligned.
 * - `pack_a(src, dst, M, K, rowStride, colStride)`: `dst[p][k][r] =
 *   A[5p + r, k]` with A's element (i, k) at `src + 4 (i rowStride + k
 *   colStride)`; rows past M are zero. `dst` holds `5 ceil(M / 5) K` floats.
 * - `gemm(a, b, c, ldc, M, N, K, bias, relu)`: `C = A B (+ bias) (ReLU)` for
 *   A packed by `pack_a` and B by `pack_b`; C's row i at `c + 4 i ldc`;
 *   `bias` is 0 for none, else the address of N floats padded with zeros to
 *   a multiple of 8 (16-byte aligned); `relu` 0 or 1.
 * - `gemv1` .. `gemv4`: products of 1-4 rows of A, read through strides,
 *   with a row-major B read in place (see {@link Gemv}).
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
 * Rows of A per register tile (and per packed panel of A). A fused
 * multiply-add takes 4-5 cycles and two can start each cycle, so a tile
 * needs about 10 independent accumulators to keep the multipliers busy:
 * 5 rows of 8 columns is 10, which with B's two vectors, A's vector and one
 * broadcast lane fits V8's 15 allocatable x64 vector registers. (Measured on
 * one Zen core: 4x8 with splat loads 29 GFLOP/s; 5x8 with splat loads spills,
 * 13; 5x8 with shuffles 32-33; 3x12 29-32; 6x8 spills.)
 */
export const TILE_M = 5;
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

/** The `i8x16.shuffle` byte lanes of a shuffle of float lanes (0-3 the first vector, 4-7 the second). */
const floatLanes = (lanes: number[]): number[] => lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/**
 * Writes the 4x4 transpose of the vectors in `rows` (row r's lane c becomes
 * vector c's lane r) into `cols`, through `tmp` (4 vectors): 8 shuffles.
 */
function transpose4x4(f: FunctionBuilder, rows: Local[], cols: Local[], tmp: Local[]): void {
  const [low, high] = [floatLanes([0, 4, 1, 5]), floatLanes([2, 6, 3, 7])];
  f.get(rows[0]).get(rows[1]).shuffle(low).set(tmp[0]);
  f.get(rows[2]).get(rows[3]).shuffle(low).set(tmp[1]);
  f.get(rows[0]).get(rows[1]).shuffle(high).set(tmp[2]);
  f.get(rows[2]).get(rows[3]).shuffle(high).set(tmp[3]);
  const [first, second] = [floatLanes([0, 1, 4, 5]), floatLanes([2, 3, 6, 7])];
  f.get(tmp[0]).get(tmp[1]).shuffle(first).set(cols[0]);
  f.get(tmp[0]).get(tmp[1]).shuffle(second).set(cols[1]);
  f.get(tmp[2]).get(tmp[3]).shuffle(first).set(cols[2]);
  f.get(tmp[2]).get(tmp[3]).shuffle(second).set(cols[3]);
}

/**
 * `pack_b`: (src, dst, K, N, kStride, nStride). Whole panels of a row-major
 * B copy two vectors per step; of a transposed B (kStride 1, each column
 * contiguous), 4 steps of 8 columns at once through two 4x4 transposes;
 * anything else one value at a time.
 */
function packB(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32"]);
  const [src, dst, K, N, kStride, nStride] = [0, 1, 2, 3, 4, 5];
  const [j0, k, c, col, from, colBytes] = f.locals("i32", 6);
  const tile = constLocal(f, TILE_N);
  const loaded = f.locals("v128", TILE_N);
  const steps = f.locals("v128", TILE_N); // steps[4h + s]: step s's columns 4h .. 4h + 3
  const tmp = f.locals("v128", 4);
  f.get(nStride).i32(2).op("i32.shl").set(colBytes);
  f.i32(0).set(j0);
  f.forLoop(j0, N, TILE_N, () => {
    f.i32(0).set(k);
    f.get(j0).i32(TILE_N).op("i32.add").get(N).op("i32.le_s");
    f.if(() => {
      // A whole panel of contiguous columns: two vector copies per k.
      f.get(nStride).i32(1).op("i32.eq");
      f.if(() => {
        f.get(src).get(j0).i32(2).op("i32.shl").op("i32.add").set(from);
        f.forLoop(k, K, 1, () => {
          f.get(dst).get(from).mem("v128.load").mem("v128.store");
          f.get(dst).get(from).mem("v128.load", 16).mem("v128.store", 16);
          f.addTo(dst, 4 * TILE_N);
          f.get(from).get(kStride).i32(2).op("i32.shl").op("i32.add").set(from);
        });
      });
      // A whole panel of a transposed B: 4 steps of its 8 columns at a time.
      f.get(kStride).i32(1).op("i32.eq");
      f.if(() => {
        f.get(src).get(j0).get(colBytes).op("i32.mul").op("i32.add").set(from);
        f.forLoop(k, K, 4, () => {
          for (let t = 0; t < TILE_N; t++) {
            f.get(from);
            if (t > 0) f.get(colBytes).i32(t).op("i32.mul").op("i32.add");
            f.mem("v128.load").set(loaded[t]);
          }
          transpose4x4(f, loaded.slice(0, 4), steps.slice(0, 4), tmp);
          transpose4x4(f, loaded.slice(4), steps.slice(4), tmp);
          for (let s = 0; s < 4; s++) {
            f.get(dst).get(steps[s]).mem("v128.store", 32 * s);
            f.get(dst).get(steps[4 + s]).mem("v128.store", 32 * s + 16);
          }
          f.addTo(dst, 4 * 4 * TILE_N).addTo(from, 16);
        }, true);
      });
    });
    // What is left (a partial panel, the last steps of a transposed one, other strides): value by value.
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
  return f;
}

/**
 * `pack_a`: (src, dst, M, K, rowStride, colStride), A's element (i, k) at
 * `src + 4 (i rowStride + k colStride)`: copies A into panels of
 * {@link TILE_M} rows, panel p's values for step k at `dst + 20 (p K + k)`
 * (rows past M zero). A transposed A (rowStride 1) copies a vector and a
 * float per step; a row-major one (colStride 1) takes 4 steps at a time,
 * its first 4 rows through a 4x4 transpose; other strides value by value.
 */
function packA(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32"]);
  const [src, dst, M, K, rowStride, colStride] = [0, 1, 2, 3, 4, 5];
  const [i0, k, from, rowBytes, colBytes, rows, r] = f.locals("i32", 7);
  const row = f.locals("i32", TILE_M); // byte offsets of the panel's rows from `from`
  const [loaded, steps, tmp] = [f.locals("v128", 4), f.locals("v128", 4), f.locals("v128", 4)];
  f.get(rowStride).i32(2).op("i32.shl").set(rowBytes);
  f.get(colStride).i32(2).op("i32.shl").set(colBytes);
  for (let t = 0; t < TILE_M; t++) f.get(rowBytes).i32(t).op("i32.mul").set(row[t]);
  const panelBytes = 4 * TILE_M;
  f.i32(0).set(i0);
  f.forLoop(i0, M, TILE_M, () => {
    f.get(src).get(i0).get(rowBytes).op("i32.mul").op("i32.add").set(from);
    f.i32(0).set(k);
    f.get(M).get(i0).op("i32.sub").set(rows);
    f.get(rows).i32(TILE_M).op("i32.ge_s");
    f.if(() => {
      f.get(rowStride).i32(1).op("i32.eq");
      f.if(() => {
        // A transposed: the panel's rows side by side at each step.
        f.forLoop(k, K, 1, () => {
          f.get(dst).get(from).mem("v128.load").mem("v128.store");
          f.get(dst).get(from).mem("f32.load", 16).mem("f32.store", 16);
          f.addTo(dst, panelBytes).addTo(from, colBytes, true);
        });
      }, () => {
        f.get(colStride).i32(1).op("i32.eq");
        f.if(() => {
          // A row-major: 4 steps at a time, the first 4 rows through a 4x4 transpose.
          f.forLoop(k, K, 4, () => {
            for (let t = 0; t < 4; t++) f.get(from).get(row[t]).op("i32.add").mem("v128.load").set(loaded[t]);
            transpose4x4(f, loaded, steps, tmp);
            for (let st = 0; st < 4; st++) {
              f.get(dst).get(steps[st]).mem("v128.store", panelBytes * st);
              f.get(dst).get(from).get(row[4]).op("i32.add").mem("f32.load", 4 * st).mem("f32.store", panelBytes * st + 16);
            }
            f.addTo(dst, 4 * panelBytes).addTo(from, 16);
          }, true);
        });
        f.forLoop(k, K, 1, () => {
          for (let t = 0; t < TILE_M; t++) f.get(dst).get(from).get(row[t]).op("i32.add").mem("f32.load").mem("f32.store", 4 * t);
          f.addTo(dst, panelBytes).addTo(from, colBytes, true);
        });
      });
    }, () => {
      // The last panel's 1-4 rows, zeros after them.
      f.forLoop(k, K, 1, () => {
        f.i32(0).set(r);
        f.forLoop(r, rows, 1, () => {
          f.get(dst).get(r).i32(2).op("i32.shl").op("i32.add").get(from).get(r).get(rowBytes).op("i32.mul").op("i32.add").mem("f32.load").mem("f32.store");
        });
        f.forLoop(r, constLocal(f, TILE_M), 1, () => void f.get(dst).get(r).i32(2).op("i32.shl").op("i32.add").f32(0).mem("f32.store"));
        f.addTo(dst, panelBytes).addTo(from, colBytes, true);
      });
    });
  }, false);
  return f;
}

/** The number of `gemm`'s arguments. */
export const GEMM_ARGS = 9;

/** The `i8x16.shuffle` lanes that broadcast float lane `lane` of one vector. */
const broadcastLane = (lane: number): number[] => floatLanes([lane, lane, lane, lane]);

/** `gemm`: (a, b, c, ldc, M, N, K, bias, relu); A packed by `pack_a`, B by `pack_b`. */
function gemm(fma: boolean): FunctionBuilder {
  const f = new FunctionBuilder(new Array(GEMM_ARGS).fill("i32"));
  const [a, b, c, ldc, M, N, K, bias, relu] = Array.from({ length: GEMM_ARGS }, (_, i) => i);
  const [j0, i0, pa, pb, panelA, panelB, kLeft, rows, cols, out, aPanelBytes, bPanelBytes] = f.locals("i32", 12);
  const acc = f.locals("v128", 2 * TILE_M); // row r: acc[2r] columns 0-3, acc[2r + 1] columns 4-7
  const [b0, b1, a4, av, zero, bias0, bias1] = f.locals("v128", 7);
  /** Writes C's row `row` of the tile: 8 columns as two vectors, or the panel's last 1-7 one by one. */
  const storeRow = (row: number): void => {
    f.get(cols).i32(TILE_N).op("i32.ge_s");
    f.if(() => {
      f.get(out).get(acc[2 * row]).mem("v128.store");
      f.get(out).get(acc[2 * row + 1]).mem("v128.store", 16);
    }, () => {
      for (let col = 0; col < TILE_N; col++) {
        f.get(cols).i32(col).op("i32.gt_s");
        f.if(() => void f.get(out).get(acc[2 * row + (col >> 2)]).extractLane(col & 3).mem("f32.store", 4 * col));
      }
    });
  };
  f.get(K).i32(4 * TILE_M).op("i32.mul").set(aPanelBytes);
  f.get(K).i32(4 * TILE_N).op("i32.mul").set(bPanelBytes);
  f.f32(0).op("f32x4.splat").set(zero);
  f.get(b).set(panelB);
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
    f.get(N).get(j0).op("i32.sub").set(cols);
    f.get(a).set(panelA);
    f.i32(0).set(i0);
    f.forLoop(i0, M, TILE_M, () => {
      // The 5x8 tile: the sum over k.
      for (const x of acc) f.get(zero).set(x);
      f.get(panelA).set(pa);
      f.get(panelB).set(pb);
      f.get(K).set(kLeft);
      f.block(() =>
        f.loop(() => {
          f.get(kLeft).op("i32.eqz").brIf(1);
          f.get(pb).mem("v128.load").set(b0);
          f.get(pb).mem("v128.load", 16).set(b1);
          f.get(pa).mem("v128.load").set(a4);
          for (let row = 0; row < TILE_M; row++) {
            if (row < 4) f.get(a4).get(a4).shuffle(broadcastLane(row)).set(av);
            else f.get(pa).mem("v128.load32_splat", 4 * row).set(av);
            multiplyAdd(f, fma, acc[2 * row], av, b0).set(acc[2 * row]);
            multiplyAdd(f, fma, acc[2 * row + 1], av, b1).set(acc[2 * row + 1]);
          }
          f.addTo(pa, 4 * TILE_M).addTo(pb, 4 * TILE_N).addTo(kLeft, -1).br(0);
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
      // C's rows i0 .. i0 + 4 that exist, at out = c + 4 (i0 ldc + j0).
      f.get(c).get(i0).get(ldc).op("i32.mul").get(j0).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(out);
      f.get(M).get(i0).op("i32.sub").set(rows);
      f.block(() => {
        for (let row = 0; row < TILE_M; row++) {
          if (row > 0) {
            f.get(rows).i32(row).op("i32.le_s").brIf(0);
            f.get(out).get(ldc).i32(2).op("i32.shl").op("i32.add").set(out);
          }
          storeRow(row);
        }
      });
      f.addTo(panelA, aPanelBytes, true);
    });
    f.addTo(panelB, bPanelBytes, true);
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
      { name: "pack_a", fn: packA() },
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
 * const bytes = gemmModuleBytes(false); // a module of pack_b, pack_a, gemm and gemv1-4
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
 * gemm.pack_a(aPtr, packedA, m, k, k, 1);
 * gemm.pack_b(bPtr, packedB, k, n, n, 1);
 * gemm.gemm(packedA, packedB, cPtr, n, m, n, k, 0, 0);
 * ```
 */
export interface GemmExports {
  pack_b(src: number, dst: number, k: number, n: number, kStride: number, nStride: number): void;
  pack_a(src: number, dst: number, m: number, k: number, rowStride: number, colStride: number): void;
  gemm(a: number, b: number, c: number, ldc: number, m: number, n: number, k: number, bias: number, relu: number): void;
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
