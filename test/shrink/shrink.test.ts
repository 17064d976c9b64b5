import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
  float32,
  isSimpler,
  property,
  runProperty,
  simplerCandidates,
  tensor,
  tensors,
  type TensorValue,
  EXP_OVERFLOW_EDGE,
  MAX_FLOAT32,
} from '../../src/index.ts';

/** Greedy shrink of one number with the candidate stream, as fast-check does. */
function shrinkNumber(x: number, fails: (c: number) => boolean): number {
  for (;;) {
    const next = [...simplerCandidates(x)].find(fails);
    if (next === undefined) return x;
    x = next;
  }
}

describe('number simplification', () => {
  it('orders 0 < integers by magnitude < fractions by digits < infinities < NaN', () => {
    expect(isSimpler(0, 1)).toBe(true);
    expect(isSimpler(1, -1)).toBe(true);
    expect(isSimpler(89, 88.5)).toBe(true);
    expect(isSimpler(Math.fround(0.5), Math.fround(0.25))).toBe(true);
    expect(isSimpler(MAX_FLOAT32, Infinity)).toBe(true);
    expect(isSimpler(Infinity, NaN)).toBe(true);
    expect(isSimpler(2, 2)).toBe(false);
  });
  it('only offers strictly simpler float32 candidates', () => {
    fc.assert(
      fc.property(float32({ nonFinite: true }), (x) => {
        for (const c of simplerCandidates(x)) {
          expect(isSimpler(c, x)).toBe(true);
          expect(Number.isNaN(c) || Object.is(Math.fround(c), c)).toBe(true);
        }
      }),
      { seed: 5, numRuns: 300 },
    );
  });
  it('finds the simple number next to a threshold', () => {
    expect(shrinkNumber(MAX_FLOAT32, (c) => c > EXP_OVERFLOW_EDGE)).toBe(89);
    expect(shrinkNumber(-MAX_FLOAT32, (c) => Math.abs(c) > 17.3287)).toBe(18);
    expect(shrinkNumber(Math.fround(3.2e-42), (c) => c !== 0 && Math.abs(c) < 1e-30)).toBe(2 ** -149);
    expect(shrinkNumber(Math.fround(0.5537), (c) => c > 0.3 && c < 0.6)).toBe(Math.fround(0.3)); // float32(0.3) > 0.3
    expect(shrinkNumber(NaN, Number.isNaN)).toBeNaN();
  });
});

describe('shrinking failing tensors', () => {
  it('a planted exp overflow shrinks to one element next to the boundary', () => {
    const p = property({
      name: 'planted: exp is non-finite iff an element > 88.8',
      inputs: { x: tensor({ shape: { maxRank: 3, maxSize: 256 }, elements: float32() }) },
      subject: ({ x }) => tf.exp(x),
    });
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = runProperty(p, { seed });
      expect(r.status).toBe('failed');
      const x = (r.counterexample as { x: TensorValue }).x;
      expect(x.data.length, `seed ${seed}`).toBe(1);
      expect(x.shape.length).toBe(1);
      expect(x.data[0]).toBe(89);
    }
  });
  it('a failure needing two elements keeps exactly two, with simple values', () => {
    // fails when the tensor holds both a value > 100 and a value < -100
    const p = property({
      name: 'planted: needs a big positive and a big negative',
      inputs: { x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 64 } }) },
      subject: ({ x }) =>
        tf.tidy(() => {
          const ok = tf.logicalAnd(tf.greater(tf.max(x), 100), tf.less(tf.min(x), -100));
          return tf.where(ok, tf.scalar(NaN), tf.scalar(0));
        }),
    });
    const r = runProperty(p, { seed: 11, runs: 200 });
    expect(r.status).toBe('failed');
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(x.data.length).toBe(2);
    expect(Array.from(x.data).sort((a, b) => a - b)).toEqual([-101, 101]);
  });
  it('coupled tensors shrink together to one row', () => {
    const p = property({
      name: 'planted: labels * log(probs) with prob 0',
      inputs: {
        d: tensors({
          dims: { b: { min: 1, max: 8 }, c: { min: 2, max: 6 } },
          tensors: { y: { shape: ['b', 'c'], elements: float32({ min: 0, max: 1 }) }, p: { shape: ['b', 'c'], elements: float32({ min: 0, max: 1 }) } },
        }),
      },
      subject: ({ d }) => tf.mul(d.y, tf.log(d.p)),
    });
    const r = runProperty(p, { seed: 3 });
    expect(r.status).toBe('failed');
    const d = (r.counterexample as { d: { y: TensorValue; p: TensorValue } }).d;
    expect(d.y.shape).toEqual([1, 2]);
    expect(d.p.shape).toEqual([1, 2]);
    // minimal: one zero probability; 0 * -Inf = NaN or 1 * -Inf = -Inf
    expect(Array.from(d.p.data)).toContain(0);
  });
});
