// A scratch directory where a repro script runs as a user would run it: only @tensorflow/tfjs (and
// its sibling packages, symlinked from this checkout) in node_modules, never nanhunt, and a
// package.json of "type": "commonjs" (the .mjs scripts must not care).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function isolatedDir(prefix = 'nanhunt-repro-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const scope = path.join(dir, 'node_modules', '@tensorflow');
  mkdirSync(scope, { recursive: true });
  for (const pkg of readdirSync(path.join(ROOT, 'node_modules', '@tensorflow'))) {
    symlinkSync(path.join(ROOT, 'node_modules', '@tensorflow', pkg), path.join(scope, pkg), 'dir');
  }
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "scratch", "private": true, "type": "commonjs" }\n');
  return dir;
}

export interface ScriptRun {
  readonly code: number | null;
  /** stdout and stderr, in order of arrival. */
  readonly out: string;
}

/** `node [--import preload] <file>` in `cwd`. */
export function runNode(cwd: string, file: string, preload?: string): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const args = [...(preload ? ['--import', preload] : []), file];
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Run `jobs` with at most `limit` at a time, results in order. */
export async function inParallel<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
