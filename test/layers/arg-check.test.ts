import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl } from "../helpers";
import { argSpecOf, closestKey } from "../../src/layers/arg-check";

const test = suite("arg-check");
test.before(ready);

/** Every PascalCase export of tl that constructs something (layers, initializers). */
const constructors = Object.keys(tl)
  .filter((k) => /^[A-Z]/.test(k) && typeof (tl as Record<string, unknown>)[k] === "function" && k !== "LayerError")
  .sort();

function throwsWith(f: () => unknown, ...patterns: RegExp[]): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TypeError, `expected a TypeError, got ${String(err)}`);
  for (const p of patterns) assert.match(String((err as Error).message), p);
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

test("every constructor of tl declares its arguments", () => {
  assert.ok(constructors.length > 120, `found ${constructors.length} constructors`);
  const missing = constructors.filter((k) => argSpecOf((tl as Record<string, unknown>)[k]) === undefined);
  assert.equal(missing, []);
});

test("every constructor refuses an unknown option key, naming itself and the key", () => {
  for (const name of constructors) {
    const ctor = (tl as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const { spec } = argSpecOf(ctor)!;
    const required = spec.rest ? [] : (spec.positional ?? []).filter((p) => !p.endsWith("?")).map(() => 0);
    throwsWith(() => ctor(...required, { notAnOption: 1 }), new RegExp(`^${name}\\(\\) got an unexpected option 'notAnOption'`));
  }
});

test("every constructor with options suggests the camelCase key for a snake_case one", () => {
  let checked = 0;
  for (const name of constructors) {
    const ctor = (tl as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const { spec } = argSpecOf(ctor)!;
    const required = spec.rest ? [] : (spec.positional ?? []).filter((p) => !p.endsWith("?")).map(() => 0);
    for (const key of spec.options.filter((k) => /[A-Z]/.test(k))) {
      throwsWith(() => ctor(...required, { [snakeCase(key)]: 1 }), new RegExp(`'${snakeCase(key)}'; did you mean '${key}'\\?`));
      checked++;
    }
  }
  assert.ok(checked > 100, `checked ${checked} keys`);
});

test("every constructor refuses a surplus positional argument", () => {
  for (const name of constructors) {
    const ctor = (tl as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const { spec } = argSpecOf(ctor)!;
    if (spec.rest) continue;
    const all = (spec.positional ?? []).map(() => 0);
    throwsWith(() => ctor(...all, 4), new RegExp(`^${name}\\(.*\\) takes (no|${all.length}) positional argument`));
  }
});

test("the issue's cases: CausalAttention n_heads, Dense usebias, PrintShape message, Dense(3, 4)", () => {
  throwsWith(() => tl.CausalAttention(8, { n_heads: 2 } as never), /CausalAttention\(\) got an unexpected option 'n_heads'; did you mean 'nHeads'\?/);
  throwsWith(() => tl.Dense(3, { usebias: false } as never), /Dense\(\) got an unexpected option 'usebias'; did you mean 'useBias'\?/, /valid options: kernelInitializer, biasInitializer, useBias, useBfloat16/);
  throwsWith(() => tl.PrintShape({ message: "x" } as never), /PrintShape\(\) got an unexpected option 'message'; did you mean 'msg'\?/);
  throwsWith(() => (tl.Dense as unknown as (...a: unknown[]) => unknown)(3, 4), /Dense\(nUnits, \{ options \}\) takes 1 positional argument \(nUnits\); got 4 as argument 2/);
  throwsWith(() => (tl.Dense as unknown as (...a: unknown[]) => unknown)(3, {}, 4), /too many arguments/);
  throwsWith(() => new tl.Dense(3, { usebias: false } as never), /did you mean 'useBias'/);
  throwsWith(() => (tl.Relu as unknown as (...a: unknown[]) => unknown)({ a: 1 }), /Relu\(\) got an unexpected option 'a' \(it takes no options\)/);
  throwsWith(() => tl.Serial(tl.Relu(), { nme: "x" } as never), /Serial\(\) got an unexpected option 'nme'; did you mean 'name'\?/);
});

test("valid calls still work: options, optional positionals, undefined values, new", () => {
  assert.equal(tl.Dense(3, { useBias: false }).name, "Dense_3");
  assert.equal(new tl.Dense(3, { useBias: false }).name, "Dense_3");
  assert.equal(tl.Dense(3, undefined).name, "Dense_3");
  assert.equal(tl.Concatenate({ nItems: 3, axis: 0 }).nIn, 3);
  assert.equal(tl.Serial(tl.Dense(2), tl.Relu(), { name: "Head" }).name, "Head");
  assert.type(tl.GlorotNormalInitializer(-1, -2, 2.0), "function");
  // A key set to undefined sets nothing, as `{ ...opts, key: undefined }` leaves it out.
  assert.equal(tl.Dense(3, { useBias: undefined, usebias: undefined } as never).name, "Dense_3");
  const y = tl.Fn("Two", (a: tf.Tensor, b: tf.Tensor) => [a, b], { nOut: 2 });
  assert.equal([y.nIn, y.nOut], [2, 2]);
});

// ------------------------------------------- options Trax has (issue: audit)

test("Cond takes the false layer as { false }, as Trax's keyword (test_condition_func_*)", () => {
  const smallerThan3 = () => tl.Fn("SmallerThan", (x: tf.Tensor) => x.less(3));
  const divideBy = (d: number) => tl.Fn(`DivideBy${d}`, (x: tf.Tensor) => x.div(d));
  const xsTrue = [tf.scalar(2), tf.tensor([4, 12])];
  const xsFalse = [tf.scalar(4), tf.tensor([4, 12])];
  const layer = tl.Cond(smallerThan3(), divideBy(2), { false: divideBy(4) });
  assert.equal(layer(xsTrue).arraySync(), [2, 6]);
  assert.equal(layer(xsFalse).arraySync(), [1, 3]);
  // As a third argument too; default identity.
  assert.equal(tl.Cond(smallerThan3(), divideBy(2), divideBy(4))(xsFalse).arraySync(), [1, 3]);
  assert.equal(tl.Cond(smallerThan3(), divideBy(2))(xsFalse).arraySync(), [4, 12]);
  assert.equal(tl.Cond(smallerThan3(), divideBy(2), { name: "C" }).name, "C");
  throwsWith(() => tl.Cond(smallerThan3(), divideBy(2), divideBy(4), { false: divideBy(8) }), /false layer twice/);
});

test("Accuracy and SequenceAccuracy take { classifier } (Trax test_accuracy_binary_classifier)", () => {
  const layer = tl.Accuracy({ classifier: tl.ThresholdToBinary() });
  const targets = tf.tensor([[0, 0, 1, 1], [1, 1, 1, 0]], [2, 4], "int32");
  const outputs = tf.tensor([[0.499, 0.5, 0.501, 0.502], [0.503, 0.502, 0.501, 0.5]]);
  assert.is(layer([outputs, targets, tf.onesLike(targets)]).arraySync(), 1.0);
  // SequenceAccuracy with a binary classifier: the first sequence right, the second wrong at one position.
  const seq = tl.SequenceAccuracy({ classifier: tl.ThresholdToBinary() });
  const seqOutputs = tf.tensor([[0.2, 0.7], [0.9, 0.4]]).reshape([2, 2]);
  assert.is(seq([seqOutputs, tf.tensor([[0, 1], [1, 1]], [2, 2], "int32"), tf.ones([2, 2])]).arraySync(), 0.5);
  assert.is(tl.Accuracy(tl.ThresholdToBinary())([outputs, targets, tf.onesLike(targets)]).arraySync(), 1.0);
  throwsWith(() => tl.Accuracy({ clasifier: tl.ThresholdToBinary() } as never), /did you mean 'classifier'/);
});

test("ThresholdedLinearUnit takes the base layer's options, as Trax's class", () => {
  assert.is(tl.ThresholdedLinearUnit({ name: "TLU" }).name, "TLU");
  assert.is(tl.ThresholdedLinearUnit().name, "ThresholdedLinearUnit");
});

test("closestKey: camelCase of snake_case, case folding, edit distance, abbreviations, nothing near", () => {
  assert.is(closestKey("n_heads", ["nHeads", "dropout"]), "nHeads");
  assert.is(closestKey("USEBIAS", ["useBias"]), "useBias");
  assert.is(closestKey("dropuot", ["dropout", "mode"]), "dropout");
  assert.is(closestKey("message", ["nIn", "msg"]), "msg");
  assert.is(closestKey("zzz", ["nIn", "msg"]), null);
});

test("tl.Layer() without new, as Trax's tests call it; extends and instanceof keep working", () => {
  const layer = tl.Layer({ name: "CustomLayer" });
  assert.is(layer.name, "CustomLayer");
  assert.ok(layer instanceof tl.Layer);
  assert.is(tl.Layer().name, "Layer");
  assert.equal([tl.Layer({ nIn: 2, nOut: 3 }).nIn, tl.Layer({ nIn: 2, nOut: 3 }).nOut], [2, 3]);
  class Double extends tl.Layer {
    forward(x: tf.Tensor) {
      return x.mul(2);
    }
  }
  const d = new Double();
  assert.ok(d instanceof tl.Layer && d instanceof Double);
  assert.is(d.name, "Double");
  const y = d(tf.tensor([1, 2]));
  assert.equal(y.arraySync(), [2, 4]);
  y.dispose();
  assert.ok(tl.Dense(2) instanceof tl.Layer);
  throwsWith(() => tl.Layer({ n_in: 2 } as never), /Layer\(\) got an unexpected option 'n_in'; did you mean 'nIn'\?/);
});

test.run();
