/**
 * captureNesting / restoreNesting (src/backend/nesting.ts), what the REPL
 * runs after Ctrl-C: the state a stopped evaluation leaves (open tf.tidy
 * scopes, a recording gradient tape, raised trax-ts counters) is made here
 * by hand, as V8's breakOnSigint leaves it (no `finally` ran), and put back.
 * test/repl/terminal.test.ts drives the real Ctrl-C.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax } from "../helpers";
import { registerNestingCounter } from "../../src/backend/nesting";

test.before(ready);

interface Engine {
  state: { scopeStack: unknown[]; gradientDepth: number; kernelDepth: number; activeTape: unknown[] | null };
  startScope(name?: string): void;
  startTape(): void;
}
const engine = () => tf.engine() as unknown as Engine;

test("open scopes end and free what they made; tensors made before and kept ones stay", () => {
  const x = tf.ones([3]);
  const before = trax.backend.captureNesting();
  const n0 = tf.memory().numTensors;
  engine().startScope("stopped tidy");
  for (let k = 0; k < 450; k++) tf.add(x, k);
  engine().startScope("inner");
  const kept = tf.keep(tf.add(x, 1));
  tf.mul(x, 2);
  assert.is(engine().state.scopeStack.length, before.scopes + 2);
  const freed = trax.backend.restoreNesting(before);
  assert.is(freed, 451);
  assert.is(engine().state.scopeStack.length, before.scopes);
  assert.is(tf.memory().numTensors - n0, 1);
  assert.equal(Array.from(kept.dataSync()), [2, 2, 2]);
  assert.not.ok(x.isDisposed);
  // A tensor made now belongs to no scope: a later tidy leaves it alone.
  const y = tf.add(x, 3);
  tf.tidy(() => tf.add(x, 4));
  assert.not.ok(y.isDisposed);
  tf.dispose([x, y, kept]);
});

test("a recording gradient tape stops and its saved copies are freed; gradients work after", () => {
  const x = tf.tensor([1, 2, 3]);
  const before = trax.backend.captureNesting();
  const n0 = tf.memory().numTensors;
  engine().startTape();
  engine().startScope("forward");
  tf.square(x).sum(); // recorded on the tape, which keeps copies of the inputs
  assert.ok((engine().state.activeTape ?? []).length > 0);
  trax.backend.restoreNesting(before);
  assert.is(engine().state.gradientDepth, 0);
  assert.is(engine().state.activeTape, null);
  assert.is(tf.memory().numTensors, n0);
  const g = tf.grad((v: tf.Tensor) => tf.square(v).sum())(x);
  assert.equal(Array.from(g.dataSync()), [2, 4, 6]);
  tf.dispose([x, g]);
});

test("registered counters go back: after a layer forward stopped half way, layer calls leak nothing again", () => {
  let depth = 0;
  registerNestingCounter("test counter", () => depth, (v) => (depth = v));
  const x = tf.ones([2, 3]);
  const mlp = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2));
  mlp(x).dispose();
  const before = trax.backend.captureNesting();
  // The counters as they stand inside a layer's forward (the layer-forward depth is up).
  const seen: { inside?: ReturnType<typeof trax.backend.captureNesting> } = {};
  tl.Serial(tl.Relu(), tl.Fn("Peek", (v: tf.Tensor) => {
    seen.inside = trax.backend.captureNesting();
    return v;
  }))(x).dispose();
  const inside = seen.inside!;
  assert.ok(inside.counters.get("layer forward")! > 0);
  // Left there, as breakOnSigint leaves them: a Serial call then skips its tf.tidy and leaks.
  trax.backend.restoreNesting(inside);
  depth = 3;
  const n0 = tf.memory().numTensors;
  mlp(x).dispose();
  assert.ok(tf.memory().numTensors > n0, "a raised forward depth should leak (the test's premise)");
  trax.backend.restoreNesting(before);
  assert.is(depth, 0);
  const n1 = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) mlp(x).dispose();
  assert.is(tf.memory().numTensors, n1);
  tf.dispose(x);
});

test("tensors a layer stored as its weights or state inside a stopped scope stay; the rest of the scope goes", () => {
  const dense = tl.Dense(2);
  dense.init(new trax.shapes.ShapeDtype([1, 3]));
  const before = trax.backend.captureNesting();
  const n0 = tf.memory().numTensors;
  engine().startScope("stopped call");
  const w = tf.ones([3, 2]);
  const b = tf.zeros([2]);
  tf.add(w, 1); // scratch
  const [oldW, oldB] = dense.weights as unknown as tf.Tensor[];
  dense.weights = [w, b] as unknown as tl.WeightsTree;
  trax.backend.restoreNesting(before);
  assert.not.ok(w.isDisposed || b.isDisposed);
  assert.is(tf.memory().numTensors - n0, 2);
  assert.equal(tf.tidy(() => Array.from((dense(tf.ones([1, 3])) as tf.Tensor).dataSync())), [3, 3]);
  tf.dispose([oldW, oldB]);
});

test.run();
