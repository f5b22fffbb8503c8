import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { trax } from "../helpers";

const test = suite("backend/threads");

/**
 * Runs a fresh process (the threaded build starts once per process) with
 * `TRAX_THREADS` as given (unset when absent) and returns the JSON its script
 * prints last. The process must end by itself: a pool that held it open would
 * fail the call at its (generous) time bound. `prelude` runs first (CommonJS).
 */
function runChild(env: Record<string, string | undefined>, body: string, prelude = ""): Record<string, unknown> {
  const script = `${prelude}\nconst t = require('./src'); const tf = t.tf; const tl = t.layers;\n${body}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TRAX_BACKEND: "wasm", TRAX_QUIET: "1" };
  delete childEnv.TRAX_THREADS; // the test runner sets 1
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { env: childEnv, encoding: "utf8", timeout: 240000 });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

/** Makes the child see `n` cores (the default thread count follows them). */
const cores = (n: number) => `const os = require('os'); os.availableParallelism = () => ${n}; os.cpus = ((c) => () => c().concat(c()).concat(c()).concat(c()).slice(0, ${n}))(os.cpus);`;

/** A model and a batch made (and run) synchronously right after import, before any await. */
const MODEL = `
  const x = tf.tensor2d(Array.from({ length: 16 * 20 }, (_, k) => Math.sin(k)), [16, 20]);
  const labels = tf.tensor1d(Array.from({ length: 16 }, (_, k) => k % 4), 'int32');
  const model = tl.Serial(tl.Dense(32), tl.Relu(), tl.Dense(4));
  const y0 = Array.from(model(x).dataSync());
  const weightValues = () => model.weights.flat(Infinity).filter((w) => w && w.dataSync).map((w) => Array.from(w.dataSync()));
  const w0 = weightValues();
  const at0 = t.backend.info();
  const handlers = () => process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
  const before = { threads: at0.threads, note: at0.threadsNote, tensors: tf.memory().numTensors, handlers: handlers() };
  function* forever(b) { for (;;) yield b; }
  const loop = t.supervised.Loop(model,
    t.supervised.TrainTask(forever([x, labels]), tl.CrossEntropyLossWithLogSoftmax(), t.optimizers.Adam({ learningRate: 0.01 }), { disposeBatches: false }),
    { progress: 'none', stepsPerEval: 1 });
  const losses = () => loop.history.get('train', 'metrics/CrossEntropyLossWithLogSoftmax').map(([, v]) => v);
  before.tensors = tf.memory().numTensors;
`;

const maxRelDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / (1 + Math.abs(b[i]))));

test("requestedThreads: TRAX_THREADS, else the cores on machines with at least 4 (else 1), at most 8; a clear error for a bad value", () => {
  const { requestedThreads, MAX_THREADS, MIN_CORES_FOR_THREADS } = trax.backend;
  assert.is(MIN_CORES_FOR_THREADS, 4);
  assert.is(requestedThreads({ TRAX_THREADS: "3" }, 2), 3);
  assert.is(requestedThreads({ TRAX_THREADS: "1" }, 16), 1);
  assert.is(requestedThreads({ TRAX_THREADS: "64" }), MAX_THREADS);
  assert.is(requestedThreads({}, 4), 4);
  assert.is(requestedThreads({}, 6), 6);
  assert.is(requestedThreads({}, 64), MAX_THREADS);
  assert.is(requestedThreads({}, 2), 1);
  assert.is(requestedThreads({}, 1), 1);
  assert.is(requestedThreads({ TRAX_THREADS: " " }, 4), 4);
  assert.throws(() => requestedThreads({ TRAX_THREADS: "two" }), /TRAX_THREADS must be a positive integer; got 'two'/);
  assert.throws(() => requestedThreads({ TRAX_THREADS: "0" }), /TRAX_THREADS must be a positive integer/);
});

test("requestedTfjsThreads: TRAX_TFJS_THREADS (at most the threads), else the threads; a clear error for a bad value", () => {
  const { requestedTfjsThreads } = trax.backend;
  assert.is(requestedTfjsThreads(4, {}), 4);
  assert.is(requestedTfjsThreads(4, { TRAX_TFJS_THREADS: "1" }), 1);
  assert.is(requestedTfjsThreads(2, { TRAX_TFJS_THREADS: "8" }), 2);
  assert.is(requestedTfjsThreads(3, { TRAX_TFJS_THREADS: " " }), 3);
  assert.throws(() => requestedTfjsThreads(2, { TRAX_TFJS_THREADS: "one" }), /TRAX_TFJS_THREADS must be a positive integer; got 'one'/);
  assert.throws(() => requestedTfjsThreads(2, { TRAX_TFJS_THREADS: "0" }), /TRAX_TFJS_THREADS must be a positive integer/);
});

test("TRAX_THREADS=2 TRAX_TFJS_THREADS=1: products on 2 threads, tfjs-wasm's own kernels (XNNPACK) on 1, the single-threaded build's numbers, and training works", () => {
  const body = `${MODEL}
    const { simdProductThreads } = require('./src/backend/simd/wasm-matmul');
    const a = tf.tensor2d(Array.from({ length: 64 * 300 }, (_, k) => Math.sin(k)), [64, 300]);
    const b = tf.tensor2d(Array.from({ length: 300 * 200 }, (_, k) => Math.cos(k) / 10), [300, 200]);
    const img = tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 3 }, (_, k) => Math.sin(k / 3)), [2, 9, 9, 3]);
    const conv = () => Array.from(tf.conv2d(img, tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, k) => Math.cos(k)), [3, 3, 3, 4]), 1, 'same').dataSync());
    t.backend.ready().then(async (i) => {
      tf.matMul(a, b).dispose(); // starts the product workers
      for (let k = 0; k < 200 && simdProductThreads(tf.backend()) < i.threads; k++) await new Promise((r) => setTimeout(r, 50));
      await loop.run(3);
      console.log(JSON.stringify({ threads: i.threads, tfjsThreads: i.tfjsThreads, note: i.threadsNote ?? null, xnnpack: require('@tensorflow/tfjs-backend-wasm').getThreadsCount(),
        productThreads: simdProductThreads(tf.backend()), y: Array.from(tf.matMul(a, b).dataSync()).slice(0, 400), conv: conv(), losses: losses() }));
    });`;
  type Child = { threads: number; tfjsThreads: number; note: string | null; xnnpack: number; productThreads: number; y: number[]; conv: number[]; losses: number[] };
  const split = runChild({ TRAX_THREADS: "2", TRAX_TFJS_THREADS: "1" }, body) as Child;
  const one = runChild({ TRAX_THREADS: "1" }, body) as Child;
  assert.equal([split.threads, split.tfjsThreads, split.xnnpack, split.productThreads, split.note], [2, 1, 1, 2, null]);
  assert.equal([one.threads, one.tfjsThreads], [1, 1]);
  assert.ok(maxRelDiff(split.y, one.y) < 1e-5, `products: largest relative difference ${maxRelDiff(split.y, one.y)}`);
  assert.ok(maxRelDiff(split.conv, one.conv) < 1e-5, `convolution: largest relative difference ${maxRelDiff(split.conv, one.conv)}`);
  assert.ok(maxRelDiff(split.losses, one.losses) < 1e-4, `2 threads ${split.losses} vs 1 thread ${one.losses}`);
});

test("by default (TRAX_THREADS unset, 4 cores) a script computes at once on one thread; ready() switches to 4 threads; weights made before keep their values and still train", () => {
  const body = `${MODEL}
    t.backend.ready().then(async (i) => {
      const after = { threads: i.threads, note: i.threadsNote, tensors: tf.memory().numTensors, live: t.backend.info().threads, handlers: handlers() };
      const w1 = weightValues();
      const y1 = Array.from(model(x).dataSync());
      await loop.run(5);
      console.log(JSON.stringify({ before, after, same: JSON.stringify(w0) === JSON.stringify(w1), y0, y1, losses: losses() }));
    });`;
  const r = runChild({}, body, cores(4)) as {
    before: { threads: number; note?: string; tensors: number; handlers: number };
    after: { threads: number; note?: string; tensors: number; live: number; handlers: number };
    same: boolean; y0: number[]; y1: number[]; losses: number[];
  };
  assert.is(r.before.threads, 1);
  assert.match(r.before.note ?? "", /1 thread until the first `await trax\.backend\.ready\(\)`.*\(4 threads\)/);
  assert.is(r.after.threads, 4, `threads ${r.after.threads} (${r.after.note})`);
  assert.is(r.after.live, 4);
  assert.is(r.after.note, undefined);
  assert.is(r.after.tensors, r.before.tensors, "the switch neither leaks nor loses tensors");
  assert.is(r.before.handlers, 0, "no process handlers of the wasm runtime are left");
  assert.is(r.after.handlers, 0, "no process handlers of the threaded runtime are left");
  assert.ok(r.same, "the weights read after the switch equal those before, bit for bit");
  assert.ok(maxRelDiff(r.y1, r.y0) < 1e-5, `outputs differ after the switch by ${maxRelDiff(r.y1, r.y0)}`);
  // The same training on one thread (TRAX_THREADS=1: no switch at all).
  const one = runChild({ TRAX_THREADS: "1" }, `${MODEL}
    loop.run(5).then(() => console.log(JSON.stringify({ before, threads: t.backend.info().threads, note: t.backend.info().threadsNote ?? null, y0, losses: losses() })));`) as {
    before: { threads: number }; threads: number; note: string | null; y0: number[]; losses: number[];
  };
  assert.is(one.threads, 1);
  assert.is(one.note, null);
  assert.equal(one.y0, r.y0, "before the switch both run the same single-threaded build");
  assert.is(r.losses.length, 5);
  assert.ok(r.losses[4] < r.losses[0], `the loss falls: ${r.losses}`);
  assert.ok(maxRelDiff(r.losses, one.losses) < 1e-4, `4 threads ${r.losses} vs 1 thread ${one.losses}`);
});

test("Loop.run is a switching point too: a script that never calls ready() trains on 4 threads", () => {
  const r = runChild({}, `${MODEL}
    loop.run(3).then(() => console.log(JSON.stringify({ before, threads: t.backend.info().threads, losses: losses() })));`, cores(4)) as {
    before: { threads: number }; threads: number; losses: number[];
  };
  assert.is(r.before.threads, 1);
  assert.is(r.threads, 4);
  assert.is(r.losses.length, 3);
  assert.ok(r.losses.every(Number.isFinite));
});

test("a synchronous script that never awaits stays on one thread and ends by itself", () => {
  const r = runChild({}, `${MODEL}
    console.log(JSON.stringify({ before, y: Array.from(tl.Dense(3)(x).dataSync()).length, backend: t.backend.info().backend }));`, cores(4)) as {
    before: { threads: number; note?: string }; y: number; backend: string;
  };
  assert.is(r.backend, "wasm");
  assert.is(r.before.threads, 1);
  assert.is(r.y, 16 * 3);
});

test("TRAX_THREADS=2 on this machine: ready() runs 2 threads with the single-threaded build's numbers (products, exp, tanh, sums, gathers, ReLU, LayerNorm and cross-entropy gradients, transposes, decoding steps, element-wise arithmetic, softmax); a product on one thread (maxThreads 1) gives its bits", () => {
  const body = `
    const a = tf.tensor2d(Array.from({ length: 64 * 300 }, (_, k) => Math.sin(k)), [64, 300]);
    const b = tf.tensor2d(Array.from({ length: 300 * 200 }, (_, k) => Math.cos(k) / 10), [300, 200]);
    // trax-ts's other wasm kernels (exp, tanh, column sums, gather, ReLU's gradient, LayerNorm, cross-entropy, transpose, decoding attention) over the threaded build's shared heap too
    const { layerNormRecorded } = require('./src/layers/layer-norm-op');
    const reluGrad = () => tf.grad((v) => tf.sum(tf.relu(v).mul(a)))(a.sub(0.2));
    const lnGrad = () => tf.grads((v, s, c) => tf.sum(layerNormRecorded(v, s, c, 1e-6).mul(a)))([a, tf.ones([300]), tf.zeros([300])])[0];
    const { softmaxCrossEntropy } = require('./src/layers/cross-entropy');
    const ceGrad = () => tf.grad((v) => tf.sum(softmaxCrossEntropy(v, tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 300), 'int32'))))(a);
    const { fusedDecodeAttention } = require('./src/backend/simd/wasm-decode-attention');
    const q = a.slice([60, 0], [4, 100]).reshape([4, 1, 100]);
    const decode = () => fusedDecodeAttention(q, q.mul(0.5), b.slice([60, 0], [4, 20]).reshape([4, 1, 20]), a.slice([0, 0], [60, 100]).reshape([4, 15, 100]), b.slice([0, 0], [60, 20]).reshape([4, 15, 20]), 14)[0];
    const { fusedDecodeAttentionLayer } = require('./src/backend/simd/wasm-decode-attention-layer');
    const dense = (row, k, n) => [b.slice([row, 0], [k, n]), b.slice([row + k, 0], [1, n]).reshape([n])];
    const { addRows } = require('./src/backend/wasm-add-rows');
    const decodeLayer = () => fusedDecodeAttentionLayer(a.slice([0, 0], [2, 100]).reshape([2, 1, 100]), { q: dense(0, 100, 8), k: dense(50, 100, 8), v: dense(100, 100, 12), out: dense(250, 12, 20) }, a.slice([0, 0], [60, 4]).reshape([4, 15, 4]), a.slice([0, 4], [60, 6]).reshape([4, 15, 6]), 14, 2)[0];
    const others = () => [tf.softmax(a), tf.div(tf.mul(a, b.slice([0, 0], [1, 300])), b.slice([0, 0], [64, 1]).add(2)), tf.exp(a), tf.tanh(b), tf.sum(a, 0), tf.gather(b, tf.tensor1d([5, 0, 299, 5], 'int32')), reluGrad(), lnGrad(), ceGrad(), a.reshape([64, 3, 100]).transpose([1, 0, 2]), decode(), decodeLayer(), addRows(a.slice([0, 0], [6, 300]).reshape([2, 3, 300]), b.slice([0, 0], [15, 200]).reshape([10, 300]), 4)].map((r) => [r.size, ...Array.from(r.dataSync()).slice(-500)]);
    const { simdMatMul } = require('./src/backend/simd/wasm-matmul');
    const onOneThread = (f) => { simdMatMul.maxThreads = 1; try { return f(); } finally { simdMatMul.maxThreads = Infinity; } };
    const product = () => Array.from(tf.matMul(a, b).dataSync());
    const sameOnOne = () => { const shared = product(); return onOneThread(product).every((v, k) => Object.is(v, shared[k])); };
    t.backend.ready().then((i) => console.log(JSON.stringify({ threads: i.threads, note: i.threadsNote ?? null, y: product().slice(0, 400), sameOnOne: sameOnOne(), others: others() })));`;
  type Child = { threads: number; note: string | null; y: number[]; sameOnOne: boolean; others: number[][] };
  const one = runChild({ TRAX_THREADS: "1" }, body) as Child;
  const two = runChild({ TRAX_THREADS: "2" }, body) as Child;
  assert.is(one.threads, 1);
  assert.is(one.note, null);
  assert.is(two.threads, 2, `threads: ${two.threads} (${two.note})`);
  assert.is(two.y.length, 400);
  assert.ok(maxRelDiff(two.y, one.y) < 1e-5, `largest relative difference ${maxRelDiff(two.y, one.y)}`);
  assert.ok(two.sameOnOne, "a product shared between threads has the bits of the same product on one");
  assert.equal(two.others, one.others, "softmax, broadcast multiply and divide, exp, tanh, sum over rows, gather, ReLU's, LayerNorm's and cross-entropy's gradients, a row-copying transpose, a decoding step's attention, of a whole attention layer, positional encodings' rows added: the same values on both builds");
  assert.equal(one.others.map((o) => o[0]), [64 * 300, 64 * 300, 64 * 300, 300 * 200, 300, 4 * 200, 64 * 300, 64 * 300, 64 * 300, 64 * 300, 4 * 20, 2 * 20, 2 * 3 * 300]);
});

test("a threaded build that cannot start leaves wasm on one thread, and info() says why", () => {
  // The threaded module replaced by one whose start fails.
  const prelude = `${cores(4)}
    const p = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    require.cache[p] = { id: p, filename: p, loaded: true, exports: () => Promise.reject(new Error('no pthreads here')) };`;
  const r = runChild({}, `${MODEL}
    t.backend.ready().then(async (i) => {
      await loop.run(2);
      console.log(JSON.stringify({ threads: i.threads, note: i.threadsNote, backend: i.backend, trained: JSON.stringify(w0) !== JSON.stringify(weightValues()), y0, losses: losses() }));
    });`, prelude) as { threads: number; note?: string; backend: string; trained: boolean; losses: number[] };
  assert.is(r.backend, "wasm");
  assert.is(r.threads, 1);
  assert.match(r.note ?? "", /^running on 1 thread: the threaded wasm build failed to start: no pthreads here$/);
  assert.ok(r.trained, "training went on (on one thread)");
  assert.is(r.losses.length, 2);
});

test("recoverFromInterrupt: after code was stopped mid-computation, wasm moves to a fresh single-threaded instance (tensors intact) and ready() starts threads again", () => {
  const r = runChild({ TRAX_THREADS: "2" }, `
    const a = tf.tensor2d(Array.from({ length: 128 * 128 }, (_, k) => Math.sin(k)), [128, 128]);
    const s0 = tf.matMul(a, a).sum().dataSync()[0];
    t.backend.ready().then(async (i) => {
      const recovered = t.backend.recoverFromInterrupt();
      const mid = t.backend.info();
      const s1 = tf.tidy(() => tf.matMul(a, a).sum().dataSync()[0]);
      const again = await t.backend.ready();
      const s2 = tf.tidy(() => tf.matMul(a, a).sum().dataSync()[0]);
      console.log(JSON.stringify({ first: i.threads, recovered, mid: { threads: mid.threads, note: mid.threadsNote }, again: again.threads, s0, s1, s2 }));
    });`) as { first: number; recovered: boolean; mid: { threads: number; note?: string }; again: number; s0: number; s1: number; s2: number };
  assert.is(r.first, 2);
  assert.is(r.recovered, true);
  assert.is(r.mid.threads, 1);
  assert.match(r.mid.note ?? "", /Ctrl-C stopped a computation on the threaded build/);
  assert.is(r.again, 2);
  assert.ok(Math.abs(r.s1 - r.s0) <= 1e-4 * Math.abs(r.s0) && Math.abs(r.s2 - r.s0) <= 1e-4 * Math.abs(r.s0), `${r.s0} ${r.s1} ${r.s2}`);
  // On one thread there is no pool to recover from.
  assert.is(trax.backend.recoverFromInterrupt(), false);
});

test.run();
