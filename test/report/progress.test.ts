// The terminal output of `nanhunt check`: a live status line on a TTY, plain lines elsewhere
// (and under CI=true), colors only on a TTY and never with NO_COLOR, --quiet and --verbose.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkCommand } from '../../src/cli/check.ts';
import { Progress, formatElapsed, terminalMode, type OutputStream } from '../../src/report/progress.ts';
import { runProperty, type PropertyResult } from '../../src/property/runner.ts';
import * as P from '../fixtures/gate/props.ts';
import { fixtureResults, unsupportedResult } from './fixture-results.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');
const COLOR = /\x1b\[(?:\d+;)*\d+m/;

class FakeTty implements OutputStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY = true,
    readonly columns = 100,
  ) {}
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  get text() {
    return this.chunks.join('');
  }
  /** What a terminal shows: each line after its last carriage return, erase and color codes applied. */
  get screen(): string[] {
    return this.text.split('\n').map((l) =>
      l
        .split('\r')
        .at(-1)!
        .replace(/\x1b\[2K/g, '')
        .replace(/\x1b\[[\d;]*m/g, ''),
    );
  }
}

let results: PropertyResult[];
const named = (s: string) => results.find((r) => r.name.includes(s))!;
beforeAll(() => {
  results = fixtureResults();
});

function clock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('terminal mode', () => {
  it('is live only on a TTY outside CI; colored only on a TTY without NO_COLOR', () => {
    const tty = new FakeTty();
    expect(terminalMode(tty, {})).toEqual({ live: true, color: true });
    expect(terminalMode(tty, { CI: 'true' })).toEqual({ live: false, color: true });
    expect(terminalMode(tty, { CI: 'false' })).toEqual({ live: true, color: true });
    expect(terminalMode(tty, { NO_COLOR: '1' })).toEqual({ live: true, color: false });
    expect(terminalMode(tty, { NO_COLOR: '' })).toEqual({ live: true, color: true }); // per no-color.org: present and not empty
    expect(terminalMode(new FakeTty(false), {})).toEqual({ live: false, color: false });
    expect(terminalMode(undefined, {})).toEqual({ live: false, color: false });
    expect([formatElapsed(4210), formatElapsed(65_000)]).toEqual(['4.2 s', '1 m 05 s']);
  });
});

describe('Progress on a TTY', () => {
  it('redraws one status line (done/total, current property and case, findings, elapsed) and keeps result lines above it', () => {
    const tty = new FakeTty();
    const c = clock();
    const p = new Progress({ out: () => expect.fail('a live display writes to the stream') }, { stream: tty, env: {}, now: c.now });
    p.start('gate exp is finite', 0, 3);
    expect(tty.text).toBe('\r\x1b[2K\x1b[36m▸ 1/3 · gate exp is finite · no findings · 0.0 s\x1b[0m');
    c.t = 50;
    p.tick(); // within 100 ms of the last redraw: no redraw
    expect(tty.chunks.length).toBe(1);
    c.t = 1250;
    p.tick();
    expect(tty.chunks.at(-1)).toContain('▸ 1/3 · gate exp is finite (case 2) · no findings · 1.3 s');
    p.finish(named('exp is finite'), 'new');
    p.start('gate abs is finite', 1, 3);
    expect(tty.screen[0]).toMatch(/^✗ gate exp is finite — finite: output is \+Infinity/);
    expect(tty.text).toContain('\x1b[31m✗\x1b[0m gate exp is finite'); // red icon
    expect(tty.screen.at(-1)).toContain('▸ 2/3 · gate abs is finite · 1 finding (1 new) · 1.3 s');
    p.line('an interleaved line');
    expect(tty.screen.at(-2)).toBe('an interleaved line');
    expect(tty.screen.at(-1)).toContain('▸ 2/3 · gate abs is finite');
    p.finish(named('abs is finite'), 'passed');
    p.stop();
    p.line('1 passed, 1 failed');
    expect(tty.screen).toEqual([
      expect.stringMatching(/^✗ gate exp/),
      'an interleaved line',
      expect.stringMatching(/^✓ gate abs is finite \(100 runs/),
      '1 passed, 1 failed',
      '',
    ]);
  });

  it('never lets the status line wrap, and uses no color with NO_COLOR', () => {
    const tty = new FakeTty(true, 40);
    const p = new Progress({ out: () => {} }, { stream: tty, env: { NO_COLOR: '1' }, now: () => 0 });
    p.start('a property with a very long name that would wrap the terminal', 0, 12);
    const status = tty.screen.at(-1)!;
    expect(status.length).toBe(39);
    expect(status.endsWith('…')).toBe(true);
    p.finish(named('exp is finite'), 'new');
    expect(tty.text).not.toMatch(COLOR);
  });

  it('counts cases while a long property runs, without changing its result', () => {
    const tty = new FakeTty();
    const c = clock();
    const p = new Progress({ out: () => {} }, { stream: tty, env: {}, now: () => (c.t += 40) });
    const watched = p.watch(P.inaccurate);
    expect(watched).not.toBe(P.inaccurate);
    p.start(watched.name, 0, 1);
    const a = runProperty(watched, { seed: 4 });
    const b = runProperty(P.inaccurate, { seed: 4 });
    expect(a.counterexample).toEqual(b.counterexample);
    expect([a.path, a.runs, a.shrinks]).toEqual([b.path, b.runs, b.shrinks]);
    expect(tty.text).toMatch(/\(case \d+\)/);
    // without a live display the property is returned as it is
    expect(new Progress({ out: () => {} }, { env: {} }).watch(P.inaccurate)).toBe(P.inaccurate);
  });
});

describe('Progress without a TTY', () => {
  it('prints plain lines through the sink: no carriage returns, no escape codes, also on a TTY under CI=true', () => {
    for (const [stream, env] of [
      [undefined, {}],
      [new FakeTty(false), {}],
      [new FakeTty(true), { CI: 'true', NO_COLOR: '1' }],
    ] as const) {
      const lines: string[] = [];
      const p = new Progress({ out: (l) => lines.push(l) }, { ...(stream ? { stream } : {}), env, now: () => 0 });
      p.start('x', 0, 2);
      p.tick();
      p.finish(named('exp is finite'), 'new');
      p.finish(named('abs is finite'), 'passed');
      p.stop();
      p.line('1 passed, 1 failed');
      expect(lines).toEqual([expect.stringMatching(/^✗ gate exp is finite/), expect.stringMatching(/^✓ gate abs is finite/), '1 passed, 1 failed']);
      expect(lines.join('\n')).not.toMatch(/[\r\x1b]/);
      expect(stream?.chunks ?? []).toEqual([]);
    }
  });

  it('--quiet prints only what fails the check; --verbose adds per-property details', () => {
    const quiet: string[] = [];
    const q = new Progress({ out: (l) => quiet.push(l) }, { env: {}, verbosity: 'quiet' });
    for (const r of results) q.finish(r, r.status === 'passed' ? 'passed' : r.expectedFailure ? 'expected' : 'new');
    expect(quiet.map((l) => l.slice(0, 2))).toEqual(['✗ ', '! ', '✗ ']);
    const verbose: string[] = [];
    const v = new Progress({ out: (l) => verbose.push(l) }, { env: {}, verbosity: 'verbose' });
    v.finish(named('(measured)'), 'passed');
    v.finish(named('within 8 bits'), 'known');
    expect(verbose[0]).toMatch(/^✓ gate naive log1p error \(measured\) \(150 runs/);
    expect(verbose[1]).toMatch(/^ {4}backend cpu · seed -?\d+ · 150 runs · 0 shrinks · [\d.]+ ms$/);
    expect(verbose[2]).toMatch(/^ {4}error: max 2\d\.\d bits \(\d+ ulps at input [-\d.e]+\), mean \d+\.\d\d bits over \d+ samples$/);
    expect(verbose[3]).toMatch(/^✗ gate naive log1p within 8 bits — .* \[known: in baseline\]$/);
    expect(verbose[4]).toMatch(/path [\d:]+ · \d+ runs · \d+ shrinks/);
    expect(verbose[5]).toMatch(/^ {4}error: max/);
    expect(verbose[6]).toMatch(/^ {4}ulps=\d+ bits=[\d.]+ absError=/);
  });
});

describe('statuses beyond passed/failed/errored', () => {
  it('shows unsupported as the runner words it, and a status nobody knows yet generically, neither as a failure', () => {
    const lines: string[] = [];
    const p = new Progress({ out: (l) => lines.push(l) }, { env: {} });
    p.finish(unsupportedResult(), 'other');
    const future = { ...unsupportedResult(), name: 'gate future status', status: 'quarantined' as PropertyResult['status'], failure: undefined };
    delete (future as { unsupported?: unknown }).unsupported;
    p.finish(future, 'other');
    expect(lines).toEqual([
      expect.stringMatching(/^○ gate op unsupported — unsupported on cpu: no kernel 'Erfinv' \(\d+ ms\)$/),
      expect.stringMatching(/^○ gate future status — quarantined \(\d+ ms\)$/),
    ]);
    expect(p.statusText()).toContain('no findings');
  });
});

describe('nanhunt check output', () => {
  const run = async (argv: string[], stream?: FakeTty, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-progress-'));
    const lines: string[] = [];
    const saved = { CI: process.env.CI, NO_COLOR: process.env.NO_COLOR };
    delete process.env.CI;
    delete process.env.NO_COLOR;
    Object.assign(process.env, env);
    try {
      const code = await checkCommand(['--properties', FIXTURE, '--seed', '5', '--reports', dir, '--no-db', '--no-repro', ...argv], {
        out: (l) => lines.push(l),
        err: (l) => lines.push(`ERR ${l}`),
        ...(stream ? { stream } : {}),
      });
      return { code, lines: lines.flatMap((l) => l.split('\n')) };
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  it('on a TTY: status line while running, colored results, and the final line alone and uncolored', async () => {
    const tty = new FakeTty();
    const { code, lines } = await run([], tty);
    expect(code).toBe(1);
    expect(lines).toEqual([]); // everything went to the terminal
    // (the two properties may load in either order)
    expect(tty.text).toMatch(/\r\x1b\[2K\x1b\[36m▸ 1\/2 · fixture (exp|abs) is finite · no findings · \d+\.\d s\x1b\[0m/);
    expect(tty.text).toMatch(/▸ 2\/2 · fixture (abs is finite · 1 finding \(1 new\)|exp is finite · no findings)/);
    expect(tty.text).toContain('\x1b[32m✓\x1b[0m fixture abs is finite');
    const screen = tty.screen;
    expect(screen.at(-1)).toBe('');
    expect(screen.at(-2)).toBe('1 passed, 1 failed');
    expect(screen.filter((l) => l.includes('▸'))).toEqual([]); // the status line is gone at the end
    expect(screen[0]).toMatch(/^nanhunt \d+\.\d+\.\d+ · tfjs/);
  });

  it('without a TTY: the plain lines it always printed, and with CI=true even on a TTY', async () => {
    const plain = await run([]);
    expect(plain.lines[0]).toMatch(/^nanhunt .* · 2 properties$/);
    expect(plain.lines.slice(1, 3).sort()).toEqual([
      expect.stringMatching(/^✓ fixture abs is finite \(100 runs, \d+ ms\)$/),
      expect.stringMatching(/^✗ fixture exp is finite — finite: output is \+Infinity \(after \d+ runs/),
    ]);
    expect(plain.lines[3]).toBe('');
    expect(plain.lines[4]).toMatch(/^Property 'fixture exp is finite' failed on backend cpu/);
    expect(plain.lines).toContain('    x: Tensor float32 [1] [89]');
    expect(plain.lines.at(-1)).toBe('1 passed, 1 failed');
    expect(plain.lines.join('\n')).not.toMatch(/[\r\x1b]/);
    const ci = new FakeTty();
    const underCi = await run([], ci, { CI: 'true', NO_COLOR: '1' });
    expect(ci.text).toBe(''); // not live: plain lines through the usual output
    expect(underCi.lines.join('\n')).not.toMatch(/[\r\x1b]/);
    expect(underCi.lines.at(-1)).toBe('1 passed, 1 failed');
    expect(underCi.code).toBe(1);
  });

  it('--quiet: only the failure and the final line; --verbose: details of every property', async () => {
    const quiet = await run(['--quiet']);
    expect(quiet.lines[0]).toMatch(/^✗ fixture exp is finite/);
    expect(quiet.lines.some((l) => l.startsWith('✓') || l.startsWith('nanhunt ') || l.startsWith('reports:'))).toBe(false);
    expect(quiet.lines).toContain('    x: Tensor float32 [1] [89]');
    expect(quiet.lines.at(-1)).toBe('1 passed, 1 failed');
    const verbose = await run(['--verbose']);
    expect(verbose.lines.filter((l) => /^ {4}backend cpu · seed/.test(l)).length).toBe(2);
    expect(verbose.lines.at(-1)).toBe('1 passed, 1 failed');
  });
});
