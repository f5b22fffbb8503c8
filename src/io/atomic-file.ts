/**
 * Crash-safe file replacement, shared by the `.npy`, `.npy.gz` and
 * checkpoint writers.
 * @module
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "fs";
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
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}
