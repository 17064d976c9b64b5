/**
 * Running the command as a user does, for the CLI tests: `node bin/nanhunt.js` in a scratch
 * directory (its reports/ and repro scripts go there, never into the repository's), and reading
 * its JSON files without what differs from run to run.
 */
import { afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/nanhunt.js');

/** A scratch directory, removed after the test file. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `nanhunt <args>` run in `cwd`, without colours: its exit code and output. */
export function nanhuntIn(cwd: string): (...args: string[]) => { code: number | null; out: string; err: string } {
  return (...args) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

/** Timings and dates: what two runs of the same seed may write differently. */
const VARYING = ['durationMs', 'generatedAt', 'firstSeen', 'lastSeen'];

/** A JSON file (a report, a saved failure) without its timings and dates. */
export function jsonWithoutTimings(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'), (k, v: unknown) => (VARYING.includes(k) ? undefined : v));
}
