/**
 * Exact references for softmax, logSoftmax and logSumExp.
 *
 * With m the row maximum (first index a where it occurs), d_j = x_j - m and
 * S' = sum over j != a of exp(d_j) (so the row sum is 1 + S'):
 *
 *   softmax_j    = exp(d_j) / (1 + S')
 *   logSoftmax_j = d_j - log1p(S')
 *   logSumExp    = m + log1p(S')
 *
 * These forms never overflow and, apart from logSumExp with m < 0, never cancel. The float64
 * path computes d_j exactly as a pair (TwoSum), exp(d_j) from it, and S' with compensated
 * summation, so its error bound is about 40 float64 ulps whatever the row length or the spread
 * of the logits (about 3 elements in 10 million land too close to a float32 midpoint for it).
 * Those are recomputed from the row sums in double-double (dd.ts, error ~2^-90, ~0.2 ms for a
 * row of 1,024), and only what that cannot settle goes to BigNumber; row sums are computed once
 * per row and tier and shared by the row's elements.
 *
 * Non-finite inputs follow the definition in the extended reals: a NaN makes its row NaN; a
 * -Infinity logit has probability 0 and log-probability -Infinity; a +Infinity logit makes the
 * row sum infinite (its own softmax is Inf/Inf = NaN, the others 0; logSumExp is +Infinity);
 * a row of only -Infinity has sum 0 (softmax 0/0 = NaN, logSumExp -Infinity).
 */
import { ETA, evaluateBig, inflate, LIBM_ERR, type Arith, type Formula } from './arith.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { certifies32 } from '../core/float32.ts';
import { DD_EXP_ERR, ddAdd, ddDiv, ddExp, ddLog1p, ddLog1pError, settlesDD, type DD } from './dd.ts';
import { parseAxes, planReduction, readInput, type RefInput, type ReductionPlan, type Read } from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';
import type { Axis } from './reductions.ts';

const U = 2 ** -53;

type Which = 'softmax' | 'logSoftmax' | 'logSumExp';

/** Row-level quantities in some arithmetic. */
export interface RowSums<T> {
  sp: T;
  l: T;
  s1: T;
  e: (T | undefined)[];
}

/** m-shifted row sums in any arithmetic: S', log1p(S'), 1 + S' and the exp(d_j). */
export function rowSums<T>(A: Arith<T>, row: ArrayLike<number>, m: number, a: number): RowSums<T> {
  const mm = A.num(m);
  let sp = A.num(0);
  const e: (T | undefined)[] = new Array(row.length);
  for (let j = 0; j < row.length; j++) {
    if (j === a || row[j] === -Infinity) continue;
    const ej = A.exp(A.sub(A.num(row[j]!), mm));
    e[j] = ej;
    sp = A.add(sp, ej);
  }
  return { sp, l: A.log1p(sp), s1: A.add(A.num(1), sp), e };
}

/** Per-row state shared by the elements of one row. */
class Row {
  readonly d: Float64Array;
  readonly dl: Float64Array;
  readonly e: Float64Array;
  m = 0;
  a = 0;
  sp = 0;
  errSp = 0;
  l = 0;
  errL = 0;
  sumEd = 0;
  /** 'ok' | 'nan' | 'posinf' | 'allneginf' */
  state: 'ok' | 'nan' | 'posinf' | 'allneginf' = 'ok';
  private cache = new Map<unknown, RowSums<unknown>>();
  private ddRow: DDRow | undefined;

  constructor(readonly values: Float64Array) {
    const n = values.length;
    this.d = new Float64Array(n);
    this.dl = new Float64Array(n);
    this.e = new Float64Array(n);
  }

  big<T>(A: Arith<T>): RowSums<T> {
    let c = this.cache.get(A) as RowSums<T> | undefined;
    if (c === undefined) {
      c = rowSums(A, this.values, this.m, this.a);
      this.cache.set(A, c as RowSums<unknown>);
    }
    return c;
  }

  /** Row sums in double-double (computed on first need). */
  dd(): DDRow {
    this.ddRow ??= ddRowSums(this);
    return this.ddRow;
  }

  scan(): void {
    const x = this.values;
    const n = x.length;
    this.cache.clear();
    this.ddRow = undefined;
    let m = -Infinity;
    let a = -1;
    let nan = false;
    for (let j = 0; j < n; j++) {
      const v = x[j]!;
      if (Number.isNaN(v)) nan = true;
      else if (a < 0 || v > m) {
        m = v;
        a = j;
      }
    }
    this.m = m;
    this.a = a;
    if (nan) {
      this.state = 'nan';
      return;
    }
    if (m === Infinity) {
      this.state = 'posinf';
      return;
    }
    if (a < 0 || m === -Infinity) {
      this.state = 'allneginf';
      return;
    }
    this.state = 'ok';
    // float64 pass: exact differences, exp, compensated sum.
    let s = 0;
    let c = 0;
    let sumEd = 0;
    for (let j = 0; j < n; j++) {
      if (j === a) {
        this.d[j] = 0;
        this.dl[j] = 0;
        this.e[j] = 1;
        continue;
      }
      const xj = x[j]!;
      if (xj === -Infinity) {
        this.d[j] = -Infinity;
        this.dl[j] = 0;
        this.e[j] = 0;
        continue;
      }
      const hi = xj - m;
      const bb = hi - xj;
      const lo = xj - (hi - bb) + (-m - bb);
      this.d[j] = hi;
      this.dl[j] = lo;
      const ej = Math.exp(hi) * (1 + lo);
      this.e[j] = ej;
      const t = s + ej;
      c += Math.abs(s) >= ej ? s - t + ej : ej - t + s;
      s = t;
      sumEd += ej * Math.abs(hi);
    }
    const sp = s + c;
    this.sp = sp;
    this.errSp = (LIBM_ERR + 5 * U + 2 * n * n * U * U) * sp;
    this.l = Math.log1p(sp);
    this.errL = this.errSp / (1 + sp - this.errSp) + LIBM_ERR * this.l;
    this.sumEd = sumEd;
  }
}

/** Double-double row sums: S', 1 + S', log1p(S'), each exp(d_j), with absolute error bounds. */
interface DDRow {
  sp: DD;
  errSp: number;
  s1: DD;
  l: DD;
  errL: number;
  eHi: Float64Array;
  eLo: Float64Array;
}

const DD_OP = 2 ** -100; // relative error of one double-double addition or division (with margin)

function ddRowSums(row: Row): DDRow {
  const n = row.values.length;
  const eHi = new Float64Array(n);
  const eLo = new Float64Array(n);
  let sp: DD = { hi: 0, lo: 0 };
  let errSp = 0;
  for (let j = 0; j < n; j++) {
    if (j === row.a) {
      eHi[j] = 1;
      continue;
    }
    const d = row.d[j]!;
    if (d === -Infinity) continue;
    if (d < -650) {
      // e^d < 1e-282: not computed (its low part would be subnormal), bounded instead.
      errSp += Math.exp(d) * 1.01 + 1e-320;
      continue;
    }
    const e = ddExp({ hi: d, lo: row.dl[j]! });
    eHi[j] = e.hi;
    eLo[j] = e.lo;
    sp = ddAdd(sp, e);
    errSp += DD_EXP_ERR * e.hi + DD_OP * Math.abs(sp.hi);
  }
  const s1 = ddAdd({ hi: 1, lo: 0 }, sp);
  const l = ddLog1p(sp);
  const errL = ddLog1pError(sp.hi, l.hi) + errSp / (1 + sp.hi - errSp) + DD_OP * Math.abs(l.hi);
  return { sp, errSp: errSp + DD_OP * Math.abs(sp.hi), s1, l, errL, eHi, eLo };
}

/** The element in double-double, if that settles its float32 rounding. */
function ddElement(which: Which, row: Row, j: number): number | undefined {
  const r = row.dd();
  let v: DD;
  let err: number;
  if (which === 'softmax') {
    const e: DD = { hi: r.eHi[j]!, lo: r.eLo[j]! };
    v = ddDiv(e, r.s1);
    const relE = j === row.a ? 0 : DD_EXP_ERR;
    err = Math.abs(v.hi) * (relE + r.errSp / r.s1.hi + 2 * DD_OP) * 1.01;
  } else if (which === 'logSoftmax') {
    const d: DD = { hi: row.d[j]!, lo: row.dl[j]! };
    v = ddAdd(d, { hi: -r.l.hi, lo: -r.l.lo });
    err = r.errL + DD_OP * (Math.abs(v.hi) + Math.abs(d.hi));
  } else {
    v = ddAdd({ hi: row.m, lo: 0 }, r.l);
    err = r.errL + DD_OP * (Math.abs(v.hi) + Math.abs(row.m));
  }
  const s = settlesDD(v, err);
  return s.ok ? s.value : undefined;
}

function elementFormula(which: Which, row: Row, j: number): Formula {
  return <T>(A: Arith<T>): T => {
    const r = row.big(A);
    if (which === 'logSumExp') return A.add(A.num(row.m), r.l);
    if (which === 'softmax') return A.div(j === row.a ? A.num(1) : r.e[j]!, r.s1);
    if (j === row.a) return A.neg(r.l);
    return A.sub(A.sub(A.num(row.values[j]!), A.num(row.m)), r.l);
  };
}

function definitionalRow(which: Which, row: Row, j: number): number {
  const x = row.values[j]!;
  switch (row.state) {
    case 'nan':
      return NaN;
    case 'posinf':
      if (which === 'logSumExp') return Infinity;
      if (which === 'softmax') return x === Infinity ? NaN : 0;
      return x === Infinity ? NaN : -Infinity;
    case 'allneginf':
      if (which === 'logSumExp') return -Infinity;
      return NaN;
    default:
      // a -Infinity logit in an ordinary row
      return which === 'softmax' ? 0 : -Infinity;
  }
}

function settleElement(which: Which, row: Row, j: number, o: ResolvedOptions, out: ExactBuilder, index: number): void {
  const mag = out.magnitude!;
  if (row.state !== 'ok' || (which !== 'logSumExp' && row.values[j] === -Infinity)) {
    const v = definitionalRow(which, row, j);
    out.definitional(index, v);
    mag[index] = Math.abs(v);
    return;
  }
  const s1 = 1 + row.sp;
  const spread = row.sumEd / s1;
  let v: number;
  let err: number;
  if (which === 'softmax') {
    const ej = row.e[j]!;
    v = ej / s1;
    const errS1 = row.errSp + U * s1;
    const epsJ = j === row.a ? 0 : LIBM_ERR + 3 * U;
    err = v * (epsJ + errS1 / s1 + U) * (1 + 1e-9);
    mag[index] = v * (Math.abs(row.d[j]!) + 4 + spread) + (4 + row.values.length / s1) * ETA;
  } else if (which === 'logSoftmax') {
    if (j === row.a) {
      v = -row.l;
      err = row.errL;
    } else {
      const t = row.d[j]! - row.l;
      v = t + row.dl[j]!;
      err = row.errL + U * Math.abs(t) + U * Math.abs(v);
    }
    mag[index] = Math.abs(row.d[j]!) + row.l + 1 + spread + Math.abs(v) + (row.values.length + 3) * ETA;
  } else {
    v = row.m + row.l;
    err = row.errL + U * Math.abs(v);
    mag[index] = Math.abs(v) + row.l + 1 + spread + (row.values.length + 3) * ETA;
  }
  if (o.mode === 'tiered' && certifies32(v, inflate(err))) {
    out.finite(index, v);
    return;
  }
  if (o.mode === 'tiered' && which !== 'softmax') {
    const tiny = tinyCorrection(which, row, j);
    if (tiny !== undefined) {
      out.finite(index, tiny);
      return;
    }
  }
  out.slow++;
  if (o.mode === 'tiered') {
    // Middle tier: the row in double-double (~0.2 ms per 1,024 elements against ~1 s in BigNumber).
    const dv = ddElement(which, row, j);
    if (dv !== undefined) {
      out.finite(index, dv);
      return;
    }
  }
  const r = evaluateBig(elementFormula(which, row, j), o.precision);
  out.set(index, r.value, r.kind);
}

/**
 * logSoftmax / logSumExp when every other term underflowed float64's exp (all d < -745) but
 * exists: l = log1p(sum e^d) is then strictly between 0 and 1e-300, so the exact answer is a hair
 * below d (logSoftmax) or above m (logSumExp). When d is exact in float64 (no low part), the
 * float64 neighbour on that side rounds to float32 exactly as the exact answer does: no float32
 * value or rounding midpoint lies strictly between them. This settles, without BigNumber, the
 * rows of huge same-magnitude logits whose differences land on float32 ties (BigNumber's exp of
 * -4e16 takes seconds).
 */
function tinyCorrection(which: Which, row: Row, j: number): number | undefined {
  if (row.sp !== 0) return undefined;
  const underflowed = row.values.some((v, k) => k !== row.a && v !== -Infinity);
  if (!underflowed) return undefined;
  const hair = (v: number, up: boolean): number => {
    if (v === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
    const step = Math.abs(v) * 2 ** -52;
    return up ? v + step : v - step;
  };
  if (which === 'logSumExp') return hair(row.m, true);
  if (j === row.a) return hair(0, false);
  if (row.dl[j] !== 0 || !Number.isFinite(row.d[j]!)) return undefined;
  return hair(row.d[j]!, false);
}

function lastAxis(fn: string, arg: string, t: Read, axis: number): ReductionPlan {
  const rank = t.shape.length;
  if (rank === 0) throw new RangeError(`${fn}: argument '${arg}' must have rank >= 1; got a scalar`);
  const ax = parseAxes(fn, axis, rank)[0]!;
  if (ax !== rank - 1) {
    throw new RangeError(`${fn}: only the last axis is supported (as in tfjs); got axis ${axis} of a rank-${rank} tensor`);
  }
  return planReduction(t.shape, [ax]);
}

function rowwise(which: Which, fn: string, arg: string, x: RefInput, axis: number, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(fn, arg, x, o);
  return overGroups(which, t, lastAxis(fn, arg, t, axis), o);
}

function overGroups(which: Which, t: Read, plan: ReductionPlan, o: ResolvedOptions): ExactTensor {
  const n = plan.groupSize;
  const out = new ExactBuilder(t.shape, t.size, true);
  const row = new Row(new Float64Array(n));
  for (let g = 0; g < plan.groups; g++) {
    for (let j = 0; j < n; j++) row.values[j] = t.data[plan.order[g * n + j]!]!;
    row.scan();
    for (let j = 0; j < n; j++) settleElement(which, row, j, o, out, plan.order[g * n + j]!);
  }
  return out.build();
}

/** Softmax over any axes (groups of elements reduced together), e.g. the derivative of logSumExp. */
export function softmaxOverAxes(fn: string, x: RefInput, axis: Axis, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput(fn, 'x', x, o);
  return overGroups('softmax', t, planReduction(t.shape, parseAxes(fn, axis, t.shape.length)), o);
}

/** tf.softmax(logits, dim = -1); only the last axis, like tfjs. */
export function softmax(logits: RefInput, dim = -1, options?: ReferenceOptions): ExactTensor {
  return rowwise('softmax', 'softmax', 'logits', logits, dim, options);
}

/** tf.logSoftmax(logits, axis = -1); only the last axis, like tfjs. */
export function logSoftmax(logits: RefInput, axis = -1, options?: ReferenceOptions): ExactTensor {
  return rowwise('logSoftmax', 'logSoftmax', 'logits', logits, axis, options);
}

/** tf.logSumExp(x, axis = null, keepDims = false): log(sum(exp(x))) over the axes. */
export function logSumExp(x: RefInput, axis: Axis = null, keepDims = false, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const t = readInput('logSumExp', 'x', x, o);
  const plan = planReduction(t.shape, parseAxes('logSumExp', axis, t.shape.length));
  const n = plan.groupSize;
  const out = new ExactBuilder(keepDims ? plan.keepShape : plan.outShape, plan.groups, true);
  const row = new Row(new Float64Array(n));
  for (let g = 0; g < plan.groups; g++) {
    for (let j = 0; j < n; j++) row.values[j] = t.data[plan.order[g * n + j]!]!;
    row.scan();
    settleElement('logSumExp', row, 0, o, out, g);
  }
  return out.build();
}

/**
 * The row maximum m and its first index a, for composite references (softmaxCrossEntropy) that
 * evaluate {@link rowSums} in generic arithmetic.
 */
export function rowMaxEntry(row: ArrayLike<number>): { m: number; a: number } {
  let m = -Infinity;
  let a = -1;
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    if (a < 0 || v > m) {
      m = v;
      a = j;
    }
  }
  return { m, a };
}
