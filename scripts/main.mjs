#!/usr/bin/env node
// The main job (`npm start`, after `npm install`): builds trax-ts if needed,
// installs the Debian packages it needs if they are missing, registers the
// trax-ts Jupyter kernel for this user, trusts the shipped notebooks for this
// user (`jupyter trust`: their charts, heatmaps and trees then render fully;
// untrusted, Jupyter sanitizes them), and opens them in Jupyter (JupyterLab if
// installed, else the classic notebook).
//
//   npm start                     open notebooks/ in Jupyter
//   npm start -- --headless       (or TRAX_HEADLESS=1) execute every notebook and
//                                 write the executed copies and HTML exports to
//                                 out/notebooks/ (--out DIR to change)
//   npm start -- --no-browser     pass options on to Jupyter
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, NOTEBOOKS, ensureBuilt, hasJupyter, installKernel, notebookFiles, runNotebooks, trustNotebooks } from "./notebooks.mjs";

const argv = process.argv.slice(2);
const headless = argv.includes("--headless") || ["1", "true", "yes"].includes(String(process.env.TRAX_HEADLESS ?? "").toLowerCase());
let outDir = path.join(ROOT, "out", "notebooks");
const jupyterArgs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--headless") continue;
  if (argv[i] === "--out") outDir = path.resolve(argv[++i]);
  else jupyterArgs.push(argv[i]);
}

const log = (s) => console.log(`trax-ts: ${s}`);

function systemDeps() {
  // The notebook server is only needed to open notebooks, not to execute them.
  const args = [path.join(ROOT, "scripts", "install-system-deps.sh"), ...(headless ? [] : ["--notebook"])];
  const r = spawnSync("bash", args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    log("could not install the system packages (run `bash scripts/install-system-deps.sh` as root, or with sudo); going on with what is installed");
  }
}

function main() {
  ensureBuilt(log);
  systemDeps();
  if (headless) {
    log(`executing the notebooks into ${path.relative(process.cwd(), outDir) || "."}`);
    const results = runNotebooks({ outDir, html: true, log });
    const bad = results.filter((r) => r.errors.length > 0);
    log(`${results.length} notebooks executed, ${bad.length} with errors; executed copies and HTML in ${outDir}`);
    return bad.length === 0 ? 0 : 1;
  }
  installKernel({ user: true });
  log("registered the 'trax-ts' kernel for this user (jupyter kernelspec list shows it)");
  const trusted = trustNotebooks(notebookFiles());
  log(trusted.ok ? `trusted the ${trusted.count} tutorial notebooks for this user (jupyter trust)` : `could not trust the notebooks (${trusted.why}); they open with their rich output sanitized`);
  const lab = hasJupyter("lab");
  if (!lab && !hasJupyter("notebook")) {
    log("neither JupyterLab nor the classic notebook is installed: `sudo apt-get install jupyter-notebook` (or `pip install jupyterlab`), then npm start again; `npm start -- --headless` runs the notebooks without a browser");
    return 1;
  }
  const app = lab ? "lab" : "notebook";
  const extra = typeof process.getuid === "function" && process.getuid() === 0 && !jupyterArgs.includes("--allow-root") ? ["--allow-root"] : [];
  log(`opening notebooks/ in jupyter ${app}`);
  const child = spawn("jupyter", [app, ...extra, ...jupyterArgs, NOTEBOOKS], { cwd: NOTEBOOKS, stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code) => process.exit(code ?? 0));
  return null;
}

try {
  const code = main();
  if (code !== null) process.exit(code);
} catch (e) {
  console.error(`trax-ts: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
