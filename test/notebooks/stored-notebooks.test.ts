// What the stored notebooks hold and how npm start opens them: executed
// notebooks are kept without the vega libraries (the HTML export puts them in
// its <head> once), and `trustNotebooks` signs notebooks for this user (a
// fresh Jupyter data folder here), as `npm start` does for the tutorials.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stripVegaLibrary, vegaHtml, vegaLibraryScript } from "../../src/display/vega";

const root = path.resolve(__dirname, "..", "..");
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Scripts = any;
const scripts = (): Promise<Scripts> => import(path.join(root, "scripts", "notebooks.mjs"));

const spec = { data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } };

test("stripVegaLibrary removes the libraries and keeps the chart and its drawing script", () => {
  const html = vegaHtml(spec, { includeLibrary: true, svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>' });
  assert.ok(html.length > 500_000, "the chart carries the libraries");
  const slim = stripVegaLibrary(html);
  assert.ok(slim.length < 5_000, `${slim.length} bytes left`);
  assert.not.ok(slim.includes("if (!window.vegaEmbed) {"));
  assert.ok(slim.includes("window.vegaEmbed(el,spec"), "the drawing script stays");
  assert.ok(slim.includes('<img src="data:image/svg+xml;base64,'), "the static chart stays");
  assert.is(stripVegaLibrary(slim), slim);
  assert.ok(vegaLibraryScript().startsWith('<script type="text/javascript">if (!window.vegaEmbed) {'));
});

test("slimNotebook strips stored charts; addVegaLibrary puts the libraries into an export's head once", async () => {
  const { slimNotebook, addVegaLibrary } = await scripts();
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-slim-"));
  try {
    const html = vegaHtml(spec, { includeLibrary: true });
    const nb = {
      cells: [{ cell_type: "code", source: "h", metadata: {}, execution_count: 1, outputs: [{ output_type: "execute_result", execution_count: 1, metadata: {}, data: { "text/plain": "chart", "text/html": html.split(/(?<=\n)/) } }] }],
      metadata: {}, nbformat: 4, nbformat_minor: 5,
    };
    const file = path.join(dir, "n.ipynb");
    writeFileSync(file, JSON.stringify(nb));
    assert.ok(slimNotebook(file) > 500_000, "saved the libraries' size");
    const slim = JSON.parse(readFileSync(file, "utf8"));
    const out = slim.cells[0].outputs[0].data["text/html"].join("");
    assert.is(out, stripVegaLibrary(html));
    assert.is(slimNotebook(file), 0, "nothing left to strip");
    const page = path.join(dir, "n.html");
    writeFileSync(page, `<html><head><title>t</title></head><body>${out}</body></html>`);
    copyFileSync(page, page + ".orig");
    assert.ok(addVegaLibrary(page));
    const exported = readFileSync(page, "utf8");
    assert.is(exported.split("if (!window.vegaEmbed) {").length - 1, 1, "the libraries once");
    assert.ok(exported.indexOf("if (!window.vegaEmbed) {") < exported.indexOf("</head>"), "in the head");
    assert.is(exported.length, vegaLibraryScript().length + 1 + readFileSync(page + ".orig", "utf8").length, "nothing else added");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the committed notebooks are small: no vega libraries stored in them", () => {
  for (const name of ["01-layers-intro", "02-digits-classifier", "03-transformer-lm", "04-recurrent", "05-saving-and-numpy"]) {
    const file = path.join(root, "notebooks", `${name}.ipynb`);
    const text = readFileSync(file, "utf8");
    assert.not.ok(text.includes("if (!window.vegaEmbed) {"), `${name} stores the vega libraries`);
    assert.ok(statSync(file).size < 450_000, `${name} is ${statSync(file).size} bytes`);
  }
});

test("trustNotebooks signs notebooks for this user, as npm start does", async () => {
  const r = spawnSync(PYTHON, ["-c", "import nbformat"], { encoding: "utf8" });
  if (r.status !== 0) {
    console.log("SKIP trust: nbformat is not installed");
    return;
  }
  const { trustNotebooks } = await scripts();
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-trust-"));
  try {
    const file = path.join(dir, "05.ipynb");
    copyFileSync(path.join(root, "notebooks", "05-saving-and-numpy.ipynb"), file);
    const env = { ...process.env, JUPYTER_DATA_DIR: path.join(dir, "data") };
    const check = () =>
      spawnSync(PYTHON, ["-c", "import sys, nbformat; from nbformat.sign import NotebookNotary; print(NotebookNotary().check_signature(nbformat.read(sys.argv[1], 4)))", file], { encoding: "utf8", env }).stdout.trim();
    assert.is(check(), "False", "untrusted in a fresh data folder");
    assert.equal(trustNotebooks([file], env), { ok: true, count: 1 });
    assert.is(check(), "True");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm start trusts the tutorials before opening them", () => {
  const main = readFileSync(path.join(root, "scripts", "main.mjs"), "utf8");
  const trust = main.indexOf("trustNotebooks(notebookFiles())");
  assert.ok(trust > 0 && trust < main.indexOf('spawn("jupyter", [app'), "trust, then open");
});

test.run();
