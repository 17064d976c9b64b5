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

  it('logLoss of a prediction at -epsilon is infinite by definition; 0·log 0 is 0; log of a negative number is NaN', () => {
    const t = L.logLoss([1], [-EPS], { reduction: 'none' });
    expect(exactKind(t, 0)).toBe('+inf');
    // a label of exactly 0 ignores log(p + eps): the cross-entropy convention 0·log 0 = 0
    const z = L.logLoss([0], [-EPS], { reduction: 'none' });
    expect(exactKind(z, 0)).toBe('finite');
    expect(z.values[0]).toBeCloseTo(-Math.log(1 + 2 * EPS), 20);
    expect(v0(L.logLoss([0, 1], [0, 1], { epsilon: 0 }))).toBe(0);
    // p + eps < 0: log of a negative number, whatever the label
    expect(exactKind(L.logLoss([0], [-1], { reduction: 'none' }), 0)).toBe('nan');
    expect(exactKind(L.logLoss([0.5], [2], { reduction: 'none' }), 0)).toBe('nan');
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

describe('special values: limits at infinite logits, NaN propagation (IEEE 754 semantics of the exact loss)', () => {
  const none = { reduction: 'none' } as const;
  const kinds = (t: { kinds: Uint8Array }) => Array.from(t.kinds, (_, i) => exactKind(t as never, i));

  it('sigmoidCrossEntropy at x = ±Infinity is (1 - z)·x or -z·x in the limit, 0 where the factor is exactly 0', () => {
    const t = L.sigmoidCrossEntropy([1, 0.5, 0, 0, 0.5, 1, 2], [Infinity, Infinity, Infinity, -Infinity, -Infinity, NaN, Infinity], none);
    expect(Array.from(t.values.subarray(0, 5))).toEqual([0, Infinity, Infinity, 0, Infinity]);
    expect(kinds(t)).toEqual(['finite', '+inf', '+inf', 'finite', '+inf', 'nan', '-inf']);
    // the mean of a +Infinity limit and finite losses is +Infinity; with a NaN it is NaN
    expect(exactKind(L.sigmoidCrossEntropy([0, 0.5], [Infinity, 1]), 0)).toBe('+inf');
    expect(exactKind(L.sigmoidCrossEntropy([0, 0.5], [NaN, 1]), 0)).toBe('nan');
    // label smoothing moves z = 1 to 0.95: the limit at +Infinity is then +Infinity
    expect(exactKind(L.sigmoidCrossEntropy([1], [Infinity], { labelSmoothing: 0.1 }), 0)).toBe('+inf');
  });

  it('a huge logit whose exact loss overflows float32 is +Infinity (a correctly rounded overflow), not infinite by definition', () => {
    const t = L.sigmoidCrossEntropy([-1], [3.4028234663852886e38]);
    expect(exactKind(t, 0)).toBe('finite');
    expect(Math.fround(t.values[0]!)).toBe(Infinity);
  });

  it('softmaxCrossEntropy: one +Infinity logit gives 0 at its own label and +Infinity at another; two are undefined', () => {
    expect(Array.from(L.softmaxCrossEntropy([[1, 0]], [[Infinity, 3]], none).values)).toEqual([0]);
    expect(exactKind(L.softmaxCrossEntropy([[0, 1]], [[Infinity, 3]], none), 0)).toBe('+inf');
    expect(exactKind(L.softmaxCrossEntropy([[1, 0, 0]], [[Infinity, Infinity, 0]], none), 0)).toBe('nan');
    // their labels 0: the undetermined terms do not count
    expect(Array.from(L.softmaxCrossEntropy([[0, 0, 1]], [[Infinity, Infinity, 0]], none).values)).toEqual([Infinity]);
    // a -Infinity logit (a mask) with label 0 drops out: the loss of the other classes
    const masked = L.softmaxCrossEntropy([[1, 0, 0]], [[1, 2, -Infinity]], none).values[0]!;
    expect(masked).toBeCloseTo(v0(L.softmaxCrossEntropy([[1, 0]], [[1, 2]])), 15);
    // ... but with label smoothing every class has some label: +Infinity
    expect(exactKind(L.softmaxCrossEntropy([[1, 0, 0]], [[1, 2, -Infinity]], { ...none, labelSmoothing: 0.1 }), 0)).toBe('+inf');
    expect(exactKind(L.softmaxCrossEntropy([[1, 0]], [[NaN, 0]], none), 0)).toBe('nan');
  });

  it('hinge at p = ±Infinity is 0 or +Infinity; absoluteDifference and squared error are IEEE (Infinity - Infinity is NaN)', () => {
    expect(kinds(L.hingeLoss([1, 1, 0, 0], [Infinity, -Infinity, Infinity, -Infinity], none))).toEqual(['finite', '+inf', '+inf', 'finite']);
    expect(kinds(L.absoluteDifference([Infinity, Infinity, 1, NaN], [Infinity, -Infinity, -Infinity, 0], none))).toEqual(['nan', '+inf', '+inf', 'nan']);
    expect(kinds(L.meanSquaredError([Infinity, 0], [Infinity, -Infinity], none))).toEqual(['nan', '+inf']);
    expect(kinds(L.huberLoss([Infinity, 0], [0, NaN], none))).toEqual(['+inf', 'nan']);
  });

  it('cosineDistance is 1 - a dot product of given values: 0·Infinity is NaN, as in matMul', () => {
    expect(kinds(L.cosineDistance([[0, 1]], [[Infinity, 1]], 1, none))).toEqual(['nan']);
    expect(kinds(L.cosineDistance([[2, 1]], [[Infinity, 1]], 1, none))).toEqual(['-inf']);
  });

  it('weights: a zero weight makes a loss limit 0; given losses (computeWeightedLoss) keep 0·Infinity = NaN', () => {
    expect(v0(L.sigmoidCrossEntropy([0, 0.5], [Infinity, 0], { weights: [0, 1], reduction: 'sum' }))).toBeCloseTo(Math.LN2, 15);
    expect(exactKind(L.computeWeightedLoss([Infinity, 1], { weights: [0, 1], reduction: 'sum' }), 0)).toBe('nan');
  });
});

describe('computeWeightedLoss under every Reduction', () => {
  const losses = { shape: [2, 2], data: [1, 2, 3, 4] };
  const reduce = (reduction: reference.Reduction, weights?: reference.RefInput) =>
    L.computeWeightedLoss(losses, { reduction, ...(weights === undefined ? {} : { weights }) });

  it('without weights: none is the losses, sum 10, mean and sumByNonzeroWeights 2.5', () => {
    expect(Array.from(reduce('none').values)).toEqual([1, 2, 3, 4]);
    expect(v0(reduce('sum'))).toBe(10);
    expect(v0(reduce('mean'))).toBe(2.5);
    expect(v0(reduce('sumByNonzeroWeights'))).toBe(2.5);
  });

  it('with broadcast weights: sum(w·l) over sum(w)·n/size(w) or over the count of non-zero broadcast weights', () => {
    const w = { shape: [2, 1], data: [1, 0] }; // row 0 weighted 1, row 1 weighted 0
    expect(Array.from(reduce('none', w).values)).toEqual([1, 2, 0, 0]);
    expect(v0(reduce('sum', w))).toBe(3);
    expect(v0(reduce('mean', w))).toBe(1.5); // (3 / 1) / broadcast factor 2
    expect(v0(reduce('sumByNonzeroWeights', w))).toBe(1.5); // 3 / 2 non-zero broadcast weights
  });

  it('all-zero weights: 0 for none and sum, 0/0 = NaN for mean and sumByNonzeroWeights (tfjs divides by the count)', () => {
    for (const w of [0, [0, 0], { shape: [2, 1], data: [0, 0] }, { shape: [2, 2], data: [0, 0, 0, 0] }]) {
      expect(Array.from(reduce('none', w).values)).toEqual([0, 0, 0, 0]);
      expect(v0(reduce('sum', w))).toBe(0);
      expect(exactKind(reduce('mean', w), 0)).toBe('nan');
      expect(exactKind(reduce('sumByNonzeroWeights', w), 0)).toBe('nan');
    }
  });

  it('numbers tf.Reduction by its values', () => {
    expect(reference.TF_REDUCTION).toEqual({ none: 0, mean: 1, sum: 2, sumByNonzeroWeights: 3 });
    expect(() => reduce('average' as reference.Reduction)).toThrow(/reduction' must be one of none, sum, mean, sumByNonzeroWeights/);
  });
});

describe('sums inside losses are marked as accumulations', () => {
  it('the reduced loss carries sum |w·loss| / divisor and the term count; exact cancellation is exact', () => {
    const t = L.computeWeightedLoss([3e38, 1, -3e38], { reduction: 'sum' });
    expect(v0(t)).toBe(1);
    expect(t.terms?.[0]).toBe(3);
    expect(t.absSum?.[0]).toBe(2 * Math.fround(3e38) + 1);
    const m = L.absoluteDifference([0, 0, 0, 0], [1, -2, 3, -4]);
    expect(m.absSum?.[0]).toBe(10 / 4);
    expect(m.terms?.[0]).toBe(4);
  });

  it("a dot product or a softmax row counts its terms into the accumulation, not into the magnitude's partial sums", () => {
    const n = 1000;
    const y = { shape: [1, n], data: new Float32Array(n).fill(0.1) };
    const t = L.cosineDistance(y, y, 1, { reduction: 'none' });
    expect(t.terms?.[0]).toBe(n + 1);
    // magnitude: the n products' roundings and the final 1 - dot, about 2·n·0.01, not n²/2·0.01
    expect(t.magnitude?.[0]).toBeLessThan(3 * n * 0.01);
    const s = L.softmaxCrossEntropy([[0, 1, 0]], [[1, 2, 3]], { reduction: 'none' });
    expect(s.terms?.[0]).toBe(3);
  });
});

describe('the tiers agree: float64 with bounds (and its hand-coded fast paths) gives the exact float32 roundings', () => {
  const exact = { mode: 'exact' } as const;
  const f32 = (t: { values: Float64Array }) => Array.from(t.values, Math.fround);
  const arb = fc.array(fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.float({ noNaN: true, noDefaultInfinity: true })), {
    minLength: 1,
    maxLength: 12,
  });
  it('on random inputs, every loss, reduced and not', () => {
    fc.assert(
      fc.property(arb, fc.constantFrom<reference.Reduction>('none', 'sumByNonzeroWeights', 'sum'), (pairs, reduction) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        const probs = a.map((v) => Math.min(1, Math.abs(v) / (1 + Math.abs(v))));
        const bin = a.map((v) => (v > 0 ? 1 : 0));
        const o = { reduction };
        const cases: [string, () => { values: Float64Array }, () => { values: Float64Array }][] = [
          ['mse', () => L.meanSquaredError(a, b, o), () => L.meanSquaredError(a, b, { ...o, ...exact })],
          ['abs', () => L.absoluteDifference(a, b, o), () => L.absoluteDifference(a, b, { ...o, ...exact })],
          ['huber', () => L.huberLoss(a, b, o), () => L.huberLoss(a, b, { ...o, ...exact })],
          ['hinge', () => L.hingeLoss(bin, b, o), () => L.hingeLoss(bin, b, { ...o, ...exact })],
          ['sce', () => L.sigmoidCrossEntropy(probs, b, o), () => L.sigmoidCrossEntropy(probs, b, { ...o, ...exact })],
          ['cwl', () => L.computeWeightedLoss(a, { ...o, weights: probs }), () => L.computeWeightedLoss(a, { ...o, weights: probs, ...exact })],
          ['cos', () => L.cosineDistance([a], [b], 1, o), () => L.cosineDistance([a], [b], 1, { ...o, ...exact })],
        ];
        for (const [name, tiered, slow] of cases) expect(f32(tiered()), name).toEqual(f32(slow()));
      }),
      { seed: 77, numRuns: 60 },
    );
  });

  it('on long inputs the fast paths need no BigNumber (1e5 elements in well under a second)', () => {
    const n = 100_000;
    const z = new Float32Array(n).fill(0.7);
    const x = Float32Array.from({ length: n }, (_, i) => -50 + i * 0.001);
    const t = L.sigmoidCrossEntropy({ shape: [n], data: z }, { shape: [n], data: x });
    expect(t.stats.slow).toBe(0);
    // the same mean from a plain float64 loop, to float32 precision
    let s = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      s += Math.max(xi, 0) - xi * z[i]! + Math.log1p(Math.exp(-Math.abs(xi)));
    }
    expect(Math.fround(t.values[0]!)).toBe(Math.fround(s / n));
  });
});

describe('exact derivatives of the losses', () => {
  const D = reference.lossDerivatives;
  it('match central differences of the references at ordinary points', () => {
    const y = [0.25, 0.5, 1];
    const p = [0.7, -1.5, 2];
    const h = 1e-6;
    const total = (f: (yy: number[], pp: number[]) => { values: Float64Array }, yy: number[], pp: number[]) => f(yy, pp).values[0]!;
    const check = (
      name: string,
      f: (yy: number[], pp: number[]) => { values: Float64Array },
      d: { [k: string]: { values: Float64Array } },
      keys: [string, string],
    ) => {
      for (let j = 0; j < 3; j++) {
        const up = [...p];
        const dn = [...p];
        up[j]! += h;
        dn[j]! -= h;
        const num = (total(f, y, up) - total(f, y, dn)) / (2 * h);
        expect(d[keys[1]]!.values[j], `${name} d/dp[${j}]`).toBeCloseTo(num, 5);
        const yu = [...y];
        const yd = [...y];
        yu[j]! += h;
        yd[j]! -= h;
        const numY = (total(f, yu, p) - total(f, yd, p)) / (2 * h);
        expect(d[keys[0]]!.values[j], `${name} d/dy[${j}]`).toBeCloseTo(numY, 5);
      }
    };
    const in64 = { inputs: 'float64' } as const;
    check('mse', (a, b) => L.meanSquaredError(a, b, in64), D.meanSquaredError(y, p, in64), ['labels', 'predictions']);
    check('huber', (a, b) => L.huberLoss(a, b, in64), D.huberLoss(y, p, in64), ['labels', 'predictions']);
    check('sce', (a, b) => L.sigmoidCrossEntropy(a, b, in64), D.sigmoidCrossEntropy(y, p, in64), ['multiClassLabels', 'logits']);
    check(
      'logLoss',
      (a, b) =>
        L.logLoss(
          a,
          [0.2, 0.5, 0.9].map((v, i) => v + (b[i]! - p[i]!)),
          in64,
        ),
      D.logLoss(y, [0.2, 0.5, 0.9], in64),
      ['labels', 'predictions'],
    );
  });

  it('softmaxCrossEntropy: logSumExp(x) - x for the labels, softmax(x) - y for the logits', () => {
    const d = D.softmaxCrossEntropy([[0, 1, 0]], [[1, 2, 3]]);
    const lse = 3.40760596444438;
    expect(Array.from(d.onehotLabels!.values).map((v) => v.toFixed(12))).toEqual([lse - 1, lse - 2, lse - 3].map((v) => v.toFixed(12)));
    const sm = [1, 2, 3].map((v) => Math.exp(v - lse));
    expect(Array.from(d.logits!.values).map((v) => v.toFixed(12))).toEqual([sm[0]!, sm[1]! - 1, sm[2]!].map((v) => v.toFixed(12)));
    // at a single +Infinity logit: softmax is 1 there and 0 elsewhere (finite derivative)
    expect(Array.from(D.softmaxCrossEntropy([[1, 0]], [[Infinity, 0]]).logits!.values)).toEqual([0, 0]);
  });

  it('softmaxCrossEntropy at far-apart logits is settled in float64: exp far below the double range is 0 within the least subnormal', () => {
    // exp(-1466545) and exp(-8.6e22) underflow: float64 bounds them (once a NaN error bound that
    // sent every element to BigNumber, ~1 ms an exp, seconds per shrink in the catalog)
    const labels = [
      [1, 0, 0],
      [0, 1, 0],
    ];
    const logits = [
      [1466545, 0, -Infinity],
      [-8.6e22, 3e22, 0],
    ];
    const fast = D.softmaxCrossEntropy(labels, logits, { labelSmoothing: 0.1 });
    const exact = D.softmaxCrossEntropy(labels, logits, { labelSmoothing: 0.1, mode: 'exact' });
    expect(fast.onehotLabels!.stats).toEqual({ fast: 6, slow: 0 });
    expect(fast.logits!.stats.slow).toBe(0);
    // to 2^-30 of the exact derivative (the float64 tier does not certify roundings)
    for (const k of ['onehotLabels', 'logits'] as const)
      exact[k]!.values.forEach((e, i) => {
        if (Number.isFinite(e)) expect(Math.abs(fast[k]!.values[i]! - e)).toBeLessThanOrEqual(2 ** -30 * Math.abs(e));
        else expect(fast[k]!.values[i]).toBe(e); // the -Infinity logit: logSumExp - x is +Infinity
      });
    // logSumExp - x at the row maximum is exactly 0; elsewhere the (huge) gap times 1 - ls, over the 2 rows
    expect(fast.onehotLabels!.values[0]).toBe(0);
    expect(fast.onehotLabels!.values[1]).toBeCloseTo((1466545 * (1 - f(0.1))) / 2, 6); // tfjs smooths with float32 0.1
  });

  it('kinks carry the subgradient interval; weights get their own derivative under each reduction', () => {
    const a = D.absoluteDifference([1, 2], [1, 3]);
    expect(a.predictions!.lower?.[0]).toBe(-0.5);
    expect(a.predictions!.upper?.[0]).toBe(0.5);
    expect(a.predictions!.values[1]).toBe(0.5);
    const w = { shape: [2], data: [2, 0] };
    const losses = [3, 5];
    expect(Array.from(D.computeWeightedLoss(losses, { weights: w, reduction: 'sum' }).weights!.values)).toEqual([3, 5]);
    // sumByNonzeroWeights: the count jumps at a zero weight (no derivative there: NaN)
    const s = D.computeWeightedLoss(losses, { weights: w, reduction: 'sumByNonzeroWeights' }).weights!;
    expect(s.values[0]).toBe(3);
    expect(exactKind(s, 1)).toBe('nan');
    // mean: (sum_{i->k} L_i - S/W) / W = (3 - 6/2) / 2 = 0 and (5 - 3) / 2 = 1
    expect(Array.from(D.computeWeightedLoss(losses, { weights: w, reduction: 'mean' }).weights!.values)).toEqual([0, 1]);
    expect(Array.from(D.computeWeightedLoss(losses, { weights: w, reduction: 'mean' }).losses!.values)).toEqual([1, 0]);
  });
});
