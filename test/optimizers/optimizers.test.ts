/**
 * Optimizers: two steps of each against numbers computed with numpy from
 * Trax's update formulas (test/fixtures/optimizers_numpy.py), slots,
 * gradient clipping by global norm, errors and leaks.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertClose, leakedBy, ready, tf, trax } from "../helpers";

const opt = trax.optimizers;
type Optimizer = InstanceType<typeof opt.Optimizer>;

test.before(ready);

// BEGIN optimizer fixtures (test/fixtures/optimizers_numpy.py)
const EXPECTED: Record<string, (number[] | number[][])[][]> = {
  sgd: [[[[0.48, -0.96, 1.9], [1.47, 0.25, -0.69]], [0.05, -0.15000000000000002, 0.27499999999999997]], [[[0.49, -1.03, 1.88], [1.38, 0.28, -0.73]], [0.045, -0.21000000000000002, 0.355]]],
  sgdClip: [[[[0.49327707354547184, -0.9865541470909437, 1.9663853677273593], [1.4899156103182079, 0.25, -0.7298312206364156]], [0.08319268386367965, -0.18319268386367965, 0.2915963419318398]], [[[0.49637645218234056, -1.0082497975490248, 1.9601866104536219], [1.4620212025863895, 0.25929813591060613, -0.7422287351838904]], [0.08164299454524529, -0.20178895568489197, 0.31639137102678955]]],
  momentumNesterov: [[[[0.45699999999999996, -0.9139999999999999, 1.79], [1.428, 0.2475, -0.6285]], [0.0040000000000000036, -0.10300000000000001, 0.2495]], [[[0.45522999999999997, -1.0054599999999998, 1.6531], [1.2184199999999998, 0.302025, -0.6496149999999999]], [-0.04604, -0.17547000000000001, 0.378755]]],
  momentumPlain: [[[[0.48, -0.96, 1.9], [1.47, 0.25, -0.69]], [0.05, -0.15000000000000002, 0.27499999999999997]], [[[0.472, -0.994, 1.7899999999999998], [1.353, 0.28, -0.6759999999999999]], [0.0, -0.165, 0.33249999999999996]]],
  rmsprop: [[[[0.49789648421256555, -0.9958206162483824, 1.9900000001], [1.4968534161553655, 0.25, -0.7437982633346422]], [0.09480124760495369, -0.1948012476049537, 0.29737387137039173]], [[[0.4990044536792531, -1.0033107822270582, 1.9878964843125655], [1.4873618362979406, 0.25331496768402895, -0.7481155922058073]], [0.09425333324985484, -0.20123947533566558, 0.30590371756616824]]],
  adam: [[[[0.4850004999750012, -0.9800002499937501, 1.970000099999], [1.4750003333222224, 0.2475, -0.7325001666638888]], [0.08900019999600009, -0.1880001999960001, 0.2870003999840006]], [[[0.47748729303961057, -0.9733387384102962, 1.942269800600623], [1.4510726555845215, 0.25246601755044273, -0.723729988045064]], [0.0807023001061493, -0.18754961942099924, 0.2892355573060377]]],
  adamClip: [[[[0.49000074366843066, -0.9900003718480419, 1.9900001487425354], [1.4900004957912438, 0.25, -0.7400002479017673]], [0.09000029748064588, -0.1900002974806459, 0.2900005949435933]], [[[0.48703323809013394, -0.9927978291348216, 1.9820608058947606], [1.4807251313699854, 0.25744080251728896, -0.7381909201637382]], [0.08264479393898284, -0.19103054722116983, 0.2948985603644519]]],
  adafactor: [[[[0.4631145525349935, -0.9335028278014317, 1.9429677201890958], [1.409646722225213, 0.2499975, -0.6941321021562024]], [0.08919776550265357, -0.18919676550265357, 0.2891957655026536]], [[[0.4733586128829482, -1.0156588299189442, 1.9250952398716745], [1.3162162349730204, 0.2856585039890728, -0.7302873394437398]], [0.08762819930177453, -0.2002413891779045, 0.3023211888798652]]],
  adafactorPlain: [[[[0.45000000000000007, -0.9500000000000001, 1.95], [1.45, 0.25, -0.7]], [0.05000000000000002, -0.15000000000000002, 0.25]], [[[0.4831354613743745, -1.0092001173499388, 1.9350700495571729], [1.386583943613807, 0.3159753955386447, -0.740395372505999]], [0.04238740376364236, -0.20360747449219918, 0.31371020982452297]]],
  adafactorMomentum: [[[[0.49581195525349936, -0.9923512827801432, 1.9922987720189096], [1.4894661722225213, 0.24975, -0.7436639602156202]], [0.09881987655026536, -0.19871987655026535, 0.29861987655026534]], [[[0.4931892559511461, -0.9941887005509593, 1.9838123077844705], [1.4704802072310177, 0.253280516783354, -0.7418485912820576]], [0.09761012507909983, -0.1987502626220961, 0.2987923535232415]]],
};
// END optimizer fixtures

const W = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
const B = [0.1, -0.2, 0.3];
const G = [
  [[[0.2, -0.4, 1.0], [0.3, 0.0, -0.6]], [0.5, -0.5, 0.25]],
  [[[-0.1, 0.7, 0.2], [0.9, -0.3, 0.4]], [0.05, 0.6, -0.8]],
] as const;

/** Runs two steps (step numbers 0 and 1) and compares the weights after each. */
function checkTwoSteps(name: string, o: Optimizer): void {
  let weights: tf.Tensor[] = [tf.tensor2d(W), tf.tensor1d(B)];
  o.treeInit(weights);
  for (let s = 0; s < 2; s++) {
    const grads = [tf.tensor2d(G[s][0] as unknown as number[][]), tf.tensor1d(G[s][1] as unknown as number[])];
    const [nw, , metrics] = o.treeUpdate(s, grads, weights, o.slots!, o.optParams);
    tf.dispose([weights, grads, metrics.gradientsL2!, metrics.weightsL2!]);
    weights = nw as tf.Tensor[];
    assertClose(weights[0], EXPECTED[name][s][0], 1e-6, 1e-5, `${name} step ${s} W`);
    assertClose(weights[1], EXPECTED[name][s][1], 1e-6, 1e-5, `${name} step ${s} b`);
  }
  tf.dispose(weights);
  o.slots = null;
}

test("SGD: two steps", () => checkTwoSteps("sgd", new opt.SGD({ learningRate: 0.1 })));
test("SGD with gradient clipping by global norm", () => checkTwoSteps("sgdClip", new opt.SGD({ learningRate: 0.1, clipGradNorm: 0.5 })));
test("Momentum (Nesterov, weight decay): two steps", () =>
  checkTwoSteps("momentumNesterov", new opt.Momentum({ learningRate: 0.1, mass: 0.9, weightDecayRate: 1e-2 })));
test("Momentum (plain): two steps", () =>
  checkTwoSteps("momentumPlain", new opt.Momentum({ learningRate: 0.1, mass: 0.9, weightDecayRate: 0, nesterov: false })));
test("RMSProp: two steps", () => checkTwoSteps("rmsprop", new opt.RMSProp({ learningRate: 0.01 })));
test("Adam (weight decay): two steps", () => checkTwoSteps("adam", new opt.Adam({ learningRate: 0.01, weightDecayRate: 1e-2 })));
/** The cases that have fused kernels (wasm, cpu), to run again without them and on the cpu backend. */
const FUSED_CASES: [string, () => Optimizer][] = [
  ["adam", () => new opt.Adam({ learningRate: 0.01, weightDecayRate: 1e-2 })],
  ["adamClip", () => new opt.Adam({ learningRate: 0.01, weightDecayRate: 0, clipGradNorm: 1 })],
  ["momentumNesterov", () => new opt.Momentum({ learningRate: 0.1, mass: 0.9, weightDecayRate: 1e-2 })],
  ["momentumPlain", () => new opt.Momentum({ learningRate: 0.1, mass: 0.9, weightDecayRate: 0, nesterov: false })],
  ["rmsprop", () => new opt.RMSProp({ learningRate: 0.01 })],
];

test("without the fused kernels (TRAX_FUSED=0, plain tfjs ops): Adam, Momentum, RMSProp two steps", () => {
  process.env.TRAX_FUSED = "0";
  try {
    for (const [name, make] of FUSED_CASES) checkTwoSteps(name, make());
  } finally {
    delete process.env.TRAX_FUSED;
  }
});
test("Adam with clipping: two steps", () =>
  checkTwoSteps("adamClip", new opt.Adam({ learningRate: 0.01, weightDecayRate: 0, clipGradNorm: 1 })));
test("Adafactor (defaults): two steps", () => checkTwoSteps("adafactor", new opt.Adafactor({ learningRate: 0.05 })));
test("Adafactor (not factored, no scale, no clipping): two steps", () =>
  checkTwoSteps(
    "adafactorPlain",
    new opt.Adafactor({ learningRate: 0.05, factored: false, multiplyByParameterScale: false, doClipping: false, weightDecayRate: 0 })
  ));
test("Adafactor (momentum, decaying weight decay): two steps", () =>
  checkTwoSteps(
    "adafactorMomentum",
    new opt.Adafactor({ learningRate: 0.05, doMomentum: true, beta1: 0.9, weightDecayRate: 1e-3, weightDecayNSteps: 4 })
  ));

test("slots: SGD has none per weight, Momentum one of the weight's shape, Adam two, Adafactor row/col", () => {
  const w = [tf.zeros([3, 5]), [tf.zeros([5])]];
  const sgd = new opt.SGD({ learningRate: 0.01 });
  assert.is(sgd.slots, null);
  sgd.treeInit(w);
  assert.equal(sgd.slots, [[], []]);
  const m = new opt.Momentum({ learningRate: 0.01 });
  assert.is(m.slots, null);
  m.treeInit(w);
  assert.equal(m.slots!.map((s) => s.map((t) => t.shape)), [[[3, 5]], [[5]]]);
  const a = new opt.Adam();
  a.treeInit(w);
  assert.equal(a.slots!.map((s) => s.map((t) => t.shape)), [[[3, 5], [3, 5]], [[5], [5]]]);
  const af = new opt.Adafactor({ doMomentum: true });
  af.treeInit(w);
  assert.equal(af.slots!.map((s) => s.map((t) => t.shape)), [[[3], [5], [3, 5]], [[5], [5]]]);
  const r = new opt.RMSProp();
  r.treeInit(w);
  assertClose(r.slots![0][0], tf.ones([3, 5]));
  for (const o of [m, a, af, r]) o.slots = null;
  tf.dispose(w as unknown as tf.Tensor[]);
});

test("l2Norm and clipGrads over a tree", () => {
  const t = [tf.tensor([3]), [tf.tensor([[4]])]];
  const n = opt.l2Norm(t);
  assertClose(n, 5);
  const c = opt.clipGrads(t, 1) as unknown as [tf.Tensor, [tf.Tensor]];
  assertClose(c[0], [0.6]);
  assertClose(c[1][0], [[0.8]]);
  const same = opt.clipGrads(t, 10) as unknown as [tf.Tensor, [tf.Tensor]];
  assertClose(same[0], [3]);
  tf.dispose([n, c[0], c[1][0], same[0], same[1][0], t[0] as tf.Tensor, (t[1] as tf.Tensor[])[0]]);
});

test("metrics: gradient and weight norms", () => {
  const o = new opt.SGD({ learningRate: 0 });
  const w = [tf.tensor([3, 4])];
  const g = [tf.tensor([0, 2])];
  o.treeInit(w);
  const [nw, , m] = o.treeUpdate(0, g, w, o.slots!);
  assertClose(m.gradientsL2!, 2);
  assertClose(m.weightsL2!, 5);
  tf.dispose([w[0], g[0], (nw as tf.Tensor[])[0], m.gradientsL2!, m.weightsL2!]);
});

test("hyperparameters live in optParams and a changed learning rate applies", () => {
  const o = new opt.Adam({ learningRate: 0.5 });
  assert.equal(o.optParams, { learningRate: 0.5, weightDecayRate: 1e-5, b1: 0.9, b2: 0.999, eps: 1e-5 });
  const s = new opt.SGD({ learningRate: 1 });
  const w = [tf.tensor([1])];
  const g = [tf.tensor([1])];
  s.treeInit(w);
  const [nw, , m] = s.treeUpdate(0, g, w, s.slots!, { ...s.optParams, learningRate: 0.25 });
  assertClose((nw as tf.Tensor[])[0], [0.75]);
  tf.dispose([w[0], g[0], (nw as tf.Tensor[])[0], m.gradientsL2!, m.weightsL2!]);
});

test("bad input: wrong gradient count or shape, slots of another tree, bad options", () => {
  const o = new opt.Adam();
  const w = [tf.zeros([2, 2]), tf.zeros([2])];
  o.treeInit(w);
  assert.throws(() => o.treeUpdate(0, [tf.zeros([2, 2])], w, o.slots!), /1 gradients for 2 weights/);
  assert.throws(() => o.treeUpdate(0, [tf.zeros([2, 2]), tf.zeros([3])], w, o.slots!), /gradient 1 has shape \[3\]; its weight has \[2\]/);
  assert.throws(() => o.treeUpdate(0, [tf.zeros([2, 2]), tf.zeros([2])], w, o.slots!.slice(1)), /slots for 1 weights/);
  assert.throws(() => new opt.Adam({ learningRate: NaN }), /learningRate must be a finite number/);
  assert.throws(() => new opt.SGD({ clipGradNorm: -1 }), /clipGradNorm must be a positive number/);
  o.slots = null;
  tf.dispose(w);
});

test("no leaks: treeInit + many treeUpdates with storeSlots", () => {
  for (const o of [new opt.SGD(), new opt.Momentum(), new opt.RMSProp(), new opt.Adam({ clipGradNorm: 1 }), new opt.Adafactor({ doMomentum: true })]) {
    let w: tf.Tensor[] = [tf.ones([4, 3]), tf.ones([3])];
    const g = [tf.fill([4, 3], 0.1), tf.fill([3], -0.2)];
    o.treeInit(w);
    const leaked = leakedBy(() => {
      for (let s = 0; s < 5; s++) {
        const [nw, , m] = o.treeUpdate(s, g, w, o.slots!, o.optParams);
        tf.dispose([w, m.gradientsL2!, m.weightsL2!]);
        w = nw as tf.Tensor[];
      }
    });
    assert.is(leaked, 0, `${o.constructor.name} leaked ${leaked}`);
    o.slots = null;
    tf.dispose([w, g]);
  }
});

test("on the cpu backend (its fused kernels): Adam, Momentum, RMSProp two steps, then back to the default backend", async () => {
  const before = trax.backend.info().backend;
  await trax.backend.setBackend("cpu");
  try {
    for (const [name, make] of FUSED_CASES) checkTwoSteps(name, make());
  } finally {
    await trax.backend.setBackend(before);
  }
  assert.is(tf.getBackend(), before);
});

test.run();
