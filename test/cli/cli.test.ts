import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COMMANDS, main } from '../../src/cli/main.ts';
import { nanhuntIn, ROOT, scratchDir } from './run-cli.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');
// The command runs in a scratch directory: its reports/ and repro scripts go there, never into the repository's.
const CWD = scratchDir('nanhunt-cli-');
const nanhunt = nanhuntIn(CWD);

describe('nanhunt check (CLI)', () => {
  it('runs catalog properties and exits 0 when only expected failures occur', () => {
    const r = nanhunt('check', '--runs', '20', '--filter', 'oftmax gradient');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✓ softmax gradient \(20 runs/);
    expect(r.out).toMatch(/✓ logSoftmax gradient \(20 runs/);
    expect(r.out).not.toMatch(/Hi, looks like you are running TensorFlow.js/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('2 passed, 0 failed');
    const bce = nanhunt('check', '--filter', 'naive BCE');
    expect(bce.code).toBe(0);
    expect(bce.out).toMatch(/naive BCE \(example bug\) — expected failure found/);
  });

  it('exits 1 when a property fails, printing the minimal case and a replay command that reproduces it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-'));
    const json = path.join(dir, 'out.json');
    const r = nanhunt('check', '--properties', FIXTURE, '--seed', '5', '--json', json);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✓ fixture abs is finite');
    expect(r.out).toContain('✗ fixture exp is finite');
    expect(r.out).toContain('x: Tensor float32 [1] [89]');
    expect(r.out).toMatch(/born in kernel #0 Exp\(x=\[1\] 89\) -> \[1\] Infinity/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
    const failed = doc.properties.find((p: { status: string }) => p.status === 'failed');
    expect(failed.counterexample.x).toEqual({ $tensor: true, shape: [1], dtype: 'float32', values: [89] });
    expect(failed.provenance.bornIn).toBe('Exp');
    // the printed replay command replays the same minimal case
    const replay = r.out.match(/replay: npx nanhunt (check .*)/)![1]!;
    const args = replay.match(/'[^']*'|\S+/g)!.map((a) => a.replace(/^'|'$/g, ''));
    const again = nanhunt(...args);
    expect(again.code).toBe(1);
    expect(again.out).toContain('x: Tensor float32 [1] [89]');
    expect(again.out).toContain('0 passed, 1 failed');
  });

  it('exits 2 with a clear message on bad usage', () => {
    const cases: [string[], RegExp][] = [
      [['check', '--bogus'], /unknown option --bogus/],
      [['check', '--backend', 'tpu'], /unknown backend 'tpu'/],
      [['check', '--filter', 'no such property'], /no property matches --filter 'no such property'/],
      [['check', '--runs', 'many'], /--runs must be an integer/],
      [['check', '--runs', '0'], /--runs must be at least 1/],
      [['check', '--properties', '/nonexistent/dir'], /no such file or directory/],
      [['check', '--path', '1:2'], /--path replays one property/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [[], /no command given/],
    ];
    for (const [args, message] of cases) {
      const r = nanhunt(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });

  it('bad usage is never a finding: an invalid or foreign --path and conflicting flags give one line, exit 2, nothing written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-usage-'));
    const where = ['--reports', path.join(dir, 'reports'), '--db', path.join(dir, 'db'), '--repro', path.join(dir, 'repro')];
    const cases: [string[], RegExp][] = [
      [['check', '--filter', 'norm', '--path', 'garbage', ...where], /^nanhunt: invalid path 'garbage': a path is numbers separated by ':'/],
      [['check', '--filter', 'norm', '--path', '1::2', ...where], /invalid path '1::2'/],
      // a well-formed path this property does not generate (printed for another property or version)
      [['check', '--filter', 'norm', '--path', '5:300:2:9', ...where], /^nanhunt: path '5:300:2:9' does not replay: the property does not generate that case/],
      [['check', '--quiet', '--verbose', ...where], /--quiet and --verbose cannot be used together/],
      [['check', '--no-db', ...where], /--db and --no-db cannot be used together/],
      [['check', '--no-repro', ...where], /--repro and --no-repro cannot be used together/],
      [['baseline', '--strict', ...where], /--strict is an option of check, not of baseline/],
    ];
    for (const [args, message] of cases) {
      const r = nanhunt(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trimEnd().split('\n')[0], args.join(' ')).toMatch(message);
      expect(r.out, args.join(' ')).toBe('');
      expect(readdirSync(dir), args.join(' ')).toEqual([]);
    }
  });

  it('prints usage and version', () => {
    expect(nanhunt('--help').out).toContain('Usage: nanhunt <command>');
    expect(nanhunt('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = nanhunt('check', '--runs', '5', '--help');
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
    expect(help.out).toMatch(/^Usage: nanhunt check \[options\]\n/);
    expect(help.out).toContain('--properties <dir>');
  });

  it('prints the usage of each command with --help or -h, exit 0', async () => {
    const expected: Record<string, RegExp> = {
      check: /--backend <cpu\|wasm\|node\|node-gpu\|webgl\|webgpu>/,
      baseline: /Options of check:\n {2}--backend/,
      diff: /--backends <a,b,\.\.\.>/,
      replay: /^Usage: nanhunt replay <failure-file> \[options\]$/m,
      db: /db prune \[--db <dir>\]/,
      'train-repro': /--filter <name>/,
      capture: /capture shrink <file>/,
      catalog: /--json/,
      merge: /^Usage: nanhunt merge <report\.json\.\.\.> \[options\]$/m,
    };
    expect(Object.keys(expected).sort()).toEqual(Object.keys(COMMANDS).sort());
    for (const [name, option] of Object.entries(expected)) {
      for (const args of [[name, '--help'], [name, '-h'], ...(name === 'db' ? [['db', 'prune', '--help']] : [])]) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
        expect(code, args.join(' ')).toBe(0);
        expect(err, args.join(' ')).toEqual([]);
        expect(out.join('\n'), args.join(' ')).toMatch(new RegExp(`^Usage: nanhunt ${name} `));
        expect(out.join('\n'), args.join(' ')).toMatch(option);
      }
    }
  });

  it('is deterministic: the same seed prints the same report', () => {
    const strip = (s: string) => s.replace(/\d+ ms/g, 'T ms');
    const a = nanhunt('check', '--properties', FIXTURE, '--seed', '9');
    const b = nanhunt('check', '--properties', FIXTURE, '--seed', '9');
    expect(strip(a.out)).toBe(strip(b.out));
  });
});
