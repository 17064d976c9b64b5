/**
 * `nanhunt check --time-budget <duration>`: each property gets its share of the time left when it
 * starts, and the report says how many runs each got. The CLI tests use a budget far below what
 * the properties need (so they are cut short however fast the machine is), never a timing that
 * must be fast.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MIN_SHARE_MS, parseDuration, TimeBudget } from '../../src/cli/time-budget.ts';
import { UsageError } from '../../src/cli/args.ts';
import { nanhuntIn, ROOT, scratchDir } from './run-cli.ts';

const PROPS = path.join(ROOT, 'test/fixtures/time-budget/props.ts');
const CWD = scratchDir('nanhunt-budget-');
const nanhunt = nanhuntIn(CWD);

/** Each fixture property asks for this many runs (10 ms each). */
const FIXTURE_RUNS = 200;

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and sums of them; a bare number is seconds', () => {
    expect(parseDuration('time-budget', '90s')).toBe(90_000);
    expect(parseDuration('time-budget', '10m')).toBe(600_000);
    expect(parseDuration('time-budget', '10min')).toBe(600_000);
    expect(parseDuration('time-budget', '1h30m')).toBe(5_400_000);
    expect(parseDuration('time-budget', '500ms')).toBe(500);
    expect(parseDuration('time-budget', '2.5')).toBe(2500);
  });

  it('rejects what is not a positive duration', () => {
    for (const bad of ['', '0', '0s', '-5s', '10x', 'm', '5 s', '1e3', 'Infinitys']) {
      expect(() => parseDuration('time-budget', bad), bad).toThrow(UsageError);
    }
  });
});

describe('TimeBudget', () => {
  it('gives each property its share of the time left, so time one leaves goes to the next ones', () => {
    let now = 0;
    const budget = new TimeBudget(1000, 4, 1, () => now);
    expect(budget.share()).toBe(250); // 1000 ms over 4
    now = 100; // the first took 100 ms: 900 left for 3
    expect(budget.share()).toBe(300);
    now = 700; // the second overran: 300 left for 2
    expect(budget.share()).toBe(150);
    now = 2000; // past the deadline: the last one still gets the least share
    expect(budget.share()).toBe(MIN_SHARE_MS);
  });

  it('with n workers, shares the time left among the rounds of n properties still to start', () => {
    let now = 0;
    const budget = new TimeBudget(1200, 5, 2, () => now);
    expect([budget.share(), budget.share()]).toEqual([400, 600]); // 5 left: 3 rounds; 4 left: 2 rounds
    now = 600;
    expect(budget.share()).toBe(300); // 3 left: 2 rounds of the 600 ms left
  });

  it('counts from when the run started, not when the budget is made', () => {
    const budget = new TimeBudget(1000, 1, 1, () => 400, 0);
    expect(budget.remainingMs()).toBe(600);
    expect(budget.share()).toBe(600);
  });
});

describe('nanhunt check --time-budget', () => {
  const cut = (workers: string) => {
    const reports = path.join(CWD, `w${workers}`);
    const r = nanhunt('check', '--properties', PROPS, '--time-budget', '3s', '--workers', workers, '--verbose', '--no-db', '--no-repro', '--reports', reports);
    const doc = JSON.parse(readFileSync(path.join(reports, 'nanhunt.json'), 'utf8'));
    const html = readFileSync(path.join(reports, 'index.html'), 'utf8');
    return { ...r, doc, html };
  };

  it.each(['1', '2'])('cuts every property short and says how many runs each got (--workers %s)', { timeout: 120_000 }, (workers) => {
    const { code, out, err, doc, html } = cut(workers);
    expect([code, err]).toEqual([0, '']);
    expect(doc.timeBudgetMs).toBe(3000);
    const props = doc.properties as { name: string; runs: number; interrupted: boolean; status: string }[];
    expect(props.map((p) => p.name)).toEqual(['budget abs is finite', 'budget neg is finite', 'budget relu is finite']);
    for (const p of props) {
      expect(p.status, p.name).toBe('passed');
      expect(p.interrupted, p.name).toBe(true);
      expect(p.runs, p.name).toBeLessThan(FIXTURE_RUNS);
      // the runs it got: on its verbose line and in the HTML table
      expect(out).toContain(`· ${p.runs} run${p.runs === 1 ? '' : 's'} · 0 shrinks · `);
      expect(html).toContain(`<td class="num" data-value="${p.runs}">${p.runs}</td>`);
    }
    expect(out.match(/interrupted by the time limit/g)).toHaveLength(3);
    expect(out).toMatch(/^time budget 3\.0 s: 3 of 3 properties stopped early by it, \d+ runs? in all/m);
    expect(html).toContain('time budget 3.0 s');
  });

  it('rejects a bad duration in one line (exit 2), and --path with it', () => {
    const r = nanhunt('check', '--properties', PROPS, '--time-budget', '10x');
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(/^nanhunt: --time-budget must be a positive duration such as 90s, 10m or 1h30m, got '10x'\n/);
    const p = nanhunt('check', '--properties', PROPS, '--filter', 'budget abs is finite', '--path', '1', '--time-budget', '1m');
    expect([p.code, p.out]).toEqual([2, '']);
    expect(p.err).toMatch(/^nanhunt: --path replays one case: not with --time-budget\n/);
  });
});
