/**
 * The backend-parametrized numerics suite: every layer family runs forward and
 * backward on webgpu (lavapipe here, a GPU elsewhere) and is compared with the
 * wasm backend, plus a short training run whose losses must match.
 *
 * Tolerances (float32 on both sides, different summation orders and GPU
 * transcendental functions): outputs within 2e-4 + 2e-3·|wasm|, gradients
 * within 1e-3 + 5e-3·|wasm|, training losses within 1e-4 + 1e-3·|wasm|.
 *
 * This suite fails (it does not skip) when webgpu cannot start: CI installs
 * lavapipe (scripts/install-system-deps.sh). TRAX_SKIP_WEBGPU=1 skips it on a
 * developer machine known to lack Vulkan; it is ignored when CI or TRAX_CI (set by .ci/run) is set.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax, ShapeDtype } from "../helpers";

const test = suite("webgpu numerics");
const { random } = trax.fastmath;
type Layer = InstanceType<typeof tl.Layer>;

const FWD = { atol: 2e-4, rtol: 2e-3 };
const GRAD = { atol: 1e-3, rtol: 5e-3 };
const skip = process.env.TRAX_SKIP_WEBGPU === "1" && !process.env.CI && !process.env.TRAX_CI; // never skipped in CI

test.before(async () => {
  await ready();
  if (skip) return;
  try {
    await trax.backend.setBackend("webgpu");
  } catch (e) {
    throw new Error(`the webgpu numerics suite needs a WebGPU adapter (CI installs lavapipe with scripts/install-system-deps.sh): ${String(e)}`);
  }
  await trax.backend.setBackend("wasm");
});

/** Every float32 array a computation produced, in order. */
type Result = { label: string; values: Float32Array | Int32Array; shape: number[] }[];

function collect(label: string, out: unknown, into: Result): void {
  if (out instanceof tf.Tensor) into.push({ label, values: out.dataSync() as Float32Array, shape: out.shape });
  else if (Array.isArray(out)) out.forEach((o, i) => collect(`${label}[${i}]`, o, into));
}

function compare(name: string, got: Result, want: Result): void {
  assert.is(got.length, want.length, `${name}: number of results`);
  want.forEach((w, k) => {
    const g = got[k];
    assert.equal(g.shape, w.shape, `${name} ${w.label}: shape`);
    const tol = w.label.startsWith("grad") ? GRAD : FWD;
    let worst = 0;
    for (let i = 0; i < w.values.length; i++) {
      const err = Math.abs(g.values[i] - w.values[i]) - tol.rtol * Math.abs(w.values[i]);
      if (!(err <= tol.atol)) {
        assert.unreachable(`${name} ${w.label}[${i}]: webgpu ${g.values[i]} vs wasm ${w.values[i]} (atol ${tol.atol}, rtol ${tol.rtol})`);
      }
      worst = Math.max(worst, err);
    }
  });
}

interface Case {
  name: string;
  make: () => Layer;
  inputs: () => tf.Tensor | tf.Tensor[];
  /** Differentiate with respect to the inputs too (float inputs only). */
  inputGrads?: boolean;
  /** The backend to compare with (default wasm). */
  reference?: "wasm" | "cpu";
}

/** Forward outputs and gradients of `sum(sin(out) * c)` with respect to every weight (and the inputs). */
function evaluate(layer: Layer, x: tf.Tensor | tf.Tensor[], inputGrads: boolean): Result {
  const result: Result = [];
  tf.tidy(() => {
    const rng = random.getPrng(7);
    const [out] = layer.pureFn(x, layer.weights, layer.state, rng);
    collect("out", out, result);
    const wLeaves = trax.fastmath.treeFlatten(layer.weights as never) as tf.Tensor[];
    const xs = Array.isArray(x) ? x : [x];
    const loss = (...leaves: tf.Tensor[]) => {
      const w = trax.fastmath.treeUnflatten(leaves.slice(0, wLeaves.length) as never, layer.weights as never)[0];
      const xin = inputGrads ? leaves.slice(wLeaves.length) : xs;
      const [y] = layer.pureFn(Array.isArray(x) ? xin : xin[0], w as never, layer.state, rng);
      const ys = ((Array.isArray(y) ? y : [y]) as tf.Tensor[]).filter((t) => t.dtype === "float32"); // not masks
      return tf.addN(ys.map((t, i) => tf.sum(tf.mul(tf.sin(t), 1 + 0.25 * i)))) as tf.Scalar;
    };
    const leaves = [...wLeaves, ...(inputGrads ? xs : [])];
    if (leaves.length > 0) collect("grad", tf.grads(loss)(leaves), result);
  });
  return result;
}

function signatureOf(x: tf.Tensor | tf.Tensor[]) {
  const one = (t: tf.Tensor) => new ShapeDtype(t.shape, t.dtype);
  return Array.isArray(x) ? x.map(one) : one(x);
}

const f32 = (seed: number, shape: number[]) => random.normal(random.getPrng(seed), shape);

const CASES: Case[] = [
  // core
  { name: "Dense MLP + LogSoftmax", make: () => tl.Serial(tl.Dense(6), tl.Relu(), tl.Dense(4), tl.LogSoftmax()), inputs: () => f32(1, [3, 5]), inputGrads: true },
  { name: "Embedding", make: () => tl.Embedding(10, 4), inputs: () => tf.tensor2d([[1, 3, 9], [0, 2, 2]], [2, 3], "int32") },
  // attention
  { name: "Attention (with mask)", make: () => tl.Attention(8, { nHeads: 2, mode: "eval" }),
    inputs: () => [f32(2, [2, 5, 8]), tf.tensor3d([[[1, 1, 1, 0, 0]], [[1, 1, 1, 1, 1]]], [2, 1, 5], "bool")], inputGrads: false },
  { name: "CausalAttention", make: () => tl.CausalAttention(8, { nHeads: 2, mode: "eval" }), inputs: () => f32(3, [2, 5, 8]), inputGrads: true },
  // rnn
  { name: "LSTM", make: () => tl.LSTM(6, { mode: "eval" }), inputs: () => f32(4, [2, 4, 6]), inputGrads: true },
  { name: "GRU", make: () => tl.GRU(6, { mode: "eval" }), inputs: () => f32(5, [2, 4, 6]), inputGrads: true },
  // conv
  { name: "Conv 3x3 SAME", make: () => tl.Conv(4, [3, 3], { padding: "SAME" }), inputs: () => f32(6, [2, 6, 6, 3]), inputGrads: true },
  // pooling
  // Compared with cpu: tfjs-backend-wasm 4.22's MaxPoolGrad drops some windows' gradient (a (2, 4, 4, 1)
  // input pooled 2x2 stride 2 gets 7 ones instead of 8); webgpu and cpu agree.
  { name: "MaxPool", make: () => tl.MaxPool({ poolSize: [2, 2], strides: [2, 2] }), inputs: () => f32(7, [2, 6, 6, 3]), inputGrads: true, reference: "cpu" },
  { name: "AvgPool SAME", make: () => tl.AvgPool({ poolSize: [3, 3], padding: "SAME" }), inputs: () => f32(8, [2, 5, 5, 3]), inputGrads: true },
  // normalization
  { name: "LayerNorm", make: () => tl.LayerNorm(), inputs: () => f32(9, [3, 7]), inputGrads: true },
  { name: "BatchNorm (train)", make: () => tl.BatchNorm({ mode: "train" }), inputs: () => f32(10, [2, 3, 3, 4]), inputGrads: true },
  // reversible
  { name: "ReversibleSerial", make: () => tl.ReversibleSerial(tl.ReversibleHalfResidual(tl.Dense(4)), tl.ReversibleSwap(), tl.ReversibleHalfResidual(tl.Serial(tl.Dense(4), tl.Tanh()))),
    inputs: () => [f32(11, [3, 4]), f32(12, [3, 4])], inputGrads: true },
  // efficient attention
  { name: "SelfAttention (chunked, causal)", make: () => tl.SelfAttention({ nHeads: 2, dQk: 4, dV: 4, causal: true, chunkLen: 4, nChunksBefore: 1, attentionDropout: 0, mode: "eval" }),
    inputs: () => f32(13, [1, 8, 6]), inputGrads: true },
  { name: "LSHSelfAttention (2 hashes)", make: () => tl.LSHSelfAttention({ nHeads: 2, dQk: 4, dV: 4, chunkLen: 4, nChunksBefore: 1, nHashes: 2, nBuckets: 4, attentionDropout: 0, mode: "eval" }),
    inputs: () => f32(14, [1, 8, 6]), inputGrads: true },
];

for (const c of CASES) {
  test(`${c.name}: forward and gradients on webgpu match ${c.reference ?? "wasm"}`, async () => {
    if (skip) return;
    const reference = c.reference ?? "wasm";
    await trax.backend.setBackend(reference);
    const layer = c.make();
    const x = c.inputs();
    layer.init(signatureOf(x), { rng: random.getPrng(0) });
    const before = tf.memory().numTensors;
    const want = evaluate(layer, x, c.inputGrads ?? false);
    assert.is(tf.memory().numTensors, before, `${c.name}: ${reference} leaked tensors`);
    await trax.backend.setBackend("webgpu");
    const got = evaluate(layer, x, c.inputGrads ?? false); // weights and inputs made on wasm move to webgpu
    assert.is(tf.memory().numTensors, before, `${c.name}: webgpu leaked tensors`);
    await trax.backend.setBackend("wasm");
    compare(c.name, got, want);
    assert.ok(want.length >= 2, `${c.name}: outputs and gradients compared`);
    tf.dispose(x);
  });
}

test("predict mode: CausalAttention decoding one position at a time matches wasm", async () => {
  if (skip) return;
  const [b, l, d] = [2, 5, 8];
  const x = f32(20, [b, l, d]);
  const decode = () => {
    const pr = tl.CausalAttention(d, { nHeads: 2, mode: "predict" });
    pr.init(new ShapeDtype([b, 1, d]), { rng: random.getPrng(0) });
    const out: Result = [];
    for (let t = 0; t < l; t++) collect(`out${t}`, tf.tidy(() => pr(x.slice([0, t, 0], [b, 1, d])) as tf.Tensor), out);
    return out;
  };
  await trax.backend.setBackend("wasm");
  const want = decode();
  await trax.backend.setBackend("webgpu");
  const got = decode();
  await trax.backend.setBackend("wasm");
  compare("CausalAttention predict", got, want);
});

test("optimizers.l2Norm over many tensors (more than one AddN can bind on webgpu) matches wasm", async () => {
  if (skip) return;
  const norm = () => {
    const tree = Array.from({ length: 20 }, (_, i) => [f32(40 + i, [3, i + 1])]);
    const n = trax.optimizers.l2Norm(tree);
    const v = n.dataSync()[0];
    tf.dispose([tree, n]);
    return v;
  };
  await trax.backend.setBackend("wasm");
  const want = norm();
  await trax.backend.setBackend("webgpu");
  const got = norm();
  await trax.backend.setBackend("wasm");
  assert.ok(Math.abs(got - want) <= 1e-5 * want, `webgpu ${got} vs wasm ${want}`);
});

test("views: a tensor's and a layer's display bundles read the same on webgpu as on wasm", async () => {
  if (skip) return;
  const bundles = () => {
    const x = tf.tidy(() => tf.reshape(tf.range(0, 12, 1, "float32").mul(0.5).sin(), [3, 4]));
    const layer = tl.Serial(tl.Dense(3), tl.Relu());
    layer.init(new ShapeDtype([2, 4]), { rng: random.getPrng(0) });
    const out = [trax.display.tensorView(x)[trax.display.DISPLAY](), trax.display.layerView(layer)[trax.display.DISPLAY]()];
    tf.dispose(x);
    return out.map((b) => b["text/plain"]);
  };
  await trax.backend.setBackend("wasm");
  const want = bundles();
  await trax.backend.setBackend("webgpu");
  const got = bundles();
  await trax.backend.setBackend("wasm");
  assert.is(got[1], want[1], "the layer view");
  // The tensor view: same statistics line; values equal up to float32 rounding of sin on each backend.
  assert.is(got[0].split("\n")[0], want[0].split("\n")[0]);
  const numbers = (t: string) => (t.split("\n").slice(1).join(" ").match(/-?\d+\.\d*(e-?\d+)?/g) ?? []).map(Number);
  assert.is(numbers(got[0]).length, 12);
  numbers(got[0]).forEach((v, i) => assert.ok(Math.abs(v - numbers(want[0])[i]) < 1e-6, `value ${i}: ${v} vs ${numbers(want[0])[i]}`));
  assert.match(want[0], /0\.479/); // sin(0.5), as numpy prints it
});

/** Losses of a short training run: an MLP, Adam then Momentum (the fused optimizer kernels do not run on webgpu). */
async function trainLosses(): Promise<number[]> {
  const { Loop, TrainTask } = trax.supervised;
  const opt = trax.optimizers;
  function* batches(seed: number): Generator<tf.Tensor[]> {
    for (let i = 0; ; i++) {
      const x = random.normal(random.foldIn(random.getPrng(seed), i), [16, 4]);
      yield [x, tf.tidy(() => x.sum(1).greater(0).toInt())];
    }
  }
  const out: number[] = [];
  for (const optimizer of [opt.Adam({ learningRate: 0.02 }), opt.Momentum({ learningRate: 0.05 })]) {
    const model = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(2), tl.LogSoftmax());
    const loop = Loop(model, TrainTask(() => batches(1), tl.CrossEntropyLoss(), optimizer), { progress: "none" });
    const off = loop.onStep(({ loss }) => out.push(loss));
    await loop.run(8);
    off();
    loop.dispose();
  }
  return out;
}

test("a short training run (Adam, Momentum) gives the same losses on webgpu as on wasm", async () => {
  if (skip) return;
  await trax.backend.setBackend("wasm");
  let before = tf.memory().numTensors;
  const want = await trainLosses();
  const leftOnWasm = tf.memory().numTensors - before; // the batch generators' unconsumed batches
  await trax.backend.setBackend("webgpu");
  before = tf.memory().numTensors;
  const got = await trainLosses();
  assert.is(tf.memory().numTensors - before, leftOnWasm, "training on webgpu leaves no more tensors than on wasm");
  await trax.backend.setBackend("wasm");
  assert.is(got.length, 16);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 1e-4 + 1e-3 * Math.abs(want[i]), `step ${i}: webgpu ${g} vs wasm ${want[i]}`));
  assert.ok(want[7] < want[0], `the loss decreases (${want[0]} -> ${want[7]})`);
});

test.run();
