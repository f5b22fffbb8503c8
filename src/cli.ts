/**
 * The `trax-ts` command: `kernel install`, `kernel start` (run by Jupyter),
 * `repl`. Each subcommand loads only what it needs.
 * @module
 */
import * as fs from "fs";
import * as path from "path";

/** The text `trax-ts --help` prints. */
export const USAGE = `Usage: trax-ts <command> [options]

Commands:
  kernel install [--user | --prefix P] [--name N] [--display-name D]
                      register the trax-ts Jupyter kernel (tslab with trax-ts
                      preloaded) with Jupyter; 'jupyter kernelspec list' shows it
  kernel start <connection_file>
                      start the kernel (Jupyter runs this; not for direct use)
  repl [--check]      a TypeScript REPL with trax, tl and tf loaded; --check
                      type-checks each input before it runs (.check on|off)

Options:
  -h, --help          show this help
  -v, --version       show the version

Environment:
  TRAX_BACKEND        force a backend: node-gpu, node, wasm or cpu
  TRAX_JUPYTER        the jupyter command 'kernel install' runs (default: jupyter)
`;

/** Thrown for a command line that cannot be run; the CLI prints the message and the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parsed `kernel install` options. */
interface InstallArgs {
  user: boolean;
  prefix?: string;
  name?: string;
  displayName?: string;
}

function parseInstallArgs(args: string[]): InstallArgs {
  const out: InstallArgs = { user: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--user") out.user = true;
    else if (flag === "--prefix") out.prefix = value();
    else if (flag === "--name") out.name = value();
    else if (flag === "--display-name") out.displayName = value();
    else throw new UsageError(`unknown option for 'kernel install': ${a}`);
  }
  if (out.user && out.prefix) throw new UsageError("give --user or --prefix, not both");
  return out;
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * Runs the command line `argv` (without `node` and the script). Resolves to
 * the exit code; `kernel start` and `repl` resolve only when they end.
 *
 * @example
 * ```ts
 * await runCli(["kernel", "install", "--user"]); // 0
 * ```
 */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    }
    if (command === "-v" || command === "--version") {
      process.stdout.write(version() + "\n");
      return 0;
    }
    if (command === "kernel") {
      const [sub, ...args] = rest;
      if (sub === "install") {
        const opts = parseInstallArgs(args);
        const { installKernel } = await import("./kernel/install");
        const where = installKernel(opts);
        process.stdout.write(`Installed the trax-ts kernel '${opts.name ?? "trax-ts"}' in ${where}\n`);
        return 0;
      }
      if (sub === "start") {
        const file = args[0] === "--config-path" ? args[1] : args[0];
        if (!file) throw new UsageError("kernel start needs the connection file");
        const { startKernel } = await import("./kernel/server");
        await startKernel(file);
        return new Promise<number>(() => undefined); // serves until Jupyter shuts it down
      }
      throw new UsageError(sub ? `unknown kernel command: ${sub}` : "kernel needs a command: install or start");
    }
    if (command === "repl") {
      const unknown = rest.filter((a) => a !== "--check");
      if (unknown.length > 0) throw new UsageError(`repl takes only --check (got ${unknown.join(" ")})`);
      const { startRepl } = await import("./repl");
      await startRepl({ check: rest.includes("--check") });
      return new Promise<number>(() => undefined); // the REPL exits the process itself
    }
    throw new UsageError(`unknown command: ${command}`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`trax-ts: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
