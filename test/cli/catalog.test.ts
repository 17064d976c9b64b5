import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');

function nanhunt(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('nanhunt catalog (CLI)', () => {
  it('--json prints the coverage table for machines: every cpu kernel and tf.losses/tf.train function, totals, no problems', () => {
    const r = nanhunt('catalog', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ backend: 'cpu', seed: 0, tfjs: '4.22.0', problems: [] });
    expect(doc.kernels).toHaveLength(172);
    expect(doc.functions).toHaveLength(16);
    expect(doc.totals.kernels).toBe(172);
    expect(doc.totals.covered).toBe(doc.kernels.filter((k: { status: string }) => k.status === 'covered').length);
    const exp = doc.kernels.find((k: { name: string }) => k.name === 'Exp');
    expect(exp).toMatchObject({ kind: 'kernel', status: 'covered', hasGradient: true });
    expect(exp.value).toContain('exp');
    const fill = doc.kernels.find((k: { name: string }) => k.name === 'StringSplit');
    expect(fill).toMatchObject({ status: 'excluded', exclusion: { category: 'string' } });
  });

  /** Run the command in this process (here only where nothing is measured: help and bad usage). */
  async function inProcess(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('is in --help (the text table itself is checked with formatCoverage in test/catalog/coverage.test.ts)', async () => {
    expect((await inProcess('--help')).out).toMatch(/catalog\s+print the catalog's coverage/);
  });

  it('exits 2 with a clear message on bad usage', async () => {
    expect(nanhunt('catalog', '--bogus')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option --bogus/) });
    expect(await inProcess('catalog', 'extra')).toMatchObject({ code: 2, err: expect.stringMatching(/unexpected argument 'extra'/) });
    expect(await inProcess('catalog', '--seed', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/--seed must be an integer/) });
  });
});
