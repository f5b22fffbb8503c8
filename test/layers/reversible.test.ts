import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, assertLayerError, leakedBy, ready, tf, tl, trax } from "../helpers";

const test = suite("reversible");
test.before(ready);

const t = (values: number[][] | number[]) => tf.tensor(values);

/** Captures what `f` prints with console.log. */
function captureLog(f: () => void): string {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    f();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

// ----------------------------------------------------------- simple layers

test("ReversibleSwap (Trax test_reversible_swap)", () => {
  const layer = tl.ReversibleSwap();
  const ys = layer([tf.tensor([1, 2]), tf.tensor([10, 20])]);
  assert.equal(tl.toList(ys), [[10, 20], [1, 2]]);
  assert.is(layer.name, "ReversibleSwap");
  assert.equal(tl.toList(layer.reverse(ys)), [[1, 2], [10, 20]]);
});

test("ReversibleSelect: a permutation and its inverse; every input must be selected", () => {
  const layer = tl.ReversibleSelect([2, 0, 1]);
  assert.is(layer.name, "ReversibleSelect[2,0,1]");
  assert.is(layer.nIn, 3);
  assert.is(layer.nOut, 3);
  const xs = [tf.tensor([0]), tf.tensor([1]), tf.tensor([2])];
  const ys = layer(xs);
  assert.equal(tl.toList(ys), [[2], [0], [1]]);
  assert.equal(tl.toList(layer.reverse(ys)), [[0], [1], [2]]);
  assert.throws(() => tl.ReversibleSelect([0, 0], { nIn: 2 }), /Did not find 1 in indices/);
  assert.throws(() => tl.ReversibleSelect([1, 0], { nIn: 3 }), /Did not find 2 in indices/);
});

test("ReversibleConcatenatePair: (x, y) -> ([x, y], [x, y]), reversed by splitting", () => {
  const layer = tl.ReversibleConcatenatePair();
  const [a, b] = layer([t([[1, 2]]), t([[3, 4]])]) as tf.Tensor[];
  assert.equal(a.arraySync(), [[1, 2, 3, 4]]);
  assert.equal(b.arraySync(), [[1, 2, 3, 4]]);
  assert.equal(tl.toList(layer.reverse([a, b])), [[[1, 2]], [[3, 4]]]);
  assertLayerError(() => layer([t([[1, 2]]), t([[3]])]), /same last axis/, /\[1,2\]/);
});

test("ReversibleReshape: leading axes shape1 <-> shape2, rest kept", () => {
  const layer = tl.ReversibleReshape([2, 3], [6]);
  assert.is(layer.name, "ReversibleReshape_[2, 3]_[6]");
  const x = tf.range(0, 24).reshape([2, 3, 4]);
  const y = layer(x);
  assert.equal(y.shape, [6, 4]);
  const back = layer.reverse(y) as tf.Tensor;
  assert.equal(back.shape, [2, 3, 4]);
  assert.equal(back.arraySync(), x.arraySync());
  const two = tl.ReversibleReshape([2, 3], [3, 2], { nIn: 2 });
  assert.equal(tl.toList((two([x, x]) as tf.Tensor[]).map((z) => tf.tensor(z.shape))), [[3, 2, 4], [3, 2, 4]]);
  assertLayerError(() => layer(tf.zeros([3, 3, 4])), /expected leading axes \[2,3\]/);
});

test("ReversiblePrintShape prints what Trax prints and is the identity both ways", () => {
  const layer = tl.ReversiblePrintShape({ nIn: 2, msg: "block" });
  let ys: unknown;
  const printed = captureLog(() => {
    ys = layer([tf.zeros([2, 3]), tf.zeros([5], "int32")]);
  });
  assert.is(printed, "PrintShape: block: [(2, 3)[float32], (5,)[int32]]");
  assert.equal(tl.toList(layer.reverse(ys as tf.Tensor[])), tl.toList(ys as tf.Tensor[]));
});

// ---------------------------------------------------------- half residuals

test("ReversibleHalfResidual: [acc, ctx] -> [acc + f(ctx), ctx]; reverse subtracts f(ctx) again", () => {
  const dense = tl.Dense(3);
  const half = tl.ReversibleHalfResidual(dense);
  assert.is(half.nIn, 2);
  assert.is(half.nOut, 2);
  const acc = t([[1, 2, 3], [4, 5, 6]]);
  const ctx = t([[0.5, -1, 2], [3, 0, -2]]);
  const [y, c] = half([acc, ctx]) as tf.Tensor[];
  assertClose(y, acc.add(dense(ctx)));
  assertClose(c, ctx);
  const [accBack, ctxBack] = half.reverse([y, c]) as tf.Tensor[];
  assertClose(accBack, acc, 1e-5);
  assertClose(ctxBack, ctx);
});

test("ReversibleHalfResidual: nIn from the residual layers' stack use; attention layer option", () => {
  // f takes two context items (Add), so the layer takes three.
  const half = tl.ReversibleHalfResidual(tl.Add());
  assert.is(half.nIn, 3);
  const [y] = half([t([1]), t([10]), t([100])]) as tf.Tensor[];
  assert.equal(y.arraySync(), [111]);
  const withAttention = tl.ReversibleHalfResidual(tl.Dense(2), { attentionLayer: tl.Dense(2) });
  assert.is(withAttention.sublayers.length, 2);
  const acc = t([[1, 1]]);
  const ctx = t([[2, -1]]);
  const [z] = withAttention([acc, ctx]) as tf.Tensor[];
  const [f, g] = withAttention.sublayers;
  assertClose(z, acc.add(g(f(ctx))));
  assertClose((withAttention.reverse(withAttention([acc, ctx])) as tf.Tensor[])[0], acc, 1e-5);
});

test("ReversibleHalfResidual: a residual of the wrong shape is a LayerError", () => {
  assertLayerError(() => tl.ReversibleHalfResidual(tl.Dense(4))([tf.zeros([1, 3]), tf.zeros([1, 3])]), /residual would have shape \[1,4\]/);
});

// --------------------------------------------------------- ReversibleSerial

/** y1 = x1 + f(x2); y2 = x2 + g(y1): the RevNet block, with outputs [y1, y2]. */
function revBlock() {
  const f = tl.Dense(4);
  const g = tl.Dense(4);
  const block = tl.ReversibleSerial(
    tl.ReversibleHalfResidual(f), tl.ReversibleSwap(), tl.ReversibleHalfResidual(g), tl.ReversibleSwap()
  );
  return { f, g, block };
}

const X1 = [[0.1, -0.2, 0.3, 0.4], [1, 0.5, -0.5, 0]];
const X2 = [[0.7, 0.1, -0.3, 0.2], [-1, 0.25, 0.5, 2]];

test("ReversibleSerial: forward is Serial's; reverse reconstructs the inputs", () => {
  const { f, g, block } = revBlock();
  const [y1, y2] = block([t(X1), t(X2)]) as tf.Tensor[];
  const e1 = t(X1).add(f(t(X2)));
  assertClose(y1, e1);
  assertClose(y2, t(X2).add(g(e1)));
  const [x1, x2] = block.reverse([y1, y2]) as tf.Tensor[];
  assertClose(x1, X1, 1e-5);
  assertClose(x2, X2, 1e-5);
});

test("ReversibleSerial: gradients by reconstruction equal the plain math's (weights and inputs)", () => {
  const { block } = revBlock();
  block([t(X1), t(X2)]);
  let reversed = 0;
  const original = block.reverseAndGrad.bind(block);
  block.reverseAndGrad = (...args: Parameters<typeof original>) => {
    reversed++;
    return original(...args);
  };
  const c1 = t([[1, 2, 3, 4], [-1, 0, 1, 0.5]]);
  const c2 = t([[0.5, 0.5, -2, 1], [3, 1, 0, -1]]);
  const loss = (ys: tf.Tensor[]) => ys[0].mul(c1).sum().add(ys[1].mul(c2).sum());
  const weights = block.weights;
  const [gx, gw] = trax.fastmath.grad(([xs, ws]: [tf.Tensor[], tl.WeightsTree]) =>
    loss(block.pureFn(xs, ws, block.state, null)[0] as unknown as tf.Tensor[])
  )([[t(X1), t(X2)], weights] as [tf.Tensor[], tl.WeightsTree]) as unknown as [tf.Tensor[], tf.Tensor[][][][]];
  assert.ok(reversed > 0, "the backward pass went through reverseAndGrad");

  const [[[[wf, bf]]], , [[[wg, bg]]]] = weights as unknown as tf.Tensor[][][][];
  const plain = (x1: tf.Tensor, x2: tf.Tensor, wf_: tf.Tensor, bf_: tf.Tensor, wg_: tf.Tensor, bg_: tf.Tensor) => {
    const y1 = x1.add(x2.matMul(wf_).add(bf_));
    const y2 = x2.add(y1.matMul(wg_).add(bg_));
    return loss([y1, y2]);
  };
  const expected = tf.grads(plain)([t(X1), t(X2), wf, bf, wg, bg]);
  assertClose(gx[0], expected[0], 1e-4);
  assertClose(gx[1], expected[1], 1e-4);
  const [[[[gwf, gbf]]], , [[[gwg, gbg]]]] = gw;
  assertClose(gwf, expected[2], 1e-4);
  assertClose(gbf, expected[3], 1e-4);
  assertClose(gwg, expected[4], 1e-4);
  assertClose(gbg, expected[5], 1e-4);
});

test("ReversibleSerial: a custom ReversibleLayer subclass takes part in reverse and gradients", () => {
  class Double extends tl.ReversibleLayer {
    forward(x: tf.Tensor) {
      return x.mul(2);
    }
    reverse(y: tf.Tensor | tf.Tensor[]) {
      return (y as tf.Tensor).div(2);
    }
  }
  const model = tl.ReversibleSerial(new Double(), new Double());
  const x = t([1, -2, 3]);
  assert.equal((model(x) as tf.Tensor).arraySync(), [4, -8, 12]);
  assert.equal((model.reverse(model(x)) as tf.Tensor).arraySync(), [1, -2, 3]);
  const g = trax.fastmath.grad((xi: tf.Tensor) => (model(xi) as tf.Tensor).square().sum())(x);
  assertClose(g, [32, -64, 96]); // d/dx (4x)^2 = 32x
});

test("instanceof and isReversible: ReversibleSerial is a ReversibleLayer, Serial is not", () => {
  const { block } = revBlock();
  assert.ok(block instanceof tl.ReversibleLayer);
  assert.ok(block instanceof tl.Serial);
  assert.ok(tl.ReversibleSwap() instanceof tl.ReversibleLayer);
  assert.ok(tl.ReversibleHalfResidual(tl.Dense(2)) instanceof tl.ReversibleHalfResidual);
  assert.not.ok(tl.ReversibleSwap() instanceof tl.ReversibleHalfResidual);
  assert.not.ok(tl.Serial(tl.Dense(2)) instanceof tl.ReversibleLayer);
  assert.not.ok(tl.Dense(2) instanceof tl.ReversibleLayer);
  assert.ok(tl.isReversible(block));
  assert.not.ok(tl.isReversible(tl.Dense(2)));
  assert.throws(() => tl.ReversibleSerial(tl.ReversibleSwap(), tl.Dense(2)), /Sub-layer 1 of ReversibleSerial is not reversible: Dense_2/);
});

/** Runs `f` and returns the highest `tf.memory().numBytes` reached during it, above where it started. */
function peakBytesAbove(f: () => void): number {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  let value = state.numBytes;
  const start = value;
  let peak = value;
  Object.defineProperty(state, "numBytes", {
    configurable: true,
    get: () => value,
    set: (n: number) => {
      value = n;
      if (n > peak) peak = n;
    },
  });
  try {
    f();
  } finally {
    Object.defineProperty(state, "numBytes", { configurable: true, writable: true, value });
  }
  return peak - start;
}

test("ReversibleSerial: a gradient's peak memory does not grow with depth (16 blocks within 1.3x of 4)", () => {
  // Activations (2048 x 64 float32, 0.5 MB each) dominate the weights (Dense(64): 16 KB).
  const block = () => [tl.ReversibleHalfResidual(tl.Dense(64)), tl.ReversibleSwap(), tl.ReversibleHalfResidual(tl.Dense(64)), tl.ReversibleSwap()];
  const x = [tf.randomNormal([2048, 64], 0, 1, "float32", 1), tf.randomNormal([2048, 64], 0, 1, "float32", 2)];
  const peakOf = (nBlocks: number) => {
    const model = tl.ReversibleSerial(...Array.from({ length: nBlocks }, block).flat());
    model.init(x.map((t) => new trax.shapes.ShapeDtype(t.shape)));
    const gradient = () =>
      tf.dispose(trax.fastmath.grad((w: tl.WeightsTree) => {
        const [a, b] = model.pureFn(x, w, model.state, model.rng)[0] as tf.Tensor[];
        return a.sum().add(b.sum());
      })(model.weights) as unknown as tf.Tensor[]);
    gradient();
    return peakBytesAbove(gradient);
  };
  const four = peakOf(4);
  const sixteen = peakOf(16);
  // Before intermediates were freed as the passes walked the stack: 36 MB and 100 MB.
  assert.ok(sixteen < 1.3 * four, `16 blocks peak ${sixteen} B, 4 blocks ${four} B`);
  tf.dispose(x);
});

/**
 * Runs `f` and returns the most memory its new tensor buffers held at once, in
 * bytes: each buffer counted once however many tensors share it (clones and
 * reshapes share; `tf.memory().numBytes` counts them once per tensor).
 */
function peakBufferBytes(f: () => void): number {
  const engine = tf.engine() as unknown as {
    trackTensor: (a: tf.Tensor, backend: unknown) => void;
    disposeTensor: (a: tf.Tensor) => void;
    state: { tensorInfo: WeakMap<object, unknown> };
  };
  const buffers = new Map<object, { tensors: number; bytes: number }>();
  let live = 0;
  let peak = 0;
  const { trackTensor, disposeTensor } = engine;
  engine.trackTensor = function (a, backend) {
    const known = buffers.get(a.dataId);
    if (known) known.tensors++;
    else if (!engine.state.tensorInfo.has(a.dataId)) {
      // A buffer made now (one that existed before `f` is not counted).
      buffers.set(a.dataId, { tensors: 1, bytes: a.size * 4 });
      live += a.size * 4;
      peak = Math.max(peak, live);
    }
    return trackTensor.call(this, a, backend);
  };
  engine.disposeTensor = function (a) {
    const known = a.isDisposed ? undefined : buffers.get(a.dataId);
    if (known && --known.tensors === 0) {
      live -= known.bytes;
      buffers.delete(a.dataId);
    }
    return disposeTensor.call(this, a);
  };
  try {
    f();
  } finally {
    engine.trackTensor = trackTensor;
    engine.disposeTensor = disposeTensor;
  }
  return peak;
}

test("ReversibleSerial on a weight-heavy model (batch 512, d 256): a gradient's working memory does not grow with depth", () => {
  // The gradient it returns has the weights' size, 0.5 MB a block, and grows with depth as
  // the weights do (as jax.grad's does in Trax); everything else must not.
  const block = () => [tl.ReversibleHalfResidual(tl.Dense(256)), tl.ReversibleSwap(), tl.ReversibleHalfResidual(tl.Dense(256)), tl.ReversibleSwap()];
  const x = [tf.randomNormal([512, 256], 0, 1, "float32", 1), tf.randomNormal([512, 256], 0, 1, "float32", 2)];
  const measure = (model: tl.Layer) => {
    model.init(x.map((v) => new trax.shapes.ShapeDtype(v.shape)));
    let gradientBytes = 0;
    const gradient = () => {
      const g = trax.fastmath.grad((w: tl.WeightsTree) => {
        const [a, b] = model.pureFn(x, w, model.state, model.rng)[0] as tf.Tensor[];
        return a.sum().add(b.sum());
      })(model.weights);
      gradientBytes = trax.fastmath.treeFlatten(g as never).reduce((s: number, v) => s + (v as tf.Tensor).size * 4, 0);
      tf.dispose(g as never);
    };
    gradient();
    const peak = peakBufferBytes(gradient);
    return { peak, working: peak - gradientBytes };
  };
  const reversible = (n: number) => measure(tl.ReversibleSerial(...Array.from({ length: n }, block).flat()));
  const four = reversible(4);
  const sixteen = reversible(16);
  const plain = measure(tl.Serial(...Array.from({ length: 16 }, block).flat()));
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const report = `16 blocks: peak ${mb(sixteen.peak)}, working ${mb(sixteen.working)}; 4 blocks: ${mb(four.peak)}, ${mb(four.working)}; plain Serial of 16: ${mb(plain.peak)}`;
  assert.ok(sixteen.working < 1.3 * four.working, report);
  // Before: 138 MB (and a plain Serial 323 MB) when tensors were counted per tensor, not per buffer.
  assert.ok(plain.peak > 2 * sixteen.peak, report);
  tf.dispose(x);
});

test("no tensors leak from forward, reverse and gradient passes", () => {
  const { block } = revBlock();
  const x1 = t(X1);
  const x2 = t(X2);
  block([x1, x2]);
  const leaked = leakedBy(() => {
    for (let i = 0; i < 5; i++) {
      const ys = block([x1, x2]) as tf.Tensor[];
      const xs = block.reverse(ys) as tf.Tensor[];
      tf.dispose([ys, xs]);
      const g = trax.fastmath.grad((ws: tl.WeightsTree) =>
        (block.pureFn([x1, x2], ws, block.state, null)[0] as unknown as tf.Tensor[])[0].sum()
      )(block.weights);
      tf.dispose(g as never);
    }
  });
  assert.is(leaked, 0);
});

test.run();
