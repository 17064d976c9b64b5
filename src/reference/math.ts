/**
 * Exact references for the rest of tfjs's elementwise ops of one tensor, and their derivatives:
 * abs, neg, sign, square, reciprocal, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh,
 * atanh, erf, round, floor, ceil, isNaN, isInf, isFinite, relu, relu6, leakyRelu, step and prelu
 * (exp, log, sqrt, tanh, sigmoid... are in elementwise.ts).
 *
 * Each op is a {@link MathOp} with three parts, like elementwise.ts's UnaryOp:
 *
 * - `special`: answers fixed by definition, IEEE 754 / C99 Annex F: NaN propagates (sign(NaN),
 *   relu(NaN), round(NaN) are NaN), sin/cos/tan(±Infinity) = NaN, atanh(±1) = ±Infinity,
 *   acosh(x < 1) = NaN, erf(±Infinity) = ±1, reciprocal(±0) = ±Infinity; odd functions keep the
 *   sign of zero.
 * - `fast`: float64 with an error bound. V8's Math.sin/cos/tan/asin/.../atanh are fdlibm ports
 *   (full-precision argument reduction for sin/cos/tan, under 1 ulp64 everywhere); like the other
 *   references each libm call is charged 16 ulp64, so huge arguments (sin(3.4e38)) are certified
 *   as well as small ones. erf has no Math.erf: it is the series
 *   2/sqrt(pi)·e^(-x²)·Σ 2^n x^(2n+1)/(2n+1)!!, whose terms are all positive (no cancellation),
 *   with a bound from the number of terms. Piecewise-linear and rounding ops are exact.
 * - `big`: the same function with mathjs BigNumber (decimal.js: sin, cos, tan, asin, acos, atan,
 *   sinh, cosh, asinh, acosh, atanh reduce their argument at the precision it needs, so
 *   sin(3.4e38) is right), evaluated with 20 guard digits and trusted to the working precision
 *   minus those digits, the precision doubled while the float32 rounding is open (Ziv). mathjs
 *   has no BigNumber erf: the series above is summed in BigNumber.
 *
 * Overflow is not an error: sinh(100) is 1.3e43, kind finite, whose float32 rounding is
 * +Infinity; sinh(1000) is finite with value +Infinity (beyond float64).
 *
 * Derivatives ({@link mathDerivatives}) are MathOps too, evaluated the same way, with the
 * magnitude of tfjs's backward formula for `ctol` (tan' = 1/cos², acosh' = 1/sqrt(x² - 1), whose
 * float32 x² - 1 cancels near 1...). At kinks (abs and relu at 0, relu6 at 0 and 6, leakyRelu at
 * 0) the derivative is the interval of one-sided derivatives; at jumps (floor, ceil and sign at
 * integers, round at half-integers, step at 0) it does not exist (kind nan, not checked).
 */
import { bigClass, bigOf, errorClass, type Big, type BigClass } from './bignumber.ts';
import { bigToDouble, ETA, settles } from './arith.ts';
import type { ErrorTerm } from './elementwise.ts';
import type { DerivativeTensor, Derivative } from './derivatives.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { certifies32, isFloat32Midpoint, nextDown64, nextUp64 } from '../core/float32.ts';
import { twoProd } from './dd.ts';
import { broadcastIndex, broadcastShape, readInput, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';

const U = 2 ** -53;
/** Per libm call (see arith.ts). */
const LM = 16 * U;
/** Absolute slack for float64 subnormal results (far below float32's 2^-149). */
const TINY = 2 ** -1000;
/** 2/sqrt(pi) rounded to float64 (relative error below U). */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** Digits the BigNumber tier computes beyond those it trusts. */
const BIG_GUARD = 20;
/** Largest trusted precision of the BigNumber tier (decimal.js knows pi to 1025 digits). */
const BIG_MAX = 400;

/** One elementwise op of one argument. */
export interface MathOp {
  readonly name: string;
  /** The exact answer where it is fixed by definition; `undefined` for ordinary inputs. */
  special(x: number): number | undefined;
  /** ±Infinity where the exact answer is finite but certainly beyond float64's range. */
  overflow?(x: number): number | undefined;
  /** float64 value; its absolute error bound goes to `e.err` (0 for ops computed exactly). */
  fast(x: number, e: ErrorTerm): number;
  /** The value in BigNumber of class D (trusted to D.precision - 20 digits); absent for ops `fast` computes exactly. */
  big?(D: BigClass, x: Big): Big;
}

/**
 * Evaluate `f` with BigNumber, trusting all but 20 of the working digits, and double the
 * precision while the float32 rounding is open. Returns the value rounded to float64 (nudged off
 * float32 midpoints it does not sit on).
 */
export function bigTier(f: (D: BigClass) => Big, precision: number): number {
  const E = errorClass();
  for (let p = precision; ; p = Math.min(2 * p, BIG_MAX)) {
    const D = bigClass(p + BIG_GUARD);
    const v = f(D);
    if (!v.isFinite()) return v.toNumber();
    const e = new E(v.abs()).times(new E(`1e-${p}`));
    if (p >= BIG_MAX || settles(v, e)) return bigToDouble(v);
  }
}

/** Exact value of one element of a MathOp. */
export function mathElement(op: MathOp, x: number, o: ResolvedOptions, out: ExactBuilder, i: number, e: ErrorTerm): void {
  const s = op.special(x);
  if (s !== undefined) {
    out.definitional(i, s);
    return;
  }
  const huge = op.overflow?.(x);
  if (huge !== undefined) {
    out.finite(i, huge);
    return;
  }
  if (o.mode === 'tiered' || op.big === undefined) {
    e.err = 0;
    const v = op.fast(x, e);
    if (op.big === undefined || certifies32(v, e.err)) {
      out.finite(i, v);
      return;
    }
  }
  out.slow++;
  out.finite(
    i,
    bigTier((D) => op.big!(D, bigOf(D, x)), o.precision),
  );
}

/** Apply a MathOp to every element of `x`. */
export function applyMath(op: MathOp, x: RefInput, options?: ReferenceOptions, argName = 'x'): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(op.name, argName, x, o);
  const out = new ExactBuilder(t.shape, t.size);
  const e: ErrorTerm = { err: 0 };
  for (let i = 0; i < t.size; i++) mathElement(op, t.data[i]!, o, out, i, e);
  return out.build();
}

/**
 * The float64 nearest a·b, nudged off a float32 rounding midpoint the exact product does not sit
 * on (so its float32 rounding is the correctly rounded product). Exact for float32 a and b.
 */
export function exactProduct(a: number, b: number): number {
  const p = a * b;
  if (!isFloat32Midpoint(p)) return p;
  const lo = twoProd(a, b).lo;
  return lo > 0 ? nextUp64(p) : lo < 0 ? nextDown64(p) : p;
}

const nan = (x: number): number | undefined => (Number.isNaN(x) ? NaN : undefined);
/** NaN propagates, ±0 and ±Infinity map to themselves (odd functions with f(±Infinity) = ±Infinity). */
const oddInf = (x: number): number | undefined => (Number.isNaN(x) || x === 0 || !Number.isFinite(x) ? x : undefined);
const libm = (v: number, e: ErrorTerm): number => {
  e.err = Number.isFinite(v) ? LM * Math.abs(v) + TINY : 0;
  return v;
};

/** Round half to even (tfjs's round: "banker's rounding"). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for float32 x
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 && x < 0 ? -0 : r; // round(-0.4) = -0, as IEEE roundToIntegralTiesToEven
}

/** erf(|x|) in float64 from the positive series; its error bound goes to e.err. */
function erfAbs(a: number, e: ErrorTerm): number {
  if (a >= 6) {
    e.err = 2.2e-17; // erfc(6) = 2.15e-17
    return 1;
  }
  const a2 = a * a; // exact: a is a float32
  let term = a;
  let sum = a;
  let n = 1;
  for (; ; n++) {
    term = (term * (2 * a2)) / (2 * n + 1);
    sum += term;
    if (n > 2 * a2 + 2 && term <= sum * 2 ** -60) break;
  }
  const v = TWO_OVER_SQRT_PI * Math.exp(-a2) * sum;
  // each term carries <= 2n roundings, the recursive sum of positive terms <= n more, then 3 roundings and one exp
  e.err = ((3 * n + 8) * U + LM + 2 ** -58) * v + TINY;
  return v;
}

const twoOverSqrtPi = new Map<number, Big>();
function twoOverSqrtPiBig(D: BigClass): Big {
  let c = twoOverSqrtPi.get(D.precision);
  if (c === undefined) {
    c = new D(2).div(new D(-1).acos().sqrt());
    twoOverSqrtPi.set(D.precision, c);
  }
  return c;
}

/** erfc(a) for a >= 6 in BigNumber: e^(-a²)/sqrt(pi) over Laplace's continued fraction a + (1/2)/(a + 1/(a + (3/2)/(a + ...))). */
function erfcBig(G: BigClass, a: Big): Big {
  const tail = (n: number): Big => {
    let f = a;
    for (let k = n; k >= 1; k--) f = a.plus(new G(k).div(2).div(f));
    return f;
  };
  let n = 32;
  let f = tail(n);
  for (;;) {
    n *= 2;
    const g = tail(n);
    const close = g
      .minus(f)
      .abs()
      .lte(g.times(new G(`1e-${G.precision - 2}`)));
    f = g;
    if (close || n > 1 << 14) break;
  }
  const sqrtPi = new G(2).div(twoOverSqrtPiBig(G));
  return a.times(a).neg().exp().div(sqrtPi.times(f));
}

/** erf in BigNumber: the positive series below 6 (with guard digits for its large terms), 1 - erfc above. */
function erfBig(D: BigClass, x: Big): Big {
  const G = bigClass(D.precision + 10);
  const a = new G(x).abs();
  if (a.gte(6)) {
    const v = new D(new G(1).minus(erfcBig(G, a)));
    return x.isNeg() ? v.neg() : v;
  }
  const a2 = a.times(a);
  const twoA2 = a2.times(2);
  let term = a;
  let sum = a;
  const stop = new G(`1e-${D.precision + 5}`);
  for (let n = 1; ; n++) {
    term = term.times(twoA2).div(2 * n + 1);
    sum = sum.plus(term);
    if (a2.lt(n / 2 - 1) && term.lte(sum.times(stop))) break;
  }
  const v = new D(twoOverSqrtPiBig(G).times(a2.neg().exp()).times(sum));
  return x.isNeg() ? v.neg() : v;
}

// ---------------------------------------------------------------------------------------------
// The ops

const absOp: MathOp = { name: 'abs', special: nan, fast: (x) => Math.abs(x) };
const negOp: MathOp = { name: 'neg', special: nan, fast: (x) => -x };
const signOp: MathOp = { name: 'sign', special: (x) => (Number.isNaN(x) || x === 0 ? x : undefined), fast: (x) => Math.sign(x) };
const squareOp: MathOp = { name: 'square', special: (x) => (Number.isNaN(x) ? NaN : Number.isFinite(x) ? undefined : Infinity), fast: (x) => x * x };
const reciprocalOp: MathOp = {
  name: 'reciprocal',
  special: (x) => (Number.isNaN(x) || x === 0 || !Number.isFinite(x) ? 1 / x : undefined),
  fast(x, e) {
    const v = 1 / x;
    e.err = U * Math.abs(v);
    return v;
  },
  big: (D, x) => new D(1).div(x),
};
/** NaN at ±Infinity and NaN; ±0 kept for the odd ones. */
const periodic = (odd: boolean) => (x: number) => (Number.isNaN(x) || !Number.isFinite(x) ? NaN : odd && x === 0 ? x : undefined);
const sinOp: MathOp = { name: 'sin', special: periodic(true), fast: (x, e) => libm(Math.sin(x), e), big: (_D, x) => x.sin() };
const cosOp: MathOp = { name: 'cos', special: periodic(false), fast: (x, e) => libm(Math.cos(x), e), big: (_D, x) => x.cos() };
const tanOp: MathOp = { name: 'tan', special: periodic(true), fast: (x, e) => libm(Math.tan(x), e), big: (_D, x) => x.tan() };
const unitDomain = (x: number) => (Number.isNaN(x) || Math.abs(x) > 1 ? NaN : undefined);
const asinOp: MathOp = {
  name: 'asin',
  special: (x) => unitDomain(x) ?? (x === 0 ? x : undefined),
  fast: (x, e) => libm(Math.asin(x), e),
  big: (_D, x) => x.asin(),
};
const acosOp: MathOp = {
  name: 'acos',
  special: (x) => unitDomain(x) ?? (x === 1 ? 0 : undefined),
  fast: (x, e) => libm(Math.acos(x), e),
  big: (_D, x) => x.acos(),
};
const atanOp: MathOp = {
  name: 'atan',
  special: (x) => (Number.isNaN(x) || x === 0 ? x : undefined),
  fast: (x, e) => libm(Math.atan(x), e),
  big: (_D, x) => x.atan(),
};
/** Beyond this |x|, sinh and cosh exceed float64 (and float32 by far). */
const HYPERBOLIC_OVERFLOW = 711;
const sinhOp: MathOp = {
  name: 'sinh',
  special: oddInf,
  overflow: (x) => (Math.abs(x) > HYPERBOLIC_OVERFLOW ? Math.sign(x) * Infinity : undefined),
  fast: (x, e) => libm(Math.sinh(x), e),
  big: (_D, x) => x.sinh(),
};
const coshOp: MathOp = {
  name: 'cosh',
  special: (x) => (Number.isNaN(x) ? NaN : Number.isFinite(x) ? undefined : Infinity),
  overflow: (x) => (Math.abs(x) > HYPERBOLIC_OVERFLOW ? Infinity : undefined),
  fast: (x, e) => libm(Math.cosh(x), e),
  big: (_D, x) => x.cosh(),
};
const asinhOp: MathOp = {
  name: 'asinh',
  special: oddInf,
  fast: (x, e) => libm(Math.asinh(x), e),
  big: (_D, x) => (x.isNeg() ? x.neg().asinh().neg() : x.asinh()),
};
const acoshOp: MathOp = {
  name: 'acosh',
  special: (x) => (Number.isNaN(x) || x < 1 ? NaN : x === 1 ? 0 : x === Infinity ? Infinity : undefined),
  fast: (x, e) => libm(Math.acosh(x), e),
  big: (_D, x) => x.acosh(),
};
const atanhOp: MathOp = {
  name: 'atanh',
  special: (x) => unitDomain(x) ?? (x === 0 ? x : Math.abs(x) === 1 ? x * Infinity : undefined),
  fast: (x, e) => libm(Math.atanh(x), e),
  big: (_D, x) => x.atanh(),
};
const erfOp: MathOp = {
  name: 'erf',
  special: (x) => (Number.isNaN(x) || x === 0 ? x : Number.isFinite(x) ? undefined : Math.sign(x)),
  fast: (x, e) => Math.sign(x) * erfAbs(Math.abs(x), e),
  big: erfBig,
};
const infKeeps = (x: number) => (Number.isNaN(x) || !Number.isFinite(x) ? x : undefined);
const roundOp: MathOp = { name: 'round', special: infKeeps, fast: roundHalfEven };
const floorOp: MathOp = { name: 'floor', special: infKeeps, fast: Math.floor };
const ceilOp: MathOp = { name: 'ceil', special: infKeeps, fast: Math.ceil };
const isNaNOp: MathOp = { name: 'isNaN', special: (x) => (Number.isNaN(x) ? 1 : 0), fast: () => 0 };
const isInfOp: MathOp = { name: 'isInf', special: (x) => (Math.abs(x) === Infinity ? 1 : 0), fast: () => 0 };
const isFiniteOp: MathOp = { name: 'isFinite', special: (x) => (Number.isFinite(x) ? 1 : 0), fast: () => 0 };
/** relu(NaN) = NaN: max(x, 0) propagates NaN (IEEE 754-2019 maximum). */
const reluOp: MathOp = { name: 'relu', special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? x : undefined), fast: (x) => (x > 0 ? x : 0) };
const relu6Op: MathOp = { name: 'relu6', special: nan, fast: (x) => Math.min(Math.max(x, 0), 6) };

function leakyReluOp(alpha: number): MathOp {
  return {
    name: 'leakyRelu',
    special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? x : x === -Infinity ? alpha * x : undefined),
    fast: (x) => (x < 0 ? exactProduct(alpha, x) : x),
  };
}

function stepOp(alpha: number): MathOp {
  return { name: 'step', special: nan, fast: (x) => (x > 0 ? 1 : alpha) };
}

/** All ops of this module without parameters, by name. */
export const MATH_OPS = {
  abs: absOp,
  neg: negOp,
  sign: signOp,
  square: squareOp,
  reciprocal: reciprocalOp,
  sin: sinOp,
  cos: cosOp,
  tan: tanOp,
  asin: asinOp,
  acos: acosOp,
  atan: atanOp,
  sinh: sinhOp,
  cosh: coshOp,
  asinh: asinhOp,
  acosh: acoshOp,
  atanh: atanhOp,
  erf: erfOp,
  round: roundOp,
  floor: floorOp,
  ceil: ceilOp,
  isNaN: isNaNOp,
  isInf: isInfOp,
  isFinite: isFiniteOp,
  relu: reluOp,
  relu6: relu6Op,
} as const;
export type MathOpName = keyof typeof MATH_OPS;

type Ref = (x: RefInput, options?: ReferenceOptions) => ExactTensor;
const ref =
  (op: MathOp): Ref =>
  (x, options) =>
    applyMath(op, x, options);

/** |x|. */
export const abs = ref(absOp);
/** -x. */
export const neg = ref(negOp);
/** -1, ±0 or 1; sign(NaN) = NaN. */
export const sign = ref(signOp);
/** x²; overflows to Infinity (correctly rounded) for |x| > 1.8e19. */
export const square = ref(squareOp);
/** 1/x; reciprocal(±0) = ±Infinity. */
export const reciprocal = ref(reciprocalOp);
/** Sine (any finite argument; NaN at ±Infinity). */
export const sin = ref(sinOp);
/** Cosine. */
export const cos = ref(cosOp);
/** Tangent. */
export const tan = ref(tanOp);
/** Arcsine on [-1, 1], NaN outside. */
export const asin = ref(asinOp);
/** Arccosine on [-1, 1], NaN outside. */
export const acos = ref(acosOp);
/** Arctangent; atan(±Infinity) = ±pi/2. */
export const atan = ref(atanOp);
/** Hyperbolic sine. */
export const sinh = ref(sinhOp);
/** Hyperbolic cosine. */
export const cosh = ref(coshOp);
/** Inverse hyperbolic sine. */
export const asinh = ref(asinhOp);
/** Inverse hyperbolic cosine on [1, Infinity], NaN below. */
export const acosh = ref(acoshOp);
/** Inverse hyperbolic tangent on [-1, 1]; atanh(±1) = ±Infinity. */
export const atanh = ref(atanhOp);
/** The error function; erf(±Infinity) = ±1. */
export const erf = ref(erfOp);
/** Round half to even (tfjs documents banker's rounding). */
export const round = ref(roundOp);
/** Largest integer <= x. */
export const floor = ref(floorOp);
/** Smallest integer >= x. */
export const ceil = ref(ceilOp);
/** 1 where x is NaN, else 0 (tfjs returns a bool tensor). */
export const isNan = ref(isNaNOp);
/** 1 where x is ±Infinity, else 0. */
export const isInf = ref(isInfOp);
/** 1 where x is finite, else 0. */
export const isFiniteValue = ref(isFiniteOp);
/** max(x, 0); NaN propagates. */
export const relu = ref(reluOp);
/** min(max(x, 0), 6); NaN propagates. */
export const relu6 = ref(relu6Op);
/** x for x >= 0, alpha·x below (tf.leakyRelu's default alpha 0.2, a float64 constant). */
export const leakyRelu = (x: RefInput, alpha = 0.2, options?: ReferenceOptions): ExactTensor => applyMath(leakyReluOp(alpha), x, options);
/** 1 for x > 0, alpha otherwise (tf.step's default alpha 0); NaN propagates. */
export const step = (x: RefInput, alpha = 0, options?: ReferenceOptions): ExactTensor => applyMath(stepOp(alpha), x, options);

/** Read two operands and index them for broadcasting. */
export function broadcastPair(fn: string, names: readonly [string, string], a: RefInput, b: RefInput, o: ResolvedOptions) {
  const ra = readInput(fn, names[0], a, o);
  const rb = readInput(fn, names[1], b, o);
  const shape = broadcastShape(fn, names[0], ra.shape, names[1], rb.shape);
  let size = 1;
  for (const d of shape) size *= d;
  return { a: ra, b: rb, shape, size, ia: broadcastIndex(ra.shape, shape), ib: broadcastIndex(rb.shape, shape) };
}

/**
 * prelu(x, alpha) = x for x >= 0, alpha·x below, with broadcasting; NaN propagates. At x = -Infinity
 * with alpha = 0 it is NaN, IEEE's 0·(-Infinity): alpha·x has no limit there.
 */
export function prelu(x: RefInput, alpha: RefInput, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const p = broadcastPair('prelu', ['x', 'alpha'], x, alpha, o);
  const out = new ExactBuilder(p.shape, p.size);
  for (let i = 0; i < p.size; i++) {
    const v = p.a.data[p.ia[i]!]!;
    const a = p.b.data[p.ib[i]!]!;
    out.definitional(i, Number.isNaN(v) || !(v < 0) ? v : a * v); // a·v is exact: both are float32
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// Derivatives

/** A derivative: its value as a MathOp, tfjs's backward magnitude, and the kinks where it is an interval. */
interface MathDerivative {
  readonly op: MathOp;
  /** Magnitude of tfjs's backward formula at x with exact derivative v (see derivatives.ts). */
  magnitude(x: number, v: number): number;
  /** The interval of one-sided derivatives at a kink x, else undefined. */
  kink?(x: number): readonly [number, number] | undefined;
}

const rel = (k: number) => (_x: number, v: number) => k * Math.abs(v) + ETA;
/** A derivative that is 0 except at jumps, where it does not exist. */
function piecewiseConstant(name: string, jump: (x: number) => boolean): MathDerivative {
  return {
    op: { name: `${name}'`, special: (x) => (Number.isNaN(x) || jump(x) ? NaN : 0), fast: () => 0 },
    magnitude: () => 0,
  };
}

function derivativeOp(name: string, special: (x: number) => number | undefined, fast: (x: number, e: ErrorTerm) => number, big?: MathOp['big']): MathOp {
  return { name: `${name}'`, special, fast, ...(big ? { big } : {}) };
}

const MATH_DERIVATIVES: Record<Exclude<MathOpName, 'isNaN' | 'isInf' | 'isFinite'>, MathDerivative> = {
  abs: {
    op: derivativeOp(
      'abs',
      (x) => (Number.isNaN(x) ? NaN : x === 0 ? 0 : Math.sign(x)),
      (x) => Math.sign(x),
    ),
    magnitude: rel(1),
    kink: (x) => (x === 0 ? [-1, 1] : undefined),
  },
  neg: { op: derivativeOp('neg', nan, () => -1), magnitude: rel(1) },
  sign: piecewiseConstant('sign', (x) => x === 0),
  square: {
    op: derivativeOp(
      'square',
      (x) => (Number.isNaN(x) || !Number.isFinite(x) ? x : undefined),
      (x) => 2 * x,
    ),
    magnitude: rel(2), // dy * 2x
  },
  reciprocal: {
    op: derivativeOp(
      'reciprocal',
      (x) => (Number.isNaN(x) ? NaN : x === 0 ? -Infinity : Number.isFinite(x) ? undefined : -0),
      (x, e) => {
        const v = -1 / (x * x); // x*x is exact
        e.err = U * Math.abs(v);
        return v;
      },
      (D, x) => new D(-1).div(x.times(x)),
    ),
    magnitude: rel(3), // -dy / x²
  },
  sin: { op: { ...cosOp, name: "sin'" }, magnitude: rel(2) }, // dy * cos(x)
  cos: {
    op: derivativeOp(
      'cos',
      periodic(true),
      (x, e) => libm(-Math.sin(x), e),
      (_D, x) => x.sin().neg(),
    ),
    magnitude: rel(2),
  },
  tan: {
    // 1/cos²(x): fdlibm's cos is accurate relative to its value, even near the poles
    op: derivativeOp(
      'tan',
      (x) => (Number.isNaN(x) || !Number.isFinite(x) ? NaN : undefined),
      (x, e) => {
        const c = Math.cos(x);
        const v = 1 / (c * c);
        e.err = (2 * LM + 3 * U) * v;
        return v;
      },
      (_D, x) => {
        const c = x.cos();
        return c.times(c).pow(-1);
      },
    ),
    magnitude: rel(4), // dy / cos(x)²
  },
  asin: {
    op: derivativeOp(
      'asin',
      (x) => unitDomain(x) ?? (Math.abs(x) === 1 ? Infinity : undefined),
      (x, e) => invSqrt(1 - x * x, e),
      (D, x) => invSqrtBig(D, new D(1).minus(x.times(x))),
    ),
    // dy / sqrt(1 - x²): float32 1 - x² keeps an absolute error 2^-24·x², relative x²·v²
    magnitude: (x, v) => Math.abs(v) * (3 + x * x * v * v) + ETA,
  },
  acos: {
    op: derivativeOp(
      'acos',
      (x) => unitDomain(x) ?? (Math.abs(x) === 1 ? -Infinity : undefined),
      (x, e) => -invSqrt(1 - x * x, e),
      (D, x) => invSqrtBig(D, new D(1).minus(x.times(x))).neg(),
    ),
    magnitude: (x, v) => Math.abs(v) * (3 + x * x * v * v) + ETA,
  },
  atan: {
    op: derivativeOp(
      'atan',
      (x) => (Number.isNaN(x) ? NaN : Number.isFinite(x) ? undefined : 0),
      (x, e) => {
        const v = 1 / (1 + x * x);
        e.err = 3 * U * v;
        return v;
      },
      (D, x) => new D(1).div(x.times(x).plus(1)),
    ),
    magnitude: rel(3), // dy / (x² + 1)
  },
  sinh: { op: { ...coshOp, name: "sinh'" }, magnitude: rel(2) }, // dy * cosh(x)
  cosh: {
    op: { ...sinhOp, name: "cosh'", special: (x) => (Number.isNaN(x) ? NaN : x === 0 ? 0 : Number.isFinite(x) ? undefined : x) },
    magnitude: rel(2),
  },
  asinh: {
    op: derivativeOp(
      'asinh',
      (x) => (Number.isNaN(x) ? NaN : Number.isFinite(x) ? undefined : 0),
      (x, e) => invSqrt(x * x + 1, e),
      (D, x) => invSqrtBig(D, x.times(x).plus(1)),
    ),
    magnitude: rel(4), // dy / sqrt(x² + 1)
  },
  acosh: {
    op: derivativeOp(
      'acosh',
      (x) => (Number.isNaN(x) || x < 1 ? NaN : x === 1 ? Infinity : x === Infinity ? 0 : undefined),
      (x, e) => invSqrt(x * x - 1, e),
      (D, x) => invSqrtBig(D, x.times(x).minus(1)),
    ),
    // dy / sqrt(x² - 1): float32 x² - 1 cancels near 1 (relative error x²·v²)
    magnitude: (x, v) => Math.abs(v) * (4 + x * x * v * v) + ETA,
  },
  atanh: {
    op: derivativeOp(
      'atanh',
      (x) => unitDomain(x) ?? (Math.abs(x) === 1 ? Infinity : undefined),
      (x, e) => {
        const v = 1 / (1 - x * x);
        e.err = 3 * U * v;
        return v;
      },
      (D, x) => new D(1).div(new D(1).minus(x.times(x))),
    ),
    magnitude: (x, v) => Math.abs(v) * (3 + x * x * Math.abs(v)) + ETA, // dy / (1 - x²)
  },
  erf: {
    op: derivativeOp(
      'erf',
      (x) => (Number.isNaN(x) ? NaN : Number.isFinite(x) ? undefined : 0),
      (x, e) => {
        const v = TWO_OVER_SQRT_PI * Math.exp(-x * x);
        e.err = (LM + 3 * U) * v + TINY;
        return v;
      },
      (D, x) => twoOverSqrtPiBig(D).times(x.times(x).neg().exp()),
    ),
    // dy * 2/sqrt(pi) * exp(-x²): the float32 x² errs by 2^-24·x², relatively x² in the result
    magnitude: (x, v) => Math.abs(v) * (4 + x * x) + ETA,
  },
  round: piecewiseConstant('round', (x) => Number.isFinite(x) && x - Math.floor(x) === 0.5),
  floor: piecewiseConstant('floor', (x) => Number.isInteger(x)),
  ceil: piecewiseConstant('ceil', (x) => Number.isInteger(x)),
  relu: {
    op: derivativeOp('relu', nan, (x) => (x > 0 ? 1 : 0)),
    magnitude: rel(1),
    kink: (x) => (x === 0 ? [0, 1] : undefined),
  },
  relu6: {
    op: derivativeOp('relu6', nan, (x) => (x > 0 && x < 6 ? 1 : 0)),
    magnitude: rel(1),
    kink: (x) => (x === 0 || x === 6 ? [0, 1] : undefined),
  },
};

function invSqrt(s: number, e: ErrorTerm): number {
  // s carries one rounding (x² is exact for float32 x); sqrt and the division one each
  const v = 1 / Math.sqrt(s);
  e.err = 3 * U * v;
  return v;
}

function invSqrtBig(D: BigClass, s: Big): Big {
  return new D(1).div(s.sqrt());
}

function derivativeTensor(d: MathDerivative, name: string, x: RefInput, options?: ReferenceOptions): DerivativeTensor {
  const o = resolveOptions(options);
  const t: Read = readInput(name, 'x', x, o);
  const out = new ExactBuilder(t.shape, t.size, true);
  const e: ErrorTerm = { err: 0 };
  let lower: Float64Array | undefined;
  let upper: Float64Array | undefined;
  for (let i = 0; i < t.size; i++) {
    const xi = t.data[i]!;
    mathElement(d.op, xi, o, out, i, e);
    out.magnitude![i] = d.magnitude(xi, out.values[i]!);
    const k = d.kink?.(xi);
    if (k) {
      lower ??= new Float64Array(t.size).fill(NaN);
      upper ??= new Float64Array(t.size).fill(NaN);
      lower[i] = k[0];
      upper[i] = k[1];
    }
  }
  const built = out.build();
  return lower && upper ? { ...built, lower, upper } : built;
}

/** d/dx of sum(leakyRelu(x, alpha)): 1 above 0, alpha below, [alpha, 1] at 0. */
export function leakyReluDerivative(x: RefInput, alpha = 0.2, options?: ReferenceOptions): Derivative {
  const d: MathDerivative = {
    op: derivativeOp('leakyRelu', nan, (v) => (v > 0 ? 1 : alpha)),
    magnitude: rel(1),
    kink: (v) => (v === 0 ? [Math.min(alpha, 1), Math.max(alpha, 1)] : undefined),
  };
  return { x: derivativeTensor(d, "leakyRelu'", x, options) };
}

/** d/dx of sum(step(x)): 0, undefined at the jump 0. */
export function stepDerivative(x: RefInput, options?: ReferenceOptions): Derivative {
  return {
    x: derivativeTensor(
      piecewiseConstant('step', (v) => v === 0),
      "step'",
      x,
      options,
    ),
  };
}

/**
 * d/dx and d/dalpha of sum(prelu(x, alpha)): d/dx = 1 for x > 0, alpha for x < 0, [min, max] of
 * the two at 0; d/dalpha = x for x < 0, else 0, summed over the axes alpha is broadcast along
 * (marked as accumulations).
 */
export function preluDerivative(x: RefInput, alpha: RefInput, options?: ReferenceOptions): Derivative {
  const o = resolveOptions(options);
  const p = broadcastPair("prelu'", ['x', 'alpha'], x, alpha, o);
  const dx = new ExactBuilder(p.a.shape, p.a.size, true);
  const lower = new Float64Array(p.a.size).fill(NaN);
  const upper = new Float64Array(p.a.size).fill(NaN);
  // x has the output's shape in tfjs's prelu (alpha broadcasts against it)
  const xSum = new Float64Array(p.a.size);
  const xUndefined = new Uint8Array(p.a.size);
  const aSum = new Float64Array(p.b.size);
  const aAbs = new Float64Array(p.b.size);
  const aTerms = new Float64Array(p.b.size);
  const aUndefined = new Uint8Array(p.b.size);
  for (let i = 0; i < p.size; i++) {
    const ix = p.ia[i]!;
    const ia = p.ib[i]!;
    const v = p.a.data[ix]!;
    const a = p.b.data[ia]!;
    aTerms[ia]!++;
    if (Number.isNaN(v) || Number.isNaN(a)) {
      xUndefined[ix] = 1;
      aUndefined[ia] = 1;
      continue;
    }
    xSum[ix] = xSum[ix]! + (v > 0 ? 1 : v < 0 ? a : 0);
    if (v === 0) {
      lower[ix] = Math.min(a, 1);
      upper[ix] = Math.max(a, 1);
      xSum[ix] = a; // tfjs's convention at 0: where(x > 0, dy, dy·alpha)
    }
    if (v < 0) {
      aSum[ia] = aSum[ia]! + v;
      aAbs[ia] = aAbs[ia]! + Math.abs(v);
    }
  }
  for (let i = 0; i < p.a.size; i++) {
    dx.definitional(i, xUndefined[i] ? NaN : xSum[i]!);
    dx.magnitude![i] = Math.abs(xSum[i]!) + ETA;
  }
  const da = new ExactBuilder(p.b.shape, p.b.size);
  for (let i = 0; i < p.b.size; i++) {
    if (aUndefined[i] || !Number.isFinite(aSum[i]!)) da.definitional(i, aUndefined[i] ? NaN : aSum[i]!);
    else da.finite(i, aSum[i]!);
    da.accumulation(i, aAbs[i]!, aTerms[i]!);
  }
  return { x: { ...dx.build(), lower, upper }, alpha: da.build() };
}

/** Exact derivatives of this module's ops of one tensor, for gradientMatches (keyed `x`). */
export const mathDerivatives = Object.fromEntries(
  Object.entries(MATH_DERIVATIVES).map(([name, d]) => [
    name,
    (x: RefInput, o?: ReferenceOptions): Derivative => ({ x: derivativeTensor(d, `${name}'`, x, o) }),
  ]),
) as Record<keyof typeof MATH_DERIVATIVES, (x: RefInput, o?: ReferenceOptions) => Derivative>;
