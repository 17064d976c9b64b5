// The engine's async runner (WebGPU reads back asynchronously) searches and shrinks exactly as the
// synchronous one: same seed, same cases, same counterexample, path and shrinks. Run here on cpu,
// where both can run the same property.
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { finite, float32, property, runProperty, runPropertyAsync, tensor } from '../../src/index.ts';
import { matchesReference } from '../../src/check/accuracy.ts';
import * as ref from '../../src/reference/index.ts';

const overflow = property({
  name: 'exp is finite (async engine)',
  inputs: { x: tensor({ elements: float32({ min: -200, max: 200 }) }) },
  subject: ({ x }) => tf.exp(x),
  invariants: [finite()],
});

const sqrtProperty = property({
  name: 'sqrt matches its reference (async engine)',
  inputs: { x: tensor({ elements: float32({ min: 0, max: 1e6 }) }) },
  subject: ({ x }) => tf.sqrt(x),
  invariants: [matchesReference((i: { x: import('../../src/index.ts').TensorValue }) => ref.sqrt(i.x), ref.TOLERANCES.sqrt)],
});

function comparable(r: Awaited<ReturnType<typeof runPropertyAsync>>) {
  const { durationMs: _d, provenance: _p, ...rest } = r;
  return rest;
}

describe('runPropertyAsync', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('finds and shrinks the same failure as runProperty, from the same seed', async () => {
    const before = tf.memory().numTensors;
    const sync = runProperty(overflow, { seed: 7, runs: 100, provenance: false });
    const async_ = await runPropertyAsync(overflow, { seed: 7, runs: 100 });
    expect(sync.status).toBe('failed');
    expect(comparable(async_)).toEqual(comparable(sync));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes where runProperty passes, with the same error samples', async () => {
    const sync = runProperty(sqrtProperty, { seed: 3, runs: 50 });
    const async_ = await runPropertyAsync(sqrtProperty, { seed: 3, runs: 50 });
    expect(sync.status).toBe('passed');
    expect(comparable(async_)).toEqual(comparable(sync));
    expect(async_.errorSamples?.length).toBeGreaterThan(0);
  });

  it('catches a planted Sqrt defect as runProperty does (same minimal case), and replays saved examples first', async () => {
    const original = tf.getKernel('Sqrt', 'cpu')!;
    tf.unregisterKernel('Sqrt', 'cpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const backend = args.backend as unknown as { data: { get(id: unknown): { values: Float32Array } } };
        const values = backend.data.get(out.dataId).values;
        for (let i = 0; i < values.length; i++) if (values[i]! > 100) values[i]! *= 1.001; // 0.1% off above 100
        return out;
      },
    });
    restore = () => {
      tf.unregisterKernel('Sqrt', 'cpu');
      tf.registerKernel(original);
    };
    const sync = runProperty(sqrtProperty, { seed: 3, runs: 100, provenance: false });
    const async_ = await runPropertyAsync(sqrtProperty, { seed: 3, runs: 100 });
    expect(sync.status).toBe('failed');
    expect(comparable(async_)).toEqual(comparable(sync));
    const again = await runPropertyAsync(sqrtProperty, { seed: 99, runs: 1, examples: [sync.counterexample] });
    expect(again.status).toBe('failed');
    expect(again.example).toBe(0);
  });
});
