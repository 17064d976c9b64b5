import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { execute, tensorValue, type Subject } from '../../src/index.ts';
import { observeKernels } from '../../src/explain/provenance.ts';

const x = tensorValue([3], [1, 4, 9]);

describe('execute()', () => {
  it('reads outputs back and leaves tf.memory() unchanged', () => {
    const before = tf.memory().numTensors;
    const out = execute(({ x }: { x: tf.Tensor }) => tf.sqrt(tf.add(x, 0)), { x });
    expect(out.kind).toBe('ok');
    if (out.kind !== 'ok') return;
    expect(Array.from(out.observation.outputs[0]!.data)).toEqual([1, 2, 3]);
    expect(out.observation.outputs[0]!.name).toBe('output');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names array and record outputs', () => {
    const arr = execute(({ x }: { x: tf.Tensor }) => [tf.neg(x), tf.exp(x)], { x });
    const rec = execute(({ x }: { x: tf.Tensor }) => ({ loss: tf.sum(x) }), { x });
    expect(arr.kind === 'ok' && arr.observation.outputs.map((o) => o.name)).toEqual(['output[0]', 'output[1]']);
    expect(rec.kind === 'ok' && rec.observation.outputs.map((o) => o.name)).toEqual(['output.loss']);
  });

  it('computes gradients of the summed outputs for float32 inputs', () => {
    const before = tf.memory().numTensors;
    const out = execute(
      ({ x, n }: { x: tf.Tensor; n: tf.Tensor }) => tf.mul(tf.square(x), tf.cast(n, 'float32')),
      {
        x,
        n: tensorValue([3], [1, 1, 2], 'int32'),
      },
      { gradients: true },
    );
    expect(out.kind).toBe('ok');
    if (out.kind !== 'ok') return;
    expect(out.observation.gradients.map((g) => g.name)).toEqual(['grad(x)']);
    expect(Array.from(out.observation.gradients[0]!.data)).toEqual([2, 8, 36]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differentiates one float32 output from dy = ones (only the subject and its backward kernels run), several by their sum', () => {
    const before = tf.memory().numTensors;
    const kernels: string[] = [];
    const one = observeKernels(
      () => execute(({ x }: { x: tf.Tensor }) => tf.neg(x), { x }, { gradients: true }),
      (k) => kernels.push(k),
    );
    expect(kernels).toEqual(['Neg', 'Neg']);
    expect(one.kind === 'ok' && Array.from(one.observation.gradients[0]!.data)).toEqual([-1, -1, -1]);
    // two outputs: d(sum(-x) + sum(x^2))/dx; an output that is the input itself: d(sum(x))/dx
    const two = execute(({ x }: { x: tf.Tensor }) => [tf.neg(x), tf.square(x)], { x }, { gradients: true });
    expect(two.kind === 'ok' && Array.from(two.observation.gradients[0]!.data)).toEqual([1, 7, 17]);
    const same = execute(({ x }: { x: tf.Tensor }) => x, { x }, { gradients: true });
    expect(same.kind === 'ok' && Array.from(same.observation.gradients[0]!.data)).toEqual([1, 1, 1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a throwing subject as an error, with its message', () => {
    const out = execute(
      () => {
        throw new Error('boom');
      },
      { x },
    );
    expect(out).toEqual({ kind: 'error', stage: 'subject', message: 'boom' });
  });

  it('reports non-tensor returns as errors', () => {
    const bad = [() => 42, () => [tf.scalar(1), 'x'], () => null, () => Promise.resolve(tf.scalar(1)), () => []];
    const before = tf.memory().numTensors;
    for (const subject of bad) {
      const out = execute(subject as unknown as Subject<unknown>, { x });
      expect(out.kind).toBe('error');
      if (out.kind === 'error') expect(out.stage).toBe('output');
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('detects leaked tensors and variables, names the count, and cleans variables up', () => {
    const before = tf.memory().numTensors;
    const kept: tf.Tensor[] = [];
    const out = execute(
      ({ x }: { x: tf.Tensor }) => {
        kept.push(tf.keep(tf.exp(x)), tf.keep(tf.neg(x)));
        return tf.sum(x);
      },
      { x },
    );
    expect(out).toMatchObject({ kind: 'error', stage: 'leak', message: expect.stringContaining('leaked 2 tensors') });
    for (const t of kept) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const v = execute(({ x }: { x: tf.Tensor }) => tf.variable(x).add(1), { x });
    expect(v).toMatchObject({ kind: 'error', stage: 'leak', message: expect.stringContaining('variables') });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees what tfjs recorded for the backward pass when the subject throws while gradients are computed', () => {
    const before = tf.memory().numTensors;
    const out = execute(
      ({ x }: { x: tf.Tensor }) => {
        tf.sum(tf.exp(tf.mul(x, 2)));
        throw new Error('boom');
      },
      { x },
      { gradients: true },
    );
    expect(out).toEqual({ kind: 'error', stage: 'subject', message: 'boom' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a gradient that cannot be computed as an error of the gradient stage', () => {
    const out = execute(({ x }: { x: tf.Tensor }) => tf.cast(tf.greater(x, 2), 'int32'), { x }, { gradients: true });
    expect(out).toMatchObject({ kind: 'error', stage: 'gradient' });
  });
});
