/**
 * Layer normalization over the last axis as two WebAssembly functions
 * (written with {@link encodeModule}), computing exactly the float32 ops of
 * `LayerNorm`'s tfjs path in the same order, so the same bits: each row's
 * sums run in order from zero (as trax-ts's `Sum`/`Mean` kernels and
 * tfjs-wasm's), four rows side by side to overlap their additions; every
 * other step is one IEEE operation per element.
 *
 * Exports (addresses are byte offsets into the imported memory; `rows` rows
 * of `n` floats each):
 * - `layer_norm(x, scale, bias, y, normalized, std, rows, n, epsilon)`: per
 *   row, `mean = sum(x) / n`, `c = x - mean`, `var = sum(c c) / n`,
 *   `std = sqrt(var + epsilon)`, `normalized = c / std`,
 *   `y = normalized scale + bias` (a multiply, then an add).
 * - `layer_norm_grad(dy, normalized, std, scale, dx, rows, n)`: per row,
 *   `g = dy scale`, `dx = ((g - sum(g) / n) - normalized (sum(g normalized) / n)) / std`.
 * @module
 */
import { encodeModule, FunctionBuilder, type Local } from "./wasm-encoder";
import { instantiateModule, type WasmMemory } from "./instantiate";

/** Rows normalized side by side (their sums' additions overlap). */
const ROWS_AT_ONCE = 4;

/**
 * Emits, for `m` rows, `for (k = 0; k < n; k++) body(j)` per row `j` (rows
 * interleaved within each step); the local `kBytes` holds `4 k`.
 */
function perStep(f: FunctionBuilder, m: number, kBytes: Local, nBytes: Local, body: (j: number) => void): void {
  f.i32(0).set(kBytes);
  f.forLoop(kBytes, nBytes, 4, () => {
    for (let j = 0; j < m; j++) body(j);
  });
}

/**
 * Emits, for each of `m` rows `j`, a pass along the row: `vector(j)` per 4
 * elements (the local `kBytes` at their first), then `scalar(j)` per
 * remaining element. For elementwise steps (exact lane by lane).
 */
function alongRows(f: FunctionBuilder, m: number, kBytes: Local, nBytes: Local, vector: (j: number) => void, scalar: (j: number) => void): void {
  for (let j = 0; j < m; j++) {
    f.i32(0).set(kBytes);
    f.forLoop(kBytes, nBytes, 16, () => vector(j), true);
    f.forLoop(kBytes, nBytes, 4, () => scalar(j));
  }
}

function layerNorm(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "f32"]);
  const [x, scale, bias, y, normalized, std, rows, n, epsilon] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, kb, nBytes, at] = f.locals("i32", 4);
  const row = f.locals("i32", ROWS_AT_ONCE); // byte offset of row j from the arrays' starts
  const [sum, mean, sd] = [f.locals("f32", ROWS_AT_ONCE), f.locals("f32", ROWS_AT_ONCE), f.locals("f32", ROWS_AT_ONCE)];
  const [nf, c] = f.locals("f32", 2);
  const cv = f.local("v128");
  f.get(n).i32(2).op("i32.shl").set(nBytes);
  f.get(n).op("f32.convert_i32_s").set(nf);
  /** Normalizes `m` rows starting at row `r`. */
  const block = (m: number) => {
    for (let j = 0; j < m; j++) {
      f.get(r).i32(j).op("i32.add").get(nBytes).op("i32.mul").set(row[j]);
      f.f32(0).set(sum[j]);
    }
    // mean = sum(x) / n
    perStep(f, m, kb, nBytes, (j) => void f.get(sum[j]).get(x).get(row[j]).op("i32.add").get(kb).op("i32.add").mem("f32.load").op("f32.add").set(sum[j]));
    for (let j = 0; j < m; j++) f.get(sum[j]).get(nf).op("f32.div").set(mean[j]).f32(0).set(sum[j]);
    // c = x - mean, kept in `normalized`; var = sum(c c) / n
    perStep(f, m, kb, nBytes, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      f.get(x).get(at).op("i32.add").mem("f32.load").get(mean[j]).op("f32.sub").set(c);
      f.get(normalized).get(at).op("i32.add").get(c).mem("f32.store");
      f.get(sum[j]).get(c).get(c).op("f32.mul").op("f32.add").set(sum[j]);
    });
    // std = sqrt(var + epsilon)
    for (let j = 0; j < m; j++) {
      f.get(sum[j]).get(nf).op("f32.div").get(epsilon).op("f32.add").op("f32.sqrt").set(sd[j]);
      f.get(std).get(r).i32(j).op("i32.add").i32(2).op("i32.shl").op("i32.add").get(sd[j]).mem("f32.store");
    }
    // normalized = c / std; y = normalized scale + bias (four features at a time)
    alongRows(f, m, kb, nBytes, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      f.get(normalized).get(at).op("i32.add").mem("v128.load").get(sd[j]).op("f32x4.splat").op("f32x4.div").set(cv);
      f.get(normalized).get(at).op("i32.add").get(cv).mem("v128.store");
      f.get(y).get(at).op("i32.add");
      f.get(cv).get(scale).get(kb).op("i32.add").mem("v128.load").op("f32x4.mul");
      f.get(bias).get(kb).op("i32.add").mem("v128.load").op("f32x4.add").mem("v128.store");
    }, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      f.get(normalized).get(at).op("i32.add").mem("f32.load").get(sd[j]).op("f32.div").set(c);
      f.get(normalized).get(at).op("i32.add").get(c).mem("f32.store");
      f.get(y).get(at).op("i32.add");
      f.get(c).get(scale).get(kb).op("i32.add").mem("f32.load").op("f32.mul");
      f.get(bias).get(kb).op("i32.add").mem("f32.load").op("f32.add").mem("f32.store");
    });
  };
  f.i32(0).set(r);
  f.forLoop(r, rows, ROWS_AT_ONCE, () => block(ROWS_AT_ONCE), true);
  f.forLoop(r, rows, 1, () => block(1));
  return f;
}

function layerNormGrad(): FunctionBuilder {
  const f = new FunctionBuilder(["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [dy, normalized, std, scale, dx, rows, n] = [0, 1, 2, 3, 4, 5, 6];
  const [r, kb, nBytes, at] = f.locals("i32", 4);
  const row = f.locals("i32", ROWS_AT_ONCE);
  const [sumG, sumGX, sd] = [f.locals("f32", ROWS_AT_ONCE), f.locals("f32", ROWS_AT_ONCE), f.locals("f32", ROWS_AT_ONCE)];
  const [nf, g] = f.locals("f32", 2);
  f.get(n).i32(2).op("i32.shl").set(nBytes);
  f.get(n).op("f32.convert_i32_s").set(nf);
  /** g = dy scale at byte `at` (row) and `kb` (feature). */
  const gAt = () => f.get(dy).get(at).op("i32.add").mem("f32.load").get(scale).get(kb).op("i32.add").mem("f32.load").op("f32.mul");
  const block = (m: number) => {
    for (let j = 0; j < m; j++) {
      f.get(r).i32(j).op("i32.add").get(nBytes).op("i32.mul").set(row[j]);
      f.f32(0).set(sumG[j]).f32(0).set(sumGX[j]);
      f.get(std).get(r).i32(j).op("i32.add").i32(2).op("i32.shl").op("i32.add").mem("f32.load").set(sd[j]);
    }
    // sum(g) and sum(g normalized), each in order
    perStep(f, m, kb, nBytes, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      gAt().set(g);
      f.get(sumG[j]).get(g).op("f32.add").set(sumG[j]);
      f.get(sumGX[j]).get(g).get(normalized).get(at).op("i32.add").mem("f32.load").op("f32.mul").op("f32.add").set(sumGX[j]);
    });
    for (let j = 0; j < m; j++) f.get(sumG[j]).get(nf).op("f32.div").set(sumG[j]).get(sumGX[j]).get(nf).op("f32.div").set(sumGX[j]);
    // dx = ((g - mean(g)) - normalized mean(g normalized)) / std (four features at a time)
    alongRows(f, m, kb, nBytes, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      f.get(dx).get(at).op("i32.add");
      f.get(dy).get(at).op("i32.add").mem("v128.load").get(scale).get(kb).op("i32.add").mem("v128.load").op("f32x4.mul");
      f.get(sumG[j]).op("f32x4.splat").op("f32x4.sub");
      f.get(normalized).get(at).op("i32.add").mem("v128.load").get(sumGX[j]).op("f32x4.splat").op("f32x4.mul").op("f32x4.sub");
      f.get(sd[j]).op("f32x4.splat").op("f32x4.div").mem("v128.store");
    }, (j) => {
      f.get(row[j]).get(kb).op("i32.add").set(at);
      f.get(dx).get(at).op("i32.add");
      gAt().get(sumG[j]).op("f32.sub");
      f.get(normalized).get(at).op("i32.add").mem("f32.load").get(sumGX[j]).op("f32.mul").op("f32.sub");
      f.get(sd[j]).op("f32.div").mem("f32.store");
    });
  };
  f.i32(0).set(r);
  f.forLoop(r, rows, ROWS_AT_ONCE, () => block(ROWS_AT_ONCE), true);
  f.forLoop(r, rows, 1, () => block(1));
  return f;
}

/**
 * The module's bytes, importing a shared memory when `sharedMemory`.
 *
 * @example
 * ```ts
 * new WebAssembly.Module(layerNormModuleBytes(false)); // exports layer_norm and layer_norm_grad
 * ```
 */
export function layerNormModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(
    [
      { name: "layer_norm", fn: layerNorm() },
      { name: "layer_norm_grad", fn: layerNormGrad() },
    ],
    sharedMemory
  );
}

/**
 * The exports of an instantiated layer-norm module (see the module comment).
 *
 * @example
 * ```ts
 * mod.layer_norm(x, scale, bias, y, normalized, std, rows, n, 1e-6);
 * ```
 */
export interface LayerNormExports {
  layer_norm(x: number, scale: number, bias: number, y: number, normalized: number, std: number, rows: number, n: number, epsilon: number): void;
  layer_norm_grad(dy: number, normalized: number, std: number, scale: number, dx: number, rows: number, n: number): void;
}

/**
 * Instantiates the layer-norm module over `memory` (tfjs-wasm's heap).
 *
 * @example
 * ```ts
 * const mod = instantiateLayerNorm(backend.wasm.asm.memory);
 * ```
 */
export function instantiateLayerNorm(memory: WasmMemory): LayerNormExports {
  return instantiateModule(memory, layerNormModuleBytes) as unknown as LayerNormExports;
}
