/**
 * The tiered fast path (float64 with proven bounds, BigNumber or exact integers only where
 * needed) must give the same float32 verdicts as evaluating everything exactly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { withReferenceOptions, type ExactTensor, type ReferenceOptions } from '../../src/reference/index.ts';
import { isFloat32Midpoint } from '../../src/core/float32.ts';
import { nextPrecision } from '../../src/reference/arith.ts';
import { MAX_PRECISION } from '../../src/reference/options.ts';

const EXACT: ReferenceOptions = { mode: 'exact' };

/** Extreme float32 inputs: range ends, subnormals, overflow and saturation thresholds. */
const EXTREMES = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2,
  3.4028234663852886e38,
  -3.4028234663852886e38,
  1.401298464324817e-45,
  -1.401298464324817e-45,
  1.1754943508222875e-38,
  88.72283,
  88.7229,
  88.72284,
  -87.33654,
  -103.972,
  -103.98,
  -104,
  17.3287,
  -17.3287,
  13.94,
  -13.94,
  9.01,
  1e-7,
  -1e-7,
  1e-20,
  -1e-20,
  -0.9999999,
  1 + 2 ** -23,
  1 - 2 ** -24,
  710,
  -745,
  1e20,
  -1e20,
  Infinity,
  -Infinity,
  NaN,
].map(Math.fround);

const f32 = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...EXTREMES) },
  { weight: 2, arbitrary: fc.float() }, // the whole float32 line, NaN, infinities and subnormals included
  { weight: 3, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
);

function sameVerdicts(a: ExactTensor, b: ExactTensor): boolean {
  if (a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) {
    if (a.kinds[i] !== b.kinds[i]) return false;
    const x = Math.fround(a.values[i]!);
    const y = Math.fround(b.values[i]!);
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return false;
  }
  return true;
}

function expectSame(tiered: ExactTensor, exact: ExactTensor, what: string): void {
  if (!sameVerdicts(tiered, exact)) {
    throw new Error(
      `${what}: tiered ${Array.from(tiered.values)} (kinds ${Array.from(tiered.kinds)}) vs exact ${Array.from(exact.values)} (kinds ${Array.from(exact.kinds)})`,
    );
  }
}

describe('tiered and all-BigNumber evaluation agree', () => {
  const unary = ['exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'sigmoid', 'logSigmoid', 'softplus', 'tanh', 'elu', 'selu'] as const;
  for (const op of unary) {
    it(`${op} on random and extreme float32`, () => {
      const fn = reference[op] as (x: number[], o?: ReferenceOptions) => ExactTensor;
      let fast = 0;
      let total = 0;
      fc.assert(
        fc.property(fc.array(f32, { minLength: 1, maxLength: 6 }), (xs) => {
          const t = fn(xs);
          fast += t.stats.fast;
          total += xs.length;
          expectSame(t, fn(xs, EXACT), `${op}(${xs})`);
        }),
        { seed: 100 + op.length, numRuns: 20 },
      );
      expect(fast / total).toBeGreaterThan(0.95); // BigNumber is the exception
    });
  }

  it('every extreme input, every unary op', () => {
    for (const op of unary) {
      const fn = reference[op] as (x: number[], o?: ReferenceOptions) => ExactTensor;
      expectSame(fn(EXTREMES), fn(EXTREMES, EXACT), op);
    }
  });

  it('pow', () => {
    const exps = fc.oneof(fc.constantFrom(0, 1, -1, 2, 0.5, 3, -3, 100, -100, 1e-7, Infinity, NaN), fc.float({ min: -50, max: 50, noNaN: true }));
    fc.assert(
      fc.property(fc.array(fc.tuple(f32, exps), { minLength: 1, maxLength: 5 }), (pairs) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        expectSame(reference.pow(a, b), reference.pow(a, b, EXACT), `pow(${a}, ${b})`);
      }),
      { seed: 201, numRuns: 30 },
    );
  });

  const cancelling = fc.oneof(fc.constantFrom(3e38, -3e38, 1, -1, 1e-45, -1e-45, 0.5, 1e20, -1e20, 1e-20, 16777217), f32);

  it('sum, mean, moments and norm, with cancellation', () => {
    fc.assert(
      fc.property(fc.array(cancelling, { minLength: 1, maxLength: 8 }), (xs) => {
        expectSame(reference.sum(xs), reference.sum(xs, null, false, EXACT), `sum(${xs})`);
        expectSame(reference.mean(xs), reference.mean(xs, null, false, EXACT), `mean(${xs})`);
        const m = reference.moments(xs);
        const me = reference.moments(xs, null, false, EXACT);
        expectSame(m.mean, me.mean, `moments.mean(${xs})`);
        expectSame(m.variance, me.variance, `moments.variance(${xs})`);
        expectSame(reference.norm(xs), reference.norm(xs, 'euclidean', null, false, EXACT), `norm(${xs})`);
      }),
      { seed: 202, numRuns: 300 },
    );
  });

  it('matMul, with cancellation', () => {
    fc.assert(
      fc.property(fc.array(cancelling, { minLength: 6, maxLength: 6 }), fc.array(cancelling, { minLength: 6, maxLength: 6 }), (a, b) => {
        const A = { shape: [2, 3], data: a };
        const B = { shape: [3, 2], data: b };
        expectSame(reference.matMul(A, B), reference.matMul(A, B, false, false, EXACT), `matMul(${a}; ${b})`);
      }),
      { seed: 203, numRuns: 200 },
    );
  });

  it('softmax, logSoftmax and logSumExp', () => {
    fc.assert(
      fc.property(fc.array(f32, { minLength: 1, maxLength: 5 }), (row) => {
        expectSame(reference.softmax(row), reference.softmax(row, -1, EXACT), `softmax(${row})`);
        expectSame(reference.logSoftmax(row), reference.logSoftmax(row, -1, EXACT), `logSoftmax(${row})`);
        expectSame(reference.logSumExp(row), reference.logSumExp(row, null, false, EXACT), `logSumExp(${row})`);
      }),
      { seed: 204, numRuns: 40 },
    );
  });

  it('losses', () => {
    const unit = fc.oneof(fc.constantFrom(0, 1, 0.5, 1e-7, 1 - 2 ** -24), fc.float({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(fc.array(fc.tuple(unit, f32), { minLength: 1, maxLength: 3 }), (pairs) => {
        const y = pairs.map((p) => p[0]);
        const p = pairs.map((q) => q[1]);
        const pu = pairs.map((q) => Math.min(1, Math.abs(q[1]) / 100));
        const L = reference.losses;
        for (const reduction of ['none', 'sumByNonzeroWeights'] as const) {
          expectSame(L.meanSquaredError(y, p, { reduction }), L.meanSquaredError(y, p, { reduction, ...EXACT }), `mse ${y} ${p}`);
          expectSame(L.huberLoss(y, p, { reduction }), L.huberLoss(y, p, { reduction, ...EXACT }), `huber ${y} ${p}`);
          expectSame(L.hingeLoss(y, p, { reduction }), L.hingeLoss(y, p, { reduction, ...EXACT }), `hinge ${y} ${p}`);
          expectSame(L.logLoss(y, pu, { reduction }), L.logLoss(y, pu, { reduction, ...EXACT }), `logLoss ${y} ${pu}`);
          expectSame(L.sigmoidCrossEntropy(y, p, { reduction }), L.sigmoidCrossEntropy(y, p, { reduction, ...EXACT }), `sce ${y} ${p}`);
        }
        const row = [p];
        const onehot = [p.map((_, i) => (i === 0 ? 1 : 0))];
        expectSame(L.softmaxCrossEntropy(onehot, row), L.softmaxCrossEntropy(onehot, row, EXACT), `smce ${p}`);
        expectSame(L.cosineDistance([y], [pu], 1), L.cosineDistance([y], [pu], 1, EXACT), `cos ${y} ${pu}`);
      }),
      { seed: 205, numRuns: 25 },
    );
  });

  it('optimizer steps', () => {
    const small = fc.oneof(fc.constantFrom(0, 1e-20, -1e-20, 1e-45, 1, -1, 1e10), fc.float({ min: -10, max: 10, noNaN: true }));
    fc.assert(
      fc.property(small, small, small, fc.float({ min: 0, max: 10, noNaN: true }), (value, gradient, m, v) => {
        const args = { value: [value], gradient: [gradient] };
        const T = reference.train;
        expectSame(T.sgd({ ...args, learningRate: 0.1 }).value, T.sgd({ ...args, learningRate: 0.1 }, EXACT).value, 'sgd');
        expectSame(
          T.momentum({ ...args, learningRate: 0.1, momentum: 0.9, accumulation: [m] }).value,
          T.momentum({ ...args, learningRate: 0.1, momentum: 0.9, accumulation: [m] }, EXACT).value,
          'momentum',
        );
        expectSame(T.adagrad({ ...args, learningRate: 0.1 }).value, T.adagrad({ ...args, learningRate: 0.1 }, EXACT).value, 'adagrad');
        expectSame(T.adadelta(args).value, T.adadelta(args, EXACT).value, 'adadelta');
        const adam = { ...args, firstMoment: [m], secondMoment: [v], step: 2 };
        expectSame(T.adam(adam).value, T.adam(adam, EXACT).value, `adam ${value} ${gradient} ${m} ${v}`);
        expectSame(T.adamax(args).value, T.adamax(args, EXACT).value, 'adamax');
        const rms = { ...args, learningRate: 0.01, centered: true, meanSquare: [v] };
        expectSame(T.rmsprop(rms).value, T.rmsprop(rms, EXACT).value, `rmsprop ${value} ${gradient} ${v}`);
      }),
      { seed: 206, numRuns: 15 },
    );
  });
});

describe('the fast path hands the hard cases to BigNumber', () => {
  /** Doubles whose exp / log / sqrt lands within 1e-15 of a float32 rounding midpoint. */
  const midpoints = [1 + 2 ** -24, 1 + 3 * 2 ** -24, 1.5 + 2 ** -24, 3 + 2 ** -23, 100 + 2 ** -18, 2 ** -130 + 2 ** -150];

  it('near-midpoint results (float64 inputs) are settled by BigNumber, identically to exact mode', () => {
    for (const M of midpoints) {
      expect(isFloat32Midpoint(M)).toBe(true);
      withReferenceOptions({ inputs: 'float64' }, () => {
        const cases: [string, () => ExactTensor, () => ExactTensor][] = [
          ['exp', () => reference.exp([Math.log(M)]), () => reference.exp([Math.log(M)], EXACT)],
          ...(M > 1e-10
            ? ([['log', () => reference.log([Math.exp(M)]), () => reference.log([Math.exp(M)], EXACT)]] as [string, () => ExactTensor, () => ExactTensor][])
            : []),
          ['sqrt', () => reference.sqrt([M * M]), () => reference.sqrt([M * M], EXACT)],
        ];
        for (const [name, tiered, exact] of cases) {
          const t = tiered();
          expect(t.stats.slow, `${name} near ${M}`).toBe(1);
          expectSame(t, exact(), `${name} near ${M}`);
        }
      });
    }
  });

  it('near-midpoint softmax, logSoftmax and logSumExp are settled in double-double, as exact mode does', () => {
    for (const M of [0.25 + 2 ** -26, 0.75 + 2 ** -25, 1 + 2 ** -24, 3 + 2 ** -23]) {
      expect(isFloat32Midpoint(M)).toBe(true);
      withReferenceOptions({ inputs: 'float64' }, () => {
        const cases: [string, () => ExactTensor, () => ExactTensor][] = [];
        if (M < 1) {
          const x = Math.log(1 / M - 1); // softmax([0, x])[0] = 1 / (1 + e^x) = M
          cases.push(['softmax', () => reference.softmax([0, x]), () => reference.softmax([0, x], -1, EXACT)]);
        }
        const y = Math.log(Math.expm1(M)); // log1p(e^y) = M
        cases.push(['logSumExp', () => reference.logSumExp([0, y]), () => reference.logSumExp([0, y], null, false, EXACT)]);
        cases.push(['logSoftmax', () => reference.logSoftmax([y, 0]), () => reference.logSoftmax([y, 0], -1, EXACT)]);
        for (const [name, tiered, exact] of cases) {
          const t = tiered();
          expect(t.stats.slow, `${name} near ${M}`).toBeGreaterThan(0);
          expectSame(t, exact(), `${name} near ${M}`);
        }
      });
    }
  });

  it('an exact midpoint rounds half to even (sqrt of a squared midpoint)', () => {
    const M = 1 + 2 ** -24; // halfway between 1 and 1 + 2^-23
    const t = withReferenceOptions({ inputs: 'float64' }, () => reference.sqrt([M * M]));
    expect(t.values[0]).toBe(M);
    expect(Math.fround(t.values[0]!)).toBe(1);
    const up = 1 + 3 * 2 ** -24; // halfway between 1 + 2^-23 and 1 + 2^-22: even is 1 + 2^-22
    const u = withReferenceOptions({ inputs: 'float64' }, () => reference.sqrt([up * up]));
    expect(Math.fround(u.values[0]!)).toBe(1 + 2 ** -22);
  });

  it('values just off a midpoint are nudged so that float32 rounding stays correct', () => {
    // log(exp(M)) lands a hair away from M, on the true side
    const M = 1 + 2 ** -24;
    const x = Math.exp(M);
    const t = withReferenceOptions({ inputs: 'float64' }, () => reference.log([x]));
    const e = withReferenceOptions({ inputs: 'float64' }, () => reference.log([x], { mode: 'exact', precision: 200 }));
    expect(Math.fround(t.values[0]!)).toBe(Math.fround(e.values[0]!));
    expect(isFloat32Midpoint(t.values[0]!)).toBe(false);
  });

  it('cancellation goes to the exact path: 3e38 + 1 - 3e38 is 1, not 0', () => {
    const t = reference.sum([3e38, 1, -3e38]);
    expect(t.values[0]).toBe(1);
    expect(t.stats.slow).toBe(1);
    const lse = reference.logSumExp([-0.6931471805599453, -0.6931471805599453]); // log(1/2 + 1/2) ~ 0
    expect(Math.abs(lse.values[0]!)).toBeLessThan(1e-7);
    expectSame(lse, reference.logSumExp([-0.6931471805599453, -0.6931471805599453], null, false, EXACT), 'lse');
  });
});

describe('BigNumber precision steps (Ziv)', () => {
  it('doubles the digits, and past half of the most goes straight to the most', () => {
    const ladder = (p: number): number[] => {
      const steps = [p];
      while (steps.at(-1)! < MAX_PRECISION) steps.push(nextPrecision(steps.at(-1)!));
      return steps;
    };
    expect(ladder(50)).toEqual([50, 100, 200, 400, 1000]);
    expect(ladder(24)).toEqual([24, 48, 96, 192, 384, 1000]);
    expect(ladder(300)).toEqual([300, 1000]);
    expect(ladder(250)).toEqual([250, 500, 1000]);
  });
});
