/**
 * `x + table[start : start + length]` as one wasm kernel
 * (src/backend/wasm-add-rows.ts), as PositionalEncoding adds its
 * encodings: bit for bit tfjs's `add` of the gathered rows, over batch
 * sizes, lengths and starts; PositionalEncoding runs it alone in a predict
 * step and gives the tfjs path's outputs in every mode; where it does not
 * apply (a recorded gradient, other dtypes, rows out of the table) the tfjs
 * ops run, and the table's gradient is unchanged.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelsRunBy, ready, tf, tl, trax, withSwitch } from "../helpers";
import { addRows, wasmAddRows } from "../../src/backend/wasm-add-rows";

test.before(ready);

const onWasm = () => tf.getBackend() === "wasm";
const values = (t: tf.Tensor) => Array.from(t.dataSync());

test("bit for bit tfjs's add of the rows, over batch sizes, lengths and starts", () => {
  if (!onWasm()) return;
  const table = tf.randomNormal([12, 8], 0, 1, "float32", 1);
  let seed = 2;
  for (const [batch, length, start] of [[1, 1, 0], [1, 1, 11], [3, 5, 2], [2, 12, 0], [4, 3, 9], [0, 2, 1]]) {
    const x = tf.randomNormal([batch, length, 8], 0, 100, "float32", seed++);
    let got: tf.Tensor | null = null;
    const names = kernelsRunBy(() => (got = addRows(x, table, start)));
    assert.equal(names, ["TraxAddRows"], `one kernel (batch ${batch}, length ${length}, start ${start})`);
    const want = tf.tidy(() => x.add(table.slice([start, 0], [length, 8]).reshape([1, length, 8])));
    assert.equal(got!.shape, x.shape);
    assert.equal(values(got!), values(want), `batch ${batch}, length ${length}, start ${start}`);
    tf.dispose([x, got!, want]);
  }
  table.dispose();
});

test("what it does not take: a recorded gradient, int32, rows past the table, a depth that differs, the switch off", () => {
  if (!onWasm()) return;
  const table = tf.ones([4, 8]);
  const x = tf.ones([1, 2, 8]);
  const grad = tf.grad((t: tf.Tensor) => {
    assert.is(addRows(x, t, 0), null, "under a gradient tape");
    return tf.sum(t);
  })(table);
  const ints = tf.ones([1, 2, 8], "int32");
  assert.is(addRows(ints, table, 0), null, "int32");
  assert.is(addRows(x, table, 3), null, "rows 3..4 of 4");
  assert.is(addRows(x, table, -1), null, "a negative start");
  assert.is(addRows(tf.ones([1, 2, 6]), table, 0), null, "depth 6 against 8");
  withSwitch(wasmAddRows, false, () => assert.is(addRows(x, table, 0), null, "switched off"));
  tf.dispose([table, x, grad, ints]);
});

test("PositionalEncoding: one kernel a predict step, and the tfjs path's outputs in predict, eval and train mode", () => {
  if (!onWasm()) return;
  const x = tf.randomNormal([2, 6, 8], 0, 1, "float32", 9);
  const run = (mode: "predict" | "eval" | "train") => {
    const pe = tl.PositionalEncoding({ maxLen: 10, mode });
    pe.init(new trax.shapes.ShapeDtype(mode === "predict" ? [2, 1, 8] : [2, 6, 8]));
    if (mode !== "predict") return { out: [values(pe(x) as tf.Tensor)], names: [] as string[] };
    const out: number[][] = [];
    const names = kernelsRunBy(() => {
      for (let i = 0; i < 6; i++) out.push(values(tf.tidy(() => pe(x.slice([0, i, 0], [2, 1, 8])) as tf.Tensor)));
    });
    return { out, names };
  };
  for (const mode of ["predict", "eval", "train"] as const) {
    const fused = run(mode);
    const ops = withSwitch(wasmAddRows, false, () => run(mode));
    assert.equal(fused.out, ops.out, mode);
  }
  const { names } = run("predict");
  assert.equal(names.filter((n) => n !== "Slice"), Array(6).fill("TraxAddRows"), names.join(" "));
  x.dispose();
});

test("the encodings' gradient (train mode, recorded) is the tfjs path's", () => {
  const pe = tl.PositionalEncoding({ maxLen: 10, mode: "train" });
  const x = tf.randomNormal([2, 6, 8], 0, 1, "float32", 11);
  pe.init(trax.shapes.signature(x));
  const g = trax.fastmath.grad((w: tf.Tensor) => {
    pe.weights = w;
    return tf.sum(tf.mul(pe(x) as tf.Tensor, x));
  })(pe.weights as tf.Tensor) as tf.Tensor;
  // d/dtable of sum((x + table[0:6]) * x): x summed over the batch in rows 0..5, zeros below
  const want = tf.tidy(() => tf.concat([tf.sum(x, 0), tf.zeros([4, 8])], 0));
  assert.equal(values(g), values(want));
  tf.dispose([x, g, want]);
});

test.run();
