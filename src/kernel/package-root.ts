/**
 * Where this package lives on disk, and how to make `trax-ts` resolve to it.
 * @module
 */
import * as fs from "fs";
import * as path from "path";
import Module = require("module");

/**
 * The directory of the trax-ts package that holds this file (the one with
 * trax-ts's `package.json`), found from `dist/kernel` or `src/kernel`.
 *
 * @example
 * ```ts
 * const root = packageRoot(); // e.g. /home/me/project/node_modules/trax-ts
 * ```
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "trax-ts") return dir;
      } catch {
        /* keep looking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`trax-ts: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

const PACKAGE_NAME = "trax-ts";

/** Whether a module request names this package (`trax-ts` or `trax-ts/...`). */
export function isOwnRequest(request: string): boolean {
  return request === PACKAGE_NAME || request.startsWith(PACKAGE_NAME + "/");
}

let hooked = false;

/**
 * Makes `require("trax-ts")` (and `trax-ts/layers`) load this very package
 * from anywhere, whatever the current directory: notebooks and REPL sessions
 * run from the user's folders, which need not have trax-ts in node_modules,
 * and every display call must reach the module instance the kernel loaded.
 * Idempotent.
 *
 * @example
 * ```ts
 * resolveOwnPackage();
 * require("trax-ts") === require(path.join(packageRoot(), "dist/index.js")); // true
 * ```
 */
export function resolveOwnPackage(): void {
  if (hooked) return;
  hooked = true;
  // Node resolves a package's own name through its "exports" map (self-reference)
  // for any module inside the package; resolve from a file at the package root.
  const self = Module.createRequire(path.join(packageRoot(), "package.json"));
  const M = Module as unknown as {
    _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  };
  const original = M._resolveFilename;
  M._resolveFilename = function (request: string, parent: unknown, isMain: boolean, options?: unknown): string {
    if (isOwnRequest(request)) {
      try {
        return self.resolve(request);
      } catch {
        /* fall through to the ordinary resolution and its error */
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}
