/**
 * matchesReference on real tfjs cpu kernels: the default tolerances pass on tfjs's ops and
 * catch implementations that are off by many ULPs, produce NaN where the exact answer is
 * finite, or cancel.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { matchesReference, compareToReference, type ReferenceResult } from '../../src/check/accuracy.ts';
import type { Observation } from '../../src/check/invariant.ts';
import { tensorValue, type TensorValue } from '../../src/core/tensor-value.ts';
import * as reference from '../../src/reference/index.ts';
import { toleranceFor, type ToleranceName } from '../../src/reference/index.ts';

type Inputs = Record<string, TensorValue>;

/** Run a subject on the cpu backend and read its outputs back, as the runner does. */
function observe(inputs: Inputs, subject: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Observation {
  const outs = tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, [...v.shape], v.dtype);
    const r = subject(ts);
    return Array.isArray(r) ? r : [r];
  });
  const outputs = outs.map((t, i) => ({
    name: outs.length === 1 ? 'output' : `output[${i}]`,
    shape: t.shape,
    dtype: t.dtype,
    data: t.dataSync() as Float32Array,
  }));
  tf.dispose(outs);
  return { inputs, outputs, gradients: [], backend: 'cpu' };
}

const tv = (values: ArrayLike<number>, shape: number[] = [values.length]): TensorValue => tensorValue(shape, values);

/** float32 inputs over the whole range, with the special values. */
const wide = fc.float32Array({ minLength: 1, maxLength: 48 });
const moderate = fc.float32Array({ minLength: 1, maxLength: 48, min: -30, max: 30, noNaN: true });
const unitInterval = fc.float32Array({ minLength: 1, maxLength: 16, min: 0, max: 1, noNaN: true });

function holds(
  name: ToleranceName,
  arb: fc.Arbitrary<Float32Array>,
  subject: (x: tf.Tensor) => tf.Tensor,
  ref: (x: TensorValue) => ReferenceResult,
  seed: number,
): void {
  const inv = matchesReference(({ x }: Inputs) => ref(x!), name);
  fc.assert(
    fc.property(arb, (data) => {
      const v = inv.check(observe({ x: tv(data) }, ({ x }) => subject(x!)));
      if (v !== undefined) throw new Error(v.message);
    }),
    { seed, numRuns: 40 },
  );
}

describe('default tolerances pass on tfjs cpu ops', () => {
  it('elementwise ops over the whole float32 range', () => {
    holds('exp', wide, tf.exp, (x) => reference.exp(x), 1);
    holds('expm1', wide, tf.expm1, (x) => reference.expm1(x), 2);
    holds('log', wide, tf.log, (x) => reference.log(x), 3);
    holds('log1p', wide, tf.log1p, (x) => reference.log1p(x), 4);
    holds('sqrt', wide, tf.sqrt, (x) => reference.sqrt(x), 5);
    holds('rsqrt', wide, tf.rsqrt, (x) => reference.rsqrt(x), 6);
    holds('sigmoid', wide, tf.sigmoid, (x) => reference.sigmoid(x), 7);
    holds('tanh', wide, tf.tanh, (x) => reference.tanh(x), 8);
    holds('softplus', wide, tf.softplus, (x) => reference.softplus(x), 9);
    holds('logSigmoid', wide, tf.logSigmoid, (x) => reference.logSigmoid(x), 10);
    const notTiny = fc.float32Array({ minLength: 1, maxLength: 48, min: -100, max: 100, noNaN: true }).map((a) => a.map((v) => (Math.abs(v) < 1e-6 ? 1 : v)));
    holds('elu', notTiny, tf.elu, (x) => reference.elu(x), 11);
    holds('selu', notTiny, tf.selu, (x) => reference.selu(x), 12);
  });

  it('pow', () => {
    const inv = matchesReference(({ a, b }: Inputs) => reference.pow(a!, b!), 'pow');
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 8, maxLength: 8, min: 0, max: 1000, noNaN: true }),
        fc.float32Array({ minLength: 8, maxLength: 8, min: -20, max: 20, noNaN: true }),
        (a, b) => {
          const v = inv.check(observe({ a: tv(a), b: tv(b) }, ({ a, b }) => tf.pow(a!, b!)));
          if (v) throw new Error(v.message);
        },
      ),
      { seed: 13, numRuns: 40 },
    );
  });

  it('reductions, softmax family and matMul', () => {
    holds(
      'sum',
      moderate,
      (x) => tf.sum(x),
      (x) => reference.sum(x),
      20,
    );
    holds(
      'mean',
      moderate,
      (x) => tf.mean(x),
      (x) => reference.mean(x),
      21,
    );
    holds(
      'variance',
      moderate,
      (x) => tf.moments(x).variance,
      (x) => reference.moments(x).variance,
      22,
    );
    holds(
      'norm',
      // vectors of only tiny elements underflow in tfjs's sqrt(sum(x²)): a finding of the catalog's norm entry, not noise
      moderate.filter((a) => a.some((v) => Math.abs(v) >= 1e-18)),
      (x) => tf.norm(x),
      (x) => reference.norm(x),
      23,
    );
    holds(
      'softmax',
      moderate,
      (x) => tf.softmax(x),
      (x) => reference.softmax(x),
      24,
    );
    holds(
      'logSoftmax',
      moderate,
      (x) => tf.logSoftmax(x),
      (x) => reference.logSoftmax(x),
      25,
    );
    holds(
      'logSumExp',
      moderate,
      (x) => tf.logSumExp(x),
      (x) => reference.logSumExp(x),
      26,
    );
    const inv = matchesReference(({ a, b }: Inputs) => reference.matMul(a!, b!), 'matMul');
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 12, maxLength: 12, min: -10, max: 10, noNaN: true }),
        fc.float32Array({ minLength: 12, maxLength: 12, min: -10, max: 10, noNaN: true }),
        (a, b) => {
          const v = inv.check(observe({ a: tv(a, [3, 4]), b: tv(b, [4, 3]) }, ({ a, b }) => tf.matMul(a!, b!)));
          if (v) throw new Error(v.message);
        },
      ),
      { seed: 27, numRuns: 40 },
    );
  });

  it('losses', () => {
    const pairs = fc
      .tuple(unitInterval, unitInterval)
      .map(([a, b]) => [a.slice(0, Math.min(a.length, b.length)), b.slice(0, Math.min(a.length, b.length))] as const);
    const cases: [
      ToleranceName,
      (l: tf.Tensor, p: tf.Tensor) => tf.Tensor,
      (l: TensorValue, p: TensorValue) => ReferenceResult,
      (u: Float32Array) => Float32Array,
    ][] = [
      ['meanSquaredError', (l, p) => tf.losses.meanSquaredError(l, p), (l, p) => reference.losses.meanSquaredError(l, p), (u) => u.map((v) => 20 * v - 10)],
      [
        'absoluteDifference',
        (l, p) => tf.losses.absoluteDifference(l, p),
        (l, p) => reference.losses.absoluteDifference(l, p),
        (u) => u.map((v) => 20 * v - 10),
      ],
      ['huberLoss', (l, p) => tf.losses.huberLoss(l, p), (l, p) => reference.losses.huberLoss(l, p), (u) => u.map((v) => 6 * v - 3)],
      ['logLoss', (l, p) => tf.losses.logLoss(l, p), (l, p) => reference.losses.logLoss(l, p), (u) => u],
      ['hingeLoss', (l, p) => tf.losses.hingeLoss(l, p), (l, p) => reference.losses.hingeLoss(l, p), (u) => u.map((v) => 6 * v - 3)],
      [
        'sigmoidCrossEntropy',
        (l, p) => tf.losses.sigmoidCrossEntropy(l, p),
        (l, p) => reference.losses.sigmoidCrossEntropy(l, p),
        (u) => u.map((v) => 80 * v - 40),
      ],
    ];
    for (const [name, subject, ref, prep] of cases) {
      const inv = matchesReference(({ l, p }: Inputs) => ref(l!, p!), name);
      fc.assert(
        fc.property(pairs, ([l, p]) => {
          const v = inv.check(observe({ l: tv(l), p: tv(prep(p)) }, ({ l, p }) => subject(l!, p!)));
          if (v) throw new Error(`${name}: ${v.message}`);
        }),
        { seed: 30 + name.length, numRuns: 30 },
      );
    }
    const smce = matchesReference(({ l, p }: Inputs) => reference.losses.softmaxCrossEntropy(l!, p!), 'softmaxCrossEntropy');
    fc.assert(
      fc.property(fc.float32Array({ minLength: 12, maxLength: 12, min: -20, max: 20, noNaN: true }), fc.nat(3), (logits, k) => {
        const labels = Array.from({ length: 12 }, (_, i) => (i % 4 === k ? 1 : 0));
        const v = smce.check(observe({ l: tv(labels, [3, 4]), p: tv(logits, [3, 4]) }, ({ l, p }) => tf.losses.softmaxCrossEntropy(l!, p!)));
        if (v) throw new Error(v.message);
      }),
      { seed: 40, numRuns: 30 },
    );
  });

  it('one optimizer step', () => {
    const inv = (ref: (i: Inputs) => ReferenceResult) => matchesReference(ref, 'optimizer');
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 8, maxLength: 8, min: -10, max: 10, noNaN: true }),
        fc.float32Array({ minLength: 8, maxLength: 8, min: -10, max: 10, noNaN: true }),
        (value, gradient) => {
          const steps: [tf.Optimizer, (i: Inputs) => ReferenceResult][] = [
            [tf.train.sgd(0.1), ({ v, g }) => reference.train.sgd({ value: v!, gradient: g!, learningRate: 0.1 }).value],
            [tf.train.adam(), ({ v, g }) => reference.train.adam({ value: v!, gradient: g! }).value],
            [tf.train.adagrad(0.1), ({ v, g }) => reference.train.adagrad({ value: v!, gradient: g!, learningRate: 0.1 }).value],
            [tf.train.rmsprop(0.01), ({ v, g }) => reference.train.rmsprop({ value: v!, gradient: g!, learningRate: 0.01 }).value],
          ];
          for (const [opt, ref] of steps) {
            const variable = tf.variable(tf.tensor1d(value));
            const grad = tf.tensor1d(gradient);
            opt.applyGradients({ [variable.name]: grad });
            const out = { name: 'output', shape: [8], dtype: 'float32', data: variable.dataSync().slice() };
            tf.dispose([variable, grad]);
            opt.dispose();
            const v = inv(ref).check({ inputs: { v: tv(value), g: tv(gradient) }, outputs: [out], gradients: [], backend: 'cpu' });
            if (v) throw new Error(v.message);
          }
        },
      ),
      { seed: 50, numRuns: 15 },
    );
  });
});

describe('matchesReference catches wrong results', () => {
  it('log(1 + x) for log1p: hundreds of millions of ULPs at tiny x', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.log1p(x!), 'log1p');
    const obs = observe({ x: tv([0.5, 1e-10, 3]) }, ({ x }) => tf.log(tf.add(1, x!)));
    const v = inv.check(obs)!;
    expect(v).toBeDefined();
    expect(v.location).toMatchObject({ kind: 'output', tensor: 'output', index: 1, coords: [1], value: 0 });
    expect(v.location!.expected).toBeCloseTo(1e-10, 17);
    expect(v.details!.ulps).toBeGreaterThan(1e8);
    expect(v.details!.bits).toBeGreaterThan(25);
    expect(v.message).toMatch(
      /output\[1\] is 0; exact 1\.0000000133\d*e-10 .* ulps, .* bits of error \(tolerance ulps <= 1; 1 of 3 elements out of tolerance\)/,
    );
  });

  it('an exp that is 8 ULPs off', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.exp(x!), 'exp');
    const v = inv.check(observe({ x: tv([0.5, 1, 2]) }, ({ x }) => tf.mul(tf.exp(x!), 1 + 8 * 2 ** -23)));
    expect(v).toBeDefined();
    expect(v!.details!.ulps).toBeGreaterThanOrEqual(7); // 8 * 2^-23 relative is 8 to 16 ULPs
    expect(v!.details!.ulps).toBeLessThanOrEqual(17);
    // ... which a looser tolerance accepts
    expect(
      matchesReference(({ x }: Inputs) => reference.exp(x!), { ulps: 16 }).check(
        observe({ x: tv([0.5, 1, 2]) }, ({ x }) => tf.mul(tf.exp(x!), 1 + 8 * 2 ** -23)),
      ),
    ).toBeUndefined();
  });

  it('a naive softmax: NaN where the exact answer is finite', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.softmax(x!), 'softmax');
    const naive = ({ x }: Record<string, tf.Tensor>) => tf.div(tf.exp(x!), tf.sum(tf.exp(x!)));
    const v = inv.check(observe({ x: tv([100, 0]) }, naive))!;
    expect(v.message).toMatch(/output\[0\] is NaN where the exact answer is finite: 1/);
    expect(v.details!.ulps).toBe(Infinity);
    expect(v.details!.bits).toBe(32);
    expect(inv.check(observe({ x: tv([100, 0]) }, ({ x }) => tf.softmax(x!)))).toBeUndefined();
  });

  it('a one-pass variance that cancels', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.moments(x!).variance, 'variance');
    const onePass = ({ x }: Record<string, tf.Tensor>) => tf.sub(tf.mean(tf.square(x!)), tf.square(tf.mean(x!)));
    const data = [10000.1, 10000.2, 10000.3, 10000.4];
    const v = inv.check(observe({ x: tv(data) }, onePass));
    expect(v).toBeDefined();
    expect(inv.check(observe({ x: tv(data) }, ({ x }) => tf.moments(x!).variance))).toBeUndefined();
  });

  it('a naive binary cross-entropy at a confident logit', () => {
    const inv = matchesReference(({ z, x }: Inputs) => reference.losses.sigmoidCrossEntropy(z!, x!), 'sigmoidCrossEntropy');
    const naive = ({ z, x }: Record<string, tf.Tensor>) => {
      const p = tf.sigmoid(x!);
      return tf.neg(tf.mean(tf.add(tf.mul(z!, tf.log(p)), tf.mul(tf.sub(1, z!), tf.log(tf.sub(1, p))))));
    };
    const v = inv.check(observe({ z: tv([1, 0]), x: tv([20, -3]) }, naive))!;
    expect(v.message).toMatch(/where the exact answer is finite/);
  });

  it('finds tf.norm overflowing where the exact norm is finite', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.norm(x!), 'norm');
    const v = inv.check(observe({ x: tv([1e20, 1]) }, ({ x }) => tf.norm(x!)))!;
    expect(v.message).toMatch(/output\[\] is Infinity where the exact answer is finite: 100000002004087730000/);
    // a strict tolerance also shows it losing every digit to underflow on tiny vectors
    const strict = matchesReference(({ x }: Inputs) => reference.norm(x!), { ulps: 4 });
    expect(strict.check(observe({ x: tv([3e-30, 4e-30]) }, ({ x }) => tf.norm(x!)))!.location!.value).toBe(0);
  });

  it('finds the cancellation in tfjs cpu elu at tiny negative inputs (exp(x) - 1)', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.elu(x!), 'elu');
    const v = inv.check(observe({ x: tv([-1, -1e-20]) }, ({ x }) => tf.elu(x!)))!;
    expect(v.location!.index).toBe(1);
    expect(v.location!.value).toBe(0); // exp(-1e-20) - 1 = 0 in float64
    expect(v.details!.ulps).toBeGreaterThan(1e8);
  });
});

describe('matchesReference accepts correct overflow and reports structure problems', () => {
  it('exp(100) = Infinity is the correctly rounded answer', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.exp(x!), 'exp');
    expect(inv.check(observe({ x: tv([100, 88.7229, 1000]) }, ({ x }) => tf.exp(x!)))).toBeUndefined();
    expect(inv.name).toBe('matches reference (exp)');
    expect(inv.needsGradients).toBe(false);
  });

  it('reports shape and output-count mismatches', () => {
    const inv = matchesReference(({ x }: Inputs) => reference.exp(x!), { ulps: 1 });
    const v = inv.check(observe({ x: tv([1, 2]) }, ({ x }) => tf.sum(tf.exp(x!))))!;
    expect(v.message).toMatch(/output has shape \[\] but the reference gives \[2\]/);
    const two = matchesReference(({ x }: Inputs) => [reference.exp(x!), reference.log(x!)], { ulps: 1 });
    expect(two.check(observe({ x: tv([1]) }, ({ x }) => tf.exp(x!)))!.message).toMatch(/1 output\(s\) but the reference 2/);
  });

  it('compares several outputs and names the failing one', () => {
    const inv = matchesReference(({ x }: Inputs) => {
      const m = reference.moments(x!);
      return [m.mean, m.variance];
    }, toleranceFor('variance'));
    const obs = observe({ x: tv([1, 2, 3, 4]) }, ({ x }) => {
      const m = tf.moments(x!);
      return [m.mean, tf.add(m.variance, 0.01)];
    });
    const v = inv.check(obs)!;
    expect(v.location!.tensor).toBe('output[1]');
  });

  it('compareToReference reports the worst element even when all pass', () => {
    const c = compareToReference({ name: 'output', shape: [2], dtype: 'float32', data: new Float32Array([Math.fround(Math.E), 1]) }, reference.exp([1, 0]), {
      ulps: 1,
    });
    expect(c.ok).toBe(true);
    expect(c.checked).toBe(2);
    expect(c.worst!.ulps).toBe(0);
  });
});
