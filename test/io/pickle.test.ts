import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { inspect } from "util";
import { throwsMatching } from "./io-helpers";
import { gunzipBytes, readFileBytes } from "../../src/io/gzip";
import { PickledArray, PickledDtype, PyGlobal, UnpicklingError, allowedGlobalNames, isPyTuple, unpickle } from "../../src/io/pickle";

const test = suite("io/pickle");

const TRAX_FILES = path.join(__dirname, "..", "fixtures", "trax-files");
const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const pickles: Record<string, Uint8Array> = Object.fromEntries(
  Object.entries(
    JSON.parse(execFileSync("/usr/bin/python3", [path.join(__dirname, "pickle-fixtures.py")], { encoding: "utf8", maxBuffer: 1 << 26 })) as Record<string, string>
  ).map(([k, v]) => [k, fromHex(v)])
);

/** A tiny pickle assembler: strings become SHORT_BINUNICODE, numbers raw opcode bytes. */
function asm(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [0x80, 4];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") {
      const b = Buffer.from(p, "utf8");
      out.push(0x8c, b.length, ...b);
    } else out.push(...p);
  }
  out.push(0x2e);
  return Uint8Array.from(out);
}
const OP = { MARK: 0x28, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, STACK_GLOBAL: 0x93, REDUCE: 0x52, BUILD: 0x62, NEWOBJ: 0x81, EMPTY_DICT: 0x7d, EMPTY_TUPLE: 0x29, SETITEM: 0x73, NONE: 0x4e, EMPTY_LIST: 0x5d, APPEND: 0x61 };

test("reads every kind of value, in protocols 2 to 5", () => {
  for (const p of [2, 3, 4, 5]) {
    const v = unpickle(pickles[`values_p${p}`]) as Map<string, unknown>;
    assert.is(v.get("none"), null);
    assert.is(v.get("t"), true);
    assert.is(v.get("f"), false);
    assert.is(v.get("small"), 7);
    assert.is(v.get("neg"), -3);
    assert.is(v.get("i2"), 40000);
    assert.is(v.get("i4"), -(2 ** 31));
    assert.is(v.get("big"), 2n ** 70n);
    assert.is(v.get("float"), 2.5);
    assert.is(v.get("str"), "héllo");
    assert.equal(Array.from(v.get("bytes") as Uint8Array), [0, 255]);
    assert.equal(Array.from(v.get("ba") as Uint8Array), [97, 98]);
    const tup = v.get("tuple") as unknown[];
    assert.ok(isPyTuple(tup) && isPyTuple(tup[1]) && isPyTuple(tup[2]), `protocol ${p}: tuples stay tuples`);
    assert.equal(tup, [1, [2, 3], []]);
    const list = v.get("list") as unknown[];
    assert.not.ok(isPyTuple(list));
    assert.equal(list, [1, [2], []]);
    assert.equal((((v.get("nested") as Map<string, unknown>).get("a") as Map<string, unknown>).get("b")), [1.5]);
  }
});

test("reads numpy arrays, scalars and dtypes in every protocol (values as numpy has them)", () => {
  for (const p of [2, 3, 4, 5]) {
    const v = unpickle(pickles[`arrays_p${p}`]) as Map<string, unknown>;
    const arr = (k: string) => v.get(k) as PickledArray;
    assert.instance(arr("f32"), PickledArray);
    assert.equal(arr("f32").shape, [2, 3]);
    assert.is(arr("f32").dtype, "<f4");
    assert.equal(Array.from(arr("f32").data as Float32Array), [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.equal(Array.from(arr("i32").data as Int32Array), [-1, 2, 3]);
    assert.equal(Array.from(arr("f64").data as Float64Array), [0.1, -2.5]);
    assert.is(arr("be").dtype, ">f4");
    assert.equal(Array.from(arr("be").data as Float32Array), [1.5, -2], "big-endian data is swapped to the host's order");
    assert.ok(arr("fortran").fortranOrder);
    assert.equal(Array.from(arr("fortran").data as Float32Array), [0, 3, 1, 4, 2, 5], "Fortran order kept as stored");
    assert.equal(Array.from(arr("bool").data as Uint8Array), [1, 0, 1]);
    assert.equal(Array.from(arr("u8").data as Uint8Array), [1, 255]);
    assert.equal(Array.from(arr("i64").data as BigInt64Array), [5n, -6n]);
    assert.equal(arr("scalar").shape, []);
    assert.is(arr("scalar").item(), 0.25);
    assert.is(arr("scalar32").item(), -9);
    assert.equal(arr("zero_d").shape, []);
    assert.is(arr("zero_d").item(), 3.5);
    assert.equal(arr("empty").shape, [0, 4]);
    assert.is((v.get("dtype") as PickledDtype).descr, "<f4");
    const dd = v.get("dd") as Map<string, unknown>;
    assert.instance(dd, Map);
    assert.equal(dd.get("x"), [[1, 2.0]]);
  }
});

test("reads every pickle Python Trax wrote (JAX arrays, numpy protocol-5 buffers, ShapeDtype, history)", () => {
  const load = (f: string) => unpickle(gunzipBytes(readFileBytes(path.join(TRAX_FILES, f))), { what: f }) as Map<string, unknown>;
  const full = load("mlp/model.pkl.gz");
  assert.equal([...full.keys()], ["flat_weights", "flat_state", "input_signature"]);
  const w = full.get("flat_weights") as PickledArray[];
  assert.equal(w.map((a) => a.shape), [[5, 4], [4], [4, 2], [2]]);
  assert.ok(w.every((a) => a.origin === "jax" && a.dtype === "<f4"));
  assert.is(inspect(w[0]), "PickledArray(shape [5, 4], <f4, from jax)", "a short REPL view, not the values");
  const sig = full.get("input_signature") as { shape: number[]; dtype: PickledDtype };
  assert.equal(sig.shape, [3, 5]);
  assert.is(sig.dtype.descr, "<f4");
  const loop = load("loop_mlp/output_dir/model.pkl.gz");
  assert.is(loop.get("step"), 3);
  assert.is(loop.get("flat_weights"), 2);
  assert.is(loop.get("version_timestamp"), "Mar-10-2021");
  const lsig = loop.get("input_signature") as unknown[];
  assert.ok(isPyTuple(lsig) && lsig.length === 1);
  const hist = ((loop.get("history") as Map<string, unknown>).get("_values") as Map<string, Map<string, unknown[][]>>);
  assert.equal([...hist.keys()], ["train", "eval"]);
  const loss = hist.get("train")!.get("training/loss")!;
  assert.is(loss[0][0], 1);
  assert.ok(Number.isFinite((loss[0][1] as PickledArray).item()));
  // The resaved file holds numpy arrays; its first weight equals the .npy weights file's first array.
  const resaved = load("loop_mlp/resaved.pkl.gz");
  const r0 = (resaved.get("flat_weights") as PickledArray[])[0];
  assert.is(r0.origin, "numpy");
  assert.equal(r0.shape, [5, 4]);
});

// ------------------------------------------------------------------ security

const CRAFTED: [string, RegExp][] = [
  ["posix_system", /global 'posix\.system' is not allowed/],
  ["os_system_p2", /global 'posix\.system' is not allowed/],
  ["builtins_eval", /global 'builtins\.eval' is not allowed/],
  ["builtins_exec", /global 'builtins\.exec' is not allowed/],
  ["subprocess_popen", /global 'subprocess\.Popen' is not allowed/],
  ["subprocess_check_output", /global 'subprocess\.check_output' is not allowed/],
  ["getattr_import", /global 'builtins\.getattr' is not allowed/],
  ["builtins_import", /global '__builtin__\.__import__' is not allowed/],
  ["nested_in_weights", /global 'posix\.system' is not allowed/],
  ["in_dtype_arg", /global 'builtins\.eval' is not allowed/],
  ["numpy_load", /global 'numpy\.load' is not allowed/],
  ["apply_via_list", /global 'builtins\.map' is not allowed/],
];

test("refuses every crafted reduce payload written by Python, naming the global", () => {
  for (const [name, pattern] of CRAFTED) {
    try {
      unpickle(pickles[name], { what: `crafted ${name}` });
      assert.unreachable(`${name} was accepted`);
    } catch (e) {
      assert.instance(e, UnpicklingError, name);
      assert.match((e as Error).message, pattern, name);
      assert.match((e as Error).message, new RegExp(`^crafted ${name}: `), "the error names the file");
    }
  }
  assert.not.ok(existsSync("/tmp/trax-ts-pickle-pwned"));
});

test("refuses hand-made tricks: dotted names, old spellings, calls on non-callables, state injection", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["dotted name aliasing an allowed function", asm("numpy", "core.multiarray._reconstruct", OP.STACK_GLOBAL), /global 'numpy\.core\.multiarray\._reconstruct' is not allowed/],
    ["attribute of an allowed class", asm("numpy", "ndarray.__reduce_ex__", OP.STACK_GLOBAL), /not allowed/],
    ["python 2 spelling of eval (GLOBAL)", Uint8Array.from([0x80, 2, 0x63, ...Buffer.from("__builtin__\neval\n"), 0x2e]), /global '__builtin__\.eval' is not allowed/],
    ["copyreg reconstructor", asm("copyreg", "_reconstructor", OP.STACK_GLOBAL), /global 'copyreg\._reconstructor' is not allowed/],
    ["torch tensor rebuild", asm("torch._utils", "_rebuild_tensor_v2", OP.STACK_GLOBAL), /not allowed/],
    ["a __main__ class", asm("__main__", "Evil", OP.STACK_GLOBAL), /global '__main__\.Evil' is not allowed/],
    ["module name with a trailing space", asm("numpy ", "dtype", OP.STACK_GLOBAL), /not allowed/],
    ["numpy.ndarray called directly", asm("numpy", "ndarray", OP.STACK_GLOBAL, OP.EMPTY_TUPLE, OP.REDUCE), /numpy\.ndarray cannot be called/],
    ["REDUCE on a string", asm("os.system", "id", OP.TUPLE1, OP.REDUCE), /REDUCE can only call an allowed global/],
    ["NEWOBJ of numpy.dtype", asm("numpy", "dtype", OP.STACK_GLOBAL, OP.EMPTY_TUPLE, OP.NEWOBJ), /cannot be created with NEWOBJ/],
    ["BUILD on a dict (__dict__ injection)", asm(OP.EMPTY_DICT, OP.EMPTY_DICT, OP.BUILD), /BUILD .* is not allowed on a dict/],
    ["_reconstruct of another class", asm("numpy._core.multiarray", "_reconstruct", OP.STACK_GLOBAL, "numpy", "dtype", OP.STACK_GLOBAL, OP.EMPTY_TUPLE, "b", OP.MARK, OP.TUPLE, 0x30, OP.TUPLE2, 0x30, OP.REDUCE), /./],
    ["_codecs.encode with another codec", asm("_codecs", "encode", OP.STACK_GLOBAL, "x", "rot13", OP.TUPLE2, OP.REDUCE), /only encode\(str, 'latin1'\)/],
    ["ShapeDtype with an extra attribute", asm("trax.shapes", "ShapeDtype", OP.STACK_GLOBAL, OP.EMPTY_TUPLE, OP.NEWOBJ, OP.NONE, OP.EMPTY_DICT, "__class__", OP.NONE, OP.SETITEM, OP.TUPLE2, OP.BUILD), /unknown attribute/],
    ["persistent id", asm("x", 0x51), /persistent ids/],
    ["object dtype", asm("numpy", "dtype", OP.STACK_GLOBAL, "O8", OP.TUPLE1, OP.REDUCE), /unsupported dtype 'O8'/],
  ];
  for (const [name, bytes, pattern] of cases) {
    try {
      unpickle(bytes, { what: name });
      assert.unreachable(`${name} was accepted`);
    } catch (e) {
      assert.instance(e, UnpicklingError, name);
      assert.match((e as Error).message, pattern, name);
    }
  }
});

test("the allow-list is exactly the documented table", () => {
  const names = allowedGlobalNames();
  for (const n of ["jax._src.array._reconstruct_array", "numpy._core.multiarray._reconstruct", "numpy.core.multiarray._reconstruct",
    "numpy._core.numeric._frombuffer", "numpy.core.numeric._frombuffer", "numpy.ndarray", "numpy.dtype", "numpy.float32",
    "numpy._core.multiarray.scalar", "numpy.core.multiarray.scalar", "trax.shapes.ShapeDtype", "collections.defaultdict", "builtins.list"]) {
    assert.ok(names.includes(n), n);
  }
  assert.not.ok(names.some((n) => /^(os|posix|subprocess|sys)\.|eval|exec|getattr|__import__|numpy\.load/.test(n)));
});

test("bounds: memo, stack, marks and declared lengths are capped; truncation is an error", () => {
  const many = asm(...Array.from({ length: 50 }, () => [OP.NONE, 0x94]).flat(), OP.EMPTY_LIST);
  throwsMatching(() => unpickle(many, { maxMemo: 10 }), /more than 10 memo entries/);
  throwsMatching(() => unpickle(asm(...Array(50).fill(OP.NONE)), { maxStack: 20 }), /more than 20 items on the stack/);
  throwsMatching(() => unpickle(asm(...Array(50).fill(OP.MARK)), { maxMarks: 20 }), /more than 20 nested marks/);
  // BINBYTES8 declaring 2^40 bytes: refused before any allocation.
  throwsMatching(() => unpickle(Uint8Array.from([0x80, 5, 0x8e, 0, 0, 0, 0, 0, 1, 0, 0, 0x2e])), /truncated: BINBYTES8 needs 1099511627776 bytes/);
  throwsMatching(() => unpickle(Uint8Array.from([0x80, 5, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x80])), /declared length/);
  throwsMatching(() => unpickle(Uint8Array.from([0x80, 4, 0x58, 0xff, 0xff, 0xff, 0x7f])), /truncated: BINUNICODE needs/);
  throwsMatching(() => unpickle(Uint8Array.from([0x80, 4, 0x4e])), /ends before its STOP/);
  throwsMatching(() => unpickle(new Uint8Array(0), { what: "empty.pkl" }), /^empty\.pkl: empty data/);
  throwsMatching(() => unpickle(Uint8Array.from([0x80, 6, 0x4e, 0x2e])), /protocol 6 is newer/);
  throwsMatching(() => unpickle(asm(0x68, 3)), /memo entry 3 does not exist/);
  throwsMatching(() => unpickle(asm(OP.NONE, OP.NONE)), /STOP with 2 items/);
  // An array whose declared shape does not match its bytes.
  throwsMatching(() => unpickle(fromHex(Buffer.from(pickles.arrays_p4).toString("hex").replace("4b024b0386", "4b034b0386"))), /needs \d+ bytes of data/);
});

test("huge flat containers and deep nesting stay within bounds (no call-stack overflow)", () => {
  // MARK, 300k NONE, APPENDS: one list of 300k items (a spread would overflow the call stack).
  const n = 300_000;
  const b = new Uint8Array(2 + 2 + n + 2);
  b.set([0x80, 4, OP.EMPTY_LIST, OP.MARK]);
  b.fill(OP.NONE, 4, 4 + n);
  b.set([0x65, 0x2e], 4 + n);
  assert.is((unpickle(b) as unknown[]).length, n);
  // 100k nested lists (EMPTY_LIST, then APPEND into each other): built without recursion.
  const depth = 100_000;
  const nested = new Uint8Array(2 + 2 * depth + 1);
  nested.set([0x80, 4]);
  for (let i = 0; i < depth; i++) nested[2 + i] = OP.EMPTY_LIST;
  for (let i = 0; i < depth - 1; i++) nested[2 + depth + i] = OP.APPEND;
  nested[2 + 2 * depth - 1] = 0x2e;
  assert.ok(Array.isArray(unpickle(nested.subarray(0, 2 + 2 * depth))));
});

test("LONG1 / LONG4 integers: signs, sizes, and a 64 KiB LONG4 decoded in one go", () => {
  const long1 = (...b: number[]) => unpickle(Uint8Array.from([0x80, 2, 0x8a, b.length, ...b, 0x2e]));
  assert.is(long1(), 0);
  assert.is(long1(0xff), -1);
  assert.is(long1(0x00, 0x80), -32768);
  assert.is(long1(0x00, 0x80, 0x00), 32768); // how Python writes 32768
  assert.is(long1(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01), 2n ** 64n);
  assert.is(long1(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80), -(2n ** 63n));
  const n = 65536;
  const b = new Uint8Array(2 + 5 + n + 1);
  b.set([0x80, 2, 0x8b, 0x00, 0x00, 0x01, 0x00]);
  b[7 + n - 1] = 0x01; // 2^(8 * 65535)
  b[7 + n] = 0x2e;
  assert.is(unpickle(b), 1n << BigInt(8 * (n - 1)));
});

test("protocol 5 out-of-band buffers are taken from options.buffers", () => {
  // Python: pickle.dumps(pickle.PickleBuffer(b'xyz'), protocol=5, buffer_callback=...) = NEXT_BUFFER
  const bytes = Uint8Array.from([0x80, 5, 0x97, 0x98, 0x2e]);
  throwsMatching(() => unpickle(bytes), /out-of-band buffer/);
  assert.equal(Array.from(unpickle(bytes, { buffers: [Uint8Array.from([1, 2])] }) as Uint8Array), [1, 2]);
});

test("fuzz: 600 mutated pickles never crash with anything but an UnpicklingError, and finish", () => {
  const seeds = [
    gunzipBytes(readFileBytes(path.join(TRAX_FILES, "mlp/model.pkl.gz"))),
    gunzipBytes(readFileBytes(path.join(TRAX_FILES, "loop_mlp/output_dir/model.pkl.gz"))),
    gunzipBytes(readFileBytes(path.join(TRAX_FILES, "loop_mlp/resaved.pkl.gz"))),
    pickles.arrays_p2,
    pickles.values_p5,
  ];
  let s = 12345;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 600; i++) {
    const src = seeds[i % seeds.length];
    let b = Uint8Array.from(src);
    const kind = rand(5);
    if (kind === 0) b = b.subarray(0, rand(b.length)); // truncate
    else if (kind === 1) for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256); // random bytes
    else if (kind === 2) for (let k = 0; k < 1 + rand(3); k++) b[rand(b.length)] = [0x52, 0x81, 0x62, 0x93, 0x28, 0x74, 0x2e, 0x68, 0x94, 0x8e][rand(10)]; // opcodes
    else if (kind === 3) { const at = rand(b.length - 4); b.set([0xff, 0xff, 0xff, 0x7f], at); } // huge lengths
    else { const at = rand(b.length); const cut = rand(40); b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + cut)]); } // drop a span
    try {
      unpickle(b, { what: `mutant ${i}` });
      accepted++;
    } catch (e) {
      if (!(e instanceof UnpicklingError)) throw new Error(`mutant ${i} (kind ${kind}) crashed with ${(e as Error).name}: ${(e as Error).stack}`);
      refused++;
    }
  }
  assert.is(accepted + refused, 600);
  assert.ok(refused > 300, `most mutants are refused (${refused})`);
});

test("a global value keeps its name (defaultdict's factory)", () => {
  const g = unpickle(asm("builtins", "list", OP.STACK_GLOBAL));
  assert.instance(g, PyGlobal);
  assert.is((g as PyGlobal).qualifiedName, "builtins.list");
});

test.run();
