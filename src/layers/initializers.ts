/**
 * Weight initializers, as `trax.layers.initializers`: each returns a function
 * `(shape, rng) => tensor`.
 *
 * @example
 * ```ts
 * const init = tl.GlorotUniformInitializer();
 * const w = init([64, 32], trax.fastmath.random.getPrng(0)); // (64, 32) float32
 * ```
 * @module
 */
import { assertFitsInBackend } from "../backend/engine-health";
import { tf } from "../backend/tf";
import * as random from "../fastmath/random";
import type { PRNGKey } from "../fastmath/random";
import { readNpy } from "../io/npy";
import { withArgs } from "./arg-check";
import { optionalArgs } from "./optional-args";

/** A weight initializer: a tensor of the given shape from a random key. */
export type Initializer = (shape: readonly number[], rng: PRNGKey, nonreceptiveDims?: number | number[]) => tf.Tensor;

function pureShape(shape: readonly number[]): number[] {
  const out = shape.map((d) => Math.trunc(Number(d)));
  if (out.some((d) => !Number.isFinite(d) || d < 0)) throw new Error(`trax-ts: invalid shape [${shape.join(", ")}]`);
  assertFitsInBackend(out.reduce((a, b) => a * b, 1) * 4, `a weight of shape [${out.join(", ")}]`);
  return out;
}

/**
 * Fan-in and fan-out of a weight shape, as Trax computes them (`inDim` and
 * `outDim` index the shape; vectors use their length for both). As in Trax,
 * the receptive field (the product of the other axes) only counts for a
 * scalar shape.
 *
 * @example
 * ```ts
 * tl.getFans([3, 3, 16, 32]); // [16, 32]
 * tl.getFans([7]); // [7, 7]
 * ```
 */
export function getFans(shape: readonly number[], outDim = -1, inDim = -2, nonreceptiveDims: number | number[] = []): [number, number] {
  const n = shape.length;
  const o = outDim < 0 ? outDim + n : outDim;
  const i = inDim < 0 ? inDim + n : inDim;
  const skip = new Set([i, o, ...(Array.isArray(nonreceptiveDims) ? nonreceptiveDims : [nonreceptiveDims])]);
  const receptiveField = shape.reduce((acc, d, k) => (skip.has(k) ? acc : acc * d), 1);
  if (n >= 2) return [shape[i], shape[o]];
  if (n === 1) return [shape[0], shape[0]];
  return [receptiveField, receptiveField];
}

/**
 * Loads weights from a `.npy` file (as numpy's `np.save` writes them),
 * checking that they have the requested shape; the key is not used. The file
 * is read each time the initializer runs. Floating-point files give float32,
 * integer files int32 (see `trax.io` / `readNpy`).
 *
 * Errors name the file: a missing or unreadable file, a file that is not
 * `.npy`, or a shape other than the one asked for.
 *
 * @example
 * ```ts
 * // python: np.save("/tmp/emb.npy", np.random.randn(100, 16).astype("float32"))
 * const embed = tl.Embedding(100, 16, { kernelInitializer: tl.InitializerFromFile("/tmp/emb.npy") });
 * ```
 */
export const InitializerFromFile = withArgs("InitializerFromFile", {
  positional: ["path"],
  options: [],
}, function InitializerFromFile(path: string): Initializer {
  if (typeof path !== "string" || path === "") throw new TypeError(`InitializerFromFile needs a file path; got ${JSON.stringify(path)}`);
  return (shape, rng) => {
    void rng;
    const s = pureShape(shape);
    let t: tf.Tensor;
    try {
      t = readNpy(path);
    } catch (e) {
      throw new Error(`InitializerFromFile: ${(e as Error).message}`);
    }
    const same = t.shape.length === s.length && t.shape.every((d, i) => d === s[i]);
    if (!same) {
      const got = [...t.shape];
      t.dispose();
      throw new Error(`InitializerFromFile: expected shape [${s.join(", ")}], got [${got.join(", ")}] in ${path}`);
    }
    return t;
  };
});

/** The option of {@link RandomNormalInitializer} and {@link OrthogonalInitializer}. */
export interface StddevOptions {
  /** Standard deviation (RandomNormalInitializer: default 0.01) or scale (OrthogonalInitializer: default 1). */
  stddev?: number;
}

/** Options of the Glorot and LeCun initializers (each may also be given positionally, in this order). */
export interface FanScaleOptions {
  /** Axis of the shape that is fan-out (default -1). */
  outDim?: number;
  /** Axis of the shape that is fan-in (default -2). */
  inDim?: number;
  /** Variance scale (default 1). */
  scale?: number;
}

/** Options of the Kaiming initializers (each may also be given positionally, in this order). */
export interface KaimingOptions {
  /** Axis of the shape that is fan-out (default -1). */
  outDim?: number;
  /** Axis of the shape that is fan-in (default -2). */
  inDim?: number;
  /** Negative slope of the rectifier that follows (default 0). */
  param?: number;
}

/**
 * A fan-scaled initializer constructor: Trax's positional form
 * `(outDim, inDim, scale)`, any leading part of it followed by options,
 * or options alone (`{ scale: 2 }`).
 */
export interface FanScaledInitializerConstructor<O> {
  (outDim?: number, inDim?: number, third?: number): Initializer;
  (options: O): Initializer;
  (outDim: number, options: O): Initializer;
  (outDim: number, inDim: number, options: O): Initializer;
}

/**
 * Random normal values with standard deviation `stddev`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.RandomNormalInitializer(0.02)([3, 3], key);
 * tl.RandomNormalInitializer({ stddev: 0.02 })([3, 3], key); // the same values (Trax's stddev=0.02)
 * ```
 */
export const RandomNormalInitializer = withArgs("RandomNormalInitializer", {
  positional: ["stddev?"],
  options: ["stddev"],
}, function RandomNormalInitializer(...args: unknown[]): Initializer {
  const { stddev = 1e-2 } = optionalArgs("RandomNormalInitializer", args, ["stddev"]) as StddevOptions;
  return (shape, rng) => {
    const s = pureShape(shape);
    const values = random.normalArray(rng, s.reduce((a, b) => a * b, 1));
    for (let k = 0; k < values.length; k++) values[k] = Math.fround(stddev * values[k]);
    return tf.tensor(values, s, "float32");
  };
}) as (stddev?: number | StddevOptions) => Initializer;

/**
 * Random uniform values in `[-lim, lim)`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.RandomUniformInitializer(0.1)([4], key);
 * ```
 */
export const RandomUniformInitializer = withArgs("RandomUniformInitializer", {
  positional: ["lim?"],
  options: ["lim"],
}, function RandomUniformInitializer(...args: unknown[]): Initializer {
  const { lim = 1.0 } = optionalArgs("RandomUniformInitializer", args, ["lim"]) as { lim?: number };
  return (shape, rng) => random.uniform(rng, pureShape(shape), { minval: -lim, maxval: lim });
}) as (lim?: number | { lim?: number }) => Initializer;

/** How {@link ScaledInitializer} scales: by fan-in, fan-out or their average. */
export type ScaleMode = "fan_in" | "fan_out" | "fan_avg";
/** The distribution {@link ScaledInitializer} draws from. */
export type ScaleDistribution = "truncated_normal" | "normal" | "uniform";

/**
 * Values scaled by the weight shape: variance `scale / fan` where fan is
 * fan-in, fan-out or their average (`mode`), from a `distribution`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.ScaledInitializer(-1, -2, 2.0, "fan_in", "normal")([256, 128], key); // He-normal
 * ```
 */
export const ScaledInitializer = withArgs("ScaledInitializer", {
  positional: ["outDim", "inDim", "scale", "mode", "distribution"],
  options: [],
}, function ScaledInitializer(outDim: number, inDim: number, scale: number, mode: ScaleMode, distribution: ScaleDistribution): Initializer {
  if (!(scale > 0)) throw new Error(`scale must be positive float, ${scale} given`);
  if (!["fan_in", "fan_out", "fan_avg"].includes(mode)) {
    throw new Error(`Invalid mode argument:, ${mode}, must be either fan_in, fan_out or fan_avg`);
  }
  if (!["truncated_normal", "normal", "uniform"].includes(distribution)) {
    throw new Error(`invalid distribution for ScaleInitializer: ${distribution}`);
  }
  return (shape, rng, nonreceptiveDims) => {
    const s = pureShape(shape);
    const [fanIn, fanOut] = getFans(s, outDim, inDim, nonreceptiveDims);
    let gain = scale;
    if (mode === "fan_in") gain /= fanIn;
    else if (mode === "fan_out") gain /= fanOut;
    else gain /= (fanIn + fanOut) / 2;
    if (distribution === "truncated_normal") {
      const stddev = Math.sqrt(gain) / 0.87962566103423978;
      return tf.tidy(() => random.truncatedNormal(rng, -2, 2, s).mul(stddev));
    }
    if (distribution === "normal") {
      const values = random.normalArray(rng, s.reduce((a, b) => a * b, 1));
      const g = Math.sqrt(gain);
      for (let k = 0; k < values.length; k++) values[k] = Math.fround(values[k] * g);
      return tf.tensor(values, s, "float32");
    }
    const lim = Math.sqrt(3 * gain);
    return random.uniform(rng, s, { minval: -lim, maxval: lim });
  };
});

/**
 * Glorot (Xavier) normal: variance `scale / fan_avg`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.GlorotNormalInitializer()([10, 20], key);
 * tl.GlorotNormalInitializer({ scale: 2 })([10, 20], key); // Trax's scale=2.0; also (-1, -2, 2)
 * ```
 */
export const GlorotNormalInitializer = withArgs("GlorotNormalInitializer", {
  positional: ["outDim?", "inDim?", "scale?"],
  options: ["outDim", "inDim", "scale"],
}, function GlorotNormalInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, scale = 1.0 } = optionalArgs("GlorotNormalInitializer", args, ["outDim", "inDim", "scale"]) as FanScaleOptions;
  return ScaledInitializer(outDim, inDim, scale, "fan_avg", "normal");
}) as FanScaledInitializerConstructor<FanScaleOptions>;

/**
 * Glorot (Xavier) uniform: limit `sqrt(3 * scale / fan_avg)`. Dense's default.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.GlorotUniformInitializer()([10, 20], key);
 * ```
 */
export const GlorotUniformInitializer = withArgs("GlorotUniformInitializer", {
  positional: ["outDim?", "inDim?", "scale?"],
  options: ["outDim", "inDim", "scale"],
}, function GlorotUniformInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, scale = 1.0 } = optionalArgs("GlorotUniformInitializer", args, ["outDim", "inDim", "scale"]) as FanScaleOptions;
  return ScaledInitializer(outDim, inDim, scale, "fan_avg", "uniform");
}) as FanScaledInitializerConstructor<FanScaleOptions>;

/**
 * LeCun normal: variance `scale / fan_in`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.LeCunNormalInitializer()([10, 20], key);
 * ```
 */
export const LeCunNormalInitializer = withArgs("LeCunNormalInitializer", {
  positional: ["outDim?", "inDim?", "scale?"],
  options: ["outDim", "inDim", "scale"],
}, function LeCunNormalInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, scale = 1.0 } = optionalArgs("LeCunNormalInitializer", args, ["outDim", "inDim", "scale"]) as FanScaleOptions;
  return ScaledInitializer(outDim, inDim, scale, "fan_in", "normal");
}) as FanScaledInitializerConstructor<FanScaleOptions>;

/**
 * LeCun uniform: limit `sqrt(3 * scale / fan_in)`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.LeCunUniformInitializer()([10, 20], key);
 * ```
 */
export const LeCunUniformInitializer = withArgs("LeCunUniformInitializer", {
  positional: ["outDim?", "inDim?", "scale?"],
  options: ["outDim", "inDim", "scale"],
}, function LeCunUniformInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, scale = 1.0 } = optionalArgs("LeCunUniformInitializer", args, ["outDim", "inDim", "scale"]) as FanScaleOptions;
  return ScaledInitializer(outDim, inDim, scale, "fan_in", "uniform");
}) as FanScaledInitializerConstructor<FanScaleOptions>;

/**
 * Kaiming (He) normal: variance `2 / sqrt(1 + param^2) / fan_in`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.KaimingNormalInitializer()([10, 20], key);
 * tl.KaimingNormalInitializer({ param: 0.2 })([10, 20], key); // for a leaky ReLU of slope 0.2
 * ```
 */
export const KaimingNormalInitializer = withArgs("KaimingNormalInitializer", {
  positional: ["outDim?", "inDim?", "param?"],
  options: ["outDim", "inDim", "param"],
}, function KaimingNormalInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, param = 0.0 } = optionalArgs("KaimingNormalInitializer", args, ["outDim", "inDim", "param"]) as KaimingOptions;
  return ScaledInitializer(outDim, inDim, 2.0 / Math.sqrt(1 + param * param), "fan_in", "normal");
}) as FanScaledInitializerConstructor<KaimingOptions>;

/**
 * Kaiming (He) uniform: limit `sqrt(3 * 2 / sqrt(1 + param^2) / fan_in)`.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.KaimingUniformInitializer()([10, 20], key);
 * ```
 */
export const KaimingUniformInitializer = withArgs("KaimingUniformInitializer", {
  positional: ["outDim?", "inDim?", "param?"],
  options: ["outDim", "inDim", "param"],
}, function KaimingUniformInitializer(...args: unknown[]): Initializer {
  const { outDim = -1, inDim = -2, param = 0.0 } = optionalArgs("KaimingUniformInitializer", args, ["outDim", "inDim", "param"]) as KaimingOptions;
  return ScaledInitializer(outDim, inDim, 2.0 / Math.sqrt(1 + param * param), "fan_in", "uniform");
}) as FanScaledInitializerConstructor<KaimingOptions>;

/**
 * Orthogonal matrices (from the QR decomposition of normal values), times
 * `stddev`; higher ranks are orthogonal over their flattened leading axes.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * const q = tl.OrthogonalInitializer()([4, 4], key); // q^T q = I
 * ```
 */
export const OrthogonalInitializer = withArgs("OrthogonalInitializer", {
  positional: ["stddev?"],
  options: ["stddev"],
}, function OrthogonalInitializer(...args: unknown[]): Initializer {
  const { stddev = 1.0 } = optionalArgs("OrthogonalInitializer", args, ["stddev"]) as StddevOptions;
  return (shape, rng) =>
    tf.tidy(() => {
      const s = pureShape(shape);
      let cur = [...s];
      while (cur.length < 2) cur = [1, ...cur];
      const nRows = cur.slice(0, -1).reduce((a, b) => a * b, 1);
      const nCols = cur[cur.length - 1];
      const flat: [number, number] = nRows < nCols ? [nCols, nRows] : [nRows, nCols];
      const a = random.normal(rng, flat) as tf.Tensor2D;
      const [q, r] = tf.linalg.qr(a);
      const d = tf.sign(tf.tensor1d(diagonal(r.arraySync() as number[][])));
      let qq = tf.mul(q, d);
      if (nRows < nCols) qq = qq.transpose();
      return qq.reshape(s).mul(stddev);
    });
}) as (stddev?: number | StddevOptions) => Initializer;

function diagonal(m: number[][]): number[] {
  const n = Math.min(m.length, m[0]?.length ?? 0);
  return Array.from({ length: n }, (_, i) => m[i][i]);
}

/**
 * The standard init for convolutions in Atari models: uniform in
 * `±1 / sqrt(fanIn * height * width)` for a `(height, width, fanIn, fanOut)` kernel.
 *
 * @example
 * ```ts
 * const key = trax.fastmath.random.getPrng(0);
 * tl.AtariConvInit([8, 8, 4, 32], key);
 * ```
 */
export const AtariConvInit = withArgs("AtariConvInit", {
  positional: ["kernelShape", "rng", "dtype?"],
  options: ["dtype"],
}, function AtariConvInit(kernelShape: readonly number[], rng: PRNGKey, ...rest: unknown[]): tf.Tensor {
  const { dtype = "float32" } = optionalArgs("AtariConvInit", rest, ["dtype"]) as { dtype?: string };
  if (dtype !== "float32") throw new Error(`AtariConvInit makes float32 values; got dtype ${String(dtype)}`);
  if (kernelShape.length !== 4) throw new Error(`AtariConvInit needs a 4-D kernel shape (h, w, in, out), got [${kernelShape}]`);
  const [h, w, fanIn] = kernelShape;
  const std = 1 / Math.sqrt(fanIn * h * w);
  return random.uniform(rng, pureShape(kernelShape), { minval: -std, maxval: std });
}) as (kernelShape: readonly number[], rng: PRNGKey, dtype?: "float32" | { dtype?: "float32" }) => tf.Tensor;
