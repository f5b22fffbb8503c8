/**
 * Learning-rate schedules against their formulas and Trax's
 * lr_schedules_test cases.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { trax } from "../helpers";

const lrs = trax.supervised.lrSchedules;

function close(a: number, b: number, msg = ""): void {
  assert.ok(Math.abs(a - b) <= 1e-7 + 1e-7 * Math.abs(b), `${msg} ${a} != ${b}`);
}

test("constant (Trax's case)", () => {
  const lr = lrs.constant(0.02);
  for (const s of [1, 20, 300, 4000, 50000, 600000, 7000000, 80000000, 900000000]) assert.is(lr(s), 0.02);
});

test("warmup (Trax's case): linear to step n, then constant", () => {
  const lr = lrs.warmup(9, 0.01);
  for (const s of [1, 2, 5, 9]) close(lr(s), (s / 10) * 0.01, `step ${s}`);
  for (const s of [10, 11, 20, 300, 4000]) close(lr(s), 0.01, `step ${s}`);
});

test("warmupAndRsqrtDecay (Trax's case)", () => {
  const lr = lrs.warmupAndRsqrtDecay(24, 0.25);
  close(lr(1), 0.01);
  close(lr(2), 0.02);
  close(lr(23), 0.23);
  close(lr(24), 0.24);
  for (const s of [25, 26, 27, 300, 4000, 50000]) close(lr(s), 0.25 * (5 / Math.sqrt(s)), `step ${s}`);
});

test("cosine sawtooth tail (Trax's case)", () => {
  const lr = lrs.bodyAndTail(0.3, { tailStart: 0, tailFn: lrs.cosineSawtoothTail(180, 0.1) });
  const cycle: [number, number][] = [[1, 0.29998477], [30, 0.28660254], [60, 0.25], [90, 0.2], [120, 0.15], [179, 0.10001523]];
  for (const [s, v] of cycle) {
    assert.ok(Math.abs(lr(s) - v) < 1e-7, `step ${s}: ${lr(s)}`);
    assert.ok(Math.abs(lr(s + 180) - v) < 1e-7, `step ${s + 180}: ${lr(s + 180)}`);
  }
  close(lr(180), 0.3);
});

test("multifactor default: constant * linear_warmup * rsqrt_decay", () => {
  const lr = lrs.multifactor();
  for (const s of [1, 100, 399, 400, 401, 10000]) {
    close(lr(s), 0.1 * Math.min(1, s / 400) / Math.sqrt(Math.max(s, 400)), `step ${s}`);
  }
});

test("multifactor: every factor against its formula", () => {
  const o = { constant: 0.2, warmupSteps: 10, decayFactor: 0.5, stepsPerDecay: 7, stepsPerCycle: 30, secondConstant: 0.05, secondConstantStep: 12 };
  const f = (factors: string) => lrs.multifactor({ ...o, factors });
  for (const s of [1, 5, 10, 11, 12, 25, 50]) {
    close(f("constant")(s), 0.2);
    close(f("two_constants")(s), s < 12 ? 0.2 : 0.05, `two_constants ${s}`);
    close(f("linear_warmup")(s), Math.min(1, s / 10), `linear_warmup ${s}`);
    close(f("rsqrt_decay")(s), 1 / Math.sqrt(Math.max(s, 10)), `rsqrt_decay ${s}`);
    close(f("rsqrt_normalized_decay")(s), Math.sqrt(10) / Math.sqrt(Math.max(s, 10)), `rsqrt_normalized_decay ${s}`);
    close(f("decay_every")(s), Math.pow(0.5, Math.floor(s / 7)), `decay_every ${s}`);
    const progress = Math.max(0, (s - 10) / 30);
    close(f("cosine_decay")(s), 0.5 * (1 + Math.cos(Math.PI * (progress % 1))), `cosine_decay ${s}`);
    close(f("constant*decay_every")(s), 0.2 * Math.pow(0.5, Math.floor(s / 7)), `product ${s}`);
  }
  close(lrs.multifactor({ factors: "constant * decay_every", constant: 1, decayFactor: 0.1, stepsPerDecay: 1, minimum: 1e-3 })(10), 1e-3);
});

test("bad arguments name the schedule", () => {
  assert.throws(() => lrs.multifactor({ factors: "constant * bogus" }), /unknown factor 'bogus'/);
  assert.throws(() => lrs.warmup(-1, 0.1), /warmup: nWarmupSteps must be a finite number >= 0/);
  assert.throws(() => lrs.constant(NaN), /constant: value/);
});

test.run();
