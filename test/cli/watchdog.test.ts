/**
 * `nanhunt check --timeout`: a subject that never returns is stopped, reported as an errored
 * property naming the timeout, and the run goes on; a run under the watchdog reports what a run
 * without it reports (timings aside).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Watchdog } from '../../src/cli/watchdog.ts';
import { propertySeed } from '../../src/property/runner.ts';
import { jsonWithoutTimings, nanhuntIn, ROOT, scratchDir } from './run-cli.ts';

const HANG = path.join(ROOT, 'test/fixtures/watchdog/props.ts');
const EXITS = path.join(ROOT, 'test/fixtures/watchdog/exits.ts');
const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');
const CWD = scratchDir('nanhunt-watchdog-');
const nanhunt = nanhuntIn(CWD);

describe('nanhunt check --timeout', () => {
  it('stops a subject that loops forever, reports it errored naming the timeout, and runs the other property', () => {
    const reports = path.join(CWD, 'hang');
    const r = nanhunt('check', '--properties', HANG, '--timeout', '2', '--reports', reports, '--no-db');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    const hang = lines.findIndex((l) => l.startsWith('! fixture hangs forever — error (timeout): still running after 2 s (--timeout 2)'));
    const normal = lines.findIndex((l) => /^✓ fixture abs after the hang \(100 runs/.test(l));
    expect(hang).toBeGreaterThan(0);
    expect(normal).toBeGreaterThan(hang); // it ran after the hang was stopped
    expect(r.out).toContain(`Property 'fixture hangs forever' errored on backend cpu`);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const doc = JSON.parse(readFileSync(path.join(reports, 'nanhunt.json'), 'utf8'));
    const stopped = doc.properties.find((p: { name: string }) => p.name === 'fixture hangs forever');
    expect(stopped).toMatchObject({ status: 'errored', verdict: 'new', error: { stage: 'timeout' } });
    expect(stopped.error.message).toMatch(/--timeout 2/);
    expect(readFileSync(path.join(reports, 'junit.xml'), 'utf8')).toMatch(/error \(timeout\): still running after 2 s/);
    expect(readFileSync(path.join(reports, 'index.html'), 'utf8')).toContain('still running after 2 s');
  });

  it('reports what a run without the watchdog reports (same seed, timings aside)', () => {
    const plain = path.join(CWD, 'plain.json');
    const watched = path.join(CWD, 'watched.json');
    const a = nanhunt('check', '--properties', FIXTURE, '--seed', '5', '--json', plain, '--reports', path.join(CWD, 'plain'), '--no-db', '--no-repro');
    const b = nanhunt(
      'check',
      '--properties',
      FIXTURE,
      '--seed',
      '5',
      '--timeout',
      '60',
      '--json',
      watched,
      '--reports',
      path.join(CWD, 'watched'),
      '--no-db',
      '--no-repro',
    );
    expect([a.code, b.code]).toEqual([1, 1]);
    const strip = (s: string) => s.replace(/\d+ ms/g, 'T ms').replace(/(plain|watched)\//g, 'DIR/');
    expect(strip(b.out)).toBe(strip(a.out));
    expect(jsonWithoutTimings(watched)).toEqual(jsonWithoutTimings(plain));
  });

  it('exits 2 with one line on a bad --timeout', () => {
    for (const value of ['0', '-1', 'soon', '1e3']) {
      const r = nanhunt('check', '--properties', FIXTURE, '--timeout', value);
      expect(r.code, value).toBe(2);
      expect(r.err, value).toMatch(new RegExp(`^nanhunt: --timeout must be a positive number of seconds, got '${value}'\n`));
      expect(r.out, value).toBe('');
    }
  });

  it('names the property still running, every interval, until it stops it', async () => {
    const still: string[] = [];
    const watchdog = new Watchdog({ backend: 'cpu', properties: HANG, timeoutMs: 1500, stillRunningMs: 400, onStillRunning: (name) => still.push(name) });
    try {
      const name = 'fixture hangs forever';
      const r = await watchdog.run(name, { seed: propertySeed(0, name) }, 'cpu');
      expect(r).toMatchObject({ name, status: 'errored', failure: { kind: 'error', stage: 'timeout' } });
      expect(still.length).toBeGreaterThan(0);
      expect(new Set(still)).toEqual(new Set([name]));
      // the replaced worker runs the next property
      const next = await watchdog.run('fixture abs after the hang', { seed: 7, runs: 10 }, 'cpu');
      expect(next).toMatchObject({ status: 'passed', runs: 10 });
    } finally {
      await watchdog.close();
    }
  });

  it('reports a subject that ends its worker thread as errored (stage worker), and runs the next property in a new one', async () => {
    const watchdog = new Watchdog({ backend: 'cpu', properties: EXITS, timeoutMs: 60_000 });
    try {
      const name = 'fixture exits its thread';
      const r = await watchdog.run(name, { seed: propertySeed(0, name) }, 'cpu');
      expect(r).toMatchObject({ name, status: 'errored', failure: { kind: 'error', stage: 'worker' } });
      expect(r.failure?.kind === 'error' && r.failure.message).toMatch(/^its worker thread died while it ran: the property worker exited \(code 3\)$/);
      const next = await watchdog.run('fixture abs after the exit', { seed: 7, runs: 10 }, 'cpu');
      expect(next).toMatchObject({ status: 'passed', runs: 10 });
    } finally {
      await watchdog.close();
    }
  });
});
