/**
 * Crash-safe file replacement, shared by the `.npy`, `.npy.gz` and
 * checkpoint writers.
 * @module
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from "fs";
import * as path from "path";

let tmpCounter = 0;

/**
 * Replaces `file` by `bytes` safely: writes a temporary file (named
 * `.<name>.<pid>.<n>._tmp_`) in the same folder, flushes it to disk, then
 * renames it over `file`, so a reader or a crash never sees a half-written
 * file. The folder must exist; on an error the temporary file is removed and
 * the error is thrown.
 *
 * @example
 * ```ts
 * replaceFileAtomic("/tmp/a.bin", new Uint8Array([1, 2])); // /tmp/a.bin now holds 01 02
 * ```
 */
export function replaceFileAtomic(file: string, bytes: Uint8Array): void {
  removeStaleTempFiles(path.dirname(file), path.basename(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tmpCounter++}._tmp_`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "w");
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* keep the first error */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw namedWriteError(e, file);
  }
}

/** A write error that names the file (and says what ENOSPC means). */
function namedWriteError(e: unknown, file: string): Error {
  if (e instanceof Error && e.message.includes(file)) return e;
  const code = (e as { code?: string }).code;
  if (code === "ENOSPC") return new Error(`cannot write '${file}': no space left on the device (ENOSPC); the previous file is unchanged`);
  if (code === "EDQUOT") return new Error(`cannot write '${file}': disk quota exceeded (EDQUOT); the previous file is unchanged`);
  return new Error(`cannot write '${file}': ${(e as Error).message}; the previous file is unchanged`);
}

/**
 * True when a process with this id runs on this machine (`kill(pid, 0)`;
 * EPERM means it runs under another user).
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.\d+\._tmp_$/;

/**
 * Removes temporary files an interrupted save left in `dir` (of `baseName`
 * only, when given): those of a process that no longer runs, and this
 * process's own (its saves are synchronous, so none is in progress).
 * Returns the names removed; errors (a folder that does not exist) are ignored.
 *
 * @example
 * ```ts
 * removeStaleTempFiles("/tmp/run1"); // [".model.ckpt.gz.4242.0._tmp_"]
 * ```
 */
export function removeStaleTempFiles(dir: string, baseName?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || (baseName !== undefined && m[1] !== baseName)) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    try {
      unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}
