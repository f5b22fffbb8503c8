/**
 * Element-wise float32 arithmetic as WebAssembly SIMD loops, generated from
 * TypeScript ({@link encodeModule}): the binary operations `+ - * /` over a
 * broadcast arranged as rows, and the unary ReLU, negation, absolute value
 * and square.
 *
 * tfjs-wasm runs these through XNNPACK, which on its threaded build hands
 * even a few thousand elements to its thread pool; the pool's threads then
 * spin for a while after each operation, on the cores trax-ts's matrix
 * product workers need. These loops run on the calling thread. Each element
 * is one IEEE float32 operation, as XNNPACK's: the same bits.
 *
 * Exports (byte addresses; outputs may not overlap inputs they have not yet
 * read, so an output may be an input only element for element):
 * - `add`, `sub`, `mul`, `div` `(a, b, out, rows, cols, aRowBytes,
 *   bRowBytes, mode)`: `out[r cols + j] = a[r, j] op b[r, j]` for `rows`
 *   rows of `cols` floats, row `r` of `a` at `a + r aRowBytes` (likewise
 *   `b`); within a row `mode` 0 reads both along the row, 1 reads one float
 *   of `a` for the whole row (a broadcast), 2 one float of `b`.
 * - `relu`, `neg`, `abs`, `square` `(src, dst, n)`: `n` floats.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local, type PlainOp } from "./wasm-encoder";
import { unaryLoopFunction } from "./unary-loop";
import { instantiateModule, type WasmMemory } from "./instantiate";

/**
 * The binary operations, by export name: their vector and scalar instructions.
 *
 * @example
 * ```ts
 * BINARY_OPS.mul; // ["f32x4.mul", "f32.mul"]
 * ```
 */
export const BINARY_OPS = {
  add: ["f32x4.add", "f32.add"],
  sub: ["f32x4.sub", "f32.sub"],
  mul: ["f32x4.mul", "f32.mul"],
  div: ["f32x4.div", "f32.div"],
} as const satisfies Record<string, readonly [PlainOp, PlainOp]>;

/**
 * A binary operation's export name.
 *
 * @example
 * ```ts
 * const op: BinaryOp = "div";
 * ```
 */
export type BinaryOp = keyof typeof BINARY_OPS;

/**
 * How a row reads its operands: both along the row, or one float of `a` (or of `b`) for all of it.
 *
 * @example
 * ```ts
 * mod.add(x, bias, y, 1, n, 0, 0, ROW_MODE.both); // y = x + bias, one row of n
 * mod.mul(x, s, y, 1, n, 0, 0, ROW_MODE.scalarB); // y = x * s[0]
 * ```
 */
export const ROW_MODE = { both: 0, scalarA: 1, scalarB: 2 } as const;

/** Vectors (4 floats each) per iteration of a row's main loop. */
const UNROLL = 4;

function binary(op: BinaryOp): FunctionBuilder {
  const [vectorOp, scalarOp] = BINARY_OPS[op];
  const f = new FunctionBuilder(new Array(8).fill("i32"));
  const [a, b, out, rows, cols, aRowBytes, bRowBytes, mode] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, j, rowBytes] = f.locals("i32", 3);
  const [av, bv] = f.locals("v128", 2);
  const [as, bs] = f.locals("f32", 2);
  f.get(cols).i32(2).op("i32.shl").set(rowBytes);
  /**
   * One row's loop: `lanes` 4 (vectors, `vectors` of them an iteration) or
   * 1 (the last floats), with `a` and `b` read along the row where `alongA`
   * / `alongB`, else the splat (or scalar) already in `av` / `bv` (`as` / `bs`).
   */
  const row = (alongA: boolean, alongB: boolean) => {
    const columns = (lanes: number, vectors: number) =>
      f.forLoop(j, rowBytes, 4 * lanes * vectors, () => {
        for (let v = 0; v < vectors; v++) {
          const at = 16 * v;
          if (lanes === 4) {
            f.get(out).get(j).op("i32.add");
            if (alongA) f.get(a).get(j).op("i32.add").mem("v128.load", at);
            else f.get(av);
            if (alongB) f.get(b).get(j).op("i32.add").mem("v128.load", at);
            else f.get(bv);
            f.op(vectorOp).mem("v128.store", at);
          } else {
            f.get(out).get(j).op("i32.add");
            if (alongA) f.get(a).get(j).op("i32.add").mem("f32.load");
            else f.get(as);
            if (alongB) f.get(b).get(j).op("i32.add").mem("f32.load");
            else f.get(bs);
            f.op(scalarOp).mem("f32.store");
          }
        }
      }, true);
    f.i32(0).set(j);
    columns(4, UNROLL);
    columns(4, 1);
    columns(1, 1);
  };
  f.i32(0).set(r);
  f.forLoop(r, rows, 1, () => {
    f.get(mode).op("i32.eqz");
    f.if(() => row(true, true), () => {
      f.get(mode).i32(ROW_MODE.scalarA).op("i32.eq");
      f.if(() => {
        f.get(a).mem("f32.load").tee(as).op("f32x4.splat").set(av);
        row(false, true);
      }, () => {
        f.get(b).mem("f32.load").tee(bs).op("f32x4.splat").set(bv);
        row(true, false);
      });
    });
    f.get(out).get(rowBytes).op("i32.add").set(out);
    f.get(a).get(aRowBytes).op("i32.add").set(a);
    f.get(b).get(bRowBytes).op("i32.add").set(b);
  });
  return f;
}

/** The unary operations, by export name: each writes `f(x)` in place of the vector `x`. */
const UNARY_OPS = {
  // pmax(x, +0) is one instruction (max's NaN and signed-zero rules take several) and keeps a NaN x;
  // adding +0 then turns its -0 into +0, as max(x, +0) gives.
  relu: (f: FunctionBuilder, x: Local) => f.get(x).f32x4(0).op("f32x4.pmax").f32x4(0).op("f32x4.add").set(x),
  neg: (f: FunctionBuilder, x: Local) => f.get(x).op("f32x4.neg").set(x),
  abs: (f: FunctionBuilder, x: Local) => f.get(x).op("f32x4.abs").set(x),
  square: (f: FunctionBuilder, x: Local) => f.get(x).get(x).op("f32x4.mul").set(x),
} as const;

/**
 * A unary operation's export name.
 *
 * @example
 * ```ts
 * const op: UnaryOp = "relu";
 * ```
 */
export type UnaryOp = keyof typeof UNARY_OPS;

function unary(op: UnaryOp): FunctionBuilder {
  return unaryLoopFunction(UNROLL, 0, (f, xs) => xs.forEach((x) => void UNARY_OPS[op](f, x)));
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(elementwiseModuleBytes(false)); // exports add, sub, mul, div, relu, neg, abs, square
 * ```
 */
export function elementwiseModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      ...(Object.keys(BINARY_OPS) as BinaryOp[]).map((name) => ({ name, fn: binary(name) })),
      ...(Object.keys(UNARY_OPS) as UnaryOp[]).map((name) => ({ name, fn: unary(name) })),
    ],
    sharedMemory
  );
}

/**
 * A binary export: (a, b, out, rows, cols, aRowBytes, bRowBytes, mode).
 *
 * @example
 * ```ts
 * const add: BinaryLoop = mod.add;
 * add(a, b, out, rows, cols, 4 * cols, 4 * cols, ROW_MODE.both); // two (rows, cols) matrices
 * ```
 */
export type BinaryLoop = (a: number, b: number, out: number, rows: number, cols: number, aRowBytes: number, bRowBytes: number, mode: number) => void;

/**
 * The exports of an instantiated element-wise module.
 *
 * @example
 * ```ts
 * mod.add(aPtr, biasPtr, outPtr, rows, cols, 4 * cols, 0, 0); // out = a + bias (each row)
 * mod.relu(xPtr, yPtr, n);
 * ```
 */
export type ElementwiseExports = Record<BinaryOp, BinaryLoop> & Record<UnaryOp, (src: number, dst: number, n: number) => void>;

/**
 * Instantiates the element-wise module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const { mul } = instantiateElementwise(backend.wasm.asm.memory);
 * ```
 */
export function instantiateElementwise(memory: WasmMemory): ElementwiseExports {
  return instantiateModule(memory, elementwiseModuleBytes) as unknown as ElementwiseExports;
}
