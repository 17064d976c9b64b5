import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bitsOfError, measureError } from '../../src/check/error.ts';
import { float32Ordinal, ulpDistance } from '../../src/core/float32.ts';
import { MAX_FLOAT32, MIN_SUBNORMAL } from '../../src/core/float32.ts';

const ONE_UP = 1 + 2 ** -23;

describe('ULP distance and bits of error', () => {
  it('counts float32 values between two numbers', () => {
    expect(ulpDistance(1, 1)).toBe(0);
    expect(ulpDistance(1, ONE_UP)).toBe(1);
    expect(ulpDistance(1, 1 - 2 ** -24)).toBe(1); // the binade below is twice as fine
    expect(ulpDistance(2, 1)).toBe(2 ** 23);
    expect(ulpDistance(MAX_FLOAT32, Infinity)).toBe(1);
    expect(ulpDistance(-Infinity, Infinity)).toBe(2 * 0x7f800000);
  });

  it('treats -0 and +0 as one value and counts subnormals', () => {
    expect(ulpDistance(0, -0)).toBe(0);
    expect(float32Ordinal(-0)).toBe(0);
    expect(ulpDistance(0, MIN_SUBNORMAL)).toBe(1);
    expect(ulpDistance(-MIN_SUBNORMAL, MIN_SUBNORMAL)).toBe(2);
    expect(ulpDistance(-0, 3 * MIN_SUBNORMAL)).toBe(3);
    expect(ulpDistance(2 ** -126, 2 ** -126 - MIN_SUBNORMAL)).toBe(1); // normal to subnormal
  });

  it('gives NaN against a number the worst distance and NaN against NaN none', () => {
    expect(ulpDistance(NaN, 1)).toBe(Infinity);
    expect(ulpDistance(NaN, NaN)).toBe(0);
  });

  it('computes Herbie bits as log2(1 + ulps), capped at 32', () => {
    expect(bitsOfError(0)).toBe(0);
    expect(bitsOfError(1)).toBe(1);
    expect(bitsOfError(3)).toBe(2);
    expect(bitsOfError(2 ** 40)).toBe(32);
    expect(bitsOfError(Infinity)).toBe(32);
  });

  it('is a metric on float32 values (symmetric, triangle inequality)', () => {
    const f32 = fc.float({ noNaN: true });
    fc.assert(
      fc.property(f32, f32, f32, (a, b, c) => {
        const ab = ulpDistance(a, b);
        return ab === ulpDistance(b, a) && ab <= ulpDistance(a, c) + ulpDistance(c, b) && (ab === 0) === (a === b);
      }),
      { seed: 21, numRuns: 500 },
    );
  });
});

describe('measureError', () => {
  it('is exact for a correctly rounded result', () => {
    const m = measureError(Math.fround(Math.PI), Math.PI);
    expect(m.ulps).toBe(0);
    expect(m.bits).toBe(0);
    expect(m.absError).toBeCloseTo(Math.abs(Math.fround(Math.PI) - Math.PI), 20);
    expect(m.relError).toBeLessThan(2 ** -24);
  });

  it('counts ULPs from the rounded exact value and errors from the exact value', () => {
    const m = measureError(Math.fround(1 + 3 * 2 ** -23), 1);
    expect(m.ulps).toBe(3);
    expect(m.bits).toBe(2);
    expect(m.absError).toBe(3 * 2 ** -23);
    expect(m.relError).toBe(3 * 2 ** -23);
  });

  it('handles zeros of both signs', () => {
    expect(measureError(-0, 0)).toEqual({ ulps: 0, bits: 0, absError: 0, relError: 0 });
    expect(measureError(0, -0).ulps).toBe(0);
    const m = measureError(MIN_SUBNORMAL, 0);
    expect(m.ulps).toBe(1);
    expect(m.relError).toBe(Infinity);
    expect(measureError(0, 1e-50).ulps).toBe(0); // 1e-50 rounds to 0 in float32
    expect(measureError(0, 1e-50).relError).toBe(1);
  });

  it('handles subnormal results', () => {
    const exact = 2.5 * MIN_SUBNORMAL; // a tie between 2 and 3 subnormal steps: rounds to even (2)
    expect(measureError(2 * MIN_SUBNORMAL, exact).ulps).toBe(0);
    expect(measureError(3 * MIN_SUBNORMAL, exact).ulps).toBe(1);
  });

  it('treats a matching infinity as exact, including a correctly rounded overflow', () => {
    expect(measureError(Infinity, Infinity, '+inf')).toEqual({ ulps: 0, bits: 0, absError: 0, relError: 0 });
    expect(measureError(-Infinity, -Infinity).ulps).toBe(0);
    // exp(100) = 2.7e43 is finite, but rounds to +Infinity in float32: Infinity is right
    expect(measureError(Infinity, Math.exp(100), 'finite')).toEqual({ ulps: 0, bits: 0, absError: 0, relError: 0 });
    // finite beyond float64 (exp(1000)): stored as +Infinity with kind finite
    expect(measureError(Infinity, Infinity, 'finite').ulps).toBe(0);
  });

  it('gives the worst error to NaN or Infinity where the answer is finite', () => {
    for (const got of [NaN, Infinity, -Infinity]) {
      const m = measureError(got, 0.5, 'finite');
      expect(m).toEqual({ ulps: Infinity, bits: 32, absError: Infinity, relError: Infinity });
    }
    // -Infinity where the exact answer overflows to +Infinity
    expect(measureError(-Infinity, Math.exp(100), 'finite').ulps).toBe(Infinity);
  });

  it('measures a finite result against an infinite answer by ULP distance', () => {
    const m = measureError(MAX_FLOAT32, Infinity, '+inf');
    expect(m.ulps).toBe(1);
    expect(m.bits).toBe(1);
    expect(m.absError).toBe(Infinity);
    // just below the overflow threshold, the largest float32 is correct
    expect(measureError(MAX_FLOAT32, 3.4028235e38, 'finite').ulps).toBe(0);
    // a finite answer beyond float64: the largest float32 is one ULP off, relative error 1
    const beyond = measureError(MAX_FLOAT32, Infinity, 'finite');
    expect(beyond.ulps).toBe(1);
    expect(beyond.relError).toBe(1);
  });

  it('handles answers that are NaN by definition', () => {
    expect(measureError(NaN, NaN, 'nan').ulps).toBe(0);
    expect(measureError(0, NaN, 'nan')).toEqual({ ulps: Infinity, bits: 32, absError: Infinity, relError: Infinity });
    expect(measureError(NaN, NaN).ulps).toBe(0); // kind inferred from the value
  });
});
