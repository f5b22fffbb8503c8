#!/usr/bin/env node
// Runs the tutorial notebooks through the trax-ts kernel.
//
//   node scripts/notebooks.mjs execute [--inplace] [--out DIR] [--html] [name ...]
//
// Without --inplace, the executed copies go to --out (default out/notebooks/);
// --html also writes an HTML export of each (nbconvert --to html). --inplace
// rewrites notebooks/*.ipynb with fresh outputs (what gets committed). Names
// select notebooks by substring ("02", "digits"); none means all. The kernel
// is registered into a temporary prefix (JUPYTER_PATH), so nothing in the
// user's Jupyter setup is touched. Exits non-zero if a notebook has an error
// output. Also a module: scripts/main.mjs imports it.
//
// Executed notebooks are stored without the vega libraries (850 KB that the
// first chart of a session carries so that a live notebook draws charts):
// the HTML export adds them once, in its <head>, so it stays self-contained.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const NOTEBOOKS = path.join(ROOT, "notebooks");
export const KERNEL_NAME = "trax-ts";

/** Notebook files in notebooks/, sorted, optionally filtered by substrings of their names. */
export function notebookFiles(filters = []) {
  return readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb") && (filters.length === 0 || filters.some((s) => f.includes(s))))
    .sort()
    .map((f) => path.join(NOTEBOOKS, f));
}

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/. */
export function ensureBuilt(log = console.log) {
  const index = path.join(ROOT, "dist", "index.js");
  const cli = path.join(ROOT, "dist", "cli.js");
  if (existsSync(index) && existsSync(cli) && statSync(index).mtimeMs >= newestMtime(path.join(ROOT, "src"))) return false;
  log("trax-ts: building dist/ (npm run build)");
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("the build failed; see the errors above");
  return true;
}

/** Registers the kernel: `{ user: true }` for the user's Jupyter, `{ prefix }` for a folder. Returns the JUPYTER_PATH entry for a prefix. */
export function installKernel({ user = false, prefix = null } = {}) {
  const args = [path.join(ROOT, "bin", "trax-ts.js"), "kernel", "install", ...(user ? ["--user"] : ["--prefix", prefix])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`trax-ts kernel install failed:\n${r.stdout}${r.stderr}`);
  return prefix ? path.join(prefix, "share", "jupyter") : null;
}

/**
 * Signs notebooks as trusted for this user (`jupyter trust`), so that Jupyter
 * shows their stored rich output unsanitized. Returns `{ ok, count, why }`.
 */
export function trustNotebooks(files, env = process.env) {
  if (files.length === 0) return { ok: true, count: 0 };
  // `jupyter trust` is nbformat's; Debian ships its command apart (jupyter-nbformat), the module always.
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  let why = "";
  for (const [cmd, args] of [["jupyter", ["trust"]], [python, ["-m", "nbformat.sign"]]]) {
    const r = spawnSync(cmd, [...args, ...files], { encoding: "utf8", env });
    if (r.status === 0) return { ok: true, count: files.length };
    why ||= (r.error?.message ?? `${r.stdout}${r.stderr}`).trim().split("\n").pop();
  }
  return { ok: false, count: 0, why };
}

/** Whether `jupyter <sub> --version` runs. */
export function hasJupyter(sub) {
  const r = spawnSync("jupyter", sub ? [sub, "--version"] : ["--version"], { encoding: "utf8" });
  return r.status === 0;
}

/** trax-ts's chart helpers (from dist/: build first). */
function vegaHelpers() {
  return createRequire(import.meta.url)(path.join(ROOT, "dist", "display", "vega.js"));
}

/** Removes the vega libraries from a notebook's outputs (charts keep their spec, drawing script and images). Returns bytes saved. */
export function slimNotebook(file) {
  const { stripVegaLibrary } = vegaHelpers();
  const text = readFileSync(file, "utf8");
  const nb = JSON.parse(text);
  let changed = false;
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      const html = o.data?.["text/html"];
      if (html === undefined) continue;
      const joined = Array.isArray(html) ? html.join("") : html;
      const slim = stripVegaLibrary(joined);
      if (slim === joined) continue;
      changed = true;
      o.data["text/html"] = slim.split(/(?<=\n)/);
    }
  }
  if (!changed) return 0;
  const out = JSON.stringify(nb, null, 1) + "\n";
  writeFileSync(file, out);
  return text.length - out.length;
}

/** Puts the vega libraries into an exported page's <head> when it has charts. */
export function addVegaLibrary(htmlFile) {
  const html = readFileSync(htmlFile, "utf8");
  if (!html.includes('class="trax-chart"') || !html.includes("</head>")) return false;
  const { vegaLibraryScript } = vegaHelpers();
  // Spliced, not String.replace: the libraries' code holds "$&" and "$'", which a replacement string would expand.
  const at = html.indexOf("</head>");
  writeFileSync(htmlFile, `${html.slice(0, at)}${vegaLibraryScript()}\n${html.slice(at)}`);
  return true;
}

function errorOutputs(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const errors = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  });
  return errors;
}

/**
 * Executes one notebook through the kernel registered in `jupyterPath`
 * (null: the user's registry). Writes `outDir/<name>` (or rewrites the file
 * with `inplace`). Returns `{ file, seconds, errors }`.
 */
export function executeNotebook(file, { outDir = null, inplace = false, jupyterPath = null, cellTimeout = 300 } = {}) {
  const name = path.basename(file);
  const target = inplace ? ["--inplace"] : ["--output-dir", outDir, "--output", name];
  const started = Date.now();
  const r = spawnSync(
    "jupyter",
    ["nbconvert", "--to", "notebook", "--execute", "--allow-errors", `--ExecutePreprocessor.timeout=${cellTimeout}`, `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`, ...target, file],
    { cwd: path.dirname(file), encoding: "utf8", env: { ...process.env, ...(jupyterPath ? { JUPYTER_PATH: jupyterPath } : {}) }, maxBuffer: 64 << 20 }
  );
  const seconds = (Date.now() - started) / 1000;
  const written = inplace ? file : path.join(outDir, name);
  if (r.status !== 0 || !existsSync(written)) throw new Error(`nbconvert --execute ${name} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
  slimNotebook(written);
  return { file: written, seconds, errors: errorOutputs(written) };
}

/** Exports an executed notebook to HTML next to it (or into `outDir`). Returns the HTML path. */
export function exportHtml(file, outDir = path.dirname(file)) {
  const r = spawnSync("jupyter", ["nbconvert", "--to", "html", "--output-dir", outDir, file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const html = path.join(outDir, path.basename(file).replace(/\.ipynb$/, ".html"));
  if (r.status !== 0 || !existsSync(html)) throw new Error(`nbconvert --to html ${path.basename(file)} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  addVegaLibrary(html);
  return html;
}

/**
 * Executes notebooks (all, or those matching `filters`) through a kernel
 * registered in a temporary prefix. Returns the results; logs one line each.
 */
export function runNotebooks({ filters = [], outDir = path.join(ROOT, "out", "notebooks"), inplace = false, html = false, log = console.log } = {}) {
  ensureBuilt(log);
  if (!hasJupyter("nbconvert")) throw new Error("jupyter nbconvert is missing: run `bash scripts/install-system-deps.sh`");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-notebooks-"));
  const results = [];
  try {
    const jupyterPath = installKernel({ prefix: path.join(tmp, "prefix") });
    if (!inplace) mkdirSync(outDir, { recursive: true });
    for (const file of notebookFiles(filters)) {
      const r = executeNotebook(file, { outDir, inplace, jupyterPath });
      if (html) r.html = exportHtml(r.file, inplace ? outDir : path.dirname(r.file));
      results.push(r);
      const rel = path.relative(ROOT, r.file);
      log(`${r.errors.length ? "ERROR" : "ok   "} ${rel}  (${r.seconds.toFixed(1)} s)${r.html ? `  + ${path.relative(ROOT, r.html)}` : ""}`);
      for (const e of r.errors) log(`      ${e}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const command = args.shift();
  if (command !== "execute") {
    console.error("usage: node scripts/notebooks.mjs execute [--inplace] [--out DIR] [--html] [name ...]");
    process.exit(2);
  }
  const opts = { filters: [], inplace: false, html: false, outDir: path.join(ROOT, "out", "notebooks") };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--inplace") opts.inplace = true;
    else if (args[i] === "--html") opts.html = true;
    else if (args[i] === "--out") opts.outDir = path.resolve(args[++i]);
    else opts.filters.push(args[i]);
  }
  try {
    const results = runNotebooks(opts);
    process.exit(results.some((r) => r.errors.length) ? 1 : 0);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
