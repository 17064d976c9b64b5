/**
 * Gradient checks with real tfjs kernels: tf.grads against exact derivatives and against
 * central differences of the exact references.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { checkGradient, expectedGradient, gradientMatches } from '../../src/check/gradient.ts';
import type { Observation } from '../../src/check/invariant.ts';
import { tensorValue, type TensorValue } from '../../src/core/tensor-value.ts';
import * as reference from '../../src/reference/index.ts';
import type { ExactTensor } from '../../src/reference/index.ts';

const tv = (values: ArrayLike<number>, shape: number[] = [values.length]): TensorValue => tensorValue(shape, values);
const D = reference.derivatives;

/** tf.customGrad with a single input, typed. */
function customGrad1(
  f: (x: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor },
): (x: tf.Tensor) => tf.Tensor {
  const g = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => g(x) as tf.Tensor;
}

/** Check with tf.memory() that `fn` leaves no tensors behind. */
function noLeaks<R>(fn: () => R): R {
  const before = tf.memory().numTensors;
  const r = fn();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

describe('exact derivatives against tf.grads', () => {
  it("sqrt at 0: the exact derivative is +Infinity, so tfjs's Infinity is right", () => {
    const r = noLeaks(() => checkGradient((x) => tf.sqrt(x), { x: tv([0, 1, 4]) }, { derivative: ({ x }) => D.sqrt(x) }));
    expect(r.ok).toBe(true);
    expect(Array.from(r.gradients[0]!.data)).toEqual([Infinity, 0.5, 0.25]);
    expect(r.checked).toBe(3);
  });

  it('norm at the zero vector: tfjs gives NaN where the subgradient 0 exists', () => {
    const r = noLeaks(() => checkGradient((x) => tf.norm(x), { x: tv([0, 0, 0]) }, { derivative: ({ x }) => D.norm(x) }));
    expect(r.ok).toBe(false);
    expect(r.nonFinite).toBe(3);
    expect(r.worstFailure).toMatchObject({ input: 'x', tensor: 'grad(x)', nonFinite: true, expected: 0 });
    expect(Number.isNaN(r.worstFailure!.got)).toBe(true);
    expect(r.worstFailure!.interval).toEqual([-1, 1]);
    // away from zero the gradient is x / |x|
    expect(checkGradient((x) => tf.norm(x), { x: tv([3, 4]) }, { derivative: ({ x }) => D.norm(x) }).ok).toBe(true);
  });

  it('pow at base 0: 0 * Infinity = NaN in tfjs where the exact derivative is 0', () => {
    const inputs = { a: tv([0, 0, 0, 2]), b: tv([0, 0.5, 2, 3]) };
    const r = noLeaks(() =>
      checkGradient((a, b) => tf.pow(a!, b!), inputs, {
        derivative: ({ a, b }) => {
          const d = D.pow(a, b);
          return { a: d.base!, b: d.exp! };
        },
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.worstFailure).toMatchObject({ input: 'a', index: 0, nonFinite: true, expected: 0 });
    expect(r.nonFinite).toBe(1); // pow(0, 0.5)' = +Infinity matches; the exponent derivative at 0^0 does not exist (skipped)
    expect(r.skipped).toBe(1);
  });

  it('a gradient planted 0.1% off with tf.customGrad is caught; the right one passes', () => {
    const planted = customGrad1((x, save) => {
      save([x]);
      return { value: tf.exp(x), gradFunc: (dy, saved) => tf.mul(dy, tf.mul(tf.exp(saved[0]!), 1.001)) };
    });
    const correct = customGrad1((x, save) => {
      save([x]);
      return { value: tf.exp(x), gradFunc: (dy, saved) => tf.mul(dy, tf.exp(saved[0]!)) };
    });
    const x = { x: tv([-2, 0, 0.5, 3]) };
    const bad = noLeaks(() => checkGradient(planted, x, { derivative: ({ x }) => D.exp(x) }));
    expect(bad.ok).toBe(false);
    expect(bad.failures).toBe(4);
    expect(bad.worstFailure!.relError).toBeCloseTo(1e-3, 5);
    expect(bad.worstFailure!.nonFinite).toBe(false);
    const good = noLeaks(() => checkGradient(correct, x, { derivative: ({ x }) => D.exp(x) }));
    expect(good.ok).toBe(true);
  });

  it('a wrong backward formula (sigmoid instead of sigmoid * (1 - sigmoid)) is caught by central differences', () => {
    const wrong = customGrad1((x, save) => {
      const y = tf.sigmoid(x);
      save([y]);
      return { value: y, gradFunc: (dy, saved) => tf.mul(dy, saved[0]!) };
    });
    const r = noLeaks(() => checkGradient(wrong, { x: tv([-1, 0, 2]) }, { reference: ({ x }) => reference.sigmoid(x) }));
    expect(r.ok).toBe(false);
    expect(r.worstFailure!.index).toBe(2); // sigmoid(2) = 0.88 vs the derivative 0.105
  });

  it('the default tolerance passes tf.grads of the reference ops on random inputs', () => {
    const unary = ['exp', 'expm1', 'log', 'log1p', 'sqrt', 'sigmoid', 'logSigmoid', 'softplus', 'tanh', 'elu', 'selu'] as const;
    const arb = fc.float32Array({ minLength: 1, maxLength: 12, min: -30, max: 30, noNaN: true });
    for (const op of unary) {
      fc.assert(
        fc.property(arb, (data) => {
          const r = checkGradient((x) => (tf[op] as (x: tf.Tensor) => tf.Tensor)(x), { x: tv(data) }, { derivative: ({ x }) => D[op](x) });
          if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.worstFailure)}`);
        }),
        { seed: 70 + op.length, numRuns: 15 },
      );
    }
    const rows = fc.float32Array({ minLength: 2, maxLength: 8, min: -30, max: 30, noNaN: true });
    const composite: [string, (x: tf.Tensor) => tf.Tensor, (x: TensorValue) => ExactTensor][] = [
      ['softmax', (x) => tf.softmax(x), (x) => D.softmax(x).logits!],
      ['logSoftmax', (x) => tf.logSoftmax(x), (x) => D.logSoftmax(x).logits!],
      ['logSumExp', (x) => tf.logSumExp(x), (x) => D.logSumExp(x).x!],
      ['mean', (x) => tf.mean(x), (x) => D.mean(x).x!],
    ];
    for (const [name, op, d] of composite) {
      fc.assert(
        fc.property(rows, (data) => {
          const r = checkGradient(op, { x: tv(data) }, { derivative: ({ x }) => ({ x: d(x) }) });
          if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.worstFailure)}`);
        }),
        { seed: 80 + name.length, numRuns: 15 },
      );
    }
  });

  it('matMul gradients', () => {
    const a = tv([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tv([0.5, -1, 2, 0.25, -3, 1], [3, 2]);
    const r = noLeaks(() => checkGradient((x, y) => tf.matMul(x!, y!), { a, b }, { derivative: ({ a, b }) => D.matMul(a, b) }));
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(12);
  });
});

describe('central differences of the exact reference', () => {
  it('agree with tf.grads on smooth ops and losses', () => {
    const r1 = checkGradient((x) => tf.sigmoid(x), { x: tv([-3, -0.5, 0.25, 4]) }, { reference: ({ x }) => reference.sigmoid(x) });
    expect(r1.ok).toBe(true);
    const labels = tv([0, 1, 1, 0]);
    const p = tv([0.1, 0.7, 0.99, 0.4]);
    const r2 = noLeaks(() =>
      checkGradient((l, q) => tf.losses.logLoss(l!, q!), { labels, p }, { reference: ({ labels, p }) => reference.losses.logLoss(labels, p), wrt: ['p'] }),
    );
    expect(r2.ok).toBe(true);
    expect(r2.gradients.map((g) => g.name)).toEqual(['grad(p)']);
    const logits = tv([2, -1, 0.5, 3, 0, -2], [2, 3]);
    const onehot = tv([0, 0, 1, 1, 0, 0], [2, 3]);
    const r3 = checkGradient(
      (l, x) => tf.losses.softmaxCrossEntropy(l!, x!),
      { onehot, logits },
      {
        reference: ({ onehot, logits }) => reference.losses.softmaxCrossEntropy(onehot, logits),
        wrt: ['logits'],
      },
    );
    expect(r3.ok).toBe(true);
  });

  it('accept any subgradient at a kink (|x| at 0, hinge at the margin)', () => {
    const abs = ({ x }: { x: TensorValue }) => reference.losses.absoluteDifference(tv(new Array(x.data.length).fill(0)), x, { reduction: 'none' });
    const e = expectedGradient({ x: tv([0, 2, -3]) }, 'x', { reference: abs });
    expect(e.source).toBe('central difference');
    expect([e.lower[0], e.upper[0]]).toEqual([-1, 1]);
    expect(Number.isNaN(e.lower[1]!)).toBe(true);
    expect(e.values[1]).toBeCloseTo(1, 9);
    expect(checkGradient((x) => tf.abs(x), { x: tv([0, 2, -3]) }, { reference: abs }).ok).toBe(true);
    // a gradient outside the subdifferential is not
    const off = customGrad1((x) => ({ value: tf.abs(x), gradFunc: (dy) => tf.mul(dy, 2) }));
    const r = checkGradient(off, { x: tv([0, 2, -3]) }, { reference: abs });
    expect(r.ok).toBe(false);
    expect(r.failures).toBe(3);
  });

  it('read a growing one-sided difference as an infinite derivative (sqrt at 0)', () => {
    const e = expectedGradient({ x: tv([0, 1]) }, 'x', { reference: ({ x }) => reference.sqrt(x) });
    expect(e.values[0]).toBe(Infinity);
    expect(e.values[1]).toBeCloseTo(0.5, 9);
    expect(checkGradient((x) => tf.sqrt(x), { x: tv([0, 1]) }, { reference: ({ x }) => reference.sqrt(x) }).ok).toBe(true);
  });

  it('are accurate to about 1e-10 on smooth functions', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 6, min: -5, max: 5, noNaN: true }), (data) => {
        const x = { x: tv(data) };
        const cd = expectedGradient(x, 'x', { reference: ({ x }) => reference.tanh(x) });
        const exact = D.tanh(x.x).x!;
        return data.every((_, i) => Math.abs(cd.values[i]! - exact.values[i]!) <= 1e-9 * Math.max(1e-3, exact.values[i]!));
      }),
      { seed: 90, numRuns: 30 },
    );
  });
});

describe('gradientMatches invariant', () => {
  function observeWithGradients(inputs: Record<string, TensorValue>, f: (x: tf.Tensor) => tf.Tensor): Observation {
    const x = tf.tensor(inputs.x!.data, [...inputs.x!.shape]);
    const y = f(x);
    const [g] = tf.grads((t: tf.Tensor) => f(t))([x]);
    const obs: Observation = {
      inputs,
      outputs: [{ name: 'output', shape: y.shape, dtype: y.dtype, data: y.dataSync() as Float32Array }],
      gradients: [{ name: 'grad(x)', wrt: 'x', shape: g!.shape, dtype: g!.dtype, data: g!.dataSync() as Float32Array }],
      backend: 'cpu',
    };
    tf.dispose([x, y, g!]);
    return obs;
  }

  it('asks for gradients and reports the worst element as a gradient location', () => {
    const inv = gradientMatches({ derivative: ({ x }: { x: TensorValue }) => D.norm(x) });
    expect(inv.needsGradients).toBe(true);
    expect(inv.check(observeWithGradients({ x: tv([3, 4]) }, (x) => tf.norm(x)))).toBeUndefined();
    const v = inv.check(observeWithGradients({ x: tv([0, 0]) }, (x) => tf.norm(x)))!;
    expect(v.location).toMatchObject({ kind: 'gradient', tensor: 'grad(x)', index: 0, coords: [0], expected: 0 });
    expect(v.message).toMatch(/grad\(x\)\[0\] is NaN where the exact derivative is finite: any value in \[-1, 1\] \(a kink\)/);
    expect(v.details).toMatchObject({ input: 'x', nonFinite: 'yes' });
  });

  it('flags a runner that did not compute gradients, and needs a reference or derivative', () => {
    const inv = gradientMatches({ reference: ({ x }: { x: TensorValue }) => reference.exp(x) });
    expect(inv.check({ inputs: { x: tv([1]) }, outputs: [], gradients: [], backend: 'cpu' })!.message).toMatch(/no gradients/);
    expect(() => gradientMatches({})).toThrow(/give a reference/);
  });
});
