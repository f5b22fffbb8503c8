/**
 * A user's weights are never lost or silently replaced (issue 13, items 1,
 * 2, 4 and 5): failed loads keep the layer's weights, assigned weights are
 * used, shared tensors survive a re-init, assignments are checked.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { assertClose, ready, ShapeDtype, tf, tl, trax } from "../helpers";

const test = suite("weights-safety");
test.before(ready);

const key = (seed: number) => trax.fastmath.random.getPrng(seed);
const x = () => tf.tensor([[1, 2, 3, 4], [0.5, -1, 2, 0]]);
const sig = new ShapeDtype([2, 4]);

function inTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "trax-weights-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function throwsWith(f: () => unknown, ...patterns: RegExp[]): void {
  try {
    f();
  } catch (e) {
    for (const p of patterns) assert.match((e as Error).message, p);
    return;
  }
  assert.unreachable("expected an error");
}

// ------------------------------------------------------------ item 1

test("a failed initFromFile (weights-only file without weightsOnly) keeps every weight alive and unchanged", () => {
  inTempDir((dir) => {
    const model = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2));
    model.init(sig, { rng: key(1) });
    const y0 = (model(x()) as tf.Tensor).arraySync();
    const other = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2));
    other.init(sig, { rng: key(2) });
    const file = join(dir, "w.ckpt.gz");
    other.saveToFile(file, { weightsOnly: true, inputSignature: sig });
    const before = tf.memory().numTensors;
    throwsWith(() => model.initFromFile(file), /weights only/, /weightsOnly: true/);
    assert.is(tf.memory().numTensors, before, "no tensor leaked or freed");
    for (const t of tl.flattenWeightsAndState(model.weights, model.state)[0]) assert.not.ok(t.isDisposed);
    assertClose(model(x()), y0);
  });
});

test("a failed initFromFile (shape mismatch) keeps the weights; a good one then loads", () => {
  inTempDir((dir) => {
    const model = tl.Dense(3);
    model.init(sig, { rng: key(1) });
    const y0 = (model(x()) as tf.Tensor).arraySync();
    const wide = tl.Dense(5);
    wide.init(sig, { rng: key(3) });
    const file = join(dir, "wide.ckpt.gz");
    wide.saveToFile(file, { inputSignature: sig });
    throwsWith(() => model.initFromFile(file), /shape \[4,5\]/, /expects \[4,3\]/);
    assertClose(model(x()), y0);
    const same = tl.Dense(3);
    same.init(sig, { rng: key(4) });
    same.saveToFile(file, { inputSignature: sig });
    model.initFromFile(file);
    assertClose(model(x()), same(x()));
  });
});

test("weightsAndStateSignature and outputSignature of an initialized layer leave its tensors alive", () => {
  const model = tl.Serial(tl.Dense(3), tl.BatchNorm({ axis: [0] }));
  model.init(sig, { rng: key(1) });
  const tensors = tl.flattenWeightsAndState(model.weights, model.state).flat();
  const before = tf.memory().numTensors;
  const [w] = model.weightsAndStateSignature(new ShapeDtype([2, 6])) as [ShapeDtypeTree, unknown];
  assert.equal((w as ShapeDtypeTree[][])[0].map((s) => (s as InstanceType<typeof ShapeDtype>).shape), [[6, 3], [3]]);
  const outer = tl.Serial(model, tl.Dense(2));
  outer.outputSignature(sig);
  assert.is(tf.memory().numTensors, before);
  for (const t of tensors) assert.not.ok(t.isDisposed);
});
type ShapeDtypeTree = unknown;

// ------------------------------------------------------------ item 2

test("weights assigned to a layer never initialized are used by its first call, and it says initialized", () => {
  const a = tl.Dense(3);
  a.init(sig, { rng: key(7) });
  const b = tl.Dense(3);
  b.weights = a.weights;
  const y = b(x());
  assertClose(y, a(x()));
  assert.ok(b.initialized);
  assert.is((b.weights as tf.Tensor[])[0], (a.weights as tf.Tensor[])[0]);
});

test("a 'pretrained' Serial given by assignment keeps its weights through init (what a Loop calls)", () => {
  const a = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2), tl.BatchNorm({ axis: [0] }));
  a.init(sig, { rng: key(9) });
  const b = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2), tl.BatchNorm({ axis: [0] }));
  b.weights = a.weights;
  b.init(sig, { rng: key(0) });
  assert.ok(b.initialized);
  const bn = b.sublayers[3];
  assert.is((bn.state as tf.Tensor[]).length, 3, "state made by init");
  const evalA = tl.Serial(a, tl.Fn("Id", (t: tf.Tensor) => t));
  void evalA;
  const wa = tl.flattenWeightsAndState(a.weights, a.state)[0];
  const wb = tl.flattenWeightsAndState(b.weights, b.state)[0];
  wa.forEach((t, i) => assert.is(wb[i], t));
});

test("assigned weights that do not fit the input are refused at init, naming the layer and shapes", () => {
  const a = tl.Dense(3);
  a.init(new ShapeDtype([2, 5]), { rng: key(1) });
  const b = tl.Dense(3);
  b.weights = a.weights;
  throwsWith(() => b(x()), /Dense_3/, /shape \[5, 3\]; expected \[4, 3\]/);
  assert.not.ok(b.initialized);
  assert.not.ok((a.weights as tf.Tensor[])[0].isDisposed);
});

// ------------------------------------------------------------ item 4

test("re-initializing a layer keeps the tensors another layer adopted", () => {
  const a = tl.Dense(3);
  a.init(sig, { rng: key(1) });
  const b = tl.Dense(3);
  b.init(sig, { rng: key(2) });
  const before = tf.memory().numTensors;
  const bOld = b.weights;
  b.weights = a.weights;
  tf.dispose(bOld as tf.Tensor[]);
  const run = () => tf.tidy(() => (b(x()) as tf.Tensor).arraySync());
  const yb = run();
  a.init(sig, { rng: key(5) });
  assertClose(run(), yb);
  assert.is(tf.memory().numTensors, before, "a's new weights (2) and b's adopted ones (2)");
  // Once b lets go of them too (its own re-init), no layer holds them: they are freed.
  b.init(sig, { rng: key(6) });
  assert.is(tf.memory().numTensors, before);
});

// ------------------------------------------------------------ item 5

test("assignments are checked against the layer's shapes and dtypes, naming the path", () => {
  const model = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2));
  model.init(sig, { rng: key(1) });
  const y0 = (model(x()) as tf.Tensor).arraySync();
  const [w1, b1] = model.sublayers[0].weights as tf.Tensor[];
  const [w2, b2] = model.sublayers[2].weights as tf.Tensor[];
  const transposed = w1.transpose();
  throwsWith(() => (model.sublayers[0].weights = [transposed, b1]), /Dense_3/, /weights\[0\] has shape \[3, 4\]; expected \[4, 3\]/);
  const shortBias = tf.zeros([2]);
  throwsWith(() => (model.sublayers[0].weights = [w1, shortBias]), /weights\[1\] has shape \[2\]; expected \[3\]/);
  const batchBias = tf.zeros([2, 3]);
  throwsWith(() => (model.sublayers[0].weights = [w1, batchBias]), /shape \[2, 3\]; expected \[3\]/);
  const intKernel = tf.zeros([4, 3], "int32");
  throwsWith(() => (model.sublayers[0].weights = [intKernel, b1]), /dtype int32; expected float32/);
  // Nested: the first sublayer fits, the third does not: nothing is applied.
  const newW1 = tf.onesLike(w1);
  throwsWith(() => (model.weights = [[newW1, b1], [], [w2.transpose(), b2]]), /Serial\[2\]\.Dense_2/, /expected \[3, 2\]/);
  assert.is((model.sublayers[0].weights as tf.Tensor[])[0], w1, "first sublayer unchanged");
  assertClose(model(x()), y0);
  tf.dispose([transposed, shortBias, batchBias, intKernel, newW1]);
});

test("an integer layer accepts integer weights (as JAX does)", () => {
  class IntScale extends tl.Layer {
    initWeightsAndState(): void {
      this.weights = tf.scalar(2, "int32");
    }
    forward(t: tf.Tensor): tf.Tensor {
      return tf.mul(t, this.weights as tf.Tensor);
    }
  }
  const layer = new IntScale();
  layer(tf.tensor([1, 2], [2], "int32"));
  const three = tf.scalar(3, "int32");
  layer.weights = three;
  assert.equal((layer(tf.tensor([1, 2], [2], "int32")) as tf.Tensor).arraySync(), [3, 6]);
  const f = tf.scalar(3);
  throwsWith(() => (layer.weights = f), /dtype float32; expected int32/);
  f.dispose();
});

test("a nested assignment reaches a layer with its own weights accessor (Accelerate) and is checked there", () => {
  const model = tl.Serial(tl.Accelerate(tl.Dense(3)), tl.Relu());
  model.init(sig, { rng: key(1) });
  const other = tl.Serial(tl.Accelerate(tl.Dense(3)), tl.Relu());
  other.init(sig, { rng: key(2) });
  model.weights = other.weights;
  assertClose(model(x()), other(x()));
  const bad = tf.zeros([3, 4]);
  throwsWith(() => (model.weights = [[bad, tf.zeros([3])], []]), /shape \[3, 4\]; expected \[4, 3\]/);
  assertClose(model(x()), other(x()));
  bad.dispose();
});

test.run();
