import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { classify, float32, FLOAT32_CLASSES, MAX_FLOAT32, MIN_NORMAL, MIN_SUBNORMAL, EXP_OVERFLOW_EDGE, nextUp, type Float32Class } from '../../src/index.ts';

const SEED = 1234;

function samples(arb: fc.Arbitrary<number>, n: number, seed = SEED): number[] {
  return fc.sample(arb, { numRuns: n, seed });
}

describe('float32()', () => {
  it('produces every finite special class within 1,000 samples', () => {
    const xs = samples(float32(), 1000);
    const seen = new Set<Float32Class>(xs.flatMap(classify));
    const expected = FLOAT32_CLASSES.filter((c) => c !== 'nan' && c !== 'infinity' && c !== 'wide');
    for (const c of expected) expect(seen, `class ${c}`).toContain(c);
    // landmarks themselves
    expect(xs.some((x) => Object.is(x, -0))).toBe(true);
    expect(xs.some((x) => Object.is(x, 0))).toBe(true);
    expect(xs.some((x) => Math.abs(x) === MAX_FLOAT32)).toBe(true);
    expect(xs.some((x) => Math.abs(x) === MIN_NORMAL)).toBe(true);
    expect(xs.some((x) => x === EXP_OVERFLOW_EDGE)).toBe(true);
    expect(xs.some((x) => x === nextUp(EXP_OVERFLOW_EDGE))).toBe(true);
    expect(xs.some((x) => x === -EXP_OVERFLOW_EDGE)).toBe(true);
    expect(xs.some((x) => Math.abs(x) === 65504)).toBe(true);
    expect(xs.some((x) => x === nextUp(1))).toBe(true);
  });

  it('spreads powers of two over the whole exponent range', () => {
    const xs = samples(float32({ classes: ['powerOfTwo'] }), 1000);
    const exps = xs.map((x) => Math.log2(Math.abs(x)));
    expect(exps.every((e) => Number.isInteger(e) && e >= -149 && e <= 127)).toBe(true);
    // exponent-uniform: every band of 50 exponents is hit, tiny ones included
    for (const [lo, hi] of [
      [-149, -100],
      [-100, -50],
      [-50, 0],
      [0, 50],
      [50, 128],
    ]) {
      expect(exps.filter((e) => e >= lo! && e < hi!).length, `exponents in [${lo}, ${hi})`).toBeGreaterThan(50);
    }
  });

  it('only makes NaN and ±Infinity when asked', () => {
    const plain = samples(float32(), 2000);
    expect(plain.every(Number.isFinite)).toBe(true);
    const wild = samples(float32({ nonFinite: true }), 1000);
    expect(wild.some(Number.isNaN)).toBe(true);
    expect(wild).toContain(Infinity);
    expect(wild).toContain(-Infinity);
  });

  it('produces exact float32 values inside [min, max] and outside the exclusions', () => {
    const arb = float32({ min: -1, max: 100, exclude: [0, -0, 1] });
    const xs = samples(arb, 2000);
    for (const x of xs) {
      expect(Object.is(Math.fround(x), x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThanOrEqual(100);
      expect(x === 0 || x === 1).toBe(false);
    }
    expect(xs.some((x) => x > 88)).toBe(true); // the exp edge fits in the range
    expect(xs.some((x) => x > 0 && x < MIN_NORMAL)).toBe(true); // subnormals too
    const positive = samples(float32({ min: MIN_SUBNORMAL }), 1000);
    expect(positive.every((x) => x >= MIN_SUBNORMAL)).toBe(true);
    const predicate = samples(float32({ exclude: (x) => x < 0 }), 500);
    expect(predicate.every((x) => !(x < 0))).toBe(true);
  });

  it('rejects bad options with clear errors', () => {
    expect(() => float32({ min: 5, max: 1 })).toThrow(/min \(5\) is greater than max \(1\)/);
    expect(() => float32({ min: NaN })).toThrow(/NaN/);
    expect(() => float32({ classes: ['bogus' as Float32Class] })).toThrow(/unknown class 'bogus'/);
    expect(() => float32({ min: 2, max: 3, classes: ['zero'] })).toThrow(/no value class fits/);
  });

  it('is deterministic for a seed', () => {
    expect(samples(float32(), 200, 7)).toEqual(samples(float32(), 200, 7));
  });

  it('shrinks within its domain toward simpler values', () => {
    const arb = float32({ min: 1, max: 1000 });
    const shrunk = [...arb.shrink(MAX_FLOAT32 > 1000 ? 777.25 : 0, undefined)].map((v) => v.value);
    expect(shrunk.length).toBeGreaterThan(0);
    expect(shrunk.every((x) => x >= 1 && x <= 1000)).toBe(true);
    expect(shrunk[0]).toBe(1); // 0 is outside the domain; 1 is the simplest value inside it
  });
});
