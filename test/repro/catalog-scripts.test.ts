// The commands nanhunt prints, end to end on the shipped catalog, as a new user meets them in a
// fresh directory holding the committed baseline and only @tensorflow/tfjs:
//
//  1. `nanhunt check --backend wasm`, then `nanhunt check` on cpu: the cpu verdict is the one of a
//     fresh clone (exit 0 on the committed baseline), whatever the wasm run saved;
//  2. every repro script that cpu check wrote (catalog ops, optimizer steps, examples of bugs,
//     training runs) runs with `node` and exits 1 showing the values nanhunt reported; with a fix
//     simulated (a corrected kernel or method preloaded) the same script exits 0;
//  3. `nanhunt baseline --runs 1` keeps every known finding.
//
// The catalog runs three times in child processes (about a minute on 2 cores); the scripts run
// three at a time. Every script is run with NANHUNT_ALL_SCRIPTS=1 (a release check: ~180 scripts,
// minutes); by default a fixed sample that holds every kind of finding (two per kind of property,
// invariant and status: ops, their special-values, large and gradient variants, losses, optimizer
// steps, training runs, examples of bugs, errors and leaks) and every script of FIXES.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { REPRO_RUNTIME } from '../../src/report/repro.ts';
import { inParallel, isolatedDir, runNode } from './isolated.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');

function nanhunt(cwd: string, ...args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.CI;
  delete env.NANHUNT_DATABASE;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const fmt = new Function('tf', `${REPRO_RUNTIME}\nreturn fmt;`)(tf) as (x: number) => string;

/** Fixes of real tfjs 4.22 bugs, preloaded beside a script: the same script must then pass. */
const FIXES = {
  // elu and selu as expm1, not exp(x) - 1 (accurate near 0)
  'elu.mjs': `import * as tf from '@tensorflow/tfjs';
const real = tf.getKernel('Elu', 'cpu');
tf.unregisterKernel('Elu', 'cpu');
tf.registerKernel({ ...real, kernelFunc: ({ inputs, backend }) => {
  const x = backend.data.get(inputs.x.dataId).values;
  const y = Float32Array.from(x, (v) => (v >= 0 ? v : Math.expm1(v)));
  return backend.makeTensorInfo(inputs.x.shape, 'float32', y);
} });
`,
  'selu.mjs': `import * as tf from '@tensorflow/tfjs';
const real = tf.getKernel('Selu', 'cpu');
tf.unregisterKernel('Selu', 'cpu');
tf.registerKernel({ ...real, kernelFunc: ({ inputs, backend }) => {
  const x = backend.data.get(inputs.x.dataId).values;
  const y = Float32Array.from(x, (v) => (v >= 0 ? tf.backend_util.SELU_SCALE * v : tf.backend_util.SELU_SCALEALPHA * Math.expm1(v)));
  return backend.makeTensorInfo(inputs.x.shape, 'float32', y);
} });
`,
  // MomentumOptimizer.dispose() that also frees SGDOptimizer's scalar c
  'train-momentum-dispose.mjs': `import * as tf from '@tensorflow/tfjs';
const dispose = tf.MomentumOptimizer.prototype.dispose;
tf.MomentumOptimizer.prototype.dispose = function () {
  dispose.call(this);
  if (this.c && !this.c.isDisposed) this.c.dispose();
};
`,
} as const;

interface ReportedProperty {
  name: string;
  status: string;
  invariant?: string;
  message?: string;
  details?: Record<string, number | string>;
  /** Where the invariant broke: the tensor, the element and its value (non-finite values as { $number }). */
  location?: { tensor: string; index: number; value: number | { $number: string } };
}

const num = (v: number | string | { $number: string }): number =>
  typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : v.$number === '-0' ? -0 : Number(v.$number);

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the script must print to show the same verdict nanhunt reported (`block`: the console report). */
function expectedLines(p: ReportedProperty, block: string): (string | RegExp)[] {
  const training = /step (\d+) of \d+/.exec(p.message ?? '');
  if (p.invariant === 'training stays finite' && training) return [`NON-FINITE at step ${training[1]}:`];
  if (p.status === 'errored') {
    const leaked = /^ {2}error \(leak\): the subject leaked (\d+) tensor/m.exec(block);
    return leaked ? [`tensors left allocated after the subject: ${leaked[1]}`, 'Reproduced: the subject leaks.'] : ['Reproduced: it fails the same way.'];
  }
  const at = p.location;
  expect(at, p.name).toBeDefined();
  const value = num(at!.value);
  if (p.invariant === 'finite' || p.invariant === 'noNaN') {
    return [new RegExp(`^${escapeRe(at!.tensor)}: float32 \\[.*\\] \\[.*${escapeRe(fmt(value))}`, 'm'), 'Reproduced: NaN or ±Infinity in'];
  }
  // accuracy and gradients: the computed value beside the exact one, and the same error in ULPs
  const ulps = num(p.details!.ulps!);
  return [
    `${at!.tensor}[${at!.index}] = ${fmt(value)}; exact `,
    Number.isFinite(ulps) ? `: ${ulps} ulps — OUT OF TOLERANCE` : '(Infinity ulps) — OUT OF TOLERANCE',
    /Reproduced: \d+ of \d+ elements out of tolerance/,
  ];
}

/** The kind of a finding, for the sample: what the property is, which invariant broke, how. */
function kindOf(p: ReportedProperty): string {
  const family = p.name.startsWith('training: ')
    ? 'training'
    : p.name.startsWith('train.')
      ? 'optimizer'
      : p.name.startsWith('losses.')
        ? 'loss'
        : p.name.includes('(example bug)')
          ? 'example'
          : 'op';
  const variant = / special values$/.test(p.name) ? 'special' : / large$/.test(p.name) ? 'large' : / gradient/.test(p.name) ? 'gradient' : 'value';
  return `${family} ${variant} ${p.status} ${p.invariant ?? ''}`;
}

/** Two scripts of every kind of finding (in report order), and every script FIXES repairs. */
function sample<T extends { p: ReportedProperty; file: string }>(scripts: readonly T[]): T[] {
  const seen = new Map<string, number>();
  return scripts.filter((s) => {
    const kind = kindOf(s.p);
    const n = seen.get(kind) ?? 0;
    seen.set(kind, n + 1);
    return n < 2 || path.basename(s.file) in FIXES;
  });
}

describe('the printed commands reproduce on the shipped catalog', () => {
  it('check --backend wasm then check: exit 0 on the committed baseline; every repro script exits 1 as reported, 0 once fixed; baseline --runs 1 keeps every finding', async () => {
    const dir = isolatedDir('nanhunt-catalog-');
    copyFileSync(path.join(ROOT, 'nanhunt.baseline.json'), path.join(dir, 'nanhunt.baseline.json'));

    // 1. wasm first: its findings are not all in the baseline yet (exit 0 or 1), and it saves its cases
    // (20 runs a property: enough to save wasm's cases of most of its findings in the database)
    // (the wasm run only saves cases in the database: its first failures are enough)
    const wasm = nanhunt(dir, 'check', '--backend', 'wasm', '--runs', '20', '--distinct', '1', '--no-repro', '--reports', 'reports-wasm');
    expect([0, 1], wasm.err).toContain(wasm.code);
    const cpu = nanhunt(dir, 'check');
    expect(cpu.err).toBe('');
    expect(cpu.code, cpu.out.slice(-3000)).toBe(0);
    // a wasm case that also fails on cpu is reported as such, never counted by the gate
    for (const line of cpu.out.split('\n').filter((l) => l.includes('a case saved on backend wasm fails on cpu too'))) {
      expect(line).toMatch(/^'.+' passed here, but a case saved on backend wasm fails on cpu too: /);
    }

    // 2. the repro scripts of cpu check
    const doc = JSON.parse(readFileSync(path.join(dir, 'reports/nanhunt.json'), 'utf8')) as { properties: ReportedProperty[] };
    const findings = doc.properties.filter((p) => p.status === 'failed' || p.status === 'errored');
    expect(findings.length).toBeGreaterThan(25);
    const blocks = cpu.out.split(/\n(?=Property ')/);
    const scripts = findings.map((p) => {
      const block = blocks.find((b) => b.startsWith(`Property '${p.name}' `))!;
      expect(block, p.name).toBeDefined();
      const command = /^ {2}repro: node (\S+)$/m.exec(block);
      expect(command, `${p.name}: no repro script\n${block}`).not.toBeNull();
      return { p, block, file: command![1]! };
    });
    expect(scripts.filter((s) => s.p.name.startsWith('training: ')).length).toBeGreaterThan(3);
    expect(scripts.some((s) => s.p.name.startsWith('train.'))).toBe(true);
    expect(scripts.some((s) => s.p.name === 'naive BCE (example bug)')).toBe(true);

    const chosen = process.env.NANHUNT_ALL_SCRIPTS === '1' ? scripts : sample(scripts);
    expect(chosen.length).toBeGreaterThan(15);
    const runs = await inParallel(
      chosen.map((s) => () => runNode(dir, s.file)),
      3,
    );
    chosen.forEach((s, i) => {
      const r = runs[i]!;
      expect(r.code, `${s.p.name}\n${r.out}`).toBe(1);
      for (const line of expectedLines(s.p, s.block)) {
        if (typeof line === 'string') expect(r.out, `${s.p.name}\n${r.out}`).toContain(line);
        else expect(r.out, `${s.p.name}\n${r.out}`).toMatch(line);
      }
    });

    // simulated fixes of three real bugs: the same scripts now exit 0
    const fixed = await inParallel(
      Object.entries(FIXES).map(([script, fix]) => () => {
        const preload = path.join(dir, `fix-${script}`);
        writeFileSync(preload, fix);
        return runNode(dir, path.join(dir, 'reports/repro', script), preload);
      }),
      3,
    );
    Object.keys(FIXES).forEach((script, i) => {
      expect(fixed[i]!.code, `${script} with its fix\n${fixed[i]!.out}`).toBe(0);
      expect(fixed[i]!.out).toContain('Not reproduced');
    });

    // 3. a short baseline run keeps every known finding: each is confirmed by replaying its saved case
    copyFileSync(path.join(ROOT, 'nanhunt.baseline.json'), path.join(dir, 'short.json'));
    const short = nanhunt(dir, 'baseline', '--runs', '1', '--baseline', 'short.json', '--no-db', '--no-repro', '--reports', 'reports-short');
    expect(short.code).toBe(0);
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'nanhunt.baseline.json'), 'utf8')).findings as { property: string }[];
    expect(short.out).toContain(`baseline: ${committed.length} findings in short.json (0 added, 0 removed, ${committed.length} kept)`);
    expect(short.out).not.toMatch(/^ {2}[-?] /m); // nothing removed, nothing inconclusive
    expect(readFileSync(path.join(dir, 'short.json'), 'utf8')).toBe(readFileSync(path.join(ROOT, 'nanhunt.baseline.json'), 'utf8'));
    // the catalog three times: about 5 min on a quiet 2-core machine, 10 under load
  }, 900_000);
});
