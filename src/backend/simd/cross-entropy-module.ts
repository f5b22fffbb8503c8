/**
 * The per-row steps of the log-softmax cross-entropy against integer
 * labels, as WebAssembly functions (written with {@link encodeModule}),
 * each the same float32 operations in the same order as the tfjs ops of
 * `softmaxCrossEntropy` (src/layers/cross-entropy.ts), so the same bits.
 * `rows` rows of `n` logits; `labels` int32, one per row (a label outside
 * `[0, n)` has a one-hot row of zeros).
 *
 * - `max_shift(x, d, mx, rows, n)`: `mx = max(x)` per row as tfjs-wasm's
 *   `Max` (the first value, replaced by any larger one or NaN), then
 *   `d = x - mx`.
 * - `ce_values(x, labels, mx, logS, ce, rows, n)`: `lse = mx + logS`, then
 *   `ce = -sum(t (x - lse))` with `t` the one-hot row, summed in order from
 *   zero (`0 (x - lse)` included: NaN where `x - lse` is not finite).
 * - `ce_grad(e, s, labels, dy, dx, rows, n)`: `scale = (mass dy) / s` with
 *   `mass` 1 for a label in range, else 0; `dx = e scale - t dy`.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** Pushes `1` (f32) where `k` equals the row's label, else `0`. */
function oneHotAt(f: FunctionBuilder, k: Local, label: Local): void {
  f.f32(1).f32(0).get(k).get(label).op("i32.eq").op("select");
}

/** `body` once per row (`row` counts them; the body advances its own pointers). */
function rowsLoop(f: FunctionBuilder, row: Local, rows: Local, body: () => void): void {
  f.i32(0).set(row);
  f.forLoop(row, rows, 1, body);
}

function maxShift(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32"]);
  const [x, d, mx, rows, n] = [0, 1, 2, 3, 4];
  const [row, k] = f.locals("i32", 2);
  const [m, v] = f.locals("f32", 2);
  rowsLoop(f, row, rows, () => {
    f.get(x).mem("f32.load").set(m);
    f.i32(1).set(k);
    f.forLoop(k, n, 1, () => {
      f.get(x).get(k).i32(2).op("i32.shl").op("i32.add").mem("f32.load").set(v);
      // m = (v > m || v != v) ? v : m
      f.get(v).get(m).get(v).get(m).op("f32.gt").get(v).get(v).op("f32.ne").op("i32.or").op("select").set(m);
    });
    f.get(mx).get(m).mem("f32.store");
    f.i32(0).set(k);
    f.forLoop(k, n, 1, () => {
      f.get(d).get(k).i32(2).op("i32.shl").op("i32.add");
      f.get(x).get(k).i32(2).op("i32.shl").op("i32.add").mem("f32.load").get(m).op("f32.sub").mem("f32.store");
    });
    f.get(n).i32(2).op("i32.shl").set(k);
    f.addTo(x, k, true).addTo(d, k, true).addTo(mx, 4);
  });
  return f;
}

function ceValues(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [x, labels, mx, logS, ce, rows, n] = [0, 1, 2, 3, 4, 5, 6];
  const [row, k, label] = f.locals("i32", 3);
  const [lse, sum] = f.locals("f32", 2);
  rowsLoop(f, row, rows, () => {
    f.get(mx).mem("f32.load").get(logS).mem("f32.load").op("f32.add").set(lse);
    f.get(labels).mem("i32.load").set(label);
    f.f32(0).set(sum);
    f.i32(0).set(k);
    f.forLoop(k, n, 1, () => {
      f.get(sum);
      oneHotAt(f, k, label);
      f.get(x).get(k).i32(2).op("i32.shl").op("i32.add").mem("f32.load").get(lse).op("f32.sub").op("f32.mul");
      f.op("f32.add").set(sum);
    });
    f.get(ce).get(sum).op("f32.neg").mem("f32.store");
    f.get(n).i32(2).op("i32.shl").set(k);
    f.addTo(x, k, true).addTo(labels, 4).addTo(mx, 4).addTo(logS, 4).addTo(ce, 4);
  });
  return f;
}

function ceGrad(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [e, s, labels, dy, dx, rows, n] = [0, 1, 2, 3, 4, 5, 6];
  const [row, k, label] = f.locals("i32", 3);
  const [scale, g] = f.locals("f32", 2);
  rowsLoop(f, row, rows, () => {
    f.get(labels).mem("i32.load").set(label);
    f.get(dy).mem("f32.load").set(g);
    // mass: 1 for a label in [0, n), else 0
    f.f32(1).f32(0).get(label).i32(0).op("i32.ge_s").get(label).get(n).op("i32.lt_s").op("i32.and").op("select");
    f.get(g).op("f32.mul").get(s).mem("f32.load").op("f32.div").set(scale);
    f.i32(0).set(k);
    f.forLoop(k, n, 1, () => {
      f.get(dx).get(k).i32(2).op("i32.shl").op("i32.add");
      f.get(e).get(k).i32(2).op("i32.shl").op("i32.add").mem("f32.load").get(scale).op("f32.mul");
      oneHotAt(f, k, label);
      f.get(g).op("f32.mul").op("f32.sub").mem("f32.store");
    });
    f.get(n).i32(2).op("i32.shl").set(k);
    f.addTo(e, k, true).addTo(dx, k, true).addTo(s, 4).addTo(labels, 4).addTo(dy, 4);
  });
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(crossEntropyModuleBytes(false)); // exports max_shift, ce_values, ce_grad
 * ```
 */
export function crossEntropyModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "max_shift", fn: maxShift() },
      { name: "ce_values", fn: ceValues() },
      { name: "ce_grad", fn: ceGrad() },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated cross-entropy module (see the module comment).
 *
 * @example
 * ```ts
 * mod.max_shift(x, d, mx, rows, n);
 * ```
 */
export interface CrossEntropyExports {
  max_shift(x: number, d: number, mx: number, rows: number, n: number): void;
  ce_values(x: number, labels: number, mx: number, logS: number, ce: number, rows: number, n: number): void;
  ce_grad(e: number, s: number, labels: number, dy: number, dx: number, rows: number, n: number): void;
}

/**
 * Instantiates the cross-entropy module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const mod = instantiateCrossEntropy(backend.wasm.asm.memory);
 * ```
 */
export function instantiateCrossEntropy(memory: WasmMemory): CrossEntropyExports {
  return instantiateModule(memory, crossEntropyModuleBytes) as unknown as CrossEntropyExports;
}
