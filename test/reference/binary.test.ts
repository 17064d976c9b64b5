import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactFloat32, exactKind, type ExactTensor } from '../../src/reference/index.ts';
import { bigClass, bigOf, type Big } from '../../src/reference/bignumber.ts';
import { bigToDouble } from '../../src/reference/arith.ts';

const values = (t: ExactTensor): number[] => Array.from(t.values);
const kinds = (t: ExactTensor): string[] => Array.from(t.values, (_, i) => exactKind(t, i));

/** float32 values over the whole range, both signs, and small integers (ties, exact quotients). */
const f32 = fc.oneof(
  fc
    .tuple(fc.integer({ min: -149, max: 127 }), fc.double({ min: 1, max: 2, noNaN: true }), fc.boolean())
    .map(([e, m, neg]) => Math.fround((neg ? -1 : 1) * m * 2 ** e))
    .filter(Number.isFinite),
  fc.integer({ min: -20, max: 20 }),
  fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround),
);

/** The correctly rounded float32 of an exact BigNumber value. */
const round32 = (v: Big): number => Math.fround(bigToDouble(v));

describe('binary references are the correctly rounded exact answers', () => {
  const D = bigClass(1200); // wide enough to hold every sum, product and remainder of two float32 exactly
  const Q = bigClass(400);
  const cases: [string, (a: number, b: number) => ExactTensor, (a: Big, b: Big) => Big | undefined][] = [
    ['add', (a, b) => reference.add(a, b), (a, b) => a.plus(b)],
    ['sub', (a, b) => reference.sub(a, b), (a, b) => a.minus(b)],
    ['mul', (a, b) => reference.mul(a, b), (a, b) => a.times(b)],
    ['div', (a, b) => reference.div(a, b), (a, b) => (b.isZero() ? undefined : new Q(a).div(new Q(b)))],
    ['squaredDifference', (a, b) => reference.squaredDifference(a, b), (a, b) => a.minus(b).pow(2)],
    ['floorDiv', (a, b) => reference.floorDiv(a, b), (a, b) => (b.isZero() ? undefined : new Q(a).div(new Q(b)).floor())],
    [
      'mod',
      (a, b) => reference.mod(a, b),
      (a, b) => {
        if (b.isZero()) return undefined;
        // a - floor(a/b)·b with the exact floor (the quotient at 400 digits cannot round across an integer here)
        const q = new Q(a).div(new Q(b));
        let f = q.floor();
        if (f.times(b).gt(a) !== b.isNeg() && !f.times(b).eq(a)) f = f.minus(1);
        return a.minus(f.times(b));
      },
    ],
  ];
  for (const [name, ref, exact] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(f32, f32, (a, b) => {
          const want = exact(bigOf(D, a), bigOf(D, b));
          if (want === undefined) return true;
          return exactFloat32(ref(a, b), 0) === round32(want);
        }),
        { seed: 21, numRuns: 400 },
      );
    });
  }

  it('floorDiv and mod where the float64 quotient rounds onto an integer', () => {
    // 1 / (1 + 2^-23) is just below 1; (2^24 - 1) / (2^24 - 2^-0) ...
    const a = 1;
    const b = Math.fround(1 + 2 ** -23);
    expect(values(reference.floorDiv(a, b))).toEqual([0]);
    expect(exactFloat32(reference.mod(a, b), 0)).toBe(1);
    // mod(-1e-30, 1) = 1 - 1e-30, which rounds to 1 (tfjs's (r + b) % b gives 0)
    expect(exactFloat32(reference.mod(Math.fround(-1e-30), 1), 0)).toBe(1);
    expect(exactFloat32(reference.mod(-1, Math.fround(1e16)), 0)).toBe(Math.fround(1e16));
  });

  it('atan2 agrees with Decimal.atan2 and needs BigNumber only rarely', () => {
    const pairs = fc.sample(fc.tuple(f32, f32), { seed: 22, numRuns: 200 });
    const a = pairs.map((p) => p[0]);
    const b = pairs.map((p) => p[1]);
    const fast = reference.atan2(a, b);
    const exact = reference.atan2(a, b, { mode: 'exact' });
    expect(fast.stats.slow).toBe(0);
    for (let i = 0; i < pairs.length; i++) expect(exactFloat32(fast, i), `atan2(${a[i]}, ${b[i]})`).toBe(exactFloat32(exact, i));
  });
});

describe('special values (IEEE 754 / C99 Annex F)', () => {
  it('arithmetic propagates NaN; Infinity - Infinity and 0·Infinity are NaN; x/±0 is ±Infinity', () => {
    expect(values(reference.add([NaN, Infinity, Infinity], [1, -Infinity, 1]))).toEqual([NaN, NaN, Infinity]);
    expect(values(reference.mul([0, -2], [Infinity, -Infinity]))).toEqual([NaN, Infinity]);
    const d = reference.div([1, -1, 0, 1], [0, 0, 0, -Infinity]);
    expect(values(d)).toEqual([Infinity, -Infinity, NaN, -0]);
    expect(kinds(d)).toEqual(['+inf', '-inf', 'nan', 'finite']);
  });

  it('divNoNan is 0 wherever b is 0, NaN included', () => {
    expect(values(reference.divNoNan([NaN, Infinity, 1, 1], [0, 0, -0, NaN]))).toEqual([0, 0, 0, NaN]);
  });

  it('floorDiv and mod: x/0, and the limit at an infinite divisor (as Python and NumPy)', () => {
    expect(values(reference.floorDiv([1, -1, 0, -1, 1, 1], [0, 0, 0, Infinity, Infinity, -Infinity]))).toEqual([Infinity, -Infinity, NaN, -1, 0, -1]);
    expect(values(reference.mod([1, -1, 1, Infinity, 3], [Infinity, Infinity, -Infinity, 2, 0]))).toEqual([1, Infinity, -Infinity, NaN, NaN]);
  });

  it('atan2 has C99’s signed zeros and infinities', () => {
    const t = reference.atan2([0, -0, 0, -0, 1, -1, Infinity, -Infinity, Infinity, 1, NaN], [-0, -0, 0, 0, 0, -0, -Infinity, Infinity, 3, -Infinity, 1]);
    expect(values(t)).toEqual([Math.PI, -Math.PI, 0, -0, Math.PI / 2, -Math.PI / 2, (3 * Math.PI) / 4, -Math.PI / 4, Math.PI / 2, Math.PI, NaN]);
  });

  it('pow follows C99, not Math.pow, where they differ', () => {
    expect(values(reference.pow([1, 1, -1, NaN, 0, -0, -0], [NaN, -Infinity, Infinity, 0, -1, -3, -2]))).toEqual([1, 1, 1, 1, Infinity, -Infinity, Infinity]);
  });

  it('maximum and minimum propagate NaN; comparisons with NaN are false except notEqual; -0 = +0', () => {
    expect(values(reference.maximum([NaN, 1, -0], [1, NaN, 0]))).toEqual([NaN, NaN, 0]);
    expect(values(reference.minimum([NaN, 1], [1, NaN]))).toEqual([NaN, NaN]);
    const a = [NaN, 1, -0, 1];
    const b = [NaN, NaN, 0, 2];
    expect(values(reference.equal(a, b))).toEqual([0, 0, 1, 0]);
    expect(values(reference.notEqual(a, b))).toEqual([1, 1, 0, 1]);
    expect(values(reference.less(a, b))).toEqual([0, 0, 0, 1]);
    expect(values(reference.lessEqual(a, b))).toEqual([0, 0, 1, 1]);
    expect(values(reference.greater(a, b))).toEqual([0, 0, 0, 0]);
    expect(values(reference.greaterEqual(a, b))).toEqual([0, 0, 1, 0]);
  });

  it('logical ops read bool tensors; where ignores the untaken branch; clipByValue keeps NaN', () => {
    const t = { shape: [4], dtype: 'bool' as const, data: new Uint8Array([1, 1, 0, 0]) };
    const f = { shape: [4], dtype: 'bool' as const, data: new Uint8Array([1, 0, 1, 0]) };
    expect(values(reference.logicalAnd(t, f))).toEqual([1, 0, 0, 0]);
    expect(values(reference.logicalOr(t, f))).toEqual([1, 1, 1, 0]);
    expect(values(reference.logicalXor(t, f))).toEqual([0, 1, 1, 0]);
    expect(values(reference.logicalNot(t))).toEqual([0, 0, 1, 1]);
    expect(values(reference.where(t, [1, NaN, Infinity, 4], [NaN, 2, 3, -Infinity]))).toEqual([1, NaN, 3, -Infinity]);
    expect(values(reference.clipByValue([NaN, -5, 5, 0.5, Infinity], 0, 1))).toEqual([NaN, 0, 1, 0.5, 1]);
    expect(values(reference.clipByValue([NaN, 7], 2, 2))).toEqual([NaN, 2]);
    expect(() => reference.clipByValue([1], 2, 1)).toThrow(/needs min <= max/);
  });

  it('broadcasts like numpy', () => {
    const t = reference.add({ shape: [2, 1], data: [1, 2] }, { shape: [1, 3], data: [10, 20, 30] });
    expect(t.shape).toEqual([2, 3]);
    expect(values(t)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(() => reference.add([1, 2], [1, 2, 3])).toThrow(/cannot be broadcast/);
  });
});

describe('binary derivatives', () => {
  const D = reference.binaryDerivatives;
  it('a broadcast operand gets the sum over the broadcast axis, marked as an accumulation', () => {
    const d = D.mul({ shape: [2, 2], data: [1, 2, 3, 4] }, [10, 20]);
    expect(values(d.a!)).toEqual([10, 20, 10, 20]);
    expect(values(d.b!)).toEqual([4, 6]);
    expect(Array.from(d.b!.absSum!)).toEqual([4, 6]);
    expect(Array.from(d.b!.terms!)).toEqual([2, 2]);
    expect(d.a!.absSum).toBeUndefined();
  });

  it('maximum/minimum at a tie: the interval [0, 1] for each operand', () => {
    const d = D.maximum([1, 2, NaN], [1, 1, 0]);
    expect(values(d.a!)).toEqual([1, 1, NaN]);
    expect([d.a!.lower![0], d.a!.upper![0], d.b!.lower![0], d.b!.upper![0]]).toEqual([0, 1, 0, 1]);
    expect(Number.isNaN(d.a!.lower![1]!)).toBe(true);
    expect(exactKind(d.a!, 2)).toBe('nan');
    const m = D.minimum([3], [1]);
    expect([values(m.a!)[0], values(m.b!)[0]]).toEqual([0, 1]);
  });

  it('div, divNoNan, atan2, mod and squaredDifference at their special points', () => {
    const div = D.div([1, 0], [0, 2]);
    expect(kinds(div.a!)).toEqual(['nan', 'finite']);
    expect(Math.abs(values(div.b!)[1]!)).toBe(0);
    // divNoNan(a, 0) = 0 for every a: d/da = 0; d/db exists at a = 0 only
    const dn = D.divNoNan([5, 0], [0, 0]);
    expect(values(dn.a!)).toEqual([0, 0]);
    expect(kinds(dn.b!)).toEqual(['nan', 'finite']);
    const at = D.atan2([0, 1, Infinity], [0, 1, 2]);
    expect(kinds(at.a!)).toEqual(['nan', 'finite', 'finite']);
    expect(values(at.a!).slice(1)).toEqual([0.5, 0]);
    expect(values(at.b!).slice(1)).toEqual([-0.5, 0]);
    const mod = D.mod([7, 6], [2, 2]);
    expect(values(mod.a!)[0]).toBe(1);
    expect(values(mod.b!)[0]).toBe(-3);
    expect(kinds(mod.a!)[1]).toBe('nan'); // 6/2 is an integer: a jump
    const sq = D.squaredDifference([3, 1e38], [1, -1e38]);
    expect(values(sq.a!)[0]).toBe(4);
    expect(exactFloat32(sq.a!, 1)).toBe(Infinity); // 4e38, beyond float32
  });

  it('where: the condition for a, its negation for b; clipByValue: [0, 1] at the bounds', () => {
    const c = { shape: [3], dtype: 'bool' as const, data: new Uint8Array([1, 0, 1]) };
    const w = reference.whereDerivative(c, [NaN, 1, 2], [Infinity]);
    expect(values(w.a!)).toEqual([1, 0, 1]);
    expect(values(w.b!)).toEqual([1]);
    expect(Array.from(w.b!.terms!)).toEqual([3]);
    const clip = reference.clipByValueDerivative([-1, 0, 0.5, 1, 2, NaN], 0, 1).x!;
    expect(values(clip).slice(0, 5)).toEqual([0, 1, 1, 1, 0]);
    expect([clip.lower![1], clip.upper![1], clip.lower![3], clip.upper![3]]).toEqual([0, 1, 0, 1]);
    expect(exactKind(clip, 5)).toBe('nan');
  });
});
