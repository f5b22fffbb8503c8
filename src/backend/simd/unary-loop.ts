/**
 * The loop of an element-wise WebAssembly function `(src, dst, n)` over
 * float32 arrays, for trax-ts's modules that apply one operation to each
 * element (exp, tanh, ReLU, ...): `unroll` vectors an iteration, then one
 * vector, then each remaining element as lane 0 of a splat, so an
 * operation is written once, for vectors.
 * @module
 */
import { FunctionBuilder, type Local } from "./wasm-encoder";

/**
 * Writes an operation on `xs` (v128 locals, each four elements), in place;
 * `scratch` holds as many further v128 locals per vector as the loop was
 * asked for.
 *
 * @example
 * ```ts
 * const negate: VectorBody = (f, xs) => xs.forEach((x) => void f.get(x).op("f32x4.neg").set(x));
 * ```
 */
export type VectorBody = (f: FunctionBuilder, xs: Local[], scratch: Local[][]) => void;

/**
 * The function `(src, dst, n)`: `dst[i] = body(src[i])` for `n` floats at
 * byte addresses `src` and `dst` (the same address, or arrays that do not
 * overlap).
 *
 * @example
 * ```ts
 * encodeModule([{ name: "neg", fn: unaryLoopFunction(4, 0, (f, xs) => xs.forEach((x) => void f.get(x).op("f32x4.neg").set(x))) }], false);
 * ```
 */
export function unaryLoopFunction(unroll: number, scratchPerVector: number, body: VectorBody): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32"]);
  const [src, dst, count] = [0, 1, 2];
  const i = f.local("i32");
  const xs = f.locals("v128", unroll);
  const scratch = Array.from({ length: scratchPerVector }, () => f.locals("v128", unroll));
  const vectors = (k: number) => {
    for (let v = 0; v < k; v++) f.get(src).mem("v128.load", 16 * v).set(xs[v]);
    body(f, xs.slice(0, k), scratch.map((s) => s.slice(0, k)));
    for (let v = 0; v < k; v++) f.get(dst).get(xs[v]).mem("v128.store", 16 * v);
    f.addTo(src, 16 * k).addTo(dst, 16 * k);
  };
  f.i32(0).set(i);
  f.forLoop(i, count, 4 * unroll, () => vectors(unroll), true);
  f.forLoop(i, count, 4, () => vectors(1), true);
  f.forLoop(i, count, 1, () => {
    f.get(src).mem("v128.load32_splat").set(xs[0]);
    body(f, xs.slice(0, 1), scratch.map((s) => s.slice(0, 1)));
    f.get(dst).get(xs[0]).extractLane(0).mem("f32.store");
    f.addTo(src, 4).addTo(dst, 4);
  });
  return f;
}
