import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactKind, exactFloat32, type ExactTensor } from '../../src/reference/index.ts';

/** Published constants, to 40+ digits. */
const E = '2.718281828459045235360287471352662497757247';
const C = {
  e: E,
  expMinus1: '0.3678794411714423215955237701614608674458',
  sqrtE: '1.648721270700128146848650787814163571653776',
  expm1Of1: '1.718281828459045235360287471352662497757247',
  ln2: '0.6931471805599453094172321214581765680755',
  ln10: '2.302585092994045684017991454684364207601',
  sqrt2: '1.414213562373095048801688724209698078570',
  rsqrt2: '0.7071067811865475244008443621048490392848',
  tanh1: '0.7615941559557648881194582826047935904128',
  tanhHalf: '0.4621171572600097585023184836436725487303',
  sigmoid1: '0.7310585786300048792511592418218362743651',
  softplus1: '1.313261687518222834048995494967855641915',
  eluMinus1: '-0.6321205588285576784044762298385391325541',
  seluMinus1: '-1.111330737812562798',
  seluOne: '1.0507009873554804934193349852946',
};

function one(t: ExactTensor): number {
  expect(t.values.length).toBe(1);
  return t.values[0]!;
}

/** The reference value equals the published constant to float64 precision and rounds to the same float32. */
function matchesConstant(t: ExactTensor, digits: string): void {
  const v = one(t);
  const c = Number(digits);
  expect(exactKind(t, 0)).toBe('finite');
  expect(Math.abs(v - c)).toBeLessThanOrEqual(Math.abs(c) * 2 ** -52);
  expect(exactFloat32(t, 0)).toBe(Math.fround(c));
}

describe('elementwise references at published constants', () => {
  it('exp, expm1', () => {
    matchesConstant(reference.exp(1), C.e);
    matchesConstant(reference.exp(-1), C.expMinus1);
    matchesConstant(reference.exp(0.5), C.sqrtE);
    matchesConstant(reference.expm1(1), C.expm1Of1);
    expect(one(reference.exp(0))).toBe(1);
  });

  it('log, log1p', () => {
    matchesConstant(reference.log(2), C.ln2);
    matchesConstant(reference.log(10), C.ln10);
    matchesConstant(reference.log(0.5), `-${C.ln2}`);
    matchesConstant(reference.log1p(1), C.ln2);
    matchesConstant(reference.log1p(-0.5), `-${C.ln2}`);
    expect(one(reference.log(1))).toBe(0);
    // ln(2^-149) = -149 ln 2, the log of the smallest subnormal
    expect(one(reference.log(1.4e-45))).toBeCloseTo(-149 * Math.LN2, 12);
    expect(exactFloat32(reference.log(1.4e-45), 0)).toBe(Math.fround(-103.27892990343185));
  });

  it('sqrt, rsqrt', () => {
    matchesConstant(reference.sqrt(2), C.sqrt2);
    matchesConstant(reference.rsqrt(2), C.rsqrt2);
    expect(one(reference.sqrt(6.25))).toBe(2.5);
    expect(one(reference.rsqrt(0.25))).toBe(2);
  });

  it('sigmoid, softplus, logSigmoid, tanh', () => {
    matchesConstant(reference.sigmoid(1), C.sigmoid1);
    expect(one(reference.sigmoid(0))).toBe(0.5);
    matchesConstant(reference.softplus(1), C.softplus1);
    matchesConstant(reference.softplus(0), C.ln2);
    matchesConstant(reference.logSigmoid(0), `-${C.ln2}`);
    matchesConstant(reference.logSigmoid(-1), `-${C.softplus1}`);
    matchesConstant(reference.tanh(1), C.tanh1);
    matchesConstant(reference.tanh(0.5), C.tanhHalf);
    matchesConstant(reference.tanh(-1), `-${C.tanh1}`);
  });

  it('elu and selu with tfjs constants', () => {
    matchesConstant(reference.elu(-1), C.eluMinus1);
    expect(one(reference.elu(3))).toBe(3);
    matchesConstant(reference.selu(1), C.seluOne);
    matchesConstant(reference.selu(-1), C.seluMinus1);
  });

  it('pow', () => {
    expect(one(reference.pow(3, 2))).toBe(9);
    expect(one(reference.pow(-2, 3))).toBe(-8);
    matchesConstant(reference.pow(2, 0.5), C.sqrt2);
    expect(one(reference.pow(Number(C.e), 1))).toBe(Math.fround(Number(C.e))); // inputs are read as float32
    expect(one(reference.pow(2, -149))).toBe(2 ** -149);
    const b = reference.pow([2, 4], 0.5); // broadcasting
    expect(Array.from(b.values)).toEqual([Math.SQRT2, 2]);
  });
});

describe('the float32 facts of the docs (docs/writing-properties.md, docs/catalog.md), from the references', () => {
  it('exp overflows float32 just above 88.72283', () => {
    const below = reference.exp(88.72283);
    expect(Number.isFinite(exactFloat32(below, 0))).toBe(true);
    const above = reference.exp(88.7229);
    expect(exactKind(above, 0)).toBe('finite'); // the exact answer is a real number...
    expect(exactFloat32(above, 0)).toBe(Infinity); // ...that rounds to +Infinity
    const huge = reference.exp(1000);
    expect(exactKind(huge, 0)).toBe('finite');
    expect(huge.values[0]).toBe(Infinity); // beyond float64 too
    expect(one(reference.exp(100))).toBeCloseTo(2.6881171418161356e43, -29);
  });

  it('sigmoid rounds to 1 at 17.3287 and to 0 below -103.972', () => {
    expect(exactFloat32(reference.sigmoid(17.33), 0)).toBe(1);
    expect(one(reference.sigmoid(17.33))).toBeLessThan(1);
    expect(exactFloat32(reference.sigmoid(17.0), 0)).toBeLessThan(1);
    expect(exactFloat32(reference.sigmoid(-104), 0)).toBe(0);
    expect(one(reference.sigmoid(-104))).toBeGreaterThan(0);
    expect(exactFloat32(reference.sigmoid(-103.9), 0)).toBeGreaterThan(0);
  });

  it('log1p of tiny arguments is not log(1 + x)', () => {
    const x = Math.fround(1e-10);
    expect(one(reference.log1p(x))).toBeCloseTo(x - (x * x) / 2, 30);
    expect(Math.fround(Math.log(1 + x))).not.toBe(exactFloat32(reference.log1p(x), 0));
    const sub = reference.log1p(1e-45);
    expect(one(sub)).toBe(Math.fround(1e-45)); // log1p(x) = x - x^2/2: x to double precision
  });
});

describe('definitional values', () => {
  const cases: [string, (x: number) => ExactTensor, number, number, string][] = [
    ['log(0)', (x) => reference.log(x), 0, -Infinity, '-inf'],
    ['log(-0)', (x) => reference.log(x), -0, -Infinity, '-inf'],
    ['log(-1)', (x) => reference.log(x), -1, NaN, 'nan'],
    ['log(+Inf)', (x) => reference.log(x), Infinity, Infinity, '+inf'],
    ['log1p(-1)', (x) => reference.log1p(x), -1, -Infinity, '-inf'],
    ['log1p(-2)', (x) => reference.log1p(x), -2, NaN, 'nan'],
    ['sqrt(-1)', (x) => reference.sqrt(x), -1, NaN, 'nan'],
    ['sqrt(-0)', (x) => reference.sqrt(x), -0, -0, 'finite'],
    ['rsqrt(0)', (x) => reference.rsqrt(x), 0, Infinity, '+inf'],
    ['rsqrt(-0)', (x) => reference.rsqrt(x), -0, -Infinity, '-inf'],
    ['rsqrt(Inf)', (x) => reference.rsqrt(x), Infinity, 0, 'finite'],
    ['exp(-Inf)', (x) => reference.exp(x), -Infinity, 0, 'finite'],
    ['exp(Inf)', (x) => reference.exp(x), Infinity, Infinity, '+inf'],
    ['expm1(-Inf)', (x) => reference.expm1(x), -Infinity, -1, 'finite'],
    ['exp(NaN)', (x) => reference.exp(x), NaN, NaN, 'nan'],
    ['tanh(Inf)', (x) => reference.tanh(x), Infinity, 1, 'finite'],
    ['tanh(-0)', (x) => reference.tanh(x), -0, -0, 'finite'],
    ['sigmoid(-Inf)', (x) => reference.sigmoid(x), -Infinity, 0, 'finite'],
    ['softplus(Inf)', (x) => reference.softplus(x), Infinity, Infinity, '+inf'],
    ['logSigmoid(-Inf)', (x) => reference.logSigmoid(x), -Infinity, -Infinity, '-inf'],
    ['elu(-Inf)', (x) => reference.elu(x), -Infinity, -1, 'finite'],
  ];
  for (const [name, f, x, value, kind] of cases) {
    it(name, () => {
      const t = f(x);
      expect(exactKind(t, 0)).toBe(kind);
      expect(Object.is(t.values[0], value)).toBe(true);
    });
  }

  it('selu(-Inf) is -SCALEALPHA and pow follows C99 Annex F on special inputs', () => {
    expect(one(reference.selu(-Infinity))).toBe(-1.7580993408473768);
    const p = reference.pow([0, 0, -8, 0, 1, -0], [-1, 0, 1 / 3, 2, Infinity, -3]);
    expect(Array.from(p.values)).toEqual([Infinity, 1, NaN, 0, 1, -Infinity]); // pow(1, Infinity) = 1 (Math.pow: NaN)
    expect([0, 1, 2, 3, 4, 5].map((i) => exactKind(p, i))).toEqual(['+inf', 'finite', 'nan', 'finite', 'finite', '-inf']);
    // where C99 and Math.pow differ: pow(1, NaN), pow(±1, ±Infinity), pow(NaN, ±0) are 1
    const c99 = reference.pow([1, 1, -1, -1, NaN, NaN, 1], [NaN, -Infinity, Infinity, -Infinity, 0, -0, Infinity]);
    expect(Array.from(c99.values)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(reference.pow([NaN, 2, -Infinity, -Infinity, 0.5], [1, NaN, 3, -2, -Infinity]).values)).toEqual([NaN, NaN, -Infinity, 0, Infinity]);
    const big = reference.pow(1e30, 20);
    expect(exactKind(big, 0)).toBe('finite');
    expect(big.values[0]).toBe(Infinity);
  });
});

describe('identities', () => {
  const moderate = fc.float({ min: -20, max: 20, noNaN: true });
  it('sigmoid(x) + sigmoid(-x) = 1, softplus(x) - softplus(-x) = x, logSigmoid = -softplus(-x)', () => {
    fc.assert(
      fc.property(moderate, (x) => {
        const s = reference.sigmoid([x, -x]).values;
        const sp = reference.softplus([x, -x]).values;
        const ls = reference.logSigmoid(x).values[0]!;
        return Math.abs(s[0]! + s[1]! - 1) <= 4e-16 && Math.abs(sp[0]! - sp[1]! - x) <= 1e-14 * Math.max(1, Math.abs(x)) && ls === -sp[1]!;
      }),
      { seed: 31, numRuns: 200 },
    );
  });

  it('tanh(x) = 2 sigmoid(2x) - 1 and log(exp(x)) = x', () => {
    fc.assert(
      fc.property(fc.float({ min: -5, max: 5, noNaN: true }), (x) => {
        const t = reference.tanh(x).values[0]!;
        const s = reference.sigmoid(Math.fround(2 * x)).values[0]!;
        const e = reference.exp(x).values[0]!;
        const back = Math.log(e);
        return Math.abs(t - (2 * s - 1)) <= 1e-15 && Math.abs(back - x) <= 1e-15 * Math.max(1, Math.abs(x));
      }),
      { seed: 32, numRuns: 200 },
    );
  });

  it('sqrt(x)^2 = x, rsqrt(x) sqrt(x) = 1, expm1(x) = exp(x) - 1 for moderate x', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(1e-3), max: 1e3, noNaN: true }), (x) => {
        const s = reference.sqrt(x).values[0]!;
        const r = reference.rsqrt(x).values[0]!;
        const m = reference.expm1(Math.fround(x / 100)).values[0]!;
        const e = reference.exp(Math.fround(x / 100)).values[0]!;
        return Math.abs(s * s - x) <= 4e-16 * x && Math.abs(r * s - 1) <= 4e-16 && Math.abs(m - (e - 1)) <= 1e-15 * e;
      }),
      { seed: 33, numRuns: 200 },
    );
  });

  it('keeps shapes and reads TensorValue-like inputs', () => {
    const t = reference.exp({ shape: [2, 2], data: new Float32Array([0, 1, 2, 3]), dtype: 'float32' });
    expect(t.shape).toEqual([2, 2]);
    expect(t.values[0]).toBe(1);
    expect(
      reference.exp([
        [0, 1],
        [2, 3],
      ]).shape,
    ).toEqual([2, 2]);
    expect(reference.exp(5).shape).toEqual([]);
  });
});
