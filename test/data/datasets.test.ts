import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { assertClose, leakedBy, ready, tf, trax } from "../helpers";

const test = suite("data/datasets");
test.before(ready);
const { data } = trax;

// Facts about the files, read with numpy (np.loadtxt) from datasets/.
const DIGITS_ROW0 = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0];
const DIGITS_LAST = [0, 0, 10, 14, 8, 1, 0, 0, 0, 2, 16, 14, 6, 1, 0, 0, 0, 0, 15, 15, 8, 15, 0, 0, 0, 0, 5, 16, 16, 10, 0, 0, 0, 0, 12, 15, 15, 12, 0, 0, 0, 4, 16, 6, 4, 16, 6, 0, 0, 8, 16, 10, 8, 16, 8, 0, 0, 1, 8, 12, 14, 12, 1, 0];
const DIGITS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
const DIGITS_PIXEL_SUM = 561718;

test("digits: 1797 images of 8x8, labels 0-9 with the file's class counts", () => {
  const ds = data.digits({ scale: false });
  assert.is(ds.size, 1797);
  assert.equal(ds.x.shape, [1797, 8, 8]);
  assert.equal(ds.featureShape, [8, 8]);
  assert.is(ds.y.length, 1797);
  const counts = new Array(10).fill(0);
  ds.y.forEach((c) => counts[c]++);
  assert.equal(counts, DIGITS_COUNTS);
  assert.equal(Array.from(ds.y.subarray(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(ds.y[1796], 8);
  assert.equal(Array.from(ds.x.data.subarray(0, 64)), DIGITS_ROW0);
  assert.equal(Array.from(ds.x.data.subarray(1796 * 64)), DIGITS_LAST);
  assert.is(ds.x.data.reduce((a, b) => a + b, 0), DIGITS_PIXEL_SUM);
  assert.equal(ds.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
});

test("digits: scaled to [0, 1] by default; any 64-value shape", () => {
  const ds = data.digits({ shape: [8, 8, 1] });
  assert.equal(ds.x.shape, [1797, 8, 8, 1]);
  assertClose(ds.x.data.subarray(0, 64), DIGITS_ROW0.map((v) => v / 16), 1e-7);
  assert.ok(Math.max(...ds.x.data) <= 1 && Math.min(...ds.x.data) >= 0);
  const [img, label] = data.digits({ shape: [64] }).example(5);
  assert.equal((img as trax.data.NDArray).shape, [64]);
  assert.equal((label as trax.data.NDArray).shape, []);
  assert.throws(() => data.digits({ shape: [8, 9] }), /64 pixels.*\[8,9\]/);
  assert.throws(() => ds.example(1797), /0\.\.1796.*1797/);
});

test("digits: scaling does not change the shared raw values", () => {
  data.digits();
  const raw = data.digits({ scale: false });
  assert.is(raw.x.data[3], 13);
});

test("iris: 150 x 4 measurements, 3 classes of 50, first and last rows", () => {
  const ds = data.iris();
  assert.is(ds.size, 150);
  assert.equal(ds.x.shape, [150, 4]);
  assert.equal(ds.classNames, ["setosa", "versicolor", "virginica"]);
  assert.equal(ds.featureNames, ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]);
  assertClose(ds.x.data.subarray(0, 4), [5.1, 3.5, 1.4, 0.2], 1e-6);
  assertClose(ds.x.data.subarray(149 * 4), [5.9, 3.0, 5.1, 1.8], 1e-6);
  assert.equal(Array.from(ds.y.subarray(0, 3)), [0, 0, 0]);
  assert.is(ds.y[149], 2);
  for (let c = 0; c < 3; c++) assert.is(ds.y.filter((v) => v === c).length, 50);
});

test("iris: standardize gives each feature mean 0 and std 1 (numpy's mean and std)", () => {
  const ds = data.iris({ standardize: true });
  const mean = [5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334];
  const std = [0.8253012917851409, 0.43441096773549437, 1.7594040657753032, 0.7596926279021594];
  assertClose(ds.x.data.subarray(0, 4), [5.1, 3.5, 1.4, 0.2].map((v, j) => (v - mean[j]) / std[j]), 1e-5);
  for (let j = 0; j < 4; j++) {
    let m = 0;
    for (let i = 0; i < 150; i++) m += ds.x.data[i * 4 + j];
    assertClose(m / 150, 0, 1e-5);
  }
});

test("split: seeded, disjoint, covering, sizes from evalFraction", () => {
  const ds = data.digits();
  const [tr, ev] = ds.split({ evalFraction: 0.2, seed: 3 });
  assert.is(tr.length, 1438);
  assert.is(ev.length, 359);
  const index = new Map<unknown, number>();
  ds.examples().forEach((ex, i) => index.set((ex[0] as { data: Float32Array }).data.byteOffset, i));
  const ids = (xs: typeof tr) => xs.map((ex) => index.get((ex[0] as { data: Float32Array }).data.byteOffset)!);
  const a = new Set(ids(tr));
  const b = new Set(ids(ev));
  assert.is(a.size + b.size, 1797);
  for (const i of b) assert.not.ok(a.has(i), `example ${i} is in both parts`);
  const [tr2, ev2] = ds.split({ evalFraction: 0.2, seed: 3 });
  assert.equal(ids(tr2), ids(tr));
  assert.equal(ids(ev2), ids(ev));
  const [, ev3] = ds.split({ evalFraction: 0.2, seed: 4 });
  assert.not.equal(ids(ev3), ids(ev));
});

test("batches of digits feed a model: shapes, dtypes, no tensors left behind", () => {
  const [train] = data.digits({ shape: [64] }).split({ evalFraction: 0.2 });
  const leaked = leakedBy(() => {
    let n = 0;
    for (const b of data.take(data.batches(train, 32, { seed: 0 }), 3)) {
      assert.equal(b.map((t) => t.shape), [[32, 64], [32]]);
      assert.equal(b.map((t) => t.dtype), ["float32", "int32"]);
      tf.dispose(b);
      n++;
    }
    assert.is(n, 3);
  });
  assert.is(leaked, 0);
});

test("datasetsDir: found from src/, overridable with TRAX_DATASETS", () => {
  assert.is(path.basename(data.datasetsDir()), "datasets");
  assert.match(data.datasetPath("iris.csv"), /datasets[\\/]iris\.csv$/);
  assert.throws(() => data.datasetPath("nope.csv"), /nope\.csv is missing/);
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", "const d=require('./src/data'); console.log(d.datasetsDir())"], {
    cwd: path.resolve(__dirname, "../.."),
    env: { ...process.env, TRAX_DATASETS: "/tmp/elsewhere" },
    encoding: "utf8",
  });
  assert.is(r.stdout.trim(), "/tmp/elsewhere", r.stderr);
});

test("datasetsDir: found from an installed package's dist/data (node_modules/trax-ts/dist/data/paths.js)", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-data-paths-"));
  try {
    const pkg = path.join(tmp, "app", "node_modules", "trax-ts");
    mkdirSync(path.join(pkg, "dist", "data"), { recursive: true });
    writeFileSync(path.join(tmp, "app", "package.json"), JSON.stringify({ name: "app" }));
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "trax-ts" }));
    symlinkSync(data.datasetsDir(), path.join(pkg, "datasets"));
    const source = readFileSync(path.resolve(__dirname, "../../src/data/paths.ts"), "utf8");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true } }).outputText;
    writeFileSync(path.join(pkg, "dist", "data", "paths.js"), js);
    const env = { ...process.env };
    delete env.TRAX_DATASETS;
    const r = spawnSync(process.execPath, ["-e", "console.log(require('trax-ts/dist/data/paths.js').datasetPath('iris.csv'))"], { cwd: path.join(tmp, "app"), env, encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), path.join(pkg, "datasets", "iris.csv"));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
