/**
 * A plain script needs no `await trax.backend.ready()`: in Node the backend
 * (wasm, cpu, tfjs-node) starts synchronously while trax-ts is imported.
 * Each case is a script in a child process, loading the built package by
 * its name, as a user's script would.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const test = suite("backend without ready()");

function script(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, args, { cwd: root, env: { ...process.env, TRAX_QUIET: "1", ...env }, encoding: "utf8" });
}

/** A layer call right after the import, and the same Dense computed by hand from its weights. */
const DENSE_NOW = `
  const tl = trax.layers, tf = trax.tf;
  const model = tl.Serial(tl.Dense(3), tl.Relu());
  const x = tf.tensor2d([[1, -2, 3, 0.5], [0, 1, -1, 2]]);
  const y = model(x);
  const [w, b] = model.sublayers[0].weights;
  const expected = tf.relu(tf.add(tf.matMul(x, w), b));
  console.log(JSON.stringify({
    backend: tf.getBackend(), shape: y.shape,
    maxDiff: tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0],
    uncaughtHandlers: process.listeners("uncaughtException").length,
    fallback: trax.backend.wasmSyncFallbackReason(),
  }));`;

function lastJson(out: string): Record<string, unknown> {
  return JSON.parse(out.trim().split("\n").pop() as string) as Record<string, unknown>;
}

test.before(() => {
  assert.ok(existsSync(path.join(root, "dist", "index.js")), "dist/ is built (npm test builds it first)");
});

test("a CommonJS script calls a layer right after require, on wasm, with no ready()", () => {
  const r = lastJson(script(["-e", `const trax = require("trax-ts");${DENSE_NOW}`]));
  assert.is(r.backend, "wasm");
  assert.equal(r.shape, [2, 3]);
  assert.ok((r.maxDiff as number) < 1e-5, `layer output differs from relu(x W + b) by ${r.maxDiff}`);
  assert.is(r.uncaughtHandlers, 0, "the wasm runtime's process handlers are removed");
  assert.is(r.fallback, null, "the synchronous start did not fall back to tfjs's asynchronous one");
});

test("an ES module script calls a layer right after import, with no ready()", () => {
  const r = lastJson(script(["--input-type=module", "-e", `import * as trax from "trax-ts";${DENSE_NOW}`]));
  assert.is(r.backend, "wasm");
  assert.equal(r.shape, [2, 3]);
  assert.ok((r.maxDiff as number) < 1e-5);
});

test("TRAX_BACKEND=cpu also computes at once", () => {
  const r = lastJson(script(["-e", `const trax = require("trax-ts");${DENSE_NOW}`], { TRAX_BACKEND: "cpu" }));
  assert.is(r.backend, "cpu");
  assert.ok((r.maxDiff as number) < 1e-5);
});

test("ready() still resolves with the backend that already computes, and info() knows it at once", () => {
  const r = lastJson(script(["-e", `const trax = require("trax-ts");
    const now = trax.backend.info();
    trax.backend.ready().then((info) => console.log(JSON.stringify({ now: now.backend, skippedNow: now.skipped.length, later: info.backend, ready: trax.backend.isReady() })));`]));
  assert.equal(r, { now: "wasm", skippedNow: 2, later: "wasm", ready: true });
});

test("while tfjs starts an asynchronous backend, a layer call gives trax-ts's own message", () => {
  let stderr = "";
  try {
    script(["-e", `const trax = require("trax-ts"); const tf = trax.tf;
      tf.registerBackend("slow", () => new Promise(() => undefined), 0);
      tf.setBackend("slow");
      trax.layers.Dense(2)([[1, 2]]);`]);
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr);
  }
  assert.match(stderr, /trax-ts: the tensor engine is still starting; run `await trax\.backend\.ready\(\)`/);
  assert.not.match(stderr, /Make sure to await tf\.ready\(\)/);
});

test.run();
