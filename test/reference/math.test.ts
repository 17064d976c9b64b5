import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as reference from '../../src/reference/index.ts';
import { exactFloat32, exactKind, type ExactTensor } from '../../src/reference/index.ts';
import { bigClass, bigOf } from '../../src/reference/bignumber.ts';
import { bigToDouble } from '../../src/reference/arith.ts';

function one(t: ExactTensor): number {
  expect(t.values.length).toBe(1);
  return t.values[0]!;
}

/** The reference value equals the published constant to float64 precision and rounds to the same float32. */
function matchesConstant(t: ExactTensor, digits: string): void {
  const v = one(t);
  const c = Number(digits);
  expect(exactKind(t, 0)).toBe('finite');
  expect(Math.abs(v - c)).toBeLessThanOrEqual(Math.abs(c) * 2 ** -51);
  expect(exactFloat32(t, 0)).toBe(Math.fround(c));
}

/** float32 values over the whole range: exponent-uniform magnitudes, both signs, and small ones. */
const wide = fc
  .tuple(fc.double({ min: -149, max: 127.9, noNaN: true }), fc.double({ min: 1, max: 2, noNaN: true }), fc.boolean())
  .map(([e, m, neg]) => Math.fround((neg ? -1 : 1) * m * 2 ** Math.floor(e)))
  .filter((v) => Number.isFinite(v) && v !== 0);

describe('math references at published constants', () => {
  it('trigonometric functions and their inverses', () => {
    matchesConstant(reference.sin(1), '0.8414709848078965066525023216302989996226');
    matchesConstant(reference.cos(1), '0.5403023058681397174009366074429766037323');
    matchesConstant(reference.tan(1), '1.557407724654902230506974807458360173087');
    matchesConstant(reference.asin(0.5), '0.5235987755982988730771072305465838140329'); // pi/6
    matchesConstant(reference.acos(0.5), '1.047197551196597746154214461093167628066'); // pi/3
    matchesConstant(reference.atan(1), '0.7853981633974483096156608458198757210493'); // pi/4
    matchesConstant(reference.atan(Infinity), '1.570796326794896619231321691639751442099');
    matchesConstant(reference.acos(-1), '3.141592653589793238462643383279502884197');
  });

  it('hyperbolic functions and their inverses', () => {
    matchesConstant(reference.sinh(1), '1.175201193643801456882381850595600815156');
    matchesConstant(reference.cosh(1), '1.543080634815243778477905620757061682602');
    matchesConstant(reference.asinh(1), '0.8813735870195430252326093249797923090282'); // ln(1 + sqrt 2)
    matchesConstant(reference.acosh(2), '1.316957896924816708625046347614588250012'); // ln(2 + sqrt 3)
    matchesConstant(reference.atanh(0.5), '0.5493061443340548456976226184612628523238'); // ln(3)/2
    matchesConstant(reference.cosh(100), '1.344058570908067723362193731700712e43'); // rounds to Infinity in float32: correct
    expect(exactFloat32(reference.cosh(100), 0)).toBe(Infinity);
  });

  it('erf, with and without BigNumber', () => {
    const erf = {
      '0.5': '0.5204998778130465376827466538919645457',
      '1': '0.8427007929497148693412206350826092592960',
      '2': '0.9953222650189527341620692563672529286109',
      '3': '0.9999779095030014145586272238704176796202',
    };
    for (const [x, v] of Object.entries(erf)) {
      // the float64 series is within a few ulp64 (not correctly rounded to float64): same float32
      expect(Math.abs(one(reference.erf(Number(x))) - Number(v))).toBeLessThanOrEqual(2 ** -48);
      expect(exactFloat32(reference.erf(Number(x)), 0)).toBe(Math.fround(Number(v)));
      matchesConstant(reference.erf(Number(x), { mode: 'exact' }), v);
      matchesConstant(reference.erf(-Number(x), { mode: 'exact' }), `-${v}`);
    }
    // erf(x) = 2x/sqrt(pi) for tiny x, subnormal results included
    expect(exactFloat32(reference.erf(1e-40), 0)).toBe(Math.fround(1.1283791670955126 * Math.fround(1e-40)));
    expect(one(reference.erf(7))).toBe(1);
    // above 6, BigNumber uses 1 - erfc from Laplace's continued fraction (erfc(6) = 2.15e-17: 1 in float64)
    expect(one(reference.erf(6, { mode: 'exact' }))).toBe(1);
    matchesConstant(reference.erf(4.5, { mode: 'exact' }), '0.9999999998033839558457112');
    expect(one(reference.erf(-1e30, { mode: 'exact' }))).toBe(-1);
  });

  it('sin, cos and tan of huge arguments (full argument reduction)', () => {
    // 2^127 and the largest float32; values from decimal.js at 60 digits on the exact inputs
    matchesConstant(reference.sin(3.4028234663852886e38), '-0.521876523333658540551505357019806722935726278007348858996733');
    matchesConstant(reference.tan(3.4028234663852886e38), '-0.611797949834248061162495978343832077622914486715649180493731');
    const x = Math.fround(1e22);
    const D = bigClass(80);
    for (const f of ['sin', 'cos', 'tan'] as const) {
      expect(exactFloat32(reference[f](x), 0)).toBe(Math.fround(bigToDouble(bigOf(D, x)[f]())));
    }
  });
});

describe('special values (IEEE 754 / C99 Annex F)', () => {
  const cases: [string, (x: number) => ExactTensor, number, string, number][] = [
    ['sin(Infinity)', reference.sin, Infinity, 'nan', NaN],
    ['cos(-Infinity)', reference.cos, -Infinity, 'nan', NaN],
    ['tan(NaN)', reference.tan, NaN, 'nan', NaN],
    ['sin(-0)', reference.sin, -0, 'finite', -0],
    ['asin(1.5)', reference.asin, 1.5, 'nan', NaN],
    ['acos(1)', reference.acos, 1, 'finite', 0],
    ['atanh(1)', reference.atanh, 1, '+inf', Infinity],
    ['atanh(-1)', reference.atanh, -1, '-inf', -Infinity],
    ['atanh(2)', reference.atanh, 2, 'nan', NaN],
    ['acosh(0.5)', reference.acosh, 0.5, 'nan', NaN],
    ['acosh(1)', reference.acosh, 1, 'finite', 0],
    ['asinh(-Infinity)', reference.asinh, -Infinity, '-inf', -Infinity],
    ['sinh(-Infinity)', reference.sinh, -Infinity, '-inf', -Infinity],
    ['cosh(-Infinity)', reference.cosh, -Infinity, '+inf', Infinity],
    ['sinh(1000) is finite, beyond float64', reference.sinh, 1000, 'finite', Infinity],
    ['erf(-Infinity)', reference.erf, -Infinity, 'finite', -1],
    ['erf(-0)', reference.erf, -0, 'finite', -0],
    ['reciprocal(-0)', reference.reciprocal, -0, '-inf', -Infinity],
    ['reciprocal(Infinity)', reference.reciprocal, Infinity, 'finite', 0],
    ['sign(NaN)', reference.sign, NaN, 'nan', NaN],
    ['sign(-0)', reference.sign, -0, 'finite', -0],
    ['square(-Infinity)', reference.square, -Infinity, '+inf', Infinity],
    ['round(NaN)', reference.round, NaN, 'nan', NaN],
    ['floor(-Infinity)', reference.floor, -Infinity, '-inf', -Infinity],
    ['relu(NaN)', reference.relu, NaN, 'nan', NaN],
    ['relu6(NaN)', reference.relu6, NaN, 'nan', NaN],
    ['relu6(Infinity)', reference.relu6, Infinity, 'finite', 6],
    ['isNan(NaN)', reference.isNan, NaN, 'finite', 1],
    ['isInf(-Infinity)', reference.isInf, -Infinity, 'finite', 1],
    ['isFiniteValue(NaN)', reference.isFiniteValue, NaN, 'finite', 0],
  ];
  for (const [name, f, x, kind, value] of cases) {
    it(name, () => {
      const t = f(x);
      expect(exactKind(t, 0)).toBe(kind);
      expect(Object.is(t.values[0], value)).toBe(true);
    });
  }

  it('round is half to even; step and leakyRelu keep NaN; prelu is IEEE at (-Infinity, 0)', () => {
    expect(Array.from(reference.round([0.5, 1.5, 2.5, -0.5, -2.5, 2.4999998]).values)).toEqual([0, 2, 2, -0, -2, 2]);
    expect(Array.from(reference.step([NaN, 0, 1e-45, -3]).values)).toEqual([NaN, 0, 1, 0]);
    expect(Array.from(reference.step([0, -1], 0.5).values)).toEqual([0.5, 0.5]);
    expect(Array.from(reference.leakyRelu([NaN, -Infinity, 2]).values)).toEqual([NaN, -Infinity, 2]);
    const p = reference.prelu([-Infinity, -2, 3, NaN, 0], [0, 0.5, 0.5, 1, -Infinity]);
    expect(Array.from(p.values)).toEqual([NaN, -1, 3, NaN, 0]);
  });
});

describe('tiers agree: float64 with error bounds and BigNumber round to the same float32', () => {
  const ops = ['sin', 'cos', 'tan', 'atan', 'sinh', 'cosh', 'asinh', 'erf', 'reciprocal'] as const;
  for (const op of ops) {
    it(`${op} on float32 values over the whole range`, () => {
      const xs = fc.sample(wide, { seed: 7, numRuns: 40 });
      const fast = reference[op](xs);
      const exact = reference[op](xs, { mode: 'exact' });
      expect(fast.stats.slow).toBe(0);
      expect(exact.stats.slow).toBeGreaterThan(xs.length / 2); // all but the overflows (sinh, cosh beyond 711)
      for (let i = 0; i < xs.length; i++) expect(exactFloat32(fast, i), `${op}(${xs[i]})`).toBe(exactFloat32(exact, i));
    });
  }
  it('asin, acos, atanh on [-1, 1] and acosh above 1', () => {
    const unit = fc
      .sample(
        wide.map((v) => Math.fround(v / 3.5e38)),
        { seed: 8, numRuns: 30 },
      )
      .concat([Math.fround(1 - 2 ** -24), -0.5, Math.fround(0.99)]);
    for (const op of ['asin', 'acos', 'atanh'] as const) {
      const fast = reference[op](unit);
      const exact = reference[op](unit, { mode: 'exact' });
      for (let i = 0; i < unit.length; i++) expect(exactFloat32(fast, i), `${op}(${unit[i]})`).toBe(exactFloat32(exact, i));
    }
    const big = fc
      .sample(wide, { seed: 9, numRuns: 30 })
      .map((v) => Math.abs(v) + 1)
      .map(Math.fround);
    const fast = reference.acosh(big);
    const exact = reference.acosh(big, { mode: 'exact' });
    for (let i = 0; i < big.length; i++) expect(exactFloat32(fast, i), `acosh(${big[i]})`).toBe(exactFloat32(exact, i));
  });

  it('leakyRelu is the correctly rounded product alpha·x (alpha the double 0.2)', () => {
    const D = bigClass(500);
    const alpha = bigOf(D, 0.2);
    fc.assert(
      fc.property(wide, (x) => {
        const want = Math.fround(x < 0 ? bigToDouble(alpha.times(bigOf(D, x))) : x);
        return exactFloat32(reference.leakyRelu(x), 0) === want;
      }),
      { seed: 10, numRuns: 300 },
    );
  });
});

describe('math derivatives', () => {
  it('values at published points', () => {
    matchesConstant(reference.mathDerivatives.tan(1).x!, '3.425518820814759'); // 1/cos²(1)
    matchesConstant(reference.mathDerivatives.asin(0.5).x!, '1.1547005383792515290182975610039149112953'); // 2/sqrt(3)
    matchesConstant(reference.mathDerivatives.erf(0).x!, '1.1283791670955125738961589031215451716881');
    matchesConstant(reference.mathDerivatives.acosh(2).x!, '0.5773502691896257645091487805019574556476'); // 1/sqrt(3)
    matchesConstant(reference.mathDerivatives.atan(2).x!, '0.2');
    matchesConstant(reference.mathDerivatives.reciprocal(3).x!, `-${1 / 9}`);
    // tiers agree on the derivatives too
    const xs = fc.sample(wide, { seed: 11, numRuns: 20 });
    for (const op of ['tan', 'atan', 'asinh', 'erf', 'cos'] as const) {
      const fast = reference.mathDerivatives[op](xs).x!;
      const exact = reference.mathDerivatives[op](xs, { mode: 'exact' }).x!;
      for (let i = 0; i < xs.length; i++) expect(exactFloat32(fast, i), `${op}'(${xs[i]})`).toBe(exactFloat32(exact, i));
    }
  });

  it('edges of the domain, kinks and jumps', () => {
    const a = reference.mathDerivatives.asin([1, -1, 2]).x!;
    expect(Array.from(a.values)).toEqual([Infinity, Infinity, NaN]);
    expect([0, 1, 2].map((i) => exactKind(a, i))).toEqual(['+inf', '+inf', 'nan']);
    expect(one(reference.mathDerivatives.acosh(1).x!)).toBe(Infinity);
    expect(one(reference.mathDerivatives.atan(-Infinity).x!)).toBe(0);
    expect(one(reference.mathDerivatives.sinh(-Infinity).x!)).toBe(Infinity);
    // kinks: the interval of one-sided derivatives
    const abs = reference.mathDerivatives.abs([0, -2]).x!;
    expect([abs.lower![0], abs.upper![0], abs.values[1]]).toEqual([-1, 1, -1]);
    const relu6 = reference.mathDerivatives.relu6([0, 6, 3]).x!;
    expect([relu6.lower![0], relu6.upper![0], relu6.lower![1], relu6.upper![1], relu6.values[2]]).toEqual([0, 1, 0, 1, 1]);
    const leaky = reference.leakyReluDerivative([0, -1, 1]).x!;
    expect([leaky.lower![0], leaky.upper![0], leaky.values[1], leaky.values[2]]).toEqual([0.2, 1, 0.2, 1]);
    // jumps: no derivative (kind nan), 0 elsewhere
    const floor = reference.mathDerivatives.floor([2, 2.5]).x!;
    expect([exactKind(floor, 0), exactKind(floor, 1), floor.values[1]]).toEqual(['nan', 'finite', 0]);
    const round = reference.mathDerivatives.round([2.5, 2]).x!;
    expect([exactKind(round, 0), round.values[1]]).toEqual(['nan', 0]);
    expect(exactKind(reference.stepDerivative(0).x!, 0)).toBe('nan');
  });

  it("prelu's derivatives: alpha's is the sum of x below 0 over the broadcast axis (an accumulation)", () => {
    const d = reference.preluDerivative({ shape: [2, 2], data: [-1, 2, -3, 0] }, [0.5, 0.25]);
    expect(Array.from(d.x!.values)).toEqual([0.5, 1, 0.5, 0.25]);
    expect([d.x!.lower![3], d.x!.upper![3]]).toEqual([0.25, 1]);
    expect(Array.from(d.alpha!.values)).toEqual([-4, 0]);
    expect(Array.from(d.alpha!.absSum!)).toEqual([4, 0]);
    expect(Array.from(d.alpha!.terms!)).toEqual([2, 2]);
  });
});
