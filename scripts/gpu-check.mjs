#!/usr/bin/env node
// The device check: on a machine with a GPU, prints the WebGPU adapter and
// runs the Dense, attention and training benchmarks on webgpu and on wasm in
// one run, then a table of both (wall times, ours; lower is faster).
//
// Two steps, because the GPU machine may have no npm registry:
//   here (npm ci done):  node scripts/gpu-check.mjs --prepare [--with-node]
//       builds dist/, compiles bench/*.ts to plain JavaScript and writes a
//       self-contained folder out/gpu-check/ (dist/, bench/, the runtime
//       files of the node_modules it needs, linux-x64 Dawn only, the Vulkan
//       loader; ~30 MB; --with-node adds this node binary as node.xz, ~25 MB)
//   there (plain node >= 18, no tsx, no network):
//       node out/gpu-check/gpu-check.mjs        (or: bash scripts/gpu-check.sh)
// Options there: BENCHES=dense,attention,train  BACKENDS=webgpu,wasm
//   BENCH_TIMEOUT_S=100 (per bench and backend)  SHAPE=b,l,d (attention)
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv.includes("--prepare")) {
  prepare(path.resolve(here, ".."));
} else {
  await check(existsSync(path.join(here, "dist")) ? here : path.resolve(here, ".."));
}

/** Builds out/gpu-check/: dist, compiled benches, the node_modules files they load, this script. */
function prepare(root) {
  const out = path.join(root, "out", "gpu-check");
  console.log("gpu-check --prepare: building dist/ ...");
  execFileSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(path.join(root, "dist"), path.join(out, "dist"), { recursive: true, filter: (p) => !p.endsWith(".map") && !p.endsWith(".d.ts") });
  const benches = readdirSync(path.join(root, "bench")).filter((n) => n.endsWith(".ts"));
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, [...benches.map((n) => path.join(root, "bench", n)), "--format=cjs", "--platform=node", "--target=node18",
    `--outdir=${path.join(out, "bench")}`, "--log-level=warning"], { stdio: "inherit" });
  writeFileSync(path.join(out, "bench", "package.json"), '{ "type": "commonjs" }\n');
  // The training bench's PyTorch row runs this script where /usr/bin/python3 has torch.
  copyFileSync(path.join(root, "bench", "torch_steps.py"), path.join(out, "bench", "torch_steps.py"));
  cpSync(fileURLToPath(import.meta.url), path.join(out, "gpu-check.mjs"));
  cpSync(path.join(root, "scripts", "gpu-check.sh"), path.join(out, "gpu-check.sh"));
  // Which node_modules files does the library load? Start every backend once (webgpu forced).
  const probe = [
    "const t=require(process.argv[1]);",
    "(async()=>{for (const b of ['wasm','cpu','webgpu']) { try { await t.backend.setBackend(b); t.tf.ones([64,64]).matMul(t.tf.ones([64,64])).dataSync(); } catch (e) { console.error('gpu-check --prepare: '+b+': '+e.message); } }",
    "console.log(JSON.stringify(Object.keys(require.cache)));process.exit(0)})()",
  ].join("");
  const loaded = JSON.parse(execFileSync(process.execPath, ["-e", probe, path.join(root, "dist")],
    { cwd: root, encoding: "utf8", env: { ...process.env, TRAX_QUIET: "1" }, stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop());
  const nm = path.join(root, "node_modules") + path.sep;
  const files = new Set(loaded.filter((f) => f.startsWith(nm)));
  const pkgRoots = new Set();
  for (const f of files) {
    const rel = f.slice(nm.length).split(path.sep);
    const depth = rel[0].startsWith("@") ? 2 : 1;
    for (let i = depth; i < rel.length; i++) {
      if (rel[i - 1] !== "node_modules" && i === depth) pkgRoots.add(rel.slice(0, i).join(path.sep));
      if (rel[i] === "node_modules") pkgRoots.add(rel.slice(0, i + 1 + (rel[i + 1]?.startsWith("@") ? 2 : 1)).join(path.sep));
    }
  }
  for (const p of pkgRoots) if (existsSync(path.join(nm, p, "package.json"))) files.add(path.join(nm, p, "package.json"));
  const wasmDir = path.join(nm, "@tensorflow", "tfjs-backend-wasm", "dist");
  for (const n of readdirSync(wasmDir)) if (n.endsWith(".wasm")) files.add(path.join(wasmDir, n));
  const dawn = path.join(nm, "webgpu", "dist", "linux-x64", "dawn.node");
  if (existsSync(dawn)) files.add(dawn);
  // The Vulkan loader, for a GPU machine whose image lacks it (used only when the system has none).
  const loader = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
  if (existsSync(loader)) {
    mkdirSync(path.join(out, "lib"), { recursive: true });
    cpSync(loader, path.join(out, "lib", "libvulkan.so.1"), { dereference: true });
  }
  // --with-node: this machine's node, xz-compressed, for a GPU machine without node (~25 MB).
  if (process.argv.includes("--with-node")) {
    execFileSync("sh", ["-c", `xz -T0 -6 -c "${process.execPath}" > "${path.join(out, "node.xz")}"`], { stdio: "inherit" });
  }
  let bytes = 0;
  for (const f of files) {
    const to = path.join(out, "node_modules", f.slice(nm.length));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(f, to);
    bytes += statSync(f).size;
  }
  console.log(`gpu-check --prepare: wrote ${path.relative(root, out)}/ (${files.size} node_modules files, ${(bytes / 2 ** 20).toFixed(1)} MiB).`);
  console.log(`On the GPU machine: node ${path.relative(root, out)}/gpu-check.mjs   (or: bash ${path.relative(root, out)}/gpu-check.sh)`);
}

/** Runs a command with a time limit; resolves with its output. */
function run(args, env, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, TRAX_QUIET: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => { out += `\n(timed out after ${timeoutS} s)`; child.kill("SIGKILL"); }, timeoutS * 1000);
    const t0 = Date.now();
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out, seconds: (Date.now() - t0) / 1000 }); });
  });
}

/** The main timing of a bench line: the first "ours <n> ms" or "ours <n> s (wall <n> s)", in ms (wall). */
function oursMs(line) {
  const wall = /ours [\d.]+ s \(wall ([\d.]+) s\)/.exec(line);
  if (wall) return Number(wall[1]) * 1000;
  const ms = /ours ([\d.]+) ms/.exec(line);
  if (ms) return Number(ms[1]);
  const us = /ours ([\d.]+) us/.exec(line);
  return us ? Number(us[1]) / 1000 : null;
}

async function check(dir) {
  if (!process.env.XDG_RUNTIME_DIR) {
    const x = path.join(os.tmpdir(), `trax-ts-xdg-${process.getuid?.() ?? "user"}`);
    mkdirSync(x, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = x;
  }
  const dist = path.join(dir, "dist");
  const benchDir = existsSync(path.join(dir, "bench", "dense.bench.js")) ? path.join(dir, "bench") : null;
  console.log(`gpu-check: node ${process.version} on ${os.platform()}-${os.arch()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})`);
  const smi = spawnSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { encoding: "utf8" });
  if (smi.status === 0) console.log(`gpu-check: nvidia-smi: ${smi.stdout.trim()}`);
  const devs = [...(existsSync("/dev/dri") ? readdirSync("/dev/dri").map((n) => `dri/${n}`) : []), ...readdirSync("/dev").filter((n) => /^nvidia|^dxg$/.test(n))];
  console.log(`gpu-check: GPU device nodes: ${devs.join(" ") || "none"}`);
  const infoScript = "const t=require(process.argv[1]); t.backend.ready().then(i=>console.log(JSON.stringify(i)), e=>{console.log(JSON.stringify({error:e.message}))})";
  for (const [label, env] of [["automatic choice", { TRAX_BACKEND: "" }], ["forced webgpu", { TRAX_BACKEND: "webgpu" }]]) {
    const r = await run(["-e", infoScript, dist], env, 60);
    const last = r.out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
    let shown = r.out.trim();
    try {
      const i = JSON.parse(last);
      shown = i.error ? `ERROR ${i.error}` : `${i.backend}; adapter ${JSON.stringify(i.adapter ?? null)}; skipped ${JSON.stringify(i.skipped)}`;
    } catch { /* raw output */ }
    console.log(`gpu-check: ${label}: ${shown}`);
  }
  if (!benchDir) {
    console.log("gpu-check: no compiled benches (bench/*.js); run `node scripts/gpu-check.mjs --prepare` where npm works, then run out/gpu-check/gpu-check.mjs");
    process.exit(1);
  }
  const benches = (process.env.BENCHES ?? "dense,attention,train").split(",").filter(Boolean);
  const backends = (process.env.BACKENDS ?? "webgpu,wasm").split(",").filter(Boolean);
  const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 100);
  const rows = [];
  for (const b of benches) {
    for (const backend of backends) {
      const r = await run([path.join(benchDir, `${b}.bench.js`)], { TRAX_BACKEND: backend }, timeoutS);
      const lines = r.out.split("\n").filter((l) => /\((webgpu|wasm|cpu|node|node-gpu)\)/.test(l) && /ours/.test(l));
      console.log(`\n== ${b} on ${backend} (${r.seconds.toFixed(0)} s, exit ${r.code})`);
      console.log(lines.length ? lines.join("\n") : r.out.trim().split("\n").slice(-8).join("\n"));
      lines.forEach((line, k) => rows.push({ bench: `${b}#${k + 1} ${line.split(":")[0].replace(/\s*\((webgpu|wasm|cpu|node|node-gpu)\)/, "")}`, backend, ms: oursMs(line) }));
    }
  }
  console.log("\ngpu-check: ours, wall ms per step (lower is faster)");
  const names = [...new Set(rows.map((r) => r.bench))];
  const header = ["bench", ...backends, backends.length === 2 ? `${backends[1]}/${backends[0]}` : ""].filter(Boolean);
  const table = names.map((n) => {
    const ms = backends.map((b) => rows.find((r) => r.bench === n && r.backend === b)?.ms ?? null);
    const speedup = ms.length === 2 && ms[0] && ms[1] ? (ms[1] / ms[0]).toFixed(1) + "x" : "";
    return [n.slice(0, 90), ...ms.map((m) => (m == null ? "-" : m.toFixed(1))), ...(backends.length === 2 ? [speedup] : [])];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => String(r[i]).length)));
  const fmt = (r) => "| " + r.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  console.log(fmt(header));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  table.forEach((r) => console.log(fmt(r)));
}
