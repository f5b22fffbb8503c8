/**
 * Runs the Jupyter kernel test suite (`jupyter_kernel_test`, in
 * test_trax_kernel.py) against the trax-ts kernel installed into a temporary
 * prefix: kernel info, execution, stdout/stderr, execute_result, display_data,
 * errors, completion, inspection, is_complete.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "child_process";
import { KernelEnv, PYTHON, installTempKernel, missingJupyter } from "./jupyter-env";

const missing = missingJupyter();
if (missing) console.log(`SKIP kernel suite: ${missing}`);
const it = missing ? test.skip : test;

let kernel: KernelEnv | undefined;
test.after(() => kernel?.cleanup());

it("the trax-ts kernel passes jupyter_kernel_test", () => {
  kernel = installTempKernel();
  const r = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_trax_kernel"], {
    cwd: __dirname,
    env: { ...kernel.env, TRAX_KERNEL_NAME: "trax-ts" },
    encoding: "utf8",
    timeout: 400000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) console.log(out.slice(-6000));
  assert.is(r.status, 0, `python -m unittest failed (${r.status ?? r.signal})`);
  assert.match(out, /\nOK/);
  // The samples ran (none of the suite's tests skipped for want of a sample).
  for (const name of ["test_execute_result", "test_display_data", "test_completion", "test_inspect", "test_error", "test_execute_stdout"]) {
    assert.match(out, new RegExp(`${name} \\([^)]*\\) \\.\\.\\. ok`), `${name} did not pass`);
  }
});

test.run();
