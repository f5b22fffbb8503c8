/**
 * An *untrusted* notebook as a user meets it: the kernel-check notebook,
 * executed through the trax-ts kernel, opened in the classic Jupyter Notebook
 * with a fresh Jupyter data folder (no signatures: "Not Trusted"), rendered
 * by headless Chromium. Jupyter then sanitizes the stored HTML (no inline
 * <svg>, no <script>, no <style>, no inline styles): the heatmaps and the
 * chart must still show (as <img> data URIs), and the layer tree must keep
 * its columns (tables with width attributes). A screenshot goes to out/browser/.
 *
 * Renderers that show only images (nbconvert's LaTeX/PDF route ranks
 * `image/png` first; GitHub-style static viewers drop scripts and SVG) get
 * the chart's `image/png`: the executed notebook is converted with nbconvert
 * ranking `image/png` first, and the chart must be there as that image.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { JUPYTER, KernelEnv, executeNotebook, installTempKernel, missingJupyter, joined } from "../kernel/jupyter-env";
import { decodeRgb } from "../display/png-decode";

const CHROMIUM = process.env.TRAX_CHROMIUM ?? "/usr/bin/chromium";
const NOTEBOOK = path.join(__dirname, "..", "kernel", "fixtures", "kernel-check.ipynb");
const OUT = process.env.TRAX_TEST_OUT ?? path.join(__dirname, "..", "..", "out", "browser");

function noNotebookServer(): string | null {
  const r = spawnSync(JUPYTER, ["notebook", "--version"], { encoding: "utf8" });
  return r.status === 0 ? null : "the classic Notebook is not installed (bash scripts/install-system-deps.sh --notebook)";
}

const missing =
  missingJupyter() ?? (fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (Debian package chromium)`) ?? noNotebookServer();
if (missing) console.log(`SKIP untrusted-notebook check: ${missing}`);
const it = missing ? test.skip : test;

function status(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/api/status", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => {
      req.destroy();
      resolve(0);
    });
  });
}

function chromium(args: string[], userDataDir: string): string {
  const r = spawnSync(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--hide-scrollbars", `--user-data-dir=${userDataDir}`, "--virtual-time-budget=30000", ...args],
    { encoding: "utf8", timeout: 120000, maxBuffer: 64 * 1024 * 1024 }
  );
  if (r.error) throw r.error;
  return r.stdout;
}

let kernel: KernelEnv | undefined;
let server: ChildProcess | undefined;
let dom = "";
let executed = "";

test.before(async () => {
  if (missing) return;
  kernel = installTempKernel();
  const { file } = executeNotebook(kernel, NOTEBOOK);
  executed = file;
  const root = path.join(kernel.dir, "notebooks");
  fs.mkdirSync(root);
  fs.copyFileSync(file, path.join(root, "check.ipynb"));
  // A fresh data folder holds no notebook signatures: the notebook is untrusted, as on a new machine.
  const env = {
    ...kernel.env,
    JUPYTER_DATA_DIR: path.join(kernel.dir, "data"),
    JUPYTER_CONFIG_DIR: path.join(kernel.dir, "config"),
  };
  const port = 20000 + Math.floor(Math.random() * 20000);
  server = spawn(
    JUPYTER,
    ["notebook", "--no-browser", "--allow-root", `--port=${port}`, "--port-retries=0", "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${root}`],
    { env, stdio: "ignore" }
  );
  // Bounded wait for the server to answer (generous: the machine may be busy).
  const deadline = Date.now() + 120000;
  while ((await status(port)) !== 200) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the notebook server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const url = `http://127.0.0.1:${port}/notebooks/check.ipynb`;
  dom = chromium(["--dump-dom", url], path.join(kernel.dir, "chromium-dom"));
  fs.mkdirSync(OUT, { recursive: true });
  chromium(["--window-size=1200,2400", `--screenshot=${path.join(OUT, "untrusted-kernel-check.png")}`, url], path.join(kernel.dir, "chromium-shot"));
});

test.after(() => {
  server?.kill("SIGTERM");
  kernel?.cleanup();
});

/** The HTML of the rendered outputs (the parts of the page after each output_subarea opens). */
function outputs(): string[] {
  return dom.split('class="output_subarea').slice(1).map((s) => s.slice(0, s.indexOf('class="output_wrapper"') >= 0 ? s.indexOf('class="output_wrapper"') : s.length));
}

it("the page shows the notebook as not trusted, with its outputs", () => {
  assert.match(dom, /Not Trusted/);
  assert.ok(outputs().length >= 8, `outputs rendered: ${outputs().length}`);
});

it("no inline <svg> or <script> reaches the page; heatmaps and the chart come as <img> data URIs", () => {
  for (const o of outputs()) assert.not.match(o, /<svg/, "inline SVG would be stripped to its text");
  assert.not.match(dom, /<script[^>]*>[^<]*vegaEmbed/, "the sanitizer removed the chart's script");
  const images = [...dom.matchAll(/<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*width="(\d+)"[^>]*height="(\d+)"/g)];
  assert.ok(images.length >= 3, `the 2x2 and 8x8 heatmaps and the chart expected; got ${images.length} images`);
  const svgs = images.map((m) => Buffer.from(m[1], "base64").toString("utf8"));
  assert.ok(svgs.filter((s) => /<rect [^>]*fill="#[0-9a-f]{6}"><title>/.test(s)).length >= 2, "heatmap cells");
  assert.ok(svgs.some((s) => s.includes("metrics/CrossEntropyLoss") && (s.match(/<path /g) ?? []).length >= 2), "the chart's lines");
  for (const m of images) assert.ok(Number(m[2]) > 50 && Number(m[3]) > 50, `image size ${m[2]}x${m[3]}`);
});

it("the layer tree keeps its columns: one table per row with width attributes", () => {
  const tree = dom.slice(dom.indexOf('class="trax-layer"'));
  assert.ok(tree.length > 0, "a layer view");
  const rows = [...tree.matchAll(/<td class="n[^"]*" width="(\d+)"[^>]*>([^<]*(?:<span[^>]*><\/span>)?[^<]*)<\/td><td class="c" width="(\d+)"/g)];
  const names = rows.map((m) => m[2].replace(/<[^>]+>/g, "").replace(/\u00a0|&nbsp;/g, " ").trim());
  assert.ok(names.includes("Serial") && names.some((n) => n.startsWith("Dense_")) && names.some((n) => n.startsWith("Relu")), `rows: ${names}`);
  for (const m of rows) assert.ok(Number(m[1]) > 50 && Number(m[3]) > 40, "column widths survive the sanitizer");
});

it("a screenshot of the untrusted page is written", () => {
  const shot = path.join(OUT, "untrusted-kernel-check.png");
  assert.ok(fs.existsSync(shot) && fs.statSync(shot).size > 20000, `no screenshot at ${shot}`);
});

it("an image-only renderer shows the chart: its output carries image/png, and nbconvert ranking image/png first puts it in the page", () => {
  const nb = JSON.parse(fs.readFileSync(executed, "utf8")) as { cells: { outputs?: { data?: Record<string, string | string[]> }[] }[] };
  const chart = nb.cells.flatMap((c) => c.outputs ?? []).find((o) => o.data?.["application/vnd.vegalite.v5+json"]);
  assert.ok(chart?.data, "the chart's output");
  const png = joined(chart.data["image/png"]);
  const img = decodeRgb(png);
  assert.ok(img.width > 200 && img.height > 100, `chart PNG ${img.width}x${img.height}`);
  let train = 0;
  let evl = 0;
  for (let i = 0; i < img.rgb.length; i += 3) {
    if (img.rgb[i] === 0x1f && img.rgb[i + 1] === 0x77 && img.rgb[i + 2] === 0xb4) train++;
    if (img.rgb[i] === 0xff && img.rgb[i + 1] === 0x7f && img.rgb[i + 2] === 0x0e) evl++;
  }
  assert.ok(train > 50 && evl > 50, `both series' lines in the PNG: train ${train}, eval ${evl} pixels`);
  // nbconvert with image/png ranked first (what an image-only renderer picks from each bundle).
  const html = path.join(path.dirname(executed), "image-only.html");
  const r = spawnSync(
    JUPYTER,
    ["nbconvert", "--to", "html", executed, "--output", html, `--NbConvertBase.display_data_priority=["image/png", "text/plain"]`],
    { encoding: "utf8", env: kernel?.env, timeout: 120000 }
  );
  assert.is(r.status, 0, r.stderr.slice(-2000));
  const page = fs.readFileSync(html, "utf8");
  assert.ok(page.includes(`<img src="data:image/png;base64,${png.replace(/\n/g, "")}"`), "the chart as its PNG");
  assert.not.ok(page.includes("vegaEmbed("), "no HTML chart in an image-only page");
});

test.run();
