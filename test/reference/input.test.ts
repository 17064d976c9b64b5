import { describe, expect, it } from 'vitest';
import * as reference from '../../src/reference/index.ts';
import { resolveOptions, withReferenceOptions, validatePrecision, toleranceFor } from '../../src/reference/index.ts';
import { tensorValue } from '../../src/core/tensor-value.ts';

describe('bad inputs get errors naming the argument', () => {
  it('dtypes', () => {
    const b = tensorValue([2], [1, 0], 'bool');
    expect(() => reference.exp(b)).toThrow(/exp: argument 'x' must be a float32 or int32 tensor; got dtype 'bool'/);
    expect(() => reference.softmax(b)).toThrow(/softmax: argument 'logits'/);
    expect(() => reference.losses.logLoss([1], b)).toThrow(/logLoss: argument 'predictions'/);
    expect(() => reference.exp(new Uint8Array([1]))).toThrow(/argument 'x'.*bool/);
    // int32 is read like tfjs reads it (cast to float32)
    expect(reference.exp(tensorValue([1], [2], 'int32')).values[0]).toBe(Math.exp(2));
  });

  it('shapes', () => {
    expect(() => reference.matMul([[1, 2]], [[1, 2]])).toThrow(/matMul: inner dimensions differ: 'a' \[1, 2\] has 2 columns but 'b' \[1, 2\] has 1 rows/);
    expect(() => reference.matMul([1, 2], [[1], [2]])).toThrow(/matMul: argument 'a' must have rank >= 2/);
    expect(() => reference.losses.meanSquaredError([1, 2], [1, 2, 3])).toThrow(
      /meanSquaredError: argument 'predictions' has shape \[3\] but 'labels' has shape \[2\]/,
    );
    expect(() => reference.pow([1, 2], [1, 2, 3])).toThrow(/pow: arguments 'base' \[2\] and 'exp' \[3\] cannot be broadcast/);
    expect(() => reference.exp({ shape: [2, 2], data: [1, 2, 3] })).toThrow(/exp: argument 'x' has shape \[2, 2\] \(4 elements\) but 3 data values/);
    expect(() => reference.exp({ shape: [-1], data: [] })).toThrow(/argument 'x' has a bad shape/);
    expect(() => reference.exp([[1, 2], [3]])).toThrow(/argument 'x' is a ragged nested array/);
    expect(() => reference.sum([1, 2], 1)).toThrow(/sum: argument 'axis' has 1, outside the range \[-1, 1\)/);
    expect(() => reference.losses.meanSquaredError([1, 2], [1, 2], { weights: [1, 2, 3] })).toThrow(/'weights' \[3\] cannot be broadcast/);
    expect(() => reference.train.adam({ value: [1, 2], gradient: [1] })).toThrow(
      /train\.adam: argument 'gradient' has shape \[1\] but 'value' has shape \[2\]/,
    );
    expect(() => reference.train.adam({ value: [1], gradient: [1], firstMoment: [1, 2] })).toThrow(/argument 'firstMoment'/);
  });

  it('missing or non-numeric arguments and parameters', () => {
    expect(() => reference.exp(undefined as unknown as number)).toThrow(/exp: argument 'x' is missing/);
    expect(() => reference.exp(['a'] as unknown as number[])).toThrow(/argument 'x' must hold numbers/);
    expect(() => reference.train.sgd({ value: [1], gradient: [1] } as never)).toThrow(/train\.sgd: parameter 'learningRate' must be a number/);
    expect(() => reference.train.adam({ value: [1], gradient: [1], step: 0 })).toThrow(/parameter 'step' must be a positive integer/);
    expect(() => reference.norm([1], 3)).toThrow(/norm: parameter 'ord'/);
    expect(() => reference.losses.sigmoidCrossEntropy([1], [1], { labelSmoothing: 2 })).toThrow(/labelSmoothing/);
    expect(() => reference.losses.meanSquaredError([1], [1], { reduction: 'avg' as never })).toThrow(/option 'reduction' must be one of/);
    expect(() => toleranceFor('nope' as never)).toThrow(/no tolerance for op 'nope'/);
  });
});

describe('precision settings', () => {
  it('rejects out-of-range precision with a clear error', () => {
    for (const p of [0, 10, 23, 1001, 50.5, NaN, '50']) {
      expect(() => reference.exp([1], { precision: p as number })).toThrow(
        /reference precision must be an integer number of significant digits from 24 to 1000/,
      );
      expect(() => validatePrecision(p)).toThrow(RangeError);
    }
    expect(() => withReferenceOptions({ precision: 5 }, () => 0)).toThrow(/from 24 to 1000; got 5/);
    expect(() => reference.exp([1], { mode: 'fast' as never })).toThrow(/mode must be 'tiered' or 'exact'/);
  });

  it('accepts the range and nests settings', () => {
    expect(resolveOptions().precision).toBe(50);
    expect(reference.exp([1], { precision: 24, mode: 'exact' }).values[0]).toBe(Math.E);
    expect(reference.exp([1], { precision: 300, mode: 'exact' }).values[0]).toBe(Math.E);
    withReferenceOptions({ precision: 80 }, () => {
      expect(resolveOptions().precision).toBe(80);
      withReferenceOptions({ mode: 'exact' }, () => {
        expect(resolveOptions()).toEqual({ precision: 80, mode: 'exact', inputs: 'float32' });
      });
    });
    expect(resolveOptions().mode).toBe('tiered');
  });

  it('reads plain numbers as float32 unless asked not to', () => {
    expect(reference.exp([0.1]).values[0]).toBe(Math.exp(Math.fround(0.1)));
    expect(reference.exp([0.1], { inputs: 'float64' }).values[0]).toBe(Math.exp(0.1));
  });
});
