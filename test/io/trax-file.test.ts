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
import { readTraxFile } from "../../src/io/trax-file";
import { ShapeDtype } from "../../src/shapes";
import * as trax from "../../src";

const test = suite("io/trax-file");
test.before(ready);

const T = "/work/shared/trax-files";
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
  throwsMatching(() => fresh.initFromFile(path.join(T, "mlp/model.nosig.pkl.gz")), /no input_signature/, /pass \{ inputSignature \}/);
  assert.not.ok(fresh.initialized);
});

test("bad input: truncated, corrupt, disallowed global, missing weights file: errors name the file; layer unchanged", () => {
  const model = loadedMlp();
  const good = readFileSync(path.join(T, "mlp/model.pkl.gz"));
  const raw = gunzipBytes(readFileBytes(path.join(T, "mlp/model.pkl.gz")));
  const truncated = path.join(tmp, "truncated.pkl.gz");
  writeFileSync(truncated, good.subarray(0, good.length - 30));
  unchanged(model, () => model.initFromFile(truncated), /truncated\.pkl\.gz/, /truncated/);
  const cut = path.join(tmp, "cut-pickle.pkl.gz");
  writeFileSync(cut, gzipBytes(raw.subarray(0, raw.length - 40)));
  unchanged(model, () => model.initFromFile(cut), /cut-pickle\.pkl\.gz/, /truncated/);
  const evil = path.join(tmp, "evil.pkl.gz");
  const evilBytes = Buffer.from(raw);
  const at = evilBytes.indexOf("jax._src.array");
  evilBytes.write("subprocess.cal", at); // same length: 'subprocess.cal._reconstruct_array'
  writeFileSync(evil, gzipBytes(evilBytes));
  unchanged(model, () => model.initFromFile(evil), /evil\.pkl\.gz/, /global 'subprocess\.cal\._reconstruct_array' is not allowed/);
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
