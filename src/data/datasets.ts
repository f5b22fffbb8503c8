/**
 * The classification datasets that ship with trax-ts (nothing is downloaded):
 * handwritten digits and iris, both from Debian's `python3-sklearn`
 * (see `datasets/README.md` for sources and licences).
 * @module
 */
import { readFileSync } from "node:fs";
import { gunzipBytes } from "../io/gzip";
import type { Example, NDArray } from "./examples";
import { trainEvalSplit, type SplitOptions } from "./streams";
import { datasetPath } from "./paths";

/**
 * A labelled dataset held in memory: features `x` of shape `[size, ...featureShape]`
 * (float32) and integer class labels `y` of shape `[size]`.
 *
 * @example
 * ```ts
 * const ds = trax.data.iris();
 * ds.size;                 // 150
 * ds.example(0);           // [{ data: Float32Array [5.1, 3.5, 1.4, 0.2], shape: [4] }, { data: Int32Array [0], shape: [] }]
 * ```
 */
export interface ClassificationData {
  /** The dataset's name (`"digits"`, `"iris"`). */
  readonly name: string;
  /** All features, flat, with shape `[size, ...featureShape]`. */
  readonly x: { readonly data: Float32Array; readonly shape: readonly number[] };
  /** All labels, one class id per example. */
  readonly y: Int32Array;
  /** Number of examples. */
  readonly size: number;
  /** Shape of one example's features. */
  readonly featureShape: readonly number[];
  /** Names of the classes, indexed by label. */
  readonly classNames: readonly string[];
  /** Names of the features, where they have them (iris). */
  readonly featureNames?: readonly string[];
  /** Example `i` as `[features, label]` (views into `x` and `y`, no copy). */
  example(i: number): Example;
  /** All examples, in file order. */
  examples(): Example[];
  /** A seeded train/eval split of the examples (default: 10% eval, seed 0). */
  split(options?: SplitOptions): [Example[], Example[]];
}

function makeData(
  name: string,
  x: Float32Array,
  y: Int32Array,
  featureShape: readonly number[],
  classNames: readonly string[],
  featureNames?: readonly string[]
): ClassificationData {
  const size = y.length;
  const per = featureShape.reduce((a, b) => a * b, 1);
  if (x.length !== size * per) throw new Error(`trax-ts data: ${name} has ${x.length} feature values for ${size} examples of shape [${featureShape}]`);
  const example = (i: number): Example => {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`trax-ts data: ${name} has examples 0..${size - 1}, asked for ${i}`);
    const features: NDArray = { data: x.subarray(i * per, (i + 1) * per), shape: featureShape };
    const label: NDArray = { data: y.subarray(i, i + 1), shape: [] };
    return [features, label];
  };
  const examples = () => Array.from({ length: size }, (_, i) => example(i));
  return {
    name,
    x: { data: x, shape: [size, ...featureShape] },
    y,
    size,
    featureShape,
    classNames,
    featureNames,
    example,
    examples,
    split: (options = {}) => trainEvalSplit(examples(), options),
  };
}

/** Parses a CSV of numbers (no quoting), skipping empty lines. */
function parseNumberRows(text: string, file: string, skip = 0): number[][] {
  const rows: number[][] = [];
  const lines = text.split(/\r?\n/);
  for (let i = skip; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const row = line.split(",").map(Number);
    if (row.some((v) => Number.isNaN(v))) throw new Error(`trax-ts data: ${file} line ${i + 1} is not all numbers: ${line.slice(0, 80)}`);
    rows.push(row);
  }
  return rows;
}

/** Options of {@link digits}. */
export interface DigitsOptions {
  /**
   * Shape of one image, any shape of 64 values: `[8, 8]` (default), `[64]`
   * for an MLP, `[8, 8, 1]` for a convolution (NHWC).
   */
  shape?: readonly number[];
  /** Divide the pixel values (0..16) by 16, to [0, 1]; default true. */
  scale?: boolean;
}

const digitsCache: { x?: Float32Array; y?: Int32Array } = {};

function loadDigits(): { x: Float32Array; y: Int32Array } {
  if (digitsCache.x && digitsCache.y) return { x: digitsCache.x, y: digitsCache.y };
  const file = datasetPath("digits.csv.gz");
  const text = new TextDecoder().decode(gunzipBytes(new Uint8Array(readFileSync(file)), file));
  const rows = parseNumberRows(text, file);
  const x = new Float32Array(rows.length * 64);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    if (r.length !== 65) throw new Error(`trax-ts data: ${file} row ${i + 1} has ${r.length} values, expected 64 pixels and a label`);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = r[j];
    y[i] = r[64];
  });
  digitsCache.x = x;
  digitsCache.y = y;
  return { x, y };
}

/**
 * Handwritten digits: 1797 grey images of 8x8 pixels, labels 0-9 (the UCI
 * optical digits test set as shipped by scikit-learn). Pixels are scaled to
 * [0, 1] unless `scale: false` (then 0..16).
 *
 * @example
 * ```ts
 * const ds = trax.data.digits({ shape: [8, 8, 1] });
 * ds.x.shape;                       // [1797, 8, 8, 1]
 * const [train, evalSet] = ds.split({ evalFraction: 0.2, seed: 0 });
 * ```
 */
export function digits(options: DigitsOptions = {}): ClassificationData {
  const shape = [...(options.shape ?? [8, 8])];
  if (shape.some((d) => !Number.isInteger(d) || d < 1) || shape.reduce((a, b) => a * b, 1) !== 64) {
    throw new Error(`trax-ts data: digits shape must hold 64 pixels ([8, 8], [64], [8, 8, 1], ...), got [${shape}]`);
  }
  const raw = loadDigits();
  const scale = options.scale ?? true;
  const x = scale ? raw.x.map((v) => v / 16) : raw.x.slice();
  return makeData("digits", x, raw.y.slice(), shape, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
}

/** Options of {@link iris}. */
export interface IrisOptions {
  /** Shift and scale each feature to mean 0 and standard deviation 1; default false. */
  standardize?: boolean;
}

/**
 * Fisher's iris flowers: 150 examples of 4 measurements in cm (sepal length,
 * sepal width, petal length, petal width), 3 classes (setosa, versicolor,
 * virginica), 50 each, in file order.
 *
 * @example
 * ```ts
 * const ds = trax.data.iris({ standardize: true });
 * ds.x.shape;      // [150, 4]
 * ds.classNames;   // ["setosa", "versicolor", "virginica"]
 * ```
 */
export function iris(options: IrisOptions = {}): ClassificationData {
  const file = datasetPath("iris.csv");
  const text = readFileSync(file, "utf8");
  const header = text.split(/\r?\n/, 1)[0].split(",");
  // Header: n_samples, n_features, class names...
  const n = Number(header[0]);
  const nFeatures = Number(header[1]);
  const classNames = header.slice(2).map((s) => s.trim());
  const rows = parseNumberRows(text, file, 1);
  if (rows.length !== n || rows.some((r) => r.length !== nFeatures + 1)) {
    throw new Error(`trax-ts data: ${file} announces ${n} rows of ${nFeatures} features and a label, found ${rows.length} rows`);
  }
  const x = new Float32Array(n * nFeatures);
  const y = new Int32Array(n);
  rows.forEach((r, i) => {
    for (let j = 0; j < nFeatures; j++) x[i * nFeatures + j] = r[j];
    y[i] = r[nFeatures];
  });
  if (options.standardize) {
    for (let j = 0; j < nFeatures; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[i * nFeatures + j];
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[i * nFeatures + j] - mean) ** 2;
      const std = Math.sqrt(v / n) || 1;
      for (let i = 0; i < n; i++) x[i * nFeatures + j] = (x[i * nFeatures + j] - mean) / std;
    }
  }
  const featureNames = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
  return makeData("iris", x, y, [nFeatures], classNames, nFeatures === 4 ? featureNames : undefined);
}
