/**
 * `trax-ts repl` in a real pseudo-terminal (tmux): no command closes the REPL
 * on an error, `.type` answers, Ctrl-C breaks a synchronous loop and the
 * session keeps its variables, `.check on` / `--check` report type errors
 * before an input runs. Every wait is bounded and waits for output, never a
 * fixed sleep.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "child_process";
import { LAUNCHER, assertBuilt } from "../kernel/jupyter-env";

const test = suite("repl in a terminal");
const WAIT_MS = 120000;
const PROMPT = "trax> ";
const HAS_TMUX = spawnSync("tmux", ["-V"]).status === 0;

/** A REPL running in a tmux pane of its own server. */
class TerminalRepl {
  private readonly socket = `trax-repl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  /** `env`: extra variables for the REPL, as `NAME=value` words. */
  constructor(args: string[] = [], env = "") {
    assertBuilt();
    const command = [process.execPath, LAUNCHER, "repl", ...args].map((a) => `'${a}'`).join(" ");
    this.tmux(["new-session", "-d", "-s", "repl", "-x", "160", "-y", "50",
      `env TRAX_QUIET=1 FORCE_COLOR=0 ${env} ${command}; echo "[repl exited $?]"; sleep 3600`]);
    this.tmux(["set-option", "-t", "repl", "history-limit", "20000"]);
  }

  private tmux(args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }

  /** Everything the pane shows, scrollback included, joined lines. */
  screen(): string {
    return this.tmux(["capture-pane", "-p", "-J", "-S", "-20000", "-t", "repl"]);
  }

  /** Waits (bounded) until `test` holds for the screen; returns it. */
  async waitFor(what: string, test: (screen: string) => boolean): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const s = this.screen();
      if (test(s)) return s;
      if (/\[repl exited \d+\]/.test(s)) throw new Error(`the REPL exited while waiting for ${what}:\n${s}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** How many prompts the REPL has printed. */
  prompts(): number {
    return this.screen().split(PROMPT).length - 1;
  }

  /** Types `line` and Enter, without waiting. */
  type(line: string): void {
    this.tmux(["send-keys", "-t", "repl", "-l", line]);
    this.tmux(["send-keys", "-t", "repl", "Enter"]);
  }

  /** Types `line` and Enter; resolves with what the REPL printed before its next prompt. */
  async input(line: string): Promise<string> {
    const before = this.prompts();
    this.type(line);
    const s = await this.waitFor(`the prompt after ${JSON.stringify(line)}`, (sc) => sc.split(PROMPT).length - 1 > before);
    return s.split(PROMPT)[before].slice(line.length).trim();
  }

  /** Presses Ctrl-C. */
  ctrlC(): void {
    this.tmux(["send-keys", "-t", "repl", "C-c"]);
  }

  /**
   * Types `line` (code that runs until interrupted), waits until it prints
   * the line `marker`, presses Ctrl-C and resolves with what the REPL printed
   * before its next prompt. (The marker must not appear in the echoed input:
   * build it by concatenation there.)
   */
  async interrupt(line: string, marker: string): Promise<string> {
    const started = this.prompts();
    this.type(line);
    await this.waitFor(`${JSON.stringify(marker)} to be printed`, (s) => new RegExp(`^${marker}$`, "m").test(s.split(PROMPT)[started] ?? ""));
    this.ctrlC();
    const s = await this.waitFor("the prompt after Ctrl-C", (sc) => sc.split(PROMPT).length - 1 > started);
    return s.split(PROMPT)[started];
  }

  close(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
  }
}

let repl: TerminalRepl | null = null;

test.before(async () => {
  if (!HAS_TMUX) return;
  repl = new TerminalRepl();
  await repl.waitFor("the first prompt", (s) => s.includes(PROMPT));
});

test.after(() => repl?.close());

test("tmux is installed (scripts/install-system-deps.sh installs it)", () => {
  assert.ok(HAS_TMUX, "tmux is missing: the REPL's terminal checks need it");
});

test(".type shows a name's type, and the REPL goes on", async () => {
  if (!repl) return;
  assert.is(await repl.input("const m = tl.Dense(3)"), "");
  assert.match(await repl.input(".type m"), /^const m: tl\.Returns<tf\.Tensor<tf\.Rank>> & DenseLayer$/m);
  assert.match(await repl.input(".type m.weights"), /weights: /);
  assert.is(await repl.input("m.nOut + 1"), "2");
});

test("a command that fails prints why and leaves the REPL and its variables in place", async () => {
  if (!repl) return;
  assert.match(await repl.input(".check maybe"), /trax-ts: \.check failed: expected 'on' or 'off', got 'maybe'/);
  assert.match(await repl.input(".type"), /Usage: \.type/);
  assert.is(await repl.input("m.nIn"), "1");
});

test("Ctrl-C breaks a running synchronous loop; what it set is kept", async () => {
  if (!repl) return;
  // No prompt comes back until the loop is broken: type the line, wait until it runs, then Ctrl-C.
  // ("loop" + "ing": the echoed input line must not match what the running loop prints.)
  const printed = await repl.interrupt('let i = 0; console.log("loop" + "ing"); while (true) { i++; }', "looping");
  assert.match(printed, /KeyboardInterrupt: Ctrl-C stopped the input/);
  assert.is(await repl.input("i > 1000"), "true");
  // At the prompt, Ctrl-C is node's REPL's own again (a hint, not an exit).
  repl.ctrlC();
  await repl.waitFor("the exit hint", (sc) => sc.includes("(To exit, press Ctrl+C again"));
  assert.is(await repl.input("i > 0"), "true");
});

test("Ctrl-C inside tf.tidy puts the engine's scopes back and frees what the interrupted scopes made; earlier tensors stay", async () => {
  if (!repl) return;
  assert.is(await repl.input("const x0 = tf.ones([4]); const n0 = tf.memory().numTensors; tf.engine().state.scopeStack.length"), "0");
  // 450 tensors made inside the tidy, then a loop that only Ctrl-C ends (outside the tidy's own try/finally's reach).
  const printed = await repl.interrupt('tf.tidy(() => { for (let k = 0; k < 450; k++) tf.add(x0, k); console.log("tid" + "ying"); while (true) {} })', "tidying");
  assert.match(printed, /KeyboardInterrupt: Ctrl-C stopped the input/);
  assert.is(await repl.input("tf.engine().state.scopeStack.length"), "0");
  assert.is(await repl.input("tf.memory().numTensors - n0"), "0");
  assert.is(await repl.input("x0.isDisposed"), "false");
  // Top-level tensors are the user's again (a dangling scope would have taken them), tidy frees as before.
  assert.is(await repl.input("const y0 = tf.add(x0, 1); tf.tidy(() => tf.add(x0, 2)).dispose(); tf.memory().numTensors - n0"), "1");
  assert.is(await repl.input("y0.dataSync().join(',')"), "'2,2,2,2'");
});

test("Ctrl-C inside a layer call or a gradient leaves later calls leak-free and gradients off", async () => {
  if (!repl) return;
  assert.is(await repl.input("const spin = tl.Serial(tl.Relu(), tl.Fn('Spin', (x) => { const y = tf.add(x, 1); console.log('spin' + 'ning'); while (true) {} return y; }));"), "");
  await repl.interrupt("spin(tf.ones([2, 3]))", "spinning");
  assert.is(await repl.input("const mlp = tl.Serial(tl.Dense(4), tl.Relu(), tl.Dense(2)); const xb = tf.ones([3, 5]); mlp(xb).dispose(); const n1 = tf.memory().numTensors"), "");
  assert.is(await repl.input("for (let k = 0; k < 5; k++) mlp(xb).dispose(); tf.memory().numTensors - n1"), "0");
  await repl.interrupt("tf.grad((x) => { const y = tf.square(x).sum(); console.log('grad' + 'ing'); while (true) {} return y; })(xb)", "grading");
  assert.is(await repl.input("[tf.engine().state.scopeStack.length, tf.engine().state.gradientDepth, tf.engine().state.kernelDepth].join(' ')"), "'0 0 0'");
  assert.is(await repl.input("for (let k = 0; k < 5; k++) mlp(xb).dispose(); tf.memory().numTensors - n1"), "0");
  assert.is(await repl.input("tf.grad((x) => tf.square(x).sum())(tf.tensor([3])).dataSync()[0]"), "6");
});

test(".check on reports type errors before the input runs; .check off runs it", async () => {
  if (!repl) return;
  assert.is(await repl.input(".check on"), "type checking is on");
  const refused = await repl.input('const z: number = "text"');
  assert.match(refused, /error TS2322: Type 'string' is not assignable to type 'number'/);
  assert.match(refused, /the input did not run/);
  assert.match(await repl.input("m.nope"), /1:3 - error TS2339: Property 'nope' does not exist on type '[^']*Returns<[^']*Tensor[^']*> & DenseLayer'/);
  assert.is(await repl.input("m.nOut * 2"), "2");
  assert.is(await repl.input(".check off"), "type checking is off");
  assert.is(await repl.input('const z: number = "text"; z'), "'text'");
});

test("trax-ts repl --check starts with type checking on", async () => {
  if (!HAS_TMUX) return;
  const checked = new TerminalRepl(["--check"]);
  try {
    await checked.waitFor("the first prompt", (s) => s.includes(PROMPT));
    assert.match(await checked.input("const w: string = tl.Dense(2).nOut"), /error TS2322: Type 'number' is not assignable to type 'string'/);
    assert.is(await checked.input("tl.Dense(2).nOut"), "1");
  } finally {
    checked.close();
  }
});

test("on wasm threads, Ctrl-C in a loop of products leaves the REPL computing (a fresh one-thread instance); ready() brings the threads back", async () => {
  if (!HAS_TMUX) return;
  const threaded = new TerminalRepl([], "TRAX_THREADS=2");
  try {
    await threaded.waitFor("the first prompt", (s) => s.includes(PROMPT));
    assert.is(await threaded.input("trax.backend.info().threads"), "2");
    assert.is(await threaded.input("const a = tf.randomNormal([256, 256], 0, 1, 'float32', 1); const s0 = tf.matMul(a, a).sum().arraySync()"), "");
    const started = threaded.prompts();
    // Most of the loop's time is spent inside the threaded build's products, where Ctrl-C lands.
    threaded.type('console.log("multi" + "plying"); while (true) { tf.tidy(() => tf.matMul(a, a)); }');
    await threaded.waitFor("the loop to start", (s) => /^multiplying$/m.test(s.split(PROMPT)[started] ?? ""));
    threaded.ctrlC();
    const s = await threaded.waitFor("the prompt after Ctrl-C", (sc) => sc.split(PROMPT).length - 1 > started);
    assert.ok(/KeyboardInterrupt: Ctrl-C stopped the input/.test(s.split(PROMPT)[started]), s);
    // The tidy it stopped is closed, on the quarantined threaded instance too (each finished
    // iteration's product is the loop's own: tidy returned it).
    assert.is(await threaded.input("tf.engine().state.scopeStack.length"), "0");
    assert.is(await threaded.input("Math.abs(tf.matMul(a, a).sum().arraySync() - s0) <= 1e-4 * Math.abs(s0)"), "true");
    assert.is(await threaded.input("trax.backend.info().threads"), "1");
    assert.is(await threaded.input("(await trax.backend.ready()).threads"), "2");
    assert.is(await threaded.input("Math.abs(tf.matMul(a, a).sum().arraySync() - s0) <= 1e-4 * Math.abs(s0)"), "true");
  } finally {
    threaded.close();
  }
});

test.run();
