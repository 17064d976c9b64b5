/**
 * The other benchmark scripts of bench/ (written with their modules, run as they are): the exact
 * references' cost survey (bench/reference.ts), the training benchmark (bench/training.ts) and the
 * guard's overhead per training step (bench/guard.ts).
 * Each runs when executed as a script, so `npm run bench` runs each in a child process and reports
 * its output verbatim.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ScriptSpec {
  /** Path from the repository root. */
  script: string;
  args: string[];
  /** What it measures, one line. */
  title: string;
}

export const SCRIPTS: readonly ScriptSpec[] = [
  { script: 'bench/reference.ts', args: [], title: 'exact references: op time vs reference time at 1,024 elements (bench/reference.ts)' },
  { script: 'bench/training.ts', args: [], title: 'training properties: time of 100-run properties and memory across runs (bench/training.ts)' },
  { script: 'bench/guard.ts', args: [], title: 'the guard (nanhunt/guard): overhead per training step on a small dense model, goal < 5% (bench/guard.ts)' },
];

export interface ScriptResult {
  script: string;
  args: string[];
  title: string;
  /** Exit code (null when killed by the timeout); -1 when the script does not exist. */
  exitCode: number | null;
  durationMs: number;
  output: string;
}

/** Run one script with `node --import tsx` from the repository root. */
export function runScript(spec: ScriptSpec, timeoutMs = 240_000): ScriptResult {
  const file = path.join(ROOT, spec.script);
  if (!existsSync(file)) return { ...spec, exitCode: -1, durationMs: 0, output: `${spec.script} not found` };
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...spec.args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  const err = r.status === 0 ? '' : (r.stderr ?? '').trim();
  const killed = r.signal ? `\n(stopped by ${r.signal} after ${Math.round(timeoutMs / 1000)} s)` : '';
  return {
    ...spec,
    exitCode: r.status,
    durationMs: performance.now() - t0,
    output: `${(r.stdout ?? '').trimEnd()}${err ? `\n${err}` : ''}${killed}`,
  };
}
