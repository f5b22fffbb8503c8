// The README's main job in its headless variant: `npm start -- --headless`
// (scripts/main.mjs) executes every notebook and writes the executed copies
// and HTML exports to an output folder, with no error output.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkPrerequisites, errorOutputs, notebookFiles, unexecutedCells, type Notebook } from "./harness";

const root = path.resolve(__dirname, "..", "..");
const test = suite("notebooks/main --headless");

test("npm start -- --headless writes every notebook executed and exported to HTML", () => {
  checkPrerequisites(); // CI installs Jupyter: a missing tool is a failure, with what to install
  const out = mkdtempSync(path.join(os.tmpdir(), "trax-main-"));
  try {
    const r = spawnSync(process.execPath, [path.join(root, "scripts", "main.mjs"), "--headless", "--out", out], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TRAX_QUIET: "1" },
      timeout: 15 * 60 * 1000,
    });
    assert.is(r.status, 0, `main.mjs --headless failed (${r.status ?? r.signal}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    assert.match(r.stdout, /notebooks executed, 0 with errors/);
    const names = notebookFiles().map((f) => path.basename(f, ".ipynb"));
    assert.ok(names.length >= 5, "five tutorial notebooks");
    const files = readdirSync(out);
    for (const name of names) {
      assert.ok(files.includes(`${name}.ipynb`), `${name}.ipynb written`);
      assert.ok(files.includes(`${name}.html`), `${name}.html written`);
      assert.ok(statSync(path.join(out, `${name}.html`)).size > 10000, `${name}.html has content`);
      const nb = JSON.parse(readFileSync(path.join(out, `${name}.ipynb`), "utf8")) as Notebook;
      assert.equal(errorOutputs(nb), [], `${name}: no error outputs`);
      assert.equal(unexecutedCells(nb), [], `${name}: every code cell executed`);
    }
    assert.not.ok(existsSync(path.join(out, "prefix")), "the temporary kernel prefix is cleaned up");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
