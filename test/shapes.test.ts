import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, trax } from "./helpers";

const { ShapeDtype, signature } = trax.shapes;
const test = suite("shapes");
test.before(ready);

test("ShapeDtype prints like Trax and defaults to float32", () => {
  assert.is(String(new ShapeDtype([2, 3])), "ShapeDtype{shape:(2, 3), dtype:float32}");
  assert.is(String(new ShapeDtype([5], "int32")), "ShapeDtype{shape:(5,), dtype:int32}");
  assert.is(new ShapeDtype([2, 3]).size, 6);
});

test("signature of a tensor, JS data, and nested tuples", () => {
  assert.ok((signature(tf.zeros([2, 4], "int32")) as InstanceType<typeof ShapeDtype>).equals(new ShapeDtype([2, 4], "int32")));
  assert.is(String(signature([[1, 2, 3], [4, 5, 6]])), "ShapeDtype{shape:(2, 3), dtype:float32}");
  assert.is(String(signature(3)), "ShapeDtype{shape:(), dtype:float32}");
  const nested = signature([tf.zeros([1]), [tf.ones([2, 2]), tf.zeros([3], "bool")]]);
  assert.equal(JSON.parse(JSON.stringify(nested)), [
    { shape: [1], dtype: "float32" },
    [{ shape: [2, 2], dtype: "float32" }, { shape: [3], dtype: "bool" }],
  ]);
});

test("bad shapes and dtypes are refused clearly", () => {
  assert.throws(() => new ShapeDtype([2, -1]), /non-negative integers/);
  assert.throws(() => new ShapeDtype([2], "float64" as never), /unknown dtype/);
  assert.throws(() => signature({} as never), /cannot take the signature/);
});

test.run();
