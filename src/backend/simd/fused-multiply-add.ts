/**
 * Whether trax-ts's SIMD products use fused multiply-add: WebAssembly's
 * relaxed SIMD `f32x4.relaxed_madd`, which V8 compiles to the CPU's FMA
 * instruction (x86 FMA3, ARM NEON). A product's inner loop then issues one
 * instruction per four multiply-adds instead of two; the GEMM goes from
 * about 22 to 29 GFLOP/s on one core of this machine (AMD EPYC, measured
 * side by side).
 *
 * Relaxed SIMD is on by default from V8 11.4 (Node 22 and later). Node 20's
 * V8 has it behind `--experimental-wasm-relaxed-simd`, which trax-ts sets
 * for itself (`v8.setFlagsFromString`, before its first module compiles).
 * `TRAX_FMA=0` keeps separate multiplies and adds: sums then round as
 * tfjs-wasm's own products do, bit for bit.
 * @module
 */
import * as v8 from "node:v8";
import { isValidModule } from "./instantiate";

/** A module whose one function is `f32x4.relaxed_madd` of its three v128 parameters. */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code
]);

const validates = (): boolean => isValidModule(PROBE);

/** V8 versions that have relaxed SIMD only behind its flag (before 11.4: Node 20 and older). */
function flagNeeded(): boolean {
  const [major, minor] = process.versions.v8.split(".").map(Number);
  return major < 11 || (major === 11 && minor < 4);
}

let answer: boolean | undefined;

/**
 * Whether this process's SIMD products use fused multiply-add (decided once:
 * `TRAX_FMA=0` says no; otherwise yes where WebAssembly takes relaxed SIMD,
 * after turning on V8's flag for it on Node 20).
 *
 * @example
 * ```ts
 * fusedMultiplyAdd(); // true on Node 20+ unless TRAX_FMA=0
 * ```
 */
export function fusedMultiplyAdd(): boolean {
  if (answer !== undefined) return answer;
  if (process.env.TRAX_FMA === "0") return (answer = false);
  if (!validates() && flagNeeded()) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return (answer = validates());
}
