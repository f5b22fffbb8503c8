/**
 * A softmax over rows as one WebAssembly SIMD function, generated from
 * TypeScript ({@link encodeModule}): per row the maximum, `e = exp(x - max)`
 * summed as it is stored, then `e (1 / sum)`.
 *
 * The exp is that of trax-ts's `exp` module (Cephes' `expf`: the same
 * reduction and polynomial, so within 2 ulps) for arguments at most 0,
 * which is all a softmax takes: no clamping, and `n` and `2^n` from one add
 * of a magic bias, since below `ln 2^-126` (-87.34) the result is taken as
 * 0 (a subnormal there would be below 1e-38 of the row's largest value;
 * XNNPACK's softmax does the same).
 *
 * Exports: `softmax(x, y, rows, n)`: for each of `rows` rows of `n` floats
 * at byte address `x`, the softmax into `y` (which may be `x`). A row
 * holding NaN or +∞, or only -∞, is NaN.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";
import { LN2_HI, LN2_LO, LOG2E, POLY } from "./exp-module";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** Below this argument (ln 2^-126) exp's result is subnormal, taken as 0. */
const NORMAL_MIN_ARG = -87.33654475;

/**
 * 1.5 * 2^23 + 127: added to `x log2e` (|x log2e| < 2^22), the sum is
 * rounded to an integer n, and its low mantissa bits hold n + 127, the
 * exponent bits of 2^n once shifted into place (XNNPACK's method).
 */
const MAGIC_BIAS = 12583039;

/** Vectors per iteration of the exp loop, interleaved step by step. */
const EXP_UNROLL = 4;

/**
 * e^x in place for each v128 local of `xs`, for lanes x <= 0 (NaN stays
 * NaN, -∞ and x < {@link NORMAL_MIN_ARG} give 0); `ns`, `rs`, `ps` scratch,
 * one per vector.
 */
function expOfNonPositive(f: FunctionBuilder, xs: Local[], ns: Local[], rs: Local[], ps: Local[]): void {
  const each = (step: (k: number) => void) => xs.forEach((_, k) => step(k));
  // n = round(x log2e) by the magic bias: the sum's low mantissa bits hold n + 127, its float less the bias n
  each((k) => f.get(xs[k]).f32x4(LOG2E).op("f32x4.mul").f32x4(MAGIC_BIAS).op("f32x4.add").set(ns[k]));
  each((k) => f.get(ns[k]).i32(23).op("i32x4.shl").set(ps[k]).get(ns[k]).f32x4(MAGIC_BIAS).op("f32x4.sub").set(ns[k]));
  // r = (x - n ln2_hi) - n ln2_lo
  each((k) => f.get(xs[k]).get(ns[k]).f32x4(LN2_HI).op("f32x4.mul").op("f32x4.sub").get(ns[k]).f32x4(LN2_LO).op("f32x4.mul").op("f32x4.sub").set(rs[k]));
  // (1 + r + r² P(r)) 2^n, with 2^n (in ps) from the bias's bits; 0 below the cutoff
  each((k) => f.f32x4(POLY[0]).set(ns[k]));
  for (const c of POLY.slice(1)) each((k) => f.get(ns[k]).get(rs[k]).op("f32x4.mul").f32x4(c).op("f32x4.add").set(ns[k]));
  each((k) => {
    f.get(ns[k]).get(rs[k]).get(rs[k]).op("f32x4.mul").op("f32x4.mul").get(rs[k]).op("f32x4.add").f32x4(1).op("f32x4.add");
    f.get(ps[k]).op("f32x4.mul");
    f.get(xs[k]).f32x4(NORMAL_MIN_ARG).op("f32x4.lt").op("v128.andnot").set(xs[k]);
  });
}

/** Vectors per iteration of the maximum's loop, each its own chain of `max`. */
const MAX_CHAINS = 4;

function softmax(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32"]);
  const [x, y, rows, n] = [0, 1, 2, 3];
  const [r, j, rowBytes, at] = f.locals("i32", 4);
  const chains = f.locals("v128", MAX_CHAINS);
  const [mv, sv] = [chains[0], f.local("v128")];
  const [m, s] = f.locals("f32", 2);
  const xs = f.locals("v128", EXP_UNROLL);
  const sums = f.locals("v128", EXP_UNROLL);
  const scratch = [0, 1, 2].map(() => f.locals("v128", EXP_UNROLL));
  /** `k` vectors (or, with `lanes` 1, one float as lane 0 of a splat) at `j`: e = exp(x - max) stored to y, added to the sums. */
  const exps = (k: number, lanes: number) => {
    const xsK = xs.slice(0, k);
    for (let v = 0; v < k; v++) {
      f.get(x).get(j).op("i32.add").mem(lanes === 4 ? "v128.load" : "v128.load32_splat", 16 * v).get(mv).op("f32x4.sub").set(xsK[v]);
    }
    expOfNonPositive(f, xsK, ...(scratch.map((l) => l.slice(0, k)) as [Local[], Local[], Local[]]));
    for (let v = 0; v < k; v++) {
      if (lanes === 4) {
        f.get(y).get(j).op("i32.add").get(xsK[v]).mem("v128.store", 16 * v);
        f.get(sums[v]).get(xsK[v]).op("f32x4.add").set(sums[v]);
      } else {
        f.get(y).get(j).op("i32.add").get(xsK[v]).extractLane(0).mem("f32.store");
        f.get(s).get(xsK[v]).extractLane(0).op("f32.add").set(s);
      }
    }
  };
  f.get(n).i32(2).op("i32.shl").set(rowBytes);
  f.i32(0).set(r);
  f.forLoop(r, rows, 1, () => {
    // The maximum: vectors in separate chains, then their lanes, then the last floats. (pmax is one
    // instruction where max's NaN and signed-zero rules take several; a NaN it passes over still
    // makes the row NaN through x - max, and the sign of a zero maximum changes no exp.)
    f.get(x).mem("f32.load").op("f32x4.splat").set(mv);
    for (const c of chains.slice(1)) f.get(mv).set(c);
    f.i32(0).set(j);
    f.forLoop(j, rowBytes, 16 * MAX_CHAINS, () => {
      chains.forEach((c, v) => void f.get(c).get(x).get(j).op("i32.add").mem("v128.load", 16 * v).op("f32x4.pmax").set(c));
    }, true);
    f.forLoop(j, rowBytes, 16, () => void f.get(mv).get(x).get(j).op("i32.add").mem("v128.load").op("f32x4.pmax").set(mv), true);
    for (const c of chains.slice(1)) f.get(mv).get(c).op("f32x4.pmax").set(mv);
    f.get(mv).extractLane(0).set(m);
    for (let lane = 1; lane < 4; lane++) f.get(m).get(mv).extractLane(lane).op("f32.max").set(m);
    f.forLoop(j, rowBytes, 4, () => void f.get(m).get(x).get(j).op("i32.add").mem("f32.load").op("f32.max").set(m));
    // e = exp(x - max), stored and summed.
    f.get(m).op("f32x4.splat").set(mv);
    for (const v of sums) f.f32(0).op("f32x4.splat").set(v);
    f.f32(0).set(s);
    f.i32(0).set(j);
    f.forLoop(j, rowBytes, 16 * EXP_UNROLL, () => exps(EXP_UNROLL, 4), true);
    f.forLoop(j, rowBytes, 16, () => exps(1, 4), true);
    f.forLoop(j, rowBytes, 4, () => exps(1, 1));
    for (const v of sums.slice(1)) f.get(sums[0]).get(v).op("f32x4.add").set(sums[0]);
    for (let lane = 0; lane < 4; lane++) f.get(s).get(sums[0]).extractLane(lane).op("f32.add").set(s);
    // y = e (1 / sum), as XNNPACK's (a multiply is several times the speed of a division)
    f.f32(1).get(s).op("f32.div").set(s);
    f.get(s).op("f32x4.splat").set(sv);
    f.i32(0).set(j);
    f.forLoop(j, rowBytes, 16, () => {
      f.get(y).get(j).op("i32.add").tee(at).get(at).mem("v128.load").get(sv).op("f32x4.mul").mem("v128.store");
    }, true);
    f.forLoop(j, rowBytes, 4, () => {
      f.get(y).get(j).op("i32.add").tee(at).get(at).mem("f32.load").get(s).op("f32.mul").mem("f32.store");
    });
    f.addTo(x, rowBytes, true).addTo(y, rowBytes, true);
  });
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(softmaxModuleBytes(false)); // exports softmax
 * ```
 */
export function softmaxModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: "softmax", fn: softmax() }], sharedMemory);
}

/**
 * The exports of an instantiated softmax module.
 *
 * @example
 * ```ts
 * mod.softmax(x, y, rows, n); // each row of n floats
 * ```
 */
export interface SoftmaxExports {
  softmax(x: number, y: number, rows: number, n: number): void;
}

/**
 * Instantiates the softmax module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { softmax } = instantiateSoftmax(backend.wasm.asm.memory);
 * ```
 */
export function instantiateSoftmax(memory: WasmMemory): SoftmaxExports {
  return instantiateModule(memory, softmaxModuleBytes) as unknown as SoftmaxExports;
}
