/**
 * The webgpu choice: the hardware/software rule, the probe (with injected
 * packages, device nodes and adapters), the automatic and forced choices, the
 * error messages, weights crossing backends, and a lost device.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax } from "../helpers";
import { probeWebgpu, type ProbeDeps, type GPULike } from "../../src/backend/webgpu";

const test = suite("webgpu choice");
const { classifyAdapter, mayHaveGpu } = trax.backend;
test.before(ready);

test("classifyAdapter: lavapipe, SwiftShader, WARP and fallback adapters are software; GPUs are hardware", () => {
  assert.is(classifyAdapter({ vendor: "mesa", architecture: "software", description: "llvmpipe: Mesa 25.0.7" }).kind, "software");
  assert.is(classifyAdapter({ vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" }).kind, "software");
  assert.is(classifyAdapter({ vendor: "google", architecture: "", description: "SwiftShader Device (Subzero)" }).kind, "software");
  assert.is(classifyAdapter({ vendor: "microsoft", description: "Microsoft Basic Render Driver" }).kind, "software");
  assert.is(classifyAdapter({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA H200", isFallbackAdapter: true }).kind, "software");
  const gpu = classifyAdapter({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA H200" });
  assert.equal(gpu, { kind: "hardware", reason: "a GPU adapter (nvidia hopper NVIDIA H200)" });
  assert.is(classifyAdapter({ vendor: "apple", architecture: "metal-3", description: "Apple M2" }).kind, "hardware");
  assert.is(classifyAdapter({ vendor: "intel", architecture: "gen-12lp", description: "Intel(R) UHD Graphics 770" }).kind, "hardware");
  assert.match(classifyAdapter({ vendor: "mesa", architecture: "software" }).reason, /architecture is 'software'/);
});

test("mayHaveGpu: Linux needs a render node, an NVIDIA node or /dev/dxg; other platforms always may", () => {
  assert.ok(mayHaveGpu("linux", ["null", "dri/renderD128"]));
  assert.ok(mayHaveGpu("linux", ["nvidia0", "nvidiactl"]));
  assert.ok(mayHaveGpu("linux", ["dxg"]));
  assert.not.ok(mayHaveGpu("linux", ["null", "tty", "nvidiactl", "dri/card0"]));
  assert.ok(mayHaveGpu("darwin", []));
  assert.ok(mayHaveGpu("win32", []));
});

/** Probe dependencies with everything installed and one adapter (or none). */
function fakeDeps(adapterInfo: object | null, over: Partial<ProbeDeps> = {}): ProbeDeps & { loads: number } {
  const deps = {
    loads: 0,
    resolve: (id: string) => id,
    loadWebgpu() {
      deps.loads++;
      const gpu: GPULike = { requestAdapter: async () => (adapterInfo ? ({ info: adapterInfo, features: new Set(), limits: {} } as never) : null) };
      return { create: () => gpu, globals: {} };
    },
    platform: "linux",
    listDevices: () => ["null", "dri/renderD128"],
    ...over,
  };
  return deps;
}

const H200 = { vendor: "nvidia", architecture: "hopper", device: "", description: "NVIDIA H200" };
const LLVMPIPE = { vendor: "mesa", architecture: "software", device: "llvmpipe", description: "llvmpipe: Mesa 25.0.7", isFallbackAdapter: true };

test("probe: a hardware adapter is chosen automatically; a software one only when forced", async () => {
  const hw = await probeWebgpu(false, fakeDeps(H200));
  assert.ok(hw.ok);
  assert.is(hw.adapter?.kind, "hardware");
  assert.is(hw.adapter?.description, "NVIDIA H200");
  const soft = await probeWebgpu(false, fakeDeps(LLVMPIPE));
  assert.not.ok(soft.ok);
  assert.is(soft.adapter?.kind, "software");
  assert.match(soft.ok ? "" : soft.reason, /software \(llvmpipe: Mesa 25\.0\.7.*used only when forced \(TRAX_BACKEND=webgpu\)/);
  const forced = await probeWebgpu(true, fakeDeps(LLVMPIPE));
  assert.ok(forced.ok);
  assert.is(forced.adapter?.kind, "software");
});

test("probe: cheap when it cannot help (packages missing: nothing loaded; Linux without a GPU node: Dawn not started)", async () => {
  const missing = fakeDeps(H200, { resolve: (id) => { if (id === "webgpu") throw new Error("Cannot find module 'webgpu'"); return id; } });
  const r1 = await probeWebgpu(true, missing);
  assert.equal(r1, { ok: false, reason: "webgpu is not installed" });
  assert.is(missing.loads, 0);
  const noNode = fakeDeps(H200, { listDevices: () => ["null", "tty"] });
  const r2 = await probeWebgpu(false, noNode);
  assert.not.ok(r2.ok);
  assert.match(r2.ok ? "" : r2.reason, /no GPU device node/);
  assert.is(noNode.loads, 0, "Dawn was not loaded");
  assert.ok((await probeWebgpu(true, noNode)).ok, "forcing looks anyway");
});

test("probe: no adapter, or Dawn failing to load, is reported with the cause", async () => {
  const none = await probeWebgpu(true, fakeDeps(null));
  assert.equal(none, { ok: false, reason: "no WebGPU adapter was found (Dawn sees no Vulkan, Metal or D3D12 device)" });
  const broken = await probeWebgpu(true, fakeDeps(H200, { loadWebgpu: () => { throw new Error("libvulkan.so.1: cannot open shared object file"); } }));
  assert.equal(broken, { ok: false, reason: "webgpu failed to load: libvulkan.so.1: cannot open shared object file" });
});

test("error messages: what to install for a missing package, the driver for no adapter, and TRAX_BACKEND=wasm", () => {
  const { BackendUnavailableError } = trax.backend;
  const missing = new BackendUnavailableError("webgpu", "webgpu and @tensorflow/tfjs-backend-webgpu are not installed").message;
  assert.match(missing, /backend 'webgpu' is not available \(webgpu and @tensorflow\/tfjs-backend-webgpu are not installed\)/);
  assert.match(missing, /npm install webgpu@\^0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0/);
  assert.match(missing, /TRAX_BACKEND=wasm/);
  const noAdapter = new BackendUnavailableError("webgpu", "no WebGPU adapter was found").message;
  assert.match(noAdapter, /Vulkan \(Linux: the loader libvulkan\.so\.1.*\), Metal \(macOS\) or D3D12 \(Windows\) driver/);
  assert.match(noAdapter, /mesa-vulkan-drivers/);
  assert.match(noAdapter, /TRAX_BACKEND=wasm/);
});

test("automatic choice here (no GPU device node): webgpu is skipped with the reason, wasm runs", async () => {
  const { execFileSync } = await import("node:child_process");
  const env = { ...process.env, TRAX_QUIET: "1" } as NodeJS.ProcessEnv;
  delete env.TRAX_BACKEND;
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e",
    "const t=require('./src'); t.backend.ready().then(i=>console.log(JSON.stringify(i)))"], { env, encoding: "utf8" });
  const info = JSON.parse(out.trim().split("\n").pop() as string);
  const skipped = info.skipped.find((s: { backend: string }) => s.backend === "webgpu");
  assert.ok(skipped, "webgpu is listed among the skipped backends");
  if (info.backend === "wasm") assert.match(skipped.reason, /no GPU device node|software|not installed/);
});

test("forced choice: TRAX_BACKEND=webgpu runs on the software adapter and info() reports it", async () => {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e",
    "const t=require('./src'); t.backend.ready().then(i=>{const y=t.tf.tensor([1,2]).mul(3); console.log(JSON.stringify({...i, y:Array.from(y.dataSync())}))})"],
    { env: { ...process.env, TRAX_BACKEND: "webgpu", TRAX_QUIET: "1" }, encoding: "utf8" });
  const info = JSON.parse(out.trim().split("\n").pop() as string);
  assert.is(info.backend, "webgpu");
  assert.is(info.tfjsBackend, "webgpu");
  assert.ok(info.forced);
  assert.is(info.adapter.kind, "software");
  assert.match(info.adapter.description, /llvmpipe/);
  assert.equal(info.y, [3, 6]);
});

test("weights made on one backend keep working after setBackend to another (both ways)", async () => {
  await trax.backend.setBackend("wasm");
  const model = tl.Serial(tl.Dense(5), tl.Relu(), tl.Dense(3));
  const x = tf.tensor2d([[1, -2, 3, 0.5], [0, 1, -1, 2]]);
  const onWasm = Array.from((model(x) as tf.Tensor).dataSync());
  const gpu = await trax.backend.setBackend("webgpu");
  assert.is(gpu.backend, "webgpu");
  const onGpu = model(x) as tf.Tensor;
  assert.is(trax.tf.getBackend(), "webgpu");
  const a = onGpu.dataSync();
  onWasm.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-5, `${a[i]} vs ${v}`));
  // New weights made on webgpu, read back on wasm.
  const fresh = tl.Dense(2);
  const y1 = Array.from((fresh(x) as tf.Tensor).dataSync());
  await trax.backend.setBackend("wasm");
  assert.equal((fresh(x) as tf.Tensor).shape, [2, 2]);
  const y2 = (fresh(x) as tf.Tensor).dataSync();
  y1.forEach((v, i) => assert.ok(Math.abs(y2[i] - v) < 1e-5, `${y2[i]} vs ${v}`));
});

test("a failed switch leaves the running backend as it was", async () => {
  await trax.backend.setBackend("wasm");
  let message = "";
  await trax.backend.setBackend("node-gpu").catch((e: Error) => (message = e.message));
  assert.match(message, /not available/);
  assert.is(trax.tf.getBackend(), "wasm");
  assert.is(trax.backend.info().backend, "wasm");
});

test("a lost device: reads fail with the cause, the backend and the wasm hint", async () => {
  // In a child process: the device cannot be brought back in this one.
  const { spawnSync } = await import("node:child_process");
  const script = [
    "const t=require('./src');",
    "t.backend.ready().then(()=>{",
    " const x=t.tf.tensor([1,2,3]).add(1); x.dataSync();",
    " t.tf.backend().device.destroy();",
    " setTimeout(()=>{ try { const a=t.tf.ones([64,64]); t.tf.matMul(a,a).dataSync(); console.log('NO ERROR'); } catch(e) { console.log('ERR', e.message); console.log(JSON.stringify(t.backend.info().deviceFailure)); } }, 50);",
    "});",
  ].join("");
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { env: { ...process.env, TRAX_BACKEND: "webgpu", TRAX_QUIET: "1" }, encoding: "utf8" });
  assert.match(r.stdout, /ERR trax-ts \(webgpu/, r.stdout + r.stderr);
  assert.match(r.stdout, /device was lost|device may be lost/);
  assert.match(r.stdout, /TRAX_BACKEND=wasm/);
});

test("a shader that does not compile: the next read fails naming the GPU error, the backend and the wasm hint", async () => {
  const { spawnSync } = await import("node:child_process");
  const script = [
    "const t=require('./src');",
    "t.backend.ready().then(()=>{",
    " const d=t.tf.backend().device; d.createShaderModule({code:'fn main( { this is not WGSL'});",
    " try { const a=t.tf.ones([64,64]); t.tf.matMul(a,a).dataSync(); console.log('NO ERROR'); } catch(e) { console.log('ERR', e.message); }",
    "});",
  ].join("");
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { env: { ...process.env, TRAX_BACKEND: "webgpu", TRAX_QUIET: "1" }, encoding: "utf8" });
  assert.match(r.stdout, /ERR trax-ts \(webgpu backend\): the GPU reported an error/, r.stdout + r.stderr);
  assert.match(r.stdout, /TRAX_BACKEND=wasm/);
});

test("an op the backend lacks: the LayerError names the op, the backend and the way out", () => {
  const layer = tl.Fn("NeedsMissingOp", (x: tf.Tensor) => tf.engine().runKernel("TraxNoSuchOp", { x }) as tf.Tensor);
  let message = "";
  try {
    layer(tf.ones([2]));
  } catch (e) {
    assert.instance(e, tl.LayerError);
    message = (e as Error).message;
  }
  const backend = trax.tf.getBackend();
  assert.match(message, new RegExp(`Kernel 'TraxNoSuchOp' not registered for backend '${backend}'`));
  assert.match(message, new RegExp(`Hint: the ${backend} backend has no kernel for the op 'TraxNoSuchOp'`));
  assert.equal(trax.backend.backendHint("Kernel 'Cumprod' not registered for backend 'webgpu'"),
    "Hint: the webgpu backend has no kernel for the op 'Cumprod'. Use TRAX_BACKEND=wasm (or trax.backend.setBackend(\"wasm\")) to run it on the CPU.");
  assert.is(trax.backend.backendHint("shapes [2] and [3] do not match"), null);
});

test.run();
