// Trax's assert_shape_test.py cases, with tfjs tensors.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { assertLayerError, ready, tf, tl } from "../helpers";

const test = suite("assert-shape");
test.before(ready);

const ones = (...shape: number[]) => tf.ones(shape);
const zeros = (...shape: number[]) => tf.zeros(shape);

function passes(spec: string, xs: tf.Tensor | tf.Tensor[]): void {
  const y = tl.AssertShape(spec)(xs);
  if (Array.isArray(xs)) {
    assert.is((y as tf.Tensor[]).length, xs.length);
    xs.forEach((x, i) => assert.is((y as tf.Tensor[])[i], x, spec)); // returned unchanged
  } else {
    assert.is(y, xs, spec);
  }
}

function fails(spec: string, xs: tf.Tensor | tf.Tensor[]): void {
  assertLayerError(() => tl.AssertShape(spec)(xs), /AssertShape Error\. Expected/);
}

// ------------------------------------------------------- AssertFunction

test("AssertFunction: Trax's passing cases", () => {
  tl.AssertFunction("abc->abc", tl.Dropout({ rate: 0.1 }))(ones(2, 5, 20));
  tl.AssertFunction("...ab->...c", tl.Flatten({ nAxesToKeep: 3 }))(ones(1, 2, 3, 4, 5));
  tl.AssertFunction("xyzab->xyzc", tl.Flatten({ nAxesToKeep: 3 }))(ones(1, 2, 3, 4, 5));
  tl.AssertFunction("abcde->x", tl.Flatten({ nAxesToKeep: 0 }))(ones(1, 2, 3, 4, 5));
  tl.AssertFunction("...cd->...x,...cd", tl.Branch(tl.Flatten({ nAxesToKeep: 2 }), tl.Dropout({ rate: 0.1 })))(ones(1, 2, 3, 4));
  const [a, b] = tl.AssertFunction("...34->1234,...34", tl.Branch(tl.Dropout({ rate: 0.1 }), tl.Serial()))(ones(1, 2, 3, 4)) as tf.Tensor[];
  assert.equal([a.shape, b.shape], [[1, 2, 3, 4], [1, 2, 3, 4]]);
});

test("AssertFunction: Trax's failing cases are LayerErrors at the offending check", () => {
  assertLayerError(() => tl.AssertFunction("abc->cba", tl.Dropout({ rate: 0.1 }))(ones(2, 5, 20)), /Expected \['cba'\], got \[\(2, 5, 20\)\]/, /function output/);
  assertLayerError(() => tl.AssertFunction("abcde->abcde", tl.Flatten({ nAxesToKeep: 3 }))(ones(1, 2, 3, 4, 5)), /AssertShape Error/);
  assertLayerError(() => tl.AssertFunction("abcde->abcd", tl.Flatten({ nAxesToKeep: 3 }))(ones(1, 2, 3, 4, 5)), /AssertShape Error/);
  assertLayerError(
    () => tl.AssertFunction("...cd->...x,...cd,...cd,...cd", tl.Branch(tl.Flatten({ nAxesToKeep: 2 }), tl.Dropout({ rate: 0.1 }), tl.Serial()))(ones(1, 2, 3, 4)),
    /.*/
  );
  assertLayerError(() => tl.AssertFunction("...34->...x,...y", tl.Branch(tl.Flatten({ nAxesToKeep: 3 }), tl.Serial()))(ones(1, 2, 3, 4)), /AssertShape Error/);
  // The input side is checked before the layer runs.
  assertLayerError(() => tl.AssertFunction("ab->ab", tl.Relu())(ones(2, 3, 4)), /got \[\(2, 3, 4\)\]/, /function input/);
});

test("AssertFunction prints as the wrapped layer; the message names where it was made", () => {
  const wrapped = tl.AssertFunction("...a->...b", tl.Dense(8));
  assert.is(String(wrapped), "Serial[\n  Dense_8\n]");
  assert.equal(wrapped(ones(2, 3, 4)).shape, [2, 3, 8]);
  assertLayerError(() => wrapped(tf.scalar(1)), /Defined at .*assert-shape\.test\.ts:\d+:\d+ function input/);
  assertLayerError(() => tl.AssertFunction("a->b", tl.Relu(), { message: "in my block" })(ones(2, 2)), /in my block function input/);
});

// ---------------------------------------------------------- AssertShape

test("AssertShape: Trax's passing cases return the inputs unchanged", () => {
  passes("aba,ba", [ones(10, 5, 10), zeros(5, 10)]);
  passes("aba,ba", [ones(5, 5, 5), zeros(5, 5)]);
  passes("a", ones(5));
  passes("", tf.scalar(1));
  passes("aa", ones(3, 3));
  passes("a,", [ones(5), tf.scalar(0)]);
  passes("a,b,a", [ones(5), zeros(2), zeros(5)]);
  passes("a,b,a,ab", [ones(5), zeros(2), zeros(5), zeros(5, 2)]);
  passes("23,1,93", [ones(2, 3), zeros(1), zeros(9, 3)]);
  passes("a...bc,abc", [ones(1, 5, 5, 2, 3), zeros(1, 2, 3)]);
  passes("...bc,abc", [ones(5, 5, 2, 3), zeros(1, 2, 3)]);
  passes("...bc,abc", [ones(2, 3), zeros(1, 2, 3)]);
  passes("...bc,...bc", [ones(1, 2, 3), zeros(1, 2, 3)]);
  passes("bb...,...bb", [ones(2, 2, 5, 6), zeros(5, 6, 2, 2)]);
  passes("...22,...3", [ones(1, 2, 3, 2, 2), zeros(1, 2, 3, 3)]);
});

test("AssertShape: Trax's failing cases are LayerErrors", () => {
  fails("24,1,93", [ones(2, 3), zeros(1), zeros(9, 3)]);
  fails("ab...cde,2", [ones(2, 3, 4, 5), zeros(2)]);
  fails("b...c,2", [ones(2), zeros(2)]);
  fails("b......c,2", [ones(2, 3, 4, 5), zeros(2)]);
  fails("b..c,2", [ones(2, 3, 4, 5), zeros(2)]);
  fails("...a,...b", [ones(1, 2, 3, 7), zeros(1, 2, 8)]);
  fails("...c...,2", [ones(2, 3, 4, 5), zeros(2)]);
  fails("...abc,2", [ones(4, 5), zeros(2)]);
  fails("...2,...8", [ones(1, 2, 3, 9), zeros(1, 3, 3, 8)]);
  fails("aba,ab", [ones(10, 5, 10), ones(5, 8)]);
  fails("aba,ab", [ones(10, 5, 10), ones(5, 10, 4)]);
  fails("aa", ones(10, 5));
});

test("AssertShape: the error says what was expected, what came and what was learned; sizes reset per call", () => {
  const check = tl.AssertShape("ab,b");
  assertLayerError(() => check([ones(2, 3), ones(4)]), /Expected \['ab', 'b'\], got \[\(2, 3\), \(4\)\] with dict \{'a': 2, 'b': 3\}/);
  check([ones(7, 4), ones(4)]); // a new call learns new sizes
  assert.is(check.nIn, 2);
  assert.is(check.nOut, 2);
  assert.is(String(tl.Serial(tl.Relu(), tl.AssertShape("ab"))), "Serial[\n  Relu\n]");
  assert.is(String(tl.Serial(tl.Relu(), tl.AssertShape("ab", { visibleLayer: true }))), "Serial[\n  Relu\n  AssertShape\n]");
  assert.throws(() => tl.AssertShape("a-b"), /only letters, digits, '\.\.\.' and ','/);
  assert.throws(() => tl.AssertShape("ab", { visible_layer: true } as never), /did you mean 'visibleLayer'/);
});

test("AssertShape inside a model: the LayerError names the path to it", () => {
  const model = tl.Serial(tl.Dense(4), tl.AssertShape("...3", { visibleLayer: true }));
  assertLayerError(() => model(ones(2, 5)), /AssertShape/, /Expected \['\.\.\.3'\], got \[\(2, 4\)\]/);
});

test.run();
