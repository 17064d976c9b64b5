/**
 * Exact references for tfjs's binary elementwise ops (with broadcasting) and their derivatives:
 * add, sub, mul, div, divNoNan, floorDiv, mod, atan2, maximum, minimum, squaredDifference, the
 * comparisons, the logical ops, where (select) and clipByValue. pow is in elementwise.ts.
 *
 * Values are exact: a sum or difference of two float32 is its float64 rounding nudged off a
 * float32 midpoint by the TwoSum error, a product of two float32 is exact in float64, a quotient
 * is nudged by the sign of its exact remainder, floorDiv and mod are corrected where the float64
 * quotient rounds onto an integer. atan2 is fdlibm's Math.atan2 with an error bound (16 ulp64),
 * and Decimal.atan2 where that bound leaves the float32 rounding open.
 *
 * Special values follow IEEE 754 and C99 Annex F: NaN propagates through arithmetic, maximum and
 * minimum (IEEE 754-2019 maximum/minimum, as NumPy's and TensorFlow's), and clipByValue; atan2
 * has C99's cases (atan2(±0, -0) = ±pi, atan2(±Infinity, -Infinity) = ±3pi/4, ...); comparisons
 * with NaN are false except notEqual. divNoNan(x, 0) = 0 for every x, NaN included (TensorFlow's
 * definition). floorDiv and mod are floor division and its remainder (the sign of the divisor),
 * as tfjs documents (floor(a/b)·b + mod(a, b) = a); at an infinite divisor they take the limit,
 * as Python and NumPy do: mod(-1, Infinity) = Infinity, floorDiv(-1, Infinity) = -1.
 *
 * Derivatives are of the sum of the outputs, per operand; an operand broadcast along some axes
 * gets the sum of the elementwise derivatives over them, marked as an accumulation (absSum,
 * terms) for the `acc` tolerance. At ties of maximum/minimum, at the bounds of clipByValue, the
 * derivative is the interval [0, 1] (TensorFlow gives the whole gradient to `a` at a tie,
 * PyTorch splits it); at jumps (floorDiv, mod where a/b is an integer) and at undefined points
 * (NaN operands, division by zero) it does not exist (kind nan, not checked).
 */
import { ETA } from './arith.ts';
import { bigOf, type Big, type BigClass } from './bignumber.ts';
import { certifies32, isFloat32Midpoint, nextDown64, nextUp64 } from '../core/float32.ts';
import { twoProd, twoSum } from './dd.ts';
import type { Derivative, DerivativeTensor } from './derivatives.ts';
import { ExactBuilder, kindOfValue, type ExactTensor } from './exact.ts';
import { broadcastIndex, broadcastShape, readInput, type Read, type RefInput } from './input.ts';
import { bigTier, broadcastPair } from './math.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';

const U = 2 ** -53;
const LM = 16 * U;

/** The float64 value s + t (|t| <= ulp(s)/2) as the ExactTensor convention stores it: s, nudged off a float32 midpoint by t's sign. */
function nudged(s: number, t: number): number {
  if (t === 0 || !isFloat32Midpoint(s)) return s;
  return t > 0 ? nextUp64(s) : nextDown64(s);
}

/** The exact sum of two float32 (or any two doubles), rounded as the convention wants. */
export function exactSum(a: number, b: number): number {
  const s = a + b;
  if (!Number.isFinite(s)) return s;
  const r = twoSum(a, b);
  return nudged(r.hi, r.lo);
}

/** The sign of a - q·b, exactly (float32 a, b; q within a few ulp64 of a/b). */
function remainderSign(a: number, q: number, b: number): number {
  const p = twoProd(q, b); // q·b = p.hi + p.lo exactly
  // p.hi is within a factor 2 of a, so a - p.hi is exact (Sterbenz); the last subtraction keeps the sign
  return Math.sign(a - p.hi - p.lo);
}

/** The exact quotient a/b of float32 a, b (b nonzero and finite, a finite), rounded as the convention wants. */
export function exactQuotient(a: number, b: number): number {
  const q = a / b;
  if (!isFloat32Midpoint(q)) return q;
  const s = remainderSign(a, q, b) * Math.sign(b); // sign of a/b - q
  return s > 0 ? nextUp64(q) : s < 0 ? nextDown64(q) : q;
}

/** floor(a/b) of float32 a, b (finite, b nonzero): floor of the float64 quotient, corrected where it rounded onto an integer. */
function floorQuotient(a: number, b: number): number {
  const q = a / b;
  const f = Math.floor(q);
  if (f !== q) return f;
  // q is an integer: the exact quotient may be just below it
  const s = remainderSign(a, q, b) * Math.sign(b);
  return s < 0 ? f - 1 : f;
}

/** One binary op: an answer fixed by definition, else the exact value (float64, nudged) or a tiered evaluation. */
export interface BinaryOp {
  readonly name: string;
  readonly names: readonly [string, string];
  /** The answer where it is fixed by definition (kind from the value), else undefined. */
  special(a: number, b: number): number | undefined;
  /** The exact answer for ordinary inputs, rounded as ExactTensor wants (err 0), or a float64 value with error bound `e.err` when `big` is given. */
  value(a: number, b: number, e: { err: number }): number;
  big?(D: BigClass, a: Big, b: Big): Big;
}

function applyBinaryOp(op: BinaryOp, a: RefInput, b: RefInput, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const p = broadcastPair(op.name, op.names, a, b, o);
  const out = new ExactBuilder(p.shape, p.size);
  const e = { err: 0 };
  for (let i = 0; i < p.size; i++) binaryElement(op, p.a.data[p.ia[i]!]!, p.b.data[p.ib[i]!]!, o, out, i, e);
  return out.build();
}

function binaryElement(op: BinaryOp, x: number, y: number, o: ResolvedOptions, out: ExactBuilder, i: number, e: { err: number }): void {
  const s = op.special(x, y);
  if (s !== undefined) {
    out.definitional(i, s);
    return;
  }
  if (op.big === undefined || o.mode === 'tiered') {
    e.err = 0;
    const v = op.value(x, y, e);
    if (op.big === undefined || certifies32(v, e.err)) {
      out.finite(i, v);
      return;
    }
  }
  out.slow++;
  out.finite(
    i,
    bigTier((D) => op.big!(D, bigOf(D, x), bigOf(D, y)), o.precision),
  );
}

const AB = ['a', 'b'] as const;
const anyNaN = (a: number, b: number): boolean => Number.isNaN(a) || Number.isNaN(b);
/** IEEE arithmetic on the special inputs (NaN, ±Infinity) — what the exact extended-real answer is there. */
const ieee =
  (f: (a: number, b: number) => number) =>
  (a: number, b: number): number | undefined =>
    Number.isFinite(a) && Number.isFinite(b) ? undefined : f(a, b);

const addOp: BinaryOp = { name: 'add', names: AB, special: ieee((a, b) => a + b), value: exactSum };
const subOp: BinaryOp = { name: 'sub', names: AB, special: ieee((a, b) => a - b), value: (a, b) => exactSum(a, -b) };
const mulOp: BinaryOp = { name: 'mul', names: AB, special: ieee((a, b) => a * b), value: (a, b) => a * b };
const divOp: BinaryOp = {
  name: 'div',
  names: AB,
  special: (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? undefined : a / b),
  value: exactQuotient,
};
const divNoNanOp: BinaryOp = {
  name: 'divNoNan',
  names: AB,
  special: (a, b) => (b === 0 ? 0 : Number.isFinite(a) && Number.isFinite(b) ? undefined : a / b),
  value: exactQuotient,
};
const floorDivOp: BinaryOp = {
  name: 'floorDiv',
  names: AB,
  special(a, b) {
    if (anyNaN(a, b) || b === 0 || !Number.isFinite(a)) return Math.floor(a / b); // x/0 = ±Infinity or NaN; Infinity/y
    if (!Number.isFinite(b)) return a === 0 || Math.sign(a) === Math.sign(b) ? 0 : -1; // the limit as |b| grows
    return undefined;
  },
  value: floorQuotient,
};
const modOp: BinaryOp = {
  name: 'mod',
  names: AB,
  special(a, b) {
    if (anyNaN(a, b) || b === 0 || !Number.isFinite(a)) return NaN;
    if (!Number.isFinite(b)) return a === 0 || Math.sign(a) === Math.sign(b) ? a : b; // the limit: a, or a + b
    return undefined;
  },
  value(a, b) {
    const r = a % b; // exact
    if (r === 0 || Math.sign(r) === Math.sign(b)) return r;
    return exactSum(r, b);
  },
};
const atan2Op: BinaryOp = {
  name: 'atan2',
  names: AB,
  // C99 F.9.1.4 (and ECMAScript's Math.atan2): zeros and infinities
  special: (a, b) => (anyNaN(a, b) || a === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? Math.atan2(a, b) : undefined),
  value(a, b, e) {
    const v = Math.atan2(a, b);
    e.err = LM * Math.abs(v) + 2 ** -1000;
    return v;
  },
  big: (D, a, b) => (D as unknown as { atan2(y: Big, x: Big): Big }).atan2(a, b),
};
/** IEEE 754-2019 maximum/minimum: NaN propagates. */
const maximumOp: BinaryOp = { name: 'maximum', names: AB, special: (a, b) => (anyNaN(a, b) ? NaN : undefined), value: (a, b) => Math.max(a, b) };
const minimumOp: BinaryOp = { name: 'minimum', names: AB, special: (a, b) => (anyNaN(a, b) ? NaN : undefined), value: (a, b) => Math.min(a, b) };
const squaredDifferenceOp: BinaryOp = {
  name: 'squaredDifference',
  names: AB,
  special: ieee((a, b) => (a - b) * (a - b)),
  value(a, b, e) {
    const d = twoSum(a, -b);
    const v = d.hi * d.hi;
    e.err = 2 * Math.abs(d.hi * d.lo) + d.lo * d.lo + U * v;
    return v;
  },
  big: (_D, a, b) => a.minus(b).pow(2),
};

const ref =
  (op: BinaryOp) =>
  (a: RefInput, b: RefInput, options?: ReferenceOptions): ExactTensor =>
    applyBinaryOp(op, a, b, options);

/** a + b with broadcasting. */
export const add = ref(addOp);
/** a - b. */
export const sub = ref(subOp);
/** a · b. */
export const mul = ref(mulOp);
/** a / b (tf.div, kernel RealDiv); x/±0 = ±Infinity, 0/0 = NaN. */
export const div = ref(divOp);
/** a / b, and 0 where b = 0 (whatever a is). */
export const divNoNan = ref(divNoNanOp);
/** floor(a / b). */
export const floorDiv = ref(floorDivOp);
/** a - floor(a / b)·b, the sign of b; mod(x, 0) = NaN. */
export const mod = ref(modOp);
/** atan2(a, b), the angle of (b, a), with C99's special cases. */
export const atan2 = ref(atan2Op);
/** max(a, b); NaN propagates. */
export const maximum = ref(maximumOp);
/** min(a, b); NaN propagates. */
export const minimum = ref(minimumOp);
/** (a - b)². */
export const squaredDifference = ref(squaredDifferenceOp);

// ---------------------------------------------------------------------------------------------
// Comparisons, logical ops, where, clipByValue

/** Read a bool tensor value (0/1 data) or any numeric input. */
function readAny(fn: string, arg: string, x: RefInput, o: ResolvedOptions): Read {
  if (typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && (x as { dtype?: unknown }).dtype === 'bool') {
    const t = x as { shape: readonly number[]; data: ArrayLike<number> };
    return readInput(fn, arg, { shape: t.shape, data: Float32Array.from(t.data) }, o);
  }
  return readInput(fn, arg, x, o);
}

function mapPair(
  fn: string,
  names: readonly [string, string],
  a: RefInput,
  b: RefInput,
  f: (x: number, y: number) => number,
  options?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(options);
  const ra = readAny(fn, names[0], a, o);
  const rb = readAny(fn, names[1], b, o);
  const shape = broadcastShape(fn, names[0], ra.shape, names[1], rb.shape);
  const ia = broadcastIndex(ra.shape, shape);
  const ib = broadcastIndex(rb.shape, shape);
  const out = new ExactBuilder(shape, ia.length);
  for (let i = 0; i < ia.length; i++) out.definitional(i, f(ra.data[ia[i]!]!, rb.data[ib[i]!]!));
  return out.build();
}

const compare =
  (name: string, f: (x: number, y: number) => boolean) =>
  (a: RefInput, b: RefInput, options?: ReferenceOptions): ExactTensor =>
    mapPair(name, AB, a, b, (x, y) => (f(x, y) ? 1 : 0), options);

/** 1 where a = b (IEEE: NaN equals nothing, -0 = +0), else 0. */
export const equal = compare('equal', (x, y) => x === y);
/** 1 where a != b (NaN differs from everything, itself included). */
export const notEqual = compare('notEqual', (x, y) => x !== y);
/** 1 where a < b (false with NaN). */
export const less = compare('less', (x, y) => x < y);
/** 1 where a <= b. */
export const lessEqual = compare('lessEqual', (x, y) => x <= y);
/** 1 where a > b. */
export const greater = compare('greater', (x, y) => x > y);
/** 1 where a >= b. */
export const greaterEqual = compare('greaterEqual', (x, y) => x >= y);
/** Logical and of bool tensors (0/1). */
export const logicalAnd = compare('logicalAnd', (x, y) => x !== 0 && y !== 0);
/** Logical or. */
export const logicalOr = compare('logicalOr', (x, y) => x !== 0 || y !== 0);
/** Logical exclusive or. */
export const logicalXor = compare('logicalXor', (x, y) => (x !== 0) !== (y !== 0));
/** Logical not of a bool tensor. */
export function logicalNot(a: RefInput, options?: ReferenceOptions): ExactTensor {
  return mapPair('logicalNot', ['a', 'a'], a, 0, (x) => (x !== 0 ? 0 : 1), options);
}

/** The three operands of where, broadcast together. */
function readWhere(fn: string, condition: RefInput, a: RefInput, b: RefInput, o: ResolvedOptions) {
  const c = readAny(fn, 'condition', condition, o);
  const ra = readInput(fn, 'a', a, o);
  const rb = readInput(fn, 'b', b, o);
  const shape = broadcastShape(fn, 'condition', c.shape, 'a & b', broadcastShape(fn, 'a', ra.shape, 'b', rb.shape));
  return { c, a: ra, b: rb, shape, ic: broadcastIndex(c.shape, shape), ia: broadcastIndex(ra.shape, shape), ib: broadcastIndex(rb.shape, shape) };
}

/** where(condition, a, b): a where the condition holds, else b, with broadcasting; the untaken branch never matters. */
export function where(condition: RefInput, a: RefInput, b: RefInput, options?: ReferenceOptions): ExactTensor {
  const w = readWhere('where', condition, a, b, resolveOptions(options));
  const out = new ExactBuilder(w.shape, w.ic.length);
  for (let i = 0; i < w.ic.length; i++) {
    out.definitional(i, w.c.data[w.ic[i]!]! !== 0 ? w.a.data[w.ia[i]!]! : w.b.data[w.ib[i]!]!);
  }
  return out.build();
}

function checkBounds(fn: string, lo: number, hi: number): void {
  if (!(lo <= hi)) throw new RangeError(`${fn}: needs min <= max, got min ${lo} and max ${hi}`);
}

/** clipByValue(x, lo, hi) = min(max(x, lo), hi); NaN stays NaN (also when lo = hi). */
export function clipByValue(x: RefInput, lo: number, hi: number, options?: ReferenceOptions): ExactTensor {
  checkBounds('clipByValue', lo, hi);
  const o = resolveOptions(options);
  const t = readInput('clipByValue', 'x', x, o);
  const l = Math.fround(lo);
  const h = Math.fround(hi);
  const out = new ExactBuilder(t.shape, t.size);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    out.definitional(i, Number.isNaN(v) ? NaN : v < l ? l : v > h ? h : v);
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// Derivatives

/** The derivative of one output element with respect to one operand: a value, and an interval at a kink (NaN ends otherwise). */
interface Partial {
  v: number;
  lo: number;
  hi: number;
  /** Magnitude of tfjs's backward formula for this element (for ctol). */
  m: number;
}

type PartialsOf = (x: number, y: number, da: Partial, db: Partial) => void;

function set(p: Partial, v: number, m = Math.abs(v) + ETA): void {
  p.v = v;
  p.lo = NaN;
  p.hi = NaN;
  p.m = m;
}
function interval(p: Partial, v: number, lo: number, hi: number): void {
  p.v = v;
  p.lo = lo;
  p.hi = hi;
  p.m = Math.abs(v) + ETA;
}

/** Sum elementwise partials back to an operand's shape (marking broadcast sums as accumulations). */
class Reducer {
  readonly values: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly magnitude: Float64Array;
  readonly absSum: Float64Array;
  readonly terms: Float64Array;
  readonly undefinedAt: Uint8Array;
  kinks = false;
  constructor(
    readonly shape: readonly number[],
    readonly size: number,
  ) {
    this.values = new Float64Array(size);
    this.lower = new Float64Array(size);
    this.upper = new Float64Array(size);
    this.magnitude = new Float64Array(size);
    this.absSum = new Float64Array(size);
    this.terms = new Float64Array(size);
    this.undefinedAt = new Uint8Array(size);
  }
  add(j: number, p: Partial): void {
    this.terms[j]!++;
    if (Number.isNaN(p.v)) {
      this.undefinedAt[j] = 1;
      return;
    }
    this.values[j] = this.values[j]! + p.v;
    const kink = !Number.isNaN(p.lo);
    if (kink) this.kinks = true;
    this.lower[j] = this.lower[j]! + (kink ? p.lo : p.v);
    this.upper[j] = this.upper[j]! + (kink ? p.hi : p.v);
    this.magnitude[j] = this.magnitude[j]! + p.m;
    this.absSum[j] = this.absSum[j]! + Math.max(Math.abs(p.v), kink ? Math.max(Math.abs(p.lo), Math.abs(p.hi)) : 0);
  }
  build(): DerivativeTensor {
    const out = new ExactBuilder(this.shape, this.size, true);
    for (let j = 0; j < this.size; j++) {
      const v = this.undefinedAt[j] ? NaN : this.values[j]!;
      if (Number.isFinite(v)) out.finite(j, v);
      else out.set(j, v, kindOfValue(v));
      out.magnitude![j] = this.magnitude[j]!;
      if (this.terms[j]! > 1) out.accumulation(j, this.absSum[j]!, this.terms[j]!);
    }
    const built = out.build();
    if (!this.kinks) return built;
    const lower = Float64Array.from(this.lower, (l, j) => (this.lower[j] === this.upper[j] ? NaN : l));
    const upper = Float64Array.from(this.upper, (u, j) => (this.lower[j] === this.upper[j] ? NaN : u));
    return { ...built, lower, upper };
  }
}

function binaryDerivative(fn: string, a: RefInput, b: RefInput, partials: PartialsOf, options?: ReferenceOptions): Derivative {
  const o = resolveOptions(options);
  const p = broadcastPair(fn, AB, a, b, o);
  const ra = new Reducer(p.a.shape, p.a.size);
  const rb = new Reducer(p.b.shape, p.b.size);
  const da: Partial = { v: 0, lo: NaN, hi: NaN, m: 0 };
  const db: Partial = { v: 0, lo: NaN, hi: NaN, m: 0 };
  for (let i = 0; i < p.size; i++) {
    const x = p.a.data[p.ia[i]!]!;
    const y = p.b.data[p.ib[i]!]!;
    if (anyNaN(x, y)) {
      set(da, NaN);
      set(db, NaN);
    } else partials(x, y, da, db);
    ra.add(p.ia[i]!, da);
    rb.add(p.ib[i]!, db);
  }
  return { a: ra.build(), b: rb.build() };
}

const PARTIALS = {
  add: (_x, _y, da, db) => {
    set(da, 1);
    set(db, 1);
  },
  sub: (_x, _y, da, db) => {
    set(da, 1);
    set(db, -1);
  },
  mul: (x, y, da, db) => {
    // d/da = b, d/db = a: exact (Infinity·0 is undefined)
    set(da, y, Math.abs(y) * 2 + ETA);
    set(db, x, Math.abs(x) * 2 + ETA);
  },
  div: (x, y, da, db) => {
    if (y === 0) {
      set(da, NaN);
      set(db, NaN);
      return;
    }
    const d = 1 / y;
    set(da, d, 2 * Math.abs(d) + ETA); // dy / b
    const q = -x / (y * y); // y*y is exact, so two roundings
    set(db, q, 4 * Math.abs(q) + ETA); // -dy·a / b²
  },
  divNoNan: (x, y, da, db) => {
    if (y === 0) {
      // divNoNan(a, 0) = 0 for every a: d/da = 0; d/db exists only at a = 0 (divNoNan(0, b) = 0)
      set(da, 0);
      set(db, x === 0 ? 0 : NaN);
      return;
    }
    PARTIALS.div(x, y, da, db);
  },
  floorDiv: (x, y, da, db) => {
    // piecewise constant: 0, except where a/b is an integer (a jump) or b is 0
    const jump = y === 0 || !Number.isFinite(x) || x % y === 0;
    set(da, jump ? NaN : 0);
    set(db, jump ? NaN : 0);
  },
  mod: (x, y, da, db) => {
    // a - floor(a/b)·b: d/da = 1, d/db = -floor(a/b), except at the jumps
    if (y === 0 || !Number.isFinite(x) || !Number.isFinite(y)) {
      set(da, NaN);
      set(db, NaN);
      return;
    }
    const f = floorQuotient(x, y);
    const jump = x % y === 0;
    set(da, jump ? NaN : 1);
    set(db, jump ? NaN : -f, 2 * Math.abs(f) + ETA);
  },
  atan2: (x, y, da, db) => {
    // d/da = b / (a² + b²), d/db = -a / (a² + b²); undefined at the origin and at two infinities
    if ((x === 0 && y === 0) || (!Number.isFinite(x) && !Number.isFinite(y))) {
      set(da, NaN);
      set(db, NaN);
      return;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      set(da, 0);
      set(db, 0);
      return;
    }
    const s = x * x + y * y; // two exact squares, one rounding
    const dA = y / s;
    const dB = -x / s;
    // tfjs: dy·b / (a² + b²) in float32, whose squares may be subnormal (ETA per operation)
    const k = 4 + (3 * ETA) / s;
    set(da, dA, k * Math.abs(dA) + ETA);
    set(db, dB, k * Math.abs(dB) + ETA);
  },
  maximum: (x, y, da, db) => {
    if (x > y) {
      set(da, 1);
      set(db, 0);
    } else if (x < y) {
      set(da, 0);
      set(db, 1);
    } else {
      // a tie: any split of the gradient between a and b is a subgradient (TensorFlow gives it to a)
      interval(da, 1, 0, 1);
      interval(db, 0, 0, 1);
    }
  },
  minimum: (x, y, da, db) => {
    if (x < y) {
      set(da, 1);
      set(db, 0);
    } else if (x > y) {
      set(da, 0);
      set(db, 1);
    } else {
      interval(da, 1, 0, 1);
      interval(db, 0, 0, 1);
    }
  },
  squaredDifference: (x, y, da, db) => {
    // 2(a - b) exactly (TwoSum), nudged like a value
    const d = twoSum(x, -y);
    const v = Number.isFinite(d.hi) ? 2 * nudged(d.hi, d.lo) : 2 * (x - y);
    set(da, v, 3 * Math.abs(v) + ETA);
    set(db, -v, 3 * Math.abs(v) + ETA);
  },
} satisfies Record<string, PartialsOf>;

/** Exact derivatives of the binary ops (keys `a` and `b`), for gradientMatches. */
export const binaryDerivatives = Object.fromEntries(
  Object.entries(PARTIALS).map(([name, partials]) => [
    name,
    (a: RefInput, b: RefInput, o?: ReferenceOptions): Derivative => binaryDerivative(`${name}'`, a, b, partials, o),
  ]),
) as Record<keyof typeof PARTIALS, (a: RefInput, b: RefInput, o?: ReferenceOptions) => Derivative>;

/** d/da and d/db of sum(where(condition, a, b)): the condition (resp. its negation), summed over broadcast axes. */
export function whereDerivative(condition: RefInput, a: RefInput, b: RefInput, options?: ReferenceOptions): Derivative {
  const w = readWhere("where'", condition, a, b, resolveOptions(options));
  const ra = new Reducer(w.a.shape, w.a.size);
  const rb = new Reducer(w.b.shape, w.b.size);
  const da: Partial = { v: 0, lo: NaN, hi: NaN, m: 0 };
  const db: Partial = { v: 0, lo: NaN, hi: NaN, m: 0 };
  for (let i = 0; i < w.ic.length; i++) {
    const c = w.c.data[w.ic[i]!]! !== 0;
    set(da, c ? 1 : 0);
    set(db, c ? 0 : 1);
    ra.add(w.ia[i]!, da);
    rb.add(w.ib[i]!, db);
  }
  return { a: ra.build(), b: rb.build() };
}

/** d/dx of sum(clipByValue(x, lo, hi)): 1 inside, 0 outside, [0, 1] at the bounds; undefined at NaN. */
export function clipByValueDerivative(x: RefInput, lo: number, hi: number, options?: ReferenceOptions): Derivative {
  checkBounds("clipByValue'", lo, hi);
  const o = resolveOptions(options);
  const t = readInput("clipByValue'", 'x', x, o);
  const l = Math.fround(lo);
  const h = Math.fround(hi);
  const r = new Reducer(t.shape, t.size);
  const p: Partial = { v: 0, lo: NaN, hi: NaN, m: 0 };
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    if (Number.isNaN(v)) set(p, NaN);
    else if (l === h)
      set(p, 0); // a constant function
    else if (v === l || v === h) interval(p, 1, 0, 1);
    else set(p, v > l && v < h ? 1 : 0);
    r.add(i, p);
  }
  return { x: r.build() };
}
