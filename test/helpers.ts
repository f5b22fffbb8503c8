/**
 * Shared test helpers: the library from source, the engine started, and
 * numeric comparisons that report what differed.
 */
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import * as trax from "../src";
import { isValidModule } from "../src/backend/simd/instantiate";

export { trax };
// Aliases, not consts: `tf.Tensor` and `tl.Layer` also work as types in tests.
export import tf = trax.tf;
export import tl = trax.layers;
export const { ShapeDtype } = trax.shapes;

/** Starts the engine; use as `suite.before(ready)`. */
export async function ready(): Promise<void> {
  await trax.backend.ready();
}

type Numeric = number | boolean | Numeric[];

function toNested(x: unknown): Numeric {
  if (x instanceof tf.Tensor) return x.arraySync() as Numeric;
  if (ArrayBuffer.isView(x)) return Array.from(x as Float32Array);
  return x as Numeric;
}

function shapeOf(x: Numeric): number[] {
  return Array.isArray(x) ? [x.length, ...(x.length ? shapeOf(x[0]) : [])] : [];
}

function flat(x: Numeric): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [Number(x)];
}

/**
 * Asserts that `actual` (tensor, typed array, nested arrays) equals `expected`
 * in shape and in every value within `atol + rtol * |expected|`.
 */
export function assertClose(actual: unknown, expected: unknown, atol = 1e-5, rtol = 1e-5, msg = ""): void {
  const a = toNested(actual);
  const e = toNested(expected);
  const sa = shapeOf(a);
  const se = shapeOf(e);
  assert.equal(sa, se, `${msg} shape [${sa}] != expected [${se}]`);
  const fa = flat(a);
  const fe = flat(e);
  for (let i = 0; i < fe.length; i++) {
    const ok = (Number.isNaN(fe[i]) && Number.isNaN(fa[i])) || Math.abs(fa[i] - fe[i]) <= atol + rtol * Math.abs(fe[i]);
    if (!ok) {
      assert.unreachable(`${msg} value ${i}: ${fa[i]} != expected ${fe[i]} (atol ${atol}); actual ${JSON.stringify(a).slice(0, 300)}`);
    }
  }
}

/** Asserts that `f` throws a LayerError whose message matches every pattern. */
export function assertLayerError(f: () => unknown, ...patterns: RegExp[]): InstanceType<typeof tl.LayerError> {
  try {
    f();
  } catch (e) {
    assert.instance(e, tl.LayerError, `expected a LayerError, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return e as InstanceType<typeof tl.LayerError>;
  }
  assert.unreachable("expected a LayerError, nothing was thrown");
  throw new Error("unreachable");
}

/** Shapes of a layer output (one tensor or several). */
export function shapes(y: unknown): number[] | number[][] {
  if (y instanceof tf.Tensor) return y.shape;
  return (y as tf.Tensor[]).map((t) => t.shape);
}

/** Runs `f` and returns how many tensors it left behind. */
export function leakedBy(f: () => void): number {
  const before = tf.memory().numTensors;
  f();
  return tf.memory().numTensors - before;
}

/**
 * Checks a layer's weight gradients against central finite differences on the
 * first entry of each weight tensor, for the loss `sum(sin(first output))`.
 */
export function assertWeightGradsMatchFiniteDifferences(name: string, layer: InstanceType<typeof tl.Layer>, inp: unknown): void {
  const template = layer.weights;
  const leavesW = trax.fastmath.treeFlatten(template as never) as tf.Tensor[];
  const loss = (...ws: tf.Tensor[]) => {
    const [w] = trax.fastmath.treeUnflatten(ws as never, template as never);
    const out = layer.pureFn(inp, w as never, layer.state, null)[0];
    const first = (Array.isArray(out) ? out[0] : out) as tf.Tensor;
    return tf.sum(tf.sin(first)) as tf.Scalar;
  };
  const grads = tf.grads(loss)(leavesW);
  leavesW.forEach((w, i) => {
    const eps = 1e-2;
    const bump = (delta: number) =>
      tf.tidy(() => {
        const flat = w.dataSync().slice();
        flat[0] += delta;
        return loss(...leavesW.map((t, j) => (j === i ? tf.tensor(flat, w.shape) : t))).dataSync()[0];
      });
    const numeric = (bump(eps) - bump(-eps)) / (2 * eps);
    const g = grads[i].dataSync()[0];
    assert.ok(Number.isFinite(g), `${name} weight ${i} gradient is finite`);
    assert.ok(Math.abs(g - numeric) <= 2e-2 * Math.max(1, Math.abs(numeric)), `${name} weight ${i}: ${g} vs finite difference ${numeric}`);
  });
  tf.dispose(grads);
}

/**
 * Runs `script` (CommonJS, through tsx, from the project root) in a fresh
 * Node process on the wasm backend, with `env` added to this environment;
 * returns the JSON its last output line holds. For what needs a process of
 * its own (a threaded build, an environment switch read at import).
 */
export function runScriptJson<T>(script: string, env: Record<string, string>, timeoutMs = 240000): T {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TRAX_BACKEND: "wasm", TRAX_QUIET: "1", ...env };
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { env: childEnv, encoding: "utf8", timeout: timeoutMs });
  return JSON.parse(out.trim().split("\n").pop() as string) as T;
}

/**
 * Runs `f` with `flag.enabled` set to `enabled` (a kernel switch such as
 * `simdExp`), then restores it; returns what `f` returns.
 */
export function withSwitch<T>(flag: { enabled: boolean }, enabled: boolean, f: () => T): T {
  const was = flag.enabled;
  flag.enabled = enabled;
  try {
    return f();
  } finally {
    flag.enabled = was;
  }
}

/** Asserts that a generated module is valid WebAssembly over a plain and over a shared memory. */
export function assertValidModule(bytesFor: (sharedMemory: boolean) => Uint8Array): void {
  assert.ok(isValidModule(bytesFor(false)), "plain memory");
  assert.ok(isValidModule(bytesFor(true)), "shared memory");
}

/** Records the name of every kernel run into `names` until the returned function restores the engine. */
function spyOnKernels(names: string[]): () => void {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    names.push(name);
    return original.call(this, name, ...rest);
  };
  return () => void (engine.runKernel = original);
}

/** The names of the kernels `f` runs, in order (by wrapping the engine's `runKernel` while it runs). */
export function kernelsRunBy(f: () => void): string[] {
  const names: string[] = [];
  const restore = spyOnKernels(names);
  try {
    f();
  } finally {
    restore();
  }
  return names;
}

/** {@link kernelsRunBy} for asynchronous work (a `Loop.run`): the kernels run until `f`'s promise settles. */
export async function kernelsRunByAsync(f: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  const restore = spyOnKernels(names);
  try {
    await f();
  } finally {
    restore();
  }
  return names;
}

/** The bits of a float32 array, every NaN as one value (-1): for comparing results bit for bit. */
export function float32Bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]) ? -1 : b));
}

/**
 * Runs `f` with the wasm backend's `_malloc` failing for requests of exactly
 * `bytes` (a kernel's scratch of a size no tensor of the step has), and
 * asserts that `f` throws `pattern` and leaves no buffer behind.
 */
export function assertFailsWhenMallocOf(bytes: number, f: () => unknown, pattern: RegExp): void {
  const backend = tf.backend() as unknown as { numDataIds(): number; wasm: { _malloc(bytes: number): number } };
  const malloc = backend.wasm._malloc;
  backend.wasm._malloc = (n: number) => (n === bytes ? 0 : malloc.call(backend.wasm, n));
  const buffers = backend.numDataIds();
  try {
    assert.throws(f, pattern);
  } finally {
    backend.wasm._malloc = malloc;
  }
  assert.is(backend.numDataIds(), buffers, "no buffer left behind");
}
