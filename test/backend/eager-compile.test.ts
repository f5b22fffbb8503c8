/**
 * trax-ts's SIMD modules are compiled at import with V8's lazy compilation
 * and dynamic tiering off around the compile (src/backend/simd/
 * instantiate.ts, precompile.ts), so V8 optimizes them before the first
 * large product: only on V8 versions that know the flags, never against
 * the user's own flags, with nothing printed, and with the products still
 * right. (How fast the first product is, is not tested: timing.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { ready, tf } from "../helpers";
import { compiledModule, eagerTierUp } from "../../src/backend/simd/instantiate";
import { gemmModuleBytesFor } from "../../src/backend/simd/gemm-module";
import { simdMatMul } from "../../src/backend/simd/wasm-matmul";

test.before(ready);

test("eagerTierUp: V8 10-13 unless the process sets the flags itself", () => {
  assert.is(eagerTierUp("11.3.244.8-node.33", []), true);
  assert.is(eagerTierUp("12.4.254.21-node.33", ["--max-old-space-size=4096"]), true);
  assert.is(eagerTierUp("9.4.146.26", []), false);
  assert.is(eagerTierUp("14.1.0", []), false, "a V8 whose flags we have not seen");
  assert.is(eagerTierUp("11.3.244.8-node.33", ["--no-wasm-dynamic-tiering"]), false);
  assert.is(eagerTierUp("11.3.244.8-node.33", ["--wasm-lazy-compilation --trace-warnings"]), false);
});

test("the modules are compiled at import: the products use the module compiled then", () => {
  if (tf.getBackend() !== "wasm" || !simdMatMul.enabled) return;
  const backend = tf.backend() as unknown as { wasm: { asm: { memory?: object }; wasmMemory?: object } };
  const memory = (backend.wasm.asm.memory ?? backend.wasm.wasmMemory) as { buffer: ArrayBuffer };
  const before = compiledModule(memory, gemmModuleBytesFor(simdMatMul.fma));
  tf.matMul(tf.ones([9, 7]), tf.ones([7, 5])).dispose();
  assert.is(compiledModule(memory, gemmModuleBytesFor(simdMatMul.fma)), before);
});

test("importing trax-ts in a fresh process prints no V8 flag errors, and products are right after it", () => {
  const script = `const t = require('./src'); const y = t.tf.matMul(t.tf.ones([6, 300]), t.tf.ones([300, 9]));
    console.log(JSON.stringify({ y: Array.from(y.dataSync()) }));`;
  // with V8's defaults, and with the user's own flag (left alone)
  for (const flags of [[], ["--no-wasm-dynamic-tiering"]]) {
    const run = spawnSync(process.execPath, [...flags, "--import", "tsx", "-e", script], {
      env: { ...process.env, TRAX_BACKEND: "wasm", TRAX_QUIET: "1" },
      encoding: "utf8",
      timeout: 120000,
    });
    assert.is(run.status, 0, run.stderr);
    assert.not.match(run.stderr, /flag/i);
    assert.equal(JSON.parse(run.stdout.trim()).y, new Array(54).fill(300), `flags ${flags}`);
  }
});

test.run();
