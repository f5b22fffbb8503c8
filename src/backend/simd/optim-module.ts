/**
 * The fused optimizer updates of trax-ts's wasm kernels (Adam, Momentum,
 * RMSProp; see src/optimizers/fused.ts), written as a WebAssembly module
 * from TypeScript ({@link encodeModule}): each function walks its arrays
 * with 128-bit SIMD, four floats a vector ({@link UNROLL} vectors an
 * iteration, then one), then finishes the last `n mod 4` elements one at a
 * time with the same formulas in scalar float32.
 *
 * Exports (addresses are byte offsets into the imported memory, `n` is the
 * element count, every array holds `n` float32s, outputs do not overlap
 * inputs; `c1 = 1 - b1` etc. are passed in, computed in float64 and rounded):
 * - `adam(w, g, m, v, outW, outM, outV, n, b1, c1, b2, c2, stepSize, epsHat, keep)`:
 *   `m' = b1 m + c1 g`, `v' = b2 v + (c2 g) g`,
 *   `w' = keep w - (stepSize m') / (sqrt(v') + epsHat)`.
 * - `momentum(w, g, v, outW, outV, n, mass, lr, keep)`: `v' = mass v + g`,
 *   `w' = keep w - lr v'`; `momentum_nesterov` (same arguments):
 *   `w' = keep w - lr (mass v' + g)`.
 * - `rms_prop(w, g, a, outW, outA, n, gamma, c, lr, eps)`:
 *   `a' = gamma a + (c g) g`, `w' = w - (lr g) / (sqrt(a') + eps)`.
 *
 * Everything is float32 arithmetic in the order written above, the order of
 * the JavaScript loops (which compute in float64 and round once); the two
 * agree to a few float32 ulps of the terms. The square of a gradient is
 * taken as `(c2 g) g`, not `c2 (g g)`, so a gradient whose square overflows
 * float32 (|g| > 1.8e19) still gives a finite moment when the moment fits.
 * Where the moment itself overflows (both paths store infinity), this loop
 * takes no step on that weight; the float64 loop still divides by the
 * unrounded moment.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local, type MemOp, type PlainOp, type ValType } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** The arithmetic of one width: four float32 lanes (v128) or one float32. */
interface Width {
  /** Elements per step. */
  lanes: number;
  /** The type of a local holding one step's values. */
  local: ValType;
  load: MemOp;
  store: MemOp;
  add: PlainOp;
  sub: PlainOp;
  mul: PlainOp;
  div: PlainOp;
  sqrt: PlainOp;
}

const F32X4: Width = { lanes: 4, local: "v128", load: "v128.load", store: "v128.store", add: "f32x4.add", sub: "f32x4.sub", mul: "f32x4.mul", div: "f32x4.div", sqrt: "f32x4.sqrt" };
const F32: Width = { lanes: 1, local: "f32", load: "f32.load", store: "f32.store", add: "f32.add", sub: "f32.sub", mul: "f32.mul", div: "f32.div", sqrt: "f32.sqrt" };

/**
 * Vector steps per iteration of the main loop (8 steps, 32 elements: about
 * 20% faster than 4 and 30% faster than 1 on a 784x256 Adam update, measured
 * side by side); the elements left after it go through a one-vector loop,
 * then a scalar one.
 */
export const UNROLL = 8;

/**
 * Writes one step of an update at width `w`: `k` holds the scalar
 * parameters (splat for a vector step), `x` the loaded inputs (locals the
 * body may overwrite), `out` the output addresses; stores go `offset` bytes
 * past them.
 */
type StepBody = (f: FunctionBuilder, w: Width, k: Local[], x: Local[], out: Local[], offset: number) => void;

/**
 * An update function with parameters (inputs..., outputs..., n, scalars...)
 * (addresses and `n` i32, scalars f32): `body` in a loop of {@link UNROLL}
 * vectors, a loop of one vector, then a scalar loop.
 */
function updateFunction(nInputs: number, nOutputs: number, nScalars: number, body: StepBody): FunctionBuilder {
  const nPointers = nInputs + nOutputs;
  const f = new FunctionBuilder([...Array<ValType>(nPointers + 1).fill("i32"), ...Array<ValType>(nScalars).fill("f32")]);
  const pointers = Array.from({ length: nPointers }, (_, p) => p);
  const n = nPointers;
  const scalars = Array.from({ length: nScalars }, (_, s) => nPointers + 1 + s);
  const splats = scalars.map((s) => {
    const l = f.local("v128");
    f.get(s).op("f32x4.splat").set(l);
    return l;
  });
  const i = f.local("i32");
  /** One loop iteration: `steps` steps of width `w`, then the addresses move past them. */
  const iteration = (w: Width, k: Local[], steps: number) => {
    for (let s = 0; s < steps; s++) {
      const offset = 4 * w.lanes * s;
      const x = Array.from({ length: nInputs }, () => f.local(w.local));
      x.forEach((l, p) => f.get(pointers[p]).mem(w.load, offset).set(l));
      body(f, w, k, x, pointers.slice(nInputs), offset);
    }
    for (const p of pointers) f.addTo(p, 4 * w.lanes * steps);
  };
  f.i32(0).set(i);
  f.forLoop(i, n, F32X4.lanes * UNROLL, () => iteration(F32X4, splats, UNROLL), true);
  f.forLoop(i, n, F32X4.lanes, () => iteration(F32X4, splats, 1), true);
  f.forLoop(i, n, 1, () => iteration(F32, scalars, 1));
  return f;
}

/** Adam: inputs w, g, m, v; outputs w', m', v'; scalars b1, c1, b2, c2, stepSize, epsHat, keep. */
const adamStep: StepBody = (f, w, [b1, c1, b2, c2, stepSize, epsHat, keep], [x, g, m, v], [outW, outM, outV], off) => {
  f.get(outM).get(b1).get(m).op(w.mul).get(c1).get(g).op(w.mul).op(w.add).tee(m).mem(w.store, off);
  f.get(outV).get(b2).get(v).op(w.mul).get(c2).get(g).op(w.mul).get(g).op(w.mul).op(w.add).tee(v).mem(w.store, off);
  f.get(outW).get(keep).get(x).op(w.mul);
  f.get(stepSize).get(m).op(w.mul).get(v).op(w.sqrt).get(epsHat).op(w.add).op(w.div);
  f.op(w.sub).mem(w.store, off);
};

/** Momentum: inputs w, g, v; outputs w', v'; scalars mass, lr, keep. */
const momentumStep = (nesterov: boolean): StepBody => (f, w, [mass, lr, keep], [x, g, v], [outW, outV], off) => {
  f.get(outV).get(mass).get(v).op(w.mul).get(g).op(w.add).tee(v).mem(w.store, off);
  f.get(outW).get(keep).get(x).op(w.mul).get(lr);
  if (nesterov) f.get(mass).get(v).op(w.mul).get(g).op(w.add);
  else f.get(v);
  f.op(w.mul).op(w.sub).mem(w.store, off);
};

/** RMSProp: inputs w, g, a; outputs w', a'; scalars gamma, c, lr, eps. */
const rmsPropStep: StepBody = (f, w, [gamma, c, lr, eps], [x, g, a], [outW, outA], off) => {
  f.get(outA).get(gamma).get(a).op(w.mul).get(c).get(g).op(w.mul).get(g).op(w.mul).op(w.add).tee(a).mem(w.store, off);
  f.get(outW).get(x).get(lr).get(g).op(w.mul).get(a).op(w.sqrt).get(eps).op(w.add).op(w.div).op(w.sub).mem(w.store, off);
};

/**
 * The module's bytes (see the module comment), importing a shared memory
 * when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(optimModuleBytes(false)); // exports adam, momentum, momentum_nesterov, rms_prop
 * ```
 */
export function optimModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "adam", fn: updateFunction(4, 3, 7, adamStep) },
      { name: "momentum", fn: updateFunction(3, 2, 3, momentumStep(false)) },
      { name: "momentum_nesterov", fn: updateFunction(3, 2, 3, momentumStep(true)) },
      { name: "rms_prop", fn: updateFunction(3, 2, 4, rmsPropStep) },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated optimizer module (see the module comment).
 *
 * @example
 * ```ts
 * optim.momentum(wPtr, gPtr, vPtr, outWPtr, outVPtr, n, 0.9, 0.01, 1);
 * ```
 */
export interface OptimExports {
  adam(w: number, g: number, m: number, v: number, outW: number, outM: number, outV: number, n: number, b1: number, c1: number, b2: number, c2: number, stepSize: number, epsHat: number, keep: number): void;
  momentum(w: number, g: number, v: number, outW: number, outV: number, n: number, mass: number, lr: number, keep: number): void;
  momentum_nesterov(w: number, g: number, v: number, outW: number, outV: number, n: number, mass: number, lr: number, keep: number): void;
  rms_prop(w: number, g: number, a: number, outW: number, outA: number, n: number, gamma: number, c: number, lr: number, eps: number): void;
}

/**
 * Instantiates the optimizer module over `memory` (tfjs-wasm's heap; shared
 * on its threaded build).
 *
 * @example
 * ```ts
 * const optim = instantiateOptim(backend.wasm.asm.memory);
 * ```
 */
export function instantiateOptim(memory: WasmMemory): OptimExports {
  return instantiateModule(memory, optimModuleBytes) as unknown as OptimExports;
}
