// The page boundary's codec: what a PropertyResult holds survives the trip as text.
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/browser/wire.ts';
import { isTensorValue, tensorValue, type TensorValue } from '../../src/core/tensor-value.ts';

describe('wire codec', () => {
  it('keeps tensors (with -0, NaN, ±Infinity), typed arrays, non-finite numbers and nesting', () => {
    const t = tensorValue([2, 2], [-0, Number.NaN, Infinity, 1e-45]);
    const value = {
      counterexample: { t: { params: t, grads: tensorValue([1], [7], 'int32') }, lr: -0, eps: Number.NaN },
      list: [Infinity, -Infinity, 3.5, 'text', null, true],
      typed: new Float64Array([1e-300, -0]),
      bytes: new Uint8Array([0, 255]),
      dropped: undefined,
      fn: () => 1,
      saved: { $tensor: true, shape: [1], dtype: 'float32', values: ['NaN'] },
      tagged: { $wire: 'mine', n: 1 },
    };
    const back = decode<Record<string, any>>(encode(value));
    const t2 = back.counterexample.t.params as TensorValue;
    expect(isTensorValue(t2)).toBe(true);
    expect(t2.shape).toEqual([2, 2]);
    expect(Object.is(t2.data[0], -0)).toBe(true);
    expect(t2.data[1]).toBeNaN();
    expect(t2.data[2]).toBe(Infinity);
    expect(t2.data[3]).toBe(Math.fround(1e-45));
    expect(back.counterexample.t.grads.dtype).toBe('int32');
    expect(Object.is(back.counterexample.lr, -0)).toBe(true);
    expect(back.counterexample.eps).toBeNaN();
    expect(back.list).toEqual([Infinity, -Infinity, 3.5, 'text', null, true]);
    expect(back.typed).toBeInstanceOf(Float64Array);
    expect(Array.from(back.typed as Float64Array)).toEqual([1e-300, -0]);
    expect(Object.is((back.typed as Float64Array)[1], -0)).toBe(true);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect('dropped' in back).toBe(false);
    expect('fn' in back).toBe(false);
    // data that looks like a saved tensor, or carries the codec's own tag key, arrives as it left
    expect(back.saved).toEqual({ $tensor: true, shape: [1], dtype: 'float32', values: ['NaN'] });
    expect(back.tagged).toEqual({ $wire: 'mine', n: 1 });
  });
});
