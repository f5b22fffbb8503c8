/**
 * Conv layer forward + backward: `tl.Conv(32, [3, 3])` on a (16, 32, 32, 16)
 * input, gradients with respect to the input, the kernel and the bias,
 * against the same math in raw tfjs (`tf.conv2d` + bias under `tf.grads`).
 * Prints ratios measured in one run (ours / raw; below 1 means faster).
 *
 * tfjs's autograd cannot differentiate `conv2d` with respect to the kernel
 * on the wasm backend (no `Conv2DBackpropFilter` kernel). There the bench
 * says so, compares against raw tfjs computing only what it can (input and
 * bias gradients), and repeats the full comparison on the cpu backend, where
 * raw tfjs computes all three.
 */
import * as trax from "../dist"; // the shipped build, as users run it
import { timeMedian } from "./timing";

const { tf } = trax;
const tl = trax.layers;
type Tensor = trax.tf.Tensor;

const KERNEL = [3, 3];

interface Case {
  xShape: number[];
  filters: number;
}
/** The bench's case; the cpu backend (about 1 GFLOP/s, and 30x slower for tfjs's kernel gradient) gets a smaller one. */
const MAIN: Case = { xShape: [16, 32, 32, 16], filters: 32 };
const SMALL: Case = { xShape: [4, 16, 16, 8], filters: 16 };

interface Times {
  ours: number;
  raw: number | null;
  rawPartial: number;
  rawError: string | null;
}

/** Median ms of one forward + backward for each candidate (raw: null where raw tfjs cannot run). */
function measure({ xShape: X_SHAPE, filters: FILTERS }: Case, rounds: number): Times {
  const layer = tl.Conv(FILTERS, KERNEL);
  layer.init(new trax.shapes.ShapeDtype(X_SHAPE));
  const [w, b] = layer.weights as Tensor[];
  const x = tf.randomNormal(X_SHAPE);
  const outShape = [X_SHAPE[0], X_SHAPE[1] - 2, X_SHAPE[2] - 2, FILTERS];
  const g = tf.randomNormal(outShape);
  const rng = trax.fastmath.random.getPrng(0);

  const oursLoss = (xi: Tensor, wi: Tensor, bi: Tensor) =>
    (layer.pureFn(xi, [wi, bi], [], rng)[0] as Tensor).mul(g).sum() as trax.tf.Scalar;
  const rawLoss = (xi: Tensor, wi: Tensor, bi: Tensor) =>
    tf.conv2d(xi as trax.tf.Tensor4D, wi as trax.tf.Tensor4D, 1, "valid").add(bi).mul(g).sum() as trax.tf.Scalar;
  const rawLossXB = (xi: Tensor, bi: Tensor) => rawLoss(xi, w, bi);

  const sync = (ts: Tensor[]) => {
    ts.forEach((t) => t.dataSync()); // wait for the values (GPU backends run asynchronously)
    tf.dispose(ts);
  };
  const ours = () => sync(tf.grads(oursLoss)([x, w, b]));
  const raw = () => sync(tf.grads(rawLoss)([x, w, b]));
  const rawPartial = () => sync(tf.grads(rawLossXB)([x, b]));

  // Same numbers first: a ratio of different math would mean nothing.
  const check = tf.tidy(() => {
    const a = tf.grads(oursLoss)([x, w, b]);
    const c = tf.grads(rawLossXB)([x, b]);
    return tf.maximum(a[0].sub(c[0]).abs().max(), a[2].sub(c[1]).abs().max()).dataSync()[0];
  });
  if (!(check < 1e-2)) throw new Error(`ours and raw tfjs disagree (max |difference| ${check})`);

  let rawError: string | null = null;
  try {
    raw();
  } catch (e) {
    rawError = (e as Error).message;
  }
  const fns = rawError === null ? [ours, rawPartial, raw] : [ours, rawPartial];
  const times = timeMedian(fns, rounds);
  tf.dispose([x, g]);
  return { ours: times[0], rawPartial: times[1], raw: rawError === null ? times[2] : null, rawError };
}

function report(backend: string, c: Case, m: Times): void {
  const shape = `(${c.xShape.join(", ")}) * ${KERNEL.join("x")} -> ${c.filters}`;
  if (m.raw !== null) {
    console.log(
      `conv2d fwd+bwd ${shape} (${backend}): ratio ${(m.ours / m.raw).toFixed(2)} ` +
        `(ours ${m.ours.toFixed(1)} ms, raw tfjs tf.grads ${m.raw.toFixed(1)} ms; dx, dw, db)`
    );
  } else {
    console.log(`conv2d fwd+bwd ${shape} (${backend}): raw tfjs cannot compute dw here (${m.rawError})`);
  }
  console.log(
    `conv2d fwd+bwd ${shape} (${backend}): ratio ${(m.ours / m.rawPartial).toFixed(2)} against raw tfjs computing only dx, db ` +
      `(ours ${m.ours.toFixed(1)} ms with dw, raw ${m.rawPartial.toFixed(1)} ms)`
  );
}

async function main(): Promise<void> {
  const info = await trax.backend.ready();
  const main = info.backend === "cpu" ? SMALL : MAIN;
  const m = measure(main, 5);
  report(info.backend, main, m);
  if (m.raw === null && info.backend !== "cpu") {
    await trax.backend.setBackend("cpu");
    report("cpu", SMALL, measure(SMALL, 3));
  }
}

main();
