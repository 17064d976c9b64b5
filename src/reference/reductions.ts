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
import { ExactBuilder, KIND_FINITE, type ExactTensor } from './exact.ts';
import { certifies32, U32_ROUNDOFF } from '../core/float32.ts';
import { ETA, inflate } from './arith.ts';
import { formatShape, parseAxes, planReduction, readInput, sizeOfShape, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions } from './options.ts';
import { commonScale, ratioToDouble, scaled, sqrtToDouble } from './rational.ts';

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
 * over one or two axes is the same sqrt of the sum of squares), 1, Infinity and -Infinity.
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
  if (!euclid && axis !== null && axes.length > 1) {
    throw new RangeError(`norm: matrix norms of ord ${String(ord)} (over two axes) have no reference; use 'euclidean'`);
  }
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
