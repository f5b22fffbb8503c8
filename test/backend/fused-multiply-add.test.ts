/**
 * Fused multiply-add in trax-ts's SIMD products
 * (src/backend/simd/fused-multiply-add.ts): on by default where WebAssembly
 * takes relaxed SIMD (Node 20 after trax-ts sets V8's flag, Node 22 on its
 * own), reported by `backend.info()`; a sum step really rounds once (a sum
 * built to show it); `TRAX_FMA=0` goes back to separate multiplies and adds,
 * whose products equal tfjs-wasm's own bit for bit.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, ready, runScriptJson, tf, trax } from "../helpers";
import { gemmFmaModuleBytes } from "../../src/backend/simd/gemm-module";
import { fusedMultiplyAdd } from "../../src/backend/simd/fused-multiply-add";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/**
 * A script printing, for `rows` rows: the product of (-1, 1 + 2^-12) and
 * (1 + 2^-11, 1 + 2^-12) down 9 columns. In exact arithmetic each element
 * is 2^-24; a fused step keeps it, a multiply then an add rounds
 * (1 + 2^-12)^2 to 1 + 2^-11 first and gives 0.
 */
const roundingProbe = (rows: number) => `
  const t = require('./src'); const tf = t.tf;
  const x = 1 + 2 ** -12;
  const a = tf.tensor2d(Array.from({ length: ${rows} }, () => [-1, x]).flat(), [${rows}, 2]);
  const b = tf.tensor2d([...new Array(9).fill(1 + 2 ** -11), ...new Array(9).fill(x)], [2, 9]);
  const ours = Array.from(tf.matMul(a, b).dataSync());
  const info = t.backend.info();
  require('./src/backend/simd/wasm-matmul').simdMatMul.enabled = false;
  const stock = Array.from(tf.matMul(a, b).dataSync());
  const big = [tf.randomNormal([37, 70], 0, 1, 'float32', 1), tf.randomNormal([70, 45], 0, 1, 'float32', 2)];
  const stockBig = Array.from(tf.matMul(big[0], big[1]).dataSync());
  require('./src/backend/simd/wasm-matmul').simdMatMul.enabled = true;
  const oursBig = Array.from(tf.matMul(big[0], big[1]).dataSync());
  console.log(JSON.stringify({ fma: info.fusedMultiplyAdd, ours, stock, sameBig: oursBig.every((v, i) => Object.is(v, stockBig[i])) }));`;

type Probe = { fma: boolean; ours: number[]; stock: number[]; sameBig: boolean };

test("on by default where relaxed SIMD validates (this Node: yes), and reported by backend.info()", () => {
  if (!onWasm()) return;
  assert.is(fusedMultiplyAdd(), true);
  assert.is(trax.backend.info().fusedMultiplyAdd, true);
  assertValidModule(gemmFmaModuleBytes);
});

// (V8 compiles relaxed_madd to an FMA instruction on CPUs that have one: every x86-64 since 2013, every ARM64.)
test("each step of a sum rounds once: the tile kernel (5 rows) and the row kernel (1 row)", () => {
  if (!onWasm()) return;
  for (const rows of [5, 1]) {
    const r = runScriptJson<Probe>(roundingProbe(rows), {});
    assert.is(r.fma, true);
    assert.equal(r.ours, new Array(9 * rows).fill(2 ** -24), `${rows} rows`);
    assert.equal(r.stock, new Array(9 * rows).fill(0), "tfjs-wasm multiplies then adds");
  }
});

test("TRAX_FMA=0: separate multiplies and adds, products equal to tfjs-wasm's bit for bit", () => {
  if (!onWasm()) return;
  const r = runScriptJson<Probe>(roundingProbe(5), { TRAX_FMA: "0" });
  assert.is(r.fma, false);
  assert.equal(r.ours, r.stock);
  assert.ok(r.sameBig, "a 37x70x45 product equals tfjs-wasm's (XNNPACK) bit for bit");
});

test.run();
