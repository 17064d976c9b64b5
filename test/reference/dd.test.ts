import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DD_EXP_ERR, ddExp, ddLog1p, ddLog1pError, settlesDD, twoProd, twoSum, type DD } from '../../src/reference/dd.ts';
import { bigClass } from '../../src/reference/bignumber.ts';
import { exactDecimal } from '../../src/core/float32.ts';

const D = bigClass(60);
const big = (v: DD) => new D(exactDecimal(v.hi)).plus(new D(exactDecimal(v.lo)));

const normalish = fc
  .tuple(fc.double({ min: 1, max: 2, noNaN: true }), fc.integer({ min: -200, max: 200 }), fc.boolean())
  .map(([m, e, neg]) => (neg ? -1 : 1) * m * 2 ** e);

describe('double-double arithmetic', () => {
  it('TwoSum and TwoProduct are exact', () => {
    fc.assert(
      // away from underflow (TwoProduct's low part must be a normal double)
      fc.property(normalish, normalish, (a, b) => {
        const s = twoSum(a, b);
        const p = twoProd(a, b);
        const A = new D(exactDecimal(a));
        const B = new D(exactDecimal(b));
        const W = bigClass(800);
        return big(s).eq(A.plus(B)) && new W(exactDecimal(p.hi)).plus(new W(exactDecimal(p.lo))).eq(new W(exactDecimal(a)).times(new W(exactDecimal(b))));
      }),
      { seed: 301, numRuns: 200 },
    );
  });

  it('exp is within its claimed 2^-90 relative error (measured ~2^-96)', () => {
    fc.assert(
      fc.property(fc.double({ min: -650, max: 30, noNaN: true }), (x) => {
        const r = ddExp({ hi: x, lo: 0 });
        const exact = new D(exactDecimal(x)).exp();
        return big(r).minus(exact).abs().lte(exact.times(DD_EXP_ERR));
      }),
      { seed: 302, numRuns: 150 },
    );
  });

  it('log1p is within its claimed error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 1e-25, max: 1e-6, noNaN: true }), fc.double({ min: 1e-6, max: 1e4, noNaN: true })), (s) => {
        const r = ddLog1p({ hi: s, lo: 0 });
        const exact = new D(exactDecimal(s)).plus(1).ln();
        return big(r).minus(exact).abs().toNumber() <= ddLog1pError(s, exact.toNumber());
      }),
      { seed: 303, numRuns: 150 },
    );
  });

  it('settles a double-double value on the correct side of a float32 midpoint', () => {
    const mid = 1 + 2 ** -24;
    expect(settlesDD({ hi: mid, lo: 1e-30 }, 1e-32)).toEqual({ ok: true, value: mid + 2 ** -52 });
    expect(Math.fround(settlesDD({ hi: mid, lo: 1e-30 }, 1e-32).value)).toBe(1 + 2 ** -23);
    expect(Math.fround(settlesDD({ hi: mid, lo: -1e-30 }, 1e-32).value)).toBe(1);
    expect(settlesDD({ hi: mid, lo: 1e-30 }, 1e-29).ok).toBe(false);
    expect(settlesDD({ hi: mid, lo: 0 }, 1e-40).ok).toBe(false);
    expect(settlesDD({ hi: 1.5, lo: 1e-20 }, 1e-20).ok).toBe(true);
  });
});
