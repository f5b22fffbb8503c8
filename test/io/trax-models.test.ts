import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as path from "path";
import { assertClose, ready, tf, tl } from "../helpers";
import { readNpy } from "../../src/io/npy";
import { readTraxFile } from "../../src/io/trax-file";
import type { Layer } from "../../src/layers/base";

const test = suite("io/trax-models");
test.before(ready);

// Files in Trax's save_to_file format (JAX arrays, numpy 1.x spelling, protocol 5), written by
// test/fixtures/trax-models/generate.py with outputs computed in numpy after Trax's source.
const DIR = path.join(__dirname, "..", "fixtures", "trax-models");

const MODELS: [string, () => Layer][] = [
  ["lstm", () => tl.Serial(tl.Embedding(7, 4), tl.LSTM(4, { mode: "eval" }), tl.Dense(3))],
  ["causal_attention", () =>
    tl.Serial(
      tl.Embedding(11, 8),
      tl.Residual(tl.LayerNorm(), tl.CausalAttention(8, { nHeads: 2, mode: "eval" })),
      tl.Residual(tl.LayerNorm(), tl.Dense(16), tl.Relu(), tl.Dense(8)),
      tl.LayerNorm(),
      tl.Dense(11)
    )],
  ["batch_norm", () => tl.Serial(tl.Conv(3, [2, 2]), tl.BatchNorm({ mode: "eval" }), tl.Relu(), tl.Flatten(), tl.Dense(2))],
];

for (const [name, make] of MODELS) {
  test(`${name}: initFromFile on a file in Trax's format reproduces numpy's output of Trax's layers (1e-5)`, () => {
    const model = make();
    const file = path.join(DIR, `${name}.pkl.gz`);
    model.initFromFile(file);
    const x = readNpy(path.join(DIR, `${name}.input.npy`));
    const want = readNpy(path.join(DIR, `${name}.output.npy`));
    const y = model(x) as tf.Tensor;
    assertClose(Array.from(y.dataSync()), Array.from(want.dataSync()), 1e-5, 1e-5, name);
    assert.equal(y.shape, want.shape);
    tf.dispose([x, want, y]);
  });
}

test("batch_norm: the running statistics and the int32 batch counter land in BatchNorm's state", () => {
  const model = MODELS[2][1]();
  model.initFromFile(path.join(DIR, "batch_norm.pkl.gz"));
  const f = readTraxFile(path.join(DIR, "batch_norm.pkl.gz"));
  const bn = model.sublayers[1];
  const [mean, variance, n] = bn.state as tf.Tensor[];
  assert.equal(mean.shape, [1, 1, 1, 3]);
  assert.equal(Array.from(mean.dataSync()), Array.from(f.flatState![0].data as Float32Array));
  assert.equal(Array.from(variance.dataSync()), Array.from(f.flatState![1].data as Float32Array));
  assert.is(n.dtype, "int32");
  assert.is(n.dataSync()[0], 17);
});

test.run();
