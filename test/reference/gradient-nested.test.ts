import { describe, expect, it } from 'vitest';
import { gradientMatches } from '../../src/check/gradient.ts';
import * as ref from '../../src/reference/index.ts';
import { tensorValue, type TensorValue } from '../../src/index.ts';

type In = { p: { base: TensorValue; exponent: TensorValue } };

describe('gradientMatches with nested inputs (tensors() groups)', () => {
  const inv = gradientMatches<In>({
    derivative: ({ p }) => {
      const d = ref.derivatives.pow(p.base, p.exponent);
      return { 'p.base': d.base!, 'p.exponent': d.exp! };
    },
  });
  const inputs: In = { p: { base: tensorValue([2], [2, 3]), exponent: tensorValue([2], [3, 2]) } };
  const grad = (name: string, values: number[]) => ({ name: `grad(${name})`, wrt: name, shape: [2], dtype: 'float32', data: Float32Array.from(values) });

  it('accepts the right gradients, found by their dotted names', () => {
    // d/dbase = e·b^(e-1) = [12, 6]; d/dexp = b^e·ln b = [8 ln 2, 9 ln 3]
    const ok = { inputs, outputs: [], backend: 'cpu', gradients: [grad('p.base', [12, 6]), grad('p.exponent', [8 * Math.LN2, 9 * Math.log(3)])] };
    expect(inv.check(ok)).toBeUndefined();
  });
  it('flags a wrong one, naming the nested input', () => {
    const bad = { inputs, outputs: [], backend: 'cpu', gradients: [grad('p.base', [12, 7]), grad('p.exponent', [8 * Math.LN2, 9 * Math.log(3)])] };
    const v = inv.check(bad);
    expect(v?.location).toMatchObject({ kind: 'gradient', tensor: 'grad(p.base)', index: 1 });
  });
});
