import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DiffDocument } from '../../src/diff/json.ts';
import { main } from '../../src/cli/main.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/diff/cli-props.ts');

function nanhunt(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('nanhunt diff (CLI)', () => {
  it('reports agreement, a disagreement with its minimal case, and unsupported ops; writes JSON; the replay reproduces it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-diff-'));
    const json = path.join(dir, 'diff.json');
    const r = nanhunt('diff', '--backends', 'cpu,wasm', '--properties', FIXTURE, '--seed', '3', '--json', json);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^nanhunt .* · diff cpu vs wasm · tolerance 4 ULPs · seed 3 · 3 properties$/);
    expect(r.out).toMatch(/^= diff cli: abs \(100 runs, bit-identical on \d+ elements, \d+ ms\)$/m);
    expect(r.out).toMatch(/^≠ diff cli: planted exp — cpu vs wasm: output: cpu 59874\.14, wasm 59888\.758 \(\d+ ULPs apart, tolerance 4\)/m);
    expect(r.out).toMatch(/^○ diff cli: einsum — unsupported on wasm: no kernel 'Einsum'/m);
    expect(r.out).toContain('x: Tensor float32 [1] [11]');
    expect(r.out).not.toMatch(/Hi, looks like you are running TensorFlow.js/);
    expect(lines.filter(Boolean).at(-1)).toBe('1 agreed, 1 disagreed, 1 unsupported');

    const doc = JSON.parse(readFileSync(json, 'utf8')) as DiffDocument;
    expect(doc).toMatchObject({ kind: 'nanhunt.diff', version: 1, backends: ['cpu', 'wasm'], baseline: 'cpu', seed: 3, tolerance: { ulps: 4, atol: 0 } });
    expect(doc.summary).toEqual({ total: 3, agreed: 1, disagreed: 1, unsupported: 1, errored: 0 });
    const planted = doc.properties.find((p) => p.status === 'disagreed')!;
    expect(planted.counterexample).toEqual({ x: { $tensor: true, shape: [1], dtype: 'float32', values: [11] } });
    expect(planted.disagreement).toMatchObject({ kind: 'value', tensor: 'output', index: 0, values: { cpu: 59874.140625, wasm: 59888.7578125 } });
    expect(planted.stats.wasm!.histogram['0']).toBeGreaterThan(0);
    expect(planted.timing.perBackendMs).toHaveProperty('wasm');
    expect(doc.properties.find((p) => p.status === 'unsupported')!.unsupported).toEqual([
      { backend: 'wasm', kernel: 'Einsum', message: "Kernel 'Einsum' not registered for backend 'wasm'" },
    ]);

    // the printed replay command replays the same minimal case
    const replay = r.out.match(/replay: npx nanhunt (diff .*)/)![1]!;
    expect(replay).toBe(planted.replay!.replace(/^npx nanhunt /, ''));
    const args = replay.match(/'[^']*'|\S+/g)!.map((a) => a.replace(/^'|'$/g, ''));
    const again = nanhunt(...args);
    expect(again.code).toBe(1);
    expect(again.out).toContain('x: Tensor float32 [1] [11]');
    expect(again.out.trimEnd().split('\n').at(-1)).toBe('0 agreed, 1 disagreed');
  });

  it('exits 0 when the backends agree or an op is unsupported', () => {
    const r = nanhunt('diff', '--properties', FIXTURE, '--filter', 'diff cli: einsum', '--runs', '5');
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('0 agreed, 0 disagreed, 1 unsupported');
  });

  it('check on wasm shows an unsupported op without failing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-diff-'));
    const r = nanhunt('check', '--backend', 'wasm', '--properties', FIXTURE, '--filter', 'einsum', '--runs', '5', '--reports', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/○ diff cli: einsum — unsupported on wasm: no kernel 'Einsum'/);
    expect(r.out).toMatch(/not counted: 1 unsupported/);
    const doc = JSON.parse(readFileSync(path.join(dir, 'nanhunt.json'), 'utf8'));
    expect(doc.properties[0]).toMatchObject({ status: 'unsupported', error: { stage: 'unsupported' } });
  });

  it('exits 2 with a clear message on bad usage and on a backend that cannot be loaded', async () => {
    // in-process (main with captured output): the same code path as the binary, without 8 process starts
    const cases: [string[], RegExp][] = [
      [['diff', '--backends', 'cpu'], /--backends needs at least two backends/],
      [['diff', '--backends', 'cpu,tpu'], /unknown backend 'tpu'/],
      [['diff', '--backends', 'wasm,wasm'], /backend 'wasm' is listed twice/],
      [
        ['diff', '--backends', 'cpu,node-gpu'],
        /backend 'node-gpu' needs the optional package @tensorflow\/tfjs-node-gpu, which is not installed\. Install it with: npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/,
      ],
      [['diff', '--atol', '-1'], /--atol must be a non-negative number/],
      [['diff', '--ulps', 'x'], /--ulps must be an integer/],
      [['diff', '--properties', FIXTURE, '--path', '1:2'], /--path replays one property, but 3 match/],
    ];
    for (const [args, message] of cases) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
      expect(code, args.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(message);
      expect(out).toEqual([]);
    }
    const help: string[] = [];
    await main(['--help'], { out: (l) => help.push(l), err: () => undefined });
    expect(help.join('\n')).toMatch(/diff\s+run properties on several backends/);
  });
});
