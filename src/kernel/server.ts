/**
 * The trax-ts Jupyter kernel: tslab's executor and ZMQ server, from this
 * package's own tslab dependency, with trax-ts loaded before the first cell,
 * last expressions shown through their MIME bundles as `execute_result`, and
 * readable `error` messages.
 * @module
 */
import * as path from "path";
import * as util from "util";
import { packageRoot, resolveOwnPackage } from "./package-root";
import { forwardTypeScriptPaths } from "./typescript-paths";
import { ErrorReport, errorReport, plainText, valueBundleAsync } from "./render";
import { CellLocations } from "./cell-locations";
import { CellHistory, HistoryRequest } from "./history";
import { isCompleteReply } from "./is-complete";
import { watchParent } from "./parent-watch";
import { showPendingPromise, isThenable } from "./pending";
import { CellDeclarations } from "./cell-declarations";

/* The pieces of tslab the kernel uses (tslab/dist/*.js, version 1.0.22). */
interface Conversion {
  output?: string;
  declOutput?: string;
  diagnostics: unknown[];
  hasToplevelAwait?: boolean;
}
interface Converter {
  close(): void;
  convert(prevDecl: string, src: string): Conversion;
  inspect(prevDecl: string, src: string, position: number): unknown;
  complete(prevDecl: string, src: string, position: number): unknown;
  addModule(...args: unknown[]): unknown;
}
interface Executor {
  execute(src: string): Promise<boolean>;
  interrupt(): void;
  close(): void;
  locals: Record<string, unknown>;
}
interface ZmqMessageLike {
  content: { code: string } & Record<string, unknown>;
  header: { msg_type: string };
  createReply(): ZmqMessageLike;
  signAndSend(key: string, sock: unknown): void;
}
interface DisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}
type WriteDisplayData = ((data: DisplayData, update?: boolean) => void) & { trax?: CellChannel };
interface HandlerLike {
  execCount: number;
  handleIsComplete(req: { code: string }): Record<string, unknown>;
  execQueue: { reset(delay?: number): void };
  handleExecuteImpl(req: ExecuteRequest, ...rest: unknown[]): Promise<unknown>;
  handleKernel(): Record<string, unknown> & { language_info: Record<string, unknown> };
  handleExecute(
    req: ExecuteRequest,
    writeStream: (name: string, text: string) => void,
    writeDisplayData: WriteDisplayData
  ): Promise<Record<string, unknown> & { status: string }>;
}
interface ZmqServerLike {
  connInfo: { key: string };
  iopub: unknown;
  handler: HandlerLike;
  init(): Promise<void>;
  close(): void;
  publishStatus(status: string, parent: ZmqMessageLike): void;
  handleShellMessage(sock: unknown, ...args: Buffer[]): Promise<void>;
  handleKernelInfo(sock: unknown, msg: ZmqMessageLike): void;
}
type ZmqServerClass = new (handler: unknown, configPath: string) => ZmqServerLike;

// eslint-disable-next-line @typescript-eslint/no-var-requires
const jupyter = require("tslab/dist/jupyter") as {
  ZmqServer: ZmqServerClass;
  JupyterHandlerImpl: new (executor: Executor, isJs: boolean) => HandlerLike;
  lastWriteDisplayData: WriteDisplayData | null;
};

/** The fields of an execute_request the kernel reads. */
interface ExecuteRequest {
  code: string;
  stop_on_error?: boolean;
  store_history?: boolean;
  silent?: boolean;
}

/** What one running cell reports to the message it answers. */
interface CellChannel {
  /** Shows the value of the cell's last expression (as execute_result). */
  result(value: unknown): void;
  /** Announces the cell (execute_input) once it runs and has its execution count. */
  started(code: string, count: number): void;
  /** Results still rendering; the reply waits for them. */
  pending: Promise<void>[];
  errors: ErrorReport[];
  diagnostics: string[];
}

/** The channel of the cell running now (tslab sets lastWriteDisplayData when a cell starts). */
function currentCell(): CellChannel | undefined {
  return jupyter.lastWriteDisplayData?.trax;
}

/**
 * Sends a MIME bundle to the notebook as `display_data` (or updates the display
 * with the same id). Throws when no cell has run yet.
 *
 * @example
 * ```ts
 * writeDisplay({ "text/plain": "hi", "text/html": "<b>hi</b>" }, { displayId: "x" });
 * ```
 */
export function writeDisplay(bundle: Record<string, unknown>, opts: { displayId?: string; update?: boolean } = {}): void {
  const write = jupyter.lastWriteDisplayData;
  if (!write) throw new Error("trax-ts: no notebook cell is running");
  const data: DisplayData = { data: bundle, metadata: {} };
  if (opts.displayId) data.transient = { display_id: opts.displayId };
  write(data, Boolean(opts.update));
}

/** Bundles `trax.display.show` put on screen: a cell ending in `await trax.display.show(x)` shows x once. */
const shownBundles = new WeakSet<object>();

/** The console tslab's executor prints through: last expressions and errors. */
function kernelConsole(): { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void } {
  return {
    // tslab calls log(value) with the value of a cell's last expression.
    log: (...args: unknown[]) => {
      const cell = currentCell();
      const value = args[0];
      if (!cell || args.length !== 1) console.log(...args);
      else if (typeof value !== "object" || value === null || !shownBundles.has(value)) cell.result(value);
    },
    // error(e) for a thrown value; error(format, file, line, col, message) for a diagnostic.
    error: (...args: unknown[]) => {
      const cell = currentCell();
      if (!cell) console.error(...args);
      else if (args.length === 1) cell.errors.push(errorReport(args[0]));
      else cell.diagnostics.push(util.format(...args));
    },
  };
}

/**
 * tslab's handler, honouring `stop_on_error: false`: after a failed cell tslab
 * aborts the requests that arrive in the next 200 ms (as `stop_on_error: true`
 * asks); a request that allows errors (nbclient's `raises-exception` cells)
 * lets the next cell run.
 */
function createHandler(Base: new (executor: Executor, isJs: boolean) => HandlerLike, executor: Executor, history: CellHistory): HandlerLike {
  const handler = new Base(executor, false);
  let stopOnError = true;
  const run = handler.handleExecuteImpl.bind(handler);
  handler.handleExecuteImpl = (req: ExecuteRequest, ...rest: unknown[]) => {
    stopOnError = req.stop_on_error !== false; // read in reset(), called when this cell fails
    const running = run(req, ...rest); // counts the cell synchronously, then awaits it
    if (req.store_history !== false && req.silent !== true) history.add(handler.execCount, req.code);
    (rest[1] as WriteDisplayData | undefined)?.trax?.started(req.code, handler.execCount);
    return running;
  };
  const tslabIsComplete = handler.handleIsComplete.bind(handler);
  handler.handleIsComplete = (req: { code: string }) => ({ ...isCompleteReply(req.code, (code) => tslabIsComplete({ code })) });
  // kernel_info_reply: the required status, and what this kernel is.
  const info = handler.handleKernel.bind(handler);
  handler.handleKernel = () => {
    const reply = info();
    return {
      ...reply,
      status: "ok",
      implementation: "trax-ts",
      implementation_version: packageVersion(),
      banner: `trax-ts ${packageVersion()} on tslab: TypeScript with trax, tl and tf loaded`,
      language_info: { ...reply.language_info, version: typescriptVersion() },
    };
  };
  const queue = handler.execQueue;
  const reset = queue.reset.bind(queue);
  queue.reset = (delay?: number) => (stopOnError ? reset(delay) : reset());
  return handler;
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require(path.join(packageRoot(), "package.json")) as { version: string }).version;
}

function typescriptVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("tslab") as { versions: { typescript: string } }).versions.typescript;
  } catch {
    return "";
  }
}

/** What the server needs besides tslab's handler. */
interface ServerParts {
  history: CellHistory;
  locations: CellLocations;
}

/** Maps `In[N]:L:C` locations in an error report to the cell's own lines. */
function mapReport(report: ErrorReport, locations: CellLocations): ErrorReport {
  const traceback = locations.rewrite(report.traceback.join("\n")).split("\n");
  return { ...report, evalue: locations.rewrite(report.evalue), traceback };
}

function createServerClass(Base: ZmqServerClass, parts: ServerParts): ZmqServerClass {
  /** tslab's message class (not exported), taken from the first message handled. */
  let Message: { fromRaw(key: string, raw: Buffer[]): ZmqMessageLike } | null = null;
  return class TraxZmqServer extends Base {
    handleKernelInfo(sock: unknown, msg: ZmqMessageLike): void {
      Message ??= msg.constructor as unknown as typeof Message;
      super.handleKernelInfo(sock, msg);
    }

    /** tslab's dispatch, plus `history_request` (tslab leaves it unanswered). */
    async handleShellMessage(sock: unknown, ...args: Buffer[]): Promise<void> {
      const delim = args.findIndex((b) => b.toString() === "<IDS|MSG>");
      const type = delim >= 0 && args[delim + 2] ? (JSON.parse(args[delim + 2].toString()) as { msg_type?: string }).msg_type : undefined;
      if (type !== "history_request" || !Message) return super.handleShellMessage(sock, ...args);
      const msg = Message.fromRaw(this.connInfo.key, args);
      this.publishStatus("busy", msg);
      try {
        const reply = msg.createReply();
        reply.header.msg_type = "history_reply";
        reply.content = parts.history.reply(msg.content as HistoryRequest) as unknown as ZmqMessageLike["content"];
        reply.signAndSend(this.connInfo.key, sock);
      } finally {
        this.publishStatus("idle", msg);
      }
    }

    /** tslab's handleExecute, plus execute_result and error messages. */
    async handleExecute(sock: unknown, msg: ZmqMessageLike): Promise<void> {
      const publish = (type: string, content: Record<string, unknown>): void => {
        const m = msg.createReply();
        m.header.msg_type = type;
        m.content = content as ZmqMessageLike["content"];
        m.signAndSend(this.connInfo.key, this.iopub);
      };
      const cell: CellChannel = {
        errors: [],
        diagnostics: [],
        pending: [],
        started: (code, count) => publish("execute_input", { code, execution_count: count }),
        result: (value) => {
          const count = this.handler.execCount;
          if (isThenable(value)) {
            // A forgotten `await`: a display that follows the promise to its outcome.
            showPendingPromise(value, (bundle, opts) => writeDisplay(bundle, opts), plainText, (t) => parts.locations.rewrite(t));
            return;
          }
          cell.pending.push(
            valueBundleAsync(value).then((data) => publish("execute_result", { execution_count: count, data, metadata: {} }))
          );
        },
      };
      const writeStream = (name: string, text: string): void => publish("stream", { name, text });
      const writeDisplayData: WriteDisplayData = Object.assign(
        (data: DisplayData, update?: boolean) => publish(update ? "update_display_data" : "display_data", data as unknown as Record<string, unknown>),
        { trax: cell }
      );
      const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
      await Promise.all(cell.pending);
      if (content.status === "error") {
        const report: ErrorReport =
          cell.errors[0] ??
          (cell.diagnostics.length > 0
            ? { ename: "TypeScript", evalue: cell.diagnostics.join("\n"), traceback: cell.diagnostics }
            : { ename: "Error", evalue: "the cell failed", traceback: ["the cell failed"] });
        Object.assign(report, mapReport(report, parts.locations));
        publish("error", { ...report });
        Object.assign(content, report);
      } else {
        for (const d of cell.diagnostics) writeStream("stderr", d + "\n");
      }
      const reply = msg.createReply();
      reply.header.msg_type = "execute_reply";
      reply.content = content as unknown as ZmqMessageLike["content"];
      reply.signAndSend(this.connInfo.key, sock);
    }
  } as unknown as ZmqServerClass;
}

/** The code run before the first cell: the globals every notebook gets. */
export const PRELUDE = [
  `import * as trax from "trax-ts";`,
  // Imported (not `const tl = trax.layers`) so that they are namespaces too: `x: tf.Tensor`, `l: tl.Layer`.
  `import { tl, tf } from "trax-ts";`,
  `await trax.backend.ready().then(() => undefined);`,
].join("\n");

/** Options of {@link startKernel}. */
export interface KernelOptions {
  /** Run {@link PRELUDE} (trax, tl, tf, backend chosen) before serving. Default true. */
  prelude?: boolean;
}

/**
 * Starts the kernel on a Jupyter connection file (`{connection_file}` in
 * kernel.json): loads trax-ts, chooses the backend, defines `trax`, `tl` and
 * `tf`, routes `trax.display.show` to the notebook, then serves requests.
 *
 * @example
 * ```ts
 * await startKernel("/run/user/1000/jupyter/kernel-1234.json");
 * ```
 */
export async function startKernel(connectionFile: string, opts: KernelOptions = {}): Promise<void> {
  resolveOwnPackage();
  forwardTypeScriptPaths();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const trax = require("../index") as typeof import("../index"); // trax-ts itself, before tslab compiles the first cell
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createConverter } = require("tslab/dist/converter") as {
    createConverter(o: { isJS: boolean; isBrowser: boolean }): Converter;
  };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createExecutor } = require("tslab/dist/executor") as {
    createExecutor(rootDir: string, convs: unknown, console: unknown): Executor;
  };
  const history = new CellHistory();
  const locations = new CellLocations();
  const cells = new CellDeclarations(locations);
  let node: Converter | undefined;
  let browser: Converter | undefined;
  const convs = {
    get node(): Converter {
      return (node ??= cells.wrap(createConverter({ isJS: false, isBrowser: false })));
    },
    get browser(): Converter {
      return (browser ??= createConverter({ isJS: false, isBrowser: true }));
    },
    close(): void {
      node?.close();
      browser?.close();
    },
  };
  convs.node; // warm the compiler before the first cell
  const executor = cells.wrapExecutor(createExecutor(process.cwd(), convs, kernelConsole()));

  if (opts.prelude !== false) {
    const ok = await executor.execute(PRELUDE);
    if (!ok) console.error("trax-ts kernel: the prelude failed; cells can still import trax-ts themselves");
    connectDisplaySink();
  }

  const Server = createServerClass(jupyter.ZmqServer, { history, locations });
  const handler = createHandler(jupyter.JupyterHandlerImpl, executor, history);
  cells.cellName = () => `In[${handler.execCount}]`;
  const server = new Server(handler, connectionFile);
  // Interrupt: a running training loop stops after its current step (its run rejects with
  // KeyboardInterrupt, naming the step); with none running, tslab abandons the cell.
  process.on("SIGINT", () => {
    if (trax.supervised.interruptTraining() === 0) executor.interrupt();
  });
  const report = (what: string, e: unknown) => {
    const r = mapReport(errorReport(e), locations);
    console.error(`${what}: ${r.ename}: ${r.evalue}${r.traceback.length > 1 ? "\n" + r.traceback.slice(1).join("\n") : ""}`);
  };
  process.on("uncaughtException", (err) => report("Uncaught exception", err));
  process.on("unhandledRejection", (reason) => report("Unhandled promise rejection (a promise made in a cell failed and nothing awaited it)", reason));
  watchParent();
  await server.init();
}

/** Routes `trax.display.show` (the display module's sink) to the notebook. */
function connectDisplaySink(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const display = require("../display") as { setDisplaySink?: (sink: unknown) => void };
  if (typeof display.setDisplaySink !== "function") return;
  display.setDisplaySink((bundle: Record<string, unknown>, opts?: { displayId?: string; update?: boolean }) => {
    shownBundles.add(bundle);
    writeDisplay(bundle, opts ?? {});
  });
}
