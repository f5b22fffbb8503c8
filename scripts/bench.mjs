#!/usr/bin/env node
// `npm run bench`: builds the package, then runs every bench/*.bench.ts one
// after another (each in its own `node --import tsx` process, against the
// built ../dist) and prints each bench's result lines.
// Usage: node scripts/bench.mjs [filter...]   (filters select benches by substring)
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const filters = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 900000);

const benchDir = path.join(root, "bench");
const all = readdirSync(benchDir).filter((n) => n.endsWith(".bench.ts")).sort();
const benches = all.filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)));
if (benches.length === 0) {
  console.error(`bench: no bench matches ${filters.map((f) => JSON.stringify(f)).join(", ")} (have: ${all.join(", ")})`);
  process.exit(1);
}

console.log("bench: building (node scripts/build.mjs) ...");
const build = spawnSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
  console.error(`bench: the build failed (exit ${build.status ?? build.signal}); no bench was run`);
  process.exit(1);
}

function runBench(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(benchDir, name)], {
      cwd: root,
      // One wasm thread unless TRAX_THREADS says otherwise: CPU-time ratios stay meaningful,
      // and threads.bench.ts compares one thread against all of them.
      env: { TRAX_THREADS: "1", ...process.env, TRAX_QUIET: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const timer = setTimeout(() => {
      console.error(`bench: ${name} timed out after ${TIMEOUT_MS / 1000}s`);
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ name, ok: code === 0, code: code ?? signal, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = [];
for (const name of benches) {
  console.log(`\n== ${name}`);
  results.push(await runBench(name));
}
const failed = results.filter((r) => !r.ok);
console.log(`\nbench: ${results.length - failed.length} of ${results.length} benches ran` +
  (failed.length ? `; failed: ${failed.map((r) => `${r.name} (exit ${r.code})`).join(", ")}` : "") +
  ` (${results.reduce((s, r) => s + r.seconds, 0).toFixed(0)} s)`);
process.exit(failed.length ? 1 : 0);
