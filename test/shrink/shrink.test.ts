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
  tensorValue,
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

describe('shrinking resumes where the last step succeeded', () => {
  /** The same arbitrary with the shrink context dropped: every round starts again from the first step. */
  function restarting<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> {
    return new (class extends fc.Arbitrary<T> {
      generate(mrng: fc.Random, bias: number | undefined): fc.Value<T> {
        return arb.generate(mrng, bias);
      }
      canShrinkWithoutContext(value: unknown): value is T {
        return arb.canShrinkWithoutContext(value);
      }
      shrink(value: T): fc.Stream<fc.Value<T>> {
        return arb.shrink(value, undefined).map((v) => new fc.Value(v.value, undefined));
      }
    })();
  }

  /** Shrink `start` with fast-check's greedy loop; the minimal value and how many candidates were tried. */
  function shrinkCount<T>(arb: fc.Arbitrary<T>, start: T, fails: (v: T) => boolean): { minimal: T; tried: number } {
    let tried = 0;
    const r = fc.check(
      fc.property(arb, (v) => {
        tried++;
        return !fails(v);
      }),
      { examples: [[start]], numRuns: 1, seed: 1 },
    );
    expect(r.failed).toBe(true);
    return { minimal: r.counterexample![0] as T, tried };
  }

  it('a tensor: after element i is simplified, element i is tried first, then the shape steps and the elements before it', () => {
    const arb = tensor({ shape: { minRank: 1, maxRank: 1, maxSize: 8 }, elements: float32({ min: -1000, max: 1000 }) });
    const start = tensorValue([4], [7, 300, 500, 9]);
    const first = [...arb.shrink(start, undefined)];
    // from the start: the shape steps come first (singles, halves, all-but-one), then the values
    expect(first[0]!.value.shape).toEqual([1]);
    // a step that simplified element 2 to a number that can still be simplified (a bisection toward 0)
    const step = first.find(
      (v) => v.value.shape[0] === 4 && v.value.data[2]! > 1 && v.value.data[2] !== 500 && v.value.data[0] === 7 && v.value.data[1] === 300,
    )!;
    const resumed = [...arb.shrink(step.value, step.context)].map((v) => v.value);
    const changed = (v: TensorValue) => (v.shape[0] !== 4 ? 'shape' : [0, 1, 2, 3].find((i) => v.data[i] !== step.value.data[i]));
    const order = resumed.map(changed);
    // element 2's steps, then 3's, then the shape, then 0's and 1's: each step is still offered once
    const firstOf = (k: number | string) => order.indexOf(k as never);
    expect(order[0]).toBe(2);
    expect(firstOf(2)).toBeLessThan(firstOf(3));
    expect(firstOf(3)).toBeLessThan(firstOf('shape'));
    expect(firstOf('shape')).toBeLessThan(firstOf(0));
    expect(firstOf(0)).toBeLessThan(firstOf(1));
    const fresh = [...arb.shrink(step.value, undefined)].map((v) => changed(v.value));
    expect([...order].map(String).sort()).toEqual([...fresh].map(String).sort());
  });

  it('tries far fewer candidates than restarting each round, to the same kind of minimal case', () => {
    // fails while every element of both tensors is above 1000: each element bisects down to 1001
    const arb = tensors({
      dims: { n: 6 },
      tensors: { a: { shape: ['n'], elements: float32({ min: 0, max: 1e6 }) }, b: { shape: ['n'], elements: float32({ min: 0, max: 1e6 }) } },
    });
    const start = { a: tensorValue([6], [987654, 123456, 555555, 999999, 31415, 271828]), b: tensorValue([6], [424242, 77777, 888888, 654321, 2e5, 3e5]) };
    const fails = (v: { a: TensorValue; b: TensorValue }) => [...v.a.data, ...v.b.data].every((x) => x > 1000);
    const resumed = shrinkCount(arb, start, fails);
    const restarted = shrinkCount(restarting(arb), start, fails);
    for (const r of [resumed, restarted]) {
      expect(Array.from(r.minimal.a.data)).toEqual([1001, 1001, 1001, 1001, 1001, 1001]);
      expect(Array.from(r.minimal.b.data)).toEqual([1001, 1001, 1001, 1001, 1001, 1001]);
    }
    expect(resumed.tried).toBeLessThan(restarted.tried / 3);
  });
});
