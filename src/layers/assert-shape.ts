/**
 * Shape assertions with named dimensions, as Trax's
 * `trax.layers.assert_shape`: `AssertShape("bld,bld")` passes its inputs on
 * unchanged and raises (a `LayerError` naming the layer) when their shapes do
 * not fit the specification; `AssertFunction("...d->...d", layer)` checks the
 * inputs and outputs of a layer against one another.
 * @module
 */
import { tf } from "../backend/tf";
import { Layer } from "./base";
import { callable } from "./callable";
import { optionKeys, withArgs } from "./arg-check";
import { Serial } from "./combinators";

/** Sizes learned so far: letters and `.` (the ellipsis), digits fixed. */
type SizeTable = Map<string, number | readonly number[]>;

/** Options of {@link AssertShape}. */
export interface AssertShapeOptions {
  /** Text added to a failure (default: `Defined at <file:line>` of the creation). */
  message?: string | null;
  /** Show this layer when the model is printed (default false: it prints as nothing). */
  visibleLayer?: boolean;
}

function freshTable(): SizeTable {
  return new Map(Array.from({ length: 10 }, (_, i) => [String(i), i] as [string, number]));
}

class AssertShapeLayer extends Layer {
  /** @internal */ _specs: string[];
  /** @internal */ _message: string;
  /** @internal */ _sizes: SizeTable;
  /** @internal */ _linked: boolean;

  constructor(spec: string, options: AssertShapeOptions = {}) {
    if (typeof spec !== "string") throw new TypeError(`AssertShape needs a specification string such as "bld,bld"; got ${typeof spec}`);
    const compact = spec.replace(/\.\.\./g, ".");
    const bad = [...compact].find((c) => !/[A-Za-z0-9.,]/.test(c));
    if (bad !== undefined) throw new Error(`AssertShape: the specification ${JSON.stringify(spec)} may hold only letters, digits, '...' and ','; got '${bad}'`);
    const specs = compact.split(",");
    super({ nIn: specs.length, nOut: specs.length, name: options.visibleLayer ? "AssertShape" : "" });
    this._specs = specs;
    this._message = options.message ?? "";
    this._sizes = freshTable();
    this._linked = false;
  }

  /** @internal Shares the size table of `other` (AssertFunction's output check reads its input's). */
  _linkTo(other: AssertShapeLayer): void {
    this._linked = true;
    this._sizes = other._sizes;
  }

  forward(xs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    if (!this._linked) for (const k of [...this._sizes.keys()]) if (!/^\d$/.test(k)) this._sizes.delete(k);
    const list = Array.isArray(xs) ? xs : [xs];
    const shapes = list.map((x) => x.shape);
    const fail = (): never => {
      const learned = [...this._sizes].filter(([k]) => !/^\d$/.test(k)).map(([k, v]) => `'${k}': ${Array.isArray(v) ? `(${v.join(", ")})` : v}`);
      const where = this._message || (this.createdAt ? `Defined at ${this.createdAt}` : "");
      throw new Error(
        `AssertShape Error. Expected [${this._specs.map((s) => `'${s.replace(/\./g, "...")}'`).join(", ")}], ` +
          `got [${shapes.map((s) => `(${s.join(", ")})`).join(", ")}] with dict {${learned.join(", ")}}.${where ? ` ${where}` : ""}`
      );
    };
    const check = (cond: boolean) => {
      if (!cond) fail();
    };
    const checkDims = (dims: readonly number[], letters: string) => {
      check(dims.length === letters.length);
      [...letters].forEach((letter, i) => {
        const known = this._sizes.get(letter);
        if (known === undefined) this._sizes.set(letter, dims[i]);
        else check(known === dims[i]);
      });
    };
    const checkEllipsis = (dims: readonly number[]) => {
      const known = this._sizes.get(".") as readonly number[] | undefined;
      if (known === undefined) this._sizes.set(".", dims);
      else check(known.length === dims.length && known.every((d, i) => d === dims[i]));
    };
    check(list.length === this._specs.length);
    list.forEach((x, i) => {
      const spec = this._specs[i];
      if (!spec.includes(".")) return checkDims(x.shape, spec);
      const parts = spec.split(".");
      check(parts.length === 2); // one ellipsis per tensor ('b..c', '...c...' fail)
      const [before, after] = parts;
      check(x.rank >= spec.length - 1);
      checkDims(x.shape.slice(0, before.length), before);
      checkDims(x.shape.slice(x.rank - after.length), after);
      checkEllipsis(x.shape.slice(before.length, x.rank - after.length));
    });
    return xs;
  }
}

/**
 * A layer that asserts the shapes of its inputs and returns them unchanged.
 * The specification names each dimension of each input, inputs separated by
 * commas: equal letters must be equal sizes (across all inputs), a digit is
 * that exact size, and one `...` per input stands for any number of
 * dimensions (the same ones wherever `...` appears). A mismatch is a
 * `LayerError` saying what was expected, what came, and where the layer was
 * made. Invisible when a model is printed, unless `visibleLayer`.
 *
 * Inputs and outputs: one tensor per comma-separated part, unchanged.
 *
 * @example
 * ```ts
 * const check = tl.AssertShape("aba,ba");
 * check([tf.ones([10, 5, 10]), tf.zeros([5, 10])]); // passes them on
 * tl.AssertShape("...bc,abc")([tf.ones([5, 5, 2, 3]), tf.zeros([1, 2, 3])]); // passes
 * tl.AssertShape("aa")(tf.ones([10, 5])); // LayerError: AssertShape Error. Expected ['aa'], got [(10, 5)] ...
 * ```
 */
export const AssertShape = callable(AssertShapeLayer, "AssertShape", {
  positional: ["spec"],
  options: optionKeys<AssertShapeOptions>({ message: true, visibleLayer: true }),
});
export type AssertShape = AssertShapeLayer;

/** Options of {@link AssertFunction}. */
export interface AssertFunctionOptions {
  /** Text added to a failure (default: `Defined at <file:line>` of the call). */
  message?: string | null;
}

/**
 * Wraps `layer` in shape assertions on its inputs and outputs:
 * `"inputs->outputs"`, each side as in {@link AssertShape}, sharing one set
 * of named sizes (so `"...a->...b"` says the leading dimensions are kept).
 * Returns `Serial(AssertShape(inputs), layer, AssertShape(outputs))`, which
 * prints as the layer alone.
 *
 * Inputs and outputs: those of `layer`.
 *
 * @example
 * ```ts
 * const dense = tl.AssertFunction("...a->...b", tl.Dense(8));
 * dense(tf.ones([2, 3, 4])).shape; // [2, 3, 8]
 * tl.AssertFunction("abc->cba", tl.Relu())(tf.ones([2, 5, 20])); // LayerError: ... function output
 * ```
 */
export const AssertFunction = withArgs(
  "AssertFunction",
  { positional: ["specification", "layer"], options: optionKeys<AssertFunctionOptions>({ message: true }) },
  function AssertFunction(specification: string, layer: Layer, options: AssertFunctionOptions = {}): Serial {
    if (typeof specification !== "string" || specification.split("->").length !== 2) {
      throw new Error(`AssertFunction needs a specification "inputs->outputs" such as "...a->...b"; got ${JSON.stringify(specification)}`);
    }
    if (!(layer instanceof Layer)) throw new TypeError("AssertFunction needs a layer to wrap");
    const [beforeSpec, afterSpec] = specification.split("->");
    const before = new AssertShapeLayer(beforeSpec);
    const after = new AssertShapeLayer(afterSpec);
    const site = before.createdAt;
    const message = options.message ?? (site ? `Defined at ${site}` : "");
    before._message = `${message} function input`.trim();
    after._message = `${message} function output`.trim();
    after._linkTo(before);
    return Serial(before, layer, after);
  }
);
