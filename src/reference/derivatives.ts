/**
 * Exact derivatives of the reference ops, for gradient checks.
 *
 * Each function returns, per input name, d(sum of the op's outputs)/d(input): what `tf.grads`
 * computes with the default upstream gradient of ones. Elementwise derivatives are evaluated
 * like the references (tiered, float32 rounding exact); derivatives that combine several of
 * them (pow's broadcast sums, logSoftmax's 1 - n·softmax, matMul's row sums) add float64
 * rounding on top, far below the tolerances gradient checks use.
 *
 * Where the function has a kink (selu at 0) the derivative is a set: `lower` and `upper` give
 * the one-sided derivatives and any value between them is a valid (Clarke) subgradient; `values`
 * holds the one tfjs's convention picks. The euclidean norm at the zero vector has the unit ball
 * as subdifferential: `values` is its minimum-norm element 0 and [lower, upper] = [-1, 1].
 *
 * Kinds follow the references: sqrt'(0) is +Infinity (kind +inf, the one-sided derivative on
 * the domain [0, Infinity)), and a derivative that does not exist (pow's exponent derivative
 * at a negative base, log' of a negative number) is NaN (kind nan); gradient checks do not
 * check elements of kind nan.
 */
import { ETA } from './arith.ts';
import type { Arith } from './arith.ts';
import { mapFormula, SELU_SCALE, SELU_SCALEALPHA, UNARY_OPS, type UnaryOpName } from './elementwise.ts';
import { ExactBuilder, KIND_FINITE, kindOfValue, type ExactTensor } from './exact.ts';
import { broadcastIndex, broadcastShape, formatShape, parseAxes, planReduction, readInput, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions } from './options.ts';
import { norm, sum, type Axis } from './reductions.ts';
import { softmaxOverAxes } from './softmax.ts';

/** An exact derivative tensor, with the subgradient interval at kinks. */
export interface DerivativeTensor extends ExactTensor {
  /** Lower one-sided derivative where it differs from `upper` (NaN elsewhere). */
  readonly lower?: Float64Array;
  readonly upper?: Float64Array;
}

/** d(sum of outputs)/d(input), by input name. */
export type Derivative = Record<string, DerivativeTensor>;

function sigmoidOf<T>(A: Arith<T>, x: number): T {
  const one = A.num(1);
  if (x >= 0) return A.div(one, A.add(one, A.exp(A.num(-x))));
  const t = A.exp(A.num(x));
  return A.div(t, A.add(one, t));
}

type UnaryDerivative = {
  special(x: number): number | undefined;
  formula<T>(A: Arith<T>, x: number): T;
  /**
   * Magnitude of tfjs's backward formula at x (value v = the exact derivative): what its float32
   * roundings scale with, e.g. y * (1 - y) for sigmoid, where 1 - y keeps an absolute rounding
   * error of 2^-24 even when the derivative itself is 1e-13.
   */
  magnitude(x: number, v: number): number;
};

const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

const nanOr = (x: number, f: (x: number) => number | undefined): number | undefined => (Number.isNaN(x) ? NaN : f(x));

const UNARY_DERIVATIVES: Record<UnaryOpName, UnaryDerivative> = {
  exp: {
    // beyond 710, e^x exceeds float64 (and float32 by far): no BigNumber exp of a huge argument
    special: (x) => nanOr(x, (v) => (v > 710 ? Infinity : v === -Infinity ? 0 : undefined)),
    formula: (A, x) => A.exp(A.num(x)),
    magnitude: (_x, v) => 2 * Math.abs(v) + ETA, // dy * y
  },
  expm1: {
    // beyond 710, e^x exceeds float64 (and float32 by far): no BigNumber exp of a huge argument
    special: (x) => nanOr(x, (v) => (v > 710 ? Infinity : v === -Infinity ? 0 : undefined)),
    formula: (A, x) => A.exp(A.num(x)),
    magnitude: (_x, v) => 2 * Math.abs(v) + ETA, // dy * exp(x)
  },
  log: {
    special: (x) => nanOr(x, (v) => (v < 0 ? NaN : v === 0 ? 1 / v : v === Infinity ? 0 : undefined)), // 1/(-0) = -Infinity, as IEEE 754 divides
    formula: (A, x) => A.div(A.num(1), A.num(x)),
    magnitude: (_x, v) => 2 * Math.abs(v) + ETA, // dy / x
  },
  log1p: {
    special: (x) => nanOr(x, (v) => (v < -1 ? NaN : v === -1 ? Infinity : v === Infinity ? 0 : undefined)),
    formula: (A, x) => A.div(A.num(1), A.add(A.num(1), A.num(x))),
    magnitude: (_x, v) => 3 * Math.abs(v) + ETA, // dy / (x + 1)
  },
  sqrt: {
    special: (x) => nanOr(x, (v) => (v < 0 ? NaN : v === 0 ? 0.5 / Math.sqrt(v) : v === Infinity ? 0 : undefined)), // sqrt(-0) = -0
    formula: (A, x) => A.div(A.num(0.5), A.sqrt(A.num(x))),
    magnitude: (_x, v) => 3 * Math.abs(v) + ETA, // dy / (2 sqrt(x))
  },
  rsqrt: {
    special: (x) => nanOr(x, (v) => (v < 0 ? NaN : v === 0 ? -Infinity : v === Infinity ? -0 : undefined)),
    formula: (A, x) => A.neg(A.div(A.num(0.5), A.mul(A.num(x), A.sqrt(A.num(x))))),
    magnitude: (_x, v) => 4 * Math.abs(v) + ETA, // dy / (2 x^1.5)
  },
  sigmoid: {
    special: (x) => nanOr(x, (v) => (Number.isFinite(v) ? undefined : 0)),
    formula: (A, x) => A.mul(sigmoidOf(A, x), sigmoidOf(A, -x)),
    magnitude: (x, v) => sig(x) * (1 + sig(x)) + 2 * Math.abs(v) + ETA, // dy * y * (1 - y)
  },
  logSigmoid: {
    special: (x) => nanOr(x, (v) => (v === Infinity ? 0 : v === -Infinity ? 1 : undefined)),
    formula: (A, x) => sigmoidOf(A, -x),
    magnitude: (_x, v) => 3 * Math.abs(v) + ETA, // dy * sigmoid(-x)
  },
  softplus: {
    special: (x) => nanOr(x, (v) => (v === Infinity ? 1 : v === -Infinity ? 0 : undefined)),
    formula: (A, x) => sigmoidOf(A, x),
    magnitude: (_x, v) => 3 * Math.abs(v) + ETA, // dy * sigmoid(x)
  },
  tanh: {
    special: (x) => nanOr(x, (v) => (Number.isFinite(v) ? undefined : 0)),
    formula<T>(A: Arith<T>, x: number): T {
      // sech^2 x = 4t / (1 + t)^2 with t = exp(-2|x|)
      const t = A.exp(A.num(-2 * Math.abs(x)));
      return A.div(A.mul(A.num(4), t), A.square(A.add(A.num(1), t)));
    },
    magnitude: (x, v) => 1 + Math.tanh(x) ** 2 + 2 * Math.abs(v) + ETA, // dy * (1 - y^2)
  },
  elu: {
    special: (x) => nanOr(x, (v) => (v === Infinity ? 1 : v === -Infinity ? 0 : undefined)),
    formula: (A, x) => (x > 0 ? A.num(1) : A.exp(A.num(x))),
    magnitude: (x, v) => (x > 0 ? 1 : Math.abs(Math.expm1(x)) + 1 + 2 * Math.abs(v)) + ETA, // dy * (y + 1) for x < 0
  },
  selu: {
    special: (x) => nanOr(x, (v) => (v === Infinity ? Number(SELU_SCALE) : v === -Infinity ? 0 : undefined)),
    formula: (A, x) => (x > 0 ? A.constant(SELU_SCALE) : A.mul(A.constant(SELU_SCALEALPHA), A.exp(A.num(x)))),
    magnitude: (_x, v) => 3 * Math.abs(v) + ETA, // dy * scaleAlpha * exp(x)
  },
};

/** d/dx of a unary reference op, elementwise. */
export function unaryDerivative(op: UnaryOpName, x: RefInput, options?: ReferenceOptions): Derivative {
  const d = UNARY_DERIVATIVES[op];
  if (d === undefined || UNARY_OPS[op] === undefined) throw new RangeError(`unaryDerivative: unknown op '${String(op)}'`);
  const computed = mapFormula(
    `${op}'`,
    [{ name: 'x', value: x }],
    (A, xs) => d.formula(A, xs[0]!),
    options,
    (xs) => d.special(xs[0]!),
  );
  const o = resolveOptions(options);
  const r = readInput(`${op}'`, 'x', x, o);
  const magnitude = Float64Array.from(r.data, (xi, i) => d.magnitude(xi, computed.values[i]!));
  const t: ExactTensor = { ...computed, magnitude };
  if (op !== 'selu') return { x: t };
  // selu has a kink at 0: one-sided derivatives SCALE (right) and SCALEALPHA (left).
  const lower = new Float64Array(t.values.length).fill(NaN);
  const upper = new Float64Array(t.values.length).fill(NaN);
  for (let i = 0; i < r.size; i++) {
    if (r.data[i] === 0) {
      lower[i] = Number(SELU_SCALE);
      upper[i] = Number(SELU_SCALEALPHA);
    }
  }
  return { x: { ...t, lower, upper } };
}

/** Sum a broadcast elementwise derivative back to the shape of one operand. */
function reduceTo(shape: readonly number[], full: ExactTensor, outShape: readonly number[]): ExactTensor {
  const index = broadcastIndex(shape, outShape);
  let size = 1;
  for (const d of shape) size *= d;
  if (size === full.values.length) return { ...full, shape: [...shape] };
  const out = new ExactBuilder(shape, size, true);
  const vals = out.values;
  for (let i = 0; i < full.values.length; i++) {
    vals[index[i]!] = vals[index[i]!]! + full.values[i]!;
    out.magnitude![index[i]!] = out.magnitude![index[i]!]! + (full.magnitude?.[i] ?? Math.abs(full.values[i]!));
  }
  for (let i = 0; i < size; i++) out.kinds[i] = kindOfValue(vals[i]!);
  return out.build();
}

/**
 * d/d(base) and d/d(exp) of sum(pow(base, exp)). At base 0: d/dbase is 0 for exp > 1, 1 for
 * exp = 1, +Infinity for 0 < exp < 1, 0 for exp = 0 (0^0 = 1 is constant), and follows
 * exp * 0^(exp - 1) for negative exponents; d/dexp is 0 for exp > 0 and NaN (no derivative)
 * otherwise, and NaN at negative bases.
 */
export function powDerivative(base: RefInput, exponent: RefInput, options?: ReferenceOptions): Derivative {
  const o = resolveOptions(options);
  const a = readInput("pow'", 'base', base, o);
  const b = readInput("pow'", 'exp', exponent, o);
  const outShape = broadcastShape("pow'", 'base', a.shape, 'exp', b.shape);
  const inputs = [
    { name: 'base', value: a },
    { name: 'exp', value: b },
  ];
  const dBase = mapFormula(
    "pow'",
    inputs,
    // y - 1 as a rounded operation: tfjs's float32 exp - 1 errs by 2^-24·|y - 1|, which |log x| magnifies (magnitude)
    (A, [x, y]) => A.mul(A.num(y!), A.pow(A.num(x!), A.sub(A.num(y!), A.num(1)))),
    { ...options, inputs: 'float64' },
    ([x, y]) => {
      if (Number.isNaN(x!) || Number.isNaN(y!)) return NaN;
      if (y === 0) return 0;
      if (x === 0) return y! * Math.pow(x, y! - 1);
      if (!Number.isFinite(x!) || !Number.isFinite(y!)) return y! * Math.pow(x!, y! - 1);
      if (x! < 0 && !Number.isInteger(y!)) return NaN;
      return undefined;
    },
  );
  const dExp = mapFormula(
    "pow'",
    inputs,
    (A, [x, y]) => A.mul(A.pow(A.num(x!), A.num(y!)), A.log(A.num(x!))),
    { ...options, inputs: 'float64' },
    ([x, y]) => {
      if (Number.isNaN(x!) || Number.isNaN(y!)) return NaN;
      if (x! < 0) return NaN;
      if (x === 0) return y! > 0 ? 0 : NaN;
      if (!Number.isFinite(x!) || !Number.isFinite(y!)) return Math.pow(x!, y!) * Math.log(x!);
      return undefined;
    },
  );
  return { base: reduceTo(a.shape, dBase, outShape), exp: reduceTo(b.shape, dExp, outShape) };
}

function filled(shape: readonly number[], value: (i: number) => number, magnitude?: (i: number) => number): ExactTensor {
  let size = 1;
  for (const d of shape) size *= d;
  const out = new ExactBuilder(shape, size, magnitude !== undefined);
  for (let i = 0; i < size; i++) {
    out.definitional(i, value(i));
    if (magnitude) out.magnitude![i] = magnitude(i);
  }
  return out.build();
}

/** d/dx sum(sum(x, axis)) = 1 everywhere. */
export function sumDerivative(x: RefInput, options?: ReferenceOptions): Derivative {
  const t = readInput("sum'", 'x', x, resolveOptions(options));
  return { x: filled(t.shape, () => 1) };
}

/** d/dx sum(mean(x, axis)) = 1/n with n the number of elements averaged together. */
export function meanDerivative(x: RefInput, axis: Axis = null, options?: ReferenceOptions): Derivative {
  const t = readInput("mean'", 'x', x, resolveOptions(options));
  const plan = planReduction(t.shape, parseAxes("mean'", axis, t.shape.length));
  return { x: filled(t.shape, () => 1 / plan.groupSize) };
}

/**
 * d/dx sum(norm(x, 'euclidean', axis)) = x / norm(x) per group; at a zero group the minimum-norm
 * subgradient 0, with [lower, upper] = [-1, 1].
 */
export function normDerivative(x: RefInput, axis: Axis = null, options?: ReferenceOptions): Derivative {
  const o = resolveOptions(options);
  const t = readInput("norm'", 'x', x, o);
  const axes = parseAxes("norm'", axis, t.shape.length);
  const plan = planReduction(t.shape, axes);
  const normT = norm(t, 'euclidean', axis, false, { ...options, inputs: 'float64' });
  const norms = normT.values;
  const out = new ExactBuilder(t.shape, t.size, true);
  const lower = new Float64Array(t.size).fill(NaN);
  const upper = new Float64Array(t.size).fill(NaN);
  const n = plan.groupSize;
  for (let g = 0; g < plan.groups; g++) {
    for (let j = 0; j < n; j++) {
      const idx = plan.order[g * n + j]!;
      const xv = t.data[idx]!;
      const nv = norms[g]!;
      if (nv === 0) {
        out.definitional(idx, 0);
        lower[idx] = -1;
        upper[idx] = 1;
      } else {
        out.definitional(idx, xv / nv);
      }
      // x / norm: the norm's own error (underflow of x^2 included) carries over relatively.
      out.magnitude![idx] = Math.abs(out.values[idx]!) * (4 + (nv > 0 ? normT.magnitude![g]! / nv : 0)) + ETA;
    }
  }
  return { x: { ...out.build(), lower, upper } };
}

/** d/dx sum(logSumExp(x, axis)) = softmax of each group. */
export function logSumExpDerivative(x: RefInput, axis: Axis = null, options?: ReferenceOptions): Derivative {
  return { x: softmaxOverAxes("logSumExp'", x, axis, options) };
}

/**
 * d/dx sum(softmax(x)) = 0 exactly (each row sums to 1). The magnitude 2·softmax(x) is the size
 * of the terms of the usual backward formula s * (dy - sum(dy * s)), which a float32
 * implementation cancels to within a few roundings of it.
 */
export function softmaxDerivative(logits: RefInput, options?: ReferenceOptions): Derivative {
  const s = softmaxOverAxes("softmax'", logits, -1, options);
  return {
    logits: filled(
      s.shape,
      (i) => (s.kinds[i] === KIND_FINITE ? 0 : NaN),
      (i) => 2 * Math.abs(s.values[i]!),
    ),
  };
}

/** d/dx sum(logSoftmax(x)) = 1 - n·softmax(x) along the last axis (n classes). */
export function logSoftmaxDerivative(logits: RefInput, options?: ReferenceOptions): Derivative {
  const s = softmaxOverAxes("logSoftmax'", logits, -1, options);
  const n = s.shape[s.shape.length - 1] ?? 1;
  return {
    logits: filled(
      s.shape,
      (i) => (s.kinds[i] === KIND_FINITE ? 1 - n * s.values[i]! : NaN),
      (i) => 1 + 2 * n * Math.abs(s.values[i]!),
    ),
  };
}

/** d/da and d/db of sum(matMul(a, b, transposeA, transposeB)) for rank-2 a and b. */
export function matMulDerivative(a: RefInput, b: RefInput, transposeA = false, transposeB = false, options?: ReferenceOptions): Derivative {
  const o = resolveOptions(options);
  const A = readInput("matMul'", 'a', a, o);
  const B = readInput("matMul'", 'b', b, o);
  if (A.shape.length !== 2 || B.shape.length !== 2) {
    throw new RangeError(`matMul': only rank-2 'a' and 'b' have an exact derivative; got ${formatShape(A.shape)} and ${formatShape(B.shape)}`);
  }
  // C = op(A) op(B); d sum(C) / d op(A)[i,k] = sum_j op(B)[k,j]; d / d op(B)[k,j] = sum_i op(A)[i,k].
  const bRows = sum(B, transposeB ? 0 : 1, false, { ...options, inputs: 'float64' }); // sum_j op(B)[k, j], length k
  const aCols = sum(A, transposeA ? 1 : 0, false, { ...options, inputs: 'float64' }); // sum_i op(A)[i, k], length k
  const [ar, ac] = A.shape as [number, number];
  const [br, bc] = B.shape as [number, number];
  // each element of a gradient is one of those sums: it keeps their accumulation (sum of |terms|, terms)
  const spread = (shape: [number, number], from: ExactTensor, index: (r: number, c: number) => number): ExactTensor => {
    const [rows, cols] = shape;
    const out = new ExactBuilder(shape, rows * cols);
    for (let flat = 0; flat < rows * cols; flat++) {
      const at = index(Math.floor(flat / cols), flat % cols);
      out.definitional(flat, from.values[at]!);
      if (from.absSum && from.terms) out.accumulation(flat, from.absSum[at]!, from.terms[at]!);
    }
    return out.build();
  };
  const dA = spread([ar, ac], bRows, (r, c) => (transposeA ? r : c));
  const dB = spread([br, bc], aCols, (r, c) => (transposeB ? c : r));
  return { a: dA, b: dB };
}

/** Exact derivatives by op name, for gradientMatches (src/check/gradient.ts). */
export const derivatives = {
  exp: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('exp', x, o),
  expm1: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('expm1', x, o),
  log: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('log', x, o),
  log1p: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('log1p', x, o),
  sqrt: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('sqrt', x, o),
  rsqrt: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('rsqrt', x, o),
  sigmoid: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('sigmoid', x, o),
  logSigmoid: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('logSigmoid', x, o),
  softplus: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('softplus', x, o),
  tanh: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('tanh', x, o),
  elu: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('elu', x, o),
  selu: (x: RefInput, o?: ReferenceOptions) => unaryDerivative('selu', x, o),
  pow: powDerivative,
  sum: sumDerivative,
  mean: meanDerivative,
  norm: normDerivative,
  logSumExp: logSumExpDerivative,
  softmax: softmaxDerivative,
  logSoftmax: logSoftmaxDerivative,
  matMul: matMulDerivative,
} as const;
