/**
 * What the kernel shows for values and errors, and how it makes `trax-ts`
 * resolve to this package (for `require` and for tslab's compiler).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "fs";
import * as path from "path";
import Module = require("module");
import { tf, tl, ready, leakedBy } from "../helpers";
import { errorReport, plainText, valueBundle, valueBundleAsync, JUPYTER_DISPLAY } from "../../src/kernel/render";
import { isOwnRequest, packageRoot, resolveOwnPackage } from "../../src/kernel/package-root";
import { forwardTypeScriptPaths, nameableClasses } from "../../src/kernel/typescript-paths";

test.before(ready);

test("plain values: text/plain only, as Node's inspect prints them", () => {
  assert.equal(valueBundle(3), { "text/plain": "3" });
  assert.equal(valueBundle([1, 2]), { "text/plain": "[ 1, 2 ]" });
  assert.equal(valueBundle({ a: "x" }), { "text/plain": "{ a: 'x' }" });
  assert.is(plainText(undefined), "undefined");
});

test("a tensor gets the display module's view: HTML and numpy-like text", () => {
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const b = valueBundle(x);
  assert.ok(typeof b["text/html"] === "string" && (b["text/html"] as string).includes("<img src=\"data:image/svg+xml;base64,"), "HTML with a heatmap (an image: it survives an untrusted notebook)");
  assert.type(b["image/png"], "string", "and the heatmap as image/png");
  assert.match(b["text/plain"], /float32/);
  assert.match(b["text/plain"], /\[\[1\.? +2\.?\]/);
  x.dispose();
});

test("valueBundle does not leak tensors", () => {
  const x = tf.ones([3, 3]);
  assert.is(leakedBy(() => valueBundle(x)), 0);
  x.dispose();
});

test("a layer gets its tree view", () => {
  const b = valueBundle(tl.Serial(tl.Dense(3), tl.Relu()));
  assert.match(String(b["text/html"]), /Dense/);
  assert.match(b["text/plain"], /Serial/);
});

test("an object's own Symbol.for('Jupyter.display') bundle is used; text/plain is filled in when missing", () => {
  const own = { [JUPYTER_DISPLAY]: () => ({ "text/html": "<i>x</i>" }), v: 1 };
  const b = valueBundle(own);
  assert.is(b["text/html"], "<i>x</i>");
  assert.is(typeof b["text/plain"], "string");
});

test("a display method that throws falls back to text", () => {
  const bad = { [JUPYTER_DISPLAY]: () => { throw new Error("broken view"); } };
  const b = valueBundle(bad);
  assert.is(typeof b["text/plain"], "string");
});

test("valueBundleAsync gives charts their SVG and PNG", async () => {
  const history = { records: [1, 2, 3].map((step) => ({ step, mode: "train", metric: "metrics/Loss", value: 1 / step })) };
  const b = await valueBundleAsync(history);
  assert.ok("application/vnd.vegalite.v5+json" in b, Object.keys(b).join(", "));
  assert.match(String(b["image/svg+xml"]), /<svg/);
  assert.ok(Buffer.from(String(b["image/png"]), "base64").subarray(1, 4).toString() === "PNG", "image/png: the chart for image-only renderers");
  assert.equal(await valueBundleAsync(7), { "text/plain": "7" });
});

test("errorReport: a LayerError is its message, without stack frames", () => {
  let caught: unknown;
  try {
    tl.Serial(tl.Dense(4), tl.Add())(tf.ones([1, 3]));
  } catch (e) {
    caught = e;
  }
  const r = errorReport(caught);
  assert.is(r.ename, "LayerError");
  assert.match(r.evalue, /Serial/);
  assert.is(r.traceback.length, 1);
  assert.match(r.traceback[0], /LayerError.*: Exception passing through layer Serial/);
  assert.not.match(r.traceback.join("\n"), /node_modules|^\s+at /m);
});

test("errorReport: other errors keep the frames of user code, not the engine's", () => {
  const e = new TypeError("x is not a function");
  e.stack = [
    "TypeError: x is not a function",
    "    at evalmachine.<anonymous>:3:5",
    "    at Object.matMul (/p/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:1:1)",
    "    at node:internal/process/task_queues:95:5",
    "    at /home/me/project/helpers.js:10:2",
  ].join("\n");
  const r = errorReport(e);
  assert.is(r.ename, "TypeError");
  assert.is(r.evalue, "x is not a function");
  assert.equal(r.traceback.slice(1), ["    at evalmachine.<anonymous>:3:5", "    at /home/me/project/helpers.js:10:2"]);
});

test("errorReport: thrown non-errors", () => {
  const r = errorReport("just a string");
  assert.is(r.ename, "Uncaught");
  assert.is(r.evalue, "'just a string'");
});

test("packageRoot is this package; own requests are trax-ts and its subpaths", () => {
  const root = packageRoot();
  assert.is(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).name, "trax-ts");
  assert.ok(isOwnRequest("trax-ts"));
  assert.ok(isOwnRequest("trax-ts/layers"));
  assert.not.ok(isOwnRequest("trax-tsx"));
  assert.not.ok(isOwnRequest("./trax-ts"));
});

test("resolveOwnPackage: require('trax-ts') from any folder resolves to this package's build", () => {
  resolveOwnPackage();
  resolveOwnPackage(); // idempotent
  const elsewhere = Module.createRequire(path.join(fs.realpathSync(require("os").tmpdir()), "x.js"));
  const root = packageRoot();
  if (!fs.existsSync(path.join(root, "dist", "index.js"))) {
    assert.throws(() => elsewhere.resolve("trax-ts"));
    return;
  }
  assert.is(elsewhere.resolve("trax-ts"), path.join(root, "dist", "index.js"));
  assert.is(elsewhere.resolve("trax-ts/layers"), path.join(root, "dist", "layers", "index.js"));
  assert.throws(() => elsewhere.resolve("trax-ts-does-not-exist"));
});

test("tslab's compiler sees <cwd>/node_modules/trax-ts as this package (and trax-ts/layers as dist/layers)", () => {
  const forward = forwardTypeScriptPaths();
  assert.is(forwardTypeScriptPaths(), forward, "installed once");
  const root = packageRoot();
  const virtual = path.posix.join(process.cwd(), "node_modules", "trax-ts");
  assert.is(forward(`${virtual}/package.json`), path.join(root, "package.json"));
  assert.is(forward(`${virtual}/layers/index.d.ts`), path.join(root, "dist", "layers", "index.d.ts"));
  assert.is(forward(virtual), root);
  assert.is(forward("/somewhere/else.ts"), "/somewhere/else.ts");
});

test("nameableClasses exports module-private classes of a .d.ts (tslab must name cell variables' types)", () => {
  const dts = "declare class SerialLayer extends Layer {\n}\ndeclare abstract class Base {}\nexport declare class Ok {}\n  declare class Nested {}\n";
  assert.is(
    nameableClasses(dts),
    "export declare class SerialLayer extends Layer {\n}\nexport declare abstract class Base {}\nexport declare class Ok {}\n  declare class Nested {}\n"
  );
});

test.run();
