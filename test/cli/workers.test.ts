/**
 * `nanhunt check --workers N`: properties run concurrently in N worker threads, and the output,
 * reports and failure database are those of a one-worker run with the same seed (timings aside).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultWorkers, parseWorkers, WorkerPool } from '../../src/cli/watchdog.ts';
import { loadCatalog } from '../../src/property/load.ts';
import { runProperty } from '../../src/property/runner.ts';
import { useBackend } from '../../src/run/backend.ts';
import { availableParallelism } from 'node:os';
import { jsonWithoutTimings as json, nanhuntIn, ROOT, scratchDir } from './run-cli.ts';

const PROPS = path.join(ROOT, 'test/fixtures/workers/props.ts');
const HANG = path.join(ROOT, 'test/fixtures/watchdog/props.ts');
const CWD = scratchDir('nanhunt-workers-');
const nanhunt = nanhuntIn(CWD);

/**
 * A run's text with its own directory (`one/`, `two/`, absolute or relative) as `DIR/`; the relative
 * name only as a whole path component (a checkout in /tmp/ciclone holds `one/` too).
 */
function normal(text: string, dir: string): string {
  return text.replaceAll(`${dir}/`, 'DIR/').replace(new RegExp(`(?<![\\w./-])${path.basename(dir)}/`, 'g'), 'DIR/');
}

/** Every file under `run`'s `sub` directory (the failure database, the repro scripts), by name, JSON without dates. */
function files(run: string, sub: string): Record<string, unknown> {
  const dir = path.join(run, sub);
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, f.endsWith('.json') ? json(path.join(dir, f)) : normal(readFileSync(path.join(dir, f), 'utf8'), run)]),
  );
}

/** One run of the fixture in `dir` (its reports, failure database and repro scripts there). */
function run(dir: string, workers: string) {
  const r = nanhunt(
    'check',
    '--properties',
    PROPS,
    '--seed',
    '3',
    '--workers',
    workers,
    '--reports',
    dir,
    '--db',
    path.join(dir, 'db'),
    '--repro',
    path.join(dir, 'repro'),
  );
  // the same text but for timings and the run's own directory
  const out = normal(r.out.replace(/\d+ ms/g, 'T ms'), dir);
  return { ...r, out };
}

describe('nanhunt check --workers', () => {
  it('writes what a one-worker run writes: output, reports, failure database and repro scripts (timings aside)', { timeout: 300_000 }, () => {
    const one = path.join(CWD, 'one');
    const two = path.join(CWD, 'two');
    // twice each: the second run replays the cases the first saved in its failure database
    let text = '';
    for (const round of ['first', 'second']) {
      const a = run(one, '1');
      const b = run(two, '2');
      text = b.out;
      expect([a.code, b.code, a.err, b.err], round).toEqual([1, 1, '', '']);
      expect(b.out, round).toBe(a.out);
      expect(json(path.join(two, 'nanhunt.json')), round).toEqual(json(path.join(one, 'nanhunt.json')));
      const junit = (d: string) => normal(readFileSync(path.join(d, 'junit.xml'), 'utf8').replace(/(time|timestamp)="[^"]*"/g, ''), d);
      expect(junit(two), round).toBe(junit(one));
      expect(files(two, 'db'), round).toEqual(files(one, 'db'));
      expect(files(two, 'repro'), round).toEqual(files(one, 'repro'));
      if (round === 'second') expect(b.out).toContain('a saved failure, run first: it still fails');
    }
    const doc = JSON.parse(readFileSync(path.join(two, 'nanhunt.json'), 'utf8'));
    const exp = doc.properties.find((p: { name: string }) => p.name === 'workers exp is finite');
    expect(exp).toMatchObject({ status: 'failed', verdict: 'new' });
    expect(readFileSync(path.join(two, 'index.html'), 'utf8')).toContain('workers exp is finite');
    expect(text).toContain('x: Tensor float32 [1] [89]'); // the failing property's minimal case
    expect(text.trimEnd().split('\n').at(-1)).toBe('3 passed, 1 expected failure, 2 failed');
  });

  it('a result crosses back from its piscina worker with its error samples (moved, not copied), as this thread computes them', async () => {
    await useBackend('cpu');
    const exp = (await loadCatalog()).find((l) => l.property.name === 'exp')!.property;
    const here = runProperty(exp, { seed: 5, runs: 50 });
    const pool = new WorkerPool({ backend: 'cpu', timeoutMs: undefined }, 2);
    try {
      const [a, b] = await Promise.all([pool.run('exp', { seed: 5, runs: 50 }, 'cpu'), pool.run('exp', { seed: 5, runs: 50 }, 'cpu')]);
      expect(here.errorSamples!.length).toBeGreaterThan(10);
      for (const r of [a, b]) {
        expect(r.errorSamples).toEqual(here.errorSamples);
        expect({ ...r, durationMs: 0 }).toEqual({ ...here, durationMs: 0 });
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('with --timeout stops a subject that loops forever and runs the other property', () => {
    const reports = path.join(CWD, 'hang');
    const r = nanhunt('check', '--properties', HANG, '--workers', '2', '--timeout', '2', '--reports', reports, '--no-db');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^! fixture hangs forever — error \(timeout\): still running after 2 s \(--timeout 2\)/m);
    expect(r.out).toMatch(/^✓ fixture abs after the hang \(100 runs/m);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const doc = JSON.parse(readFileSync(path.join(reports, 'nanhunt.json'), 'utf8'));
    expect(doc.properties.map((p: { name: string; status: string }) => [p.name, p.status])).toEqual([
      ['fixture hangs forever', 'errored'],
      ['fixture abs after the hang', 'passed'],
    ]);
  });

  it('exits 2 with one line on a bad --workers, or --workers with a browser backend', () => {
    for (const value of ['0', '-1', 'x', '1.5', '']) {
      expect(() => parseWorkers(value), value).toThrow(`--workers must be a whole number of worker threads, at least 1, got '${value}'`);
    }
    expect([parseWorkers(undefined), parseWorkers('1'), parseWorkers('2')]).toEqual([undefined, 1, 2]);
    // not given: a thread per 32 properties, at most one per core (the catalog: one per core; a fixture: the main thread)
    expect([defaultWorkers(629), defaultWorkers(64), defaultWorkers(63), defaultWorkers(5), defaultWorkers(0)]).toEqual([
      Math.min(availableParallelism(), 19),
      Math.min(availableParallelism(), 2),
      1,
      1,
      1,
    ]);
    const r = nanhunt('check', '--properties', PROPS, '--workers', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^nanhunt: --workers must be a whole number of worker threads, at least 1, got '0'\n/);
    expect(r.out).toBe('');
    const browser = nanhunt('check', '--properties', PROPS, '--workers', '2', '--backend', 'webgl');
    expect(browser.code).toBe(2);
    expect(browser.err).toMatch(/^nanhunt: --workers runs properties in worker threads, not in the browser of --backend webgl\n/);
    expect(browser.out).toBe('');
  });
});
