import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactKind } from '../../src/reference/index.ts';

const T = reference.train;
const f = Math.fround;
const EPS = f(1e-7);
const at = (t: { values: Float64Array }, i = 0): number => t.values[i]!;
/** Relative closeness for values derived independently in float64 (a few roundings). */
const close = (a: number, b: number, rel = 1e-14): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe('one optimizer step against independent float64 derivations', () => {
  it('sgd: value - lr * gradient, lr as float32', () => {
    const r = T.sgd({ value: [1, 2], gradient: [0.5, -1], learningRate: 0.1 });
    expect(at(r.value, 0)).toBe(1 - f(0.1) * 0.5); // exact in float64
    expect(at(r.value, 1)).toBe(2 + f(0.1));
  });

  it('momentum: accumulation m*acc + g, with and without Nesterov', () => {
    const r = T.momentum({ value: [1], gradient: [0.5], learningRate: 0.1, momentum: 0.9, accumulation: [0.25] });
    const acc = f(0.9) * 0.25 + 0.5;
    expect(at(r.accumulation)).toBe(acc);
    expect(at(r.value)).toBe(1 - f(0.1) * acc);
    const n = T.momentum({ value: [1], gradient: [0.5], learningRate: 0.1, momentum: 0.9, useNesterov: true });
    expect(close(at(n.value), 1 - f(0.1) * (0.5 + 0.5 * f(0.9)))).toBe(true);
  });

  it('adagrad: accumulator starts at 0.1 and epsilon is the backend epsilon', () => {
    const r = T.adagrad({ value: [1], gradient: [0.5], learningRate: 0.1 });
    const acc = f(0.1) + 0.25;
    expect(at(r.accumulator)).toBe(acc);
    expect(close(at(r.value), 1 - (f(0.1) * 0.5) / Math.sqrt(acc + EPS))).toBe(true);
    const custom = T.adagrad({ value: [1], gradient: [0.5], learningRate: 0.1, initialAccumulatorValue: 1 });
    expect(at(custom.accumulator)).toBe(1.25);
  });

  it('adadelta: tfjs scales by the accumulators before the step (update = g on step 1)', () => {
    const g = 0.5;
    const r = T.adadelta({ value: [1], gradient: [g] });
    expect(at(r.value)).toBe(1 - f(0.001) * g); // sqrt(eps)/sqrt(eps) = 1
    expect(close(at(r.accumulatedGrad), g * g * f(1 - 0.95))).toBe(true);
    expect(close(at(r.accumulatedUpdate), g * g * f(1 - 0.95))).toBe(true);
    const tf = T.adadelta({ value: [1], gradient: [g], variant: 'tensorflow' });
    const update = (Math.sqrt(EPS) / Math.sqrt(g * g * f(1 - 0.95) + EPS)) * g;
    expect(close(at(tf.value), 1 - f(0.001) * update)).toBe(true);
  });

  it('adam: bias-corrected moments with tfjs float32 constants', () => {
    const g = 0.5;
    const r = T.adam({ value: [1], gradient: [g] });
    const m = g * f(1 - 0.9);
    const v = g * g * f(1 - 0.999);
    expect(at(r.firstMoment)).toBe(m);
    expect(close(at(r.secondMoment), v)).toBe(true);
    const mHat = m / (1 - f(0.9));
    const vHat = v / (1 - f(0.999));
    expect(close(at(r.value), 1 - (f(0.001) * mHat) / (Math.sqrt(vHat) + EPS))).toBe(true);
    // fround(1 - 0.9) differs from 1 - fround(0.9): the first step is not exactly lr * sign(g)
    expect(mHat).not.toBe(g);
  });

  it('adam at step 3 from a given state', () => {
    const r = T.adam({ value: [1], gradient: [-0.25], firstMoment: [0.1], secondMoment: [0.01], step: 3, learningRate: 0.01 });
    // state inputs are float32 like everything else
    const m1 = f(0.1) * f(0.9) + -0.25 * f(1 - 0.9);
    const v1 = f(0.01) * f(0.999) + 0.0625 * f(1 - 0.999);
    const mHat = m1 / (1 - f(0.9) ** 3);
    const vHat = v1 / (1 - f(0.999) ** 3);
    expect(close(at(r.value), 1 - (f(0.01) * mHat) / (Math.sqrt(vHat) + EPS), 1e-13)).toBe(true);
  });

  it('adamax: infinity norm and lr / (1 - beta1^t)', () => {
    const g = -0.5;
    const r = T.adamax({ value: [1], gradient: [g] });
    const m = g * f(1 - 0.9);
    expect(at(r.weightedInfNorm)).toBe(0.5);
    expect(close(at(r.value), 1 + (-f(0.002) / (1 - f(0.9))) * (m / (0.5 + EPS)))).toBe(true);
    const decayed = T.adamax({ value: [1], gradient: [g], decay: 0.5, step: 3, firstMoment: [0], weightedInfNorm: [0] });
    const lr = -f(0.002) / (2 * 0.5 + 1);
    expect(close(at(decayed.value), 1 + (lr / (1 - f(0.9) ** 3)) * (m / (0.5 + EPS)))).toBe(true);
  });

  it('rmsprop: plain and centered', () => {
    const g = 0.5;
    const r = T.rmsprop({ value: [1], gradient: [g], learningRate: 0.01 });
    const ms = g * g * f(1 - 0.9);
    expect(close(at(r.meanSquare), ms)).toBe(true);
    expect(close(at(r.value), 1 - (g * f(0.01)) / Math.sqrt(ms + EPS))).toBe(true);
    const c = T.rmsprop({ value: [1], gradient: [g], learningRate: 0.01, centered: true });
    const mg = g * f(1 - 0.9);
    expect(close(at(c.meanGrad!), mg)).toBe(true);
    expect(close(at(c.value), 1 - (g * f(0.01)) / Math.sqrt(ms - (mg * mg + EPS)))).toBe(true);
  });

  it("centered rmsprop in tfjs is NaN for small gradients; TensorFlow's formula is not", () => {
    const tfjs = T.rmsprop({ value: [1], gradient: [1e-4], learningRate: 0.01, centered: true });
    expect(exactKind(tfjs.value, 0)).toBe('nan'); // sqrt(ms - mg^2 - eps) of a negative number
    const tf = T.rmsprop({ value: [1], gradient: [1e-4], learningRate: 0.01, centered: true, variant: 'tensorflow' });
    expect(exactKind(tf.value, 0)).toBe('finite');
  });
});

describe('optimizer steps on random states', () => {
  it('sgd is exact and adam stays within lr of the value on the first step', () => {
    const f32 = fc.float({ min: -100, max: 100, noNaN: true });
    fc.assert(
      fc.property(f32, f32, (value, gradient) => {
        const s = T.sgd({ value: [value], gradient: [gradient], learningRate: 0.5 });
        const a = T.adam({ value: [value], gradient: [gradient] });
        const step = Math.abs(at(a.value) - f(value));
        return at(s.value) === f(value) - 0.5 * f(gradient) && step <= 0.001 * 1.00001;
      }),
      { seed: 61, numRuns: 100 },
    );
  });
});
