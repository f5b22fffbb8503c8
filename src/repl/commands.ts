/**
 * The REPL's dot-commands: none of them may close the REPL on an error
 * (node's REPL runs a command's action unguarded, so one throw ends the
 * process and every variable with it), `.type` answers with the type checker,
 * and `.check on|off` type-checks each input before it runs.
 * @module
 */
import type { REPLServer } from "repl";
import { ReplTypeChecker, formatDiagnostics } from "./type-checker";

/** What the commands need from the REPL session. */
export interface ReplSession {
  /** The REPL server (node's), once started. */
  server: REPLServer;
  /** Every input evaluated so far, as ts-node keeps it (its virtual file). */
  inputSoFar(): string;
  /** The path of ts-node's virtual file. */
  file: string;
}

/**
 * Type checking of REPL inputs, off by default (ts-node transpiles only, which
 * is fast). The checker is created on first use (`.type`, or `.check on`).
 *
 * @example
 * ```ts
 * const checking = new ReplChecking("/home/me/<repl>.ts");
 * checking.enabled = true;
 * checking.errorsOf("const a = 1;\n", "a.foo\n"); // "1:3 - error TS2339: Property 'foo' does not exist on type 'number'."
 * ```
 */
export class ReplChecking {
  /** Whether each input is checked before it runs (`.check on`). */
  enabled = false;
  private checker: ReplTypeChecker | null = null;

  constructor(private readonly file: string) {}

  /** The checker, created on first use. */
  get typeChecker(): ReplTypeChecker {
    this.checker ??= new ReplTypeChecker(this.file);
    return this.checker;
  }

  /**
   * The type errors of `input` after `previous`, formatted, or `null` when it
   * has none (or when checking is off, or the input does not parse yet).
   */
  errorsOf(previous: string, input: string): string | null {
    if (!this.enabled) return null;
    // ts-node reads `{ a: 1 }` as an object literal when it can: check it that way first.
    if (/^\s*{/.test(input) && !/;\s*$/.test(input)) {
      const wrapped = this.typeChecker.check(previous, `(${input.trim()})\n`);
      if (wrapped !== null && wrapped.length === 0) return null;
    }
    const found = this.typeChecker.check(previous, input);
    return found && found.length > 0 ? formatDiagnostics(found) : null;
  }
}

/** Strips the ANSI colour codes from text. */
function plain(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * Wraps every command of `server` so that an error in one prints a message
 * naming the command and the REPL goes on. Commands defined later through
 * `defineCommand` are wrapped too.
 *
 * @example
 * ```ts
 * guardCommands(server); // `.type m` in transpile-only mode now prints an error instead of exiting
 * ```
 */
export function guardCommands(server: REPLServer): void {
  const guard = (name: string, action: (this: REPLServer, text: string) => void) =>
    function (this: REPLServer, text: string): void {
      try {
        action.call(this, text);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        server.outputStream.write(`trax-ts: .${name} failed: ${plain(message)}\n`);
        server.displayPrompt();
      }
    };
  for (const [name, command] of Object.entries(server.commands)) {
    if (command) command.action = guard(name, command.action);
  }
  const define = server.defineCommand.bind(server);
  server.defineCommand = (name, command) => {
    const cmd = typeof command === "function" ? { action: command } : command;
    define(name, { ...cmd, action: guard(name, cmd.action) });
  };
}

/**
 * Defines `.type` (the type of a name or expression, through the type checker)
 * and `.check [on|off]` (type-check each input before it runs).
 *
 * @example
 * ```ts
 * defineTypeCommands(session, checking);
 * // trax> .type m
 * // const m: DenseLayer
 * ```
 */
export function defineTypeCommands(session: ReplSession, checking: ReplChecking): void {
  const { server } = session;
  const say = (text: string): void => {
    server.outputStream.write(text + "\n");
    server.displayPrompt();
  };
  server.defineCommand("type", {
    help: "Show the type of a name or expression (e.g. .type model)",
    action(expression: string) {
      if (!expression.trim()) return say("Usage: .type <name or expression>");
      const type = checking.typeChecker.typeOf(session.inputSoFar(), expression);
      say(type ?? `no type information for '${expression.trim()}'`);
    },
  });
  server.defineCommand("check", {
    help: "Type-check each input before it runs: .check on | .check off (off by default: faster)",
    action(arg: string) {
      const a = arg.trim().toLowerCase();
      if (a === "on" || a === "off") {
        checking.enabled = a === "on";
        if (checking.enabled) void checking.typeChecker; // load TypeScript's checker now, not on the next input
        return say(`type checking is ${a}`);
      }
      if (a === "") return say(`type checking is ${checking.enabled ? "on" : "off"} (.check on | .check off)`);
      throw new Error(`expected 'on' or 'off', got '${arg.trim()}'`);
    },
  });
}
