/**
 * Exact references for tf.losses: meanSquaredError, absoluteDifference, huberLoss, logLoss,
 * hingeLoss, sigmoidCrossEntropy, softmaxCrossEntropy, cosineDistance and computeWeightedLoss,
 * under every Reduction, with weights.
 *
 * The per-element losses are tfjs's formulas (node_modules/@tensorflow/tfjs-core/dist/ops/
 * losses/) in exact arithmetic:
 *
 * | loss                | per element (y labels, p predictions, x logits)                  |
 * |---------------------|-------------------------------------------------------------------|
 * | meanSquaredError    | (y - p)^2                                                          |
 * | absoluteDifference  | abs(y - p)                                                         |
 * | huberLoss (delta 1) | q = min(abs(p - y), delta): 0.5 q^2 + delta (abs(p - y) - q)       |
 * | logLoss (eps 1e-7)  | -y log(p + eps) - (1 - y) log(1 - p + eps)                          |
 * | hingeLoss           | max(0, 1 - (2y - 1) p)                                              |
 * | sigmoidCrossEntropy | max(x, 0) - x y + log1p(exp(-abs(x)))  (= softplus(x) - x y)        |
 * | softmaxCrossEntropy | per row: -sum_j y_j (x_j - logSumExp(x))                           |
 * | cosineDistance      | per slice along axis: 1 - sum(y p)  (inputs assumed unit-normalised)|
 * | computeWeightedLoss | the given losses                                                   |
 *
 * Constants enter as the float32 scalars tfjs makes of them: logLoss's epsilon is
 * fround(1e-7) = 1.0000000116860974e-7, huber's delta fround(delta), label smoothing
 * fround(labelSmoothing). The losses are then combined with `weights` (broadcast to the losses'
 * shape) under a Reduction, as tfjs's computeWeightedLoss does:
 *
 * | reduction           | result                                                             |
 * |---------------------|--------------------------------------------------------------------|
 * | none                | w · loss, elementwise                                              |
 * | sum                 | sum(w · loss)                                                      |
 * | mean                | mean(loss) without weights; sum(w · loss) / (sum(w) · n/size(w)) with |
 * | sumByNonzeroWeights | sum(w · loss) / (number of non-zero broadcast weights, or n)  (tfjs's default) |
 *
 * With no non-zero weight (all-zero weights) `mean` and `sumByNonzeroWeights` are 0 / 0: NaN.
 * That is tfjs's convention (it divides by the count; TensorFlow's Python losses use div_no_nan
 * and give 0), and the exact quotient is undefined, so the reference says NaN too.
 *
 * Special values (IEEE 754 semantics of the exact function):
 * - a NaN input makes its element NaN (and every reduction of it);
 * - an infinite logit or prediction gives the loss's limit there, with the other inputs fixed:
 *   sigmoidCrossEntropy at x = +Infinity is (1 - y)·Infinity, i.e. +Infinity for y < 1 and 0
 *   for y = 1 (the formula's max(x, 0) - x·y is Infinity - Infinity); hinge at p = ±Infinity is
 *   0 or +Infinity; softmaxCrossEntropy with one +Infinity logit is 0 when that class holds all
 *   the label mass, +Infinity when another class has some (two +Infinity logits leave
 *   x_j - logSumExp(x) undefined: NaN, unless their labels are 0). A factor that is exactly 0
 *   makes its product 0 even where the other factor's limit is infinite (y·log(p + eps) with
 *   y = 0 and p + eps = 0 is 0: the 0·log 0 = 0 of cross-entropy); log of a negative number is NaN;
 * - sums of extended reals follow IEEE: +Infinity - Infinity is NaN;
 * - a weight multiplies a loss's limit in the same way (a zero weight makes a +Infinity limit 0),
 *   while computeWeightedLoss's `losses` are given values, not limits: 0·Infinity is NaN there,
 *   as in a dot product;
 * - cosineDistance is 1 - a dot product of given values: 0·Infinity is NaN, as in matMul.
 *
 * Evaluation: each element's loss is evaluated in float64 with a proven error bound (arith.ts),
 * the weighted terms are summed in float64 with a running bound, and the quotient's float32
 * rounding is certified; if it is not, the float64 term values are summed exactly (BigInt), and
 * if the terms' own bounds still leave the rounding open the whole formula goes to BigNumber
 * (for up to 4,096 terms; beyond that the exact sum of the float64 terms is used, within about
 * 1e-13 relative of the true value, which only decides roundings the tolerances' ulps already
 * absorb).
 *
 * Magnitudes and accumulation: an element's magnitude is the first-order rounding factor of
 * tfjs's formula for it (F64Arith's), the division adds two roundings (tf.mean multiplies by
 * 1/n), and the sum over elements is marked with `accumulation` (sum of |weighted terms| / |divisor|,
 * number of terms), so the tolerance's `acc` judges it against a good float32 summation rather
 * than a left-to-right one. cosineDistance's dot products and softmaxCrossEntropy's rows are
 * sums too: their terms are counted into the accumulation.
 */
import { ETA, evaluate, evaluateBig, F64Arith, inflate, LIBM_ERR, type Arith, type Formula } from './arith.ts';
import { ExactBuilder, KIND_FINITE, type ExactTensor } from './exact.ts';
import {
  assertSameShape,
  broadcastIndex,
  broadcastShape,
  formatShape,
  parseAxes,
  planReduction,
  readInput,
  readScalarParam,
  sizeOfShape,
  type Read,
  type RefInput,
} from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';
import { commonScale, ratioToDouble, scaled } from './rational.ts';
import { rowMaxEntry, rowSums } from './softmax.ts';
import { certifies32 } from '../core/float32.ts';
import { accumulationFactor } from './tolerances.ts';

const U = 2 ** -53;

/** How per-element losses are combined (tf.Reduction). */
export type Reduction = 'none' | 'sum' | 'mean' | 'sumByNonzeroWeights';

export const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean', 'sumByNonzeroWeights'];

/** tf.Reduction's numeric values (NONE 0, MEAN 1, SUM 2, SUM_BY_NONZERO_WEIGHTS 3) by name. */
export const TF_REDUCTION: Readonly<Record<Reduction, number>> = { none: 0, mean: 1, sum: 2, sumByNonzeroWeights: 3 };

export interface LossOptions extends ReferenceOptions {
  /** Weights broadcast to the losses' shape (a scalar, or a tensor of the same rank). */
  readonly weights?: RefInput;
  /** Default 'sumByNonzeroWeights', as in tfjs. */
  readonly reduction?: Reduction;
}

/**
 * One element of the unreduced losses (or of a derivative): a value fixed by definition (NaN,
 * ±Infinity, or an exact number such as 0), or a formula for a finite value.
 */
export type Term = number | Formula;

/** A sum's error data: the sum of |terms| and the number of terms. */
export interface Accum {
  readonly absSum: number;
  readonly terms: number;
}

/** The unreduced losses of one call. */
export interface LossTerms {
  readonly shape: readonly number[];
  term(i: number): Term;
  /** For elements that are sums themselves (cosine's dot product, a softmax row). */
  inner?(i: number): Accum;
  /** How a zero weight meets an infinite loss: 'limit' (0: the loss is a limit), 'ieee' (NaN: given values). */
  readonly zeroTimesInfinity: 'limit' | 'ieee';
  /**
   * A hand-coded float64 evaluation of w · term(i) for long inputs: writes {@link FAST} (value,
   * error bound, magnitude) and returns true, or returns false (term(i) is then evaluated).
   */
  fast?(i: number, w: number): boolean;
  /**
   * The magnitude of element i's formula where it holds a sum: the roundings of its terms, without
   * the partial sums a left-to-right evaluation would add (the sum itself is an accumulation).
   */
  magnitude?(i: number, value: number): number;
}

/** Scratch of a fast evaluation: the value, a bound on its error, its magnitude (see exact.ts). */
export const FAST = { v: 0, e: 0, c: 0 };

/** The rounding error of s = a + b (TwoSum): a + b - s exactly. */
function sumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

const SPLITTER = 134217729; // 2^27 + 1

/** The rounding error of p = a · b (Veltkamp-Dekker TwoProduct): a · b - p exactly (barring underflow). */
function prodErr(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Multiply FAST by an exact weight. */
function weighFast(w: number): boolean {
  if (w === 1) return true;
  if (!Number.isFinite(w)) return false;
  const v = FAST.v * w;
  const m = Math.abs(v);
  FAST.e = Math.abs(w) * FAST.e + U * m;
  FAST.c = Math.abs(w) * FAST.c + m + ETA;
  FAST.v = v;
  return Number.isFinite(v);
}

// ---------------------------------------------------------------------------------------------
// Extended-real helpers

/** a · b where an exact 0 factor makes the product 0 even if the other is infinite (NaN still propagates). */
export function mulLim(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 || b === 0) return 0;
  return a * b;
}

/** The limit of c · t as t → +Infinity: sign(c)·Infinity, 0 for c = 0, NaN for NaN. */
function signInf(c: number): number {
  if (Number.isNaN(c)) return NaN;
  return c > 0 ? Infinity : c < 0 ? -Infinity : 0;
}

// ---------------------------------------------------------------------------------------------
// Weights and reductions

/** The divisor of a reduction as an exact rational num / (den · 2^scale), and in any arithmetic. */
interface Divisor {
  readonly num: bigint;
  readonly den: bigint;
  readonly scale: number;
  /** A double near it and a bound on |double - exact|. */
  readonly approx: number;
  readonly err: number;
  /** The divisor in generic arithmetic. */
  readonly formula: Formula;
  /** Extra magnitude per unit of |result| from the divisor's own float32 evaluation (MEAN's sum of weights). */
  readonly relMagnitude: number;
}

export interface Weighting {
  readonly reduction: Reduction;
  /** Number of loss elements. */
  readonly n: number;
  /** The weight of loss element i (1 without weights). */
  weight(i: number): number;
  readonly hasWeights: boolean;
  readonly weights?: Read;
  /** Flat index into the weights for each loss element. */
  readonly weightIndex?: Int32Array;
  /** Undefined for `none` and `sum` without division. */
  readonly divisor?: Divisor;
}

function countDivisor(count: number): Divisor {
  return { num: BigInt(count), den: 1n, scale: 0, approx: count, err: 0, formula: (A) => A.num(count), relMagnitude: 0 };
}

/** Read the weights and plan the reduction of `n` losses of shape `lossShape`. */
export function weighting(fn: string, lossShape: readonly number[], options: LossOptions | undefined, o: ResolvedOptions): Weighting {
  const reduction = options?.reduction ?? 'sumByNonzeroWeights';
  if (!REDUCTIONS.includes(reduction)) {
    throw new RangeError(`${fn}: option 'reduction' must be one of ${REDUCTIONS.join(', ')}; got ${JSON.stringify(reduction)}`);
  }
  const n = sizeOfShape(lossShape);
  let w: Read | undefined;
  let wi: Int32Array | undefined;
  if (options?.weights !== undefined) {
    w = readInput(fn, 'weights', options.weights, o);
    const b = broadcastShape(fn, 'losses', lossShape, 'weights', w.shape);
    if (sizeOfShape(b) !== n || b.length !== lossShape.length) {
      throw new RangeError(`${fn}: argument 'weights' ${formatShape(w.shape)} must broadcast to the losses' shape ${formatShape(lossShape)}`);
    }
    wi = broadcastIndex(w.shape, lossShape);
  }
  const weight = w === undefined ? () => 1 : (i: number) => w.data[wi![i]!]!;
  let divisor: Divisor | undefined;
  if (reduction === 'sumByNonzeroWeights') {
    let count = n;
    if (w !== undefined) {
      count = 0;
      for (let i = 0; i < n; i++) if (w.data[wi![i]!] !== 0) count++;
    }
    divisor = countDivisor(count);
  } else if (reduction === 'mean') {
    if (w === undefined) divisor = countDivisor(n);
    else {
      const weights = w;
      // tfjs: sum(w · loss) / sum(w), divided by the broadcast factor n / size(w) when it exceeds 1.
      const factor = weights.size === 0 ? 1 : n / weights.size;
      let finite = true;
      let s = 0;
      let run = 0;
      let abs = 0;
      for (let k = 0; k < weights.size; k++) {
        const v = weights.data[k]!;
        if (!Number.isFinite(v)) finite = false;
        s += v;
        run += Math.abs(s);
        abs += Math.abs(v);
      }
      const f = factor > 1 ? factor : 1;
      let num = 0n;
      let scale = 0;
      if (finite) {
        scale = commonScale(weights.data);
        for (let k = 0; k < weights.size; k++) num += scaled(weights.data[k]!, scale);
      }
      const approx = s * f;
      divisor = {
        num: num * BigInt(f),
        den: 1n,
        scale,
        approx: finite ? approx : s * f,
        err: finite ? U * run * f + U * Math.abs(approx) : NaN,
        formula: <T>(A: Arith<T>): T => {
          let t = A.num(0);
          for (let k = 0; k < weights.size; k++) t = A.add(t, A.num(weights.data[k]!));
          return f > 1 ? A.mul(t, A.num(f)) : t;
        },
        // float32 evaluation of sum(w): error up to about accumulation(m) · 2^-24 · sum|w|, relative to |sum w|
        relMagnitude: s !== 0 ? (2 * accumulationFactor(weights.size, 256) * abs) / Math.abs(s) : Infinity,
      };
    }
  }
  return {
    reduction,
    n,
    weight,
    hasWeights: w !== undefined,
    ...(w !== undefined ? { weights: w, weightIndex: wi! } : {}),
    ...(divisor !== undefined ? { divisor } : {}),
  };
}

/** A fixed loss value times a weight: a zero weight turns a limit (zeroTimesInfinity 'limit') into 0. */
function weightFixed(v: number, w: number, mode: 'limit' | 'ieee'): number {
  if (w === 1) return v;
  return mode === 'limit' ? mulLim(v, w) : v * w;
}

/** The weighted term in generic arithmetic. */
function weightedFormula(f: Formula, w: number): Formula {
  if (w === 1) return f;
  return <T>(A: Arith<T>): T => A.mul(f(A), A.num(w));
}

const f64 = new F64Arith();

/** The most terms a reduced loss is re-evaluated in BigNumber for (see the module comment). */
const BIG_TERMS = 64;

/** Combine the unreduced losses under the weighting into the reference result. */
export function combine(terms: LossTerms, wt: Weighting, o: ResolvedOptions): ExactTensor {
  const n = wt.n;
  const mode = terms.zeroTimesInfinity;
  if (wt.reduction === 'none') {
    const out = new ExactBuilder(terms.shape, n, true);
    for (let i = 0; i < n; i++) {
      const t = terms.term(i);
      const w = wt.weight(i);
      const inner = terms.inner?.(i);
      if (inner !== undefined && inner.terms > 1) out.accumulation(i, inner.absSum * Math.abs(w), inner.terms);
      if (typeof t === 'number') {
        const v = weightFixed(t, w, mode);
        out.definitional(i, v);
        out.magnitude![i] = Number.isFinite(v) ? Math.abs(v) : 0;
        continue;
      }
      if (!Number.isFinite(w)) {
        // an infinite weight: ±Infinity by the sign of the exact loss, NaN times 0
        const r = evaluate(t, o);
        const v = r.kind === KIND_FINITE ? (r.value === 0 ? NaN : Math.sign(r.value) * w) : r.value * w;
        out.definitional(i, v);
        continue;
      }
      const r = evaluate(weightedFormula(t, w), o);
      out.set(i, r.value, r.kind);
      const own = terms.magnitude?.(i, r.value / w);
      out.magnitude![i] = own !== undefined ? Math.abs(w) * own + Math.abs(r.value) + ETA : Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
      if (r.slow) out.slow++;
    }
    return out.build();
  }
  return reduceTerms(terms, wt, o);
}

function reduceTerms(terms: LossTerms, wt: Weighting, o: ResolvedOptions): ExactTensor {
  const n = wt.n;
  const mode = terms.zeroTimesInfinity;
  const out = new ExactBuilder([], 1, true);
  const values = new Float64Array(n);
  let nan = false;
  let posInf = false;
  let negInf = false;
  // Neumaier's compensated sum of the float64 terms: |error| <= (2u + O(n u^2)) sum |terms|
  let s = 0;
  let comp = 0;
  let abs = 0;
  let err = 0; // sum of the terms' own error bounds
  let mag = 0;
  let innerAbs = 0;
  let innerTerms = 1;
  let exactTerms = true; // every term's float64 value is its exact value
  let slow = false;
  for (let i = 0; i < n; i++) {
    const w = wt.weight(i);
    const inner = terms.inner?.(i);
    if (inner !== undefined) {
      innerAbs += inner.absSum * Math.abs(w);
      if (inner.terms > innerTerms) innerTerms = inner.terms;
    }
    let v: number;
    if (terms.fast?.(i, w)) {
      v = FAST.v;
      if (FAST.e > 0) {
        err += inflate(FAST.e);
        exactTerms = false;
      }
      mag += FAST.c;
    } else {
      const t = terms.term(i);
      if (typeof t === 'number') {
        v = weightFixed(t, w, mode);
      } else if (!Number.isFinite(w)) {
        const r = evaluate(t, o);
        v = r.kind === KIND_FINITE ? (r.value === 0 ? NaN : Math.sign(r.value) * w) : r.value * w;
      } else {
        const f = weightedFormula(t, w);
        f64.uncertain = false;
        const r = f(f64);
        if (!f64.uncertain && Number.isFinite(r.v) && Number.isFinite(r.e)) {
          v = r.v;
          if (r.e > 0) {
            err += inflate(r.e);
            exactTerms = false;
          }
          const own = terms.magnitude?.(i, w === 0 ? 0 : r.v / w);
          mag += own !== undefined ? Math.abs(w) * own + Math.abs(r.v) + ETA : Number.isFinite(r.c) ? r.c : Math.abs(r.v);
        } else {
          // float64 could not bound it: settle this term on its own (BigNumber), a double within U·|v|
          const b = evaluateBig(f, o.precision);
          slow = true;
          v = b.value;
          if (b.kind === KIND_FINITE) {
            err += U * Math.abs(v);
            exactTerms = false;
            mag += Math.abs(v);
          }
        }
      }
    }
    if (Number.isNaN(v)) nan = true;
    else if (v === Infinity) posInf = true;
    else if (v === -Infinity) negInf = true;
    else {
      values[i] = v;
      const t = s + v;
      comp += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
      abs += Math.abs(v);
    }
  }
  s += comp;
  const d = wt.divisor;
  if (slow) out.slow = 1;
  if (nan || (posInf && negInf)) {
    out.definitional(0, NaN);
    return out.build();
  }
  if (posInf || negInf) {
    out.definitional(0, (posInf ? Infinity : -Infinity) / (d === undefined ? 1 : d.approx));
    return out.build();
  }
  const sumErr = err + (3 * U + 4 * n * U * U) * abs;
  if (d !== undefined && !(Number.isFinite(d.approx) && d.num !== 0n)) {
    // division by 0 (no non-zero weight), or by a non-finite sum of weights
    if (!Number.isFinite(d.approx)) {
      // a non-finite sum of weights: every term it weighs is non-finite too, so this is reached only without terms
      out.definitional(0, Number.isNaN(d.approx) ? NaN : 0);
      return out.build();
    }
    const zero = exactTerms ? exactSum(values).num === 0n : Math.abs(s) <= sumErr;
    out.definitional(0, zero ? NaN : Math.sign(s) * Infinity);
    return out.build();
  }
  const divAbs = d === undefined ? 1 : Math.abs(d.approx);
  // error data: the sum over elements (and inner sums) is an accumulation
  const totalTerms = n * innerTerms;
  if (totalTerms > 1) out.accumulation(0, Math.max(abs, innerAbs) / divAbs, totalTerms);
  const tier1 = d === undefined ? s : s / d.approx;
  out.magnitude![0] =
    mag / divAbs + (d === undefined ? 0 : 2 * Math.abs(tier1) + 2 * ETA + n * ETA + Math.abs(tier1) * (Number.isFinite(d.relMagnitude) ? d.relMagnitude : 0));
  // tier 1: the compensated float64 sum with its bound
  const e1 = d === undefined ? sumErr : sumErr / divAbs + (Math.abs(tier1) * d.err) / divAbs + U * Math.abs(tier1);
  if (o.mode === 'tiered' && (d === undefined || d.approx !== 0) && certifies32(tier1, inflate(e1))) {
    out.finite(0, tier1);
    return out.build();
  }
  // tier 2: the float64 terms summed exactly
  out.slow = 1;
  const ex = exactSum(values);
  const tier2 = ratio(ex.num, ex.scale, d);
  const e2 = (d === undefined ? err : err / divAbs) + U * Math.abs(tier2);
  if (exactTerms || (o.mode === 'tiered' && certifies32(tier2, inflate(e2)))) {
    out.finite(0, tier2);
    return out.build();
  }
  // tier 3: the whole formula in BigNumber (small sums only: beyond, the exact sum of the float64
  // terms is within sum(bounds) of the answer, about 1e-15 relative)
  if (n <= BIG_TERMS) {
    const formulas = Array.from({ length: n }, (_, i): Formula => {
      const t = terms.term(i);
      return typeof t === 'number' ? (A) => A.num(values[i]!) : weightedFormula(t, wt.weight(i));
    });
    const total = <T>(A: Arith<T>): T => {
      let acc = A.num(0);
      for (let i = 0; i < n; i++) acc = A.add(acc, formulas[i]!(A));
      return d === undefined ? acc : A.div(acc, d.formula(A));
    };
    const b = evaluateBig(total, o.precision);
    out.set(0, b.value, b.kind);
    return out.build();
  }
  out.finite(0, tier2);
  return out.build();
}

/** The exact sum of finite doubles as num / 2^scale (terms with equal values summed once, by count). */
function exactSum(values: Float64Array): { num: bigint; scale: number } {
  const scale = commonScale(values);
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length && counts.size <= 64; i++) counts.set(values[i]!, (counts.get(values[i]!) ?? 0) + 1);
  let num = 0n;
  if (counts.size <= 64) {
    for (const [v, c] of counts) num += scaled(v, scale) * BigInt(c);
  } else {
    for (let i = 0; i < values.length; i++) num += scaled(values[i]!, scale);
  }
  return { num, scale };
}

/** (num / 2^scale) / divisor, correctly rounded to float64. */
function ratio(num: bigint, scale: number, d: Divisor | undefined): number {
  if (d === undefined) return ratioToDouble(num, 1n, scale);
  // (num / 2^scale) / (dn / (dd · 2^ds)) = num · dd · 2^ds / (dn · 2^scale)
  let top = num * d.den * (1n << BigInt(d.scale));
  let bottom = d.num;
  if (bottom < 0n) {
    bottom = -bottom;
    top = -top;
  }
  return ratioToDouble(top, bottom, scale);
}

function pair(fn: string, aName: string, a: RefInput, bName: string, b: RefInput, o: ResolvedOptions): [Read, Read] {
  const ra = readInput(fn, aName, a, o);
  const rb = readInput(fn, bName, b, o);
  assertSameShape(fn, aName, ra, bName, rb);
  return [ra, rb];
}

function reference(fn: string, build: (o: ResolvedOptions) => LossTerms, options: LossOptions | undefined): ExactTensor {
  const o = resolveOptions(options);
  const terms = build(o);
  return combine(terms, weighting(fn, terms.shape, options, o), o);
}

// ---------------------------------------------------------------------------------------------
// The losses, element by element

/** (y - p)^2 and |y - p| at non-finite inputs are their IEEE values, which are the limits. */
function nonFinite2(a: number, b: number): boolean {
  return !Number.isFinite(a) || !Number.isFinite(b);
}

export function meanSquaredErrorTerms(y: Read, p: Read): LossTerms {
  return {
    shape: y.shape,
    zeroTimesInfinity: 'limit',
    fast(i, w) {
      const a = y.data[i]!;
      const b = p.data[i]!;
      const d = a - b;
      const v = d * d;
      if (!Number.isFinite(v)) return false;
      const ed = Math.abs(sumErr(a, -b, d));
      const ad = Math.abs(d);
      FAST.v = v;
      FAST.e = Math.abs(prodErr(d, d, v)) + 2 * ad * ed + ed * ed + (v < 2 ** -960 ? 2 ** -1074 : 0);
      FAST.c = 2 * ad * (ad + ETA) + v + ETA;
      return weighFast(w);
    },
    term(i) {
      const a = y.data[i]!;
      const b = p.data[i]!;
      if (nonFinite2(a, b)) return (a - b) * (a - b);
      return (A) => A.square(A.sub(A.num(a), A.num(b)));
    },
  };
}

export function absoluteDifferenceTerms(y: Read, p: Read): LossTerms {
  return {
    shape: y.shape,
    zeroTimesInfinity: 'limit',
    fast(i, w) {
      const a = y.data[i]!;
      const b = p.data[i]!;
      const d = a - b;
      if (!Number.isFinite(d)) return false;
      const v = Math.abs(d);
      FAST.v = v;
      FAST.e = Math.abs(sumErr(a, -b, d));
      FAST.c = v + ETA;
      return weighFast(w);
    },
    term(i) {
      const a = y.data[i]!;
      const b = p.data[i]!;
      if (nonFinite2(a, b)) return Math.abs(a - b);
      return (A) => A.abs(A.sub(A.num(a), A.num(b)));
    },
  };
}

export function huberLossTerms(y: Read, p: Read, delta: number): LossTerms {
  return {
    shape: y.shape,
    zeroTimesInfinity: 'limit',
    fast(i, w) {
      // mirrors F64Arith on tfjs's formula: err = |p - y|, q = min(err, δ), 0.5 q² + δ (err - q)
      const a = y.data[i]!;
      const b = p.data[i]!;
      const d = b - a;
      if (!Number.isFinite(d)) return false;
      const err = Math.abs(d);
      const ee = Math.abs(sumErr(b, -a, d));
      const ce = err + ETA;
      const q = Math.min(err, delta);
      const lin = err - q;
      const elin = 2 * ee + U * Math.abs(lin);
      const clin = 2 * ce + Math.abs(lin) + ETA;
      const sq = q * q;
      const esq = 2 * q * ee + ee * ee + U * sq;
      const csq = 2 * q * ce + sq + ETA;
      const h = 0.5 * sq;
      const dl = delta * lin;
      const v = h + dl;
      if (!Number.isFinite(v)) return false;
      FAST.v = v;
      FAST.e = 0.5 * esq + U * h + delta * elin + U * Math.abs(dl) + U * Math.abs(v) + (v < 2 ** -960 ? 2 ** -1070 : 0);
      FAST.c = 0.5 * csq + h + ETA + delta * clin + Math.abs(dl) + ETA + Math.abs(v) + ETA;
      return weighFast(w);
    },
    term(i) {
      const a = y.data[i]!;
      const b = p.data[i]!;
      if (nonFinite2(a, b)) {
        const e = Math.abs(b - a);
        return Number.isNaN(e) ? NaN : e === Infinity ? (delta > 0 ? Infinity : delta === 0 ? 0 : -Infinity) : e;
      }
      return <T>(A: Arith<T>): T => {
        const err = A.abs(A.sub(A.num(b), A.num(a)));
        const q = A.min(err, A.num(delta));
        return A.add(A.mul(A.num(0.5), A.square(q)), A.mul(A.num(delta), A.sub(err, q)));
      };
    },
  };
}

export function logLossTerms(y: Read, p: Read, eps: number): LossTerms {
  const onePlusEps = 1 + eps; // exact in float64 for a float32 eps
  return {
    shape: y.shape,
    zeroTimesInfinity: 'limit',
    term(i) {
      const yi = y.data[i]!;
      const pi = p.data[i]!;
      if (Number.isNaN(yi) || Number.isNaN(pi)) return NaN;
      // the logs' arguments p + eps and 1 - p + eps, exactly: below 0 the loss is undefined
      if (pi < -eps || pi > onePlusEps) return NaN;
      if (!Number.isFinite(yi)) {
        // an infinite label (p is finite here): ±Infinity · log(...) with an exact-0 log giving 0
        const l1 = mulLim(-yi, Math.log(pi + eps));
        const l2 = mulLim(-yi, Math.log(1 - pi + eps)); // (1 - y) -> -y as y -> ±Infinity
        return l1 - l2;
      }
      const pole1 = pi === -eps; // log(p + eps) = log 0
      const pole2 = pi === onePlusEps; // log(1 - p + eps) = log 0
      if ((pole1 && yi !== 0) || (pole2 && yi !== 1)) {
        // -Infinity times a non-zero coefficient (both poles at once cannot happen)
        return pole1 ? mulLim(-yi, -Infinity) : mulLim(-(1 - yi), -Infinity);
      }
      // a coefficient that is exactly 0 makes its term 0 (0·log 0 = 0 at a pole)
      const first = yi !== 0;
      const second = yi !== 1;
      return <T>(A: Arith<T>): T => {
        const one = A.num(1);
        const e = A.num(eps);
        let loss = A.num(0);
        if (first) loss = A.neg(A.mul(A.num(yi), A.log(A.add(A.num(pi), e))));
        if (second) loss = A.sub(loss, A.mul(A.sub(one, A.num(yi)), A.log(A.add(A.sub(one, A.num(pi)), e))));
        return loss;
      };
    },
  };
}

export function hingeLossTerms(y: Read, p: Read): LossTerms {
  return {
    shape: y.shape,
    zeroTimesInfinity: 'limit',
    fast(i, w) {
      const yi = y.data[i]!;
      const pi = p.data[i]!;
      const t2 = 2 * yi;
      const sv = t2 - 1;
      const sp = sv * pi;
      const m = 1 - sp;
      if (!Number.isFinite(m)) return false;
      const es = Math.abs(sumErr(t2, -1, sv));
      const esp = Math.abs(prodErr(sv, pi, sp)) + Math.abs(pi) * es;
      const em = esp + Math.abs(sumErr(1, -sp, m));
      if (Math.abs(m) <= em && em > 0) return false; // the sign of the margin is not certain
      const cs = Math.abs(t2) + ETA + Math.abs(sv) + ETA;
      const cm = Math.abs(pi) * cs + Math.abs(sp) + ETA + Math.abs(m) + ETA;
      FAST.v = Math.max(0, m);
      FAST.e = m > 0 ? em : 0;
      FAST.c = cm;
      return weighFast(w);
    },
    term(i) {
      const yi = y.data[i]!;
      const pi = p.data[i]!;
      const s = 2 * yi - 1;
      if (nonFinite2(yi, pi)) {
        const m = 1 - mulLim(s, pi);
        return Number.isNaN(m) ? NaN : Math.max(0, m);
      }
      return <T>(A: Arith<T>): T => {
        const sa = A.sub(A.mul(A.num(2), A.num(yi)), A.num(1));
        return A.max(A.num(0), A.sub(A.num(1), A.mul(sa, A.num(pi))));
      };
    },
  };
}

/** The smoothed label z (1 - ls) + ls/2 as a double (for special cases) and in generic arithmetic. */
function smoothedLabel(z: number, ls: number): { value: number; formula: <T>(A: Arith<T>) => T } {
  if (ls === 0) return { value: z, formula: (A) => A.num(z) };
  return {
    value: mulLim(z, 1 - ls) + 0.5 * ls,
    formula: (A) => A.add(A.mul(A.num(z), A.sub(A.num(1), A.num(ls))), A.mul(A.num(0.5), A.num(ls))),
  };
}

export function sigmoidCrossEntropyTerms(z: Read, x: Read, ls: number): LossTerms {
  return {
    shape: z.shape,
    zeroTimesInfinity: 'limit',
    fast(i, w) {
      // mirrors F64Arith on max(x, 0) - x z + log1p(exp(-|x|)) (without label smoothing)
      const zi = z.data[i]!;
      const xi = x.data[i]!;
      if (ls !== 0 || !Number.isFinite(zi) || !Number.isFinite(xi)) return false;
      const r = Math.max(xi, 0);
      const xz = xi * zi;
      const a = r - xz;
      const ex = Math.exp(-Math.abs(xi));
      const eex = ex * LIBM_ERR * (1 + 4 * LIBM_ERR);
      const l = Math.log1p(ex);
      const el = eex / (1 + ex - eex) + LIBM_ERR * l;
      const v = a + l;
      if (!Number.isFinite(v)) return false;
      const exz = Math.abs(prodErr(xi, zi, xz));
      const ea = exz + Math.abs(sumErr(r, -xz, a));
      FAST.v = v;
      FAST.e = ea + el + U * Math.abs(v) + (Math.abs(v) < 2 ** -960 ? 2 ** -1070 : 0);
      const cxz = Math.abs(xz) + ETA;
      const ca = cxz + Math.abs(a) + ETA;
      const cex = ex + ETA;
      const cl = cex / (1 + ex) + l + ETA;
      FAST.c = ca + cl + Math.abs(v) + ETA;
      return weighFast(w);
    },
    term(i) {
      const zi = z.data[i]!;
      const xi = x.data[i]!;
      if (Number.isNaN(zi) || Number.isNaN(xi)) return NaN;
      const zs = smoothedLabel(zi, ls);
      // softplus(x) - x z: at x = +Infinity it behaves as (1 - z) x, at x = -Infinity as -x z
      if (xi === Infinity) return signInf(1 - zs.value);
      if (xi === -Infinity) return signInf(zs.value);
      if (!Number.isFinite(zs.value)) return xi === 0 ? (A) => A.log1p(A.num(1)) : signInf(-xi * zs.value);
      return <T>(A: Arith<T>): T => {
        const xa = A.num(xi);
        // tfjs's formula: max(x, 0) - x z + log1p(exp(-|x|)). Evaluated with rigorous error
        // bounds, so its cancellation for z near 1 costs accuracy of nothing but the float64 pass.
        return A.add(A.sub(A.max(xa, A.num(0)), A.mul(xa, zs.formula(A))), A.log1p(A.exp(A.neg(A.abs(xa)))));
      };
    },
  };
}

/** What a softmax row's logits are at their limits: per class, d_j = logSumExp(x) - x_j in [0, +Infinity], or NaN when undetermined. */
interface RowLimits {
  /** Classes that enter the finite formula (finite logits); undefined when the row has an infinity that decides it. */
  readonly finite: boolean;
  /** d_j for non-finite rows: 0, +Infinity or NaN (undetermined); NaN also for a NaN in the row. */
  readonly d?: Float64Array;
  readonly hasNaN: boolean;
}

function rowLimits(row: ArrayLike<number>): RowLimits {
  const c = row.length;
  let pos = 0;
  let neg = 0;
  let nan = false;
  for (let j = 0; j < c; j++) {
    const v = row[j]!;
    if (Number.isNaN(v)) nan = true;
    else if (v === Infinity) pos++;
    else if (v === -Infinity) neg++;
  }
  if (nan) return { finite: false, hasNaN: true };
  if (pos === 0 && neg === 0) return { finite: true, hasNaN: false };
  const d = new Float64Array(c);
  if (c === 1) return { finite: false, hasNaN: false, d }; // logSumExp(x) - x = 0 for any single logit
  if (pos > 0) {
    for (let j = 0; j < c; j++) d[j] = row[j] === Infinity ? (pos === 1 ? 0 : NaN) : Infinity;
    return { finite: false, hasNaN: false, d };
  }
  if (neg === c) {
    d.fill(NaN);
    return { finite: false, hasNaN: false, d };
  }
  // some -Infinity, no +Infinity: those classes have d = +Infinity, the others are finite
  for (let j = 0; j < c; j++) d[j] = row[j] === -Infinity ? Infinity : -1; // -1 marks "finite, by the formula"
  return { finite: false, hasNaN: false, d };
}

export function softmaxCrossEntropyTerms(y: Read, x: Read, ls: number): LossTerms {
  const classes = x.shape[x.shape.length - 1]!;
  const smoothed = (r: number, j: number): { value: number; formula: <T>(A: Arith<T>) => T } => {
    const yj = y.data[r * classes + j]!;
    if (ls === 0) return { value: yj, formula: (A) => A.num(yj) };
    return {
      value: mulLim(yj, 1 - ls) + ls / classes,
      formula: (A) => A.add(A.mul(A.num(yj), A.sub(A.num(1), A.num(ls))), A.div(A.num(ls), A.num(classes))),
    };
  };
  return {
    shape: x.shape.slice(0, -1),
    zeroTimesInfinity: 'limit',
    inner(r) {
      let a = 0;
      for (let j = 0; j < classes; j++) {
        const v = Math.abs(smoothed(r, j).value) * (Math.abs(x.data[r * classes + j]!) + 1);
        if (Number.isFinite(v)) a += v;
      }
      return { absSum: a, terms: classes };
    },
    term(r) {
      const row = x.data.subarray(r * classes, (r + 1) * classes);
      const lim = rowLimits(row);
      if (lim.hasNaN) return NaN;
      for (let j = 0; j < classes; j++) if (Number.isNaN(y.data[r * classes + j]!)) return NaN;
      // classes with a finite logit go through the formula; the others have their limit d_j
      const finiteClasses: number[] = [];
      for (let j = 0; j < classes; j++) if (lim.finite || lim.d![j] === -1) finiteClasses.push(j);
      // d_j = logSumExp(x) - x_j is > 0 for a finite class unless it is the row's only non -Infinity class
      const single = finiteClasses.length === 1;
      let fixed = 0;
      const keep: number[] = [];
      for (let j = 0; j < classes; j++) {
        const yj = smoothed(r, j).value;
        if (lim.finite || lim.d![j] === -1) {
          if (!Number.isFinite(yj)) fixed += single ? 0 : yj;
          else if (yj !== 0) keep.push(j);
        } else fixed += yj === 0 ? 0 : mulLim(yj, lim.d![j]!); // a label of 0 ignores its class, even an undetermined one
      }
      if (!Number.isFinite(fixed)) return fixed;
      if (keep.length === 0) return fixed;
      // the finite logits' part, exactly: -sum_j y_j (x_j - logSumExp(x over the finite logits))
      const sub = finiteClasses.map((j) => row[j]!);
      const at = new Map(finiteClasses.map((j, k) => [j, k]));
      const { m, a } = rowMaxEntry(sub);
      return <T>(A: Arith<T>): T => {
        const sums = rowSums(A, sub, m, a);
        let loss = A.num(0);
        // x_j - logSumExp as (x_j - m) - log1p(S'): x_j - m is exact (0 at the maximum), so a large m
        // does not swamp log1p(S') and the float64 tier settles it
        for (const j of keep) loss = A.sub(loss, A.mul(smoothed(r, j).formula(A), A.sub(A.sub(A.num(sub[at.get(j)!]!), A.num(m)), sums.l)));
        return loss;
      };
    },
  };
}

export function cosineDistanceTerms(y: Read, p: Read, axis: number, fn = 'cosineDistance'): LossTerms {
  const plan = planReduction(y.shape, parseAxes(fn, axis, y.shape.length));
  const k = plan.groupSize;
  const productsAbs = (g: number): number => {
    let a = 0;
    for (let j = 0; j < k; j++) {
      const idx = plan.order[g * k + j]!;
      a += Math.abs(y.data[idx]! * p.data[idx]!);
    }
    return a;
  };
  return {
    shape: plan.keepShape,
    zeroTimesInfinity: 'ieee',
    fast(g, w) {
      // the dot product by Neumaier's compensated sum, products with their exact rounding errors
      let s = 0;
      let comp = 0;
      let abs = 0;
      let e = 0;
      for (let j = 0; j < k; j++) {
        const idx = plan.order[g * k + j]!;
        const a = y.data[idx]!;
        const b = p.data[idx]!;
        const t = a * b;
        if (!Number.isFinite(t)) return false;
        e += Math.abs(prodErr(a, b, t));
        const u = s + t;
        comp += Math.abs(s) >= Math.abs(t) ? s - u + t : t - u + s;
        s = u;
        abs += Math.abs(t);
      }
      const dot = s + comp;
      const v = 1 - dot;
      FAST.v = v;
      FAST.e = e + (3 * U + 4 * k * U * U) * abs + Math.abs(sumErr(1, -dot, v)) + k * 2 ** -1074;
      FAST.c = abs + 2 * k * ETA + Math.abs(v) + ETA;
      return weighFast(w);
    },
    magnitude(g, value) {
      // the products' roundings and the final 1 - dot; the dot product's sum is an accumulation
      return productsAbs(g) + 2 * k * ETA + Math.abs(value) + ETA;
    },
    inner(g) {
      let a = 1;
      for (let j = 0; j < k; j++) {
        const idx = plan.order[g * k + j]!;
        const v = Math.abs(y.data[idx]! * p.data[idx]!);
        if (Number.isFinite(v)) a += v;
      }
      return { absSum: a, terms: k + 1 };
    },
    term(g) {
      let special = false;
      for (let j = 0; j < k; j++) {
        const idx = plan.order[g * k + j]!;
        if (nonFinite2(y.data[idx]!, p.data[idx]!)) special = true;
      }
      if (special) {
        // IEEE: the dot product of given values (0·Infinity = NaN, Inf - Inf = NaN), beyond float64 only when infinite
        let dot = 0;
        for (let j = 0; j < k; j++) {
          const idx = plan.order[g * k + j]!;
          const t = y.data[idx]! * p.data[idx]!;
          if (!Number.isFinite(t)) dot += t;
        }
        return 1 - dot; // NaN or ∓Infinity (finite products cannot cancel an infinite one)
      }
      return <T>(A: Arith<T>): T => {
        let dot = A.num(0);
        for (let j = 0; j < k; j++) {
          const idx = plan.order[g * k + j]!;
          dot = A.add(dot, A.mul(A.num(y.data[idx]!), A.num(p.data[idx]!)));
        }
        return A.sub(A.num(1), dot);
      };
    },
  };
}

/** The given losses of computeWeightedLoss. */
export function givenTerms(l: Read): LossTerms {
  return {
    shape: l.shape,
    zeroTimesInfinity: 'ieee',
    fast(i, w) {
      const v = l.data[i]!;
      if (!Number.isFinite(v)) return false;
      FAST.v = v;
      FAST.e = 0;
      FAST.c = 0;
      if (w === 1) return true;
      if (!Number.isFinite(w)) return false;
      const vw = v * w;
      if (!Number.isFinite(vw)) return false;
      FAST.e = Math.abs(prodErr(v, w, vw)) + (Math.abs(vw) < 2 ** -960 ? 2 ** -1074 : 0);
      FAST.c = Math.abs(vw) + ETA;
      FAST.v = vw;
      return true;
    },
    term(i) {
      const v = l.data[i]!;
      return Number.isFinite(v) ? (A) => A.num(v) : v;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The public references

/** tf.losses.meanSquaredError(labels, predictions, weights?, reduction?). */
export function meanSquaredError(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const fn = 'meanSquaredError';
  return reference(fn, (o) => meanSquaredErrorTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o)), options);
}

/** tf.losses.absoluteDifference(labels, predictions, weights?, reduction?). */
export function absoluteDifference(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const fn = 'absoluteDifference';
  return reference(fn, (o) => absoluteDifferenceTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o)), options);
}

export function huberDelta(options: { readonly delta?: number } | undefined): number {
  return Math.fround(readScalarParam('huberLoss', 'delta', options?.delta, 1));
}

/** tf.losses.huberLoss(labels, predictions, weights?, delta = 1, reduction?). */
export function huberLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly delta?: number }): ExactTensor {
  const fn = 'huberLoss';
  return reference(fn, (o) => huberLossTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o), huberDelta(options)), options);
}

export function logLossEpsilon(options: { readonly epsilon?: number } | undefined): number {
  return Math.fround(readScalarParam('logLoss', 'epsilon', options?.epsilon, 1e-7));
}

/** tf.losses.logLoss(labels, predictions, weights?, epsilon = 1e-7, reduction?). */
export function logLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly epsilon?: number }): ExactTensor {
  const fn = 'logLoss';
  return reference(fn, (o) => logLossTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o), logLossEpsilon(options)), options);
}

/** tf.losses.hingeLoss(labels, predictions, weights?, reduction?): labels in {0, 1} map to {-1, 1}. */
export function hingeLoss(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const fn = 'hingeLoss';
  return reference(fn, (o) => hingeLossTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o)), options);
}

export function labelSmoothing(fn: string, v: number | undefined): number {
  const ls = Math.fround(readScalarParam(fn, 'labelSmoothing', v, 0));
  if (!(ls >= 0 && ls <= 1)) throw new RangeError(`${fn}: parameter 'labelSmoothing' must be in [0, 1]; got ${ls}`);
  return ls;
}

/** tf.losses.sigmoidCrossEntropy(multiClassLabels, logits, weights?, labelSmoothing = 0, reduction?). */
export function sigmoidCrossEntropy(multiClassLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): ExactTensor {
  const fn = 'sigmoidCrossEntropy';
  return reference(
    fn,
    (o) => sigmoidCrossEntropyTerms(...pair(fn, 'multiClassLabels', multiClassLabels, 'logits', logits, o), labelSmoothing(fn, options?.labelSmoothing)),
    options,
  );
}

/** tf.losses.softmaxCrossEntropy(onehotLabels, logits, weights?, labelSmoothing = 0, reduction?): rows along the last axis. */
export function softmaxCrossEntropy(onehotLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): ExactTensor {
  const fn = 'softmaxCrossEntropy';
  return reference(
    fn,
    (o) => {
      const [y, x] = pair(fn, 'onehotLabels', onehotLabels, 'logits', logits, o);
      if (x.shape.length === 0) throw new RangeError(`${fn}: argument 'logits' must have rank >= 1; got a scalar`);
      return softmaxCrossEntropyTerms(y, x, labelSmoothing(fn, options?.labelSmoothing));
    },
    options,
  );
}

/** tf.losses.cosineDistance(labels, predictions, axis, weights?, reduction?): 1 - sum(labels * predictions) along axis. */
export function cosineDistance(labels: RefInput, predictions: RefInput, axis: number, options?: LossOptions): ExactTensor {
  const fn = 'cosineDistance';
  if (typeof axis !== 'number') throw new TypeError(`${fn}: argument 'axis' must be a number; got ${JSON.stringify(axis)}`);
  return reference(fn, (o) => cosineDistanceTerms(...pair(fn, 'labels', labels, 'predictions', predictions, o), axis), options);
}

/** tf.losses.computeWeightedLoss(losses, weights?, reduction?). */
export function computeWeightedLoss(losses: RefInput, options?: LossOptions): ExactTensor {
  const fn = 'computeWeightedLoss';
  return reference(fn, (o) => givenTerms(readInput(fn, 'losses', losses, o)), options);
}
