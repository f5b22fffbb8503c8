/**
 * Where the datasets that ship with trax-ts live on disk.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

let cached: string | null = null;

/**
 * The folder holding the bundled datasets (`datasets/` of the package).
 * Found by walking up from this module's folder to the `trax-ts` package root,
 * so it works from `src/data/` (tests, tsx) and `dist/data/` (the build) alike.
 * The `TRAX_DATASETS` environment variable overrides it.
 *
 * @example
 * ```ts
 * trax.data.datasetsDir(); // "/path/to/node_modules/trax-ts/datasets"
 * ```
 */
export function datasetsDir(): string {
  const env = process.env.TRAX_DATASETS;
  if (env) return path.resolve(env);
  if (cached !== null) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && existsSync(path.join(dir, "datasets"))) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "trax-ts") return (cached = path.join(dir, "datasets"));
      } catch {
        // Not a readable package.json: keep walking up.
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`trax-ts data: cannot find the datasets/ folder of the trax-ts package above ${__dirname}; set TRAX_DATASETS to it`);
}

/**
 * The full path of a bundled dataset file, checked to exist.
 *
 * @example
 * ```ts
 * trax.data.datasetPath("iris.csv");
 * ```
 */
export function datasetPath(file: string): string {
  const p = path.join(datasetsDir(), file);
  if (!existsSync(p)) throw new Error(`trax-ts data: dataset file ${file} is missing from ${datasetsDir()}`);
  return p;
}
