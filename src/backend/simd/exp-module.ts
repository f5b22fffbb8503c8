/**
 * `exp` over float32 arrays as a WebAssembly SIMD loop, generated from
 * TypeScript ({@link encodeModule}). tfjs-backend-wasm 4.22 calls the C
 * library's `expf` one element at a time, about 17 ns an element on this
 * machine; the log-softmax of a language model's logits takes two of them
 * per training step (forward and backward).
 *
 * The method is Cephes' `expf`, four lanes at a time:
 * - `n = nearest(x log2 e)`, `r = x - n ln2` (ln 2 split in two parts, so
 *   `n ln2_hi` is exact);
 * - `e^r ≈ 1 + r + r² P(r)` with Cephes' degree-5 polynomial on
 *   |r| ≤ ln2/2;
 * - times `2^n`, built from exponent bits as `2^(n>>1) · 2^(n - n>>1)` so
 *   results that underflow into subnormals (x < -87.3) and overflow to
 *   infinity (x > 88.72) come out as `expf` gives them.
 *
 * Inputs are clamped to [-104, 89] first (exp is 0 below and infinite above
 * in float32); NaN stays NaN. Results are within 2 float32 ulps of exp
 * computed in float64 and rounded (tested over every exponent range), where
 * the C library's `expf` is within 1.
 *
 * `tanh` is Cephes' `tanhf` on top of it: `x + x³ P(x²)` for |x| < 0.625,
 * else `±(1 - 2 / (e^(2|x|) + 1))`; within 1.3 ulps of the exact value
 * (tested over [-12, 12]), where tfjs-wasm's element-at-a-time `tanhf` took
 * 34 ns an element (LSTM and GRU cells take it every step).
 *
 * Exports: `exp(src, dst, n)` and `tanh(src, dst, n)`: `n` float32s at byte
 * address `src` to `dst` (the same address, or arrays that do not overlap).
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";
import { unaryLoopFunction } from "./unary-loop";

/** Cephes' expf constants (float32). */
export const LOG2E = 1.44269504088896341;
export const LN2_HI = 0.693359375;
export const LN2_LO = -2.12194440e-4;
export const POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Below this exp rounds to 0 in float32, above it to infinity; clamping keeps 2^n's exponent bits in range. */
const X_MIN = -104;
const X_MAX = 89;

/**
 * Vectors per iteration of the main loop, interleaved step by step so their
 * arithmetic overlaps (measured on inputs in [-10, 10]: 4 vectors 1.6 ns an
 * element, 2 vectors 2.0, 8 vectors 3.4 as registers spill, 1 vector 4.0).
 */
export const EXP_UNROLL = 4;

/**
 * Computes e^x in place for each v128 local of `xs` (four lanes each),
 * every step written for all of them before the next; `ns`, `rs`, `ps` are
 * scratch v128 locals, one per vector.
 */
function expVectors(f: FunctionBuilder, xs: Local[], ns: Local[], rs: Local[], ps: Local[]): void {
  const each = (step: (k: number) => void) => xs.forEach((_, k) => step(k));
  // x = clamp(x) (pmin/pmax: one instruction each, and a NaN x stays NaN); n = nearest(x log2e)
  each((k) => f.get(xs[k]).f32x4(X_MAX).op("f32x4.pmin").f32x4(X_MIN).op("f32x4.pmax").tee(xs[k]).f32x4(LOG2E).op("f32x4.mul").op("f32x4.nearest").set(ns[k]));
  // r = (x - n ln2_hi) - n ln2_lo
  each((k) => f.get(xs[k]).get(ns[k]).f32x4(LN2_HI).op("f32x4.mul").op("f32x4.sub").get(ns[k]).f32x4(LN2_LO).op("f32x4.mul").op("f32x4.sub").set(rs[k]));
  // p = P(r) by Horner, then 1 + r + r² p
  each((k) => f.f32x4(POLY[0]).set(ps[k]));
  for (const c of POLY.slice(1)) each((k) => f.get(ps[k]).get(rs[k]).op("f32x4.mul").f32x4(c).op("f32x4.add").set(ps[k]));
  each((k) => f.get(ps[k]).get(rs[k]).get(rs[k]).op("f32x4.mul").op("f32x4.mul").get(rs[k]).op("f32x4.add").f32x4(1).op("f32x4.add").set(ps[k]));
  // 2^n as 2^(n>>1) · 2^(n - n>>1), each a float built from its exponent bits
  const powerOfTwo = () => f.i32(127).op("i32x4.splat").op("i32x4.add").i32(23).op("i32x4.shl");
  each((k) => {
    f.get(ns[k]).op("i32x4.trunc_sat_f32x4_s").set(ns[k]);
    f.get(ps[k]).get(ns[k]).i32(1).op("i32x4.shr_s");
    powerOfTwo().op("f32x4.mul");
    f.get(ns[k]).get(ns[k]).i32(1).op("i32x4.shr_s").op("i32x4.sub");
    powerOfTwo().op("f32x4.mul").set(xs[k]);
  });
}

/** Cephes' tanhf: below this |x|, an odd polynomial; above, from e^(2|x|). */
const TANH_SMALL = 0.625;
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/**
 * Computes tanh in place for each v128 local of `xs` (Cephes' `tanhf`):
 * `x + x³ P(x²)` for |x| < 0.625, else `±(1 - 2 / (e^(2|x|) + 1))` (1 where
 * e^(2|x|) overflows; NaN stays NaN, -0 stays -0). `es`, `ns`, `rs`, `ps`
 * are scratch v128 locals, one per vector.
 */
function tanhVectors(f: FunctionBuilder, xs: Local[], es: Local[], ns: Local[], rs: Local[], ps: Local[]): void {
  const each = (step: (k: number) => void) => xs.forEach((_, k) => step(k));
  each((k) => f.get(xs[k]).op("f32x4.abs").f32x4(2).op("f32x4.mul").set(es[k]));
  expVectors(f, es, ns, rs, ps);
  // large |x|: 1 - 2 / (e + 1), with x's sign
  each((k) => {
    f.get(xs[k]).f32x4(1).f32x4(2).get(es[k]).f32x4(1).op("f32x4.add").op("f32x4.div").op("f32x4.sub");
    f.i32(0x80000000 | 0).op("i32x4.splat").op("v128.bitselect").set(es[k]);
  });
  // small |x|: x + x z P(z), z = x²
  each((k) => f.get(xs[k]).get(xs[k]).op("f32x4.mul").set(ns[k]).f32x4(TANH_POLY[0]).set(ps[k]));
  for (const c of TANH_POLY.slice(1)) each((k) => f.get(ps[k]).get(ns[k]).op("f32x4.mul").f32x4(c).op("f32x4.add").set(ps[k]));
  each((k) => f.get(ps[k]).get(ns[k]).op("f32x4.mul").get(xs[k]).op("f32x4.mul").get(xs[k]).op("f32x4.add").set(rs[k]));
  // pick per lane, then x's sign (which the polynomial loses for -0)
  each((k) => {
    f.get(xs[k]).get(rs[k]).get(es[k]).get(xs[k]).op("f32x4.abs").f32x4(TANH_SMALL).op("f32x4.lt").op("v128.bitselect");
    f.i32(0x80000000 | 0).op("i32x4.splat").op("v128.bitselect").set(xs[k]);
  });
}

/**
 * Vectors per iteration of tanh's main loop (measured on inputs in [-4, 4]:
 * 4 vectors 3.0 ns an element, 2 vectors 3.4, 1 vector 4.5).
 */
export const TANH_UNROLL = 4;

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(expModuleBytes(false)); // exports exp and tanh
 * ```
 */
export function expModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "exp", fn: unaryLoopFunction(EXP_UNROLL, 3, (f, xs, [ns, rs, ps]) => expVectors(f, xs, ns, rs, ps)) },
      { name: "tanh", fn: unaryLoopFunction(TANH_UNROLL, 4, (f, xs, [es, ns, rs, ps]) => tanhVectors(f, xs, es, ns, rs, ps)) },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated exp module.
 *
 * @example
 * ```ts
 * mod.exp(srcPtr, dstPtr, n); // dst[i] = e^src[i]
 * ```
 */
export interface ExpExports {
  exp(src: number, dst: number, n: number): void;
  tanh(src: number, dst: number, n: number): void;
}

/**
 * Instantiates the exp module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { exp } = instantiateExp(backend.wasm.asm.memory);
 * ```
 */
export function instantiateExp(memory: WasmMemory): ExpExports {
  return instantiateModule(memory, expModuleBytes) as unknown as ExpExports;
}
