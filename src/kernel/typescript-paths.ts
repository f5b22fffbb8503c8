/**
 * Lets tslab's TypeScript compiler see this package as `<cwd>/node_modules/trax-ts`,
 * so `import * as trax from "trax-ts"` type-checks in a notebook whose folder
 * has no trax-ts installed (tslab does the same for its own `tslab` module).
 * @module
 */
import * as fs from "fs";
import * as path from "path";
import Module = require("module");
import { packageRoot } from "./package-root";

/** The parts of `ts.sys` that module resolution reads. */
interface TsSys {
  getCurrentDirectory(): string;
  readFile(p: string, encoding?: string): string | undefined;
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readDirectory(p: string, ...rest: unknown[]): string[];
  getDirectories(p: string): string[];
  realpath?(p: string): string;
}

/**
 * Subpaths the package's `exports` map sends elsewhere (`trax-ts/layers` ->
 * `dist/layers`); TypeScript's Node10 resolution, which tslab uses, ignores
 * `exports`.
 */
function exportedDirs(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    exports?: Record<string, { types?: string } | string>;
  };
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === "string" ? target : target.types;
    if (!types || key === "." || !key.startsWith("./")) continue;
    const sub = key.slice(2);
    const dir = path.posix.dirname(types.replace(/^\.\//, ""));
    if (path.posix.basename(types).startsWith("index.")) out.set(sub, dir);
  }
  return out;
}

/**
 * Exports the module-private classes of a declaration file. tslab emits a
 * declaration for every cell variable to carry it to the next cell; a layer
 * whose class is not exported (`declare class SerialLayer`) cannot be named
 * there, and TypeScript rejects `const model = tl.Serial(...)` with "has or is
 * using private name". Exporting the class names from the .d.ts changes
 * nothing else.
 */
export function nameableClasses(dts: string): string {
  return dts.replace(/^declare (abstract )?class /gm, "export declare $1class ");
}

/**
 * Forwards reads under `<cwd>/node_modules/trax-ts` to this package's files in
 * the TypeScript instance tslab compiles with. Call before the kernel's
 * converter is created. Returns the function that maps a path (for tests).
 *
 * @example
 * ```ts
 * const forward = forwardTypeScriptPaths();
 * forward(process.cwd() + "/node_modules/trax-ts/package.json"); // -> <package root>/package.json
 * ```
 */
export function forwardTypeScriptPaths(): (p: string) => string {
  const tslabRequire = Module.createRequire(require.resolve("tslab/package.json"));
  const ts = tslabRequire("@tslab/typescript-for-tslab") as { sys: TsSys & { __traxForwarded?: (p: string) => string } };
  const sys = ts.sys;
  if (sys.__traxForwarded) return sys.__traxForwarded;
  const root = packageRoot();
  const dirs = exportedDirs(root);
  const virtual = path.posix.join(sys.getCurrentDirectory().replace(/\\/g, "/"), "node_modules", "trax-ts");
  const forward = (p: string): string => {
    if (p !== virtual && !p.startsWith(virtual + "/")) return p;
    const rest = p.slice(virtual.length + 1);
    if (rest === "") return root;
    const [head, ...tail] = rest.split("/");
    const mapped = dirs.get(head);
    if (mapped && !fs.existsSync(path.join(root, head))) return path.join(root, mapped, ...tail);
    return path.join(root, rest);
  };
  const { readFile, fileExists, directoryExists, readDirectory, getDirectories, realpath } = sys;
  const dist = path.join(root, "dist") + path.sep;
  sys.readFile = (p, encoding) => {
    const real = forward(p);
    const text = readFile.call(sys, real, encoding);
    return text !== undefined && real.startsWith(dist) && real.endsWith(".d.ts") ? nameableClasses(text) : text;
  };
  sys.fileExists = (p) => fileExists.call(sys, forward(p));
  sys.directoryExists = (p) => directoryExists.call(sys, forward(p));
  sys.readDirectory = (p, ...rest) => readDirectory.call(sys, forward(p), ...rest);
  sys.getDirectories = (p) => getDirectories.call(sys, forward(p));
  // The real path lets the package's own imports (@tensorflow/...) resolve from where it lives.
  sys.realpath = (p) => (realpath ? realpath.call(sys, forward(p)) : forward(p));
  sys.__traxForwarded = forward;
  return forward;
}
