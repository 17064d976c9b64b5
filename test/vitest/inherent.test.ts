// The matchers' unlessInherent option, in process: toStayFinite accepts exp(x) up to 100 (its
// Infinity is the correctly rounded answer) and still fails the naive softplus (exactly 89 at 89);
// toHaveFiniteGradients accepts the gradient of exp the same way. Real cpu kernels, fixed seeds.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '../../src/vitest/index.ts';
import { float32, tensor } from '../../src/index.ts';

const x = [tensor({ shape: [2], elements: float32({ min: -100, max: 100 }) })] as const;

describe('toStayFinite({ unlessInherent: true })', () => {
  it('exp up to 100 stays finite unless inherent; plain toStayFinite fails', () => {
    expect((t: tf.Tensor) => tf.exp(t)).toStayFinite(x, { unlessInherent: true, seed: 3, runs: 50, provenance: false });
    expect((t: tf.Tensor) => tf.exp(t)).not.toStayFinite(x, { seed: 3, runs: 50, provenance: false });
    expect((t: tf.Tensor) => tf.exp(t)).toHaveFiniteGradients(x, { unlessInherent: true, seed: 3, runs: 50, provenance: false });
  });

  it('the naive softplus still fails: its exact result is finite', () => {
    expect((t: tf.Tensor) => tf.log(tf.add(1, tf.exp(t)))).not.toStayFinite(x, { unlessInherent: true, seed: 3, runs: 100, provenance: false });
  });
});
