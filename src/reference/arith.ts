/**
 * Tiered evaluation of reference formulas: float64 with a proven error bound first, BigNumber
 * only where float64 cannot settle the float32 answer.
 *
 * A reference formula is written once, generically, against the {@link Arith} interface, and
 * run with one of two implementations:
 *
 * - {@link F64Arith}: plain doubles carrying a running error bound (the classic a-posteriori
 *   analysis: each operation adds its own rounding, u·|result|, to the propagated bounds of its
 *   operands; libm calls are charged 16 ulps although V8's fdlibm ports measure under 1.1). If
 *   every real number within the bound rounds to the same float32, that float32 answer is
 *   certain and the double is returned. Cancellation, ill-conditioning, overflow and values
 *   near a float32 rounding midpoint all show up as a bound that straddles a midpoint.
 * - {@link BigArith}: mathjs BigNumber at the configured precision, with exact inputs (the
 *   exact decimal expansion of each double) and the same running error bound, kept in a
 *   low-precision BigNumber rounded upwards. If the bound still straddles a midpoint the
 *   formula is re-run with twice the digits (Ziv's strategy), up to 1000 digits (past 500, straight
 *   to 1000: {@link nextPrecision}); a result that
 *   is exactly on a midpoint (rational formulas of "nice" inputs) has a zero bound and is
 *   accepted as the tie it is.
 *
 * The F64 run also yields the "magnitude": the same propagation with every rounding charged
 * |result| + 2^-126 instead of u·|result|, i.e. the first-order error factor of the formula in
 * float32 with gradual underflow (see exact.ts).
 *
 * Hot references (elementwise ops, softmax rows, sums) hand-code their float64 kernels and
 * bounds for speed and use these formulas only for their slow paths.
 */
import { bigClass, bigOf, errorClass, type Big, type BigClass } from './bignumber.ts';
import { KIND_FINITE, KIND_NAN, KIND_NEG_INF, KIND_POS_INF } from './exact.ts';
import { certifies32, exactDecimal, isFloat32Midpoint, nextDown64, nextUp64, roundingInterval32 } from '../core/float32.ts';
import { MAX_PRECISION, type ResolvedOptions } from './options.ts';

/** Arithmetic over some number representation T, with the operations reference formulas use. */
export interface Arith<T> {
  readonly kind: 'f64' | 'big';
  /** Set when an operation could not bound its result (domain edge inside the error interval, overflow...). */
  uncertain: boolean;
  /** An exact double. */
  num(x: number): T;
  /** A mathematical constant given by its decimal digits (SELU's scale, for example). */
  constant(text: string): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  square(a: T): T;
  div(a: T, b: T): T;
  neg(a: T): T;
  abs(a: T): T;
  sqrt(a: T): T;
  exp(a: T): T;
  expm1(a: T): T;
  log(a: T): T;
  log1p(a: T): T;
  max(a: T, b: T): T;
  min(a: T, b: T): T;
  pow(a: T, b: T): T;
  /** -1, 0 or 1 (NaN for NaN); marks the run uncertain when the error bound straddles zero. */
  sign(a: T): number;
  /** The value as a double. */
  approx(a: T): number;
}

/** A formula evaluated generically: reads its inputs from its closure. */
export type Formula = <T>(A: Arith<T>) => T;

// ---------------------------------------------------------------------------------------------
// float64 with running error bounds

const U = 2 ** -53;
/** Error budget per libm call (exp, log, log1p, expm1, pow): 16 float64 ulps. */
export const LIBM_ERR = 16 * U;
/**
 * Magnitude charged per operation for float32 underflow: a float32 operation errs by at most
 * 2^-24·|result| + 2^-150, and 2^-150 = 2^-24 · 2^-126 (the standard model with gradual underflow).
 */
export const ETA = 2 ** -126;

/** A double `v` within `e` of the exact value; `c` is the first-order error factor (magnitude). */
export class FE {
  constructor(
    readonly v: number,
    readonly e: number,
    readonly c: number,
  ) {}
}

export class F64Arith implements Arith<FE> {
  readonly kind = 'f64' as const;
  uncertain = false;

  num(x: number): FE {
    return new FE(x, 0, 0);
  }
  constant(text: string): FE {
    const v = Number(text);
    return new FE(v, U * Math.abs(v), Math.abs(v) + ETA);
  }
  add(a: FE, b: FE): FE {
    const v = a.v + b.v;
    const m = Math.abs(v);
    return new FE(v, a.e + b.e + U * m, a.c + b.c + m + ETA);
  }
  sub(a: FE, b: FE): FE {
    const v = a.v - b.v;
    const m = Math.abs(v);
    return new FE(v, a.e + b.e + U * m, a.c + b.c + m + ETA);
  }
  mul(a: FE, b: FE): FE {
    const v = a.v * b.v;
    const m = Math.abs(v);
    const av = Math.abs(a.v);
    const bv = Math.abs(b.v);
    return new FE(v, av * b.e + bv * a.e + a.e * b.e + U * m, bv * a.c + av * b.c + m + ETA);
  }
  square(a: FE): FE {
    const v = a.v * a.v;
    const av = Math.abs(a.v);
    return new FE(v, 2 * av * a.e + a.e * a.e + U * v, 2 * av * a.c + v + ETA);
  }
  div(a: FE, b: FE): FE {
    const bb = Math.abs(b.v);
    if (!(bb > b.e)) this.uncertain = true;
    const v = a.v / b.v;
    const m = Math.abs(v);
    const e = (Math.abs(a.v) * b.e + bb * a.e) / (bb * (bb - b.e)) + U * m;
    return new FE(v, e, (a.c + m * b.c) / bb + m + ETA);
  }
  neg(a: FE): FE {
    return new FE(-a.v, a.e, a.c);
  }
  abs(a: FE): FE {
    return new FE(Math.abs(a.v), a.e, a.c);
  }
  sqrt(a: FE): FE {
    if (!(a.v - a.e >= 0)) this.uncertain = true;
    const v = Math.sqrt(a.v);
    const e = (v > 0 ? a.e / v : Math.sqrt(a.e)) + U * v;
    const c = v > 0 ? a.c / (2 * v) + v + ETA : a.c > 0 ? Infinity : 0;
    return new FE(v, e, c);
  }
  exp(a: FE): FE {
    const v = Math.exp(a.v);
    // the whole interval below the double range (exp(-1e22 ± 1e6)): 0, within the least subnormal
    if (Math.exp(a.v + a.e) === 0) return new FE(0, Number.MIN_VALUE, ETA);
    const g = Math.expm1(a.e);
    return new FE(v, v * (g + LIBM_ERR) * (1 + 4 * LIBM_ERR), v * a.c + v + ETA);
  }
  expm1(a: FE): FE {
    const v = Math.expm1(a.v);
    const m = Math.abs(v);
    return new FE(v, (m + 1) * Math.expm1(a.e) * (1 + 4 * LIBM_ERR) + LIBM_ERR * m, (m + 1) * a.c + m + ETA);
  }
  log(a: FE): FE {
    const lo = a.v - a.e;
    if (!(lo > 0)) this.uncertain = true;
    const v = Math.log(a.v);
    const m = Math.abs(v);
    return new FE(v, a.e / lo + LIBM_ERR * m, a.c / a.v + m + ETA);
  }
  log1p(a: FE): FE {
    const lo = 1 + a.v - a.e;
    if (!(lo > 0)) this.uncertain = true;
    const v = Math.log1p(a.v);
    const m = Math.abs(v);
    return new FE(v, a.e / lo + LIBM_ERR * m, a.c / (1 + a.v) + m + ETA);
  }
  max(a: FE, b: FE): FE {
    const pick = a.v >= b.v ? a : b;
    return new FE(pick.v, Math.max(a.e, b.e), Math.max(a.c, b.c));
  }
  min(a: FE, b: FE): FE {
    const pick = a.v <= b.v ? a : b;
    return new FE(pick.v, Math.max(a.e, b.e), Math.max(a.c, b.c));
  }
  pow(a: FE, b: FE): FE {
    const v = Math.pow(a.v, b.v);
    const m = Math.abs(v);
    const av = Math.abs(a.v);
    if (a.e > 0 || b.e > 0) {
      if (!(av > a.e)) this.uncertain = true;
      const prop = m * (Math.abs(b.v) * (a.e / (av - a.e)) + Math.abs(Math.log(av)) * b.e) * 1.01;
      return new FE(v, prop + 2 * LIBM_ERR * m, m * (Math.abs(b.v) * (a.c / av) + Math.abs(Math.log(av)) * b.c) + m + ETA);
    }
    return new FE(v, 2 * LIBM_ERR * m, m + ETA);
  }
  sign(a: FE): number {
    if (Number.isNaN(a.v)) return NaN;
    if (Math.abs(a.v) > a.e) return Math.sign(a.v);
    if (a.v === 0 && a.e === 0) return 0;
    this.uncertain = true;
    return Math.sign(a.v);
  }
  approx(a: FE): number {
    return a.v;
  }
}

// ---------------------------------------------------------------------------------------------
// BigNumber with running error bounds

/** A BigNumber `v` within `e` of the exact value (`e` in the low-precision error class). */
export class BE {
  constructor(
    readonly v: Big,
    readonly e: Big,
  ) {}
}

function lowExponent(x: Big): number {
  return x.e - x.sd() + 1;
}

export class BigArith implements Arith<BE> {
  readonly kind = 'big' as const;
  uncertain = false;
  readonly D: BigClass;
  /** Guard-digit class for series. */
  private readonly G: BigClass;
  private readonly E: BigClass;
  /** Relative rounding error of one correctly rounded operation: 10^(1-P). */
  private readonly u: Big;
  private readonly zero: Big;

  constructor(readonly precision: number) {
    this.D = bigClass(precision);
    this.G = bigClass(precision + 6);
    this.E = errorClass();
    this.u = new this.E(`1e-${precision - 1}`);
    this.zero = new this.E(0);
  }

  private rnd(v: Big): Big {
    return this.u.times(v.abs());
  }
  private make(v: Big, e: Big): BE {
    return v.isFinite() ? new BE(v, e) : new BE(v, this.zero);
  }
  private exactSum(a: Big, b: Big): boolean {
    if (!a.isFinite() || !b.isFinite()) return true;
    if (a.isZero()) return b.sd() <= this.precision;
    if (b.isZero()) return a.sd() <= this.precision;
    const span = Math.max(a.e, b.e) + 2 - Math.min(lowExponent(a), lowExponent(b));
    return span <= this.precision;
  }
  private nan(): BE {
    return new BE(new this.D(NaN), this.zero);
  }

  num(x: number): BE {
    return new BE(bigOf(this.D, x), this.zero);
  }
  constant(text: string): BE {
    return new BE(new this.D(text), this.zero);
  }
  add(a: BE, b: BE): BE {
    const v = a.v.plus(b.v);
    let e = a.e.plus(b.e);
    if (!this.exactSum(a.v, b.v)) e = e.plus(this.rnd(v));
    return this.make(v, e);
  }
  sub(a: BE, b: BE): BE {
    return this.add(a, this.neg(b));
  }
  mul(a: BE, b: BE): BE {
    const v = a.v.times(b.v);
    if (!v.isFinite()) return this.make(v, this.zero);
    let e = b.e.times(a.v.abs()).plus(a.e.times(b.v.abs())).plus(a.e.times(b.e));
    if (a.v.sd() + b.v.sd() > this.precision) e = e.plus(this.rnd(v));
    return this.make(v, e);
  }
  square(a: BE): BE {
    return this.mul(a, a);
  }
  div(a: BE, b: BE): BE {
    const bb = b.v.abs();
    if (!bb.gt(b.e) && !b.e.isZero()) this.uncertain = true;
    const v = a.v.div(b.v);
    if (!v.isFinite()) return this.make(v, this.zero);
    if (!bb.gt(b.e)) return this.make(v, this.zero);
    const num = b.e.times(a.v.abs()).plus(a.e.times(bb));
    const den = bb.times(bb.minus(b.e));
    return this.make(v, num.div(den).plus(this.rnd(v)));
  }
  neg(a: BE): BE {
    return new BE(a.v.neg(), a.e);
  }
  abs(a: BE): BE {
    return new BE(a.v.abs(), a.e);
  }
  sqrt(a: BE): BE {
    if (a.v.isNaN()) return this.nan();
    if (a.v.isNeg() && !a.v.isZero()) {
      if (!a.v.abs().gt(a.e)) this.uncertain = true;
      return this.nan();
    }
    if (!a.e.isZero() && a.v.lt(a.e)) this.uncertain = true;
    const v = a.v.sqrt();
    if (!v.isFinite()) return this.make(v, this.zero);
    const prop = a.e.isZero() ? this.zero : v.isZero() ? a.e.sqrt() : a.e.div(v);
    // A perfect square has an exact root (sqrt of a float32 midpoint squared is that midpoint).
    const W = bigClass(MAX_PRECISION);
    const exact = new W(v).times(v).eq(a.v);
    return this.make(v, exact ? prop : prop.plus(this.rnd(v)));
  }
  exp(a: BE): BE {
    const v = a.v.exp();
    if (!v.isFinite()) {
      if (a.v.isFinite()) this.uncertain = true;
      return this.make(v, this.zero);
    }
    if (a.e.gt(1)) this.uncertain = true;
    const grow = a.e.times(a.e.plus(1)); // >= e^err - 1 for err <= 1
    return this.make(v, grow.times(v).plus(this.rnd(v)));
  }
  expm1(a: BE): BE {
    const x = a.v;
    if (x.isNaN()) return this.nan();
    if (!x.isFinite()) return new BE(new this.D(x.isNeg() ? -1 : Infinity), this.zero);
    let v: Big;
    let round: Big;
    if (x.abs().lt('0.01')) {
      // x + x^2/2! + x^3/3! + ... with guard digits
      const g = new this.G(x);
      let term = g;
      let sum = g;
      const stop = new this.G(`1e-${this.precision + 4}`).times(g.abs());
      for (let k = 2; term.abs().gt(stop); k++) {
        term = term.times(g).div(k);
        sum = sum.plus(term);
      }
      v = sum;
      round = this.rnd(v);
    } else {
      v = x.exp().minus(1);
      if (!v.isFinite()) this.uncertain = true;
      round = this.u.times(v.abs().times(2).plus(1));
    }
    if (a.e.gt(1)) this.uncertain = true;
    const grow = a.e.times(a.e.plus(1)).times(v.abs().plus(1));
    return this.make(v, grow.plus(round));
  }
  private logDomain(a: BE, shift: number): 'ok' | 'pole' | 'nan' {
    const arg = shift === 0 ? a.v : a.v.plus(shift);
    if (arg.isNaN()) return 'nan';
    if (a.e.isZero()) {
      if (arg.isZero()) return 'pole';
      return arg.isNeg() ? 'nan' : 'ok';
    }
    if (arg.gt(a.e)) return 'ok';
    if (arg.isNeg() && arg.abs().gt(a.e)) return 'nan';
    this.uncertain = true;
    return arg.gt(0) ? 'ok' : 'pole';
  }
  log(a: BE): BE {
    const d = this.logDomain(a, 0);
    if (d === 'nan') return this.nan();
    if (d === 'pole') return new BE(new this.D(-Infinity), this.zero);
    const v = a.v.ln();
    if (!v.isFinite()) return this.make(v, this.zero);
    const prop = a.e.isZero() ? this.zero : a.e.div(a.v.minus(a.e));
    return this.make(v, prop.plus(this.rnd(v)));
  }
  log1p(a: BE): BE {
    const d = this.logDomain(a, 1);
    if (d === 'nan') return this.nan();
    if (d === 'pole') return new BE(new this.D(-Infinity), this.zero);
    const x = a.v;
    if (!x.isFinite()) return new BE(x, this.zero);
    let v: Big;
    let round: Big;
    if (x.abs().lt('0.01')) {
      // x - x^2/2 + x^3/3 - ... with guard digits
      const g = new this.G(x);
      let power = g;
      let sum = g;
      const stop = new this.G(`1e-${this.precision + 4}`).times(g.abs());
      for (let k = 2; ; k++) {
        power = power.times(g).neg();
        const term = power.div(k);
        sum = sum.plus(term);
        if (!term.abs().gt(stop)) break;
      }
      v = sum;
      round = this.rnd(v).times(2);
    } else {
      v = x.plus(1).ln();
      round = this.u.times(v.abs().plus(1));
    }
    const prop = a.e.isZero() ? this.zero : a.e.div(x.plus(1).minus(a.e));
    return this.make(v, prop.plus(round));
  }
  max(a: BE, b: BE): BE {
    if (a.v.isNaN() || b.v.isNaN()) return this.nan();
    const pick = a.v.gte(b.v) ? a : b;
    return this.make(pick.v, a.e.gt(b.e) ? a.e : b.e);
  }
  min(a: BE, b: BE): BE {
    if (a.v.isNaN() || b.v.isNaN()) return this.nan();
    const pick = a.v.lte(b.v) ? a : b;
    return this.make(pick.v, a.e.gt(b.e) ? a.e : b.e);
  }
  pow(a: BE, b: BE): BE {
    if (!a.e.isZero() || !b.e.isZero()) this.uncertain = true;
    const v = a.v.pow(b.v);
    return this.make(v, this.rnd(v).times(2));
  }
  sign(a: BE): number {
    if (a.v.isNaN()) return NaN;
    if (a.v.abs().gt(a.e)) return a.v.isNeg() ? -1 : 1;
    if (a.v.isZero() && a.e.isZero()) return 0;
    this.uncertain = true;
    return a.v.isZero() ? 0 : a.v.isNeg() ? -1 : 1;
  }
  approx(a: BE): number {
    return a.v.toNumber();
  }
}

// ---------------------------------------------------------------------------------------------
// Drivers

const f64 = new F64Arith();
const bigs = new Map<number, BigArith>();

export function bigArith(precision: number): BigArith {
  let A = bigs.get(precision);
  if (A === undefined) {
    A = new BigArith(precision);
    bigs.set(precision, A);
  }
  A.uncertain = false;
  return A;
}

/** One evaluated element. */
export interface Evaluated {
  value: number;
  kind: number;
  /** First-order error factor from the float64 run (NaN when it overflowed). */
  magnitude: number;
  /** True when BigNumber was needed. */
  slow: boolean;
}

/** Slack for float64 subnormal roundings and for the rounding of the bound itself. */
export function inflate(e: number): number {
  return e * (1 + 2 ** -20) + 2 ** -1000;
}

/**
 * Evaluate `formula`: float64 first (unless options.mode is 'exact'), BigNumber when the float64
 * bound does not settle the float32 rounding.
 */
export function evaluate(formula: Formula, options: ResolvedOptions): Evaluated {
  f64.uncertain = false;
  const r = formula(f64);
  const magnitude = Number.isFinite(r.c) ? r.c : NaN;
  if (options.mode === 'tiered' && !f64.uncertain && Number.isFinite(r.v) && certifies32(r.v, inflate(r.e))) {
    return { value: r.v, kind: KIND_FINITE, magnitude, slow: false };
  }
  const b = evaluateBig(formula, options.precision);
  return { value: b.value, kind: b.kind, magnitude, slow: true };
}

/** A BigNumber result as a double, nudged off float32 midpoints it does not really sit on. */
export function bigToDouble(v: Big): number {
  const d = v.toNumber();
  if (isFloat32Midpoint(d)) {
    const c = v.cmp(bigOf(bigClass(20), d));
    if (c > 0) return nextUp64(d);
    if (c < 0) return nextDown64(d);
  }
  return d;
}

function definitional(v: Big): { value: number; kind: number } {
  if (v.isNaN()) return { value: NaN, kind: KIND_NAN };
  return v.isNeg() ? { value: -Infinity, kind: KIND_NEG_INF } : { value: Infinity, kind: KIND_POS_INF };
}

/** True when every value within `e` of `v` rounds to the same float32. */
export function settles(v: Big, e: Big): boolean {
  if (e.isZero()) return true;
  // The double v is stored as (nudged off midpoints it does not sit on), and its rounding interval.
  const d = bigToDouble(v);
  if (Number.isNaN(d) || isFloat32Midpoint(d)) return false;
  const [lo, hi] = roundingInterval32(d);
  const ed = e.toNumber();
  const slack = 2 * (ed + Math.abs(d) * 2 ** -51);
  if (Number.isFinite(d) && Number.isFinite(ed) && d - lo > slack && hi - d > slack) return true;
  // Compare exactly: the wide class holds v ± e without rounding.
  const W = bigClass(MAX_PRECISION);
  const wv = new W(v);
  if (lo !== -Infinity && !wv.minus(e).gt(new W(exactDecimal(lo)))) return false;
  if (hi !== Infinity && !wv.plus(e).lt(new W(exactDecimal(hi)))) return false;
  return true;
}

/** Evaluate with BigNumber, doubling the precision while the float32 rounding is unsettled. */
export function evaluateBig(formula: Formula, precision: number): { value: number; kind: number } {
  let p = precision;
  for (;;) {
    const A = bigArith(p);
    const r = formula(A);
    const last = p >= MAX_PRECISION;
    if (!r.v.isFinite()) {
      if (!A.uncertain || last) return definitional(r.v);
    } else if ((!A.uncertain && settles(r.v, r.e)) || last) {
      return { value: bigToDouble(r.v), kind: KIND_FINITE };
    }
    p = nextPrecision(p);
  }
}

/**
 * The digits of the next try: twice as many, but past half of {@link MAX_PRECISION} straight to
 * it. Whatever 400 digits leave undecided is a value within 10^-400 of a rounding boundary: in
 * the catalog (2026-12-03) 24 values reached 800 digits, none settled there, and that step cost
 * 1.1 of the 6.1 s spent in BigNumber.
 */
export function nextPrecision(p: number): number {
  const next = 2 * p;
  return next > MAX_PRECISION / 2 ? MAX_PRECISION : next;
}
