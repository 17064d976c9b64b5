/**
 * Training properties from the command line: `nanhunt check` reports a naive scenario as an
 * expected failure with its layer table (exit 0), and `nanhunt train-repro` writes a script that
 * reproduces the minimal configuration.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(path.join(ROOT, 'node_modules/.cache/nanhunt-train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]) {
  const r = spawnSync(process.execPath, cmd === 'node' ? args : [BIN, cmd, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('training properties on the command line', () => {
  it('check: a naive scenario is an expected failure with its minimal configuration as a layer table; its twin passes', () => {
    const r = run('check', ['--properties', 'properties/training.ts', '--filter', 'data', '--no-db', '--no-repro', '--reports', path.join(dir, 'reports')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✓ training: one NaN cell in the data — expected failure found: training stays finite: step 1 of 1: the data batch holds NaN/);
    expect(r.out).toMatch(/✓ training: cleaned data \(10 runs/);
    expect(r.out).toMatch(
      /minimal input:\n {4}training configuration: 1 layer, 2 parameters\n {6}# +layer +output +params\n {6}1 +dense\(1, linear\) +\[1\] +2 +head/,
    );
    expect(r.out).toContain('x [[NaN]]');
  });

  it('train-repro: prints the minimal run and writes a script that reproduces it', () => {
    const out = path.join(dir, 'unscaled.mjs');
    const r = run('train-repro', ['--filter', 'training: unscaled feature with SGD', '--out', out]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain("Training property 'training: unscaled feature with SGD' failed (expected)");
    expect(r.out).toContain('the minimal run:');
    expect(r.out).toContain(`repro: node ${path.relative(ROOT, out)}`);
    const step = r.out.match(/^ {2}step (\d+) of \d+:/m)![1];
    expect(readFileSync(out, 'utf8')).toContain("import * as tf from '@tensorflow/tfjs';");
    const script = run('node', [out]);
    expect(script.code).toBe(1);
    expect(script.out).toContain(`NON-FINITE at step ${step}:`);
  });

  it('train-repro: bad usage exits 2', () => {
    expect(run('train-repro', []).code).toBe(2);
    const many = run('train-repro', ['--filter', 'training: ']);
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/matches 14 properties: give the exact name/);
  });
});
