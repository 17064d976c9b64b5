import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactKind } from '../../src/reference/index.ts';

const L = reference.losses;
const f = Math.fround;
const v0 = (t: { values: Float64Array }): number => t.values[0]!;
const EPS = f(1e-7);

describe('regression losses', () => {
  it('meanSquaredError and absoluteDifference average over elements', () => {
    expect(v0(L.meanSquaredError([1, 2, 3], [1.5, 2, 2]))).toBe((0.25 + 0 + 1) / 3);
    expect(v0(L.absoluteDifference([1, 2, 3], [1.5, 2, 2]))).toBe(0.5);
    expect(L.meanSquaredError([1, 2, 3], [1.5, 2, 2]).shape).toEqual([]);
  });

  it('huberLoss is quadratic inside delta and linear outside', () => {
    // errors 0.5, 2, 3 with delta 1: 0.125, 1.5, 2.5
    expect(v0(L.huberLoss([0, 0, 0], [0.5, 2, -3]))).toBe(4.125 / 3);
    // delta 2: 0.125, 2, 4
    expect(v0(L.huberLoss([0, 0, 0], [0.5, 2, -3], { delta: 2 }))).toBe(6.125 / 3);
    expect(Array.from(L.huberLoss([0, 0], [0.5, 3], { reduction: 'none' }).values)).toEqual([0.125, 2.5]);
  });

  it('hingeLoss maps labels {0, 1} to {-1, 1}', () => {
    // max(0, 1 - p) + max(0, 1 + p) = 2 for |p| < 1: mean exactly 1
    expect(v0(L.hingeLoss([1, 0], [0.3, 0.3]))).toBe(1);
    expect(Array.from(L.hingeLoss([1, 0, 1], [2, -2, -0.5], { reduction: 'none' }).values)).toEqual([0, 0, 1.5]);
  });

  it('cosineDistance is 1 - dot along the axis', () => {
    const t = L.cosineDistance(
      [
        [1, 0],
        [0, 1],
      ],
      [
        [1, 0],
        [1, 0],
      ],
      1,
      { reduction: 'none' },
    );
    expect(t.shape).toEqual([2, 1]);
    expect(Array.from(t.values)).toEqual([0, 1]);
    // nearly equal unit vectors: the exact value survives the cancellation
    const a = [f(0.6), f(0.8)];
    const exact = 1 - (a[0]! * a[0]! + a[1]! * a[1]!); // products of float32 are exact in float64
    expect(v0(L.cosineDistance([a], [a], 1))).toBe(exact);
  });
});

describe('log and cross-entropy losses', () => {
  it('logLoss uses epsilon fround(1e-7)', () => {
    expect(EPS).toBe(1.0000000116860974e-7);
    const t = L.logLoss([1, 0], [0.5, 0.5], { reduction: 'none' });
    expect(t.values[0]).toBeCloseTo(-Math.log(0.5 + EPS), 15);
    expect(t.values[1]).toBeCloseTo(-Math.log(0.5 + EPS), 15);
    expect(v0(L.logLoss([1], [0]))).toBeCloseTo(-Math.log(EPS), 13);
    expect(v0(L.logLoss([1], [0], { epsilon: 1e-3 }))).toBeCloseTo(-Math.log(f(1e-3)), 13);
  });

  it('logLoss of a prediction at -epsilon is infinite by definition', () => {
    const t = L.logLoss([1], [-EPS], { reduction: 'none' });
    expect(exactKind(t, 0)).toBe('+inf');
    // 0 * log(0): NaN, as the formula says
    expect(exactKind(L.logLoss([0], [-EPS], { reduction: 'none' }), 0)).toBe('nan');
  });

  it('sigmoidCrossEntropy is softplus(x) - x z, exact through its cancellation', () => {
    expect(v0(L.sigmoidCrossEntropy([1], [0]))).toBeCloseTo(Math.LN2, 15);
    expect(v0(L.sigmoidCrossEntropy([0], [0]))).toBeCloseTo(Math.LN2, 15);
    // z = 1, x = 100: max(x,0) - x z cancels to 0, leaving log1p(e^-100) = 3.7e-44
    const t = L.sigmoidCrossEntropy([1], [100]);
    expect(Math.abs(v0(t) - Math.exp(-100)) / Math.exp(-100)).toBeLessThan(1e-14);
    // huge logits: the loss is |x| for the wrong label (finite, no overflow)
    expect(v0(L.sigmoidCrossEntropy([0], [3e38]))).toBe(f(3e38));
  });

  it('sigmoidCrossEntropy applies label smoothing towards 1/2', () => {
    const ls = f(0.2);
    const z = 1 * (1 - ls) + 0.5 * ls;
    const expected = Math.log1p(Math.exp(-2)) + 2 - 2 * z; // softplus(2) - 2z
    expect(v0(L.sigmoidCrossEntropy([1], [2], { labelSmoothing: 0.2 }))).toBeCloseTo(expected, 15);
  });

  it('softmaxCrossEntropy is -log softmax at the label', () => {
    const lse = 3.407605964444380304; // logSumExp([1, 2, 3])
    expect(v0(L.softmaxCrossEntropy([[0, 1, 0]], [[1, 2, 3]]))).toBeCloseTo(lse - 2, 15);
    const rows = L.softmaxCrossEntropy(
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [1000, 0],
      ],
      { reduction: 'none' },
    );
    expect(rows.shape).toEqual([2]);
    expect(Array.from(rows.values)).toEqual([Math.LN2, 1000]);
  });

  it('is never below zero for one-hot labels (random rows)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -30, max: 30, noNaN: true }), { minLength: 2, maxLength: 6 }), fc.nat(), (row, k) => {
        const labels = row.map((_, i) => (i === k % row.length ? 1 : 0));
        const loss = v0(L.softmaxCrossEntropy([labels], [row]));
        const lse = reference.logSumExp(row).values[0]!;
        return loss >= 0 && Math.abs(loss - (lse - f(row[k % row.length]!))) <= 1e-13 * (1 + lse);
      }),
      { seed: 51, numRuns: 100 },
    );
  });
});

describe('weights and reductions', () => {
  const y = [1, 2, 3];
  const p = [2, 2, 5]; // squared errors 1, 0, 4
  it('sumByNonzeroWeights divides by the count of non-zero weights', () => {
    expect(v0(L.meanSquaredError(y, p))).toBe(5 / 3);
    expect(v0(L.meanSquaredError(y, p, { weights: [1, 0, 2] }))).toBe(9 / 2);
    expect(v0(L.meanSquaredError(y, p, { weights: 2 }))).toBe(10 / 3);
  });

  it('sum, mean and none', () => {
    expect(v0(L.meanSquaredError(y, p, { reduction: 'sum' }))).toBe(5);
    expect(v0(L.meanSquaredError(y, p, { reduction: 'sum', weights: [1, 0, 2] }))).toBe(9);
    expect(v0(L.meanSquaredError(y, p, { reduction: 'mean', weights: [1, 0, 2] }))).toBe(3);
    expect(v0(L.meanSquaredError(y, p, { reduction: 'mean', weights: 2 }))).toBe(5 / 3); // (10 / 2) / broadcast factor 3
    expect(Array.from(L.meanSquaredError(y, p, { reduction: 'none', weights: [1, 0, 2] }).values)).toEqual([1, 0, 8]);
  });

  it('all-zero weights give 0 / 0 = NaN', () => {
    expect(exactKind(L.meanSquaredError(y, p, { weights: [0, 0, 0] }), 0)).toBe('nan');
  });

  it('broadcasts weights along dimensions', () => {
    const t = L.absoluteDifference({ shape: [2, 2], data: [0, 0, 0, 0] }, { shape: [2, 2], data: [1, 2, 3, 4] }, { weights: { shape: [2, 1], data: [1, 0] } });
    expect(v0(t)).toBe(3 / 2); // (1 + 2) / 2 non-zero broadcast weights
  });
});
