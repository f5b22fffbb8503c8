/**
 * A broken engine said in words (issue 13, item 11): trax-ts refuses an
 * allocation that would not fit in the wasm heap before making it, and once
 * the engine traps (wasm out of memory), every later call and every error
 * shown by the kernel says the backend is lost and the kernel must be
 * restarted. The failure is simulated last (it poisons this process).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, ShapeDtype, tf, tl, trax } from "../helpers";
import { errorReport } from "../../src/kernel/render";

test.before(ready);

test("a weight that would not fit in the wasm heap is refused before anything is allocated", () => {
  if (tf.getBackend() !== "wasm") return; // only the wasm heap has this limit
  const before = tf.memory().numTensors;
  const dense = tl.Dense(32768);
  assert.throws(
    () => dense.init(new ShapeDtype([1, 32768])),
    (e: Error) => /a weight of shape \[32768, 32768\] needs 4096 MiB/.test(e.message) && /does not fit in the wasm backend's heap/.test(e.message)
  );
  assert.not.ok(dense.initialized);
  assert.is(tf.memory().numTensors, before);
  assert.throws(() => trax.backend.assertFitsInBackend(3 * 2 ** 30, "a test array"), /a test array needs 3072 MiB/);
  trax.backend.assertFitsInBackend(2 ** 20, "a small array");
  assert.equal((tl.Dense(2)(tf.ones([1, 3])) as tf.Tensor).shape, [1, 2]);
});

test("after the engine traps, layer calls and the kernel's error report say the backend is lost", () => {
  assert.is(trax.backend.backendLost(), null);
  const trap = tl.Fn("Trap", (_x: tf.Tensor) => {
    const api = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } }).WebAssembly;
    throw new api.RuntimeError("memory access out of bounds");
  });
  let first: Error | null = null;
  try {
    trap(tf.ones([2]));
  } catch (e) {
    first = e as Error;
  }
  assert.instance(first, tl.LayerError);
  assert.match(first!.message, /backend is lost \(out of memory: memory access out of bounds\)/);
  assert.match(first!.message, /Restart the kernel/);
  assert.instance(trax.backend.backendLost(), trax.backend.BackendLostError);
  // Every later layer call: the same clear error, before touching the engine.
  assert.throws(() => tl.Relu()(tf.ones([2])), (e: Error) => e instanceof trax.backend.BackendLostError);
  // A bare engine error in a cell ("Aborted()") is shown as the lost backend.
  const report = errorReport(new Error("Aborted(). Build with -sASSERTIONS for more info."));
  assert.is(report.ename, "BackendLostError");
  assert.match(report.evalue, /Restart the kernel/);
  assert.match(report.traceback[1], /Aborted\(\)/);
});

test.run();
