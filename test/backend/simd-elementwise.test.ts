/**
 * trax-ts's element-wise kernels on wasm (src/backend/simd/elementwise-module.ts,
 * wasm-elementwise.ts): `Add`, `Sub`, `Multiply`, `RealDiv` over every kind
 * of broadcast (equal shapes, scalars either side, rows, columns, middle
 * axes, several outer levels, lengths off the vector width, empty outputs)
 * and `Relu`, `Neg`, `Abs`, `Square` give tfjs-wasm's own results bit for
 * bit, special values included (NaN, infinities, signed zeros,
 * subnormals); int32 inputs and incompatible shapes still get tfjs-wasm's
 * kernels and errors; gradients of a broadcasting layer are unchanged;
 * nothing leaks; the module is valid over plain and shared memory.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertValidModule, float32Bits, kernelsRunBy, leakedBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { elementwiseModuleBytes } from "../../src/backend/simd/elementwise-module";
import { broadcastLevels, simdElementwise } from "../../src/backend/simd/wasm-elementwise";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";

/** Runs `f` with tfjs-wasm's own kernels (XNNPACK). */
const stock = <T>(f: () => T): T => withSwitch(simdElementwise, false, f);

/** Values with the special cases mixed in: NaN, infinities, signed zeros, subnormals, ones. */
function valuesOf(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -3e-39, 1, -1, 3.4e38];
  const random = tf.randomNormal([size], 0, 3, "float32", seed).dataSync();
  const values = Float32Array.from(random, (v, i) => (i % 7 === 3 ? special[(i + seed) % special.length] : v));
  return tf.tensor(values, shape);
}

test("broadcastLevels: axes of size 1 dropped, neighbours that broadcast alike merged, steps of each operand", () => {
  assert.equal(broadcastLevels([64, 32, 32], [1, 32, 32], [64, 32, 32]), [
    { size: 1024, aStride: 1, bStride: 1 },
    { size: 64, aStride: 1024, bStride: 0 },
  ]);
  assert.equal(broadcastLevels([8, 1], [5], [8, 5]), [
    { size: 5, aStride: 0, bStride: 1 },
    { size: 8, aStride: 1, bStride: 0 },
  ]);
  assert.equal(broadcastLevels([2, 3, 4], [], [2, 3, 4]), [{ size: 24, aStride: 1, bStride: 0 }]);
  assert.equal(broadcastLevels([1, 1], [1], [1, 1]), [{ size: 1, aStride: 1, bStride: 1 }], "one element");
  assert.equal(broadcastLevels([64, 32, 1], [64, 32, 32], [64, 32, 32]), [
    { size: 32, aStride: 0, bStride: 1 },
    { size: 2048, aStride: 1, bStride: 32 },
  ]);
  assert.equal(broadcastLevels([2, 1, 3, 1], [1, 4, 1, 5], [2, 4, 3, 5]), [
    { size: 5, aStride: 0, bStride: 1 },
    { size: 3, aStride: 1, bStride: 0 },
    { size: 4, aStride: 0, bStride: 5 },
    { size: 2, aStride: 3, bStride: 0 },
  ]);
});

test("the module is valid WebAssembly over a plain and a shared memory", () => {
  assertValidModule(elementwiseModuleBytes);
});

const BINARY: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ["Add", tf.add],
  ["Sub", tf.sub],
  ["Multiply", tf.mul],
  ["RealDiv", tf.div],
];

const SHAPE_PAIRS: [number[], number[]][] = [
  [[37], [37]], // a vector loop, one vector, a scalar tail
  [[16, 32, 128], [16, 32, 128]],
  [[5, 7], []], // a scalar operand either side
  [[], [5, 7]],
  [[128, 256], [256]], // a bias
  [[3, 1], [3, 17]], // a column broadcast
  [[64, 32, 1], [64, 32, 32]],
  [[64, 32, 32], [1, 32, 32]], // an attention mask
  [[2, 1, 3, 1], [1, 4, 1, 5]], // four levels: an outer odometer
  [[2, 3, 1, 5, 1], [3, 4, 1, 6]],
  [[1], [1]],
  [[0, 4], [4]], // an empty output
  [[4, 0], [1, 1]],
];

test("Add, Sub, Multiply, RealDiv give tfjs-wasm's results bit for bit over every broadcast, special values included", () => {
  if (!onWasm()) return;
  for (const [name, op] of BINARY) {
    SHAPE_PAIRS.forEach(([sa, sb], i) => {
      const [a, b] = [valuesOf(sa, 2 * i + 1), valuesOf(sb, 2 * i + 2)];
      const run = () => tf.tidy(() => {
        const y = op(a, b);
        return { shape: y.shape, bits: float32Bits(y.dataSync() as Float32Array) };
      });
      const names = kernelsRunBy(() => tf.dispose(op(a, b)));
      assert.ok(names.includes(name), `${name} runs (${names})`);
      assert.equal(run(), stock(run), `${name} [${sa}] [${sb}]`);
      assert.is(leakedBy(() => tf.dispose(op(a, b))), 0, `${name} [${sa}] [${sb}] leaks nothing`);
      tf.dispose([a, b]);
    });
  }
});

test("an output written over its own input (a kernel given the same tensor twice) is right", () => {
  if (!onWasm()) return;
  const x = valuesOf([3, 41], 5);
  const run = () => tf.tidy(() => float32Bits(tf.add(x, x).dataSync() as Float32Array).concat(float32Bits(tf.mul(x, x).dataSync() as Float32Array)));
  assert.equal(run(), stock(run));
  x.dispose();
});

test("Relu, Neg, Abs, Square give tfjs-wasm's results bit for bit: NaN, infinities, signed zeros, subnormals, every length", () => {
  if (!onWasm()) return;
  const ops: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ["Relu", tf.relu],
    ["Neg", tf.neg],
    ["Abs", tf.abs],
    ["Square", tf.square],
  ];
  for (const [name, op] of ops) {
    for (const shape of [[1], [3], [4], [17], [33], [2, 3, 67], [0, 3]]) {
      const x = valuesOf(shape, shape.length + shape[shape.length - 1]);
      const run = () => tf.tidy(() => {
        const y = op(x);
        return { shape: y.shape, bits: float32Bits(y.dataSync() as Float32Array) };
      });
      assert.ok(kernelsRunBy(() => tf.dispose(op(x))).includes(name));
      assert.equal(run(), stock(run), `${name} [${shape}]`);
      assert.is(leakedBy(() => tf.dispose(op(x))), 0);
      x.dispose();
    }
  }
  // ReLU's signs, spelled out: -0 becomes +0, NaN stays NaN (as tfjs-wasm's)
  const y = Array.from(tf.relu(tf.tensor([NaN, -0, -1, 2, -Infinity])).dataSync());
  assert.ok(Number.isNaN(y[0]));
  assert.ok(Object.is(y[1], 0), "-0 -> +0");
  assert.equal(y.slice(2), [0, 2, 0]);
});

test("int32 inputs go to tfjs-wasm's kernels; incompatible shapes get its error", () => {
  if (!onWasm()) return;
  const [a, b] = [tf.tensor2d([[1, -2], [3, 4]], [2, 2], "int32"), tf.tensor1d([5, -7], "int32")];
  for (const [, op] of BINARY.slice(0, 3)) {
    const run = () => tf.tidy(() => { const y = op(a, b); return { dtype: y.dtype, values: Array.from(y.dataSync()) }; });
    assert.equal(run(), stock(run));
  }
  for (const op of [tf.relu, tf.neg, tf.abs, tf.square]) {
    const run = () => tf.tidy(() => { const y = op(a); return { dtype: y.dtype, values: Array.from(y.dataSync()) }; });
    assert.equal(run(), stock(run));
  }
  const message = (f: () => unknown) => { try { f(); } catch (e) { return (e as Error).message; } return "no error"; };
  const bad = () => tf.add(tf.zeros([2, 3]), tf.zeros([4]));
  assert.match(message(bad), /broadcast/);
  assert.is(message(bad), stock(() => message(bad)));
  tf.dispose([a, b]);
});

test("a layer that broadcasts (Dense's bias, a LayerNorm, a ReLU) trains to the same gradients as with tfjs-wasm's kernels", () => {
  if (!onWasm()) return;
  const model = tl.Serial(tl.Dense(24), tl.LayerNorm(), tl.Relu(), tl.Dense(5));
  const x = tf.randomNormal([6, 4, 9], 0, 1, "float32", 31);
  model.init(trax.shapes.signature(x), { rng: trax.fastmath.random.getPrng(1) });
  const run = () => tf.tidy(() => {
    const lossOf = (w: typeof model.weights) => {
      model.weights = w;
      const y = model(x) as tf.Tensor;
      return tf.sub(y, tf.scalar(0.5)).square().div(tf.scalar(3)).mean();
    };
    const g = trax.fastmath.grad(lossOf)(model.weights);
    return (tf.util.flatten(g as never) as unknown as tf.Tensor[]).map((t) => float32Bits(t.dataSync() as Float32Array));
  });
  assert.equal(run(), stock(run));
  x.dispose();
});

test.run();
