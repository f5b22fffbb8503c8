/**
 * Test support for the kernel: the built package to run, whether Jupyter is
 * here, and a kernelspec installed into a temporary prefix (JUPYTER_PATH), so
 * nothing global is touched.
 */
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The trax-ts package the kernel runs from (its dist/ must be built: `npm run build`). */
export const PACKAGE_ROOT = process.env.TRAX_TEST_PACKAGE_ROOT ?? path.resolve(__dirname, "..", "..");

/** The launcher Jupyter starts. */
export const LAUNCHER = path.join(PACKAGE_ROOT, "bin", "trax-ts.js");

/** Debian's Python, which has Jupyter; `python3` elsewhere. */
export const PYTHON = process.env.TRAX_PYTHON ?? (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

/** Debian's `jupyter`; `jupyter` on PATH elsewhere. */
export const JUPYTER = process.env.TRAX_JUPYTER ?? (fs.existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter");

/** Why the kernel tests cannot run here, or null when they can. */
export function missingJupyter(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import jupyter_client, nbclient, nbconvert, nbformat, jupyter_kernel_test"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return `Jupyter is not installed for ${PYTHON} (needs jupyter_client, nbclient, nbconvert, jupyter_kernel_test: run scripts/install-system-deps.sh)`;
  }
  return null;
}

/** Fails loudly when dist/ is missing: the kernel runs the built package. */
export function assertBuilt(): void {
  if (!fs.existsSync(path.join(PACKAGE_ROOT, "dist", "cli.js"))) {
    throw new Error(`${PACKAGE_ROOT}/dist is not built; run \`npm run build\` (npm test does it first)`);
  }
}

/** A kernelspec installed into a fresh temporary prefix, and the environment that finds it. */
export interface KernelEnv {
  /** The temporary folder (prefix and runtime dir inside it). */
  dir: string;
  /** Where `kernel install --prefix` put the kernelspec. */
  kernelDir: string;
  /** process.env plus JUPYTER_PATH / JUPYTER_RUNTIME_DIR pointing into `dir`. */
  env: NodeJS.ProcessEnv;
  /** Removes `dir`. */
  cleanup(): void;
}

/** Runs `node bin/trax-ts.js <args>` from the package under test. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: "utf8", env, timeout: 60000 });
}

/** Installs the trax-ts kernelspec with `trax-ts kernel install --prefix <tmp>`. */
export function installTempKernel(): KernelEnv {
  assertBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trax-ts-kernel-test-"));
  const prefix = path.join(dir, "prefix");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TRAX_JUPYTER: JUPYTER,
    JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
    JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    TRAX_QUIET: "1",
  };
  const r = runCli(["kernel", "install", "--prefix", prefix], env);
  if (r.status !== 0) throw new Error(`kernel install failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return {
    dir,
    kernelDir: path.join(prefix, "share", "jupyter", "kernels", "trax-ts"),
    env,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** One output of an executed notebook cell, as nbformat stores it. */
export interface CellOutput {
  output_type: "execute_result" | "display_data" | "stream" | "error";
  data?: Record<string, string | string[]>;
  text?: string | string[];
  name?: string;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** A notebook cell with its outputs. */
export interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: CellOutput[];
}

/** Joins nbformat's multi-line strings. */
export function joined(s: string | string[] | undefined): string {
  return Array.isArray(s) ? s.join("") : s ?? "";
}

/**
 * Executes a notebook through the trax-ts kernel with `jupyter nbconvert
 * --to notebook --execute` and returns its cells (from `<dir>/<name>.out.ipynb`).
 */
export function executeNotebook(k: KernelEnv, notebook: string, timeoutS = 100): { cells: Cell[]; file: string } {
  const out = path.join(k.dir, path.basename(notebook, ".ipynb") + ".out.ipynb");
  const r = spawnSync(
    PYTHON,
    ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", notebook, "--output", out,
      "--ExecutePreprocessor.kernel_name=trax-ts", `--ExecutePreprocessor.timeout=${timeoutS}`],
    { encoding: "utf8", env: k.env, cwd: k.dir, timeout: (timeoutS + 20) * 1000 }
  );
  if (r.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`nbconvert --execute failed (${r.status ?? r.signal}):\n${r.stderr.slice(-4000)}`);
  }
  return { cells: (JSON.parse(fs.readFileSync(out, "utf8")) as { cells: Cell[] }).cells, file: out };
}
