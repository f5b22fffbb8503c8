/**
 * Browser check: the kernel-check notebook executed through the trax-ts
 * kernel, exported to HTML with nbconvert, opened offline in headless
 * Chromium. The heatmaps and the layer tree lay out with non-zero size, the
 * training chart is drawn by vega-embed in the page (the notebook stored
 * without the vega libraries, as scripts/notebooks.mjs keeps it, and the
 * export given them once in its head: no CDN), and a screenshot is written
 * to out/browser/.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KernelEnv, PYTHON, executeNotebook, installTempKernel, missingJupyter } from "../kernel/jupyter-env";

const CHROMIUM = process.env.TRAX_CHROMIUM ?? "/usr/bin/chromium";
const NOTEBOOK = path.join(__dirname, "..", "kernel", "fixtures", "kernel-check.ipynb");
const OUT = process.env.TRAX_TEST_OUT ?? path.join(__dirname, "..", "..", "out", "browser");

const missing = missingJupyter() ?? (fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (Debian package chromium)`);
if (missing) console.log(`SKIP browser check: ${missing}`);
const it = missing ? test.skip : test;

/** What the probe script measures in the page: every svg/canvas and the layer tree. */
interface Box {
  tag: string;
  w: number;
  h: number;
  /** Inside a tensor view (a heatmap). */
  tensor: boolean;
  /** Inside an element vega-embed drew into. */
  vega: boolean;
  /** The layer view. */
  layer: boolean;
}

/** Runs after load (and after vega-embed's async drawing) and writes the layout into the DOM. */
const PROBE = `<script>
window.addEventListener("load", function () { setTimeout(function () {
  var els = Array.prototype.slice.call(document.querySelectorAll("svg, canvas, img, .trax-layer"));
  var boxes = els.map(function (e) {
    var r = e.getBoundingClientRect();
    return { tag: e.tagName.toLowerCase(), w: r.width, h: r.height,
      tensor: !!e.closest(".trax-tensor"), vega: !!e.closest(".vega-embed"), layer: e.classList.contains("trax-layer") };
  });
  var pre = document.createElement("pre");
  pre.id = "trax-probe";
  pre.textContent = JSON.stringify(boxes);
  document.body.appendChild(pre);
}, 2000); });
</script>`;

function chromium(args: string[], userDataDir: string): { stdout: string; stderr: string } {
  const r = spawnSync(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--hide-scrollbars", `--user-data-dir=${userDataDir}`, "--virtual-time-budget=15000", ...args],
    { encoding: "utf8", timeout: 60000, maxBuffer: 64 * 1024 * 1024 }
  );
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  assert.ok(b.subarray(1, 4).toString("latin1") === "PNG", "a PNG file");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

let kernel: KernelEnv | undefined;
let boxes: Box[] = [];
let html = "";

test.before(async () => {
  if (missing) return;
  try {
    await prepare();
  } catch (e) {
    console.error(e); // uvu reports a failed hook without its cause
    throw e;
  }
});

async function prepare(): Promise<void> {
  kernel = installTempKernel();
  const { file } = executeNotebook(kernel, NOTEBOOK);
  const { slimNotebook, addVegaLibrary } = await import(path.join(__dirname, "..", "..", "scripts", "notebooks.mjs"));
  assert.ok(slimNotebook(file) > 500_000, "the stored notebook loses the vega libraries");
  const page = path.join(kernel.dir, "notebook.html");
  const r = spawnSync(PYTHON, ["-m", "jupyter", "nbconvert", "--to", "html", file, "--output", page], {
    encoding: "utf8", env: kernel.env, timeout: 60000,
  });
  if (r.status !== 0) throw new Error(`nbconvert --to html failed:\n${r.stderr}`);
  assert.ok(addVegaLibrary(page), "the export gets the libraries");
  html = fs.readFileSync(page, "utf8");
  // The probe goes before the page's own </body> (the last one: inlined libraries contain the string too).
  const at = html.lastIndexOf("</body>");
  const probed = path.join(kernel.dir, "probed.html");
  fs.writeFileSync(probed, html.slice(0, at) + PROBE + html.slice(at));
  const dom = chromium(["--dump-dom", `file://${probed}`], path.join(kernel.dir, "chromium-dom")).stdout;
  const m = /<pre id="trax-probe">([^<]*)<\/pre>/.exec(dom);
  if (!m) throw new Error(`the probe did not run in Chromium; dumped ${dom.length} characters`);
  boxes = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as Box[];
  fs.mkdirSync(OUT, { recursive: true });
  chromium(["--window-size=1200,2000", `--screenshot=${path.join(OUT, "kernel-check.png")}`, `file://${page}`], path.join(kernel.dir, "chromium-shot"));
}

test.after(() => kernel?.cleanup());

it("the exported page loads nothing from the network", () => {
  assert.not.match(html, /<script[^>]+src="https?:\/\/[^"]*vega/i, "vega comes with the output, not from a CDN");
});

it("the tensor heatmaps lay out with non-zero size", () => {
  // Heatmaps are <img>s of SVG data URIs (they survive an untrusted notebook; see untrusted-notebook.test.ts).
  const heatmaps = boxes.filter((b) => b.tensor && b.tag === "img");
  assert.ok(heatmaps.length >= 2, `heatmaps of the 2x2 and 8x8 tensors expected; got ${JSON.stringify(boxes)}`);
  for (const h of heatmaps) assert.ok(h.w > 20 && h.h > 20, `heatmap size ${h.w}x${h.h}`);
});

it("the training chart is drawn by vega-embed in the page, with non-zero size", () => {
  const charts = boxes.filter((b) => b.vega && (b.tag === "svg" || b.tag === "canvas"));
  assert.ok(charts.length >= 1, `a vega-embed chart expected; got ${JSON.stringify(boxes)}`);
  for (const c of charts) assert.ok(c.w > 100 && c.h > 100, `chart size ${c.w}x${c.h}`);
});

it("the layer tree lays out with non-zero size", () => {
  const layers = boxes.filter((b) => b.layer);
  assert.ok(layers.length >= 1, "a layer view expected");
  assert.ok(layers[0].w > 50 && layers[0].h > 20, `layer view size ${layers[0].w}x${layers[0].h}`);
});

it("a screenshot of the page is written", () => {
  const shot = path.join(OUT, "kernel-check.png");
  assert.ok(fs.existsSync(shot), `no screenshot at ${shot}`);
  assert.equal(pngSize(shot), { width: 1200, height: 2000 });
  assert.ok(fs.statSync(shot).size > 20000, "the screenshot is not blank");
});

test.run();
