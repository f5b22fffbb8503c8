/**
 * Log-densities of Gaussians, the mixture-of-Gaussians loss and sampling
 * from log-softmax outputs, as the functions of `trax.layers.core`.
 * @module
 */
import { randomInt } from "node:crypto";
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import type { PRNGKey } from "../../fastmath/random";

const LOG_2PI = Math.log(2 * Math.PI);

/** Throws unless every named argument is a float32 tensor (the error names the first that is not). */
function checkFloats(fn: string, args: Record<string, tf.Tensor>): void {
  for (const [name, t] of Object.entries(args)) {
    if (!(t instanceof tf.Tensor)) throw new TypeError(`${fn}: ${name} must be a tensor; got ${typeof t}`);
    if (t.dtype !== "float32") throw new TypeError(`${fn}: ${name} must be float32; got ${t.dtype}`);
  }
}

/** `log N` of a `d`-dimensional Gaussian from `log|sigma|` and the squared Mahalanobis distance. */
function gaussianLogDensity(d: number, logDetSigma: tf.Tensor, mahalanobis2: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.add(tf.add(d * LOG_2PI, logDetSigma), mahalanobis2));
}

/**
 * `log N(x | mu, sigma)` for a full covariance matrix `sigma`, which must be
 * symmetric positive definite (as a covariance is); the determinant and the
 * solve go through a Cholesky factorization written with differentiable tfjs
 * ops (tfjs has no `slogdet` or `solve`). A matrix that is not positive
 * definite gives NaN.
 *
 * Shapes: `x` and `mu` `(..., d)`, `sigma` `(..., d, d)` (batch axes
 * broadcast); result `(...)`.
 *
 * @example
 * ```ts
 * const x = tf.zeros([2, 5]);
 * const sigma = tf.stack([tf.eye(5), tf.eye(5).mul(2)]);
 * tl.logGaussianPdf(x, x, sigma); // [-4.595, -6.328]
 * ```
 */
export function logGaussianPdf(x: tf.Tensor, mu: tf.Tensor, sigma: tf.Tensor): tf.Tensor {
  const fn = "logGaussianPdf";
  checkFloats(fn, { x, mu, sigma });
  const d = mu.shape[mu.rank - 1];
  if (mu.rank < 1 || x.rank < 1 || x.shape[x.rank - 1] !== d) {
    throw new Error(`${fn}: x and mu need the same last axis; got x [${x.shape}], mu [${mu.shape}]`);
  }
  if (sigma.rank < 2 || sigma.shape[sigma.rank - 1] !== d || sigma.shape[sigma.rank - 2] !== d) {
    throw new Error(`${fn}: sigma must be (..., ${d}, ${d}) to match mu [${mu.shape}]; got [${sigma.shape}]`);
  }
  return tf.tidy(() => {
    const r = tf.sub(x, mu).unstack(-1); // d tensors of the batch shape
    const rows = sigma.unstack(-2).map((row) => row.unstack(-1)); // S[i][j]
    const L: tf.Tensor[][] = Array.from({ length: d }, () => []);
    for (let j = 0; j < d; j++) {
      let diag = rows[j][j];
      for (let k = 0; k < j; k++) diag = tf.sub(diag, tf.square(L[j][k]));
      L[j][j] = tf.sqrt(diag);
      for (let i = j + 1; i < d; i++) {
        let v = rows[i][j];
        for (let k = 0; k < j; k++) v = tf.sub(v, tf.mul(L[i][k], L[j][k]));
        L[i][j] = tf.div(v, L[j][j]);
      }
    }
    // Solve L z = r; then (x - mu)^T sigma^-1 (x - mu) = |z|^2 and log|sigma| = 2 sum log L_jj.
    const z: tf.Tensor[] = [];
    let c: tf.Tensor = tf.scalar(0);
    let b: tf.Tensor = tf.scalar(0);
    for (let i = 0; i < d; i++) {
      let v = r[i];
      for (let k = 0; k < i; k++) v = tf.sub(v, tf.mul(L[i][k], z[k]));
      z[i] = tf.div(v, L[i][i]);
      c = tf.add(c, tf.square(z[i]));
      b = tf.add(b, tf.log(L[i][i]));
    }
    return gaussianLogDensity(d, tf.mul(2, b), c);
  });
}

/**
 * `log N(x | mu, diag(diagSigma))`: a Gaussian with independent components,
 * `diagSigma` holding the variances. (Trax's code reads `x - mu / diagSigma`
 * by operator precedence; this computes the density, `(x - mu)^2 / diagSigma`;
 * both agree when `x == mu`.)
 *
 * Shapes: `x`, `mu`, `diagSigma` `(..., d)` (broadcast); result `(...)`.
 *
 * @example
 * ```ts
 * tl.logGaussianDiagPdf(tf.zeros([2, 5]), tf.zeros([2, 5]), tf.tensor([[1], [2]]).tile([1, 5])); // [-4.595, -6.328]
 * ```
 */
export function logGaussianDiagPdf(x: tf.Tensor, mu: tf.Tensor, diagSigma: tf.Tensor): tf.Tensor {
  const fn = "logGaussianDiagPdf";
  checkFloats(fn, { x, mu, diagSigma });
  const d = mu.shape[mu.rank - 1];
  if (mu.rank < 1 || x.rank < 1 || diagSigma.rank < 1 || x.shape[x.rank - 1] !== d || diagSigma.shape[diagSigma.rank - 1] !== d) {
    throw new Error(`${fn}: x, mu and diagSigma need the same last axis; got x [${x.shape}], mu [${mu.shape}], diagSigma [${diagSigma.shape}]`);
  }
  return tf.tidy(() => {
    const logDet = tf.sum(tf.log(diagSigma), -1);
    const diff = tf.sub(x, mu);
    return gaussianLogDensity(d, logDet, tf.sum(tf.div(tf.square(diff), diagSigma), -1));
  });
}

/** Options of {@link multigaussianLoss}. */
export interface MultigaussianOptions {
  /** Number of Gaussians in the mixture (default 1). */
  ngauss?: number;
}

/**
 * The log-likelihood of `targets` under a mixture of `ngauss` diagonal
 * Gaussians whose parameters are `preds` (Trax calls it a loss; it returns
 * the log-likelihood, negate it to minimize). Per row, `preds` holds
 * `ngauss` mixture logits, then `ngauss * d` means, then `ngauss * d`
 * values whose squares (+1e-6) are the variances.
 *
 * Shapes: `preds` `(batch, ngauss * (2d + 1))`, `targets` `(batch, d)`;
 * result `(batch,)`.
 *
 * @example
 * ```ts
 * const preds = tf.tensor([[0, 0, 0, 1, 1]]); // 1 Gaussian, d = 2: logit, mu, sqrt(var)
 * tl.multigaussianLoss(preds, tf.zeros([1, 2])); // log N(0 | 0, I) = -1.838
 * ```
 */
export function multigaussianLoss(preds: tf.Tensor, targets: tf.Tensor, options: MultigaussianOptions = {}): tf.Tensor {
  const fn = "multigaussianLoss";
  const ngauss = options.ngauss ?? 1;
  if (!Number.isInteger(ngauss) || ngauss < 1) throw new Error(`${fn}: ngauss must be a positive integer; got ${ngauss}`);
  checkFloats(fn, { preds, targets });
  if (preds.rank !== 2 || targets.rank < 1) throw new Error(`${fn}: preds must be (batch, width) and targets (batch, d); got preds [${preds.shape}], targets [${targets.shape}]`);
  const ndims = targets.shape[targets.rank - 1];
  const width = ngauss * (2 * ndims + 1);
  if (preds.shape[1] !== width) {
    throw new Error(`${fn}: with ngauss=${ngauss} and targets of ${ndims} dims, preds need ${width} values per row (logits, means, scales); got [${preds.shape}]`);
  }
  return tf.tidy(() => {
    const batch = preds.shape[0];
    const logits = preds.slice([0, 0], [batch, ngauss]);
    const mus = preds.slice([0, ngauss], [batch, ngauss * ndims]).reshape([-1, ngauss, ndims]);
    const s = preds.slice([0, ngauss * (ndims + 1)], [batch, ngauss * ndims]);
    const sigmas = tf.add(tf.mul(s, s), 1e-6).reshape([-1, ngauss, ndims]);
    const logLogits = tf.sub(logits, tf.logSumExp(logits, -1, true));
    const t = targets.reshape([-1, 1, ndims]);
    const glogprobs = logGaussianDiagPdf(t, mus, sigmas);
    return tf.logSumExp(tf.add(logLogits, glogprobs), -1);
  });
}

/** Options of {@link logsoftmaxSample}. */
export interface LogsoftmaxSampleOptions {
  /** Scales the Gumbel noise: 1 samples from the distribution, 0 picks the argmax (default 1). */
  temperature?: number;
  /**
   * Random key. Default: a fresh key from the operating system, so that
   * repeated calls differ (Trax draws from numpy's global generator); pass a
   * key for reproducible samples.
   */
  rng?: PRNGKey;
}

/**
 * Samples an index along the last axis from log-probabilities (as
 * `LogSoftmax` gives), with temperature, by the Gumbel-max trick:
 * `argmax(logProbs + temperature * gumbelNoise)`.
 *
 * Input `(..., n)` float32; output `(...)` int32 indices.
 *
 * @example
 * ```ts
 * const logProbs = tl.logSoftmax(tf.tensor([[1, 2, 3]]));
 * tl.logsoftmaxSample(logProbs, { rng: trax.fastmath.random.getPrng(0) }); // one index in 0..2
 * tl.logsoftmaxSample(logProbs, { temperature: 0 }); // [2]
 * ```
 */
export function logsoftmaxSample(logProbs: tf.Tensor, options: LogsoftmaxSampleOptions = {}): tf.Tensor {
  const fn = "logsoftmaxSample";
  checkFloats(fn, { logProbs });
  if (logProbs.rank < 1) throw new Error(`${fn}: logProbs need at least one axis; got a scalar`);
  const temperature = options.temperature ?? 1.0;
  if (typeof temperature !== "number" || !(temperature >= 0)) throw new Error(`${fn}: temperature must be >= 0; got ${temperature}`);
  const rng = options.rng ?? random.getPrng(randomInt(0, 2 ** 31 - 1));
  return tf.tidy(() => {
    if (temperature === 0) return tf.argMax(logProbs, -1);
    const u = random.uniform(rng, logProbs.shape, { minval: 1e-6, maxval: 1.0 - 1e-6 });
    const g = tf.neg(tf.log(tf.neg(tf.log(u))));
    return tf.argMax(tf.add(logProbs, tf.mul(g, temperature)), -1);
  });
}
