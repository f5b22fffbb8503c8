import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { python, throwsMatching } from "./io-helpers";
import { assertClose, leakedBy, ready, tf, tl } from "../helpers";
import {
  decodeNpyRecords,
  encodeNpyRecords,
  gunzipBytes,
  gzipBytes,
  readFileBytes,
  writeFileAtomic,
} from "../../src/io/gzip";
import { replaceFileAtomic } from "../../src/io/atomic-file";

const test = suite("io/gzip");
test.before(ready);

const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-gzip-"));

const bytes = (...xs: number[]) => new Uint8Array(xs);
const noTemporaries = (dir: string) => !readdirSync(dir).some((f) => f.endsWith("._tmp_"));

test("gzipBytes / gunzipBytes round trip, at every level; Python's gzip reads the stream", () => {
  const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251);
  for (const level of [0, 2, 9]) assert.equal(Array.from(gunzipBytes(gzipBytes(data, level))), Array.from(data));
  const file = path.join(tmp, "py.gz");
  writeFileSync(file, gzipBytes(bytes(1, 2, 3)));
  assert.is(python(`import gzip; print(list(gzip.open(${JSON.stringify(file)}).read()))`), "[1, 2, 3]");
  throwsMatching(() => gzipBytes(bytes(1), 10), /level must be an integer from 0 to 9; got 10/);
});

test("gunzipBytes reads every member of a multi-member stream and ignores trailing zero padding", () => {
  const twoMembers = new Uint8Array([...gzipBytes(bytes(1, 2)), ...gzipBytes(bytes(3))]);
  assert.equal(Array.from(gunzipBytes(twoMembers)), [1, 2, 3]);
  const padded = new Uint8Array([...gzipBytes(bytes(4, 5)), 0, 0, 0, 0]);
  assert.equal(Array.from(gunzipBytes(padded)), [4, 5]);
  // Python's gzip writes such multi-member files too.
  const out = python(
    "import gzip, sys; sys.stdout.write((gzip.compress(bytes([9, 8])) + gzip.compress(bytes([7]))).hex())"
  );
  assert.equal(Array.from(gunzipBytes(Buffer.from(out, "hex"))), [9, 8, 7]);
});

test("gunzipBytes names the data in its errors: not gzip, truncated, corrupt", () => {
  throwsMatching(() => gunzipBytes(bytes(1, 2, 3), "w.gz"), /w\.gz is not gzip data/, /1f 8b/);
  const gz = gzipBytes(Uint8Array.from({ length: 500 }, (_, i) => i % 13));
  throwsMatching(() => gunzipBytes(gz.subarray(0, gz.length - 12), "w.gz"), /w\.gz is truncated/);
  const corrupt = Uint8Array.from(gz);
  corrupt[12] ^= 0xff;
  corrupt[13] ^= 0xff;
  throwsMatching(() => gunzipBytes(corrupt, "w.gz"), /w\.gz is (corrupt|truncated)/);
});

test("writeFileAtomic creates folders, replaces a file and leaves no temporary file; replaceFileAtomic needs the folder", () => {
  const dir = path.join(tmp, "a", "b");
  const file = path.join(dir, "x.bin");
  writeFileAtomic(file, bytes(1, 2));
  assert.equal(Array.from(readFileBytes(file)), [1, 2]);
  writeFileAtomic(file, bytes(3));
  assert.equal(Array.from(readFileBytes(file)), [3]);
  assert.ok(noTemporaries(dir), "no temporary files left");
  replaceFileAtomic(file, bytes(4, 5, 6));
  assert.equal(Array.from(readFileBytes(file)), [4, 5, 6]);
  const missing = path.join(tmp, "no-such-folder", "y.bin");
  throwsMatching(() => replaceFileAtomic(missing, bytes(1)), /ENOENT/);
  assert.not.ok(existsSync(path.dirname(missing)));
  // A failed rename (the target is a folder) removes the temporary file.
  throwsMatching(() => replaceFileAtomic(path.join(tmp, "a"), bytes(1)), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
  assert.ok(noTemporaries(tmp), "no temporary file left after a failed write");
  throwsMatching(() => readFileBytes(path.join(tmp, "nope.bin"), "weights file"), /weights file '.*nope\.bin' does not exist/);
});

test("encodeNpyRecords / decodeNpyRecords: consecutive .npy records, as np.save into one stream", () => {
  const a = tf.tensor([[1.5, -2]]);
  const b = tf.tensor([7, 8, 9], [3], "int32");
  const records = encodeNpyRecords([a, b]);
  const back = decodeNpyRecords(records, "records");
  assert.equal(back.map((r) => [r.dtype, r.shape, Array.from(r.data as Float32Array | Int32Array)]), [
    ["<f4", [1, 2], [1.5, -2]],
    ["<i4", [3], [7, 8, 9]],
  ]);
  throwsMatching(() => decodeNpyRecords(records.subarray(0, records.length - 4), "w.npy"), /w\.npy: array 1 \(at byte \d+ of \d+\) cannot be read/);
  assert.equal(decodeNpyRecords(new Uint8Array(0), "empty"), []);
  tf.dispose([a, b]);
});

test("npToFile / npFromFile round trip; numpy reads the file and writes one npFromFile reads", () => {
  const file = path.join(tmp, "arrays.npy.gz");
  const a = tf.tensor([[1, 2], [3, 4.5]]);
  const b = tf.tensor([5, -6], [2], "int32");
  const c = tf.tensor([true, false], [2], "bool");
  tl.npToFile([a, b, c], file, 2);
  const [a2, b2, c2] = tl.npFromFile(file, 2);
  assertClose(a2, [[1, 2], [3, 4.5]]);
  assert.is(b2.dtype, "int32");
  assert.equal(Array.from(b2.dataSync()), [5, -6]);
  assert.is(c2.dtype, "bool");
  assert.equal(Array.from(c2.dataSync()), [1, 0]);
  const seen = python(`
import gzip, json, numpy as np
f = gzip.open(${JSON.stringify(file)})
print(json.dumps([[a.dtype.str, a.tolist()] for a in (np.load(f), np.load(f), np.load(f))]))`);
  assert.equal(JSON.parse(seen), [["<f4", [[1, 2], [3, 4.5]]], ["<i4", [5, -6]], ["|b1", [true, false]]]);
  const fromPy = path.join(tmp, "from_py.npy.gz");
  python(`
import gzip, numpy as np
with gzip.GzipFile(${JSON.stringify(fromPy)}, "wb", compresslevel=2) as f:
    np.save(f, np.arange(6, dtype=np.float64).reshape(2, 3) / 4)
    np.save(f, np.array([1, 2], dtype=np.int64))`);
  const [x, y] = tl.npFromFile(fromPy);
  assertClose(x, [[0, 0.25, 0.5], [0.75, 1, 1.25]]);
  assert.is(x.dtype, "float32");
  assert.equal([y.dtype, Array.from(y.dataSync())], ["int32", [1, 2]]);
  tf.dispose([a, b, c, a2, b2, c2, x, y]);
  assert.is(leakedBy(() => tf.dispose(tl.npFromFile(file))), 0);
  throwsMatching(() => tl.npFromFile(path.join(tmp, "missing.npy.gz")), /array file '.*missing\.npy\.gz' does not exist/);
  throwsMatching(() => tl.npToFile(a as never, file), /expected an array of tensors/);
});

test.run();
