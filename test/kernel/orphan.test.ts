/**
 * A kernel whose client is gone exits: its parent (the process that started
 * it through jupyter_client, as Jupyter's server or nbclient does) is killed
 * with SIGKILL, and the kernel process ends by itself.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "child_process";
import { KernelEnv, PYTHON, installTempKernel, missingJupyter } from "./jupyter-env";

const missing = missingJupyter();
if (missing) console.log(`SKIP orphan test: ${missing}`);
const it = missing ? test.skip : test;

let kernel: KernelEnv | undefined;
test.after(() => kernel?.cleanup());

/** Starts the kernel from a Python parent that prints the kernel's pid once it answers, then waits. */
const PARENT = `
import sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="trax-ts", startup_timeout=180)
print(km.provisioner.pid if hasattr(km, "provisioner") and km.provisioner else km.kernel.pid, flush=True)
time.sleep(3600)
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("the kernel exits when the process that started it is killed", async () => {
  kernel = installTempKernel();
  const parent = spawn(PYTHON, ["-c", PARENT], { env: kernel.env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  parent.stderr.on("data", (d) => (err += d));
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    parent.stdout.on("data", (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.on("exit", (code) => reject(new Error(`the parent exited (${code}) before the kernel answered:\n${err.slice(-2000)}`)));
  });
  assert.ok(alive(pid), "the kernel runs while its parent does");
  parent.kill("SIGKILL");
  // Generous bound: the kernel looks every second; this only fails if it never goes.
  const deadline = Date.now() + 60000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const orphaned = alive(pid);
  if (orphaned) process.kill(pid, "SIGKILL");
  assert.not.ok(orphaned, `kernel ${pid} still runs 60 s after its parent was killed`);
});

test.run();
