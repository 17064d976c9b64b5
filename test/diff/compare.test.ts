import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { compareOutcomes, DEFAULT_TOLERANCE, disagreementKey } from '../../src/diff/compare.ts';
import { sameFailure } from '../../src/property/failure.ts';
import { agreementDistance, ulpBucket } from '../../src/diff/ulps.ts';
import { execute, type Outcome } from '../../src/run/execute.ts';
import { tensorValue } from '../../src/core/tensor-value.ts';
import { MAX_FLOAT32, MIN_SUBNORMAL, nextUp } from '../../src/core/float32.ts';

const pair = ['cpu', 'wasm'] as const;

/** An outcome made by running a real subject on the cpu backend. */
function run(values: number[], f: (x: tf.Tensor) => tf.Tensor | tf.Tensor[] = (x) => tf.clone(x), dtype: 'float32' | 'int32' = 'float32'): Outcome {
  return execute(({ x }: { x: tf.Tensor }) => f(x), { x: tensorValue([values.length], values, dtype) });
}

describe('ULP distance', () => {
  it('counts float32 steps, treats ±0 and NaN/NaN as equal, and is infinite across finiteness', () => {
    expect(agreementDistance(1, nextUp(1))).toBe(1);
    expect(agreementDistance(0, -0)).toBe(0);
    expect(agreementDistance(MIN_SUBNORMAL, -MIN_SUBNORMAL)).toBe(2);
    expect(agreementDistance(NaN, NaN)).toBe(0);
    expect(agreementDistance(Infinity, Infinity)).toBe(0);
    expect(agreementDistance(Infinity, -Infinity)).toBe(Infinity);
    expect(agreementDistance(NaN, Infinity)).toBe(Infinity);
    expect(agreementDistance(MAX_FLOAT32, Infinity)).toBe(Infinity);
    expect([0, 1, 3, 16, 17, 1e9].map(ulpBucket)).toEqual(['0', '1', '2-4', '5-16', '17-256', '>256']);
  });
});

describe('compareOutcomes', () => {
  it('agrees within the tolerance and counts how close the backends were', () => {
    const c = compareOutcomes(run([1, 2, 3]), run([1, nextUp(2), 3]), pair);
    expect(c.disagreement).toBeUndefined();
    expect(c.stats).toMatchObject({ compared: 3, differing: 1, maxUlps: 1 });
    expect(c.stats.histogram).toMatchObject({ '0': 2, '1': 1 });
  });

  it('reports the element furthest apart beyond the tolerance, with its coordinates', () => {
    const a = run([1, 2, 3, 4], (x) => tf.reshape(x, [2, 2]));
    const b = run([1, 2 * (1 + 2 ** -20), 3 * (1 + 2 ** -10), 4], (x) => tf.reshape(x, [2, 2]));
    const d = compareOutcomes(a, b, pair).disagreement!;
    expect(d.kind).toBe('value');
    expect(d.element).toMatchObject({ tensor: 'output', index: 2, coords: [1, 0], values: [3, Math.fround(3 * (1 + 2 ** -10))] });
    expect(d.element!.ulps).toBe(3 * 2 ** 12); // 3 * 2^-10 in steps of 2^-22
    expect(d.count).toBe(2);
    expect(d.message).toBe('output[1, 0]: cpu 3, wasm 3.0029297 (12288 ULPs apart, tolerance 4; 2 of 4 elements beyond tolerance)');
    // a wider tolerance, or an absolute one, accepts it
    expect(compareOutcomes(a, b, pair, { ulps: 12288, atol: 0 }).disagreement).toBeUndefined();
    expect(compareOutcomes(a, b, pair, { ulps: 4, atol: 0.01 }).disagreement).toBeUndefined();
  });

  it('tells finiteness disagreements apart, naming the backend whose element is not finite', () => {
    const d = compareOutcomes(
      run([1, 5]),
      run([1, 5], (x) => tf.div(x, tf.tensor([1, 0]))),
      pair,
    ).disagreement!;
    expect(d).toMatchObject({ kind: 'finiteness', side: 'wasm', count: 1, size: 2 });
    expect(d.message).toBe('output[1]: cpu 5, wasm Infinity');
    // NaN on one side, Infinity on the other: a finiteness disagreement with no single culprit
    const e = compareOutcomes(
      run([0], (x) => tf.div(x, x)),
      run([1], (x) => tf.div(x, tf.zerosLike(x))),
      pair,
    ).disagreement!;
    expect(e.kind).toBe('finiteness');
    expect(e.side).toBeUndefined();
  });

  it('hints at flush-to-zero and at exact zeros', () => {
    const sub = compareOutcomes(run([6.054601e-39]), run([0]), pair).disagreement!;
    expect(sub.hint).toBe('subnormal');
    const zero = compareOutcomes(run([2.9802322e-8]), run([0]), pair).disagreement!;
    expect(zero.hint).toBe('zero');
    expect(compareOutcomes(run([1]), run([1.5]), pair).disagreement!.hint).toBeUndefined();
  });

  it('reports a throw on one side, and nothing when both throw', () => {
    const boom = execute(() => {
      throw new Error('boom');
    }, {});
    const d = compareOutcomes(run([1]), boom, pair).disagreement!;
    expect(d).toMatchObject({ kind: 'throws', side: 'wasm', errors: [undefined, 'boom'] });
    expect(d.message).toBe('wasm threw: boom; cpu returned normally');
    const both = compareOutcomes(boom, boom, pair);
    expect(both).toMatchObject({ bothThrew: true });
    expect(both.disagreement).toBeUndefined();
  });

  it('reports different output names or shapes as a structure disagreement', () => {
    expect(
      compareOutcomes(
        run([1, 2]),
        run([1, 2], (x) => [x, x]),
        pair,
      ).disagreement,
    ).toMatchObject({
      kind: 'structure',
      message: 'different outputs: cpu gave output, wasm gave output[0], output[1]',
    });
    expect(
      compareOutcomes(
        run([1, 2]),
        run([1, 2], (x) => tf.reshape(x, [2, 1])),
        pair,
      ).disagreement?.message,
    ).toBe('output: cpu gave float32 [2], wasm gave float32 [2, 1]');
  });

  it('compares int32 outputs exactly, whatever the tolerance', () => {
    const d = compareOutcomes(run([1, 2], undefined, 'int32'), run([1, 3], undefined, 'int32'), pair, { ulps: 100, atol: 10 }).disagreement!;
    expect(d).toMatchObject({ kind: 'value', element: { ulps: 1, values: [2, 3] } });
  });

  it('gives disagreements the same signature only when they are the same finding', () => {
    const a = compareOutcomes(run([1]), run([2]), pair).disagreement!;
    const b = compareOutcomes(run([5]), run([9]), pair).disagreement!;
    const c = compareOutcomes(run([5]), run([Infinity]), pair).disagreement!;
    expect(sameFailure(disagreementKey(a), disagreementKey(b))).toBe(true);
    expect(sameFailure(disagreementKey(a), disagreementKey(c))).toBe(false);
    expect(DEFAULT_TOLERANCE).toEqual({ ulps: 4, atol: 0 });
  });
});
