/**
 * `trax-ts kernel install`: writes the kernelspec and registers it with Jupyter.
 * @module
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "./package-root";

/** Options of {@link installKernel}. */
export interface InstallOptions {
  /** Install into the per-user kernel registry (`jupyter kernelspec install --user`). */
  user?: boolean;
  /** Install into `<prefix>/share/jupyter/kernels/<name>`. */
  prefix?: string;
  /** The kernel name (default `trax-ts`). */
  name?: string;
  /** The name shown in Jupyter's kernel menu (default "TypeScript (trax-ts)", or "TypeScript (trax-ts: NAME)" for another `name`). */
  displayName?: string;
  /** The `jupyter` command (default `$TRAX_JUPYTER` or `jupyter` on PATH). */
  jupyter?: string;
  /** Where the kernel's output of `jupyter kernelspec install` goes (default inherit). */
  quiet?: boolean;
}

/** The kernelspec (`kernel.json`) the kernel is installed with. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  [key: string]: unknown;
}

/**
 * The kernelspec for this installation: the template in `kernels/trax-ts`
 * with the absolute paths of this node binary and of this package's launcher.
 *
 * @example
 * ```ts
 * kernelSpec().argv; // ["/usr/bin/node", "/.../trax-ts/bin/trax-ts.js", "kernel", "start", "{connection_file}"]
 * ```
 */
export function kernelSpec(opts: Pick<InstallOptions, "displayName" | "name"> = {}): KernelSpec {
  const root = packageRoot();
  const template = JSON.parse(fs.readFileSync(path.join(root, "kernels", "trax-ts", "kernel.json"), "utf8")) as KernelSpec;
  const [, launcher, ...rest] = template.argv;
  const spec: KernelSpec = { ...template, argv: [process.execPath, path.join(root, launcher), ...rest] };
  delete spec.metadata;
  spec.display_name = displayNameFor(opts);
  return spec;
}

/**
 * The kernel menu's name: the one given, else one derived from the kernel
 * name, so that two installed kernels never look alike.
 *
 * @example
 * ```ts
 * displayNameFor({ name: "trax-dev" }); // "TypeScript (trax-ts: trax-dev)"
 * ```
 */
export function displayNameFor(opts: Pick<InstallOptions, "displayName" | "name"> = {}): string {
  if (opts.displayName) return opts.displayName;
  const name = opts.name ?? "trax-ts";
  return name === "trax-ts" ? "TypeScript (trax-ts)" : `TypeScript (trax-ts: ${name})`;
}

/**
 * Writes the kernelspec directory (kernel.json and the logos next to the
 * template) into a fresh temporary folder and returns its path.
 */
export function writeKernelSpecDir(name: string, opts: Pick<InstallOptions, "displayName"> = {}): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "trax-ts-kernelspec-")), name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec({ ...opts, name }), null, 2) + "\n");
  const templateDir = path.join(packageRoot(), "kernels", "trax-ts");
  for (const f of fs.readdirSync(templateDir)) {
    if (/^logo-.*\.(png|svg)$/.test(f)) fs.copyFileSync(path.join(templateDir, f), path.join(dir, f));
  }
  return dir;
}

/**
 * Registers the trax-ts kernel with Jupyter (`jupyter kernelspec install`),
 * then `jupyter kernelspec list` shows it. Returns where Jupyter put it.
 *
 * @example
 * ```ts
 * installKernel({ user: true }); // ~/.local/share/jupyter/kernels/trax-ts
 * ```
 */
export function installKernel(opts: InstallOptions = {}): string {
  if (opts.user && opts.prefix) throw new Error("trax-ts kernel install: give --user or --prefix, not both");
  const name = opts.name ?? "trax-ts";
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new Error(`trax-ts kernel install: bad kernel name '${name}' (letters, digits, . _ - only)`);
  const dir = writeKernelSpecDir(name, opts);
  const jupyter = opts.jupyter ?? process.env.TRAX_JUPYTER ?? "jupyter";
  const args = ["kernelspec", "install", dir, "--name", name, "--replace"];
  if (opts.user) args.push("--user");
  if (opts.prefix) args.push("--prefix", path.resolve(opts.prefix));
  const run = spawnSync(jupyter, args, { encoding: "utf8" });
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  if (run.error) {
    const why = (run.error as NodeJS.ErrnoException).code === "ENOENT" ? `'${jupyter}' was not found; install Jupyter first` : run.error.message;
    throw new Error(`trax-ts kernel install: ${why}`);
  }
  if (run.status !== 0) {
    throw new Error(`trax-ts kernel install: '${jupyter} ${args.join(" ")}' failed:\n${run.stderr || run.stdout}`);
  }
  // Jupyter says "Installed kernelspec trax-ts in <dir>" on stderr.
  const said = /Installed kernelspec \S+ in (.+)/.exec(`${run.stderr}\n${run.stdout}`);
  return said ? said[1].trim() : name;
}
