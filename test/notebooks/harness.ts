/**
 * Executes a notebook of notebooks/ end to end through the real trax-ts
 * kernel, the way CI and a reader's Jupyter do: registers the kernel into a
 * temporary prefix with the package's own CLI (`bin/trax-ts.js kernel install
 * --prefix P`), runs `jupyter nbconvert --to notebook --execute` with
 * JUPYTER_PATH pointing there, and reads the executed copy back.
 *
 * Needs the built package (dist/): `npm test` builds first, and so does
 * `npm run test:notebooks` (its pre-script).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";

export const ROOT = path.resolve(__dirname, "../..");
export const NOTEBOOKS = path.join(ROOT, "notebooks");
/** The kernel name the notebooks ask for (metadata.kernelspec.name). */
export const KERNEL_NAME = "trax-ts";

/** One output of a notebook cell, as nbformat 4 stores it. */
export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** One notebook cell, as nbformat 4 stores it. */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

/** A notebook, as nbformat 4 stores it. */
export interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name: string; language?: string; display_name?: string }; language_info?: { name?: string } };
  nbformat: number;
}

export const joinText = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join("") : t ?? "");

export function readNotebook(file: string): Notebook {
  return JSON.parse(readFileSync(file, "utf8")) as Notebook;
}

/** Every notebook file in notebooks/, sorted. */
export function notebookFiles(): string[] {
  if (!existsSync(NOTEBOOKS)) return [];
  return readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(NOTEBOOKS, f));
}

/** Throws with a clear message when the package is not built or the tools are missing. */
export function checkPrerequisites(): void {
  if (!existsSync(path.join(ROOT, "dist", "cli.js"))) {
    throw new Error("notebook tests need the built package (dist/cli.js is missing): run `npm run build` (npm test and npm run test:notebooks build first)");
  }
  const j = spawnSync("jupyter", ["nbconvert", "--version"], { encoding: "utf8" });
  if (j.status !== 0) {
    throw new Error("notebook tests need Jupyter's nbconvert (`jupyter nbconvert`): run `bash scripts/install-system-deps.sh`");
  }
}

/** Warns when src/ has files newer than the build (the notebooks would run old code). */
export function staleBuildWarning(): string | null {
  const built = statSync(path.join(ROOT, "dist", "index.js")).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (name.endsWith(".ts") && s.mtimeMs > built) newer.push(path.relative(ROOT, p));
    }
  };
  walk(path.join(ROOT, "src"));
  return newer.length ? `warning: dist/ is older than ${newer.length} source file(s) (${newer.slice(0, 3).join(", ")}...); run npm run build` : null;
}

/** Registers the trax-ts kernel into a fresh temporary prefix; returns the JUPYTER_PATH entry. */
export function installKernel(prefix: string): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "trax-ts.js"), "kernel", "install", "--prefix", prefix], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env },
  });
  if (r.status !== 0) throw new Error(`kernel install --prefix ${prefix} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const jupyterPath = path.join(prefix, "share", "jupyter");
  const spec = path.join(jupyterPath, "kernels", KERNEL_NAME, "kernel.json");
  if (!existsSync(spec)) throw new Error(`kernel install did not write ${spec}:\n${r.stdout}\n${r.stderr}`);
  return jupyterPath;
}

/** Result of executing one notebook. */
export interface Execution {
  notebook: Notebook;
  seconds: number;
  log: string;
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Seconds one cell may run; default 240. */
  cellTimeout?: number;
  /** Seconds the whole run may take before it is killed; default 480. */
  totalTimeout?: number;
  /** Where the executed copy goes; default a temporary folder that is removed. */
  outputDir?: string;
}

/**
 * Executes `file` through the trax-ts kernel with nbconvert into a temporary
 * folder (or `outputDir`) and returns the executed notebook. A cell error
 * does not stop the run (`--allow-errors`), so the caller sees every error
 * output; nbconvert failing for any other reason throws.
 */
export function executeNotebook(file: string, options: ExecuteOptions = {}): Execution {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-nb-"));
  try {
    const jupyterPath = installKernel(path.join(tmp, "prefix"));
    const outDir = options.outputDir ?? path.join(tmp, "out");
    const name = path.basename(file);
    const started = Date.now();
    const r = spawnSync(
      "jupyter",
      [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--allow-errors",
        `--ExecutePreprocessor.timeout=${options.cellTimeout ?? 240}`,
        `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
        "--output-dir",
        outDir,
        "--output",
        name,
        file,
      ],
      {
        cwd: path.dirname(file),
        encoding: "utf8",
        timeout: (options.totalTimeout ?? 480) * 1000,
        killSignal: "SIGKILL",
        env: {
          ...process.env,
          JUPYTER_PATH: jupyterPath,
          // Keep Jupyter's own runtime files out of the user's home.
          JUPYTER_RUNTIME_DIR: path.join(tmp, "runtime"),
          PYDEVD_DISABLE_FILE_VALIDATION: "1",
        },
        maxBuffer: 64 * 1024 * 1024,
      }
    );
    const seconds = (Date.now() - started) / 1000;
    const log = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (r.error) throw new Error(`nbconvert on ${name} did not finish (${r.error.message}) after ${seconds.toFixed(0)} s:\n${log.slice(-3000)}`);
    const outFile = path.join(outDir, name);
    if (r.status !== 0 || !existsSync(outFile)) throw new Error(`nbconvert on ${name} failed (exit ${r.status}) after ${seconds.toFixed(0)} s:\n${log.slice(-3000)}`);
    return { notebook: readNotebook(outFile), seconds, log };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every output of every code cell, with the index of its cell. */
export function outputsOf(nb: Notebook): { cell: number; output: Output }[] {
  const out: { cell: number; output: Output }[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type === "code") for (const o of c.outputs ?? []) out.push({ cell: i, output: o });
  });
  return out;
}

/**
 * Error outputs: `error` outputs (an exception in a cell) and stderr streams
 * that report an error. Each as one readable line.
 */
export function errorOutputs(nb: Notebook): string[] {
  const errors: string[] = [];
  for (const { cell, output } of outputsOf(nb)) {
    if (output.output_type === "error") {
      const tb = (output.traceback ?? []).join("\n").replace(/\x1b\[[0-9;]*m/g, "");
      errors.push(`cell ${cell}: ${output.ename}: ${output.evalue}\n${tb.slice(0, 2000)}`);
    } else if (output.output_type === "stream" && output.name === "stderr") {
      const text = joinText(output.text);
      if (/(Error|Exception)\b|Traceback|UnhandledPromiseRejection/.test(text)) errors.push(`cell ${cell} (stderr): ${text.slice(0, 2000)}`);
    }
  }
  return errors;
}

/**
 * Chart outputs (those with a Vega-Lite spec) that lack their static images:
 * `image/svg+xml` and `image/png` (what image-only renderers show), as
 * "cell N: missing image/png" lines.
 */
export function chartsWithoutImages(nb: Notebook): string[] {
  const out: string[] = [];
  for (const { cell, output } of outputsOf(nb)) {
    if (!output.data || !("application/vnd.vegalite.v5+json" in output.data)) continue;
    for (const mime of ["image/svg+xml", "image/png"]) if (!(mime in output.data)) out.push(`cell ${cell}: missing ${mime}`);
  }
  return out;
}

/** The MIME types that appear in the notebook's rich outputs (and how often). */
export function mimeTypes(nb: Notebook): Map<string, number> {
  const seen = new Map<string, number>();
  for (const { output } of outputsOf(nb)) {
    if (!output.data) continue;
    for (const k of Object.keys(output.data)) seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return seen;
}

/** All the text of a notebook's outputs (streams, text/plain, text/html), for searching. */
export function outputText(nb: Notebook, mime: "text/plain" | "text/html" | "image/svg+xml" | "stream" = "text/plain"): string {
  const parts: string[] = [];
  for (const { output } of outputsOf(nb)) {
    if (mime === "stream") {
      if (output.output_type === "stream") parts.push(joinText(output.text));
    } else if (output.data && mime in output.data) {
      parts.push(joinText(output.data[mime] as string | string[]));
    }
  }
  return parts.join("\n");
}

/**
 * Code cells that show no sign of having run: neither an execution count
 * nor nbclient's execution timing (`metadata.execution`, which records the
 * kernel's reply even for a cell without a result).
 */
export function unexecutedCells(nb: Notebook): number[] {
  const ran = (c: Cell) =>
    (c.execution_count !== null && c.execution_count !== undefined) ||
    typeof (c.metadata?.execution as Record<string, unknown> | undefined)?.["shell.execute_reply"] === "string";
  return nb.cells.flatMap((c, i) => (c.cell_type === "code" && joinText(c.source).trim() !== "" && !ran(c) ? [i] : []));
}

/**
 * Exports an executed notebook to HTML with nbconvert and loads the page in
 * headless Chromium (scripts on, no network needed): returns how many
 * charts vega-embed drew (containers it marks `vega-embed`) and how many
 * chart outputs (Vega-Lite specs) the notebook has.
 */
export function chartsDrawnInBrowser(executedFile: string): { drawn: number; charts: number; html: string } {
  const dir = path.dirname(executedFile);
  const r = spawnSync("jupyter", ["nbconvert", "--to", "html", "--output-dir", dir, executedFile], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const html = executedFile.replace(/\.ipynb$/, ".html");
  if (r.status !== 0 || !existsSync(html)) throw new Error(`nbconvert --to html failed:\n${r.stdout}${r.stderr}`);
  const browser = ["chromium", "chromium-browser", "google-chrome"].find((b) => spawnSync(b, ["--version"], { encoding: "utf8" }).status === 0);
  if (!browser) throw new Error("no headless Chromium to look at the HTML export: run `bash scripts/install-system-deps.sh`");
  const dom = spawnSync(
    browser,
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", `--user-data-dir=${path.join(dir, "chromium-profile")}`,
      "--virtual-time-budget=15000", "--dump-dom", `file://${html}`,
    ],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }
  );
  if (dom.status !== 0) throw new Error(`${browser} --dump-dom failed (${dom.status}): ${dom.stderr.slice(-1500)}`);
  const drawn = (dom.stdout.match(/class="vega-embed\b/g) ?? []).length;
  const charts = outputsOf(readNotebook(executedFile)).filter((o) => o.output.data && "application/vnd.vegalite.v5+json" in o.output.data).length;
  return { drawn, charts, html };
}

/** What one notebook's executed outputs must show. */
export interface Expectations {
  /** MIME types that must appear among the rich outputs. */
  mimeTypes: string[];
  /** Patterns that must match the text of some output of that kind. */
  patterns?: { in: "text/plain" | "text/html" | "image/svg+xml" | "stream"; pattern: RegExp; what: string }[];
  /** Seconds one cell may run; default 240. */
  cellTimeout?: number;
  /** Also export the executed notebook to HTML and check in headless Chromium that every chart is drawn. */
  browserCharts?: boolean;
}

/**
 * Registers a uvu suite for one notebook: the committed file is well formed
 * (trax-ts kernel, TypeScript, executed with outputs and no errors), and it
 * executes again through the kernel with no error output, showing the rich
 * MIME types and the texts it is meant to show.
 */
export function notebookSuite(name: string, expect: Expectations): void {
  const file = path.join(NOTEBOOKS, name);
  const test = suite(`notebooks/${name}`);

  test("the committed notebook: trax-ts kernel, TypeScript, executed, outputs without errors", () => {
    assert.ok(existsSync(file), `${file} exists`);
    const nb = readNotebook(file);
    assert.is(nb.nbformat, 4);
    assert.is(nb.metadata.kernelspec?.name, KERNEL_NAME);
    assert.is(nb.metadata.kernelspec?.language, "typescript");
    assert.ok(nb.cells.filter((c) => c.cell_type === "markdown").length >= 3, "a tutorial explains itself in markdown cells");
    assert.equal(unexecutedCells(nb), [], "every code cell was executed before the notebook was committed");
    assert.equal(errorOutputs(nb), [], "the committed outputs hold no errors");
    for (const mime of expect.mimeTypes) assert.ok(mimeTypes(nb).has(mime), `the committed outputs show ${mime}`);
    assert.equal(chartsWithoutImages(nb), [], "every committed chart carries its SVG and PNG (GitHub, nbviewer, image-only renderers)");
  });

  test("executes through the trax-ts kernel without error outputs, with the rich views it is meant to show", () => {
    checkPrerequisites();
    const stale = staleBuildWarning();
    if (stale) console.warn(stale);
    const outputDir = mkdtempSync(path.join(os.tmpdir(), "trax-nb-out-"));
    try {
      const { notebook, seconds, log } = executeNotebook(file, { cellTimeout: expect.cellTimeout, outputDir });
      console.log(`${name}: executed in ${seconds.toFixed(1)} s`);
      checkExecuted(notebook, log);
      if (expect.browserCharts) {
        const { drawn, charts, html } = chartsDrawnInBrowser(path.join(outputDir, name));
        console.log(`${name}: headless Chromium drew ${drawn} of ${charts} charts in the HTML export`);
        assert.ok(charts > 0, "the notebook shows charts");
        assert.is(drawn, charts, `headless Chromium draws every chart of ${path.basename(html)} (${drawn} of ${charts})`);
      }
    } finally {
      rmSync(outputDir, { recursive: true, force: true });
    }
  });

  const checkExecuted = (notebook: Notebook, log: string) => {
    const errors = errorOutputs(notebook);
    assert.equal(errors, [], `error outputs:\n${errors.join("\n---\n")}\nnbconvert log:\n${log.slice(-1500)}`);
    const seen = mimeTypes(notebook);
    for (const mime of expect.mimeTypes) {
      assert.ok(seen.has(mime), `outputs show ${mime}; seen: ${[...seen.keys()].join(", ")}`);
    }
    assert.equal(chartsWithoutImages(notebook), [], "every chart carries its SVG and PNG");
    for (const p of expect.patterns ?? []) {
      const text = outputText(notebook, p.in);
      assert.match(text, p.pattern, `${p.what} (${p.pattern} in ${p.in} outputs)`);
    }
  };

  test.run();
}
