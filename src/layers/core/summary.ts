/**
 * Layers that report on the data passing through them, as in
 * `trax.layers.core`: `PrintShape` prints shapes, `SummaryScalar` and
 * `SummaryImage` keep values in their state for training loops and display
 * views ({@link collectSummaries} gathers them from a model).
 * @module
 */
import { tf } from "../../backend/tf";
import { ShapeDtype } from "../../shapes";
import { Layer, PureLayer } from "../base";
import { callable } from "../callable";
import { pyShape } from "./checks";
import { withArgs, optionKeys } from "../arg-check";
import { inAbstractEvaluation } from "../abstract-eval";
import { IMAGE_GROUPS, Summaries } from "./summary-values";

export type { Summaries } from "./summary-values";

/** Options of {@link PrintShape}. */
export interface PrintShapeOptions {
  /** Number of inputs to print and pass on (default 1). */
  nIn?: number;
  /** Message printed before the shapes (default `""`). */
  msg?: string;
}

/**
 * A layer that prints the shapes and dtypes of its `nIn` inputs to stdout and
 * returns them unchanged, exactly as Trax prints them:
 * `PrintShape: <msg>: [(2, 3)[float32], (2,)[int32]]`.
 *
 * Inputs: `nIn` tensors of any shape; outputs: the same tensors. It prints
 * once per real call: not while a first call initializes the model, nor when
 * shapes are only inferred (`outputSignature`, showing a model).
 *
 * @example
 * ```ts
 * const model = tl.Serial(tl.Dense(4), tl.PrintShape({ msg: "after dense" }), tl.Relu());
 * model(tf.ones([2, 3])); // prints "PrintShape: after dense: [(2, 4)[float32]]"
 * ```
 */
export const PrintShape = withArgs("PrintShape", {
  positional: [],
  options: optionKeys<PrintShapeOptions>({
    nIn: true, msg: true,
  }),
}, function PrintShape(options: PrintShapeOptions = {}): PureLayer {
  const nIn = options.nIn ?? 1;
  const msg = options.msg ?? "";
  if (!Number.isInteger(nIn) || nIn < 0) throw new Error(`PrintShape needs a non-negative integer nIn; got ${nIn}`);
  const format = (x: tf.Tensor) => `${pyShape(x.shape)}[${x.dtype}]`;
  const fwd = (xs: tf.Tensor | tf.Tensor[]) => {
    if (!inAbstractEvaluation()) {
      const shapesAndDtypes = nIn === 1 ? format(xs as tf.Tensor) : (xs as tf.Tensor[]).map(format).join(", ");
      console.log(`PrintShape: ${msg}: [${shapesAndDtypes}]`);
    }
    return xs;
  };
  return PureLayer(fwd, { nIn, nOut: nIn, name: `PrintShape_${nIn}` });
});

/** Options of {@link SummaryScalar}. */
export interface SummaryScalarOptions {
  /** Turns the input into the reported value (default: the mean of all values). */
  aggregationFun?: (x: tf.Tensor) => tf.Tensor;
}

class SummaryScalarLayer extends Layer {
  /** @internal */ _aggregationFun: (x: tf.Tensor) => tf.Tensor;

  constructor(name: string, options: SummaryScalarOptions = {}) {
    if (typeof name !== "string" || name === "") throw new Error(`SummaryScalar needs a non-empty name; got ${JSON.stringify(name)}`);
    super({ name: `summary_${name}`, nIn: 1, nOut: 1 });
    this._aggregationFun = options.aggregationFun ?? ((x: tf.Tensor) => tf.mean(x.toFloat()));
  }

  /** The key this layer reports under (`summary_<name>`, as Trax's state key). */
  get summaryName(): string {
    return this.name;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const value = this._aggregationFun(x);
    if (!(value instanceof tf.Tensor)) throw new TypeError(`${this.name}: aggregationFun must return a tensor; got ${typeof value}`);
    this.state = value.toFloat();
    return x;
  }

  initWeightsAndState(inputSignature: unknown): void {
    void inputSignature;
    this.state = tf.scalar(0, "float32");
  }
}

/**
 * A layer that passes its input through unchanged and keeps a scalar
 * summary of it (by default the mean) in its state, for training loops and
 * metric views (Trax sends it to TensorBoard).
 *
 * Input `(...)`; output the same tensor. The layer's name is
 * `summary_<name>`. State layout: one float32 tensor, the last aggregated
 * value (a scalar for the default mean; 0 before the first call). Trax keeps
 * `{summary_<name>: value}`; {@link collectSummaries} returns that mapping.
 *
 * @example
 * ```ts
 * const s = tl.SummaryScalar("test");
 * s(tf.tensor([[3, 5], [2, 6]]));
 * (s.state as tf.Tensor).arraySync(); // 4
 * ```
 */
export const SummaryScalar = callable(SummaryScalarLayer, "SummaryScalar", {
  positional: ["name"],
  options: optionKeys<SummaryScalarOptions>({
    aggregationFun: true,
  }),
});
export type SummaryScalar = SummaryScalarLayer;

/** Options of {@link SummaryImage}. */
export interface SummaryImageOptions {
  /** How many images (batch examples) to keep (default 5). */
  numSummaries?: number;
  /** Turns one example of one input into a displayable image (default: the example as is). */
  recoverFn?: ((x: tf.Tensor) => tf.Tensor) | null;
}

class SummaryImageLayer extends Layer {
  /** @internal */ _numSummaries: number;
  /** @internal */ _recoverFn: ((x: tf.Tensor) => tf.Tensor) | null;

  constructor(name: string, nIn: number, options: SummaryImageOptions = {}) {
    if (typeof name !== "string" || name === "") throw new Error(`SummaryImage needs a non-empty name; got ${JSON.stringify(name)}`);
    if (!Number.isInteger(nIn) || nIn < 1) throw new Error(`SummaryImage needs a positive integer nIn; got ${nIn}`);
    super({ name: `summary_${name}`, nIn, nOut: nIn });
    this._numSummaries = options.numSummaries ?? 5;
    if (!Number.isInteger(this._numSummaries) || this._numSummaries < 0) {
      throw new Error(`SummaryImage numSummaries must be a non-negative integer; got ${this._numSummaries}`);
    }
    this._recoverFn = options.recoverFn ?? null;
  }

  /** The key prefix this layer reports under (`summary_<name>`; images are `summary_<name>0`, `1`, ...). */
  get summaryName(): string {
    return this.name;
  }

  /** The image of example `s`: each input's example (recovered) stacked along axis 0. */
  private image(xs: readonly tf.Tensor[], s: number): tf.Tensor {
    const parts = xs.map((x) => {
      const ex = x.slice([s], [1]).squeeze([0]);
      return this._recoverFn ? this._recoverFn(ex) : ex;
    });
    const rest = parts[0].shape.slice(1);
    parts.forEach((p, i) => {
      if (p.rank < 1 || p.rank !== parts[0].rank || p.shape.slice(1).some((d, k) => d !== rest[k])) {
        throw new Error(`${this.name}: images of all inputs must agree on all axes but the first; input 0 gives [${parts[0].shape}], input ${i} gives [${p.shape}]`);
      }
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  }

  private inputsOf(x: tf.Tensor | readonly tf.Tensor[]): readonly tf.Tensor[] {
    return this.nIn === 1 ? [x as tf.Tensor] : (x as readonly tf.Tensor[]);
  }

  forward(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const xs = this.inputsOf(x);
    const batch = checkBatch(this.name, xs.map((t) => t.shape));
    const n = Math.min(this._numSummaries, batch);
    this.state = Array.from({ length: n }, (_, s) => this.image(xs, s).toFloat());
    return x as tf.Tensor | tf.Tensor[];
  }

  initWeightsAndState(inputSignature: ShapeDtype | readonly ShapeDtype[]): void {
    const sigs = this.nIn === 1 ? [inputSignature as ShapeDtype] : (inputSignature as readonly ShapeDtype[]);
    const batch = checkBatch(this.name, sigs.map((s) => s.shape));
    const n = Math.min(this._numSummaries, batch);
    // Zeros shaped like the images a call will keep, so the state's structure never changes.
    this.state = tf.tidy(() => {
      const zeros = sigs.map((s) => tf.zeros([1, ...s.shape.slice(1)], s.dtype));
      const img = this.image(zeros, 0).toFloat();
      return Array.from({ length: n }, () => tf.zerosLike(img));
    });
  }
}

function checkBatch(layer: string, shapes: readonly (readonly number[])[]): number {
  shapes.forEach((s, i) => {
    if (s.length < 1) throw new Error(`${layer} needs inputs with a batch axis; input ${i} is a scalar`);
  });
  const batch = shapes[0][0];
  shapes.forEach((s, i) => {
    if (s[0] !== batch) throw new Error(`${layer}: all inputs need the same batch size; input 0 has ${batch}, input ${i} has ${s[0]}`);
  });
  return batch;
}

/**
 * A layer that passes its `nIn` inputs through unchanged and keeps images of
 * the first `numSummaries` examples of the batch in its state, for image
 * views (Trax sends them to TensorBoard).
 *
 * Inputs: `nIn` tensors `(batch, ...)`; outputs: the same tensors. The
 * image of example `s` is `recoverFn(input_i[s])` of every input, stacked
 * along axis 0. State layout: an array of `min(numSummaries, batch)`
 * float32 images (zeros before the first call). Trax keeps them as
 * `{summary_<name>0: img0, ...}`; {@link collectSummaries} returns that mapping.
 *
 * @example
 * ```ts
 * const s = tl.SummaryImage("digits", 1, { numSummaries: 2 });
 * s(tf.ones([8, 28, 28]));
 * (s.state as tf.Tensor[]).length; // 2 images of (28, 28)
 * ```
 */
export const SummaryImage = callable(SummaryImageLayer, "SummaryImage", {
  positional: ["name", "nIn"],
  options: optionKeys<SummaryImageOptions>({
    numSummaries: true, recoverFn: true,
  }),
});
export type SummaryImage = SummaryImageLayer;

/**
 * The summaries a model's `SummaryScalar` and `SummaryImage` layers hold, by
 * Trax's state keys: `summary_<name>` for a scalar, `summary_<name><s>` for
 * image `s`. The result reads like an object of tensors and shows as a view
 * (the scalars as a table, the images as pictures). The tensors are the
 * layers' own state: read them, don't dispose them.
 *
 * @example
 * ```ts
 * const model = tl.Serial(tl.Dense(2), tl.SummaryScalar("act"));
 * model(tf.ones([3, 4]));
 * tl.collectSummaries(model); // shows "summary_act  0.123"; .summary_act is the scalar tensor
 * ```
 */
export function collectSummaries(layer: Layer): Summaries {
  const out = new Summaries();
  const seen = new Set<Layer>();
  const visit = (l: Layer) => {
    if (seen.has(l)) return;
    seen.add(l);
    if (l instanceof SummaryScalarLayer) {
      if (l.state instanceof tf.Tensor) out[l.summaryName] = l.state;
    } else if (l instanceof SummaryImageLayer) {
      const st = l.state as unknown;
      if (Array.isArray(st)) {
        const images = st.filter((img): img is tf.Tensor => img instanceof tf.Tensor);
        images.forEach((img, s) => (out[l.summaryName + String(s)] = img));
        if (images.length > 0) out[IMAGE_GROUPS].push([l.summaryName, images]);
      }
    }
    l.sublayers.forEach(visit);
  };
  visit(layer);
  return out;
}
