// finite({ unlessInherent: true }): ±Infinity is not a finding when the exact result, from the
// case's kernels re-run in exact arithmetic, is out of float32's range too (Infinity is then the
// correctly rounded answer). Plain finite() still flags it; artifacts, NaN and a planted Exp that
// overflows early stay findings. Real cpu kernels, fixed seeds.
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { finite, float32, property, runProperty, tensor } from '../../src/index.ts';
import { plant } from '../fixtures/repro/planted.ts';

const exp100 = (invariant: ReturnType<typeof finite>) =>
  property({
    name: 'exp up to 100',
    inputs: { x: tensor({ shape: [3], elements: float32({ min: -100, max: 100 }) }) },
    subject: ({ x }) => tf.exp(x),
    invariants: [invariant],
  });

const bigSum = (invariant: ReturnType<typeof finite>) =>
  property({
    name: 'sum of large values',
    inputs: { x: tensor({ shape: [4], elements: float32({ min: 1e38, max: 3e38 }) }) },
    subject: ({ x }) => tf.sum(x),
    invariants: [invariant],
  });

const naiveSoftplus = (invariant: ReturnType<typeof finite>) =>
  property({
    name: 'naive softplus',
    inputs: { x: tensor({ shape: [1], elements: float32({ min: -100, max: 100 }) }) },
    subject: ({ x }) => tf.log(tf.add(1, tf.exp(x))),
    invariants: [invariant],
  });

describe('finite({ unlessInherent: true })', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('exp(100) and a sum whose exact value overflows are not findings; plain finite() flags both', () => {
    const before = tf.memory().numTensors;
    for (const make of [exp100, bigSum]) {
      const plain = runProperty(make(finite()), { seed: 3, runs: 100 });
      expect(plain.status).toBe('failed');
      expect(plain.explanation).toMatchObject({ verdict: 'inherent', mechanism: 'overflow' });
      const lenient = runProperty(make(finite({ unlessInherent: true })), { seed: 3, runs: 100 });
      expect(lenient.status).toBe('passed');
      expect(lenient.runs).toBe(100);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an artifact stays a finding: naive softplus overflows at 89 although the exact result is 89', () => {
    const r = runProperty(naiveSoftplus(finite({ unlessInherent: true })), { seed: 1, runs: 200 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'finite', message: 'output is +Infinity' } });
    expect(r.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp' } });
  });

  it('NaN stays a finding, even where the exact result is undefined too (x / ||x|| at 0)', () => {
    const normalize = property({
      name: 'normalize',
      inputs: { x: tensor({ shape: [2], elements: float32({ min: 0, max: 1 }) }) },
      subject: ({ x }) => tf.div(x, tf.norm(x)),
      invariants: [finite({ unlessInherent: true })],
    });
    const r = runProperty(normalize, { seed: 1, runs: 300 });
    expect(r.status).toBe('failed');
    expect(r.explanation).toMatchObject({ verdict: 'inherent', mechanism: '0/0' });
  });

  it('a planted Exp that overflows from x > 80 is a finding: the exact result is finite there', () => {
    restore = plant('expOverflow');
    const r = runProperty(exp100(finite({ unlessInherent: true })), { seed: 3, runs: 100 });
    expect(r.status).toBe('failed');
    const x = (r.counterexample as { x: { data: ArrayLike<number> } }).x.data;
    const bad = Array.from(x).find((v) => v > 80)!;
    expect(bad).toBeLessThanOrEqual(88.72);
    expect(r.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp' } });
  });
});
