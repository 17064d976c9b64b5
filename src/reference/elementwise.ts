/**
 * Exact references for elementwise ops: exp, expm1, log, log1p, sqrt, rsqrt, sigmoid,
 * logSigmoid, softplus, tanh, elu, selu and pow.
 *
 * Each op has three parts:
 *
 * - `special`: inputs whose answer is fixed by definition or by a limit (NaN, ±Infinity, the
 *   edges of the domain: log(0) = -Infinity, log(-1) = NaN, rsqrt(+0) = +Infinity, rsqrt(-0) =
 *   -Infinity as IEEE 754 division gives, tanh(±Infinity) = ±1, selu(-Infinity) = -1.7581...).
 * - `fast`: a float64 kernel with a hand-derived error bound (libm calls charged 16 float64
 *   ulps; the measured worst case of V8's exp/log/log1p/expm1/tanh/pow on float32 inputs is
 *   1.1 ulps). Stable formulas throughout: sigmoid via exp(-|x|), softplus as
 *   max(x, 0) + log1p(exp(-|x|)), so no bound has to absorb cancellation.
 * - `formula`: the same function for BigNumber (via {@link Arith}), used when the bound
 *   straddles a float32 rounding midpoint.
 *
 * Overflow is not an error: exp(100) is a finite real number whose float32 rounding is
 * +Infinity; the reference reports kind 'finite' with value 2.688e43, and exp(1000) kind
 * 'finite' with value +Infinity (beyond float64).
 */
import { evaluate, evaluateBig, type Arith } from './arith.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { certifies32 } from '../core/float32.ts';
import { broadcastIndex, broadcastShape, readInput, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';

const U = 2 ** -53;
/** Per libm call (see arith.ts). */
const LM = 16 * U;
/** Absolute slack for float64 subnormal results (far below float32's 2^-149). */
const TINY = 2 ** -1000;

/** SELU constants exactly as tfjs defines them (backend_util.SELU_SCALE / SELU_SCALEALPHA). */
export const SELU_SCALE = '1.0507009873554804934193349852946';
export const SELU_SCALEALPHA = '1.7580993408473768599402175208123';
const SCALE = Number(SELU_SCALE);
const SCALEALPHA = Number(SELU_SCALEALPHA);

/** Where a `fast` kernel puts the absolute error bound of the value it returns (one per caller, reused). */
export interface ErrorTerm {
  err: number;
}

/** One elementwise op of one argument. */
export interface UnaryOp {
  readonly name: string;
  /** The exact answer where it is fixed by definition; `undefined` for ordinary inputs. */
  special(x: number): number | undefined;
  /** ±Infinity where the exact answer is finite but certainly beyond float64's range. */
  overflow?(x: number): number | undefined;
  /** float64 value; its absolute error bound goes to `e.err`. */
  fast(x: number, e: ErrorTerm): number;
  formula<T>(A: Arith<T>, x: number): T;
}

export function softplusFormula<T>(A: Arith<T>, x: number): T {
  // max(x, 0) + log1p(exp(-|x|)): no overflow, no cancellation.
  if (x > 0) return A.add(A.num(x), A.log1p(A.exp(A.num(-x))));
  return A.log1p(A.exp(A.num(x)));
}

function softplusFast(x: number, e: ErrorTerm): number {
  if (x > 0) {
    const v = x + Math.log1p(Math.exp(-x));
    e.err = (2 * LM + 2 * U) * v + TINY;
    return v;
  }
  const v = Math.log1p(Math.exp(x));
  e.err = (2 * LM + U) * v + TINY;
  return v;
}

const expOp: UnaryOp = {
  name: 'exp',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? Infinity : x === -Infinity ? 0 : undefined),
  overflow: (x) => (x > 710 ? Infinity : undefined),
  fast(x, e) {
    const v = Math.exp(x);
    e.err = v === Infinity ? 0 : LM * v + TINY;
    return v;
  },
  formula: (A, x) => A.exp(A.num(x)),
};

const expm1Op: UnaryOp = {
  name: 'expm1',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? Infinity : x === -Infinity ? -1 : undefined),
  overflow: (x) => (x > 710 ? Infinity : undefined),
  fast(x, e) {
    const v = Math.expm1(x);
    e.err = v === Infinity ? 0 : LM * Math.abs(v) + TINY;
    return v;
  },
  formula: (A, x) => A.expm1(A.num(x)),
};

const logOp: UnaryOp = {
  name: 'log',
  special: (x) => (Number.isNaN(x) || x < 0 ? NaN : x === 0 ? -Infinity : x === Infinity ? Infinity : undefined),
  fast(x, e) {
    const v = Math.log(x);
    e.err = LM * Math.abs(v) + TINY;
    return v;
  },
  formula: (A, x) => A.log(A.num(x)),
};

const log1pOp: UnaryOp = {
  name: 'log1p',
  special: (x) => (Number.isNaN(x) || x < -1 ? NaN : x === -1 ? -Infinity : x === Infinity ? Infinity : undefined),
  fast(x, e) {
    const v = Math.log1p(x);
    e.err = LM * Math.abs(v) + TINY;
    return v;
  },
  formula: (A, x) => A.log1p(A.num(x)),
};

const sqrtOp: UnaryOp = {
  name: 'sqrt',
  special: (x) => (Number.isNaN(x) || x < 0 ? NaN : x === 0 || x === Infinity ? x : undefined),
  fast(x, e) {
    const v = Math.sqrt(x);
    e.err = U * v + TINY;
    return v;
  },
  formula: (A, x) => A.sqrt(A.num(x)),
};

const rsqrtOp: UnaryOp = {
  name: 'rsqrt',
  special: (x) => (Number.isNaN(x) || x < 0 ? NaN : x === 0 ? (Object.is(x, -0) ? -Infinity : Infinity) : x === Infinity ? 0 : undefined),
  fast(x, e) {
    const v = 1 / Math.sqrt(x);
    e.err = 3 * U * v + TINY;
    return v;
  },
  formula: (A, x) => A.div(A.num(1), A.sqrt(A.num(x))),
};

const sigmoidOp: UnaryOp = {
  name: 'sigmoid',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? 1 : x === -Infinity ? 0 : undefined),
  fast(x, e) {
    if (x >= 0) {
      const v = 1 / (1 + Math.exp(-x));
      e.err = (LM + 4 * U) * v + TINY;
      return v;
    }
    const t = Math.exp(x);
    const v = t / (1 + t);
    e.err = (2 * LM + 4 * U) * v + TINY;
    return v;
  },
  formula<T>(A: Arith<T>, x: number): T {
    const one = A.num(1);
    if (x >= 0) return A.div(one, A.add(one, A.exp(A.num(-x))));
    const t = A.exp(A.num(x));
    return A.div(t, A.add(one, t));
  },
};

const softplusOp: UnaryOp = {
  name: 'softplus',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? Infinity : x === -Infinity ? 0 : undefined),
  fast: softplusFast,
  formula: softplusFormula,
};

const logSigmoidOp: UnaryOp = {
  name: 'logSigmoid',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? -0 : x === -Infinity ? -Infinity : undefined),
  fast: (x, e) => -softplusFast(-x, e),
  formula: (A, x) => A.neg(softplusFormula(A, -x)),
};

const tanhOp: UnaryOp = {
  name: 'tanh',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? 1 : x === -Infinity ? -1 : x === 0 ? x : undefined),
  fast(x, e) {
    const v = Math.tanh(x);
    e.err = LM * Math.abs(v) + TINY;
    return v;
  },
  formula<T>(A: Arith<T>, x: number): T {
    // tanh|x| = -t / (t + 2) with t = expm1(-2|x|) in (-1, 0): no overflow, no cancellation.
    const t = A.expm1(A.num(-2 * Math.abs(x)));
    const r = A.div(A.neg(t), A.add(t, A.num(2)));
    return x < 0 ? A.neg(r) : r;
  },
};

const eluOp: UnaryOp = {
  name: 'elu',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? Infinity : x === -Infinity ? -1 : undefined),
  fast(x, e) {
    if (x > 0) {
      e.err = 0;
      return x;
    }
    const v = Math.expm1(x);
    e.err = LM * Math.abs(v) + TINY;
    return v;
  },
  formula: (A, x) => (x > 0 ? A.num(x) : A.expm1(A.num(x))),
};

const seluOp: UnaryOp = {
  name: 'selu',
  special: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? Infinity : x === -Infinity ? -SCALEALPHA : undefined),
  fast(x, e) {
    if (x > 0) {
      const v = SCALE * x;
      e.err = 3 * U * Math.abs(v) + TINY;
      return v;
    }
    const v = SCALEALPHA * Math.expm1(x);
    e.err = (LM + 3 * U) * Math.abs(v) + TINY;
    return v;
  },
  formula: (A, x) => (x > 0 ? A.mul(A.constant(SELU_SCALE), A.num(x)) : A.mul(A.constant(SELU_SCALEALPHA), A.expm1(A.num(x)))),
};

/** All unary ops by name. */
export const UNARY_OPS = {
  exp: expOp,
  expm1: expm1Op,
  log: logOp,
  log1p: log1pOp,
  sqrt: sqrtOp,
  rsqrt: rsqrtOp,
  sigmoid: sigmoidOp,
  logSigmoid: logSigmoidOp,
  softplus: softplusOp,
  tanh: tanhOp,
  elu: eluOp,
  selu: seluOp,
} as const;
export type UnaryOpName = keyof typeof UNARY_OPS;

/** e^x. */
export const exp = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(expOp, x, options);
/** e^x - 1. */
export const expm1 = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(expm1Op, x, options);
/** Natural logarithm; log(0) = -Infinity, log(x < 0) = NaN. */
export const log = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(logOp, x, options);
/** log(1 + x); log1p(-1) = -Infinity, log1p(x < -1) = NaN. */
export const log1p = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(log1pOp, x, options);
/** Square root; sqrt(-0) = -0, sqrt(x < 0) = NaN. */
export const sqrt = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(sqrtOp, x, options);
/** 1 / sqrt(x); rsqrt(+0) = +Infinity, rsqrt(-0) = -Infinity. */
export const rsqrt = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(rsqrtOp, x, options);
/** 1 / (1 + e^-x). */
export const sigmoid = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(sigmoidOp, x, options);
/** log(sigmoid(x)) = -softplus(-x). */
export const logSigmoid = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(logSigmoidOp, x, options);
/** log(1 + e^x). */
export const softplus = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(softplusOp, x, options);
/** Hyperbolic tangent. */
export const tanh = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(tanhOp, x, options);
/** x for x > 0, e^x - 1 otherwise (tf.elu, alpha 1). */
export const elu = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(eluOp, x, options);
/** SCALE * x for x > 0, SCALEALPHA * (e^x - 1) otherwise, with tfjs's constants. */
export const selu = (x: RefInput, options?: ReferenceOptions): ExactTensor => applyUnary(seluOp, x, options);

/** Exact value of one element of a unary op (used by the driver and by derivatives). */
export function unaryElement(op: UnaryOp, x: number, o: ResolvedOptions, out: ExactBuilder, i: number, e: ErrorTerm = { err: 0 }): void {
  const s = op.special(x);
  if (s !== undefined) {
    out.definitional(i, s);
    return;
  }
  const big = op.overflow?.(x);
  if (big !== undefined) {
    out.finite(i, big);
    return;
  }
  if (o.mode === 'tiered') {
    const v = op.fast(x, e);
    if (certifies32(v, e.err)) {
      out.finite(i, v);
      return;
    }
  }
  out.slow++;
  const r = evaluateBig((A) => op.formula(A, x), o.precision);
  out.set(i, r.value, r.kind);
}

/** Apply a unary op's reference to every element of `x`. */
export function applyUnary(op: UnaryOp, x: RefInput, options?: ReferenceOptions, argName = 'x'): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(op.name, argName, x, o);
  const out = new ExactBuilder(t.shape, t.size);
  const data = t.data;
  const e: ErrorTerm = { err: 0 };
  for (let i = 0; i < t.size; i++) unaryElement(op, data[i]!, o, out, i, e);
  return out.build();
}

/**
 * Map a generic formula over the elements of one or more same-shape inputs (tiered evaluation;
 * magnitudes recorded). Used by derivatives and by small composite references.
 */
export function mapFormula(
  fn: string,
  inputs: readonly { name: string; value: RefInput }[],
  formula: <T>(A: Arith<T>, xs: readonly number[]) => T,
  options?: ReferenceOptions,
  special?: (xs: readonly number[]) => number | undefined,
): ExactTensor {
  const o = resolveOptions(options);
  const reads = inputs.map((inp) => readInput(fn, inp.name, inp.value, o));
  let shape = reads[0]!.shape as readonly number[];
  for (let k = 1; k < reads.length; k++) shape = broadcastShape(fn, inputs[0]!.name, shape, inputs[k]!.name, reads[k]!.shape);
  const index = reads.map((r) => broadcastIndex(r.shape, shape));
  let size = 1;
  for (const d of shape) size *= d;
  const out = new ExactBuilder(shape, size, true);
  const xs = new Array<number>(reads.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < reads.length; k++) xs[k] = reads[k]!.data[index[k]![i]!]!;
    const s = special?.(xs);
    if (s !== undefined) {
      out.definitional(i, s);
      out.magnitude![i] = Math.abs(s);
      continue;
    }
    const args = xs.slice();
    const r = evaluate((A) => formula(A, args), o);
    out.set(i, r.value, r.kind);
    out.magnitude![i] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
    if (r.slow) out.slow++;
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// pow

/**
 * pow's answers fixed by definition, C99 Annex F (F.9.4.4): pow(x, ±0) = 1 for every x, even NaN;
 * pow(+1, y) = 1 for every y, even NaN; pow(-1, ±Infinity) = 1; NaN otherwise propagates; a
 * negative finite base with a finite non-integer exponent is NaN. ECMAScript's Math.pow agrees on
 * the remaining zeros and infinities (pow(±0, -3) = ±Infinity, pow(0.5, -Infinity) = +Infinity...)
 * but not on those three: Math.pow(1, NaN), Math.pow(1, Infinity) and Math.pow(-1, Infinity) are NaN.
 */
function powSpecial(x: number, y: number): number | undefined {
  if (y === 0 || x === 1) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === -1 && !Number.isFinite(y)) return 1;
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0) return Math.pow(x, y);
  if (x < 0 && !Number.isInteger(y)) return NaN;
  return undefined;
}

function powOverflow(x: number, y: number): number | undefined {
  const t = y * Math.log2(Math.abs(x));
  if (t > 1030) return x < 0 && Math.abs(y % 2) === 1 ? -Infinity : Infinity;
  return undefined;
}

/**
 * pow(x, y) with broadcasting. Special inputs (zeros, infinities, NaN, negative base with a
 * non-integer exponent) follow C99 Annex F (see powSpecial): pow(0, -1) = +Infinity (kind +inf),
 * pow(-8, 1/3) = NaN, pow(1, NaN) = pow(1, Infinity) = pow(-1, Infinity) = pow(NaN, 0) = 1.
 * (tfjs's cpu kernel uses Math.pow, which gives NaN for the last four.)
 */
export function pow(base: RefInput, exponent: RefInput, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const a = readInput('pow', 'base', base, o);
  const b = readInput('pow', 'exp', exponent, o);
  const shape = broadcastShape('pow', 'base', a.shape, 'exp', b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  let size = 1;
  for (const d of shape) size *= d;
  const out = new ExactBuilder(shape, size);
  for (let i = 0; i < size; i++) {
    const x = a.data[ia[i]!]!;
    const y = b.data[ib[i]!]!;
    const s = powSpecial(x, y);
    if (s !== undefined) {
      out.definitional(i, s);
      continue;
    }
    const big = powOverflow(x, y);
    if (big !== undefined) {
      out.finite(i, big);
      continue;
    }
    if (o.mode === 'tiered') {
      const v = Math.pow(x, y);
      const err = Number.isFinite(v) ? 2 * LM * Math.abs(v) + TINY : 0;
      if (certifies32(v, err)) {
        out.finite(i, v);
        continue;
      }
    }
    out.slow++;
    const r = evaluateBig((A) => A.pow(A.num(x), A.num(y)), o.precision);
    out.set(i, r.value, r.kind);
  }
  return out.build();
}
