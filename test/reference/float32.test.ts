import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  certifies32,
  decompose,
  exactDecimal,
  MAX_FLOAT32,
  MIN_SUBNORMAL,
  FLOAT32_OVERFLOW_THRESHOLD,
  isFloat32Midpoint,
  nextDown,
  nextUp,
  roundingInterval32,
  ulp32,
} from '../../src/core/float32.ts';
import { isqrt, ratioToDouble, sqrtToDouble } from '../../src/reference/rational.ts';
import { bigClass } from '../../src/reference/bignumber.ts';

describe('float32 facts', () => {
  it('knows the float32 range and the overflow threshold', () => {
    expect(Math.fround(MAX_FLOAT32)).toBe(MAX_FLOAT32);
    expect(Math.fround(FLOAT32_OVERFLOW_THRESHOLD)).toBe(Infinity); // the tie rounds to the "even" Infinity
    expect(Math.fround(FLOAT32_OVERFLOW_THRESHOLD - 2 ** 80)).toBe(MAX_FLOAT32);
    expect(nextUp(MAX_FLOAT32)).toBe(Infinity);
    expect(nextUp(0)).toBe(MIN_SUBNORMAL);
    expect(nextDown(MIN_SUBNORMAL)).toBe(0);
    expect(nextUp(-MIN_SUBNORMAL)).toBe(-0);
    expect(nextUp(1)).toBe(1 + 2 ** -23);
    expect(nextDown(1)).toBe(1 - 2 ** -24);
  });

  it('measures float32 spacing across binades, subnormals included', () => {
    expect(ulp32(1)).toBe(2 ** -23);
    expect(ulp32(1.5)).toBe(2 ** -23);
    expect(ulp32(0.75)).toBe(2 ** -24);
    expect(ulp32(0)).toBe(2 ** -149);
    expect(ulp32(1e-40)).toBe(2 ** -149);
    expect(ulp32(2 ** -126)).toBe(2 ** -149);
    expect(ulp32(3e38)).toBe(2 ** 104);
  });

  it('finds the rounding midpoints around a value', () => {
    expect(roundingInterval32(1)).toEqual([1 - 2 ** -25, 1 + 2 ** -24]);
    expect(roundingInterval32(0)).toEqual([-(2 ** -150), 2 ** -150]);
    expect(roundingInterval32(MAX_FLOAT32)).toEqual([MAX_FLOAT32 - 2 ** 103, FLOAT32_OVERFLOW_THRESHOLD]);
    expect(roundingInterval32(1e39)).toEqual([FLOAT32_OVERFLOW_THRESHOLD, Infinity]);
    expect(isFloat32Midpoint(1 + 2 ** -24)).toBe(true);
    expect(isFloat32Midpoint(1 + 2 ** -23)).toBe(false);
    expect(isFloat32Midpoint(2 ** -150)).toBe(true);
    expect(isFloat32Midpoint(FLOAT32_OVERFLOW_THRESHOLD)).toBe(true);
    expect(isFloat32Midpoint(1 + 2 ** -25)).toBe(false);
  });

  it('certifies an interval only when it rounds to one float32', () => {
    expect(certifies32(1, 2 ** -60)).toBe(true);
    expect(certifies32(1 + 2 ** -24, 2 ** -60)).toBe(false); // straddles the midpoint
    expect(certifies32(1 + 2 ** -24, 0)).toBe(true); // an exact tie is settled
    expect(certifies32(1e-50, 1e-52)).toBe(true); // rounds to 0 either way
    expect(certifies32(Infinity, 0)).toBe(true); // certain overflow
    expect(certifies32(NaN, 0)).toBe(false);
    expect(certifies32(1, Infinity)).toBe(false);
  });

  it('writes doubles as exact decimals, subnormal float32 included', () => {
    expect(exactDecimal(0.5)).toBe('5e-1');
    expect(exactDecimal(-0)).toBe('-0');
    expect(exactDecimal(3)).toBe('3');
    const D = bigClass(200);
    expect(new D(exactDecimal(Math.fround(0.1))).toString()).toBe('0.100000001490116119384765625');
    expect(new D(exactDecimal(MIN_SUBNORMAL)).toFixed()).toBe(
      '0.00000000000000000000000000000000000000000000140129846432481707092372958328991613128026194187651577175706828388979108268586060148663818836212158203125',
    );
  });

  it('decomposes doubles into odd mantissa and exponent', () => {
    expect(decompose(6)).toEqual({ mantissa: 3, exponent: 1 });
    expect(decompose(-0.375)).toEqual({ mantissa: -3, exponent: -3 });
    expect(decompose(MIN_SUBNORMAL)).toEqual({ mantissa: 1, exponent: -149 });
    expect(decompose(Number.MIN_VALUE)).toEqual({ mantissa: 1, exponent: -1074 });
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const { mantissa, exponent } = decompose(x);
        if (x === 0) return mantissa === 0;
        return Math.abs(mantissa) % 2 === 1 && mantissa * 2 ** exponent === x;
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('exact rational rounding', () => {
  it('rounds quotients correctly, including ties and float32 midpoints', () => {
    expect(ratioToDouble(1n, 3n, 0)).toBe(1 / 3);
    expect(ratioToDouble(-2n, 3n, 0)).toBe(-2 / 3);
    expect(ratioToDouble(10n, 4n, 0)).toBe(2.5);
    expect(ratioToDouble(1n, 1n, 149)).toBe(2 ** -149);
    // a float32 midpoint that the true value is slightly above: nudged up by one double
    const mid = 1 + 2 ** -24;
    const above = ratioToDouble((1n << 200n) + (1n << 176n) + 1n, 1n, 200);
    expect(above).toBeGreaterThan(mid);
    expect(Math.fround(above)).toBe(1 + 2 ** -23);
    const below = ratioToDouble((1n << 200n) + (1n << 176n) - 1n, 1n, 200);
    expect(Math.fround(below)).toBe(1);
    // exactly on the midpoint: a tie, rounds to even
    expect(ratioToDouble((1n << 200n) + (1n << 176n), 1n, 200)).toBe(mid);
  });

  it('agrees with double division when that is exact enough', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1e6 }), (n, d) => ratioToDouble(BigInt(n), BigInt(d), 0) === n / d),
      { seed: 12, numRuns: 300 },
    );
  });

  it('takes exact integer square roots', () => {
    expect(isqrt(0n)).toBe(0n);
    expect(isqrt(15n)).toBe(3n);
    expect(isqrt(16n)).toBe(4n);
    const big = (1n << 300n) + 12345n;
    const r = isqrt(big);
    expect(r * r <= big && (r + 1n) * (r + 1n) > big).toBe(true);
    expect(sqrtToDouble(2n, 0)).toBe(Math.SQRT2);
    expect(sqrtToDouble(1n, 298)).toBe(2 ** -149);
    expect(sqrtToDouble(25n, 2)).toBe(2.5);
  });
});
