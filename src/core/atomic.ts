/**
 * Atomic file writes: the text goes to a temporary file in the same directory, which is then
 * renamed over the target. A reader sees the old file or the new one, never a half-written one;
 * a crash (or an error) mid-write leaves at most a temporary file, which readers skip.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Temporary files are hidden (`.name.json.<pid>.<random>.tmp`) so listings of the directory ignore them. */
const TEMP = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/** Whether a file name is a temporary file of {@link writeAtomic} (left over when a writer crashed). */
export function isTempFile(name: string): boolean {
  return TEMP.test(name);
}

/** A writer still running may own a temporary file for this long. */
const IN_FLIGHT_MS = 60_000;

/**
 * Whether a temporary file was left by a writer that is gone (its process no longer exists, or the
 * file is older than a minute), rather than belonging to a write in progress in another process.
 */
export function isStaleTemp(file: string, now = Date.now()): boolean {
  const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(path.basename(file));
  if (!m) return false;
  const pid = Number(m[1]);
  let alive = pid === process.pid;
  if (!alive) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (!alive) return true;
  try {
    return now - statSync(file).mtimeMs > IN_FLIGHT_MS;
  } catch {
    return false;
  }
}

export interface WriteOptions {
  /** Runs between the write and the rename: tests use it to simulate a crash. */
  readonly afterWrite?: (tempFile: string) => void;
  /**
   * Flush the text to the disk before the rename (default true), so the file survives a power loss
   * or a crash of the system. false for files a run writes by the hundred and can write again (the
   * failure database, repro scripts): a process killed mid-write still leaves the old file or the
   * new one, and a file lost to a crash of the system is at worst a corrupt failure file, which
   * readers skip with a warning.
   */
  readonly durable?: boolean;
}

/** Write `text` (or bytes) to `file` atomically (the directory is created when missing). */
export function writeAtomic(file: string, text: string | Uint8Array, options: WriteOptions = {}): void {
  const dir = path.dirname(path.resolve(file));
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      if (typeof text === 'string') writeSync(fd, text);
      else writeSync(fd, text);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.afterWrite?.(tmp);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
