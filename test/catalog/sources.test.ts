// Every catalog property's `source` runs on its own (only `tf` in scope) and computes exactly what
// its subject computes: repro scripts are written from it, so a source that closes over a variable
// defined elsewhere (a loop variable, a helper) would leave a finding without a script.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../properties/index.ts';
import { firstExample } from '../../src/property/engine.ts';
import { standaloneSource } from '../../src/report/repro.ts';
import { property, tensor } from '../../src/index.ts';

describe('the sources of the catalog', () => {
  it('run on their own and compute what the subject computes (training runs have their own scripts)', () => {
    const ops = catalog.filter((p) => !p.tags.includes('training'));
    const wrong = ops.flatMap((p) => {
      const s = standaloneSource(p, firstExample(p.arbitrary, 1));
      return 'reason' in s ? [`${p.name}: ${s.reason}`] : [];
    });
    expect(wrong).toEqual([]);
    expect(ops.length).toBeGreaterThan(500);
  });

  it('tell a source that closes over an outside variable (the check can fail)', () => {
    const scale = 3;
    const p = property({ name: 'closes over scale', inputs: { x: tensor() }, subject: ({ x }) => x.mul(scale) });
    const s = standaloneSource(p, firstExample(p.arbitrary, 1));
    expect('reason' in s && s.reason).toMatch(/refers to `scale`, which is defined outside the subject/);
  });
});
