/**
 * Exact references for sum, mean, moments (mean and variance), norm and matMul.
 *
 * These are rational functions of the inputs (norm: the square root of one), so the slow path
 * needs no BigNumber precision at all: inputs are scaled to integers and summed, multiplied and
 * divided exactly with BigInt (rational.ts), then rounded once. The fast path is a float64
 * evaluation whose error bound is u·(sum of |partial sums|): with no cancellation it settles the
 * float32 answer; with cancellation (3e38 + 1 - 3e38) it does not, and the exact path gives 1
 * where float64 alone would give 0.
 *
 * Non-finite inputs give the IEEE 754 result of the defining sum, which for these ops is the
 * extended-real value: Inf + finite = Inf, Inf - Inf = NaN, 0 * Inf = NaN in matMul.
 *
 * Magnitudes model the recursive float32 algorithm (first-order bound, see exact.ts): for sum,
 * the sum of |partial sums|; for variance, the two-pass formula plus the square of the mean's
 * own error.
 */
import { ExactBuilder, KIND_FINITE, KIND_NAN, type ExactTensor } from './exact.ts';
import { certifies32, decompose, U32_ROUNDOFF } from '../core/float32.ts';
import { ETA, inflate } from './arith.ts';
import { formatShape, parseAxes, planReduction, readInput, sizeOfShape, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions } from './options.ts';
import { commonScale, ratioToDouble, scaled, sqrtToDouble } from './rational.ts';
import { ProductSums, TermSums } from './linalg.ts';

const U = 2 ** -53;

export type Axis = number | readonly number[] | null;

function gather(t: Read, order: Int32Array, g: number, n: number, into: Float64Array): void {
  const base = g * n;
  for (let j = 0; j < n; j++) into[j] = t.data[order[base + j]!]!;
}

/** Sum of finite values, exactly, as num / 2^scale. */
function exactSum(values: Float64Array): { num: bigint; scale: number } {
  const s = commonScale(values);
  let total = 0n;
  for (let j = 0; j < values.length; j++) total += scaled(values[j]!, s);
  return { num: total, scale: s };
}

interface GroupScan {
  sum: number;
  /** Sum of |partial sums|. */
  run: number;
  /** Sum of |terms|. */
  abs: number;
  finite: boolean;
}

function scan(values: Float64Array): GroupScan {
  let s = 0;
  let run = 0;
  let abs = 0;
  let finite = true;
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    if (!Number.isFinite(v)) finite = false;
    s += v;
    run += Math.abs(s);
    abs += Math.abs(v);
  }
  return { sum: s, run, abs, finite };
}

function reduceShape(outShape: number[], keepShape: number[], keepDims: boolean | undefined): number[] {
  return keepDims ? keepShape : outShape;
}

/** tf.sum(x, axis, keepDims). */
export function sum(x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  return sumOrMean('sum', x, axis, keepDims, options, false);
}

/** tf.mean(x, axis, keepDims). */
export function mean(x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  return sumOrMean('mean', x, axis, keepDims, options, true);
}

function sumOrMean(fn: string, x: RefInput, axis: Axis, keepDims: boolean, options: ReferenceOptions | undefined, divide: boolean): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(fn, 'x', x, o);
  const plan = planReduction(t.shape, parseAxes(fn, axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups, true);
  const vals = new Float64Array(n);
  for (let g = 0; g < plan.groups; g++) {
    gather(t, plan.order, g, n, vals);
    const sc = scan(vals);
    const v = divide ? sc.sum / n : sc.sum;
    out.magnitude![g] = divide ? sc.run / n + Math.abs(v) + 2 * ETA : sc.run + n * ETA;
    out.accumulation(g, divide ? sc.abs / n : sc.abs, n);
    if (!sc.finite || n === 0) {
      out.definitional(g, v);
      continue;
    }
    const err = divide ? (U * sc.run) / n + U * Math.abs(v) : U * sc.run;
    if (o.mode === 'tiered' && certifies32(v, inflate(err))) {
      out.finite(g, v);
      continue;
    }
    out.slow++;
    const ex = exactSum(vals);
    out.finite(g, ratioToDouble(ex.num, divide ? BigInt(n) : 1n, ex.scale));
  }
  return out.build();
}

/** tf.moments(x, axis, keepDims): the mean and the (population) variance. */
export function moments(x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): { mean: ExactTensor; variance: ExactTensor } {
  const o = resolveOptions(options);
  const t = readInput('moments', 'x', x, o);
  const plan = planReduction(t.shape, parseAxes('moments', axis, t.shape.length));
  const n = plan.groupSize;
  const shape = reduceShape(plan.outShape, plan.keepShape, keepDims);
  const meanOut = new ExactBuilder(shape, plan.groups, true);
  const varOut = new ExactBuilder(shape, plan.groups, true);
  const vals = new Float64Array(n);
  for (let g = 0; g < plan.groups; g++) {
    gather(t, plan.order, g, n, vals);
    const sc = scan(vals);
    const mu = sc.sum / n;
    const muErr = (U * sc.run) / n + U * Math.abs(mu);
    const muMag = sc.run / n + Math.abs(mu) + 2 * ETA;
    meanOut.magnitude![g] = muMag;
    // Two-pass variance with a running bound.
    let acc = 0;
    let accRun = 0;
    let termErr = 0;
    for (let j = 0; j < n; j++) {
      const d = vals[j]! - mu;
      const ad = Math.abs(d);
      const sq = d * d;
      termErr += 2 * ad * (muErr + U * ad) + (muErr + U * ad) ** 2 + U * sq;
      acc += sq;
      accRun += acc;
    }
    const variance = acc / n;
    varOut.magnitude![g] = (3 * acc + accRun) / n + variance + U32_ROUNDOFF * muMag * muMag + 4 * ETA;
    if (!sc.finite || n === 0) {
      meanOut.definitional(g, mu);
      // Any infinity makes x - mean an Inf - Inf somewhere: NaN, as is any NaN input.
      varOut.definitional(g, NaN);
      continue;
    }
    let exact: { num: bigint; scale: number } | undefined;
    if (o.mode === 'tiered' && certifies32(mu, inflate(muErr))) {
      meanOut.finite(g, mu);
    } else {
      meanOut.slow++;
      exact = exactSum(vals);
      meanOut.finite(g, ratioToDouble(exact.num, BigInt(n), exact.scale));
    }
    const varErr = (termErr + U * accRun) / n + U * variance;
    if (o.mode === 'tiered' && certifies32(variance, inflate(varErr))) {
      varOut.finite(g, variance);
    } else {
      varOut.slow++;
      // variance = (n * sum(X^2) - (sum X)^2) / n^2, with X = x * 2^s integers.
      const s = commonScale(vals);
      let sx = 0n;
      let sxx = 0n;
      for (let j = 0; j < n; j++) {
        const X = scaled(vals[j]!, s);
        sx += X;
        sxx += X * X;
      }
      const N = BigInt(n);
      varOut.finite(g, ratioToDouble(N * sxx - sx * sx, N * N, 2 * s));
    }
  }
  return { mean: meanOut.build(), variance: varOut.build() };
}

/**
 * tf.norm(x, ord, axis, keepDims) for the vector norms: 'euclidean' (also 2 and 'fro', which
 * over one or two axes is the same sqrt of the sum of squares), 1, Infinity and -Infinity; over
 * two axes [a0, a1] (a0 < a1), ord 1 is the largest column sum of |x| (summed along a0),
 * Infinity the largest row sum (along a1) and -Infinity the smallest, as tfjs defines them.
 * The exact euclidean norm never overflows for float32 inputs: norm([1e20]) is 1e20.
 */
export function norm(
  x: RefInput,
  ord: 'euclidean' | 'fro' | number = 'euclidean',
  axis: Axis = null,
  keepDims = false,
  options?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput('norm', 'x', x, o);
  const axes = parseAxes('norm', axis, t.shape.length);
  const euclid = ord === 'euclidean' || ord === 'fro' || ord === 2;
  if (!euclid && ord !== 1 && ord !== Infinity && ord !== -Infinity) {
    throw new RangeError(`norm: parameter 'ord' must be 'euclidean', 'fro', 2, 1, Infinity or -Infinity; got ${String(ord)}`);
  }
  if (!euclid && axis !== null && axes.length > 1) return matrixNorm(t, ord as number, axes, keepDims, o);
  const plan = planReduction(t.shape, axes);
  const n = plan.groupSize;
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups, true);
  const vals = new Float64Array(n);
  for (let g = 0; g < plan.groups; g++) {
    gather(t, plan.order, g, n, vals);
    for (let j = 0; j < n; j++) vals[j] = Math.abs(vals[j]!);
    if (vals.some(Number.isNaN)) {
      out.definitional(g, NaN);
      out.magnitude![g] = NaN;
      continue;
    }
    if (ord === Infinity || ord === -Infinity) {
      let v = ord === Infinity ? 0 : Infinity;
      for (let j = 0; j < n; j++) v = ord === Infinity ? Math.max(v, vals[j]!) : Math.min(v, vals[j]!);
      if (n === 0) v = ord === Infinity ? 0 : Infinity;
      out.definitional(g, v);
      out.magnitude![g] = v;
      continue;
    }
    if (ord === 1) {
      const sc = scan(vals);
      out.magnitude![g] = sc.run + n * ETA;
      out.accumulation(g, sc.abs, n);
      if (!sc.finite) {
        out.definitional(g, Infinity);
      } else if (o.mode === 'tiered' && certifies32(sc.sum, inflate(U * sc.run))) {
        out.finite(g, sc.sum);
      } else {
        out.slow++;
        const ex = exactSum(vals);
        out.finite(g, ratioToDouble(ex.num, 1n, ex.scale));
      }
      continue;
    }
    // Euclidean.
    let ss = 0;
    let run = 0;
    let products = 0;
    let finite = true;
    for (let j = 0; j < n; j++) {
      const v = vals[j]!;
      if (!Number.isFinite(v)) finite = false;
      const sq = v * v;
      products += sq;
      ss += sq;
      run += ss;
    }
    const v = Math.sqrt(ss);
    // x^2 can underflow (2^-150 per operation in the standard model); sqrt turns n such errors into
    // at most sqrt(2n * 2^-150), which is what a norm of subnormals can be off by.
    const underflow = Math.sqrt(2 * n * 2 ** -150) * 2 ** 24;
    out.magnitude![g] = v > 0 ? (products + run) / (2 * v) + v + ETA + underflow : underflow;
    // a float32 norm is sqrt of a sum of n squares: relative error (L(n) + 1)·u/2 + u of the norm
    out.accumulation(g, v, n);
    if (!finite) {
      out.definitional(g, Infinity);
      continue;
    }
    const ssErr = U * (run + products);
    const err = v > 0 ? ssErr / v + U * v : Math.sqrt(ssErr);
    if (o.mode === 'tiered' && Number.isFinite(ss) && certifies32(v, inflate(err))) {
      out.finite(g, v);
      continue;
    }
    out.slow++;
    const s = commonScale(vals);
    let total = 0n;
    for (let j = 0; j < n; j++) {
      const X = scaled(vals[j]!, s);
      total += X * X;
    }
    out.finite(g, sqrtToDouble(total, 2 * s));
  }
  return out.build();
}

/**
 * tf.matMul(a, b, transposeA, transposeB): rank 2, or rank >= 3 with broadcast batch dimensions.
 */
export function matMul(a: RefInput, b: RefInput, transposeA = false, transposeB = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const A = readInput('matMul', 'a', a, o);
  const B = readInput('matMul', 'b', b, o);
  if (A.shape.length < 2) throw new RangeError(`matMul: argument 'a' must have rank >= 2; got shape ${formatShape(A.shape)}`);
  if (B.shape.length < 2) throw new RangeError(`matMul: argument 'b' must have rank >= 2; got shape ${formatShape(B.shape)}`);
  const ra = A.shape.length;
  const rb = B.shape.length;
  const [m, kA] = transposeA ? [A.shape[ra - 1]!, A.shape[ra - 2]!] : [A.shape[ra - 2]!, A.shape[ra - 1]!];
  const [kB, nn] = transposeB ? [B.shape[rb - 1]!, B.shape[rb - 2]!] : [B.shape[rb - 2]!, B.shape[rb - 1]!];
  if (kA !== kB) {
    throw new RangeError(
      `matMul: inner dimensions differ: 'a' ${formatShape(A.shape)}${transposeA ? ' (transposed)' : ''} has ${kA} columns but 'b' ${formatShape(B.shape)}${transposeB ? ' (transposed)' : ''} has ${kB} rows`,
    );
  }
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = batchA[batchA.length - rank + i] ?? 1;
    const db = batchB[batchB.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`matMul: batch dimensions of 'a' ${formatShape(A.shape)} and 'b' ${formatShape(B.shape)} cannot be broadcast together`);
    }
    batch.push(da === 1 ? db : da);
  }
  const batches = sizeOfShape(batch);
  const k = kA;
  const out = new ExactBuilder([...batch, m, nn], batches * m * nn, true);
  const sizeA = m * k;
  const sizeB = k * nn;
  const batchIndex = (shape: number[], bi: number): number => {
    // flat batch index of a (possibly broadcast) operand
    let rest = bi;
    let idx = 0;
    let stride = 1;
    for (let i = rank - 1; i >= 0; i--) {
      const d = batch[i]!;
      const c = rest % d;
      rest = Math.floor(rest / d);
      const own = shape[shape.length - rank + i] ?? 1;
      if (own !== 1) idx += c * stride;
      stride *= own;
    }
    return idx;
  };
  let scaleA = -1;
  let scaleB = -1;
  const pa = new Float64Array(k);
  const pb = new Float64Array(k);
  for (let bi = 0; bi < batches; bi++) {
    const offA = batchIndex(batchA, bi) * sizeA;
    const offB = batchIndex(batchB, bi) * sizeB;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < nn; j++) {
        let s = 0;
        let run = 0;
        let prod = 0;
        for (let q = 0; q < k; q++) {
          const av = A.data[offA + (transposeA ? q * m + i : i * k + q)]!;
          const bv = B.data[offB + (transposeB ? j * k + q : q * nn + j)]!;
          pa[q] = av;
          pb[q] = bv;
          const p = av * bv;
          s += p;
          run += Math.abs(s);
          prod += Math.abs(p);
        }
        const idx = (bi * m + i) * nn + j;
        out.magnitude![idx] = run + prod + 2 * k * ETA;
        out.accumulation(idx, prod, k);
        if (!Number.isFinite(s) || Number.isNaN(run)) {
          out.definitional(idx, s);
          continue;
        }
        if (o.mode === 'tiered' && certifies32(s, inflate(U * (run + prod)))) {
          out.finite(idx, s);
          continue;
        }
        out.slow++;
        if (scaleA < 0) {
          scaleA = commonScale(A.data);
          scaleB = commonScale(B.data);
        }
        let total = 0n;
        for (let q = 0; q < k; q++) total += scaled(pa[q]!, scaleA) * scaled(pb[q]!, scaleB);
        out.set(idx, ratioToDouble(total, 1n, scaleA + scaleB), KIND_FINITE);
      }
    }
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// products, extrema, arg-extrema, logical reductions, scans, segment sums, bincount

/**
 * A running product of float32 values, settled exactly: float64 while its relative error bound
 * k·u settles the float32 rounding and the running value stays clear of float64's overflow and
 * underflow, else the exact product of the mantissas (BigInt) times the sum of the exponents,
 * rounded once. Zeros, infinities and NaN follow IEEE 754 (0·Infinity = NaN; the sign is the
 * product of the signs). `magnitude` is the first-order error factor of the same product taken
 * step by step in float32 in any order: k roundings of the product and, with gradual underflow,
 * k errors of at most 2^-150 each, amplified by at most the product of the factors larger than 1.
 */
export class ProductScan {
  private p = 1;
  private k = 0;
  private big = 1;
  private mant = 1n;
  private exp = 0;
  private exactOk = true;
  private nan = false;
  private inf = false;
  private zero = false;
  private negative = false;

  push(v: number): void {
    this.k++;
    if (Number.isNaN(v)) this.nan = true;
    else if (!Number.isFinite(v)) this.inf = true;
    else if (v === 0) this.zero = true;
    if (v < 0 || Object.is(v, -0)) this.negative = !this.negative;
    this.p *= v;
    this.big *= Math.max(1, Math.abs(v));
    if (this.exactOk && Number.isFinite(v) && v !== 0) {
      const d = decompose(v);
      this.mant *= BigInt(d.mantissa);
      this.exp += d.exponent;
    }
  }

  /** Store the current product as element `i` of `out`. */
  settle(out: ExactBuilder, i: number, o: { mode: 'tiered' | 'exact' }): void {
    // k roundings of the product, and k underflows of at most 2^-150 each, amplified by the larger factors whatever the order
    out.magnitude![i] = this.k * (Math.abs(this.p) + ETA * this.big);
    if (this.nan || (this.inf && this.zero)) out.definitional(i, NaN);
    else if (this.inf) out.definitional(i, this.negative ? -Infinity : Infinity);
    else if (this.zero) out.definitional(i, this.negative ? -0 : 0);
    else if (
      o.mode === 'tiered' &&
      Math.abs(this.p) > 2 ** -1000 &&
      Math.abs(this.p) < 2 ** 1000 &&
      certifies32(this.p, inflate(this.k * U * Math.abs(this.p)))
    ) {
      out.finite(i, this.p);
    } else this.exactly(out, i);
  }

  private exactly(out: ExactBuilder, i: number): void {
    out.slow++;
    const m = this.mant < 0n ? -this.mant : this.mant;
    const sign = this.negative ? -1 : 1;
    out.finite(i, sign * ratioToDouble(m, 1n, -this.exp));
  }
}

/** tf.prod(x, axis, keepDims): the exact product, correctly rounded (a product beyond float32 rounds to ±Infinity). */
export function prod(x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput('prod', 'x', x, o);
  const plan = planReduction(t.shape, parseAxes('prod', axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups, true);
  for (let g = 0; g < plan.groups; g++) {
    const scanP = new ProductScan();
    for (let j = 0; j < n; j++) scanP.push(t.data[plan.order[g * n + j]!]!);
    scanP.settle(out, g, o);
  }
  return out.build();
}

/** d/dx of sum(prod(x, axis)): the product of the other elements of each group (exact, zeros included). */
export function prodDerivative(x: RefInput, axis: Axis = null, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput("prod'", 'x', x, o);
  const plan = planReduction(t.shape, parseAxes("prod'", axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size, true);
  for (let g = 0; g < plan.groups; g++) {
    for (let i = 0; i < n; i++) {
      const scanP = new ProductScan();
      for (let j = 0; j < n; j++) if (j !== i) scanP.push(t.data[plan.order[g * n + j]!]!);
      scanP.settle(out, plan.order[g * n + i]!, o);
    }
  }
  return out.build();
}

/**
 * tf.max / tf.min(x, axis, keepDims): the largest (smallest) element; NaN propagates (IEEE 754
 * maximum / minimum). Exact by definition.
 */
export function extremum(which: 'max' | 'min', x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(which, 'x', x, o);
  const plan = planReduction(t.shape, parseAxes(which, axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups);
  for (let g = 0; g < plan.groups; g++) {
    let m = which === 'max' ? -Infinity : Infinity;
    for (let j = 0; j < n; j++) {
      const v = t.data[plan.order[g * n + j]!]!;
      m = which === 'max' ? Math.max(m, v) : Math.min(m, v);
    }
    out.definitional(g, m);
  }
  return out.build();
}

/**
 * d/dx of sum(max(x, axis)) (or min): 1 at the extremum of each group. Where several elements tie
 * the derivative is set-valued (any split of the 1): each accepts [0, 1] and `values` holds the
 * even split. Groups holding NaN have no derivative (kind nan).
 */
export function extremumDerivative(
  which: 'max' | 'min',
  x: RefInput,
  axis: Axis = null,
  options?: ReferenceOptions,
): ExactTensor & { lower?: Float64Array; upper?: Float64Array } {
  const o = resolveOptions(options);
  const t = readInput(`${which}'`, 'x', x, o);
  const plan = planReduction(t.shape, parseAxes(`${which}'`, axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size);
  const lower = new Float64Array(t.size).fill(NaN);
  const upper = new Float64Array(t.size).fill(NaN);
  let ties = false;
  for (let g = 0; g < plan.groups; g++) {
    let m = which === 'max' ? -Infinity : Infinity;
    for (let j = 0; j < n; j++) {
      const v = t.data[plan.order[g * n + j]!]!;
      m = which === 'max' ? Math.max(m, v) : Math.min(m, v);
    }
    let count = 0;
    for (let j = 0; j < n; j++) if (t.data[plan.order[g * n + j]!] === m) count++;
    for (let j = 0; j < n; j++) {
      const i = plan.order[g * n + j]!;
      if (Number.isNaN(m)) out.set(i, NaN, KIND_NAN);
      else if (t.data[i] !== m) out.definitional(i, 0);
      else {
        out.definitional(i, 1 / count);
        if (count > 1) {
          ties = true;
          lower[i] = 0;
          upper[i] = 1;
        }
      }
    }
  }
  const r = out.build();
  return ties ? { ...r, lower, upper } : r;
}

/**
 * tf.argMax / tf.argMin(x, axis): the index of the first largest (smallest) element along the
 * axis (ties: the first, as tfjs and TensorFlow return). NaN has no place in the order: groups
 * holding NaN are NaN here (no promise), so inputs for these ops leave NaN out.
 */
export function argExtremum(which: 'max' | 'min', x: RefInput, axis = 0, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const fn = which === 'max' ? 'argMax' : 'argMin';
  const t = readInput(fn, 'x', x, o);
  const plan = planReduction(t.shape, parseAxes(fn, axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(plan.outShape, plan.groups);
  for (let g = 0; g < plan.groups; g++) {
    let best = 0;
    let nan = false;
    for (let j = 0; j < n; j++) {
      const v = t.data[plan.order[g * n + j]!]!;
      if (Number.isNaN(v)) nan = true;
      const b = t.data[plan.order[g * n + best]!]!;
      if (which === 'max' ? v > b : v < b) best = j;
    }
    out.definitional(g, nan ? NaN : best);
  }
  return out.build();
}

/** tf.all / tf.any(x, axis, keepDims) of a bool tensor (read as 0/1): 1 or 0. */
export function logicalReduce(which: 'all' | 'any', x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(which, 'x', x, o);
  const plan = planReduction(t.shape, parseAxes(which, axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups);
  for (let g = 0; g < plan.groups; g++) {
    let r = which === 'all';
    for (let j = 0; j < n; j++) {
      const v = t.data[plan.order[g * n + j]!] !== 0;
      r = which === 'all' ? r && v : r || v;
    }
    out.definitional(g, r ? 1 : 0);
  }
  return out.build();
}

/** The indices of each line along `axis`, in scan order (reversed for `reverse`). */
function lines(t: Read, axis: number, reverse: boolean): { plan: ReductionPlanLike; at: (g: number, j: number) => number } {
  const plan = planReduction(t.shape, parseAxes('cumsum', axis, t.shape.length));
  const n = plan.groupSize;
  return { plan, at: (g, j) => plan.order[g * n + (reverse ? n - 1 - j : j)]! };
}
type ReductionPlanLike = ReturnType<typeof planReduction>;

/**
 * tf.cumsum(x, axis, exclusive, reverse): running sums along the axis, each exact. float64 with
 * compensated (Neumaier) summation and its bound u·|s| + γ_k²·Σ|x| first; the exact BigInt
 * running sum, advanced lazily, only for elements that bound does not settle. Each element is an
 * accumulation of the terms before it.
 */
export function cumsum(x: RefInput, axis = 0, exclusive = false, reverse = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput('cumsum', 'x', x, o);
  if (t.shape.length === 0) throw new RangeError('cumsum: x must have rank >= 1');
  const { plan, at } = lines(t, axis, reverse);
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size, true);
  const line = new Float64Array(n);
  for (let g = 0; g < plan.groups; g++) {
    for (let j = 0; j < n; j++) line[j] = t.data[at(g, j)]!;
    let s = 0;
    let comp = 0;
    let abs = 0;
    let run = 0;
    let plain = 0;
    let scale = -1;
    let exactUpTo = 0;
    let total = 0n;
    for (let j = 0; j < n; j++) {
      const idx = at(g, j);
      const count = exclusive ? j : j + 1;
      // the terms of element j are line[0 .. count)
      if (count > 0 && (!exclusive || j > 0)) {
        const v = line[count - 1]!;
        const u = s + v;
        comp += Math.abs(s) >= Math.abs(v) ? s - u + v : v - u + s;
        s = u;
        plain += v;
        abs += Math.abs(v);
        run += Math.abs(plain);
      }
      out.magnitude![idx] = run + count * ETA;
      out.accumulation(idx, abs, count);
      const value = s + comp;
      if (!Number.isFinite(plain)) {
        out.definitional(idx, plain);
        continue;
      }
      const gamma = (count * U) / (1 - count * U);
      if (o.mode === 'tiered' && certifies32(value, inflate(U * Math.abs(value) + gamma * gamma * abs))) {
        out.finite(idx, value);
        continue;
      }
      out.slow++;
      if (scale < 0) scale = commonScale(line);
      while (exactUpTo < count) total += scaled(line[exactUpTo++]!, scale);
      out.finite(idx, ratioToDouble(total, 1n, scale));
    }
  }
  return out.build();
}

/** d/dx of sum(cumsum(x, axis, exclusive, reverse)): how many running sums hold each element (an exact count). */
export function cumsumDerivative(x: RefInput, axis = 0, exclusive = false, reverse = false, options?: ReferenceOptions): ExactTensor {
  const t = readInput("cumsum'", 'x', x, resolveOptions(options));
  const { plan, at } = lines(t, axis, reverse);
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size);
  for (let g = 0; g < plan.groups; g++) {
    for (let j = 0; j < n; j++) {
      const c = exclusive ? n - 1 - j : n - j;
      out.definitional(at(g, j), c);
      out.accumulation(at(g, j), c, c);
    }
  }
  return out.build();
}

/** tf.cumprod(x, axis, exclusive, reverse): running products, each exact (see ProductScan). */
export function cumprod(x: RefInput, axis = 0, exclusive = false, reverse = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput('cumprod', 'x', x, o);
  if (t.shape.length === 0) throw new RangeError('cumprod: x must have rank >= 1');
  const { plan, at } = lines(t, axis, reverse);
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size, true);
  for (let g = 0; g < plan.groups; g++) {
    const p = new ProductScan();
    for (let j = 0; j < n; j++) {
      if (!exclusive) p.push(t.data[at(g, j)]!);
      p.settle(out, at(g, j), o);
      if (exclusive) p.push(t.data[at(g, j)]!);
    }
  }
  return out.build();
}

/**
 * tf.unsortedSegmentSum(x, segmentIds, numSegments): out[s] = the sum of the rows x[i] with
 * segmentIds[i] = s (rows along the first axis; ids outside [0, numSegments) are dropped).
 */
export function unsortedSegmentSum(x: RefInput, segmentIds: RefInput, numSegments: number, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const X = readInput('unsortedSegmentSum', 'x', x, o);
  const ids = readInput('unsortedSegmentSum', 'segmentIds', segmentIds, o);
  const inner = X.size / Math.max(1, ids.size);
  const sums = new TermSums([numSegments, ...X.shape.slice(ids.shape.length)]);
  for (let i = 0; i < ids.size; i++) {
    const s = ids.data[i]!;
    if (!(s >= 0 && s < numSegments)) continue;
    for (let q = 0; q < inner; q++) sums.add(s * inner + q, X.data[i * inner + q]!);
  }
  return sums.build(options);
}

/**
 * tf.bincount(x, weights, size) and tf.denseBincount(x, weights, size, binaryOutput) (x of
 * rank 1, or 2 for denseBincount: one histogram per row): out[v] is the sum of the weights of
 * the elements equal to v (their count without weights; 1 or 0 with binaryOutput). Values
 * outside [0, size) are ignored.
 */
export function bincount(x: RefInput, weights: RefInput | undefined, size: number, binaryOutput = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const X = readInput('bincount', 'x', x, o);
  const W = weights === undefined ? undefined : readInput('bincount', 'weights', weights, o);
  const rows = X.shape.length === 2 ? X.shape[0]! : 1;
  const cols = X.shape.length === 2 ? X.shape[1]! : X.size;
  const sums = new TermSums(X.shape.length === 2 ? [rows, size] : [size]);
  const seen = new Uint8Array(rows * size);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const v = X.data[r * cols + j]!;
      if (!(v >= 0 && v < size)) continue;
      const bin = r * size + v;
      if (binaryOutput) {
        if (!seen[bin]) sums.add(bin, 1);
        seen[bin] = 1;
      } else sums.add(bin, W === undefined || W.size === 0 ? 1 : W.data[r * cols + j]!);
    }
  }
  return sums.build(options);
}

/**
 * d/dx of sum(mean) + sum(variance) of tf.moments(x, axis): 1/n + 2(x_i - mean)/n per element,
 * exact (a rational function of the group). Marked as an accumulation over the group (the
 * backward pass sums through the mean).
 */
export function momentsDerivative(x: RefInput, axis: Axis = null, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput("moments'", 'x', x, o);
  const plan = planReduction(t.shape, parseAxes("moments'", axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size, true);
  const vals = new Float64Array(n);
  for (let g = 0; g < plan.groups; g++) {
    gather(t, plan.order, g, n, vals);
    const sc = scan(vals);
    const mu = sc.sum / n;
    const muErr = (U * sc.run) / n + U * Math.abs(mu);
    let scale = -1;
    let S = 0n;
    for (let j = 0; j < n; j++) {
      const i = plan.order[g * n + j]!;
      const xi = vals[j]!;
      const d = xi - mu;
      const v = 1 / n + (2 * d) / n;
      out.magnitude![i] = Math.abs(v) + (8 * (Math.abs(xi) + Math.abs(mu))) / n + ETA;
      out.accumulation(i, (2 * ((2 * sc.abs) / n + Math.abs(xi))) / n + 1 / n, n);
      if (!sc.finite) {
        out.set(i, NaN, KIND_NAN);
        continue;
      }
      const err = (2 * (muErr + U * Math.abs(d))) / n + 2 * U * Math.abs(v) + U / n;
      if (o.mode === 'tiered' && certifies32(v, inflate(err))) {
        out.finite(i, v);
        continue;
      }
      out.slow++;
      if (scale < 0) {
        scale = commonScale(vals);
        S = 0n;
        for (let k = 0; k < n; k++) S += scaled(vals[k]!, scale);
      }
      // (n·2^s + 2(n·X_i - S)) / (n²·2^s)
      const N = BigInt(n);
      out.finite(i, ratioToDouble((N << BigInt(scale)) + 2n * (N * scaled(xi, scale) - S), N * N, scale));
    }
  }
  return out.build();
}

/** Matrix norms of ord 1, Infinity, -Infinity over two axes: extremes of exact line sums of |x|. */
function matrixNorm(t: Read, ord: number, axes: number[], keepDims: boolean, o: { mode: 'tiered' | 'exact' }): ExactTensor {
  if (ord !== 1 && ord !== Infinity && ord !== -Infinity) throw new RangeError(`norm: no matrix norm of ord ${ord}`);
  const plan = planReduction(t.shape, axes);
  const [d0, d1] = [t.shape[axes[0]!]!, t.shape[axes[1]!]!];
  // ord 1 sums along a0 (columns), ±Infinity along a1 (rows)
  const [lines, len] = ord === 1 ? [d1, d0] : [d0, d1];
  const out = new ExactBuilder(reduceShape(plan.outShape, plan.keepShape, keepDims), plan.groups, true);
  const vals = new Float64Array(len);
  const n = plan.groupSize;
  for (let g = 0; g < plan.groups; g++) {
    let best = ord === -Infinity ? Infinity : -Infinity;
    let bestAbs = 0;
    let nan = false;
    let mag = 0;
    for (let l = 0; l < lines; l++) {
      for (let q = 0; q < len; q++) {
        const [i, j] = ord === 1 ? [q, l] : [l, q];
        vals[q] = Math.abs(t.data[plan.order[g * n + i * d1 + j]!]!);
      }
      const sc = scan(vals);
      if (vals.some(Number.isNaN)) nan = true;
      let v = sc.sum;
      if (sc.finite && !(o.mode === 'tiered' && certifies32(v, inflate(U * sc.run)))) {
        const ex = exactSum(vals);
        v = ratioToDouble(ex.num, 1n, ex.scale);
      }
      if (ord === -Infinity ? v < best : v > best) best = v;
      bestAbs = Math.max(bestAbs, sc.abs);
      mag = Math.max(mag, sc.run);
    }
    out.magnitude![g] = mag + len * ETA;
    // the computed extreme may come from another line within its own error: bound by the largest line
    out.accumulation(g, ord === -Infinity ? 2 * best : bestAbs, len);
    if (nan) out.definitional(g, NaN);
    else if (best === Infinity || lines === 0) out.definitional(g, lines === 0 ? 0 : best);
    else out.finite(g, best);
  }
  return out.build();
}

/**
 * tf.addN of the tensors x[0], x[1], ... (x stacked along a first axis of k tensors): each output
 * element is the exact sum of its k terms, marked as an accumulation.
 */
export function addN(x: RefInput, options?: ReferenceOptions): ExactTensor {
  const X = readInput('addN', 'x', x, resolveOptions(options));
  if (X.shape.length < 1) throw new RangeError('addN: x must stack the tensors along a first axis');
  const k = X.shape[0]!;
  const inner = k === 0 ? 0 : X.size / k;
  const sums = new TermSums(X.shape.slice(1));
  for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) sums.add(i, X.data[j * inner + i]!);
  return sums.build(options);
}

/**
 * tf.sparse.sparseSegmentSum / sparseSegmentMean(data, indices, segmentIds): output row s is the
 * exact sum (or mean) of the rows data[indices[i]] with segmentIds[i] = s; segmentIds are sorted,
 * the output has segmentIds[last] + 1 rows, and a row no id names is 0.
 */
export function sparseSegmentReduction(data: RefInput, indices: RefInput, segmentIds: RefInput, mean: boolean, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const fn = mean ? 'sparseSegmentMean' : 'sparseSegmentSum';
  const D = readInput(fn, 'data', data, o);
  const I = readInput(fn, 'indices', indices, o);
  const S = readInput(fn, 'segmentIds', segmentIds, o);
  if (I.size !== S.size) throw new RangeError(`${fn}: indices and segmentIds must have the same length`);
  const rows = D.shape[0] ?? 0;
  const cols = rows === 0 ? 0 : D.size / rows;
  const outRows = S.size === 0 ? 0 : S.data[S.size - 1]! + 1;
  const out = new ExactBuilder([outRows, ...D.shape.slice(1)], outRows * cols, true);
  const acc = new ProductSums(out, o);
  for (let s = 0; s < outRows; s++) {
    const members: number[] = [];
    for (let i = 0; i < S.size; i++) {
      if (S.data[i] !== s) continue;
      const r = I.data[i]!;
      if (!(r >= 0 && r < rows)) throw new RangeError(`${fn}: index ${r} is outside [0, ${rows})`);
      members.push(r);
    }
    for (let q = 0; q < cols; q++) {
      for (const r of members) acc.push(D.data[r * cols + q]!, 1);
      acc.finish(s * cols + q, mean ? Math.max(1, members.length) : 1);
    }
  }
  return out.build();
}
