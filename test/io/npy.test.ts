import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { python, throwsMatching } from "./io-helpers";
import { assertClose, ready, tf } from "../helpers";
import { decodeNpy, encodeNpy, npyToTensor, readNpy, tensorToNpy, writeNpy } from "../../src/io/npy";
import type { NpyArray } from "../../src/io/npy";

const test = suite("io/npy");
test.before(ready);

const FIX = path.join(__dirname, "..", "fixtures", "npy");
const fix = (name: string) => path.join(FIX, name + ".npy");
const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-npy-"));

// Expected values: see test/fixtures/npy_fixtures.py (base = arange(6).reshape(2, 3)).
const base = [[0, 1, 2], [3, 4, 5]];
const mapBase = (f: (v: number) => number) => base.map((r) => r.map(f));

test("numpy-written files of every dtype load with the right values and tfjs dtypes", () => {
  const cases: [string, string, string, number[][] | boolean[][]][] = [
    ["f4_le", "<f4", "float32", mapBase((v) => v / 4)],
    ["f8_be", ">f8", "float32", mapBase((v) => v / 8)],
    ["f2", "<f2", "float32", mapBase((v) => v - 2.5)],
    ["i1", "|i1", "int32", mapBase((v) => v - 3)],
    ["i2_be", ">i2", "int32", mapBase((v) => v * -1000)],
    ["i4", "<i4", "int32", mapBase((v) => v * 100000)],
    ["i8", "<i8", "int32", mapBase((v) => v - 10)],
    ["u1", "|u1", "int32", mapBase((v) => v + 250)],
    ["u2", "<u2", "int32", mapBase((v) => v * 10000)],
    ["u4", "<u4", "int32", mapBase((v) => v * 7)],
    ["u8_be", ">u8", "int32", mapBase((v) => v * 3)],
    ["bool", "|b1", "bool", base.map((r) => r.map((v) => v % 2 === 0))],
    ["fortran", "<f4", "float32", base],
    ["v2", "<f4", "float32", base],
    ["v3", "<f4", "float32", base],
  ];
  for (const [name, descr, dtype, expected] of cases) {
    const bytes = readFileSync(fix(name));
    const { array, bytesRead } = decodeNpy(bytes);
    assert.is(array.dtype, descr, name);
    assert.is(bytesRead, bytes.length, name);
    const t = readNpy(fix(name));
    assert.is(t.dtype, dtype, name);
    assert.equal(t.shape, [2, 3], name);
    if (dtype === "bool") assert.equal((t.arraySync() as number[][]).map((r) => r.map(Boolean)), expected, name);
    else assertClose(t, expected, 0, 0, name);
    t.dispose();
  }
});

test("decoded data keeps the file's type: bigint for int64, raw bits for float16, Fortran flag", () => {
  const i8 = decodeNpy(readFileSync(fix("i8"))).array;
  assert.instance(i8.data, BigInt64Array);
  assert.is((i8.data as BigInt64Array)[0], -10n);
  const f2 = decodeNpy(readFileSync(fix("f2"))).array;
  assert.instance(f2.data, Uint16Array);
  assert.is(f2.data[0], 0xc100); // -2.5 in half precision
  const f = decodeNpy(readFileSync(fix("fortran"))).array;
  assert.ok(f.fortranOrder);
  assert.equal(Array.from(f.data as Float32Array), [0, 3, 1, 4, 2, 5]);
});

test("scalar, empty and rank-3 arrays", () => {
  const s = readNpy(fix("scalar"));
  assert.equal(s.shape, []);
  assertClose(s, 3.5);
  const e = readNpy(fix("empty"));
  assert.equal(e.shape, [0, 3]);
  const r = readNpy(fix("rank3"));
  assert.equal(r.shape, [2, 3, 4]);
  assertClose(r.reshape([-1]), Array.from({ length: 24 }, (_, i) => i));
  tf.dispose([s, e, r]);
});

test("concatenated records decode one after another", () => {
  const bytes = readFileSync(fix("concat"));
  const first = decodeNpy(bytes);
  assert.equal(Array.from(first.array.data as Float32Array), [1, 2]);
  const second = decodeNpy(bytes, first.bytesRead);
  assert.equal(second.array.shape, [1, 2]);
  assert.equal(Array.from(second.array.data as Int32Array), [7, 8]);
  assert.is(first.bytesRead + second.bytesRead, bytes.length);
});

test("int64 values outside int32 give an error naming the value", () => {
  throwsMatching(() => readNpy(fix("i8_big")), /i8_big\.npy/, /1099511627776/, /int32/);
});

test("unsupported dtypes, truncated files and bad headers give clear errors", () => {
  throwsMatching(() => readNpy(fix("complex")), /complex\.npy/, /unsupported dtype '<c8'/, /complex/);
  const good = readFileSync(fix("f4_le"));
  throwsMatching(() => decodeNpy(good.subarray(0, good.length - 3)), /truncated/, /24 bytes/, /21/);
  throwsMatching(() => decodeNpy(good.subarray(0, 40)), /truncated/, /header/);
  throwsMatching(() => decodeNpy(good.subarray(0, 5)), /truncated/);
  const badMagic = Uint8Array.from(good);
  badMagic[1] = 0x41;
  throwsMatching(() => decodeNpy(badMagic), /magic/);
  const badVersion = Uint8Array.from(good);
  badVersion[6] = 9;
  throwsMatching(() => decodeNpy(badVersion), /version 9\.0/);
  const badHeader = Uint8Array.from(good);
  const text = Buffer.from(badHeader.subarray(10, 20)).toString("latin1");
  assert.is(text.slice(0, 2), "{'");
  badHeader.set(Buffer.from("{'dascr'"), 10);
  throwsMatching(() => decodeNpy(badHeader), /bad \.npy header/, /descr/);
  const objectHeader = encodeNpy(tf.tensor([1, 2]));
  const s = Buffer.from(objectHeader).toString("latin1").replace("'<f4'", "'|O8'");
  throwsMatching(() => decodeNpy(Buffer.from(s, "latin1")), /unsupported dtype '\|O8'/, /object/);
  const str = Buffer.from(objectHeader).toString("latin1").replace("'<f4'", "'<U4'");
  throwsMatching(() => decodeNpy(Buffer.from(str, "latin1")), /unicode string/);
  throwsMatching(() => readNpy(path.join(tmp, "nope.npy")), /cannot read/, /nope\.npy/);
});

test("files written here load in numpy with equal values (every dtype, both byte orders, Fortran order)", () => {
  const arrays: Record<string, NpyArray> = {
    f4: { shape: [2, 3], dtype: "<f4", data: new Float32Array([0.5, -1, 2.25, 3, 4, 1e-8]), fortranOrder: false },
    f8be: { shape: [3], dtype: ">f8", data: new Float64Array([Math.PI, -2, 1e300]), fortranOrder: false },
    f2: { shape: [2], dtype: "<f2", data: new Uint16Array([0x3c00, 0xc100]), fortranOrder: false },
    i1: { shape: [2], dtype: "|i1", data: new Int8Array([-128, 127]), fortranOrder: false },
    i2be: { shape: [2], dtype: ">i2", data: new Int16Array([-1000, 1000]), fortranOrder: false },
    i8: { shape: [2], dtype: "<i8", data: new BigInt64Array([-5n, 1n << 40n]), fortranOrder: false },
    u2: { shape: [1], dtype: "<u2", data: new Uint16Array([65535]), fortranOrder: false },
    u4be: { shape: [1], dtype: ">u4", data: new Uint32Array([4000000000]), fortranOrder: false },
    u8: { shape: [1], dtype: "<u8", data: new BigUint64Array([12345678901234n]), fortranOrder: false },
    b: { shape: [3], dtype: "|b1", data: new Uint8Array([1, 0, 1]), fortranOrder: false },
    fort: { shape: [2, 3], dtype: "<f4", data: new Float32Array([0, 3, 1, 4, 2, 5]), fortranOrder: true },
  };
  for (const [name, a] of Object.entries(arrays)) writeNpy(path.join(tmp, name + ".npy"), a);
  const t = tf.tensor([[1.5, -2], [3, 4]]);
  writeNpy(path.join(tmp, "t_f32.npy"), t);
  const ti = tf.tensor([7, -8], [2], "int32");
  writeNpy(path.join(tmp, "t_i32.npy"), ti);
  const tb = tf.tensor([true, false], [2], "bool");
  writeNpy(path.join(tmp, "t_bool.npy"), tb);
  tf.dispose([t, ti, tb]);
  const out = python(`
import json, numpy as np, os
d = ${JSON.stringify(tmp)}
res = {}
for f in sorted(os.listdir(d)):
    a = np.load(os.path.join(d, f))
    res[f[:-4]] = [a.dtype.str, list(a.shape), a.tolist(), bool(np.isfortran(a))]
print(json.dumps(res))`);
  const res = JSON.parse(out) as Record<string, [string, number[], unknown, boolean]>;
  assert.equal(res.f4[0], "<f4");
  assertClose(res.f4[2], [[0.5, -1, 2.25], [3, 4, 1e-8]], 0, 1e-7);
  assert.equal(res.f8be.slice(0, 3), [">f8", [3], [Math.PI, -2, 1e300]]);
  assert.equal(res.f2.slice(0, 3), ["<f2", [2], [1, -2.5]]);
  assert.equal(res.i1.slice(0, 3), ["|i1", [2], [-128, 127]]);
  assert.equal(res.i2be.slice(0, 3), [">i2", [2], [-1000, 1000]]);
  assert.equal(res.i8.slice(0, 3), ["<i8", [2], [-5, 2 ** 40]]);
  assert.equal(res.u2[2], [65535]);
  assert.equal(res.u4be.slice(0, 3), [">u4", [1], [4000000000]]);
  assert.equal(res.u8[2], [12345678901234]);
  assert.equal(res.b.slice(0, 3), ["|b1", [3], [true, false, true]]);
  assert.equal(res.fort, ["<f4", [2, 3], base, true]);
  assert.equal(res.t_f32, ["<f4", [2, 2], [[1.5, -2], [3, 4]], false]);
  assert.equal(res.t_i32.slice(0, 3), ["<i4", [2], [7, -8]]);
  assert.equal(res.t_bool.slice(0, 3), ["|b1", [2], [true, false]]);
  assert.ok(!readdirSync(tmp).some((f) => f.endsWith("._tmp_")), "no temporary files left");
});

test("round trip here: encode then decode gives the same array; headers are 64-byte aligned", () => {
  const t = tf.tensor([[1, 2, 3]]);
  const bytes = encodeNpy(t);
  assert.is(((bytes[8] | (bytes[9] << 8)) + 10) % 64, 0);
  assert.is(bytes[(bytes[8] | (bytes[9] << 8)) + 9], 0x0a); // header ends with a newline
  const back = npyToTensor(decodeNpy(bytes).array);
  assertClose(back, [[1, 2, 3]]);
  const a = tensorToNpy(t);
  assert.equal(a, { shape: [1, 3], dtype: "<f4", data: new Float32Array([1, 2, 3]), fortranOrder: false });
  tf.dispose([t, back]);
  throwsMatching(
    () => encodeNpy({ shape: [2, 2], dtype: "<f4", data: new Float32Array(3), fortranOrder: false }),
    /\(2, 2\) needs 4 values; got 3/
  );
  throwsMatching(() => encodeNpy({ shape: [1], dtype: "<f4", data: new Float64Array(1), fortranOrder: false }), /Float32Array/);
});

test("a header too long for format 1.0 is written as format 2.0 (and, like numpy, refused on reading)", () => {
  // numpy refuses headers over 10000 characters and more than 32 (numpy 2: 64) axes; so does the reader.
  const shape = Array.from({ length: 25000 }, () => 1);
  const a: NpyArray = { shape, dtype: "<f4", data: new Float32Array([42]), fortranOrder: false };
  const file = path.join(tmp, "long_header.npy");
  writeNpy(file, a);
  const bytes = readFileSync(file);
  assert.is(bytes[6], 2);
  assert.is(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true) % 64, 52);
  throwsMatching(() => decodeNpy(bytes), /numpy refuses headers over 10000/);
});

test("writeNpy replaces an existing file atomically", () => {
  const file = path.join(tmp, "replace.npy");
  writeFileSync(file, "old");
  const t = tf.tensor([9]);
  writeNpy(file, t);
  const back = readNpy(file);
  assertClose(back, [9]);
  tf.dispose([t, back]);
});

test.run();
