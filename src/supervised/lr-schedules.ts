/**
 * Learning-rate schedules (`trax.supervised.lr_schedules`): functions from
 * the (1-based) training step to a learning rate.
 *
 * @example
 * ```ts
 * const lr = trax.supervised.lrSchedules.warmupAndRsqrtDecay(400, 1e-3);
 * lr(1); // 2.5e-6
 * lr(1600); // 5e-4
 * ```
 * @module
 */

/** A learning-rate schedule: step number (from 1) to learning rate. */
export type Schedule = (step: number) => number;

function checkNumber(where: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new Error(`${where}: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}; got ${String(v)}`);
  }
  return v;
}

/**
 * A curve made of a linear warm-up from (0, 0) to (`bodyStart`, `bodyValue`),
 * a constant body, and from `tailStart` on a tail `tailFn(step, tailStart, bodyValue)`
 * (Trax's `_BodyAndTail`).
 *
 * @example
 * ```ts
 * const lr = bodyAndTail(0.1, { bodyStart: 11 });
 * lr(5); // 5/11 * 0.1
 * ```
 */
export function bodyAndTail(
  bodyValue: number,
  options: { bodyStart?: number; tailStart?: number; tailFn?: (step: number, tailStart: number, bodyValue: number) => number } = {}
): Schedule {
  const { tailStart, tailFn } = options;
  if (options.bodyStart === undefined && tailStart === undefined) throw new Error("bodyAndTail: both bodyStart and tailStart are missing");
  if (tailStart !== undefined && tailFn === undefined) throw new Error(`bodyAndTail: tailStart is ${tailStart} but there is no tailFn`);
  const bodyStart = options.bodyStart ?? tailStart ?? 1;
  return (step: number) => {
    if (step < bodyStart) return (step / bodyStart) * bodyValue;
    if (tailStart !== undefined && tailFn && step >= tailStart) return tailFn(step, tailStart, bodyValue);
    return bodyValue;
  };
}

/**
 * The same learning rate at every step.
 *
 * @example
 * ```ts
 * trax.supervised.lrSchedules.constant(0.02)(1000); // 0.02
 * ```
 */
export function constant(value: number): Schedule {
  checkNumber("constant", "value", value);
  return bodyAndTail(value, { bodyStart: 1 });
}

/**
 * Linear warm-up on the line from (0, 0) to (`nWarmupSteps`+1, `maxValue`),
 * then `maxValue`: `lr(step) = step / (nWarmupSteps + 1) * maxValue` for
 * `step <= nWarmupSteps`.
 *
 * @example
 * ```ts
 * const lr = trax.supervised.lrSchedules.warmup(9, 0.01);
 * lr(1); // 0.001
 * lr(10); // 0.01
 * ```
 */
export function warmup(nWarmupSteps: number, maxValue: number): Schedule {
  checkNumber("warmup", "nWarmupSteps", nWarmupSteps, 0);
  checkNumber("warmup", "maxValue", maxValue);
  return bodyAndTail(maxValue, { bodyStart: nWarmupSteps + 1 });
}

/**
 * Linear warm-up to `maxValue` at step `nWarmupSteps + 1`, then reciprocal
 * square-root decay: `maxValue * sqrt(nWarmupSteps + 1) / sqrt(step)`.
 *
 * @example
 * ```ts
 * const lr = trax.supervised.lrSchedules.warmupAndRsqrtDecay(24, 0.25);
 * lr(24); // 0.24
 * lr(100); // 0.25 * 5 / 10
 * ```
 */
export function warmupAndRsqrtDecay(nWarmupSteps: number, maxValue: number): Schedule {
  checkNumber("warmupAndRsqrtDecay", "nWarmupSteps", nWarmupSteps, 0);
  checkNumber("warmupAndRsqrtDecay", "maxValue", maxValue);
  return bodyAndTail(maxValue, {
    tailStart: nWarmupSteps + 1,
    tailFn: (step, tailStart, body) => body * (Math.sqrt(tailStart) / Math.sqrt(step)),
  });
}

/**
 * A cyclic cosine tail for {@link bodyAndTail}: each cycle of
 * `stepsPerCycle` falls from the body value to `minValue` on half a cosine.
 *
 * @example
 * ```ts
 * const lr = bodyAndTail(0.3, { tailStart: 0, tailFn: cosineSawtoothTail(180, 0.1) });
 * lr(90); // 0.2
 * ```
 */
export function cosineSawtoothTail(stepsPerCycle: number, minValue = 1e-5): (step: number, tailStart: number, bodyValue: number) => number {
  checkNumber("cosineSawtoothTail", "stepsPerCycle", stepsPerCycle, Number.MIN_VALUE);
  return (step, tailStart, bodyValue) => {
    const pos = (((step - tailStart) / stepsPerCycle) % 1 + 1) % 1;
    return minValue + (bodyValue - minValue) * 0.5 * (1 + Math.cos(Math.PI * pos));
  };
}

/** Options of {@link multifactor} (Trax's defaults). */
export interface MultifactorOptions {
  /** Factors joined by `*`: `constant`, `linear_warmup`, `rsqrt_decay`, `rsqrt_normalized_decay`, `decay_every`, `cosine_decay`, `two_constants`. Default `"constant * linear_warmup * rsqrt_decay"`. */
  factors?: string;
  /** Default 0.1. */
  constant?: number;
  /** Default 400. */
  warmupSteps?: number;
  /** Default 0.5. */
  decayFactor?: number;
  /** Default 20000. */
  stepsPerDecay?: number;
  /** Default 100000. */
  stepsPerCycle?: number;
  /** Default 0.01. */
  secondConstant?: number;
  /** Default 10000. */
  secondConstantStep?: number;
  /** The rate never goes below this. Default 0. */
  minimum?: number;
}

const FACTORS = new Set([
  "constant", "two_constants", "linear_warmup", "rsqrt_decay", "rsqrt_normalized_decay", "decay_every", "cosine_decay",
]);

/**
 * A product of named factors (Trax's `multifactor`): `constant` (the
 * constant), `linear_warmup` (`min(1, step / warmupSteps)`), `rsqrt_decay`
 * (`1 / sqrt(max(step, warmupSteps))`), `rsqrt_normalized_decay` (the same
 * times `sqrt(warmupSteps)`), `decay_every` (`decayFactor ^ floor(step /
 * stepsPerDecay)`), `cosine_decay` (cyclic cosine after warm-up),
 * `two_constants` (`constant` before `secondConstantStep`, then
 * `secondConstant`); at least `minimum`.
 *
 * @example
 * ```ts
 * const lr = trax.supervised.lrSchedules.multifactor({ constant: 0.1, warmupSteps: 100 });
 * lr(50); // 0.1 * 0.5 / 10
 * ```
 */
export function multifactor(options: MultifactorOptions = {}): Schedule {
  const {
    factors = "constant * linear_warmup * rsqrt_decay", constant: c = 0.1, warmupSteps = 400, decayFactor = 0.5,
    stepsPerDecay = 20000, stepsPerCycle = 100000, secondConstant = 0.01, secondConstantStep = 10000, minimum = 0,
  } = options;
  const names = factors.split("*").map((n) => n.trim());
  for (const n of names) {
    if (!FACTORS.has(n)) throw new Error(`multifactor: unknown factor '${n}' (known: ${[...FACTORS].join(", ")})`);
  }
  return (step: number) => {
    let ret = 1;
    for (const name of names) {
      switch (name) {
        case "constant": ret *= c; break;
        case "two_constants": ret *= step < secondConstantStep ? c : secondConstant; break;
        case "linear_warmup": ret *= Math.min(1, step / warmupSteps); break;
        case "rsqrt_decay": ret /= Math.sqrt(Math.max(step, warmupSteps)); break;
        case "rsqrt_normalized_decay": ret *= Math.sqrt(warmupSteps) / Math.sqrt(Math.max(step, warmupSteps)); break;
        case "decay_every": ret *= Math.pow(decayFactor, Math.floor(step / stepsPerDecay)); break;
        case "cosine_decay": {
          const progress = Math.max(0, (step - warmupSteps) / stepsPerCycle);
          ret *= 0.5 * (1 + Math.cos(Math.PI * (progress % 1)));
          break;
        }
      }
    }
    return ret <= minimum ? minimum : ret;
  };
}
