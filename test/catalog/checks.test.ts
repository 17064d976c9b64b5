// The optimizer check `moves against the gradient` on the values TensorFlow's Adam returned for a
// subnormal parameter (the node backend flushes subnormals: its convention, not a finding), and
// the same values on a backend that keeps subnormals, where the move along the gradient is one.
import { describe, expect, it } from 'vitest';
import { movesAgainstGradient } from '../../src/catalog/checks.ts';
import { tensorValue } from '../../src/core/tensor-value.ts';
import type { Observation } from '../../src/check/invariant.ts';

const TINY = 1.401298464324817e-45;

function step(backend: string, param: number, grad: number, result: number): Observation {
  return {
    inputs: { params: tensorValue([1], [param]), grads: tensorValue([1], [grad]) },
    outputs: [{ name: 'output', shape: [1], dtype: 'float32', data: new Float32Array([result]) }],
    gradients: [],
    backend,
  };
}

describe('moves against the gradient', () => {
  const check = movesAgainstGradient('params', 'grads');
  it('a subnormal parameter flushed to 0 by a flushing backend is not a move (node, as baselined before)', () => {
    expect(check.check(step('node', -TINY, TINY, 0))).toBeUndefined();
  });
  it('the same values where subnormals are kept: a move along the gradient', () => {
    expect(check.check(step('cpu', -TINY, TINY, 0))?.message).toBe(`parameter 0 moved from ${-TINY} to 0 along its gradient ${TINY}`);
  });
  it('a normal parameter that moves along its gradient is a finding on every backend', () => {
    expect(check.check(step('node', -1, 1, -0.5))?.invariant).toBe('moves against the gradient');
    expect(check.check(step('node', -1, 1, -1.5))).toBeUndefined();
  });
});
