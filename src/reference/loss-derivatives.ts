/**
 * Exact derivatives of tf.losses, for gradient checks: d(sum of the loss's outputs)/d(input) for
 * labels, predictions (logits) and weights, under every Reduction.
 *
 * Each loss is a weighted combination of per-element losses L_g (see losses.ts), so
 * d/dθ_j = w_g / D · ∂L_g/∂θ_j with D the reduction's divisor (1 for none and sum, n or the
 * count of non-zero weights, f·sum(w) for mean with weights). The partial derivatives:
 *
 * | loss                | ∂/∂labels                      | ∂/∂predictions (logits)                    |
 * |---------------------|--------------------------------|--------------------------------------------|
 * | meanSquaredError    | 2 (y - p)                      | -2 (y - p)                                 |
 * | absoluteDifference  | sign(y - p), [-1, 1] at y = p  | -sign(y - p), [-1, 1] at y = p             |
 * | huberLoss           | -clamp(p - y, -δ, δ)           | clamp(p - y, -δ, δ)                        |
 * | hingeLoss           | -2p where 1 - (2y-1)p > 0      | -(2y - 1) there, 0 below; a kink at 0      |
 * | logLoss             | -log(p + ε) + log(1 - p + ε)   | -y/(p + ε) + (1 - y)/(1 - p + ε)            |
 * | sigmoidCrossEntropy | -x (1 - ls)                    | sigmoid(x) - z'                            |
 * | softmaxCrossEntropy | (1 - ls)(logSumExp(x) - x_j)   | sum(y') softmax(x)_j - y'_j                |
 * | cosineDistance      | -p_j                           | -y_j                                       |
 * | computeWeightedLoss | (losses) 1                     |                                            |
 *
 * and for the weights: sum over the elements weight k multiplies of L_i (none, sum), the same over
 * the count of non-zero weights (sumByNonzeroWeights; undefined — NaN — at a zero weight, where the
 * count jumps), and (sum_{i→k} L_i - S/W) / (f W) for mean with S = sum(w L), W = sum(w).
 *
 * Special values follow losses.ts: derivatives at an infinite logit are their limits
 * (sigmoid(+Infinity) - z = 1 - z), NaN inputs and points where the function is undefined give
 * NaN (the gradient check skips those elements), a pole gives ±Infinity (logLoss at p = -ε).
 * Where a loss has a kink (|y - p| at y = p, the hinge at its margin) `lower`/`upper` hold the
 * one-sided derivatives: any value between them is a valid subgradient.
 */
import type { Arith, Formula } from './arith.ts';
import { bigArith, bigToDouble, ETA, F64Arith, type Evaluated } from './arith.ts';
import { ExactBuilder, KIND_FINITE, kindOfValue } from './exact.ts';
import type { DerivativeTensor, Derivative } from './derivatives.ts';
import { readInput, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ResolvedOptions } from './options.ts';
import {
  absoluteDifferenceTerms,
  cosineDistanceTerms,
  givenTerms,
  huberDelta,
  huberLossTerms,
  hingeLossTerms,
  labelSmoothing,
  logLossEpsilon,
  logLossTerms,
  meanSquaredErrorTerms,
  mulLim,
  sigmoidCrossEntropyTerms,
  softmaxCrossEntropyTerms,
  weighting,
  type LossOptions,
  type LossTerms,
  type Term,
  type Weighting,
} from './losses.ts';
import { rowMaxEntry, rowSums } from './softmax.ts';
import { assertSameShape, parseAxes, planReduction } from './input.ts';

/** One input element's partial derivative, with the subgradient interval at a kink. */
interface Partial {
  readonly value: Term;
  readonly kink?: readonly [number, number];
  /**
   * The first-order rounding factor of tfjs's backward formula for this element, before the
   * weight and divisor (where it differs from the exact formula's: dy - dy·z cancels where the
   * exact 1 - z does not).
   */
  readonly magnitude?: number;
}

function sigmoidOf<T>(A: Arith<T>, x: number): T {
  const one = A.num(1);
  if (x >= 0) return A.div(one, A.add(one, A.exp(A.num(-x))));
  const t = A.exp(A.num(x));
  return A.div(t, A.add(one, t));
}

/** A fixed partial derivative times the weight over the divisor (IEEE, with an exact-0 weight winning over a limit). */
function scaleFixed(v: number, w: number, wt: Weighting): number {
  const d = wt.divisor === undefined ? 1 : wt.divisor.approx;
  return mulLim(v, w) / d;
}

/**
 * d(total)/dθ_j for an input of `shape` whose element j feeds loss element group(j): the
 * partial derivative times w_g / D.
 */
function derivativeTensor(
  shape: readonly number[],
  size: number,
  group: (j: number) => number,
  partial: (j: number) => Partial,
  wt: Weighting,
  o: ResolvedOptions,
): DerivativeTensor {
  const out = new ExactBuilder(shape, size, true);
  let lower: Float64Array | undefined;
  let upper: Float64Array | undefined;
  const d = wt.divisor;
  for (let j = 0; j < size; j++) {
    const g = group(j);
    const w = wt.weight(g);
    const p = partial(j);
    if (p.kink !== undefined) {
      lower ??= new Float64Array(size).fill(NaN);
      upper ??= new Float64Array(size).fill(NaN);
      const a = scaleFixed(p.kink[0], w, wt);
      const b = scaleFixed(p.kink[1], w, wt);
      lower[j] = Math.min(a, b);
      upper[j] = Math.max(a, b);
    }
    if (typeof p.value === 'number') {
      const v = scaleFixed(p.value, w, wt);
      out.definitional(j, v);
      out.magnitude![j] = Number.isFinite(v) ? Math.abs(v) : 0;
      continue;
    }
    const f = p.value;
    if (!Number.isFinite(w)) {
      out.definitional(j, NaN);
      continue;
    }
    const scaled: Formula = <T>(A: Arith<T>): T => {
      const t = w === 1 ? f(A) : A.mul(f(A), A.num(w));
      return d === undefined ? t : A.div(t, d.formula(A));
    };
    const r = evaluate(scaled, o);
    out.set(j, r.value, r.kind);
    out.magnitude![j] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
    if (p.magnitude !== undefined) {
      const factor = Math.abs(w) / (d === undefined ? 1 : Math.abs(d.approx));
      out.magnitude![j] = Math.max(out.magnitude![j]!, factor * p.magnitude + 2 * Math.abs(r.value) + 2 * ETA);
    }
    if (r.slow) out.slow++;
  }
  const t = out.build();
  return lower && upper ? { ...t, lower, upper } : t;
}

/** d(total)/d(weights): see the module comment. */
function weightsDerivative(terms: LossTerms, wt: Weighting, o: ResolvedOptions): DerivativeTensor {
  const w = wt.weights!;
  const wi = wt.weightIndex!;
  const m = w.size;
  const n = wt.n;
  const members: number[][] = Array.from({ length: m }, () => []);
  for (let i = 0; i < n; i++) members[wi[i]!]!.push(i);
  const out = new ExactBuilder(w.shape, m, true);
  const fixed: (number | undefined)[] = new Array(n);
  const formulas: (Formula | undefined)[] = new Array(n);
  const approx = new Float64Array(n); // the losses' values, for the accumulation data
  let anyNonFinite = false;
  for (let i = 0; i < n; i++) {
    const t = terms.term(i);
    if (typeof t === 'number') {
      fixed[i] = t;
      approx[i] = t;
      if (!Number.isFinite(t)) anyNonFinite = true;
    } else {
      formulas[i] = t;
      f64.uncertain = false;
      approx[i] = t(f64).v;
    }
  }
  const termOf = <T>(A: Arith<T>, i: number): T => (formulas[i] ? formulas[i]!(A) : A.num(fixed[i]!));
  const d = wt.divisor;
  const divAbs = d === undefined ? 1 : Math.abs(d.approx);
  let weighted = 0; // sum |w_i L_i|
  for (let i = 0; i < n; i++) {
    const v = Math.abs(w.data[wi[i]!]! * approx[i]!);
    if (Number.isFinite(v)) weighted += v;
  }
  for (let k = 0; k < m; k++) {
    const idx = members[k]!;
    let own = 0;
    for (const i of idx) if (Number.isFinite(approx[i]!)) own += Math.abs(approx[i]!);
    if (wt.reduction === 'sumByNonzeroWeights' && w.data[k] === 0) {
      out.definitional(k, NaN); // the count of non-zero weights jumps here: no derivative
      continue;
    }
    if (wt.reduction === 'mean' && wt.hasWeights) {
      if (anyNonFinite) {
        out.definitional(k, NaN);
        continue;
      }
      const f: Formula = <T>(A: Arith<T>): T => {
        let mine = A.num(0);
        for (const i of idx) mine = A.add(mine, termOf(A, i));
        let s = A.num(0);
        let W = A.num(0);
        for (let q = 0; q < m; q++) W = A.add(W, A.num(w.data[q]!));
        for (let i = 0; i < n; i++) s = A.add(s, A.mul(A.num(w.data[wi[i]!]!), termOf(A, i)));
        return A.div(A.sub(mine, A.div(s, W)), d!.formula(A)); // (sum_{i→k} L_i - S/W) / (f W)
      };
      const r = evaluate(f, o);
      out.set(k, r.value, r.kind);
      out.magnitude![k] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
      if (r.slow) out.slow++;
      const W = Math.abs(d!.approx / (n / m > 1 ? n / m : 1));
      out.accumulation(k, (own + (W > 0 ? weighted / W : 0)) / divAbs, n);
      continue;
    }
    // an extended sum of the losses' limits
    let ext = 0;
    for (const i of idx) if (!Number.isFinite(approx[i]!)) ext += approx[i]!;
    if (ext !== 0 || Number.isNaN(ext)) {
      out.definitional(k, d === undefined ? ext : ext / d.approx);
      continue;
    }
    const f: Formula = <T>(A: Arith<T>): T => {
      let mine = A.num(0);
      for (const i of idx) mine = A.add(mine, termOf(A, i));
      return d === undefined ? mine : A.div(mine, d.formula(A));
    };
    const r = evaluate(f, o);
    out.set(k, r.value, r.kind);
    out.magnitude![k] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
    if (r.slow) out.slow++;
    if (idx.length > 1) out.accumulation(k, own / divAbs, idx.length);
  }
  return out.build();
}

function withWeights(d: Record<string, DerivativeTensor>, terms: LossTerms, wt: Weighting, o: ResolvedOptions): Derivative {
  if (wt.hasWeights) d.weights = weightsDerivative(terms, wt, o);
  return d;
}

const same = (j: number): number => j;
const f64 = new F64Arith();

/** Relative error bound below which a float64 derivative is accepted (2^-30: a sixty-fourth of a float32 ulp). */
const DERIVATIVE_RTOL = 2 ** -30;
/** Absolute error bound below which it is accepted too: 2^-200, far below float32's least subnormal (2^-149). */
const DERIVATIVE_ATOL = 2 ** -200;

/**
 * A derivative element to far better than float32 precision, without certifying its float32
 * rounding (gradient tolerances are several ulps wide): float64 with its error bound when that
 * bound is within 2^-30 of the value or below 2^-200 (an exact 0 whose terms underflowed), else
 * one BigNumber evaluation at the reference precision.
 * Certifying the rounding could cost a thousand digits where the exact derivative sits on a
 * float32 midpoint (softmax(0, ..., 0) - smoothed label = 24159191·2^-27 for five classes).
 */
function evaluate(formula: Formula, o: ResolvedOptions): Evaluated {
  f64.uncertain = false;
  const r = formula(f64);
  const magnitude = Number.isFinite(r.c) ? r.c : NaN;
  if (o.mode === 'tiered' && !f64.uncertain && Number.isFinite(r.v) && r.e <= Math.max(DERIVATIVE_RTOL * Math.abs(r.v), DERIVATIVE_ATOL)) {
    return { value: r.v, kind: KIND_FINITE, magnitude, slow: false };
  }
  const A = bigArith(o.precision);
  const b = formula(A);
  const value = b.v.isFinite() ? bigToDouble(b.v) : b.v.isNaN() ? NaN : b.v.isNeg() ? -Infinity : Infinity;
  return { value, kind: b.v.isFinite() ? KIND_FINITE : kindOfValue(value), magnitude, slow: true };
}

function pair(fn: string, a: string, x: RefInput, b: string, y: RefInput, o: ResolvedOptions): [Read, Read] {
  const ra = readInput(fn, a, x, o);
  const rb = readInput(fn, b, y, o);
  assertSameShape(fn, a, ra, b, rb);
  return [ra, rb];
}

/** d/d(labels, predictions[, weights]) of tf.losses.meanSquaredError. */
function meanSquaredError(labels: RefInput, predictions: RefInput, options?: LossOptions): Derivative {
  const fn = "meanSquaredError'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const wt = weighting(fn, y.shape, options, o);
  const part =
    (sign: number) =>
    (j: number): Partial => {
      const a = y.data[j]!;
      const b = p.data[j]!;
      if (!Number.isFinite(a) || !Number.isFinite(b)) return { value: sign * 2 * (a - b) };
      return { value: <T>(A: Arith<T>): T => A.mul(A.num(2 * sign), A.sub(A.num(a), A.num(b))) };
    };
  return withWeights(
    { labels: derivativeTensor(y.shape, y.size, same, part(1), wt, o), predictions: derivativeTensor(y.shape, y.size, same, part(-1), wt, o) },
    meanSquaredErrorTerms(y, p),
    wt,
    o,
  );
}

/** d/d(labels, predictions[, weights]) of tf.losses.absoluteDifference. */
function absoluteDifference(labels: RefInput, predictions: RefInput, options?: LossOptions): Derivative {
  const fn = "absoluteDifference'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const wt = weighting(fn, y.shape, options, o);
  const part =
    (sign: number) =>
    (j: number): Partial => {
      const diff = y.data[j]! - p.data[j]!;
      if (Number.isNaN(diff)) return { value: NaN };
      if (diff === 0) return { value: 0, kink: [-1, 1] };
      return { value: sign * Math.sign(diff) };
    };
  return withWeights(
    { labels: derivativeTensor(y.shape, y.size, same, part(1), wt, o), predictions: derivativeTensor(y.shape, y.size, same, part(-1), wt, o) },
    absoluteDifferenceTerms(y, p),
    wt,
    o,
  );
}

/** d/d(labels, predictions[, weights]) of tf.losses.huberLoss. */
function huberLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly delta?: number }): Derivative {
  const fn = "huberLoss'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const delta = huberDelta(options);
  const wt = weighting(fn, y.shape, options, o);
  const part =
    (sign: number) =>
    (j: number): Partial => {
      const e = p.data[j]! - y.data[j]!; // sign and size of p - y (exact enough to compare with delta? see below)
      if (Number.isNaN(e)) return { value: NaN };
      const a = y.data[j]!;
      const b = p.data[j]!;
      if (!Number.isFinite(e)) return { value: sign * Math.sign(e) * delta };
      // clamp(p - y, -δ, δ): p - y in exact arithmetic, compared with δ by the formula's min
      return {
        value: <T>(A: Arith<T>): T => {
          const d = A.sub(A.num(b), A.num(a));
          return A.mul(A.num(sign), A.max(A.num(-delta), A.min(d, A.num(delta))));
        },
      };
    };
  return withWeights(
    { labels: derivativeTensor(y.shape, y.size, same, part(-1), wt, o), predictions: derivativeTensor(y.shape, y.size, same, part(1), wt, o) },
    huberLossTerms(y, p, delta),
    wt,
    o,
  );
}

/** d/d(labels, predictions[, weights]) of tf.losses.hingeLoss. */
function hingeLoss(labels: RefInput, predictions: RefInput, options?: LossOptions): Derivative {
  const fn = "hingeLoss'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const wt = weighting(fn, y.shape, options, o);
  // margin 1 - s p with s = 2y - 1: s·p is exact in float64 for float32 inputs, so its sign is
  const margin = (j: number): number => 1 - mulLim(2 * y.data[j]! - 1, p.data[j]!);
  const dp = (j: number): Partial => {
    const s = 2 * y.data[j]! - 1;
    const m = margin(j);
    if (Number.isNaN(m) || Number.isNaN(s)) return { value: NaN };
    if (m > 0) return { value: -s };
    if (m < 0) return { value: 0 };
    return { value: 0, kink: [Math.min(-s, 0), Math.max(-s, 0)] };
  };
  const dy = (j: number): Partial => {
    const pj = p.data[j]!;
    const m = margin(j);
    if (Number.isNaN(m) || Number.isNaN(pj)) return { value: NaN };
    if (m > 0) return { value: -2 * pj };
    if (m < 0) return { value: 0 };
    return { value: 0, kink: [Math.min(-2 * pj, 0), Math.max(-2 * pj, 0)] };
  };
  return withWeights(
    { labels: derivativeTensor(y.shape, y.size, same, dy, wt, o), predictions: derivativeTensor(y.shape, y.size, same, dp, wt, o) },
    hingeLossTerms(y, p),
    wt,
    o,
  );
}

/** d/d(labels, predictions[, weights]) of tf.losses.logLoss. */
function logLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly epsilon?: number }): Derivative {
  const fn = "logLoss'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const eps = logLossEpsilon(options);
  const onePlusEps = 1 + eps;
  const wt = weighting(fn, y.shape, options, o);
  const outside = (yi: number, pi: number): boolean => Number.isNaN(yi) || Number.isNaN(pi) || !Number.isFinite(yi) || pi < -eps || pi > onePlusEps;
  const dp = (j: number): Partial => {
    const yi = y.data[j]!;
    const pi = p.data[j]!;
    if (outside(yi, pi)) return { value: NaN };
    const pole1 = pi === -eps && yi !== 0;
    const pole2 = pi === onePlusEps && yi !== 1;
    // -y/(p + ε) -> -sign(y)·Infinity at p = -ε; (1 - y)/(1 - p + ε) -> sign(1 - y)·Infinity at p = 1 + ε
    if (pole1) return { value: -Math.sign(yi) * Infinity };
    if (pole2) return { value: Math.sign(1 - yi) * Infinity };
    return {
      value: <T>(A: Arith<T>): T => {
        const one = A.num(1);
        let d = A.num(0);
        if (yi !== 0) d = A.neg(A.div(A.num(yi), A.add(A.num(pi), A.num(eps))));
        if (yi !== 1) d = A.add(d, A.div(A.sub(one, A.num(yi)), A.add(A.sub(one, A.num(pi)), A.num(eps))));
        return d;
      },
    };
  };
  const dy = (j: number): Partial => {
    const yi = y.data[j]!;
    const pi = p.data[j]!;
    if (outside(yi, pi)) return { value: NaN };
    if (pi === -eps) return { value: Infinity }; // -log(0)
    if (pi === onePlusEps) return { value: -Infinity }; // log(0)
    return {
      value: <T>(A: Arith<T>): T => {
        const one = A.num(1);
        return A.sub(A.log(A.add(A.sub(one, A.num(pi)), A.num(eps))), A.log(A.add(A.num(pi), A.num(eps))));
      },
    };
  };
  return withWeights(
    { labels: derivativeTensor(y.shape, y.size, same, dy, wt, o), predictions: derivativeTensor(y.shape, y.size, same, dp, wt, o) },
    logLossTerms(y, p, eps),
    wt,
    o,
  );
}

/** d/d(labels, logits[, weights]) of tf.losses.sigmoidCrossEntropy. */
function sigmoidCrossEntropy(multiClassLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): Derivative {
  const fn = "sigmoidCrossEntropy'";
  const o = resolveOptions(options);
  const [z, x] = pair(fn, 'multiClassLabels', multiClassLabels, 'logits', logits, o);
  const ls = labelSmoothing(fn, options?.labelSmoothing);
  const wt = weighting(fn, z.shape, options, o);
  const dx = (j: number): Partial => {
    const zi = z.data[j]!;
    const xi = x.data[j]!;
    if (Number.isNaN(zi) || Number.isNaN(xi)) return { value: NaN };
    const zs = ls === 0 ? zi : mulLim(zi, 1 - ls) + 0.5 * ls;
    if (!Number.isFinite(zs)) return { value: -zs };
    const zf = <T>(A: Arith<T>): T => (ls === 0 ? A.num(zi) : A.add(A.mul(A.num(zi), A.sub(A.num(1), A.num(ls))), A.mul(A.num(0.5), A.num(ls))));
    // tfjs: relu'(x)·dy - z·dy - sign(x)·sigmoid(-|x|)·dy, so its roundings scale with 1 (x > 0), z and sigmoid(-|x|)
    const tail = Number.isFinite(xi) ? 1 / (1 + Math.exp(Math.abs(xi))) : 0;
    const magnitude = (xi > 0 ? 1 : 0) + Math.abs(zs) + tail + 3 * ETA;
    // sigmoid(x) - z, as (1 - z) - sigmoid(-x) for x >= 0 so that z = 1 and a large x do not cancel
    if (xi === Infinity) return { value: <T>(A: Arith<T>): T => A.sub(A.num(1), zf(A)), magnitude };
    if (xi === -Infinity) return { value: <T>(A: Arith<T>): T => A.neg(zf(A)), magnitude };
    if (xi >= 0) return { value: <T>(A: Arith<T>): T => A.sub(A.sub(A.num(1), zf(A)), sigmoidOf(A, -xi)), magnitude };
    return { value: <T>(A: Arith<T>): T => A.sub(sigmoidOf(A, xi), zf(A)), magnitude };
  };
  const dz = (j: number): Partial => {
    const zi = z.data[j]!;
    const xi = x.data[j]!;
    if (Number.isNaN(zi) || Number.isNaN(xi)) return { value: NaN };
    if (!Number.isFinite(xi)) return { value: mulLim(-xi, 1 - ls) };
    return { value: <T>(A: Arith<T>): T => (ls === 0 ? A.num(-xi) : A.mul(A.num(-xi), A.sub(A.num(1), A.num(ls)))) };
  };
  return withWeights(
    { multiClassLabels: derivativeTensor(z.shape, z.size, same, dz, wt, o), logits: derivativeTensor(z.shape, z.size, same, dx, wt, o) },
    sigmoidCrossEntropyTerms(z, x, ls),
    wt,
    o,
  );
}

/** d/d(labels, logits[, weights]) of tf.losses.softmaxCrossEntropy (rows along the last axis). */
function softmaxCrossEntropy(onehotLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): Derivative {
  const fn = "softmaxCrossEntropy'";
  const o = resolveOptions(options);
  const [y, x] = pair(fn, 'onehotLabels', onehotLabels, 'logits', logits, o);
  if (x.shape.length === 0) throw new RangeError(`${fn}: argument 'logits' must have rank >= 1; got a scalar`);
  const ls = labelSmoothing(fn, options?.labelSmoothing);
  const classes = x.shape[x.shape.length - 1]!;
  const terms = softmaxCrossEntropyTerms(y, x, ls);
  const wt = weighting(fn, terms.shape, options, o);
  const label = <T>(A: Arith<T>, r: number, j: number): T => {
    const v = A.num(y.data[r * classes + j]!);
    return ls === 0 ? v : A.add(A.mul(v, A.sub(A.num(1), A.num(ls))), A.div(A.num(ls), A.num(classes)));
  };
  interface RowInfo {
    /** NaN somewhere (or an infinite label): every derivative of the row is NaN. */
    readonly nan: boolean;
    /** Limit of softmax_j where fixed (0, 1 or NaN), undefined where the formula gives it. */
    readonly sm: (number | undefined)[];
    /** Limit of logSumExp - x_j where fixed (0, +Infinity, NaN), undefined where the formula gives it. */
    readonly d: (number | undefined)[];
    /** The finite logits, their max. */
    readonly finite: number[];
    readonly sub: number[];
    readonly m: number;
    readonly a: number;
  }
  const rows = new Map<number, RowInfo>();
  const rowInfo = (r: number): RowInfo => {
    let info = rows.get(r);
    if (info) return info;
    const row = x.data.subarray(r * classes, (r + 1) * classes);
    let nan = false;
    let pos = 0;
    let neg = 0;
    for (let j = 0; j < classes; j++) {
      const v = row[j]!;
      const l = y.data[r * classes + j]!;
      if (Number.isNaN(v) || !Number.isFinite(l)) nan = true;
      if (v === Infinity) pos++;
      if (v === -Infinity) neg++;
    }
    const sm: (number | undefined)[] = new Array(classes).fill(undefined);
    const d: (number | undefined)[] = new Array(classes).fill(undefined);
    const finite: number[] = [];
    for (let j = 0; j < classes; j++) {
      const v = row[j]!;
      if (classes === 1) {
        sm[j] = 1;
        d[j] = 0;
      } else if (pos > 0) {
        sm[j] = v === Infinity ? (pos === 1 ? 1 : NaN) : 0;
        d[j] = v === Infinity ? (pos === 1 ? 0 : NaN) : Infinity;
      } else if (neg === classes) {
        sm[j] = NaN;
        d[j] = NaN;
      } else if (v === -Infinity) {
        sm[j] = 0;
        d[j] = Infinity;
      } else finite.push(j);
    }
    if (finite.length === 1 && classes > 1) {
      sm[finite[0]!] = 1;
      d[finite[0]!] = 0;
      finite.length = 0;
    }
    const sub = finite.map((j) => row[j]!);
    const { m, a } = rowMaxEntry(sub);
    info = { nan, sm, d, finite, sub, m, a };
    rows.set(r, info);
    return info;
  };
  const dlogits = (k: number): Partial => {
    const r = Math.floor(k / classes);
    const j = k - r * classes;
    const info = rowInfo(r);
    if (info.nan) return { value: NaN };
    const fixedSm = info.sm[j];
    if (fixedSm !== undefined && Number.isNaN(fixedSm)) return { value: NaN };
    // sum_i y'_i · softmax_j - y'_j
    return {
      value: <T>(A: Arith<T>): T => {
        let total = A.num(0);
        for (let i = 0; i < classes; i++) total = A.add(total, label(A, r, i));
        let sm: T;
        if (fixedSm !== undefined) sm = A.num(fixedSm);
        else {
          const sums = rowSums(A, info.sub, info.m, info.a);
          const at = info.finite.indexOf(j);
          sm = A.div(at === info.a ? A.num(1) : sums.e[at]!, sums.s1);
        }
        return A.sub(A.mul(total, sm), label(A, r, j));
      },
    };
  };
  const dlabels = (k: number): Partial => {
    const r = Math.floor(k / classes);
    const j = k - r * classes;
    const info = rowInfo(r);
    if (info.nan) return { value: NaN };
    const fixedD = info.d[j];
    if (fixedD !== undefined) return { value: mulLim(fixedD, 1 - ls) };
    return {
      value: <T>(A: Arith<T>): T => {
        const sums = rowSums(A, info.sub, info.m, info.a);
        // (m - x_j) + log1p(S'): m - x_j is exact (0 at the row's maximum), so a large m does not
        // swamp log1p(S') and the float64 tier settles it
        const d = A.add(A.sub(A.num(info.m), A.num(x.data[k]!)), sums.l);
        return ls === 0 ? d : A.mul(d, A.sub(A.num(1), A.num(ls)));
      },
    };
  };
  const group = (k: number): number => Math.floor(k / classes);
  return withWeights(
    { onehotLabels: derivativeTensor(y.shape, y.size, group, dlabels, wt, o), logits: derivativeTensor(x.shape, x.size, group, dlogits, wt, o) },
    terms,
    wt,
    o,
  );
}

/** d/d(labels, predictions[, weights]) of tf.losses.cosineDistance. */
function cosineDistance(labels: RefInput, predictions: RefInput, axis: number, options?: LossOptions): Derivative {
  const fn = "cosineDistance'";
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  const terms = cosineDistanceTerms(y, p, axis, fn);
  const wt = weighting(fn, terms.shape, options, o);
  // the group (loss element) of each input element
  const plan = planReduction(y.shape, parseAxes(fn, axis, y.shape.length));
  const groupOf = new Int32Array(y.size);
  for (let g = 0; g < plan.groups; g++) for (let j = 0; j < plan.groupSize; j++) groupOf[plan.order[g * plan.groupSize + j]!] = g;
  const part =
    (other: Read) =>
    (j: number): Partial => {
      const v = other.data[j]!;
      return Number.isFinite(v) ? { value: <T>(A: Arith<T>): T => A.num(-v) } : { value: -v };
    };
  return withWeights(
    {
      labels: derivativeTensor(y.shape, y.size, (j) => groupOf[j]!, part(p), wt, o),
      predictions: derivativeTensor(y.shape, y.size, (j) => groupOf[j]!, part(y), wt, o),
    },
    terms,
    wt,
    o,
  );
}

/** d/d(losses[, weights]) of tf.losses.computeWeightedLoss. */
function computeWeightedLoss(losses: RefInput, options?: LossOptions): Derivative {
  const fn = "computeWeightedLoss'";
  const o = resolveOptions(options);
  const l = readInput(fn, 'losses', losses, o);
  const wt = weighting(fn, l.shape, options, o);
  const one: Formula = (A) => A.num(1);
  return withWeights({ losses: derivativeTensor(l.shape, l.size, same, () => ({ value: one }), wt, o) }, givenTerms(l), wt, o);
}

/** Exact derivatives of the losses, by input name (labels, predictions or logits, weights when given). */
export const lossDerivatives = {
  absoluteDifference,
  computeWeightedLoss,
  cosineDistance,
  hingeLoss,
  huberLoss,
  logLoss,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} as const;
