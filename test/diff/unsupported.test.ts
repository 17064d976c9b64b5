// Ops a backend does not implement are "unsupported on <backend>": neither a pass nor a failure,
// and visible. Real ops of tfjs 4.22 that the wasm backend lacks: einsum (kernel Einsum) and
// the gradient of conv2d (kernel Conv2DBackpropFilter).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { float32, property, runProperty, tensor, tensors, useBackend } from '../../src/index.ts';
import { summaryLine } from '../../src/report/index.ts';
import { diffProperty, diffSummaryLine, prepareBackends } from '../../src/diff/index.ts';
import { missingKernels, unsupportedKernel } from '../../src/run/backend.ts';
import { resultToJson, resultsDocument } from '../../src/report/json.ts';
import { diffResultToJson } from '../../src/diff/json.ts';

const einsum = property({
  name: 'unsupported fixture: einsum',
  inputs: {
    t: tensors({ dims: { i: { min: 1, max: 3 }, j: { min: 1, max: 3 } }, tensors: { a: { shape: ['i', 'j'], elements: float32({ min: -4, max: 4 }) } } }),
  },
  subject: ({ t }) => tf.einsum('ij,ij->i', t.a, t.a),
});

const conv2dGradient = property({
  name: 'unsupported fixture: conv2d gradient',
  inputs: {
    x: tensor({ shape: [1, 3, 3, 1], elements: float32({ min: -2, max: 2 }) }),
    f: tensor({ shape: [2, 2, 1, 1], elements: float32({ min: -2, max: 2 }) }),
  },
  subject: ({ x, f }) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'),
  gradients: true,
});

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});

describe('unsupported ops', () => {
  it('knows which kernels wasm lacks and recognises the error tfjs throws for them', () => {
    const missing = missingKernels('cpu', 'wasm');
    expect(missing).toContain('Einsum');
    expect(missing).toContain('Conv2DBackpropFilter');
    expect(unsupportedKernel("Kernel 'Einsum' not registered for backend 'wasm'")).toEqual({
      backend: 'wasm',
      kernel: 'Einsum',
      message: "Kernel 'Einsum' not registered for backend 'wasm'",
    });
    expect(unsupportedKernel("Kernel 'Exp' not registered for backend 'tensorflow'")?.backend).toBe('node');
    expect(unsupportedKernel('gradient function not found for Foo')).toBeUndefined();
  });

  it('check: an op wasm lacks is unsupported on wasm (not failed, not errored) and passes on cpu', async () => {
    await useBackend('wasm');
    try {
      const r = runProperty(einsum, { seed: 1, runs: 20 });
      expect(r.status).toBe('unsupported');
      expect(r.expectedFailure).toBe(false);
      expect(r.unsupported).toMatchObject({ backend: 'wasm', kernel: 'Einsum' });
      expect(r.shrinks).toBe(0);
      expect(summaryLine(r)).toMatch(/^○ unsupported fixture: einsum — unsupported on wasm: no kernel 'Einsum' \(\d+ ms\)$/);
      const json = resultToJson(r);
      expect(json).toMatchObject({ status: 'unsupported', error: { stage: 'unsupported', message: "Kernel 'Einsum' not registered for backend 'wasm'" } });
      expect((resultsDocument({ nanhunt: '0', tfjs: tf.version.tfjs, backend: 'wasm', seed: 1 }, [r]) as { summary: object }).summary).toMatchObject({
        passed: 0,
        failed: 0,
        errored: 0,
        unsupported: 1,
      });
    } finally {
      await useBackend('cpu');
    }
    expect(runProperty(einsum, { seed: 1, runs: 20 }).status).toBe('passed');
  });

  it('check: a gradient kernel wasm lacks is unsupported too (its error is not hidden behind the tensors tfjs strands)', async () => {
    await useBackend('wasm');
    try {
      const r = runProperty(conv2dGradient, { seed: 1, runs: 20 });
      expect(r.status).toBe('unsupported');
      expect(r.unsupported).toMatchObject({ backend: 'wasm', kernel: 'Conv2DBackpropFilter' });
    } finally {
      await useBackend('cpu');
    }
    expect(runProperty(conv2dGradient, { seed: 1, runs: 20 }).status).toBe('passed');
  });

  it('diff: unsupported on one backend is reported as such, not as a disagreement', () => {
    const r = diffProperty(einsum, { seed: 1, runs: 20 });
    expect(r.status).toBe('unsupported');
    expect(r.unsupported).toEqual([{ backend: 'wasm', kernel: 'Einsum', message: "Kernel 'Einsum' not registered for backend 'wasm'" }]);
    expect(r.disagreement).toBeUndefined();
    expect(r.runs).toBeLessThanOrEqual(20);
    expect(diffSummaryLine(r)).toMatch(/^○ unsupported fixture: einsum — unsupported on wasm: no kernel 'Einsum' \(\d+ ms\)$/);
    expect(diffResultToJson(r)).toMatchObject({ status: 'unsupported', unsupported: [{ backend: 'wasm', kernel: 'Einsum' }] });
    expect(tf.getBackend()).toBe('cpu');
  });
});
