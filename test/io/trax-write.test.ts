import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "child_process";
import { existsSync, mkdtempSync } from "fs";
import * as os from "os";
import * as path from "path";
import { python } from "./io-helpers";
import { leakedBy, ready, tf, tl } from "../helpers";
import { readTraxFile } from "../../src/io/trax-file";
import { tensorsIn } from "../../src/fastmath/tree";
import { ShapeDtype } from "../../src/shapes";
import * as trax from "../../src";

const test = suite("io/trax-write");
test.before(ready);

const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-write-"));
const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** Pythons to load our files with: Debian's (numpy 1.x) always, and another numpy major when one is installed. */
const PYTHONS = ["/usr/bin/python3", ...(() => {
  try {
    const other = execFileSync("python3", ["-c", "import numpy, sys; print(sys.executable, numpy.__version__)"], { encoding: "utf8" }).trim().split(" ");
    const mine = python("import numpy; print(numpy.__version__)");
    return other[1].split(".")[0] !== mine.split(".")[0] ? [other[0]] : [];
  } catch {
    return [];
  }
})()];

/** What Python reads from a file we wrote: plain pickle.load (trax.shapes stood in), as Trax's init_from_file does. */
function pythonLoads(file: string, exe = "/usr/bin/python3"): any {
  return JSON.parse(execFileSync(exe, ["-W", "error", path.join(__dirname, "trax-read.py"), file, "--plain"], { encoding: "utf8", maxBuffer: 1 << 26 }));
}

function sameAsTensors(theirs: { shape: number[]; dtype: string; values: number[] }[], ours: tf.Tensor[], what: string) {
  assert.is(theirs.length, ours.length, `${what}: count`);
  ours.forEach((t, i) => {
    assert.equal(theirs[i].shape, t.shape, `${what} ${i}: shape`);
    assert.is(theirs[i].dtype, t.dtype, `${what} ${i}: dtype`);
    assert.equal(theirs[i].values, values(t), `${what} ${i}: values (exact)`);
  });
}

function bnModel() {
  const model = tl.Serial(tl.Dense(3), tl.BatchNorm({ axis: [0] }), tl.Relu(), tl.Dense(2));
  const x = tf.tensor2d([[1, 2, 3, 4], [0.5, -1, 2, 0], [3, 1, -2, 1]]);
  model.init(new ShapeDtype([3, 4]));
  // One call in train mode (the default) moves BatchNorm's running statistics off their initial values.
  tf.dispose(model(x) as tf.Tensor);
  return { model, x };
}

test("saveToFile(format trax): Python's pickle + numpy read every array, the state and a ShapeDtype signature", () => {
  const { model, x } = bnModel();
  const file = path.join(tmp, "bn.pkl.gz");
  model.saveToFile(file, { format: "trax", inputSignature: new ShapeDtype([3, 4]) });
  for (const exe of PYTHONS) {
    const py = pythonLoads(file, exe);
    assert.equal(py.keys, ["flat_weights", "flat_state", "input_signature"], exe);
    sameAsTensors(py.flat_weights, tensorsIn(model.weights), `${exe} weights`);
    sameAsTensors(py.flat_state, tensorsIn(model.state), `${exe} state`);
    assert.ok(py.flat_state.some((s: { dtype: string }) => s.dtype === "int32"), "BatchNorm's counter stays int32");
    assert.equal(py.input_signature, { shape: [3, 4], dtype: "float32" });
  }
  // Options: weights only leaves flat_state out; no signature leaves input_signature out (Trax's defaults).
  model.saveToFile(file, { format: "trax", weightsOnly: true });
  assert.equal(pythonLoads(file).keys, ["flat_weights"]);
  x.dispose();
});

test("round trip trax-ts -> Trax format -> trax-ts gives identical outputs; a multi-input signature is a tuple", () => {
  const { model, x } = bnModel();
  const file = path.join(tmp, "rt.pkl.gz");
  model.saveToFile(file, { format: "trax", inputSignature: new ShapeDtype([3, 4]) });
  // Loaded into an eval-mode model (running statistics used) and compared with an eval twin holding the same tensors.
  const evalModel = () => tl.Serial(tl.Dense(3), tl.BatchNorm({ axis: [0], mode: "eval" }), tl.Relu(), tl.Dense(2));
  const copy = evalModel();
  copy.initFromFile(file);
  tensorsIn(copy.state).forEach((t, i) => assert.equal(values(t), values(tensorsIn(model.state)[i])));
  const twin = evalModel();
  twin.init(new ShapeDtype([3, 4]));
  twin.weights = model.weights;
  twin.state = model.state;
  const [a, b] = [twin(x) as tf.Tensor, copy(x) as tf.Tensor];
  assert.equal(values(b), values(a));
  tf.dispose([a, b, x]);
  const two = tl.Serial(tl.Parallel(tl.Dense(2), tl.Dense(3)), tl.Concatenate());
  two.init([new ShapeDtype([1, 4]), new ShapeDtype([1, 5])]);
  const f2 = path.join(tmp, "two.pkl.gz");
  two.saveToFile(f2, { format: "trax", inputSignature: [new ShapeDtype([1, 4]), new ShapeDtype([1, 5], "int32")] });
  assert.equal(pythonLoads(f2).input_signature, [{ shape: [1, 4], dtype: "float32" }, { shape: [1, 5], dtype: "int32" }]);
  const back = readTraxFile(f2);
  assert.ok(Array.isArray(back.inputSignature) && (back.inputSignature as ShapeDtype[])[1].equals(new ShapeDtype([1, 5], "int32")));
});

test("round trip Python -> trax-ts -> Python: a pickle numpy wrote (protocols 2 and 5) loads, saves back, and numpy finds the same arrays", () => {
  for (const protocol of [2, 5]) {
    const src = path.join(tmp, `py${protocol}.pkl.gz`);
    python(`
import gzip, pickle, numpy as np, sys, types
class ShapeDtype:
    __slots__ = ['shape', 'dtype']
ShapeDtype.__module__ = 'trax.shapes'
m = types.ModuleType('trax.shapes'); m.ShapeDtype = ShapeDtype; sys.modules['trax.shapes'] = m
t = types.ModuleType('trax'); t.shapes = m; sys.modules['trax'] = t
rng = np.random.RandomState(${protocol})
s = ShapeDtype(); s.shape = (2, 4); s.dtype = np.float32
d = {'flat_weights': [rng.randn(4, 3).astype(np.float32), rng.randn(3).astype(np.float32)], 'flat_state': [], 'input_signature': s}
with gzip.GzipFile('${src}', 'wb', compresslevel=2) as f:
    pickle.dump(d, f, protocol=${protocol})
`);
    const model = tl.Dense(3);
    model.initFromFile(src);
    const out = path.join(tmp, `back${protocol}.pkl.gz`);
    model.saveToFile(out, { format: "trax", inputSignature: new ShapeDtype([2, 4]) });
    const same = python(`
import gzip, pickle, numpy as np, sys, types
class ShapeDtype:
    __slots__ = ['shape', 'dtype']
ShapeDtype.__module__ = 'trax.shapes'
m = types.ModuleType('trax.shapes'); m.ShapeDtype = ShapeDtype; sys.modules['trax.shapes'] = m
t = types.ModuleType('trax'); t.shapes = m; sys.modules['trax'] = t
a = pickle.load(gzip.open('${src}')); b = pickle.load(gzip.open('${out}'))
ok = all(x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a['flat_weights'], b['flat_weights']))
print(ok and len(a['flat_weights']) == len(b['flat_weights']) and b['input_signature'].shape == (2, 4) and np.dtype(b['input_signature'].dtype) == np.float32)
`);
    assert.is(same, "True", `protocol ${protocol}`);
  }
});

test("Loop.saveTraxCheckpoint writes what Trax's Loop writes; Python reads step, weights, slots, history; trax-ts reads it back", () => {
  const model = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2));
  const xs = [[1, 0, 2, 1, 0], [0, 1, 1, 0, 2], [2, 2, 0, 1, 1]];
  const ys = [0, 1, 1];
  const data = function* () {
    for (;;) yield [tf.tensor2d(xs), tf.tensor1d(ys, "int32")];
  };
  const x = tf.tensor2d(xs);
  const task = new trax.supervised.TrainTask(data, tl.CategoryCrossEntropy(), trax.optimizers.Adam({ learningRate: 0.01 }));
  const evalTask = new trax.supervised.EvalTask(data, [tl.CategoryCrossEntropy(), tl.CategoryAccuracy()]);
  const loop = new trax.supervised.Loop(model, task, { evalTasks: evalTask, stepsPerEval: 1, progress: "none", log: () => {} });
  return loop.run(3).then(() => {
    const dir = path.join(tmp, "loop");
    const file = loop.saveTraxCheckpoint(dir);
    assert.is(file, path.join(dir, "model.pkl.gz"));
    for (const f of ["model.weights.npy.gz", "model.opt_slots0.npy.gz"]) assert.ok(existsSync(path.join(dir, f)), f);
    const py = pythonLoads(file);
    assert.equal(py.keys, ["step", "flat_weights", "flat_state", "flat_eval_state", "history", "slots_per_task", "input_signature", "version_timestamp"]);
    assert.is(py.step, 3);
    assert.is(py.slots_per_task, 2);
    assert.is(py.version_timestamp, "Mar-10-2021");
    sameAsTensors(py.flat_weights, tensorsIn(model.weights), "weights");
    sameAsTensors(py.slots[0], (task.optimizer.slots as tf.Tensor[][]).flat(), "Adam slots (m, v per weight)");
    assert.equal(py.input_signature, [{ shape: [3, 5], dtype: "float32" }], "a tuple of the model's input signatures");
    assert.equal(py.history_types, ["defaultdict"]);
    assert.equal(py.pair_types, ["tuple(int, float)"]);
    for (const mode of loop.history.modes) {
      for (const metric of loop.history.metricsForMode(mode)) assert.equal(py.history[mode][metric], loop.history.get(mode, metric), `${mode} ${metric}`);
    }
    // trax-ts reads it: readTraxFile and initFromFile.
    const back = readTraxFile(file);
    assert.is(back.step, 3);
    assert.equal(back.history!.eval, Object.fromEntries(loop.history.metricsForMode("eval").map((m) => [m, loop.history.get("eval", m)])));
    const copy = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2));
    copy.initFromFile(file);
    const [a, b] = [model(x) as tf.Tensor, copy(x) as tf.Tensor];
    assert.equal(values(b), values(a));
    tf.dispose([a, b]);
    assert.is(leakedBy(() => loop.saveTraxCheckpoint(dir)), 0);
    // A fresh loop continues from it.
    const model2 = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2));
    const task2 = new trax.supervised.TrainTask(data, tl.CategoryCrossEntropy(), trax.optimizers.Adam({ learningRate: 0.01 }));
    const loop2 = new trax.supervised.Loop(model2, task2, { progress: "none", log: () => {} });
    loop2.loadTraxCheckpoint(file);
    assert.is(loop2.step, 3);
    tensorsIn(model2.weights).forEach((t, i) => assert.equal(values(t), values(tensorsIn(model.weights)[i])));
    (task2.optimizer.slots as tf.Tensor[][]).flat().forEach((t, i) => assert.equal(values(t), values((task.optimizer.slots as tf.Tensor[][]).flat()[i])));
    assert.equal(loop2.history.get("eval", "metrics/CategoryAccuracy"), loop.history.get("eval", "metrics/CategoryAccuracy"));
    loop2.dispose();
    loop.dispose();
    x.dispose();
  });
});

test.run();
