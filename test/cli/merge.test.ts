/**
 * `nanhunt merge`: the reports of `check --shard 1/2` and `2/2` merge into the report of a one-shot
 * run (timings aside), with the gate verdict of the whole — with and without a baseline.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { main } from '../../src/cli/main.ts';
import { REPORT_SCHEMA_FILE } from '../../src/report/json.ts';
import { jsonWithoutTimings, nanhuntIn, ROOT, scratchDir } from './run-cli.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');
const CWD = scratchDir('nanhunt-merge-');
const nanhunt = nanhuntIn(CWD);

/** The report written into `dir`, without its timings. */
const report = (dir: string): unknown => jsonWithoutTimings(path.join(CWD, dir, 'nanhunt.json'));

function junit(dir: string): string {
  return readFileSync(path.join(CWD, dir, 'junit.xml'), 'utf8').replace(/ (time|timestamp)="[^"]*"/g, '');
}

/** Run one-shot and as shards 1/2 and 2/2, merge the shards; the exit codes and final lines. */
function runBothWays(name: string, ...args: string[]) {
  const common = ['--properties', FIXTURE, '--seed', '5', '--no-db', '--no-repro', ...args];
  const one = nanhunt('check', ...common, '--reports', `${name}-one`);
  const shards = [1, 2].map((k) => nanhunt('check', ...common, '--shard', `${k}/2`, '--reports', `${name}-${k}`));
  const merged = nanhunt('merge', `${name}-1/nanhunt.json`, `${name}-2/nanhunt.json`, '--reports', `${name}-merged`);
  for (const r of [one, ...shards, merged]) expect(r.err).toBe('');
  const last = (s: string) => s.trimEnd().split('\n').at(-1);
  return { one, shards, merged, lastLines: [last(one.out), last(merged.out)] };
}

describe('nanhunt merge', () => {
  it("merges two shards' reports into the one-shot report, and exits 1 on a new finding as check does", () => {
    const { one, shards, merged, lastLines } = runBothWays('plain');
    expect(one.code).toBe(1);
    expect(shards.map((s) => s.code).sort()).toEqual([0, 1]); // one shard has the failing property
    expect(merged.code).toBe(1);
    expect(lastLines).toEqual(['1 passed, 1 failed', '1 passed, 1 failed']);
    expect(merged.out).toContain('x: Tensor float32 [1] [89]');
    expect(report('plain-merged')).toEqual(report('plain-one'));
    // a shard's report, with its shard section, is a valid report
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT/ } });
    const validate = ajv.compile(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, 'utf8')));
    for (const dir of ['plain-1', 'plain-2', 'plain-merged']) {
      expect(validate(JSON.parse(readFileSync(path.join(CWD, dir, 'nanhunt.json'), 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(JSON.parse(readFileSync(path.join(CWD, 'plain-merged', 'nanhunt.json'), 'utf8')).shard).toBeUndefined();
    expect(junit('plain-merged')).toBe(junit('plain-one'));
  });

  it('gates the whole on the baseline the shards used: known findings and undecided entries as in a one-shot run', () => {
    expect(nanhunt('baseline', '--properties', FIXTURE, '--seed', '5', '--baseline', 'b.json', '--no-db', '--no-repro', '--reports', 'b').code).toBe(0);
    const file = path.join(CWD, 'b.json');
    const baseline = JSON.parse(readFileSync(file, 'utf8'));
    baseline.findings.push({ property: 'fixture abs is finite', invariant: 'finite' }); // no saved case: inconclusive
    writeFileSync(file, JSON.stringify(baseline, null, 2));
    const { one, merged, lastLines } = runBothWays('known', '--baseline', 'b.json');
    expect(one.code).toBe(0);
    expect(merged.code).toBe(0);
    expect(lastLines).toEqual(['1 passed, 1 known finding, 0 failed', '1 passed, 1 known finding, 0 failed']);
    const doc = report('known-merged') as { gate: { known: number; inconclusive: unknown[] } };
    expect(doc.gate.known).toBe(1);
    expect(doc.gate.inconclusive).toHaveLength(1);
    expect(doc).toEqual(report('known-one'));
    expect(junit('known-merged')).toBe(junit('known-one'));
  });

  it('exits 2 with one line when the reports are not every shard of one run', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['merge', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err: err.join('\n') };
    };
    const at = (f: string) => path.join(CWD, f);
    const cases: [string[], RegExp][] = [
      [[], /^nanhunt: merge needs the shards' report files/],
      [[at('plain-1/nanhunt.json')], /^nanhunt: missing shard 2\/2: merge needs every shard's report$/],
      [[at('plain-1/nanhunt.json'), at('plain-1/nanhunt.json')], /^nanhunt: shard 1\/2 is given twice/],
      [[at('plain-one/nanhunt.json')], /plain-one\/nanhunt\.json is not the report of a shard \(write it with nanhunt check --shard k\/n\)$/],
      [[at('plain-1/nanhunt.json'), at('known-2/nanhunt.json')], /are not shards of the same run: baseline/],
      [[at('nowhere.json')], /^nanhunt: cannot read .*nowhere\.json/],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0], args.join(' ')).toMatch(message);
      expect(r.out, args.join(' ')).toEqual([]);
    }
  });
});
