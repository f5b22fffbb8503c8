/**
 * The README's quick start runs as written: its TypeScript block is executed
 * as an ES module (top-level await) against the built package, and what its
 * comments promise is what it prints.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const test = suite("README");

function quickStart(): string {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Quick start"));
  assert.ok(section, "the README has a Quick start section");
  const block = /```ts\n([\s\S]*?)```/.exec(section as string);
  assert.ok(block, "the Quick start section has a ts code block");
  return (block as RegExpExecArray)[1];
}

test("the quick start runs and prints what its comments say", () => {
  const code = quickStart();
  // Inside the package, so that "trax-ts" resolves to this package by name.
  const file = path.join(root, "test", "package", `.quickstart-${process.pid}.mts`);
  writeFileSync(file, code);
  let out = "";
  try {
    out = execFileSync(process.execPath, ["--import", "tsx", file], {
      cwd: root,
      env: { ...process.env, TRAX_QUIET: "1" },
      encoding: "utf8",
    });
  } finally {
    rmSync(file, { force: true });
  }
  // Every `console.log(...); // expected` line of the block must print its expected text.
  const expected = [...code.matchAll(/console\.log\([^;]*\);\s*\/\/\s*(.+)$/gm)].map((m) => m[1].trim());
  assert.ok(expected.length >= 2, "the quick start states what it prints");
  const lines = out.trim().split("\n").map((l) => l.trim());
  assert.equal(lines.slice(0, expected.length).map((l) => l.replace(/\s+/g, " ")), expected.map((e) => e.replace(/\s+/g, " ")));
});

test("outside the checkout, the README's `npx --prefix <checkout> trax-ts` finds the command (no registry lookup)", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  assert.match(readme, /npx --prefix \/path\/to\/trax-ts trax-ts repl/);
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string; bin: Record<string, string> };
  assert.ok(pkg.bin["trax-ts"], "package.json names the trax-ts command in bin");
  const out = execFileSync("npx", ["--offline", "--prefix", root, "trax-ts", "--version"], {
    cwd: os.tmpdir(),
    env: { ...process.env, TRAX_QUIET: "1" },
    encoding: "utf8",
  });
  assert.is(out.trim(), pkg.version);
});

test.run();
