/**
 * A lock file that keeps two writers (training loops) out of one folder.
 * The file holds the owner's pid and host; a lock whose process no longer
 * runs (on this host) is stale and taken over.
 * @module
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "fs";
import * as os from "os";
import * as path from "path";
import { isProcessAlive } from "./atomic-file";

/** Name of the lock file inside a locked folder. */
export const LOCK_FILE = ".trax-ts.lock";

interface LockInfo {
  pid: number;
  host: string;
  /** Which lock of the owning process (several loops in one process). */
  id: number;
}

let nextId = 1;
/** Locks this process holds, by file. */
const held = new Map<string, DirLock>();

/**
 * A held lock on a folder; `release()` gives it up (also done at process exit).
 *
 * @example
 * ```ts
 * const lock = DirLock.acquire("/tmp/run1", "Loop");
 * lock.release();
 * ```
 */
export class DirLock {
  private constructor(
    /** The lock file. */
    readonly file: string,
    /** @internal Which lock of this process. */
    readonly id: number
  ) {}

  /** True while this lock is the folder's lock (not released, not taken over). */
  get isHeld(): boolean {
    return held.get(this.file) === this;
  }

  /**
   * Takes the lock of `dir` (created if missing). Throws, naming the folder
   * and the owner, when another running process holds it; a lock of a
   * process that no longer runs is taken over. Within one process, a lock
   * is taken over from an owner that `mayTakeOver` allows (e.g. a loop that
   * is not running: a notebook cell run again).
   */
  static acquire(dir: string, who: string, mayTakeOver: (owner: DirLock) => boolean = () => false): DirLock {
    const file = path.join(dir, LOCK_FILE);
    const mine = held.get(file);
    if (mine !== undefined) {
      if (!mayTakeOver(mine)) throw new Error(`${who}: '${dir}' is in use by another ${who} of this process that is running; stop it (or use another outputDir)`);
      held.delete(file);
      tryUnlink(file);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const info: LockInfo = { pid: process.pid, host: os.hostname(), id: nextId++ };
      let fd: number;
      try {
        fd = openSync(file, "wx");
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw new Error(`${who}: cannot create the lock file '${file}': ${(e as Error).message}`);
        const owner = readLock(file);
        if (owner !== null && !isStale(owner)) {
          throw new Error(
            `${who}: '${dir}' is in use by process ${owner.pid} on ${owner.host} (lock file '${file}'); ` +
              `two writers would overwrite each other's checkpoints. Use another outputDir, or delete the lock file if that process is gone.`
          );
        }
        tryUnlink(file); // stale (or unreadable: a writer that died before writing it)
        continue;
      }
      try {
        writeSync(fd, JSON.stringify(info));
      } finally {
        closeSync(fd);
      }
      const lock = new DirLock(file, info.id);
      held.set(file, lock);
      return lock;
    }
    throw new Error(`${who}: cannot take the lock file '${file}' (other processes keep taking it)`);
  }

  /** Gives the lock up (removes the file if it is still this lock's). */
  release(): void {
    if (!this.isHeld) return;
    held.delete(this.file);
    const owner = readLock(this.file);
    if (owner !== null && owner.pid === process.pid && owner.id === this.id) tryUnlink(this.file);
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
    return Number.isInteger(info.pid) && typeof info.host === "string" ? info : null;
  } catch {
    return null;
  }
}

function isStale(owner: LockInfo): boolean {
  if (owner.host !== os.hostname()) return false; // cannot tell: another machine's process
  if (owner.pid === process.pid) return ![...held.values()].some((l) => l.id === owner.id);
  return !isProcessAlive(owner.pid);
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

process.on("exit", () => {
  for (const lock of [...held.values()]) lock.release();
});
