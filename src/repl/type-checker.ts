/**
 * Type information for the REPL: `.type name` and, with `.check on`, type
 * errors reported before an input runs (as tslab reports them in a notebook).
 *
 * The REPL itself runs ts-node in transpile-only mode (fast, no type errors);
 * this checker is a separate TypeScript language service over the same
 * virtual file ts-node keeps (every input so far), with `trax`, `tl` and `tf`
 * declared as the REPL defines them. It is created on first use.
 * @module
 */
import * as path from "path";
import type * as TS from "typescript";
import { packageRoot } from "../kernel/package-root";

/** A type error in the checked input, with its line and column in that input (1-based). */
export interface ReplDiagnostic {
  code: number;
  line: number;
  column: number;
  message: string;
}

/** Diagnostics the REPL ignores, as ts-node's REPL does: redeclared functions, unused names, unreachable code. */
const IGNORED = new Set([2393, 6133, 7027]);

/** The globals the REPL defines, as declarations the checker reads. */
const GLOBALS = `import * as _trax from "trax-ts";
declare global {
  const trax: typeof _trax;
  export import tl = _trax.layers;
  export import tf = _trax.tf;
}
`;

/**
 * A TypeScript language service over the REPL's virtual file.
 *
 * @example
 * ```ts
 * const checker = new ReplTypeChecker("/home/me/<repl>.ts");
 * checker.check("const m = tl.Dense(3);\n", "m.nope\n"); // [{ code: 2339, line: 1, column: 3, message: "Property 'nope' ..." }]
 * checker.typeOf("const m = tl.Dense(3);\n", "m"); // "const m: DenseLayer"
 * ```
 */
export class ReplTypeChecker {
  private readonly ts: typeof TS;
  private readonly service: TS.LanguageService;
  private readonly globalsFile: string;
  private text = "";
  private version = 0;

  /** `replFile` is the path of ts-node's virtual REPL file (its folder resolves imports). */
  constructor(private readonly replFile: string) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    this.ts = require("typescript") as typeof TS;
    const ts = this.ts;
    this.globalsFile = path.join(path.dirname(replFile), "__trax_repl_globals.d.ts");
    const options = this.compilerOptions();
    const host: TS.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [this.replFile, this.globalsFile],
      getScriptVersion: (f) => (f === this.replFile ? String(this.version) : "0"),
      getScriptSnapshot: (f) => {
        const text = f === this.replFile ? this.text : f === this.globalsFile ? GLOBALS : ts.sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => path.dirname(this.replFile),
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => f === this.replFile || f === this.globalsFile || ts.sys.fileExists(f),
      readFile: (f) => (f === this.replFile ? this.text : f === this.globalsFile ? GLOBALS : ts.sys.readFile(f)),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** The REPL's compiler options: loose like the REPL, `trax-ts` mapped to this package, Node's types. */
  private compilerOptions(): TS.CompilerOptions {
    const ts = this.ts;
    const root = packageRoot();
    let nodeTypes: string | null = null;
    try {
      nodeTypes = path.dirname(path.dirname(require.resolve("@types/node/package.json", { paths: [root] })));
    } catch {
      /* no @types/node: the DOM library declares console and timers instead */
    }
    return {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      strict: false,
      skipLibCheck: true,
      noEmit: true,
      lib: nodeTypes ? ["lib.es2022.d.ts"] : ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: nodeTypes ? ["node"] : [],
      typeRoots: nodeTypes ? [nodeTypes] : [],
      paths: {
        "trax-ts": [path.join(root, "dist", "index.d.ts")],
        "trax-ts/*": [path.join(root, "dist", "*", "index.d.ts")],
      },
    };
  }

  private update(text: string): void {
    if (text !== this.text) {
      this.text = text;
      this.version++;
    }
  }

  /**
   * The type errors of `input` when it follows `previous` (the inputs so far),
   * or `null` when `input` does not parse (ts-node then reports it, or asks for
   * more lines). Errors in earlier inputs are not reported again.
   */
  check(previous: string, input: string): ReplDiagnostic[] | null {
    this.update(previous + input);
    const start = previous.length;
    const inInput = (d: TS.Diagnostic): boolean => d.start !== undefined && d.start >= start;
    if (this.service.getSyntacticDiagnostics(this.replFile).some(inInput)) return null;
    const file = this.service.getProgram()?.getSourceFile(this.replFile);
    const first = file ? file.getLineAndCharacterOfPosition(start).line : 0;
    return this.service
      .getSemanticDiagnostics(this.replFile)
      .filter((d) => inInput(d) && !IGNORED.has(d.code) && d.category === this.ts.DiagnosticCategory.Error)
      .map((d) => {
        const pos = file ? file.getLineAndCharacterOfPosition(d.start as number) : { line: first, character: 0 };
        return {
          code: d.code,
          line: pos.line - first + 1,
          column: pos.character + 1,
          message: this.ts.flattenDiagnosticMessageText(d.messageText, "\n"),
        };
      });
  }

  /** The type of `expression` (a name, or a dotted path) after `previous`, as the editor's hover shows it. */
  typeOf(previous: string, expression: string): string | null {
    const trimmed = expression.trim();
    this.update(`${previous}\n${trimmed};\n`);
    const at = previous.length + 1 + trimmed.length - 1;
    const info = this.service.getQuickInfoAtPosition(this.replFile, at);
    if (!info) return null;
    const name = this.ts.displayPartsToString(info.displayParts);
    const doc = this.ts.displayPartsToString(info.documentation);
    return doc ? `${name}\n${doc}` : name;
  }
}

/**
 * Formats diagnostics as the REPL prints them.
 *
 * @example
 * ```ts
 * formatDiagnostics([{ code: 2339, line: 1, column: 3, message: "Property 'nope' does not exist on type 'X'." }]);
 * // "1:3 - error TS2339: Property 'nope' does not exist on type 'X'."
 * ```
 */
export function formatDiagnostics(diagnostics: ReplDiagnostic[]): string {
  return diagnostics.map((d) => `${d.line}:${d.column} - error TS${d.code}: ${d.message}`).join("\n");
}
