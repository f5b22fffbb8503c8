/**
 * `trax-ts repl`: a TypeScript REPL (ts-node) with `trax`, `tl` and `tf`
 * loaded, top-level `await`, readable tensors and layer trees, and
 * `trax.display.show` output (progress lines, text charts) in the terminal.
 * @module
 */
import * as path from "path";
import * as util from "util";
import { resolveOwnPackage } from "../kernel/package-root";
import { errorReport, plainText, valueBundle, withTensorSummaries } from "../kernel/render";
import { tf } from "../backend/tf";
import { ReplChecking, defineTypeCommands, guardCommands } from "./commands";
import { asInterrupt, ReplInterrupt, runInterruptible } from "./interrupt";
import { interruptTrainingOnCtrlC } from "./training-interrupt";

/** Options of {@link startRepl}. */
export interface ReplOptions {
  /** Where input comes from (default `process.stdin`). */
  input?: NodeJS.ReadableStream;
  /** Where results go (default `process.stdout`). */
  output?: NodeJS.WritableStream;
  /** Colours in results (default: whether the output is a terminal). */
  colors?: boolean;
  /** The prompt (default `"trax> "`). */
  prompt?: string;
  /** Type-check each input before it runs (default false; `.check on` in the REPL). */
  check?: boolean;
}

/**
 * The text the REPL prints for a value: the value's own inspect view where it
 * has one (layers), the display bundle's `text/plain` for tensors and other
 * displayable values, Node's inspect otherwise.
 *
 * @example
 * ```ts
 * replText(tf.ones([2])); // the tensor's text view
 * replText({ a: 1 }, false); // "{ a: 1 }"
 * ```
 */
export function replText(value: unknown, colors = false): string {
  if (value !== null && typeof value === "object" && util.inspect.custom in (value as object)) {
    return util.inspect(value, { colors, depth: 4 });
  }
  if (value instanceof tf.Tensor) return valueBundle(value)["text/plain"];
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const bundle = valueBundle(value);
    if (Object.keys(bundle).length > 1) return bundle["text/plain"];
  }
  return colors ? util.inspect(withTensorSummaries(value), { colors, depth: 4 }) : plainText(value);
}

/** Bundles the sink printed: `await trax.display.show(x)` prints x once, not its bundle again. */
const shownBundles = new WeakSet<object>();

/** Prints `trax.display.show` bundles as text; an update redraws the lines it replaces on a terminal. */
function terminalSink(output: NodeJS.WritableStream & { isTTY?: boolean }): (bundle: Record<string, unknown>, opts?: { displayId?: string; update?: boolean }) => void {
  const lines = new Map<string, number>();
  let lastId: string | undefined;
  return (bundle, opts = {}) => {
    shownBundles.add(bundle);
    const text = String(bundle["text/plain"] ?? "").replace(/\n$/, "");
    const n = text.split("\n").length;
    if (opts.update && opts.displayId && output.isTTY && lastId === opts.displayId) {
      const before = lines.get(opts.displayId) ?? 0;
      if (before > 0) output.write(`\u001b[${before}F\u001b[J`);
    }
    output.write(text + "\n");
    if (opts.displayId) lines.set(opts.displayId, n);
    lastId = opts.displayId;
  };
}

type ReplEval = (code: string, context: object, file: string, callback: (err: unknown, result?: unknown) => void) => void;

/**
 * What the REPL prints for an error thrown at the prompt: node's REPL prints
 * `Uncaught ` and the inspected value; this value inspects as the readable
 * report (the LayerError message without the engine's stack).
 */
export function readableThrown(error: unknown, colors = false): object {
  const report = errorReport(error);
  const text = report.traceback.join("\n");
  const plain = colors ? text : text.replace(/\u001b\[[0-9;]*m/g, "");
  return { [util.inspect.custom]: () => plain };
}

interface TsNodeReplService {
  evalAwarePartialHost: object;
  setService(service: unknown): void;
  /** Starts node's REPL; options go to `repl.start` (ts-node 10.9). */
  startInternal(options: { prompt?: string; writer?: (value: unknown) => string; eval?: ReplEval; ignoreUndefined?: boolean }): import("repl").REPLServer;
  /** ts-node's eval for node's REPL. */
  nodeEval: ReplEval;
}

/**
 * Starts the REPL. Resolves once it is ready for input; the process exits
 * when the REPL is closed (`.exit`, Ctrl-D or end of input).
 *
 * @example
 * ```ts
 * await startRepl(); // trax> tl.Serial(tl.Dense(4), tl.Relu())
 * ```
 */
export async function startRepl(opts: ReplOptions = {}): Promise<void> {
  resolveOwnPackage();
  const input = opts.input ?? process.stdin;
  const output = (opts.output ?? process.stdout) as NodeJS.WritableStream & { isTTY?: boolean };
  const colors = opts.colors ?? Boolean(output.isTTY);
  // The same module instance `import ... from "trax-ts"` gives in the REPL.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const trax = require("trax-ts") as typeof import("../index");
  await trax.backend.ready();
  // A terminal shows text only: live views then stay out of the way of progress bars.
  trax.display.setDisplaySink(terminalSink(output) as Parameters<typeof trax.display.setDisplaySink>[0], { textOnly: true });

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tsNode = require("ts-node") as {
    createRepl(o: object): TsNodeReplService;
    create(o: object): unknown;
  };
  // ts-node keeps every input in a virtual file; the state object is ours so the type checker can read it.
  const state = { path: path.join(process.cwd(), "<repl>.ts"), input: "", output: "", version: 0, lines: 0 };
  const repl = tsNode.createRepl({ stdin: input, stdout: output, stderr: output, state });
  const service = tsNode.create({
    ...repl.evalAwarePartialHost,
    transpileOnly: true,
    skipProject: true,
    experimentalReplAwait: true,
    compilerOptions: { module: "commonjs", target: "es2020", esModuleInterop: true, strict: false, sourceMap: true },
  });
  repl.setService(service);
  const info = trax.backend.info();
  output.write(`trax-ts REPL (TypeScript) on the ${info.backend} backend; trax, tl and tf are loaded. .help for commands\n`);
  // ts-node's REPL evaluates in the global context.
  Object.assign(globalThis, { trax, tl: trax.layers, tf: trax.tf });
  const checking = new ReplChecking(state.path);
  checking.enabled = opts.check ?? false;
  // Ctrl-C skips every `finally` of the code it stops: the tf.tidy scopes, gradient tape and
  // trax-ts depth counters it left open are put back as they were before the input.
  let nestingBefore: ReturnType<typeof trax.backend.captureNesting> | null = null;
  const evaluate: ReplEval = (code, context, file, callback) => {
    const typeErrors = typeErrorsOf(checking, state.input, code);
    if (typeErrors) return callback(readableThrown(Object.assign(new Error(typeErrors), { name: "TSError" }), colors));
    nestingBefore = trax.backend.captureNesting();
    try {
      runInterruptible(input as NodeJS.ReadableStream & { isTTY?: boolean }, () =>
        repl.nodeEval(code, context, file, (err, result) => {
          // Node's REPL asks for more input on a Recoverable error: pass those on untouched.
          if (err && (err as { constructor?: { name?: string } }).constructor?.name !== "Recoverable") {
            callback(readableThrown(afterInterrupt(asInterrupt(err)), colors));
          } else if (typeof result === "object" && result !== null && shownBundles.has(result)) {
            callback(null, undefined);
          } else callback(err, result);
        })
      );
    } catch (e) {
      throw afterInterrupt(e);
    }
  };
  // Ctrl-C may have stopped a product half way on the threaded wasm build, whose pool
  // could then hang the next one: trax-ts moves to a fresh single-threaded instance.
  const afterInterrupt = (e: unknown): unknown => {
    if (e instanceof ReplInterrupt) {
      // First off the threaded build (whose locks the stopped code may hold), then free.
      trax.backend.recoverFromInterrupt();
      if (nestingBefore) trax.backend.restoreNesting(nestingBefore);
      nestingBefore = null;
    }
    return e;
  };
  const server = repl.startInternal({ prompt: opts.prompt ?? "trax> ", writer: (value: unknown) => replText(value, colors), eval: evaluate, ignoreUndefined: true });
  guardCommands(server);
  defineTypeCommands({ server, file: state.path, inputSoFar: () => state.input }, checking);
  // Ctrl-C while a loop trains stops it after its step (KeyboardInterrupt, resumable).
  interruptTrainingOnCtrlC(server, () => trax.supervised.interruptTraining());
}

/** The type errors of a REPL input under `.check on`, as one message; null when none or checking is off. */
function typeErrorsOf(checking: ReplChecking, previous: string, code: string): string | null {
  try {
    const errors = checking.errorsOf(previous, code);
    return errors ? `Type errors (the input did not run; .check off to run without checking):\n${errors}` : null;
  } catch (e) {
    return `trax-ts: the type checker failed (${e instanceof Error ? e.message : String(e)}); .check off to go on without it`;
  }
}
