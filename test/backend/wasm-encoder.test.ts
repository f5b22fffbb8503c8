/**
 * The WebAssembly encoder behind trax-ts's SIMD kernels
 * (src/backend/simd/wasm-encoder.ts): LEB128 against the spec's examples,
 * and small modules that compute what they should (integer loops, float
 * and SIMD arithmetic, loads and stores in an imported memory).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeModule, FunctionBuilder, sleb, uleb } from "../../src/backend/simd/wasm-encoder";

type Wasm = {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer };
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => number> };
  validate(b: Uint8Array): boolean;
};
const W = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

function instantiate(functions: { name: string; fn: FunctionBuilder }[], shared = false) {
  const memory = new W.Memory(shared ? { initial: 1, maximum: 16, shared: true } : { initial: 1 });
  const bytes = encodeModule(functions, shared);
  assert.ok(W.validate(bytes), "valid module");
  return { memory, exports: new W.Instance(new W.Module(bytes), { env: { memory } }).exports };
}

test("LEB128: unsigned and signed encodings of the spec's examples", () => {
  assert.equal(uleb(0), [0]);
  assert.equal(uleb(127), [0x7f]);
  assert.equal(uleb(128), [0x80, 0x01]);
  assert.equal(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.equal(uleb(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.equal(sleb(0), [0]);
  assert.equal(sleb(-1), [0x7f]);
  assert.equal(sleb(63), [0x3f]);
  assert.equal(sleb(64), [0xc0, 0x00]);
  assert.equal(sleb(-64), [0x40]);
  assert.equal(sleb(-65), [0xbf, 0x7f]);
  assert.equal(sleb(-123456), [0xc0, 0xbb, 0x78]);
});

test("an integer loop: the sum 0 + 1 + ... + (n - 1)", () => {
  const f = new FunctionBuilder(["i32"], ["i32"]);
  const [i, sum] = f.locals("i32", 2);
  f.i32(0).set(i).i32(0).set(sum);
  f.forLoop(i, 0, 1, () => {
    f.get(sum).get(i).op("i32.add").set(sum);
  });
  f.get(sum);
  const { exports } = instantiate([{ name: "tri", fn: f }]);
  assert.is(exports.tri(0), 0);
  assert.is(exports.tri(10), 45);
  assert.is(exports.tri(1000), 499500);
});

test("SIMD in memory: y[i] = max(a[i] * b[i] + 0.5, 0) four lanes at a time, through shared and plain memory", () => {
  for (const shared of [false, true]) {
    const f = new FunctionBuilder(["i32", "i32", "i32", "i32"]);
    const [a, b, y, n] = [0, 1, 2, 3];
    const i = f.local("i32");
    const half = f.local("v128");
    f.f32(0.5).op("f32x4.splat").set(half);
    f.i32(0).set(i);
    f.forLoop(i, n, 4, () => {
      f.get(y).get(i).i32(2).op("i32.shl").op("i32.add");
      f.get(a).get(i).i32(2).op("i32.shl").op("i32.add").mem("v128.load");
      f.get(b).get(i).i32(2).op("i32.shl").op("i32.add").mem("v128.load");
      f.op("f32x4.mul").get(half).op("f32x4.add").f32(0).op("f32x4.splat").op("f32x4.max").mem("v128.store");
    }, true);
    const { memory, exports } = instantiate([{ name: "run", fn: f }], shared);
    const heap = new Float32Array(memory.buffer);
    const av = [1, -2, 3, -4, 0.25, 6, -7, 8];
    const bv = [2, 2, -1, 1, 4, 0.5, 0, -1];
    heap.set(av, 0);
    heap.set(bv, 16);
    exports.run(0, 64, 128, 8);
    assert.equal(Array.from(heap.subarray(32, 40)), av.map((x, k) => Math.max(x * bv[k] + 0.5, 0)), shared ? "shared" : "plain");
  }
});

test("lanes and constants: extract_lane and f32 constants are exact", () => {
  const f = new FunctionBuilder([], ["f32"]);
  const v = f.local("v128");
  f.f32(1.5).op("f32x4.splat").set(v);
  f.get(v).extractLane(3).f32(-0.25).op("f32.mul");
  const { exports } = instantiate([{ name: "lane", fn: f }]);
  assert.is(exports.lane(), -0.375);
});


test("i8x16.shuffle: bytes from either vector, in the order given; bad lanes are refused", () => {
  const f = new FunctionBuilder(["i32"]);
  const [p] = [0];
  // out = [a3, b0, a1, b2] (float lanes) of a at p, b at p + 16, stored at p + 32
  const lanes = [3, 4, 1, 6].flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  f.get(p).get(p).mem("v128.load").get(p).mem("v128.load", 16).shuffle(lanes).mem("v128.store", 32);
  const { memory, exports } = instantiate([{ name: "run", fn: f }]);
  const heap = new Float32Array(memory.buffer);
  heap.set([1, 2, 3, 4, 5, 6, 7, 8], 4);
  exports.run(16);
  assert.equal(Array.from(heap.subarray(12, 16)), [4, 5, 2, 7]);
  assert.throws(() => new FunctionBuilder([]).shuffle([0, 1]), /16 byte lanes/);
  assert.throws(() => new FunctionBuilder([]).shuffle(new Array(16).fill(32)), /0-31/);
});

test.run();
