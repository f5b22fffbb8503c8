/**
 * `trax-ts repl`: spawned, fed input on stdin, its output checked: trax/tl/tf
 * loaded, TypeScript syntax, top-level await, tensor and layer text views, a
 * history as a text chart, `trax.display.show` printing text, errors readable.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "child_process";
import { LAUNCHER, assertBuilt } from "../kernel/jupyter-env";
import { replText } from "../../src/repl";
import { tf, tl, trax, ready } from "../helpers";

/** Runs the REPL with `lines` on stdin (then end of input) and returns everything it printed. */
function runRepl(lines: string[], timeoutMs = 90000): Promise<{ out: string; code: number | null }> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, "repl"], {
      env: { ...process.env, TRAX_QUIET: "1", NODE_NO_READLINE: "1", FORCE_COLOR: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`repl did not exit within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
    // One line at a time, each after the previous prompt, so async results keep their order.
    let sent = 0;
    const feed = (): void => {
      const prompts = out.split("trax> ").length - 1;
      if (prompts > sent && sent < lines.length) {
        child.stdin.write(lines[sent++] + "\n");
      } else if (prompts > sent && sent === lines.length) {
        sent++;
        child.stdin.end();
      }
    };
    child.stdout.on("data", feed);
  });
}

let session = "";

test.before(async () => {
  await ready();
  const { out, code } = await runRepl([
    "const y = tl.Dense(2)(tf.ones([1, 3])); y.shape",
    "tl.Serial(tl.Dense(4), tl.Relu())",
    "await Promise.resolve(42)",
    "const n: number = 20; n + 1",
    "tf.tensor2d([[1, 2], [3, 4]])",
    'const h = { records: [1, 2, 3, 4].map((step) => ({ step, mode: "train", metric: "metrics/Loss", value: 1 / step })) }; h',
    'import * as again from "trax-ts"; again === trax',
    "tl.Serial(tl.Dense(4), tl.Add())(tf.ones([1, 3]))",
    "n * 2",
    "await trax.display.show(tf.tensor1d([5, 6, 7]))",
  ]);
  assert.is(code, 0, `the REPL exited with ${code}:\n${out}`);
  session = out;
});

/** The output printed after the prompt that answered input line `i` (0-based). */
function answer(i: number): string {
  return session.split("trax> ")[i + 1] ?? "";
}

test("trax, tl and tf are loaded; a banner names the backend", () => {
  assert.match(session, /trax-ts REPL .* on the (wasm|cpu|node|node-gpu) backend/);
  assert.is(answer(0).trim(), "[ 1, 2 ]");
});

test("a layer prints as its tree", () => {
  const a = answer(1);
  assert.match(a, /Serial/);
  assert.match(a, /Dense/);
  assert.match(a, /Relu/);
  assert.not.match(a, /_weights|_state|\[Function/, "no raw object dump");
});

test("top-level await", () => {
  assert.is(answer(2).trim(), "42");
});

test("TypeScript syntax (type annotations) is accepted", () => {
  assert.is(answer(3).trim(), "21");
});

test("a tensor prints its shape, dtype and values like numpy", () => {
  const a = answer(4);
  assert.match(a, /float32/);
  assert.match(a, /\[2, 2\]/);
  assert.match(a, /\[\[1\.? +2\.?\]/);
  assert.not.match(a, /kept|dataId|rankType/, "no raw tensor fields");
});

test("a history draws as a text chart", () => {
  const a = answer(5);
  assert.match(a, /metrics\/Loss/);
  assert.match(a, /[┤└│]/, "axis characters of the text chart");
});

test("`import` of trax-ts gives the preloaded instance", () => {
  assert.is(answer(6).trim().split("\n").pop(), "true");
});

test("a LayerError prints its message and the REPL goes on with its state", () => {
  assert.match(answer(7), /LayerError|Serial/);
  assert.match(answer(7), /2 tensors/);
  assert.not.match(answer(7), /node_modules|\bat \S+ \(/, "no engine stack dump");
  assert.is(answer(8).trim(), "40");
});

test("a training loop shows its progress, and its history draws as a text chart", async () => {
  // Not a terminal here, so the loop's progress is one line per evaluation point (a bar in a terminal).
  const { out, code } = await runRepl([
    'const stream = function* () { for (;;) yield [tf.randomNormal([8, 4]), tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], "int32")]; };',
    "const task = trax.supervised.TrainTask(stream, tl.CrossEntropyLoss(), trax.optimizers.Adam({ learningRate: 0.01 }));",
    "const loop = trax.supervised.Loop(tl.Serial(tl.Dense(2), tl.LogSoftmax()), task, { stepsPerEval: 5 });",
    "const h = await loop.run(10); h",
  ]);
  assert.is(code, 0, out);
  assert.match(out, /Step +1: train CrossEntropyLoss \| \d/);
  assert.match(out, /Step 10: train CrossEntropyLoss \| \d/);
  assert.match(out, /metrics\/CrossEntropyLoss/);
  assert.match(out, /└─+/, "the chart's axis");
});

test("trax.display.show prints the text view once (not its bundle again)", () => {
  const a = answer(9);
  assert.match(a, /\[5\.? 6\.? 7\.?\]/);
  assert.not.match(a, /text\/html|text\/plain/);
});

test("replText: tensors through the display's text view, plain values as inspect prints them", () => {
  const t = tf.ones([2]);
  assert.match(replText(t), /float32/);
  t.dispose();
  assert.is(replText({ a: 1 }), "{ a: 1 }");
  assert.is(replText("s"), "'s'");
});

test("replText: tensors inside arrays and objects (a layer's weights or state) print as one line each", () => {
  const layer = tl.Dense(3);
  layer.init(new trax.shapes.ShapeDtype([1, 2]));
  assert.is(replText(layer.weights), "[ Tensor float32 [2, 3], Tensor float32 [3] ]");
  const t = tf.ones([2]);
  assert.is(replText({ a: [t, 1], b: "x" }), "{ a: [ Tensor float32 [2], 1 ], b: 'x' }");
  assert.match(replText([t], true), /Tensor float32 \[2\]/, "with colours too");
  t.dispose();
  assert.is(replText([t]), "[ Tensor (disposed) ]");
  assert.is(replText([1, [2, { c: 3 }]]), "[ 1, [ 2, { c: 3 } ] ]", "no tensor: inspect's text");
});

test.run();
