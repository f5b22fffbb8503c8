/**
 * The `trax-ts` command line: help, argument errors, and `kernel install`
 * writing a kernelspec that starts this package's launcher, registered with
 * Jupyter in a temporary prefix (`jupyter kernelspec list` shows it).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { JUPYTER, KernelEnv, LAUNCHER, PACKAGE_ROOT, installTempKernel, missingJupyter, runCli } from "./jupyter-env";
import { kernelSpec, writeKernelSpecDir } from "../../src/kernel/install";
import { USAGE, runCli as runCliInProcess } from "../../src/cli";

const missing = missingJupyter();
if (missing) console.log(`SKIP kernelspec registration: ${missing}`);
const withJupyter = missing ? test.skip : test;

test("--help prints the commands and exits 0", () => {
  const r = runCli(["--help"]);
  assert.is(r.status, 0);
  assert.is(r.stdout, USAGE);
  for (const c of ["kernel install", "--user", "--prefix", "repl"]) assert.ok(r.stdout.includes(c), c);
});

test("--version prints the package version", () => {
  const r = runCli(["--version"]);
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  assert.is(r.stdout.trim(), pkg.version);
});

test("no command prints the usage and fails", () => {
  const r = runCli([]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /Usage: trax-ts/);
});

test("bad command lines fail with a message and the usage (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /unknown command: frobnicate/],
    [["kernel"], /kernel needs a command/],
    [["kernel", "uninstall"], /unknown kernel command: uninstall/],
    [["kernel", "install", "--user", "--prefix", "/tmp/x"], /--user or --prefix, not both/],
    [["kernel", "install", "--prefix"], /--prefix needs a value/],
    [["kernel", "install", "--frob"], /unknown option for 'kernel install': --frob/],
    [["kernel", "start"], /needs the connection file/],
    [["repl", "extra"], /repl takes only --check \(got extra\)/],
  ];
  const write = process.stderr.write.bind(process.stderr);
  for (const [args, message] of cases) {
    let err = "";
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await runCliInProcess(args);
    } finally {
      process.stderr.write = write;
    }
    assert.is(code, 2, args.join(" "));
    assert.match(err, message);
    assert.match(err, /Usage: trax-ts/);
  }
});

test("the kernelspec runs this package's launcher with this node, on Jupyter's connection file", () => {
  const spec = kernelSpec();
  assert.is(spec.argv[0], process.execPath);
  assert.ok(path.isAbsolute(spec.argv[1]));
  assert.ok(fs.existsSync(spec.argv[1]), `${spec.argv[1]} exists`);
  assert.is(path.basename(spec.argv[1]), "trax-ts.js");
  assert.equal(spec.argv.slice(2), ["kernel", "start", "{connection_file}"]);
  assert.is(spec.language, "typescript");
  assert.is(spec.metadata, undefined, "the template's note is not copied");
  assert.is(kernelSpec({ displayName: "My TS" }).display_name, "My TS");
  assert.is(kernelSpec().display_name, "TypeScript (trax-ts)");
  assert.is(kernelSpec({ name: "trax-ts" }).display_name, "TypeScript (trax-ts)");
  assert.is(kernelSpec({ name: "dev", displayName: "Mine" }).display_name, "Mine", "--display-name wins");
});

test("writeKernelSpecDir writes kernel.json into a folder named after the kernel", () => {
  const dir = writeKernelSpecDir("trax-ts-x");
  try {
    assert.is(path.basename(dir), "trax-ts-x");
    const spec = JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));
    assert.equal(spec, kernelSpec({ name: "trax-ts-x" }));
    assert.is(spec.display_name, "TypeScript (trax-ts: trax-ts-x)", "the display name follows the kernel name");
    assert.equal(fs.readdirSync(dir).sort(), ["kernel.json", "logo-32x32.png", "logo-64x64.png"]);
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test("the launcher in bin/ is executable and starts with a node shebang", () => {
  const text = fs.readFileSync(LAUNCHER, "utf8");
  assert.ok(text.startsWith("#!/usr/bin/env node\n"));
  assert.ok((fs.statSync(LAUNCHER).mode & 0o111) !== 0, "executable");
});

let k: KernelEnv | undefined;
test.after(() => k?.cleanup());

withJupyter("`kernel install --prefix P` registers trax-ts; `jupyter kernelspec list` shows it", () => {
  k = installTempKernel();
  const spec = JSON.parse(fs.readFileSync(path.join(k.kernelDir, "kernel.json"), "utf8"));
  assert.equal(spec.argv, [process.execPath, LAUNCHER, "kernel", "start", "{connection_file}"]);
  assert.ok(fs.existsSync(path.join(k.kernelDir, "logo-64x64.png")), "the logo is installed");
  const list = spawnSync(JUPYTER, ["kernelspec", "list", "--json"], { encoding: "utf8", env: k.env });
  assert.is(list.status, 0, list.stderr);
  const specs = (JSON.parse(list.stdout) as { kernelspecs: Record<string, { resource_dir: string }> }).kernelspecs;
  assert.ok("trax-ts" in specs, `trax-ts in ${Object.keys(specs)}`);
  assert.is(fs.realpathSync(specs["trax-ts"].resource_dir), fs.realpathSync(k.kernelDir));
});

withJupyter("`--name` installs under another name; reinstalling replaces it", () => {
  k ??= installTempKernel();
  const prefix = path.join(k.dir, "prefix");
  for (let i = 0; i < 2; i++) {
    const r = runCli(["kernel", "install", "--prefix", prefix, "--name", "trax-ts-dev", "--display-name", "trax-ts (dev)"], k.env);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /Installed the trax-ts kernel 'trax-ts-dev'/);
  }
  const spec = JSON.parse(fs.readFileSync(path.join(prefix, "share", "jupyter", "kernels", "trax-ts-dev", "kernel.json"), "utf8"));
  assert.is(spec.display_name, "trax-ts (dev)");
  // Without --display-name, the menu name is derived from --name: two kernels never look alike.
  const r = runCli(["kernel", "install", "--prefix", prefix, "--name", "trax-ts-b"], k.env);
  assert.is(r.status, 0, r.stderr);
  const b = JSON.parse(fs.readFileSync(path.join(prefix, "share", "jupyter", "kernels", "trax-ts-b", "kernel.json"), "utf8"));
  assert.is(b.display_name, "TypeScript (trax-ts: trax-ts-b)");
});

test("a missing jupyter command is reported plainly", () => {
  const r = runCli(["kernel", "install", "--prefix", "/tmp/never-used"], { ...process.env, TRAX_JUPYTER: "/nonexistent/jupyter" });
  assert.is(r.status, 1);
  assert.match(r.stderr, /'\/nonexistent\/jupyter' was not found; install Jupyter first/);
});

test.run();
