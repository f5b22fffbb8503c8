/**
 * A notebook executed with `jupyter nbconvert --execute` through the trax-ts
 * kernel (installed into a temporary prefix): the outputs hold the expected
 * MIME types, a LayerError is readable, and the kernel keeps its state.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as path from "path";
import { Cell, CellOutput, KernelEnv, executeNotebook, installTempKernel, joined, missingJupyter } from "./jupyter-env";

const NOTEBOOK = path.join(__dirname, "fixtures", "kernel-check.ipynb");
const missing = missingJupyter();
if (missing) console.log(`SKIP notebook tests: ${missing}`);
const it = missing ? test.skip : test;

let kernel: KernelEnv | undefined;
let cells: Cell[] = [];

/** The outputs of the code cell whose source starts with `start`. */
function outputsOf(start: string): CellOutput[] {
  const cell = cells.find((c) => c.cell_type === "code" && joined(c.source).startsWith(start));
  if (!cell) throw new Error(`no cell starts with ${JSON.stringify(start)}`);
  return cell.outputs ?? [];
}

function only(outputs: CellOutput[], type: CellOutput["output_type"]): CellOutput {
  const found = outputs.filter((o) => o.output_type === type);
  assert.is(found.length, 1, `one ${type} expected; outputs: ${JSON.stringify(outputs).slice(0, 500)}`);
  return found[0];
}

test.before(() => {
  if (missing) return;
  kernel = installTempKernel();
  cells = executeNotebook(kernel, NOTEBOOK).cells;
});

test.after(() => kernel?.cleanup());

it("a tensor's last expression shows its HTML view (with a heatmap) and its text", () => {
  const r = only(outputsOf("const x = tf.tensor2d"), "execute_result");
  const html = joined(r.data?.["text/html"]);
  assert.ok(html.length > 0, "text/html expected");
  assert.match(html, /<img src="data:image\/svg\+xml;base64,/, "the heatmap, as an image that survives an untrusted notebook");
  assert.ok(joined(r.data?.["image/png"]).length > 100, "the heatmap as image/png too");
  assert.match(joined(r.data?.["text/plain"]), /\[\[1\.? +2\.?\]/);
});

it("a layer shows its tree as HTML", () => {
  const r = only(outputsOf("const model = tl.Serial"), "execute_result");
  const html = joined(r.data?.["text/html"]);
  assert.match(html, /Serial/);
  assert.match(html, /Dense/);
  assert.match(joined(r.data?.["text/plain"]), /Relu/);
});

it("console.log goes to stdout", () => {
  const s = only(outputsOf("console.log"), "stream");
  assert.is(s.name, "stdout");
  assert.is(joined(s.text), "hello from trax-ts\n");
});

it("trax.display.show sends display_data (once: no execute_result repeating it)", () => {
  const outs = outputsOf("await trax.display.show");
  const d = only(outs, "display_data");
  assert.match(joined(d.data?.["text/html"]), /<img src="data:image\/svg\+xml;base64,/);
  assert.is(outs.filter((o) => o.output_type === "execute_result").length, 0);
});

it("a training history shows a chart: Vega-Lite spec, SVG, PNG and HTML", () => {
  const r = only(outputsOf("const steps"), "execute_result");
  const data = r.data ?? {};
  assert.ok("application/vnd.vegalite.v5+json" in data, `vega-lite expected; got ${Object.keys(data)}`);
  assert.match(joined(data["image/svg+xml"] as string | string[]), /<svg/);
  assert.is(Buffer.from(joined(data["image/png"] as string | string[]), "base64").subarray(1, 4).toString(), "PNG", "the chart as image/png");
  assert.ok(joined(data["text/html"] as string | string[]).length > 0);
});

it("any object with Symbol.for('Jupyter.display') shows its own bundle", () => {
  const r = only(outputsOf("const custom"), "execute_result");
  assert.is(joined(r.data?.["text/html"]), '<b class="custom-view">custom view</b>');
  assert.is(joined(r.data?.["text/plain"]), "custom view");
});

it("a LayerError shows as a readable error, not an engine stack dump", () => {
  const outs = outputsOf("// A LayerError");
  const e = only(outs, "error");
  assert.is(e.ename, "LayerError");
  assert.match(e.evalue ?? "", /Serial/);
  assert.match(e.evalue ?? "", /2 tensors/);
  const text = (e.traceback ?? []).join("\n");
  assert.not.match(text, /node_modules|tf-core|at Object\./);
  assert.is(outs.filter((o) => o.output_type === "stream").length, 0, "no stderr dump");
});

it("the kernel keeps its state after an error", () => {
  const r = only(outputsOf("x.shape"), "execute_result");
  assert.is(joined(r.data?.["text/plain"]), "[ 2, 2 ]");
});

it("`import ... from \"trax-ts\"` in a cell is the module instance the kernel preloaded", () => {
  const r = only(outputsOf("import * as again"), "execute_result");
  assert.is(joined(r.data?.["text/plain"]), "true");
});

test.run();
