import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { throwsMatching } from "./io-helpers";
import { assertClose, leakedBy, ready, tf, tl } from "../helpers";
import { readNpy } from "../../src/io/npy";
import type { NpyArray } from "../../src/io/npy";
import { gunzipBytes, gzipBytes, readFileBytes } from "../../src/io/gzip";
import { npToTraxFile, readTraxFile, traxWeightsFile, writeTraxPickle } from "../../src/io/trax-file";
import { ShapeDtype } from "../../src/shapes";
import * as trax from "../../src";

const test = suite("io/trax-file");
test.before(ready);

const T = path.join(__dirname, "..", "fixtures", "trax-files");
const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-file-"));
const mlp = () => tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2));
const values = (t: tf.Tensor) => Array.from(t.dataSync());

function evalOutput(model: ReturnType<typeof mlp>, x: tf.Tensor): number[] {
  const y = model(x) as tf.Tensor;
  const v = values(y);
  y.dispose();
  return v;
}

test("initFromFile reproduces Trax's stored output for every save_to_file variant (within 1e-5)", () => {
  const x = readNpy(path.join(T, "mlp/input.npy"));
  const want = readNpy(path.join(T, "mlp/output.npy"));
  const cases: [string, Record<string, unknown>][] = [
    ["model.pkl.gz", {}],
    ["model.nosig.pkl.gz", { inputSignature: new ShapeDtype([3, 5]) }],
    ["model.weights_only.pkl.gz", { weightsOnly: true, inputSignature: new ShapeDtype([3, 5]) }],
  ];
  for (const [file, options] of cases) {
    const model = mlp();
    model.initFromFile(path.join(T, "mlp", file), options);
    assertClose(evalOutput(model, x), values(want), 1e-5, 1e-5, file);
  }
  tf.dispose([x, want]);
});

test("initFromFile reads a real training-loop checkpoint (weights in model.weights.npy.gz) and its resaved numpy copy", () => {
  const x = readNpy(path.join(T, "loop_mlp/train_x.npy"));
  const want = readNpy(path.join(T, "loop_mlp/output.npy"));
  for (const file of ["output_dir/model.pkl.gz", "resaved.pkl.gz"]) {
    const model = mlp();
    model.initFromFile(path.join(T, "loop_mlp", file));
    assertClose(evalOutput(model, x), values(want), 1e-5, 1e-5, file);
  }
  tf.dispose([x, want]);
});

/** What Python (pickle + numpy, JAX and trax.shapes stubbed) reads from a Trax file. */
function pythonReads(file: string): any {
  return JSON.parse(execFileSync("/usr/bin/python3", [path.join(__dirname, "trax-read.py"), file], { encoding: "utf8", maxBuffer: 1 << 26 }));
}

function sameArrays(ours: NpyArray[], theirs: { shape: number[]; values: number[] }[], what: string) {
  assert.is(ours.length, theirs.length, `${what}: count`);
  ours.forEach((a, i) => {
    assert.equal(a.shape, theirs[i].shape, `${what} ${i}: shape`);
    assert.equal(Array.from(a.data as Float32Array, Number), theirs[i].values, `${what} ${i}: values`);
  });
}

test("readTraxFile reads exactly what Python reads: step, weights, state, Adam slots, history, signature", () => {
  for (const file of ["loop_mlp/output_dir/model.pkl.gz", "mlp/model.pkl.gz", "mlp/model.nosig.pkl.gz", "loop_mlp/resaved.pkl.gz"]) {
    const f = readTraxFile(path.join(T, file));
    const py = pythonReads(path.join(T, file));
    assert.equal([...f.raw.keys()], py.keys, file);
    sameArrays(f.flatWeights, py.flat_weights, `${file} weights`);
    sameArrays(f.flatState ?? [], py.flat_state ?? [], `${file} state`);
    if (py.input_signature) {
      const sigs = ([] as ShapeDtype[]).concat(f.inputSignature as ShapeDtype | ShapeDtype[]);
      const want = ([] as { shape: number[]; dtype: string }[]).concat(py.input_signature);
      assert.equal(sigs.map((s) => [s.shape, s.dtype]), want.map((s) => [s.shape, s.dtype]), `${file} signature`);
    } else assert.is(f.inputSignature, null);
    if (py.step !== undefined) {
      assert.is(f.step, py.step);
      assert.equal(f.history, py.history);
      assert.is(f.slotsPerTask!.length, py.slots.length);
      f.slotsPerTask!.forEach((s, i) => sameArrays(s, py.slots[i], `${file} slots of task ${i}`));
    }
  }
  const f = readTraxFile(path.join(T, "loop_mlp/output_dir/model.pkl.gz"));
  assert.is(f.weightsFile, path.join(T, "loop_mlp/output_dir/model.weights.npy.gz"));
  assert.ok(Array.isArray(f.inputSignature), "a loop stores a tuple of signatures");
  // Adam: (m, v) per weight, in weight order.
  assert.equal(f.slotsPerTask![0].map((a) => a.shape), [[5, 4], [5, 4], [4], [4], [4, 2], [4, 2], [2], [2]]);
});

test("readTraxFile on the save_to_file pickle: flat arrays, state and the ShapeDtype signature", () => {
  const f = readTraxFile(path.join(T, "mlp/model.pkl.gz"));
  assert.is(f.weightsFile, null);
  assert.equal(f.flatState, []);
  assert.ok((f.inputSignature as ShapeDtype).equals(new ShapeDtype([3, 5])));
  assert.is(f.step, undefined);
  const nosig = readTraxFile(path.join(T, "mlp/model.nosig.pkl.gz"));
  assert.is(nosig.inputSignature, null);
  assert.is(readTraxFile(path.join(T, "mlp/model.weights_only.pkl.gz")).flatState, null);
  assert.is(trax.io.readTraxFile, readTraxFile);
});

test("Loop.loadTraxCheckpoint continues a run Python Trax checkpointed: weights, Adam slots, step, history", async () => {
  const xs = readNpy(path.join(T, "loop_mlp/train_x.npy"));
  const ys = readNpy(path.join(T, "loop_mlp/train_y.npy"));
  const want = readNpy(path.join(T, "loop_mlp/output.npy"));
  const data = function* () {
    for (;;) yield [xs.clone(), ys.clone()];
  };
  const model = mlp();
  const task = new trax.supervised.TrainTask(data, tl.CategoryCrossEntropy(), trax.optimizers.Adam({ learningRate: 0.01 }));
  const loop = new trax.supervised.Loop(model, task, { progress: "none", log: () => {}, stepsPerEval: 1 });
  const file = path.join(T, "loop_mlp/output_dir/model.pkl.gz");
  loop.loadTraxCheckpoint(file);
  assert.is(loop.step, 3);
  assertClose(evalOutput(model, xs), values(want), 1e-5, 1e-5, "the trained model's output");
  const f = readTraxFile(file);
  const slots = (task.optimizer.slots as tf.Tensor[][]).flat();
  slots.forEach((t, i) => assert.equal(values(t), Array.from(f.slotsPerTask![0][i].data as Float32Array), `slot ${i}`));
  assert.equal(loop.history.get("eval", "metrics/CategoryAccuracy"), f.history!.eval["metrics/CategoryAccuracy"]);
  assert.is(leakedBy(() => loop.loadTraxCheckpoint(file)), 0, "loading again frees what it replaces");
  // It trains on from there.
  await loop.run(1);
  assert.is(loop.step, 4);
  // A mismatched loop (another model) is refused, and keeps its weights.
  const other = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2));
  const otherTask = new trax.supervised.TrainTask(data, tl.CategoryCrossEntropy(), trax.optimizers.Adam());
  const otherLoop = new trax.supervised.Loop(other, otherTask, { progress: "none", log: () => {} });
  unchanged(other as ReturnType<typeof mlp>, () => otherLoop.loadTraxCheckpoint(file), /model\.pkl\.gz/, /the model expects \[5,3\]/);
  assert.is(otherLoop.step, 0);
  throwsMatching(() => otherLoop.loadTraxCheckpoint(path.join(T, "mlp/model.pkl.gz")), /not a loop checkpoint/);
  loop.dispose();
  otherLoop.dispose();
  tf.dispose([xs, ys, want]);
});

test("flat_weights as an int: x.weights.npy.gz next to x.pkl.gz, else x.pkl.gz.npy (Trax's rule); other names use file + .npy", () => {
  const dir = mkdtempSync(path.join(tmp, "names-"));
  const [w, b] = [tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([0.5, -0.5])];
  const x = tf.tensor2d([[1, 1, 1]]);
  const expectOut = (file: string) => {
    const m = tl.Dense(2);
    m.initFromFile(file, { inputSignature: new ShapeDtype([1, 3]) });
    assert.equal(evalOutput(m as unknown as ReturnType<typeof mlp>, x), [9.5, 11.5]);
  };
  const header = new Map<string, unknown>([["flat_weights", 2], ["flat_state", []]]);
  // 1. model.pkl.gz + model.weights.npy.gz
  writeTraxPickle(path.join(dir, "model.pkl.gz"), header);
  npToTraxFile([w, b], path.join(dir, "model.weights.npy.gz"));
  expectOut(path.join(dir, "model.pkl.gz"));
  assert.is(traxWeightsFile(path.join(dir, "model.pkl.gz")), path.join(dir, "model.weights.npy.gz"));
  // 2. other.pkl.gz without other.weights.npy.gz falls back to other.pkl.gz.npy
  writeTraxPickle(path.join(dir, "other.pkl.gz"), header);
  npToTraxFile([w, b], path.join(dir, "other.pkl.gz.npy"));
  expectOut(path.join(dir, "other.pkl.gz"));
  // 3. a name not ending in .pkl.gz: file + .npy
  writeTraxPickle(path.join(dir, "weights.gz"), header);
  npToTraxFile([w, b], path.join(dir, "weights.gz.npy"));
  expectOut(path.join(dir, "weights.gz"));
  // A loop checkpoint stores bfloat16 weights as uint16 bit patterns (Trax's _to_bits): read back as float32.
  const loopDir = mkdtempSync(path.join(tmp, "bf16-"));
  writeTraxPickle(path.join(loopDir, "model.pkl.gz"), new Map<string, unknown>([["step", 7], ["flat_weights", 2], ["flat_state", []]]));
  npToTraxFile([{ shape: [3], dtype: "<u2", data: Uint16Array.of(0x3fc0, 0xc000, 0x3e80), fortranOrder: false }], path.join(loopDir, "model.weights.npy.gz"));
  const bf = readTraxFile(path.join(loopDir, "model.pkl.gz"));
  assert.is(bf.step, 7);
  assert.is(bf.flatWeights[0].dtype, "<f4");
  assert.equal(Array.from(bf.flatWeights[0].data as Float32Array), [1.5, -2, 0.25]);
  // A pickle that is not a dict, or lacks flat_weights.
  writeTraxPickle(path.join(dir, "list.pkl.gz"), [1, 2] as unknown as Map<string, unknown>);
  throwsMatching(() => readTraxFile(path.join(dir, "list.pkl.gz")), /list\.pkl\.gz/, /does not hold a dictionary/);
  writeTraxPickle(path.join(dir, "empty.pkl.gz"), new Map());
  throwsMatching(() => readTraxFile(path.join(dir, "empty.pkl.gz")), /no 'flat_weights'/);
  tf.dispose([w, b, x]);
});

// ------------------------------------------------------------------ bad input

function loadedMlp() {
  const model = mlp();
  model.init(new ShapeDtype([3, 5]));
  return model;
}

function unchanged(model: ReturnType<typeof mlp>, f: () => unknown, ...patterns: RegExp[]) {
  const before = (model.weights as unknown as tf.Tensor[][]).flat().filter((t) => t instanceof tf.Tensor) as tf.Tensor[];
  const snap = before.map(values);
  const n = tf.memory().numTensors;
  throwsMatching(f, ...patterns);
  const after = (model.weights as unknown as tf.Tensor[][]).flat().filter((t) => t instanceof tf.Tensor) as tf.Tensor[];
  assert.is(after.length, before.length);
  after.forEach((t, i) => {
    assert.is(t, before[i], "the same tensors are kept");
    assert.not.ok(t.isDisposed, "and not disposed");
    assert.equal(values(t), snap[i]);
  });
  assert.is(tf.memory().numTensors, n, "nothing leaked");
}

test("bad input: wrong model, wrong shapes, weights only, no signature: a clear error and the layer unchanged", () => {
  const model = loadedMlp();
  const file = path.join(T, "mlp/model.pkl.gz");
  // A model whose weights have other shapes.
  const other = tl.Serial(tl.Dense(3), tl.Relu(), tl.Dense(2));
  other.init(new ShapeDtype([3, 5]));
  unchanged(other as ReturnType<typeof mlp>, () => other.initFromFile(file), /model\.pkl\.gz/, /weight 0 has shape \[5,4\] in the file; the model expects \[5,3\]/);
  // A model with more weights.
  const bigger = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2), tl.Dense(2));
  bigger.init(new ShapeDtype([3, 5]));
  unchanged(bigger as ReturnType<typeof mlp>, () => bigger.initFromFile(file), /has 4 weight arrays; the model has 6/);
  unchanged(model, () => model.initFromFile(path.join(T, "mlp/model.weights_only.pkl.gz")), /no 'flat_state'/, /weightsOnly: true/);
  const fresh = mlp();
  throwsMatching(() => fresh.initFromFile(path.join(T, "mlp/model.nosig.pkl.gz")), /model\.nosig\.pkl\.gz/, /no input.signature/, /pass \{ inputSignature \}/);
  assert.not.ok(fresh.initialized);
});

test("bad input: truncated, corrupt, disallowed global, missing weights file: errors name the file; layer unchanged", () => {
  const model = loadedMlp();
  const good = readFileSync(path.join(T, "mlp/model.pkl.gz"));
  const raw = gunzipBytes(readFileBytes(path.join(T, "mlp/model.pkl.gz")));
  const truncated = path.join(tmp, "truncated.pkl.gz");
  writeFileSync(truncated, good.subarray(0, good.length - 30));
  unchanged(model, () => model.initFromFile(truncated), /truncated\.pkl\.gz/, /truncated/);
  const corrupt = path.join(tmp, "corrupt.pkl.gz");
  const flipped = Buffer.from(good);
  flipped[Math.floor(flipped.length / 2)] ^= 0x5a;
  writeFileSync(corrupt, flipped);
  unchanged(model, () => model.initFromFile(corrupt), /Trax file .*corrupt\.pkl\.gz. is corrupt/);
  const cut = path.join(tmp, "cut-pickle.pkl.gz");
  writeFileSync(cut, gzipBytes(raw.subarray(0, raw.length - 40)));
  unchanged(model, () => model.initFromFile(cut), /cut-pickle\.pkl\.gz/, /truncated/);
  const evil = path.join(tmp, "evil.pkl.gz");
  const evilBytes = Buffer.from(raw);
  const at = evilBytes.indexOf("jax._src.array");
  evilBytes.write("subprocess.cal", at); // same length: 'subprocess.cal._reconstruct_array'
  writeFileSync(evil, gzipBytes(evilBytes));
  unchanged(model, () => model.initFromFile(evil), /evil\.pkl\.gz/, /global 'subprocess\.cal\._reconstruct_array' is not allowed/);
  // A decompression cap (issue 13's gzip limit) applies to Trax files and their weights files too.
  unchanged(model, () => model.initFromFile(path.join(T, "mlp/model.pkl.gz"), { maxDecompressedBytes: 100 }), /model\.pkl\.gz/, /more than 100 bytes/);
  throwsMatching(() => readTraxFile(path.join(T, "loop_mlp/output_dir/model.pkl.gz"), { maxDecompressedBytes: 500 }), /model\.pkl\.gz/, /more than 500 bytes/);
  // A loop checkpoint whose weights file is missing.
  const dir = mkdtempSync(path.join(tmp, "loop-"));
  copyFileSync(path.join(T, "loop_mlp/output_dir/model.pkl.gz"), path.join(dir, "model.pkl.gz"));
  unchanged(model, () => model.initFromFile(path.join(dir, "model.pkl.gz")), /model\.pkl\.gz/, /weights are in a separate file/, /model\.weights\.npy\.gz/);
  // ... or holds one array too few.
  const w = readFileBytes(path.join(T, "loop_mlp/output_dir/model.weights.npy.gz"));
  const records = gunzipBytes(w);
  writeFileSync(path.join(dir, "model.weights.npy.gz"), gzipBytes(records.subarray(0, records.length - 136)));
  unchanged(model, () => model.initFromFile(path.join(dir, "model.pkl.gz")), /has 3 weight arrays; the model has 4/);
  assert.is(leakedBy(() => model.initFromFile(path.join(T, "mlp/model.pkl.gz"))), 0);
});

test.run();
