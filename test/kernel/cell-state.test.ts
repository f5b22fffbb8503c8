/**
 * The kernel's own pieces, without Jupyter: declarations kept after a throw,
 * error locations mapped to a cell's lines (through tslab's real converter),
 * history replies and is_complete verdicts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CellLocations, cellLineMapper } from "../../src/kernel/cell-locations";
import { survivingDeclarations } from "../../src/kernel/declarations";
import { CellHistory } from "../../src/kernel/history";
import { isCompleteReply } from "../../src/kernel/is-complete";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { createConverter, isCompleteCode } = require("tslab/dist/converter") as {
  createConverter(o: { isJS: boolean; isBrowser: boolean }): {
    convert(prev: string, src: string): { output: string; declOutput: string };
    close(): void;
  };
  isCompleteCode(code: string): { completed: boolean; indent?: string };
};

const tslabVerdict = (code: string) => {
  const r = isCompleteCode(code);
  return r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent };
};

test("declarations that ran before a throw survive; later ones go; a redeclared name unreached keeps its old value", () => {
  const previous = "declare const kept: number;\ndeclare let x: string;";
  const cell = "declare const d3: (x: number) => number;\ndeclare const later: number;\ndeclare let x: number;\ninterface P { a: number }\ndeclare const kept: number;\ndeclare let x: string;";
  const locals: Record<string, unknown> = { kept: 1, x: undefined, d3: () => 3, later: undefined };
  const before = new Map<string, unknown>([["kept", 1], ["x", "old"]]);
  const out = survivingDeclarations(previous, cell, locals, before);
  assert.ok(out.includes("declare const d3"), out);
  assert.not.ok(out.includes("later"), out);
  assert.ok(out.includes("declare let x: string;"), "x keeps its earlier type");
  assert.not.ok(out.includes("declare let x: number;"));
  assert.ok(out.includes("interface P"), "types stay");
  assert.is(locals.x, "old", "and its earlier value");
  assert.not.ok("later" in locals, "the unreached name is gone");
  assert.is(out.split("declare const kept").length - 1, 1, "no duplicates");
});

test("error locations: JavaScript lines of a cell map to its TypeScript lines and columns", () => {
  const conv = createConverter({ isJS: false, isBrowser: false });
  try {
    const src = "// comment\ninterface P { x: number }\nconst a: number = 1; const b: P = { x: 2 };\nfunction f(p: P): number {\n  return p.x * a;\n}\nconst m = tl.Serial(\n  tl.Dense(4),\n  tl.Relu(),\n);";
    const js = conv.convert("declare const tl: any;", src).output;
    const map = cellLineMapper(src, js);
    const lines = js.split("\n");
    const find = (s: string) => {
      const i = lines.findIndex((l) => l.includes(s));
      return { line: i + 1, column: lines[i].indexOf(s) + 1 };
    };
    const at = (s: string) => {
      const p = find(s);
      return map(p.line, p.column);
    };
    // Two statements on line 3 become two JavaScript lines; `b` is found as a word (not the b of "number").
    assert.equal(at("b = {"), { line: 3, column: src.split("\n")[2].indexOf("b: P") + 1 });
    assert.equal(at("return p.x"), { line: 5, column: 3 });
    assert.equal(at("tl.Relu"), { line: 9, column: 3 }, "a call inside a statement TypeScript joined onto one line");
    assert.equal(at("tl.Serial"), { line: 7, column: 11 });
    const exportLine = lines.findIndex((l) => /^exports\.m = m;/.test(l)) + 1;
    assert.is(map(exportLine, 1), null, "kernel-made lines map to nothing");
    const locations = new CellLocations();
    locations.add("In[4]", map, 30);
    const p = find("tl.Serial");
    const text = `LayerError: ...\n  layer created at In[4]:${p.line}:${p.column}\n    at In[4]:${exportLine}:1\n    at In[9]:1:1`;
    assert.is(locations.rewrite(text), "LayerError: ...\n  layer created at In[4]:7:11\n    at In[9]:1:1", "mapped; a kernel-made frame dropped; unknown cells kept");
  } finally {
    conv.close();
  }
});

test("history: tail, range and search over the cells of this session", () => {
  const h = new CellHistory();
  h.add(1, "const a = 1;");
  h.add(2, "1 + 2");
  h.add(3, "1 + 2");
  h.add(4, "a * 3");
  assert.equal(h.reply({ hist_access_type: "tail", n: 2 }).history, [[1, 3, "1 + 2"], [1, 4, "a * 3"]]);
  assert.equal(h.reply({ hist_access_type: "range", session: 0, start: 2, stop: 3 }).history, [[1, 2, "1 + 2"]]);
  assert.equal(h.reply({ hist_access_type: "range", session: 7, start: 1, stop: 5 }).history, [], "no other session");
  assert.equal(h.reply({ hist_access_type: "search", pattern: "1 +*" }).history.length, 2);
  assert.equal(h.reply({ hist_access_type: "search", pattern: "1 +*", unique: true }).history, [[1, 3, "1 + 2"]]);
  assert.equal(h.reply({ hist_access_type: "tail", n: 1, output: true }).history, [[1, 4, ["a * 3", null]]]);
});

test("is_complete: complete, incomplete with an indent, invalid", () => {
  assert.equal(isCompleteReply("const x = 1;", tslabVerdict), { status: "complete" });
  assert.is(isCompleteReply("function f() {", tslabVerdict).status, "incomplete");
  assert.equal(isCompleteReply("const = ;", tslabVerdict), { status: "invalid" });
  assert.equal(isCompleteReply("let 1x = 2;", tslabVerdict), { status: "invalid" });
});

test.run();
