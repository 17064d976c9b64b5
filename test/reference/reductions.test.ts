import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactKind, exactFloat32 } from '../../src/reference/index.ts';

const vals = (t: { values: Float64Array }): number[] => Array.from(t.values);

describe('sum and mean', () => {
  it('adds exactly, even through catastrophic cancellation', () => {
    expect(vals(reference.sum(Array.from({ length: 100 }, (_, i) => i + 1)))).toEqual([5050]);
    const c = reference.sum([3e38, 1, -3e38]);
    expect(vals(c)).toEqual([1]); // plain float64 gives 0 here
    expect(c.stats.slow).toBe(1);
    expect(vals(reference.sum([1e-45, 3.4e38, -3.4e38]))).toEqual([Math.fround(1e-45)]);
    expect(vals(reference.sum([0.1, 0.2]))).toEqual([Math.fround(0.1) + Math.fround(0.2)]);
  });

  it('reduces over axes with keepDims like tfjs', () => {
    const x = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    expect(vals(reference.sum(x, 0))).toEqual([5, 7, 9]);
    expect(vals(reference.sum(x, 1))).toEqual([6, 15]);
    expect(vals(reference.sum(x, -1))).toEqual([6, 15]);
    expect(reference.sum(x, 1, true).shape).toEqual([2, 1]);
    expect(reference.sum(x).shape).toEqual([]);
    expect(vals(reference.mean(x, [0, 1]))).toEqual([3.5]);
    expect(vals(reference.mean({ shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }, [0, 2]))).toEqual([3.5, 5.5]);
  });

  it('means are exact rationals, rounded once', () => {
    const third = reference.mean([1, 0, 0]);
    expect(vals(third)).toEqual([1 / 3]);
    const f = Math.fround(0.1);
    expect(vals(reference.mean([f, f, f]))).toEqual([f]);
    const cancel = reference.mean([3e38, 1, -3e38, 2]);
    expect(vals(cancel)).toEqual([0.75]);
  });

  it('follows IEEE sums for non-finite inputs', () => {
    expect(vals(reference.sum([Infinity, 1]))).toEqual([Infinity]);
    expect(exactKind(reference.sum([Infinity, -Infinity]), 0)).toBe('nan');
    expect(exactKind(reference.sum([NaN, 1]), 0)).toBe('nan');
  });

  it('gives sum of |partial sums| as the magnitude', () => {
    const t = reference.sum([1, -1, 1]);
    expect(t.magnitude![0]).toBe(1 + 0 + 1);
  });
});

describe('moments', () => {
  it('computes mean and population variance exactly', () => {
    const m = reference.moments([1, 2, 3, 4]);
    expect(vals(m.mean)).toEqual([2.5]);
    expect(vals(m.variance)).toEqual([1.25]);
    const off = reference.moments([1e4 + 1, 1e4 + 2, 1e4 + 3]);
    expect(vals(off.variance)).toEqual([2 / 3]);
    const x = Math.fround(1e4 + 0.1);
    expect(vals(reference.moments([x, x, x]).variance)).toEqual([0]); // E[x^2] - E[x]^2 would cancel
  });

  it('matches the textbook formula on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 20 }), (xs) => {
        const n = xs.length;
        const s = xs.reduce((a, b) => a + b, 0);
        const ss = xs.reduce((a, b) => a + b * b, 0);
        const exactVar = (n * ss - s * s) / (n * n); // integers: exact up to the final division
        const exact = reference.moments(xs, null, false, { mode: 'exact' }); // exact rationals: correctly rounded
        const tiered = reference.moments(xs); // float64 within a proven bound: same float32
        const v = tiered.variance.values[0]!;
        return (
          exact.mean.values[0] === s / n &&
          exact.variance.values[0] === exactVar &&
          Math.fround(v) === Math.fround(exactVar) &&
          Math.abs(v - exactVar) <= 1e-15 * exactVar
        );
      }),
      { seed: 41, numRuns: 200 },
    );
  });

  it('reduces along an axis and makes any infinity NaN', () => {
    const m = reference.moments({ shape: [2, 2], data: [1, 3, 10, 10] }, 1, true);
    expect(m.mean.shape).toEqual([2, 1]);
    expect(vals(m.mean)).toEqual([2, 10]);
    expect(vals(m.variance)).toEqual([1, 0]);
    expect(exactKind(reference.moments([Infinity, 1]).variance, 0)).toBe('nan');
  });
});

describe('norm', () => {
  it('is exact and does not overflow or underflow', () => {
    expect(vals(reference.norm([3, 4]))).toEqual([5]);
    const big = reference.norm([1e20, 1e20]);
    expect(big.values[0]).toBeCloseTo(Math.fround(1e20) * Math.SQRT2, -6);
    expect(exactFloat32(big, 0)).toBe(Math.fround(Math.fround(1e20) * Math.SQRT2));
    expect(vals(reference.norm([1e-45, 1e-45]))).toEqual([2 ** -149 * Math.SQRT2]);
    expect(vals(reference.norm([0, 0]))).toEqual([0]);
  });

  it('supports ord 1, Infinity and -Infinity and axes', () => {
    expect(vals(reference.norm([-1, 2, -3], 1))).toEqual([6]);
    expect(vals(reference.norm([-1, 2, -3], Infinity))).toEqual([3]);
    expect(vals(reference.norm([-1, 2, -3], -Infinity))).toEqual([1]);
    expect(vals(reference.norm({ shape: [2, 2], data: [3, 4, 6, 8] }, 'euclidean', 1))).toEqual([5, 10]);
    expect(vals(reference.norm({ shape: [2, 2], data: [1, 1, 1, 1] }, 'fro', [0, 1]))).toEqual([2]);
    expect(vals(reference.norm([Infinity, NaN]))).toEqual([NaN]);
    expect(vals(reference.norm([-Infinity, 1]))).toEqual([Infinity]);
  });
});

describe('matMul', () => {
  it('multiplies exactly, with transposes and batches', () => {
    const a = [
      [1, 2],
      [3, 4],
    ];
    const b = [
      [5, 6],
      [7, 8],
    ];
    expect(vals(reference.matMul(a, b))).toEqual([19, 22, 43, 50]);
    expect(vals(reference.matMul(a, b, true))).toEqual([26, 30, 38, 44]);
    expect(vals(reference.matMul(a, b, false, true))).toEqual([17, 23, 39, 53]);
    const batched = reference.matMul({ shape: [2, 1, 2], data: [1, 2, 3, 4] }, { shape: [2, 1], data: [10, 1] });
    expect(batched.shape).toEqual([2, 1, 1]);
    expect(vals(batched)).toEqual([12, 34]);
    const c = reference.matMul([[3e38, 1, -3e38]], [[1], [1], [1]]);
    expect(vals(c)).toEqual([1]);
    expect(c.stats.slow).toBe(1);
  });

  it('follows IEEE arithmetic for non-finite inputs (0 * Inf = NaN)', () => {
    expect(exactKind(reference.matMul([[0, 1]], [[Infinity], [1]]), 0)).toBe('nan');
    expect(vals(reference.matMul([[2, 1]], [[Infinity], [1]]))).toEqual([Infinity]);
  });
});

describe('softmax, logSoftmax, logSumExp', () => {
  const S = ['0.09003057317038045799802210148449179786791', '0.2447284710547976524729596183407627971993', '0.6652409557748218895290182801747454049327'];
  const LSE = '3.407605964444380304482919904545070451473';

  it('agree with high-precision values', () => {
    const s = reference.softmax([1, 2, 3]);
    S.forEach((d, i) => {
      expect(Math.abs(s.values[i]! - Number(d))).toBeLessThanOrEqual(Number(d) * 2 ** -52);
      expect(exactFloat32(s, i)).toBe(Math.fround(Number(d)));
    });
    expect(Math.abs(reference.logSumExp([1, 2, 3]).values[0]! - Number(LSE))).toBeLessThanOrEqual(Number(LSE) * 2 ** -52);
    const ls = reference.logSoftmax([1, 2, 3]);
    expect(ls.values[2]!).toBeCloseTo(3 - Number(LSE), 15);
  });

  it('never overflow and keep tiny probabilities', () => {
    const s = reference.softmax([1000, 0]);
    expect(vals(s)).toEqual([1, 0]); // e^-1000 is below float64 too
    expect(exactKind(s, 1)).toBe('finite');
    const t = reference.softmax([100, 0]);
    expect(t.values[1]).toBeCloseTo(Math.exp(-100), 58);
    expect(reference.logSoftmax([100, 0]).values[1]).toBeCloseTo(-100 - Math.exp(-100), 12);
    expect(reference.logSumExp([1000, 1000]).values[0]).toBe(1000 + Math.LN2);
    expect(reference.logSumExp([3e38, 3e38]).values[0]).toBe(Math.fround(3e38) + Math.LN2);
    // the max element's log-probability is -log1p(tiny), not 0
    expect(reference.logSoftmax([0, -40]).values[0]).toBeCloseTo(-Math.exp(-40), 30);
  });

  it('satisfy their identities on random rows', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 }), (row) => {
        const s = reference.softmax(row).values;
        const ls = reference.logSoftmax(row).values;
        const lse = reference.logSumExp(row).values[0]!;
        const total = s.reduce((a, b) => a + b, 0);
        const max = Math.max(...row.map(Math.fround));
        return (
          Math.abs(total - 1) <= 1e-14 &&
          row.every((x, i) => Math.abs(ls[i]! - (Math.fround(x) - lse)) <= 1e-13 * (1 + Math.abs(lse))) &&
          row.every((_, i) => s[i]! === 0 || Math.abs(Math.log(s[i]!) - ls[i]!) <= 1e-12 * (1 + Math.abs(ls[i]!))) &&
          lse >= max &&
          lse <= max + Math.log(row.length) + 1e-12
        );
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('is shift invariant', () => {
    const a = reference.softmax([1, 2, 4]).values;
    const b = reference.softmax([101, 102, 104]).values;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('work along the last axis and logSumExp along any axes', () => {
    const x = { shape: [2, 3], data: [1, 2, 3, 1, 1, 1] };
    const s = reference.softmax(x);
    expect(s.shape).toEqual([2, 3]);
    expect(vals(s).slice(3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(reference.logSumExp(x, 0).shape).toEqual([3]);
    expect(reference.logSumExp(x, 1, true).shape).toEqual([2, 1]);
    expect(reference.logSumExp(x, 1).values[1]).toBeCloseTo(1 + Math.log(3), 15);
    expect(() => reference.softmax(x, 0)).toThrow(/only the last axis/);
  });

  it('define non-finite rows in the extended reals', () => {
    const s = reference.softmax({ shape: [4, 3], data: [0, -Infinity, 1, Infinity, 0, 1, NaN, 1, 2, -Infinity, -Infinity, -Infinity] });
    expect(vals(s).slice(0, 3)).toEqual([1 / (1 + Math.E), 0, Math.E / (1 + Math.E)]);
    expect(vals(s).slice(3, 6)).toEqual([NaN, 0, 0]);
    expect(vals(s).slice(6)).toEqual([NaN, NaN, NaN, NaN, NaN, NaN]);
    expect(vals(reference.logSoftmax([0, -Infinity]))).toEqual([-0, -Infinity]); // -log1p(0)
    expect(vals(reference.logSumExp([Infinity, 0]))).toEqual([Infinity]);
    expect(vals(reference.logSumExp([-Infinity, -Infinity]))).toEqual([-Infinity]);
  });
});
