// Real differences between tfjs 4.22's cpu and wasm backends, found by differential testing and
// judged by nanhunt's exact references (src/reference). Measured here; see docs/backends-and-diff.md's
// differential-testing section for the catalog-wide figures.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { float32, property, tensor, tensors } from '../../src/index.ts';
import { diffProperty, prepareBackends, withReference, type DiffResult } from '../../src/diff/index.ts';
import { elu, sigmoid } from '../../src/reference/elementwise.ts';
import { matMul, mean } from '../../src/reference/reductions.ts';
import type { TensorValue } from '../../src/core/tensor-value.ts';

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});

const only = (r: DiffResult) => (r.counterexample as { x: TensorValue }).x;

describe('cpu vs wasm on real kernels', () => {
  it('sigmoid: wasm flushes a subnormal result to 0 (cpu is right)', () => {
    const p = withReference(property({ name: 'real: sigmoid', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.sigmoid(x) }), ({ x }) =>
      sigmoid(x),
    );
    const r = diffProperty(p, { seed: 1, runs: 300 });
    expect(r.disagreement).toMatchObject({ kind: 'value', hint: 'subnormal', element: { values: [6.054601e-39, 0].map(Math.fround) } });
    expect(Array.from(only(r).data)).toEqual([-88]);
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
    expect(r.divergence?.kernels).toEqual(['Sigmoid', 'Sigmoid']);
  });

  it('elu: cpu returns 0 for a tiny negative input where wasm keeps it (wasm is right)', () => {
    const p = withReference(property({ name: 'real: elu', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.elu(x) }), ({ x }) => elu(x));
    const r = diffProperty(p, { seed: 1, runs: 300 });
    expect(r.disagreement).toMatchObject({ kind: 'value', hint: 'subnormal' });
    expect(only(r).shape).toEqual([1]);
    expect(Math.abs(only(r).data[0]!)).toBeLessThan(1e-37);
    expect(r.verdict).toMatchObject({ right: ['wasm'] });
  });

  it('mean: wasm overflows to Infinity where the exact mean is finite (cpu is right)', () => {
    const p = withReference(property({ name: 'real: mean', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.mean(x) }), ({ x }) =>
      mean(x),
    );
    const r = diffProperty(p, { seed: 1, runs: 300 });
    expect(r.disagreement).toMatchObject({ kind: 'finiteness', side: 'wasm' });
    expect(r.disagreement!.element!.values[1]).toBe(Infinity);
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
    expect(Math.max(...only(r).data)).toBeGreaterThan(1e38);
  });

  it('cos: wasm is more than 4 ULPs off on ordinary inputs (cpu is right)', () => {
    const p = withReference(
      property({ name: 'real: cos', inputs: { x: tensor({ elements: float32({ min: -100, max: 100 }) }) }, subject: ({ x }) => tf.cos(x) }),
      ({ x }) => Array.from(x.data, Math.cos), // float64 cos: far inside float32's precision here
    );
    const r = diffProperty(p, { seed: 1, runs: 300 });
    expect(r.disagreement?.kind).toBe('value');
    expect(only(r).shape).toEqual([1]);
    expect(Number.isInteger(only(r).data[0])).toBe(true); // shrunk to a simple input (-8 here)
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
    expect(r.verdict!.ulps.wasm).toBeGreaterThan(4);
  });

  it('matMul: wasm accumulates in float32 and loses ULPs that cpu keeps', () => {
    const p = withReference(
      property({
        name: 'real: matMul',
        inputs: {
          t: tensors({
            dims: { m: { min: 1, max: 4 }, k: { min: 1, max: 8 }, n: { min: 1, max: 4 } },
            tensors: {
              a: { shape: ['m', 'k'], elements: float32({ min: -1e6, max: 1e6 }) },
              b: { shape: ['k', 'n'], elements: float32({ min: -1e6, max: 1e6 }) },
            },
          }),
        },
        subject: ({ t }) => tf.matMul(t.a, t.b),
      }),
      ({ t }) => matMul(t.a, t.b),
    );
    const r = diffProperty(p, { seed: 2, runs: 300 });
    expect(r.disagreement?.kind).toBe('value');
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
    expect(r.verdict!.ulps.cpu).toBe(0);
    expect(r.divergence?.kernels).toEqual(['BatchMatMul', 'BatchMatMul']);
    expect(tf.getBackend()).toBe('cpu');
  });
});
