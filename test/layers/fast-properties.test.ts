/**
 * Layers keep V8's fast property mode: a layer is a function object, and an
 * object whose properties fall into dictionary mode (as deleting a
 * function's own `name` did) makes every property read of every layer call
 * a hash lookup. Asked of V8 itself (`%HasFastProperties`), not timed.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as v8 from "v8";
import { ready, tf, tl } from "../helpers";
import { cloneLayer } from "../../src/layers/clone";

const test = suite("fast properties");
test.before(ready);

v8.setFlagsFromString("--allow-natives-syntax");
// eslint-disable-next-line no-new-func
const hasFastProperties = new Function("x", "return %HasFastProperties(x)") as (x: unknown) => boolean;
// eslint-disable-next-line no-new-func
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: unknown, b: unknown) => boolean;

test("layers of every kind have fast properties, before and after a call, renamed and cloned", () => {
  const layers = [
    tl.Relu(), tl.Fn("AddOne", (x: tf.Tensor) => tf.add(x, 1)), tl.Dense(3), tl.Serial(tl.Dense(2), tl.Relu()),
    tl.CausalAttention(8), tl.ReversibleSerial(), tl.LSTM(4), tl.Embedding(5, 3), tl.LayerNorm(), tl.Dropout({ rate: 0.1 }),
  ];
  layers.push(cloneLayer(layers[3]));
  for (const layer of layers) assert.ok(hasFastProperties(layer), `${layer.name} is in dictionary mode`);
  const mlp = layers[3];
  tf.tidy(() => mlp(tf.ones([2, 3])));
  assert.ok(hasFastProperties(mlp) && mlp.sublayers.every(hasFastProperties), "a called Serial is in dictionary mode");
});

test("a layer's name and length read as before: the layer's name, 0", () => {
  const dense = tl.Dense(3);
  assert.is(dense.name, "Dense_3");
  assert.is(dense.length, 0);
  assert.is(tl.CausalAttention(8).name, "CausalAttention");
  assert.is(tl.ReversibleSerial().name, "ReversibleSerial");
  assert.is(cloneLayer(dense).name, "Dense_3");
  assert.is(tl.Serial(dense, { name: "Mine" }).name, "Mine");
});

test("two layers of one class share V8's hidden class (calls stay monomorphic)", () => {
  assert.ok(haveSameMap(tl.Relu(), tl.Relu()));
  assert.ok(haveSameMap(tl.Dense(3), tl.Dense(4)));
});

test.run();
