/**
 * The built package as users load it: `require` and `import` of `trax-ts`
 * and `trax-ts/layers` (by the package's own name, through its exports map),
 * and its `.d.ts` files compiled by TypeScript 5.0 (tslab's compiler line).
 * Runs on dist/, which `npm test` builds first.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const test = suite("package");

function node(args: string[], cwd = root): string {
  return execFileSync(process.execPath, args, { cwd, env: { ...process.env, TRAX_QUIET: "1" }, encoding: "utf8" });
}

test.before(() => {
  assert.ok(existsSync(path.join(root, "dist", "index.js")), "dist/ is built (npm test builds it first)");
});

test("require('trax-ts') gives every namespace and calls a layer", () => {
  const out = node([
    "-e",
    `const trax = require("trax-ts");
     const tl = require("trax-ts/layers");
     trax.backend.ready().then(() => {
       const y = tl.Serial(tl.Dense(3), tl.Relu())(trax.tf.ones([2, 4]));
       console.log(JSON.stringify({
         ns: ["layers", "tl", "shapes", "fastmath", "optimizers", "supervised", "data", "display", "backend", "tf"].filter((k) => !(k in trax)),
         same: trax.layers === tl || trax.layers.Dense === tl.Dense,
         shape: y.shape,
       }));
     });`,
  ]);
  const r = JSON.parse(out.trim().split("\n").pop() as string);
  assert.equal(r.ns, [], "missing namespaces");
  assert.ok(r.same);
  assert.equal(r.shape, [2, 3]);
});

test("import of trax-ts and trax-ts/layers (ESM) gives the same objects as require", () => {
  const out = node([
    "--input-type=module",
    "-e",
    `import * as trax from "trax-ts";
     import * as tl from "trax-ts/layers";
     import { createRequire } from "node:module";
     const require = createRequire(import.meta.url);
     console.log(JSON.stringify({ dense: tl.Dense === require("trax-ts/layers").Dense, tf: trax.tf === require("trax-ts").tf, serial: typeof tl.Serial }));`,
  ]);
  const r = JSON.parse(out.trim().split("\n").pop() as string);
  assert.equal(r, { dense: true, tf: true, serial: "function" });
});

test("the shipped .d.ts files compile under TypeScript 5.0, for both entry points and the typed Trax habits", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-dts-"));
  try {
    const file = path.join(dir, "consumer.ts");
    writeFileSync(
      file,
      `import * as trax from "trax-ts";
       import * as tl from "trax-ts/layers";
       const model: tl.Layer = tl.Serial(tl.Dense(16, { useBias: true }), tl.Relu(), tl.Dense(2));
       const y: trax.tf.Tensor = model(trax.tf.ones([4, 8]));
       const sig = new trax.shapes.ShapeDtype([4, 8]);
       const out = model.outputSignature(sig);
       export { y, out };
      `
    );
    // The Trax habits of test/types (layer call types, modes as strings, inspection paths,
    // and its @ts-expect-error lines), against the shipped declarations.
    const habits = readFileSync(path.join(root, "test", "types", "trax-habits.ts"), "utf8").replace(/"\.\.\/\.\.\/src"/g, '"trax-ts"');
    assert.ok(habits.includes('from "trax-ts"'));
    writeFileSync(path.join(dir, "habits.ts"), habits);
    const tsc = require.resolve("typescript-5.0/bin/tsc");
    const version = JSON.parse(readFileSync(path.join(path.dirname(tsc), "..", "package.json"), "utf8")).version;
    assert.match(version, /^5\.0\./);
    // Resolve "trax-ts" to this package, as a notebook next to an install would.
    const paths = JSON.stringify({ "trax-ts": [path.join(root)], "trax-ts/*": [path.join(root, "dist", "*")] });
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      `{"compilerOptions": {"strict": true, "noEmit": true, "module": "commonjs", "moduleResolution": "node", "target": "es2019",
        "skipLibCheck": false, "types": ["node"], "typeRoots": [${JSON.stringify(path.join(root, "node_modules", "@types"))}],
        "baseUrl": ".", "paths": ${paths}}, "files": ["consumer.ts", "habits.ts"]}`
    );
    let output = "";
    try {
      output = node([tsc, "-p", dir], dir);
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    // tfjs's own declarations have lib-check errors under any TypeScript; ours must have none.
    const ours = output
      .split("\n")
      .filter((line) => /error TS\d+/.test(line) && !line.includes("node_modules/"));
    assert.equal(ours, [], `tsc 5.0 errors in trax-ts's declarations or the consumer:\n${ours.join("\n").slice(0, 3000)}`);
    assert.ok(!/error TS/.test(output) || /node_modules\//.test(output));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
