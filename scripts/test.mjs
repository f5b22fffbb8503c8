#!/usr/bin/env node
// Runs every test file in its own process (uvu via tsx), two at a time, and
// ends with one line: "N passed, N failed".
// Usage: node scripts/test.mjs [filter...]
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const filters = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 600000);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const files = walk(path.join(root, "test"))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: root,
      // One wasm thread unless asked (starting the threaded build's worker pool costs each
      // test process about 2 s of CPU); test/backend/threads.test.ts tests the threads.
      env: { TRAX_THREADS: "1", ...process.env, TRAX_QUIET: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[test runner] timed out after ${TIMEOUT_MS / 1000}s\n`;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const num = (label) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out);
        return m ? Number(m[1]) : null;
      };
      const total = num("Total");
      const passed = num("Passed");
      const skipped = num("Skipped") ?? 0;
      // uvu's Total counts the tests it ran; tests skipped with test.skip are only in Skipped
      // (subtracting them too made a file whose tests were all skipped report negative failures).
      let failed;
      if (total === null || passed === null) failed = 1;
      else failed = total - passed;
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ file, passed: passed ?? 0, failed, skipped, out, seconds: (Date.now() - started) / 1000 });
    });
  });
}

// Dawn (the webgpu backend) warns without a runtime directory; give it a private one.
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = path.join(os.tmpdir(), `trax-ts-xdg-${process.getuid?.() ?? "user"}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

const results = [];
const queue = [...files];
const workers = Math.max(1, Math.min(Number(process.env.TEST_JOBS ?? Math.min(2, os.cpus().length)), files.length));
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (queue.length > 0) {
      const file = queue.shift();
      const r = await runFile(file);
      results.push(r);
      const rel = path.relative(root, file);
      const status = r.failed === 0 ? "ok  " : "FAIL";
      console.log(`${status} ${rel}  (${r.passed} passed, ${r.failed} failed, ${r.seconds.toFixed(1)}s)`);
      if (r.failed > 0) console.log(r.out.split("\n").map((l) => "     | " + (l.length > 400 ? l.slice(0, 400) + " …" : l)).join("\n"));
    }
  })
);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
const skipped = results.reduce((a, r) => a + r.skipped, 0);
console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed === 0 && files.length > 0 ? 0 : 1);
