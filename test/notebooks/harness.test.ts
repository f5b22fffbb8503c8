// The notebook harness itself: it must see errors, MIME types and unexecuted
// cells, cover every notebook, and catch a failing cell run through the kernel.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  KERNEL_NAME, chartsWithoutImages, checkPrerequisites, errorOutputs, executeNotebook, mimeTypes, notebookFiles, outputText, unexecutedCells, type Notebook,
} from "./harness";

const test = suite("notebooks/harness");

const sample: Notebook = {
  nbformat: 4,
  metadata: { kernelspec: { name: KERNEL_NAME, language: "typescript" } },
  cells: [
    { cell_type: "markdown", source: "# t" },
    { cell_type: "code", source: "1", execution_count: 1, outputs: [{ output_type: "execute_result", data: { "text/plain": "1", "text/html": ["<b>", "1</b>"] } }] },
    { cell_type: "code", source: "x", execution_count: 2, outputs: [{ output_type: "error", ename: "ReferenceError", evalue: "x is not defined", traceback: ["\x1b[31mReferenceError\x1b[0m: x"] }] },
    { cell_type: "code", source: "warn()", execution_count: 3, outputs: [{ output_type: "stream", name: "stderr", text: ["TypeError: bad\n"] }] },
    { cell_type: "code", source: "console.error('note')", execution_count: 4, outputs: [{ output_type: "stream", name: "stderr", text: "a note\n" }] },
    { cell_type: "code", source: "later()", execution_count: null, outputs: [] },
    { cell_type: "code", source: "ranQuietly()", execution_count: null, outputs: [], metadata: { execution: { "shell.execute_reply": "2026-11-25T21:07:45.509000Z" } } },
    { cell_type: "code", source: "", execution_count: null, outputs: [] },
  ],
};

test("chartsWithoutImages: chart outputs missing their SVG or PNG", () => {
  const spec = { "application/vnd.vegalite.v5+json": {}, "text/plain": "chart" };
  const nb: Notebook = {
    ...sample,
    cells: [
      { cell_type: "code", source: "a", execution_count: 1, outputs: [{ output_type: "display_data", data: { ...spec, "image/svg+xml": "<svg/>", "image/png": "iVBOR" } }] },
      { cell_type: "code", source: "b", execution_count: 2, outputs: [{ output_type: "display_data", data: { ...spec, "image/svg+xml": "<svg/>" } }] },
      { cell_type: "code", source: "c", execution_count: 3, outputs: [{ output_type: "display_data", data: { "text/plain": "not a chart" } }] },
    ],
  };
  assert.equal(chartsWithoutImages(nb), ["cell 1: missing image/png"]);
});

test("errorOutputs: error outputs and stderr errors, one entry each, colours stripped", () => {
  const errors = errorOutputs(sample);
  assert.is(errors.length, 2);
  assert.match(errors[0], /^cell 2: ReferenceError: x is not defined/);
  assert.not.match(errors[0], /\x1b/);
  assert.match(errors[1], /cell 3 \(stderr\): TypeError: bad/);
});

test("mimeTypes, outputText and unexecutedCells", () => {
  const m = mimeTypes(sample);
  assert.is(m.get("text/plain"), 1);
  assert.is(m.get("text/html"), 1);
  assert.is(outputText(sample, "text/html"), "<b>1</b>");
  assert.match(outputText(sample, "stream"), /a note/);
  assert.equal(unexecutedCells(sample), [5]);
});

test("every notebook in notebooks/ has its own test file", () => {
  const files = notebookFiles();
  assert.ok(files.length >= 5, `at least five tutorial notebooks (found ${files.length})`);
  for (const f of files) {
    const t = path.join(__dirname, path.basename(f).replace(/\.ipynb$/, ".test.ts"));
    assert.ok(existsSync(t), `${path.relative(process.cwd(), t)} runs ${path.basename(f)}`);
  }
});

test("a cell that throws, run through the kernel, is reported as an error output", () => {
  checkPrerequisites();
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-nb-harness-"));
  try {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: KERNEL_NAME, display_name: "TypeScript (trax-ts)", language: "typescript" } },
      cells: [
        { cell_type: "code", id: "a", metadata: {}, execution_count: null, outputs: [], source: "const t = tf.ones([2, 2]);\nt.shape" },
        { cell_type: "code", id: "b", metadata: {}, execution_count: null, outputs: [], source: 'throw new Error("deliberate failure 42");' },
      ],
    };
    const file = path.join(dir, "failing.ipynb");
    writeFileSync(file, JSON.stringify(nb));
    const { notebook } = executeNotebook(file, { cellTimeout: 120 });
    assert.match(outputText(notebook, "text/plain"), /2,\s*2/);
    const errors = errorOutputs(notebook);
    assert.is(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /cell 1: .*deliberate failure 42/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
