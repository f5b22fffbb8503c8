/**
 * CausalAttention forward + backward (gradients of a scalar loss with respect
 * to all weights and the input) at (batch 8, length 512, d 256), 4 heads,
 * against the same math written in raw tfjs, in two ways: as a tfjs user
 * would write it (`matMul(q, k, false, true)`), and with explicit transposes
 * (what the library does on wasm). Prints ratios measured in one run, from
 * process CPU time (the wasm backend runs on one thread, so CPU time is
 * robust to other load on the machine); wall times are printed too.
 * Set `SHAPE=b,l,d` to try other sizes.
 */
import { performance } from "node:perf_hooks";
import * as trax from "../dist"; // the shipped build, as users run it
import { stockTfjs } from "./stock-tfjs";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;

const [B, L, D] = (process.env.SHAPE ?? "8,512,256").split(",").map(Number);
const HEADS = 4;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs each function once to warm up, then `rounds` times in alternation; medians of [cpu, wall] ms. */
function measure(fns: (() => void)[], rounds: number): [number, number][] {
  fns.forEach((f) => f());
  const times = fns.map(() => [[] as number[], [] as number[]]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, i) => {
      const c0 = cpuMs();
      const w0 = performance.now();
      f();
      times[i][0].push(cpuMs() - c0);
      times[i][1].push(performance.now() - w0);
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return times.map(([c, w]) => [median(c), median(w)]);
}

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const rng = trax.fastmath.random.getPrng(0);
  const layer = tl.CausalAttention(D, { nHeads: HEADS, mode: "train" });
  layer.init(new trax.shapes.ShapeDtype([B, L, D]), { rng });
  const x = trax.fastmath.random.normal(rng, [B, L, D]);
  const weights = trax.fastmath.treeFlatten(layer.weights as never) as Tensor[];
  if (weights.length !== 8) throw new Error(`expected 8 weight tensors (4 Dense layers); got ${weights.length}`);
  const tree = layer.weights;

  // ours: the layer's pure function, differentiated by tfjs
  const oursLoss = (...ws: Tensor[]) => {
    const [xIn, ...rest] = ws;
    const [w] = trax.fastmath.treeUnflatten(rest as never, tree as never);
    return tf.sum(layer.pureFn(xIn, w as never, layer.state, rng)[0] as Tensor) as trax.tf.Scalar;
  };

  // raw tfjs: the same math (4 Dense layers, heads, causal softmax attention)
  const bias = tf.tensor3d(
    Float32Array.from({ length: L * L }, (_, i) => (i % L > Math.floor(i / L) ? -1e9 : 0)),
    [1, L, L]
  );
  const split = (t: Tensor) => t.reshape([B, L, HEADS, D / HEADS]).transpose([0, 2, 1, 3]).reshape([B * HEADS, L, D / HEADS]);
  const rawLoss = (explicitTranspose: boolean) => (...ws: Tensor[]) => {
    const [xIn, wq, bq, wk, bk, wv, bv, wo, bo] = ws;
    const x2 = xIn.reshape([B * L, D]);
    const proj = (w: Tensor, b: Tensor) => split(tf.add(tf.matMul(x2, w), b).reshape([B, L, D]));
    const q = proj(wq, bq);
    const k = proj(wk, bk);
    const v = proj(wv, bv);
    const dots = explicitTranspose ? tf.matMul(q, k.transpose([0, 2, 1])) : tf.matMul(q, k, false, true);
    const probs = tf.softmax(tf.add(dots.mul(1 / Math.sqrt(D / HEADS)), bias), -1);
    const merged = tf.matMul(probs, v).reshape([B, HEADS, L, D / HEADS]).transpose([0, 2, 1, 3]).reshape([B * L, D]);
    return tf.sum(tf.add(tf.matMul(merged, wo), bo)) as trax.tf.Scalar;
  };

  const step = (loss: (...ws: Tensor[]) => trax.tf.Scalar) => () => {
    const { value, grads } = tf.valueAndGrads(loss)([x, ...weights]);
    grads[0].dataSync(); // wait for the work
    tf.dispose([value, ...grads]);
  };

  // same numbers first: per gradient, the largest difference relative to a scale that
  // ignores gradients that are zero in exact math (the key bias: softmax is invariant
  // to adding the same logit to every key, so both sides hold rounding noise there)
  const check = tf.tidy(() => {
    const a = tf.valueAndGrads(oursLoss)([x, ...weights]);
    const b = stockTfjs(() => tf.valueAndGrads(rawLoss(true))([x, ...weights])); // tfjs-wasm's own kernels
    const scales = b.grads.map((g) => tf.max(tf.abs(g)).dataSync()[0]);
    const floor = 1e-3 * Math.max(...scales);
    return Math.max(...a.grads.map((g, i) => tf.max(tf.abs(g.sub(b.grads[i]))).dataSync()[0] / Math.max(scales[i], floor)));
  });

  const [[cOurs, wOurs], [cRawT, wRawT], [cRaw, wRaw]] = measure([step(oursLoss), () => stockTfjs(step(rawLoss(true))), () => stockTfjs(step(rawLoss(false)))], ROUNDS);
  const fmt = (c: number, w: number) => `${(c / 1000).toFixed(2)} s (wall ${(w / 1000).toFixed(2)} s)`;
  console.log(
    `CausalAttention forward+backward (${B}, ${L}, ${D}), ${HEADS} heads (${info.backend}), CPU time, median of ${ROUNDS}: ` +
      `ours ${fmt(cOurs, wOurs)}; raw tfjs with explicit transposes ${fmt(cRawT, wRawT)}, ratio ${(cOurs / cRawT).toFixed(2)}; ` +
      `raw tfjs with matMul(q, k, false, true) ${fmt(cRaw, wRaw)}, ratio ${(cOurs / cRaw).toFixed(2)} ` +
      `(ours / raw; largest relative gradient difference ${check.toExponential(1)})`
  );
  forwardGrowth();
}

/**
 * CausalAttention forward (eval mode) at batch 2, d 256, 4 heads, for lengths
 * 256, 512, 1024: CPU seconds and the growth per doubling (quadratic is 4x;
 * target at 1024: at most 0.3 s).
 */
function forwardGrowth(): void {
  const times: [number, number][] = [];
  for (const len of [256, 512, 1024]) {
    const layer = tl.CausalAttention(256, { nHeads: HEADS, mode: "eval" });
    layer.init(new trax.shapes.ShapeDtype([2, len, 256]));
    const x = tf.randomNormal([2, len, 256]);
    const [[c]] = measure([() => tf.tidy(() => void (layer(x) as Tensor).dataSync())], ROUNDS);
    times.push([len, c]);
    x.dispose();
  }
  console.log(
    `CausalAttention forward (2, L, 256), 4 heads (${trax.backend.info().backend}), CPU time: ` +
      times.map(([len, c], i) => `L=${len} ${(c / 1000).toFixed(2)} s${i ? ` (x${(c / times[i - 1][1]).toFixed(1)})` : ""}`).join(", ") +
      " (target: L=1024 at most 0.3 s, growth at most x4 per doubling)"
  );
}

main();
