/**
 * trax-ts's row-copying `Transpose` on wasm (src/backend/simd/
 * transpose-module.ts, wasm-transpose.ts): every permutation of up to three
 * leading axes that keeps the last axis gives tfjs-wasm's result exactly
 * (float32 and int32, rows of 4 to 37 elements: the 16-byte steps and the
 * 4-byte tail), the module's copy itself against a JavaScript reference,
 * what is left to tfjs-wasm (other permutations, short rows, bool) still
 * right, and an attention head split and merge round-trips.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, ready, tf, tl, withSwitch } from "../helpers";
import { instantiateTranspose, transposeModuleBytes } from "../../src/backend/simd/transpose-module";
import { rowCopyPlan, simdTranspose } from "../../src/backend/simd/wasm-transpose";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** All permutations of `xs`. */
function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** `x.transpose(perm)`'s values with our kernel on or off. */
const transposed = (x: tf.Tensor, perm: number[], on: boolean) => withSwitch(simdTranspose, on, () => tf.tidy(() => Array.from(x.transpose(perm).dataSync())));

test("the module is valid WebAssembly (plain and shared memory)", () => {
  assertValidModule(transposeModuleBytes);
});

test("rowCopyPlan: sizes and byte strides in output order, or null where rows are not copied whole", () => {
  assert.equal(rowCopyPlan([2, 5, 4, 8], [0, 2, 1, 3]), { sizes: [2, 4, 5], strides: [640, 32, 128], rowBytes: 32 });
  assert.equal(rowCopyPlan([3, 4], [0, 1]), { sizes: [1, 1, 3], strides: [0, 0, 16], rowBytes: 16 });
  assert.is(rowCopyPlan([4, 3], [1, 0]), null, "the last axis moves");
  assert.is(rowCopyPlan([4, 3], [0, 1]), null, "rows of 12 bytes");
  assert.is(rowCopyPlan([2, 2, 2, 2, 4], [0, 1, 2, 3, 4]), null, "four leading axes");
});

test("every permutation keeping the last axis equals tfjs-wasm's, float32 and int32, rows with and without a 4-byte tail", () => {
  if (!onWasm()) return;
  for (const d of [4, 5, 8, 37]) {
    for (const shape of [[3, d], [2, 3, d], [2, 3, 4, d]]) {
      const size = shape.reduce((p, s) => p * s, 1);
      for (const dtype of ["float32", "int32"] as const) {
        const x = tf.tensor(Array.from({ length: size }, (_, i) => (dtype === "int32" ? i * 7 - 50 : Math.sin(i) * 1e3)), shape, dtype);
        const lead = shape.slice(0, -1).map((_, i) => i);
        for (const p of permutations(lead)) {
          const perm = [...p, shape.length - 1];
          assert.equal(transposed(x, perm, true), transposed(x, perm, false), `[${shape}] ${dtype} perm [${perm}]`);
        }
        x.dispose();
      }
    }
  }
});

test("copy_rows itself, over a memory of its own: rows of 16-byte steps and a 4-byte tail land where the strides say", () => {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  const memory = new api.Memory({ initial: 1 });
  const mod = instantiateTranspose(memory);
  // A (2, 3, 5) int32 input at 64, transposed to (3, 2, 5): rows of 5 elements (20 bytes).
  const heap = new Int32Array(memory.buffer);
  const input = Array.from({ length: 30 }, (_, i) => i + 1);
  heap.set(input, 16);
  const plan = rowCopyPlan([2, 3, 5], [1, 0, 2])!;
  mod.copy_rows(64, 512, plan.sizes[0], plan.sizes[1], plan.sizes[2], plan.strides[0], plan.strides[1], plan.strides[2], plan.rowBytes);
  const expected: number[] = [];
  for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) expected.push(...input.slice((i * 3 + j) * 5, (i * 3 + j) * 5 + 5));
  assert.equal(Array.from(heap.subarray(128, 158)), expected);
});

test("what the kernel leaves to tfjs-wasm is still right: the last axis moving, short rows, bool", () => {
  if (!onWasm()) return;
  const x = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
  assert.equal(Array.from(x.transpose([2, 1, 0]).dataSync()).slice(0, 4), [0, 12, 4, 16]);
  const short = tf.tensor3d(Array.from({ length: 12 }, (_, i) => i), [2, 3, 2]);
  assert.equal(Array.from(short.transpose([1, 0, 2]).dataSync()), [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
  const flags = tf.tensor3d([1, 0, 0, 1, 1, 1, 0, 0], [2, 1, 4], "bool");
  assert.equal(Array.from(flags.transpose([1, 0, 2]).dataSync()), [1, 0, 0, 1, 1, 1, 0, 0]);
  tf.dispose([x, short, flags]);
});

test("an attention head split and merge round-trip through the kernel", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([3, 7, 32], 0, 1, "float32", 1);
  const split = tl.SplitIntoHeads(4)(x) as tf.Tensor;
  assert.equal(split.shape, [12, 7, 8]);
  const merged = tl.MergeHeads(4)(split) as tf.Tensor;
  assert.equal(Array.from(merged.dataSync()), Array.from(x.dataSync()));
  const reference = withSwitch(simdTranspose, false, () => tf.tidy(() => Array.from((tl.SplitIntoHeads(4)(x) as tf.Tensor).dataSync())));
  assert.equal(Array.from(split.dataSync()), reference);
  tf.dispose([x, split, merged]);
});

test.run();
