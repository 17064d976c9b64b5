// The gate end to end: `nanhunt baseline` then `nanhunt check` in a scratch directory, on the
// fixture properties (one passes, `fixture exp is finite` fails on exp(89) = Infinity).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');

function nanhunt(cwd: string, ...args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.CI;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr, last: r.stdout.trimEnd().split('\n').at(-1) };
}

async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const scratch = () => mkdtempSync(path.join(tmpdir(), 'nanhunt-gate-'));
const check = (cwd: string, ...args: string[]) => nanhunt(cwd, 'check', '--properties', FIXTURE, '--seed', '5', ...args);

function baselineFile(...findings: object[]): string {
  return `${JSON.stringify({ format: 'nanhunt-baseline', version: 1, findings }, null, 2)}\n`;
}

describe('nanhunt baseline + check as a CI gate', () => {
  it('writes a baseline; with it the known finding no longer fails the check, a new one still would', () => {
    const dir = scratch();
    const b = nanhunt(dir, 'baseline', '--properties', FIXTURE, '--seed', '5');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    expect(b.out).toContain(
      "baseline: 1 finding in nanhunt.baseline.json (1 added, 0 removed, 0 kept)\n  + 'fixture exp is finite' (invariant finite, backend cpu)",
    );
    const written = JSON.parse(readFileSync(path.join(dir, 'nanhunt.baseline.json'), 'utf8'));
    expect(written.findings).toEqual([
      expect.objectContaining({ property: 'fixture exp is finite', invariant: 'finite', backend: 'cpu', message: 'output is +Infinity' }),
    ]);

    // default baseline found in the current directory: the finding is known, exit 0
    const known = check(dir);
    expect(known.code).toBe(0);
    expect(known.out).toContain('✗ fixture exp is finite — finite: output is +Infinity');
    expect(known.out).toContain('[known: in baseline]');
    expect(known.out).toContain('known: listed in nanhunt.baseline.json:6');
    expect(known.out).toContain('1 entry of nanhunt.baseline.json matched: 1 known finding (not counted as failures)');
    expect(known.last).toBe('1 passed, 1 known finding, 0 failed');

    // another seed finds the same bug with another minimal case: still known (identity is not the counterexample)
    const otherSeed = nanhunt(dir, 'check', '--properties', FIXTURE, '--seed', '11', '--quiet');
    expect(otherSeed.code).toBe(0);
    expect(otherSeed.out).toBe('1 passed, 1 known finding, 0 failed\n');

    // a baseline that lists another invariant: the finding is new, exit 1
    writeFileSync(path.join(dir, 'other.json'), baselineFile({ property: 'fixture exp is finite', invariant: 'noNaN' }));
    const fresh = check(dir, '--baseline', 'other.json');
    expect(fresh.code).toBe(1);
    expect(fresh.last).toBe('1 passed, 1 failed');
    expect(fresh.out).not.toContain('[known');
  });

  it('reports a listed finding that now passes as fixed, and fails on it with --strict', () => {
    const dir = scratch();
    writeFileSync(
      path.join(dir, 'nanhunt.baseline.json'),
      baselineFile(
        { property: 'fixture exp is finite', invariant: 'finite' },
        // abs(1) is finite: its saved case passes when replayed
        { property: 'fixture abs is finite', invariant: 'finite', backend: 'cpu', case: { x: { $tensor: true, shape: [1], dtype: 'float32', values: [1] } } },
      ),
    );
    const lenient = check(dir);
    expect(lenient.code).toBe(0);
    expect(lenient.out).toContain(
      "fixed: 'fixture abs is finite' (invariant finite, backend cpu): its saved case passes now (replayed), but it is still listed in nanhunt.baseline.json:9; remove it (npx nanhunt baseline)",
    );
    expect(lenient.last).toBe('1 passed, 1 known finding, 0 failed');
    const strict = check(dir, '--strict', '--quiet');
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/✗ fixed: 'fixture abs is finite' .* — fails with --strict\n/);
    expect(strict.last).toBe('0 passed, 1 known finding, 1 failed');
    const doc = JSON.parse(readFileSync(path.join(dir, 'reports/nanhunt.json'), 'utf8'));
    expect(doc.gate).toMatchObject({ baseline: 'nanhunt.baseline.json', strict: true, exitCode: 1, new: 0, known: 1 });
    expect(doc.gate.fixed).toEqual([{ property: 'fixture abs is finite', invariant: 'finite', backend: 'cpu', line: 9, reason: 'its saved case passes now' }]);

    // regenerating the baseline drops the fixed entry
    const regen = nanhunt(dir, 'baseline', '--properties', FIXTURE, '--seed', '5', '--quiet');
    expect(regen.code).toBe(0);
    expect(regen.out).toContain('(0 added, 1 removed, 1 kept)');
    const after = JSON.parse(readFileSync(path.join(dir, 'nanhunt.baseline.json'), 'utf8'));
    // the kept entry gets this run's minimal case: from now on, replaying it decides whether it is fixed
    expect(after.version).toBe(3);
    expect(after.findings).toEqual([
      {
        property: 'fixture exp is finite',
        invariant: 'finite',
        message: 'output is +Infinity',
        seed: expect.any(Number),
        path: expect.any(String),
        case: expect.any(Object),
      },
    ]);
    // a short run (1 case) no longer meets the finding, but its saved case still fails: known, not fixed, kept
    const short = check(dir, '--runs', '1');
    expect(short.code).toBe(0);
    expect(short.out).toContain(
      "1 entry of nanhunt.baseline.json matched; 1 of them confirmed by replaying their saved case, which this run's search did not meet",
    );
    expect(short.out).not.toContain('fixed:');
    const shortBaseline = nanhunt(dir, 'baseline', '--properties', FIXTURE, '--seed', '5', '--runs', '1');
    expect(shortBaseline.out).toContain('(0 added, 0 removed, 1 kept)');
  });

  it('stops with exit 2 and names the line of a corrupt or hand-edited baseline, before running anything', async () => {
    const dir = scratch();
    const file = path.join(dir, 'nanhunt.baseline.json');
    writeFileSync(file, baselineFile({ property: 'fixture exp is finite', invariant: 'finite' }).replace('"invariant"', '"invarient"'));
    const typo = check(dir);
    expect(typo.code).toBe(2);
    expect(typo.out).toBe('');
    expect(typo.err).toMatch(/^nanhunt: baseline nanhunt\.baseline\.json:7: finding 1: unknown key "invarient"/);
    expect(existsSync(path.join(dir, 'reports'))).toBe(false);
    // the rest in-process (same main(), no process start): an explicit --baseline path
    writeFileSync(
      file,
      '{\n  "format": "nanhunt-baseline",\n  "version": 1,\n  "findings": [\n    {"property": "x", "invariant": "finite"}\n    {"property": "y", "invariant": "finite"}\n  ]\n}\n',
    );
    const syntax = await inProcess('check', '--properties', FIXTURE, '--baseline', file);
    expect(syntax.code).toBe(2);
    expect(syntax.err).toBe(`nanhunt: baseline ${file}:6: not valid JSON: expected ',' or ']' in a list, found '{' (column 5)`);
    expect(syntax.out).toBe('');
    const baselineToo = await inProcess('baseline', '--properties', FIXTURE, '--baseline', file);
    expect(baselineToo.code).toBe(2);
    expect(baselineToo.err).toContain(`${file}:6:`);
    const missing = await inProcess('check', '--properties', FIXTURE, '--baseline', path.join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`nanhunt: baseline ${path.join(dir, 'nope.json')}: no such file`);
  });

  it('writes the three reports into --reports <dir>, and --json still works', async () => {
    const dir = scratch();
    const r = check(dir, '--reports', 'out/ci', '--json', 'results.json');
    expect(r.code).toBe(1);
    expect(r.out).toContain('reports: out/ci/index.html · out/ci/nanhunt.json · out/ci/junit.xml');
    for (const f of ['index.html', 'nanhunt.json', 'junit.xml']) expect(existsSync(path.join(dir, 'out/ci', f)), f).toBe(true);
    expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe(readFileSync(path.join(dir, 'out/ci/nanhunt.json'), 'utf8'));
    expect(r.last).toBe('1 passed, 1 failed');
    const bad = await inProcess('check', '--quiet', '--verbose');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--quiet and --verbose cannot be used together');
    const strictBaseline = await inProcess('baseline', '--strict');
    expect(strictBaseline.code).toBe(2);
    expect(strictBaseline.err).toContain('--strict is an option of check, not of baseline');
    const help = await inProcess('--help');
    expect(help.out).toMatch(/baseline +run properties and write the baseline/);
    expect(help.out).toContain('--strict            also fail when a baseline entry no longer fails');
  });
});
