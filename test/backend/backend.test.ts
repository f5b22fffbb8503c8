import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ready, trax } from "../helpers";

const test = suite("backend");
test.before(ready);

test("info() reports the running backend and why faster ones were skipped", () => {
  const info = trax.backend.info();
  assert.ok(["wasm", "cpu", "node", "node-gpu"].includes(info.backend));
  assert.is(info.tfjsBackend, trax.tf.getBackend());
  assert.ok(info.devices.length >= 1);
  if (!process.env.TRAX_BACKEND && info.backend === "wasm") {
    assert.ok(info.skipped.some((s) => s.backend === "node-gpu" && /tfjs-node-gpu/.test(s.reason)));
  }
});

test("forcing a missing backend names the package to install", async () => {
  let threw = false;
  try {
    await trax.backend.setBackend("node-gpu");
  } catch (e) {
    threw = true;
    assert.match(String(e), /npm install @tensorflow\/tfjs-node-gpu/);
  }
  assert.ok(threw, "node-gpu is not installed here, so forcing it must fail");
  await trax.backend.setBackend("wasm");
});

test("switching backends works and computation follows", async () => {
  const cpu = await trax.backend.setBackend("cpu");
  assert.is(cpu.backend, "cpu");
  assert.is(trax.tf.getBackend(), "cpu");
  assert.equal(Array.from(trax.tf.tensor([1, 2]).add(1).dataSync()), [2, 3]);
  const wasm = await trax.backend.setBackend("wasm");
  assert.is(wasm.backend, "wasm");
  let message = "";
  await trax.backend.setBackend("tpu").catch((e: Error) => (message = e.message));
  assert.match(message, /unknown backend 'tpu'/);
  assert.is(trax.tf.getBackend(), "wasm");
});

test("TRAX_BACKEND forces a backend in a fresh process", async () => {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e",
    "const t=require('./src'); t.backend.ready().then(i=>console.log(i.backend, i.forced))"],
    { env: { ...process.env, TRAX_BACKEND: "cpu" }, encoding: "utf8" });
  assert.match(out.trim(), /^cpu true$/);
  let failed = "";
  try {
    execFileSync(process.execPath, ["--import", "tsx", "-e",
      "const t=require('./src'); t.backend.ready().then(()=>process.exit(0), e=>{console.log(e.message); process.exit(3)})"],
      { env: { ...process.env, TRAX_BACKEND: "node", TRAX_QUIET: "1" }, encoding: "utf8" });
  } catch (e) {
    failed = String((e as { stdout?: string }).stdout);
  }
  assert.match(failed, /npm install @tensorflow\/tfjs-node@/);
});

test.run();
