/**
 * Ctrl-C in the REPL (a pseudo-terminal) while `await loop.run(1e6)` trains:
 * the loop stops after its current step with KeyboardInterrupt naming the
 * step, the REPL stays up, and the loop goes on from that step.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { LAUNCHER, PYTHON, assertBuilt } from "../kernel/jupyter-env";

test("Ctrl-C stops a training loop after its step; the loop resumes from it", () => {
  assertBuilt();
  const r = spawnSync(PYTHON, [path.join(__dirname, "pty_session.py"), LAUNCHER], { encoding: "utf8", timeout: 600000 });
  const out = (r.stdout ?? "").replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
  assert.is(r.status, 0, `the pty session failed (${r.status ?? r.signal}):\n${out.slice(-3000)}\n${r.stderr}`);
  const m = /KeyboardInterrupt: training interrupted after step (\d+) \(of (\d+)\)/.exec(out);
  assert.ok(m, `KeyboardInterrupt expected:\n${out.slice(-3000)}`);
  const step = Number(m![1]);
  assert.ok(step > 0 && step < 1000000, `stopped at step ${step}`);
  assert.match(out, `step=${step}`);
  assert.match(out, `after=${step + 2}`);
});

test.run();
