import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CATALOG_DOC_FILE } from '../../src/catalog/docs.ts';
import { FINDINGS_BEGIN, FINDINGS_END, compactInput, findingsMarkdown, updateFindings, type ReportDocument } from '../../src/catalog/findings.ts';
import { serializeValue, tensorValue } from '../../src/index.ts';

const doc = (backend: string, properties: ReportDocument['properties']): ReportDocument => ({ tfjs: '4.22.0', backend, seed: 0, properties });

describe('the findings table of docs/catalog.md', () => {
  const cpu = doc('cpu', [
    {
      name: 'norm',
      status: 'failed',
      backend: 'cpu',
      invariant: 'finite',
      message: 'output is +Infinity',
      firstNonFiniteKernel: 'Pow',
      counterexample: serializeValue({ x: tensorValue([1], [2e19]) }),
      // a distinct failure of the same property is a finding (a row) of its own
      distinct: [
        {
          name: 'norm',
          status: 'failed',
          backend: 'cpu',
          invariant: 'matches reference (norm)',
          message: 'output[] is 0; exact 4.2e-45',
          counterexample: serializeValue({ x: tensorValue([1], [4e-45]) }),
        },
      ],
    },
    { name: 'exp', status: 'passed', backend: 'cpu' },
    { name: 'naive BCE', status: 'failed', expectedFailure: true, backend: 'cpu', invariant: 'finite', message: 'output is NaN' },
    {
      name: 'elu',
      status: 'failed',
      backend: 'cpu',
      invariant: 'matches reference (elu)',
      message: 'output[0] is 0; exact -4.2e-45: 3 ulps (tolerance ulps <= 2; 1 of 1 elements out of tolerance)',
      counterexample: serializeValue({ x: tensorValue([1], [-4e-45]) }),
    },
  ]);
  const wasm = doc('wasm', [
    {
      name: 'sum large',
      status: 'failed',
      backend: 'wasm',
      invariant: 'matches reference (sum)',
      message: '456 ulps',
      counterexample: serializeValue({ x: tensorValue([4852], new Array(4852).fill(1e-5)) }),
    },
  ]);

  it('lists every finding (not passes, not shipped examples of bugs) with its minimal input, sorted', () => {
    const md = findingsMarkdown([cpu, wasm]);
    expect(md.startsWith(FINDINGS_BEGIN) && md.endsWith(FINDINGS_END)).toBe(true);
    expect(md).toContain('4 findings of `npx nanhunt check` on cpu (seed 0, tfjs 4.22.0), wasm (seed 0, tfjs 4.22.0).');
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => r.split(' | ')[0])).toEqual(['| `elu`', '| `norm`', '| `norm`', '| `sum large`']);
    expect(rows[1]).toBe('| `norm` | cpu | finite: output is +Infinity (born in Pow) | x [2e+19] |');
    expect(rows[2]).toBe('| `norm` | cpu | matches reference (norm): output[] is 0; exact 4.2e-45 | x [4e-45] |');
    expect(rows[0]).toContain('3 ulps |'); // the tolerance parenthesis is left to the entry's row
    expect(rows[3]).toContain('x [1e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5, … 4844 more]');
  });

  it('names nested inputs by path', () => {
    expect(compactInput({ t: { a: tensorValue([1, 2], [1, 2]), b: tensorValue([2, 1], [3, 4]) }, lr: 0.5 })).toBe(
      't.a [1, 2] [[1, 2]], t.b [2, 1] [[3], [4]], lr 0.5',
    );
  });

  it('replaces exactly the one block of docs/catalog.md', () => {
    const text = readFileSync(CATALOG_DOC_FILE, 'utf8');
    const updated = updateFindings(text, [cpu]);
    expect(updated).toContain('| `norm` | cpu |');
    expect(updated.slice(0, updated.indexOf(FINDINGS_BEGIN))).toBe(text.slice(0, text.indexOf(FINDINGS_BEGIN)));
    expect(() => updateFindings('no block', [cpu])).toThrow(/no findings block/);
  });
});
