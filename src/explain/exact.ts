/**
 * The exact interpreter: run a recorded kernel trace (./provenance.ts, `trace: true`) again in
 * exact arithmetic, kernel by kernel, feeding each kernel the exact outputs of the kernels before it
 * instead of their float32 results. A tensor no kernel produced (an input, a constant) enters
 * exactly as its float32 elements, and so do the outputs of kernels without tensor inputs
 * (LinSpace, Range, a random tensor). The float32 outputs of the trace are then compared with these
 * exact ones (./explain.ts).
 *
 * "Exact" is double-double (src/reference/dd.ts, about 106 bits) for arithmetic, sums, products,
 * matMul, exp, log, log1p, sqrt, rsqrt, reciprocal, sigmoid, softplus and tanh (|x| >= 0.5), so
 * 1 - sigmoid(40) and E[x^2] - E[x]^2 at 2e19 come out right; other kernels (softmax, the
 * trigonometric functions, ...) are float64, and their elements are marked `coarse`. Where that is
 * not enough an element is marked unsettled instead of trusted: a float64 overflow of a finite
 * value (exp(1000)), and a sum or difference of computed values that cancels more than 2^-30 of
 * its terms (2^-80 for double-double ones: 1 - sigmoid(60)). Anything computed from an unsettled
 * element is unsettled. BigNumber is not used.
 *
 * A kernel it does not know leaves its outputs unknown (and everything computed from them): the
 * explanation then names it and falls back to provenance.
 */
import { ddAdd, ddDiv, ddExp, ddLog1p, ddMul, ddSub, twoProd, type DD } from '../reference/dd.ts';
import { forEachCoord } from '../reference/shapes.ts';
import type { Trace, TraceCall, TraceTensor } from './provenance.ts';

/** The exact value of one tensor of the trace. */
export interface ExactValue {
  /** Each element's exact value rounded to float64 (the high part of a double-double). */
  readonly values: Float64Array;
  /** The low parts of the double-doubles (value = values[i] + lo[i]); absent when all are 0. */
  readonly lo?: Float64Array;
  /** 1 where float64 could not settle the element (see the module comment); absent when none. */
  readonly unsettled?: Uint8Array;
  /** 1 where the element went through a kernel computed in float64 only (about 2^-53 relative); absent when none. */
  readonly coarse?: Uint8Array;
}

export interface ExactRun {
  /** Exact value of each tensor id (see TraceTensor.id); missing for tensors computed from an unsupported kernel. */
  readonly tensors: ReadonlyMap<number, ExactValue>;
  /** Ids of tensors that entered the trace from outside (inputs and constants): their exact value is their float32 value. */
  readonly leaves: ReadonlySet<number>;
  /** Kernel calls the interpreter does not know, in order. */
  readonly unsupported: readonly TraceCall[];
}

/**
 * Relative cancellation beyond which a sum of computed values is not trusted: 2^-30 for values
 * that went through a float64-only kernel (it leaves 23 of float64's 53 bits, far more than the
 * 2^-10 a departure is judged with, ./explain.ts), 2^-80 for double-double ones (about 106 bits).
 */
const CANCEL = 2 ** -30;
const CANCEL_DD = 2 ** -80;

type Unary = (x: number, attrs: Readonly<Record<string, unknown>>) => number;

function num(attrs: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = attrs[key];
  return typeof v === 'number' ? v : fallback;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Round half to even, as tf.round. */
function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

const UNARY: Readonly<Record<string, Unary>> = {
  Abs: Math.abs,
  Acos: Math.acos,
  Acosh: Math.acosh,
  Asin: Math.asin,
  Asinh: Math.asinh,
  Atan: Math.atan,
  Atanh: Math.atanh,
  Ceil: Math.ceil,
  Cos: Math.cos,
  Cosh: Math.cosh,
  Elu: (x) => (x >= 0 ? x : Math.expm1(x)),
  Exp: Math.exp,
  Expm1: Math.expm1,
  Floor: Math.floor,
  IsFinite: (x) => (Number.isFinite(x) ? 1 : 0),
  IsInf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  IsNan: (x) => (Number.isNaN(x) ? 1 : 0),
  LeakyRelu: (x, a) => (x >= 0 ? x : num(a, 'alpha', 0.2) * x),
  Log: Math.log,
  Log1p: Math.log1p,
  LogicalNot: (x) => (x === 0 ? 1 : 0),
  Neg: (x) => -x,
  Reciprocal: (x) => 1 / x,
  Relu: (x) => (Number.isNaN(x) ? x : Math.max(x, 0)),
  Relu6: (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, 0), 6)),
  Round: roundEven,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Selu: (x) => (x >= 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x)),
  Sigmoid: sigmoid,
  Sign: (x) => (Number.isNaN(x) ? 0 : Math.sign(x)),
  Sin: Math.sin,
  Sinh: Math.sinh,
  Softplus: softplus,
  Sqrt: Math.sqrt,
  Square: (x) => x * x,
  Step: (x, a) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : num(a, 'alpha', 0)),
  Tan: Math.tan,
  Tanh: Math.tanh,
  ClipByValue: (x, a) => (Number.isNaN(x) ? x : Math.min(Math.max(x, num(a, 'clipValueMin', -Infinity)), num(a, 'clipValueMax', Infinity))),
  OnesLike: () => 1,
  ZerosLike: () => 0,
};

/** Where a unary kernel has a pole or a definitional infinity at a finite input (not an overflow). */
function unaryPole(kernel: string, x: number): boolean {
  switch (kernel) {
    case 'Log':
    case 'Reciprocal':
    case 'Rsqrt':
      return x === 0;
    case 'Log1p':
      return x === -1;
    case 'Atanh':
      return Math.abs(x) === 1;
    case 'Tan':
      return true;
    default:
      return false;
  }
}

/** Kernels that pass their input's data through unchanged (shape aside). */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'ExpandDims', 'Squeeze', 'EnsureShape']);

type Binary = (a: number, b: number) => number;

const BINARY: Readonly<Record<string, Binary>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Multiply: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  Minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  SquaredDifference: (a, b) => (a - b) * (a - b),
  Atan2: Math.atan2,
  FloorDiv: (a, b) => Math.floor(a / b),
  Mod: (a, b) => {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  Equal: (a, b) => (a === b ? 1 : 0),
  NotEqual: (a, b) => (a !== b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  GreaterEqual: (a, b) => (a >= b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  LessEqual: (a, b) => (a <= b ? 1 : 0),
  LogicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  LogicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  Prelu: (x, alpha) => (x >= 0 ? x : alpha * x),
};

/** Binary kernels whose float64 result from finite inputs is infinite only by overflow (never a pole). */
function binaryOverflow(kernel: string, a: number, b: number): boolean {
  switch (kernel) {
    case 'Add':
    case 'Sub':
    case 'Multiply':
    case 'SquaredDifference':
      return true;
    case 'RealDiv':
      return b !== 0;
    case 'Pow':
      return a !== 0;
    default:
      return false;
  }
}

/** Input names of binary kernels (x/alpha for Prelu). */
function binaryInputs(call: TraceCall): [TraceTensor, TraceTensor] | undefined {
  const { inputs } = call;
  if (inputs.a && inputs.b) return [inputs.a, inputs.b];
  if (inputs.x && inputs.alpha) return [inputs.x, inputs.alpha];
  return undefined;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/**
 * For each element of `out` (a broadcast shape), the index of the element of `shape` it reads
 * (numpy broadcasting: trailing axes aligned, size-1 axes repeated).
 */
export function broadcastMap(out: readonly number[], shape: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const map = new Int32Array(n);
  const size = sizeOf(shape);
  if (size === n && shape.length === out.length) {
    for (let i = 0; i < n; i++) map[i] = i;
    return map;
  }
  if (size === 1) return map;
  const inStrides = stridesOf(shape);
  const offset = out.length - shape.length;
  const coords = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let a = offset; a < out.length; a++) {
      const d = shape[a - offset]!;
      if (d !== 1) j += coords[a]! * inStrides[a - offset]!;
    }
    map[i] = j;
    for (let a = out.length - 1; a >= 0; a--) {
      coords[a]!++;
      if (coords[a]! < out[a]!) break;
      coords[a] = 0;
    }
  }
  return map;
}

/** Axes of a reduction's `axis` attribute, normalized (all axes when absent). */
function axesOf(attrs: Readonly<Record<string, unknown>>, key: string, rank: number): number[] {
  const raw = attrs[key];
  const list = raw === undefined || raw === null ? [...Array(rank).keys()] : Array.isArray(raw) ? (raw as number[]) : [raw as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}

/** For each input element, the index of the output element a reduction over `axes` puts it in. */
function reductionMap(shape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number } {
  const keep = shape.map((_, a) => !axes.includes(a));
  const outShape = shape.filter((_, a) => keep[a]);
  const outStrides = stridesOf(outShape);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    let k = 0;
    for (let a = 0; a < shape.length; a++) {
      if (keep[a]) j += coords[a]! * outStrides[k++]!;
    }
    map[i] = j;
    for (let a = shape.length - 1; a >= 0; a--) {
      coords[a]!++;
      if (coords[a]! < shape[a]!) break;
      coords[a] = 0;
    }
  }
  return { map, outSize: sizeOf(outShape) };
}

/** Double-double helpers: finite results normalized, non-finite ones with lo 0. */
function dd(hi: number, lo = 0): DD {
  return { hi, lo: Number.isFinite(hi) ? lo : 0 };
}

function clean(r: DD): DD {
  return Number.isFinite(r.hi) && Number.isFinite(r.lo) ? r : { hi: r.hi, lo: 0 };
}

const ONE: DD = { hi: 1, lo: 0 };

/** 2^27 + 1, Veltkamp's splitting constant. */
const SPLITTER = 134217729;

/** e^x, in double-double where ddExp is valid (-650..700), else float64 (`coarse`). */
function expDD(x: DD): { r: DD; coarse: boolean } {
  if (x.hi >= -650 && x.hi <= 700) return { r: clean(ddExp(x)), coarse: false };
  return { r: dd(Math.exp(x.hi)), coarse: Number.isFinite(x.hi) };
}

/** log x by one Newton step from float64 (y + (x - e^y) / e^y). */
function logDD(x: DD): { r: DD; coarse: boolean } {
  if (!(x.hi > 0) || !Number.isFinite(x.hi)) return { r: dd(Math.log(x.hi)), coarse: false };
  const y0 = Math.log(x.hi);
  if (y0 < -650 || y0 > 700) return { r: dd(y0 + x.lo / x.hi), coarse: true };
  const e = ddExp(dd(y0));
  return { r: clean(ddAdd(dd(y0), ddDiv(ddSub(x, e), e))), coarse: false };
}

function sqrtDD(x: DD): DD {
  const y0 = Math.sqrt(x.hi);
  if (!(y0 > 0) || !Number.isFinite(y0)) return dd(y0);
  return clean(ddAdd(dd(y0), ddDiv(ddSub(x, twoProd(y0, y0)), dd(2 * y0))));
}

function log1pDD(x: DD): { r: DD; coarse: boolean } {
  if (x.hi >= 0 && Number.isFinite(x.hi)) return { r: clean(ddLog1p(x)), coarse: false };
  return logDD(ddAdd(ONE, x));
}

function sigmoidDD(x: DD): { r: DD; coarse: boolean } {
  if (Number.isNaN(x.hi)) return { r: dd(NaN), coarse: false };
  if (x.hi > 700) return { r: dd(1, -Math.exp(-x.hi)), coarse: false };
  if (x.hi < -650) return { r: dd(Math.exp(x.hi)), coarse: true };
  if (x.hi >= 0) return { r: clean(ddDiv(ONE, ddAdd(ONE, ddExp({ hi: -x.hi, lo: -x.lo })))), coarse: false };
  const e = ddExp(x);
  return { r: clean(ddDiv(e, ddAdd(ONE, e))), coarse: false };
}

function softplusDD(x: DD): { r: DD; coarse: boolean } {
  if (Number.isNaN(x.hi)) return { r: dd(NaN), coarse: false };
  if (x.hi > 700) return { r: dd(x.hi, x.lo + Math.exp(-x.hi)), coarse: false };
  if (x.hi < -650) return { r: dd(Math.exp(x.hi)), coarse: true };
  if (x.hi > 0) return { r: clean(ddAdd(x, ddLog1p(ddExp({ hi: -x.hi, lo: -x.lo })))), coarse: false };
  return { r: clean(ddLog1p(ddExp(x))), coarse: false };
}

/** a < b, a == b, a > b on double-doubles: -1, 0, 1 (NaN: 2). */
function compare(a: DD, b: DD): number {
  if (Number.isNaN(a.hi) || Number.isNaN(b.hi)) return 2;
  if (a.hi !== b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo !== b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

/** Unary kernels computed in double-double; null for those computed in float64 (UNARY). */
function unaryDD(kernel: string, x: DD, attrs: Readonly<Record<string, unknown>>): { r: DD; coarse: boolean } | null {
  switch (kernel) {
    case 'Neg':
      return { r: { hi: -x.hi, lo: -x.lo }, coarse: false };
    case 'Abs':
      return { r: x.hi < 0 ? { hi: -x.hi, lo: -x.lo } : x, coarse: false };
    case 'Relu':
      return { r: x.hi > 0 || Number.isNaN(x.hi) ? x : dd(0), coarse: false };
    case 'Square':
      return { r: clean(ddMul(x, x)), coarse: false };
    case 'Exp':
      return expDD(x);
    case 'Log':
      return logDD(x);
    case 'Log1p':
      return log1pDD(x);
    case 'Sqrt':
      return { r: sqrtDD(x), coarse: false };
    case 'Rsqrt':
      return { r: x.hi === 0 ? dd(Infinity) : clean(ddDiv(ONE, sqrtDD(x))), coarse: false };
    case 'Reciprocal':
      return { r: x.hi === 0 ? dd(1 / x.hi) : clean(ddDiv(ONE, x)), coarse: false };
    case 'Sigmoid':
      return sigmoidDD(x);
    case 'Softplus':
      return softplusDD(x);
    case 'Tanh': {
      // sign(x)·(1 - e^-2|x|) / (1 + e^-2|x|); near 0 that cancels, float64 then
      const ax = Math.abs(x.hi);
      if (!(ax >= 0.5) || ax > 325) return null;
      const e = ddExp(x.hi > 0 ? { hi: -2 * x.hi, lo: -2 * x.lo } : { hi: 2 * x.hi, lo: 2 * x.lo });
      const t = clean(ddDiv(ddSub(ONE, e), ddAdd(ONE, e)));
      return { r: x.hi > 0 ? t : { hi: -t.hi, lo: -t.lo }, coarse: false };
    }
    case 'ClipByValue': {
      const lo = num(attrs, 'clipValueMin', -Infinity);
      const hi = num(attrs, 'clipValueMax', Infinity);
      return { r: Number.isNaN(x.hi) ? x : compare(x, dd(lo)) < 0 ? dd(lo) : compare(x, dd(hi)) > 0 ? dd(hi) : x, coarse: false };
    }
    default:
      return null;
  }
}

/** Binary kernels computed in double-double; null for those computed in float64 (BINARY). */
function binaryDD(kernel: string, a: DD, b: DD): DD | null {
  switch (kernel) {
    case 'Add':
      return clean(ddAdd(a, b));
    case 'Sub':
      return clean(ddSub(a, b));
    case 'Multiply':
      return a.hi === 0 || b.hi === 0 || !Number.isFinite(a.hi) || !Number.isFinite(b.hi) ? dd(a.hi * b.hi) : clean(ddMul(a, b));
    case 'RealDiv':
      return b.hi === 0 || !Number.isFinite(a.hi) || !Number.isFinite(b.hi) ? dd(a.hi / b.hi) : clean(ddDiv(a, b));
    case 'SquaredDifference': {
      const d = clean(ddSub(a, b));
      return clean(ddMul(d, d));
    }
    case 'Maximum':
    case 'Minimum': {
      const c = compare(a, b);
      if (c === 2) return dd(NaN);
      return (kernel === 'Maximum') === c >= 0 ? a : b;
    }
    case 'Equal':
    case 'NotEqual':
    case 'Greater':
    case 'GreaterEqual':
    case 'Less':
    case 'LessEqual': {
      const c = compare(a, b);
      if (c === 2) return dd(kernel === 'NotEqual' ? 1 : 0);
      const t = { Equal: c === 0, NotEqual: c !== 0, Greater: c > 0, GreaterEqual: c >= 0, Less: c < 0, LessEqual: c <= 0 }[kernel];
      return dd(t ? 1 : 0);
    }
    default:
      return null;
  }
}

/** Builds one exact output: double-double values and per-element flags. */
class Out {
  readonly values: Float64Array;
  lo: Float64Array | undefined;
  unsettled: Uint8Array | undefined;
  coarse: Uint8Array | undefined;

  constructor(readonly n: number) {
    this.values = new Float64Array(n);
  }

  set(i: number, r: DD): void {
    this.values[i] = r.hi;
    if (r.lo !== 0) {
      this.lo ??= new Float64Array(this.n);
      this.lo[i] = r.lo;
    }
  }

  bad(i: number): void {
    this.unsettled ??= new Uint8Array(this.n);
    this.unsettled[i] = 1;
  }

  rough(i: number): void {
    this.coarse ??= new Uint8Array(this.n);
    this.coarse[i] = 1;
  }

  /** Copy element j of x to element i. */
  copy(i: number, x: ExactValue, j: number): void {
    this.set(i, get(x, j));
    if (x.unsettled?.[j]) this.bad(i);
    if (x.coarse?.[j]) this.rough(i);
  }

  build(): ExactValue {
    return {
      values: this.values,
      ...(this.lo ? { lo: this.lo } : {}),
      ...(this.unsettled ? { unsettled: this.unsettled } : {}),
      ...(this.coarse ? { coarse: this.coarse } : {}),
    };
  }
}

function get(x: ExactValue, i: number): DD {
  return { hi: x.values[i]!, lo: x.lo?.[i] ?? 0 };
}

/** Cancellation a float64 (coarse) or double-double input cannot carry through (see the module comment). */
function cancels(result: DD, scale: number, coarse: boolean): boolean {
  if (!Number.isFinite(scale) || scale === 0) return false;
  const r = Math.abs(result.hi);
  return coarse ? r < CANCEL * scale : r !== 0 && r < CANCEL_DD * scale;
}

/** A double-double sum of products, without allocation per term; `plain` is the float64 sum (for non-finite terms). */
class DotAccumulator {
  hi = 0;
  lo = 0;
  plain = 0;
  abs = 0;

  reset(): void {
    this.hi = 0;
    this.lo = 0;
    this.plain = 0;
    this.abs = 0;
  }

  /** += (xh + xl)·(yh + yl). */
  add(xh: number, xl: number, yh: number, yl: number): void {
    const ph = xh * yh;
    let t = SPLITTER * xh;
    const xa = t - (t - xh);
    const xb = xh - xa;
    t = SPLITTER * yh;
    const ya = t - (t - yh);
    const yb = yh - ya;
    const pl = xa * ya - ph + xa * yb + xb * ya + xb * yb + xh * yl + xl * yh;
    const s1 = this.hi + ph;
    const bb = s1 - this.hi;
    const lo = this.hi - (s1 - bb) + (ph - bb) + this.lo + pl;
    this.hi = s1 + lo;
    this.lo = lo - (this.hi - s1);
    this.plain += ph;
    this.abs += Math.abs(ph);
  }

  result(): DD {
    return Number.isFinite(this.hi) && Number.isFinite(this.lo) ? { hi: this.hi, lo: this.lo } : dd(this.plain);
  }
}

class Interpreter {
  readonly tensors = new Map<number, ExactValue>();
  readonly leaves = new Set<number>();
  readonly unsupported: TraceCall[] = [];
  /** Tensors computed by a kernel (their exact values carry rounding). */
  private readonly derived = new Set<number>();
  /** Tensors computed (directly or not) from an unsupported kernel. */
  private readonly unknown = new Set<number>();

  /** The exact value of an input, entering it as a leaf when no kernel produced it. */
  input(t: TraceTensor): ExactValue | undefined {
    if (this.unknown.has(t.id)) return undefined;
    let v = this.tensors.get(t.id);
    if (v === undefined) {
      v = { values: Float64Array.from(t.values) };
      this.tensors.set(t.id, v);
      this.leaves.add(t.id);
    }
    return v;
  }

  run(call: TraceCall): void {
    const ins: Record<string, ExactValue> = {};
    for (const [name, t] of Object.entries(call.inputs)) {
      const v = this.input(t);
      if (v === undefined) {
        this.markUnknown(call);
        return;
      }
      ins[name] = v;
    }
    // a kernel without tensor inputs (LinSpace, Range, a random tensor) makes a constant: it enters as given
    const outs = Object.keys(call.inputs).length === 0 && !(call.kernel in UNARY) && call.kernel !== 'Fill' ? this.constants(call) : this.evaluate(call, ins);
    if (outs === undefined) {
      this.unsupported.push(call);
      this.markUnknown(call);
      return;
    }
    call.outputs.forEach((o, i) => {
      const v = outs[i];
      if (v === undefined || v.values.length !== o.values.length) {
        this.unknown.add(o.id);
        this.tensors.delete(o.id);
        return;
      }
      this.tensors.set(o.id, v);
      this.unknown.delete(o.id);
      if (this.leaves.has(o.id)) return;
      if (!PASS_THROUGH.has(call.kernel) || this.derived.has(call.inputs.x?.id ?? call.inputs.tensor?.id ?? call.inputs.input?.id ?? -1))
        this.derived.add(o.id);
    });
  }

  private constants(call: TraceCall): ExactValue[] {
    for (const o of call.outputs) this.leaves.add(o.id);
    return call.outputs.map((o) => ({ values: Float64Array.from(o.values) }));
  }

  private markUnknown(call: TraceCall): void {
    for (const o of call.outputs) {
      this.unknown.add(o.id);
      this.tensors.delete(o.id);
    }
  }

  private isDerived(t: TraceTensor | undefined): boolean {
    return t !== undefined && this.derived.has(t.id);
  }

  /** The exact outputs of one call, or undefined when the kernel is not known. */
  private evaluate(call: TraceCall, ins: Record<string, ExactValue>): ExactValue[] | undefined {
    const k = call.kernel;
    const out0 = call.outputs[0];
    if (!out0) return undefined;
    const n = out0.values.length;
    if (PASS_THROUGH.has(k)) {
      const x = ins.x ?? ins.tensor ?? ins.input;
      return x ? [x] : undefined;
    }
    if (k === 'Cast') return [this.cast(ins.x!, String(call.attrs.dtype ?? out0.dtype))];
    if (k === 'Fill') {
      return [{ values: new Float64Array(n).fill(num(call.attrs, 'value', 0)) }];
    }
    const unary = UNARY[k];
    if (unary) {
      const x = ins.x;
      if (!x) return undefined;
      return [this.unary(k, unary, x, call.attrs, n)];
    }
    const binary = BINARY[k];
    if (binary) {
      const pair = binaryInputs(call);
      if (!pair) return undefined;
      const [ta, tb] = pair;
      return [this.binary(k, binary, ins[ta === call.inputs.a ? 'a' : 'x']!, ta, ins[tb === call.inputs.b ? 'b' : 'alpha']!, tb, out0)];
    }
    switch (k) {
      case 'AddN':
        return [this.addN(call, ins, n)];
      case 'Select':
        return [this.select(ins, n)];
      case 'Sum':
      case 'Mean':
      case 'Prod':
      case 'Max':
      case 'Min':
        return [this.reduce(k, call, ins.x!)];
      case 'Softmax':
        return [this.softmax(call, ins.logits!)];
      case 'BatchMatMul':
      case '_FusedMatMul':
        return this.matMul(call, ins);
      case 'Transpose':
        return [this.gather(ins.x!, transposeMap(call.inputs.x!.shape, (call.attrs.perm as number[]) ?? []))];
      case 'Tile':
      case 'BroadcastTo':
        return [this.gather(ins.x!, tileMap(call.inputs.x!.shape, out0.shape))];
      case 'Slice':
        return [this.gather(ins.x!, sliceMap(call.inputs.x!.shape, call.attrs.begin, out0.shape))];
      case 'Concat':
        return [this.concat(call, ins)];
      case 'GatherV2': {
        if (num(call.attrs, 'batchDims', 0) !== 0) return undefined;
        return [this.gather(ins.x!, gatherMap(call.inputs.x!.shape, call.inputs.indices!.values, num(call.attrs, 'axis', 0)))];
      }
      case 'PadV2':
        return [this.pad(call, ins.x!)];
      case 'Conv2D':
        return this.conv2d(call, ins);
      default:
        return undefined;
    }
  }

  private cast(x: ExactValue, dtype: string): ExactValue {
    if (dtype === 'float32') return x;
    const f = dtype === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : (v: number) => (Number.isFinite(v) ? Math.trunc(v) : 0);
    const out = new Out(x.values.length);
    for (let i = 0; i < x.values.length; i++) {
      const v = x.values[i]! + (x.lo?.[i] ?? 0);
      out.set(i, dd(f(v)));
      // the integer part is unsure when the value sits within its error of an integer
      if (x.unsettled?.[i]) out.bad(i);
    }
    return out.build();
  }

  private unary(k: string, f: Unary, x: ExactValue, attrs: Readonly<Record<string, unknown>>, n: number): ExactValue {
    const out = new Out(n);
    for (let i = 0; i < n; i++) {
      const v = get(x, i);
      const viaDD = unaryDD(k, v, attrs);
      const r = viaDD ? viaDD.r : dd(f(v.hi + v.lo, attrs));
      out.set(i, r);
      if (!viaDD || viaDD.coarse || x.coarse?.[i]) out.rough(i);
      if (x.unsettled?.[i] || (Number.isFinite(v.hi) && (r.hi === Infinity || r.hi === -Infinity) && !unaryPole(k, v.hi))) out.bad(i);
    }
    return out.build();
  }

  private binary(k: string, f: Binary, a: ExactValue, ta: TraceTensor, b: ExactValue, tb: TraceTensor, outT: TraceTensor): ExactValue {
    const n = outT.values.length;
    const ma = broadcastMap(outT.shape, ta.shape);
    const mb = broadcastMap(outT.shape, tb.shape);
    const out = new Out(n);
    const additive = (k === 'Add' || k === 'Sub' || k === 'SquaredDifference') && (this.isDerived(ta) || this.isDerived(tb));
    for (let i = 0; i < n; i++) {
      const ia = ma[i]!;
      const ib = mb[i]!;
      const x = get(a, ia);
      const y = get(b, ib);
      const viaDD = binaryDD(k, x, y);
      const r = viaDD ?? dd(f(x.hi + x.lo, y.hi + y.lo));
      out.set(i, r);
      const coarse = !viaDD || a.coarse?.[ia] === 1 || b.coarse?.[ib] === 1;
      if (coarse) out.rough(i);
      let bad = a.unsettled?.[ia] === 1 || b.unsettled?.[ib] === 1;
      if (!bad && Number.isFinite(x.hi) && Number.isFinite(y.hi)) {
        if ((r.hi === Infinity || r.hi === -Infinity) && binaryOverflow(k, x.hi, y.hi)) bad = true;
        else if (additive) {
          const diff = k === 'Add' ? ddAdd(x, y) : ddSub(x, y);
          if (cancels(diff, Math.abs(x.hi) + Math.abs(y.hi), coarse)) bad = true;
        }
      }
      if (bad) out.bad(i);
    }
    return out.build();
  }

  private addN(call: TraceCall, ins: Record<string, ExactValue>, n: number): ExactValue {
    const names = Object.keys(call.inputs);
    const terms = names.map((name) => ins[name]!);
    const derived = names.some((name) => this.isDerived(call.inputs[name]));
    const out = new Out(n);
    for (let i = 0; i < n; i++) {
      let s: DD = dd(0);
      let abs = 0;
      let bad = false;
      let coarse = false;
      for (const t of terms) {
        s = clean(ddAdd(s, get(t, i)));
        abs += Math.abs(t.values[i]!);
        if (t.unsettled?.[i]) bad = true;
        if (t.coarse?.[i]) coarse = true;
      }
      out.set(i, s);
      if (coarse) out.rough(i);
      if (bad || (derived && cancels(s, abs, coarse)) || (Number.isFinite(abs) && !Number.isFinite(s.hi))) out.bad(i);
    }
    return out.build();
  }

  private select(ins: Record<string, ExactValue>, n: number): ExactValue {
    const c = ins.condition!;
    const t = ins.t!;
    const e = ins.e!;
    const per = c.values.length === n ? 1 : n / c.values.length;
    const out = new Out(n);
    for (let i = 0; i < n; i++) {
      const ci = per === 1 ? i : Math.floor(i / per);
      out.copy(i, c.values[ci] !== 0 ? t : e, i);
      if (c.unsettled?.[ci]) out.bad(i);
    }
    return out.build();
  }

  private reduce(k: string, call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.x!.shape;
    const axes = axesOf(call.attrs, 'reductionIndices' in call.attrs ? 'reductionIndices' : 'axis', shape.length);
    const { map, outSize } = reductionMap(shape, axes);
    const derived = this.isDerived(call.inputs.x);
    const init = dd(k === 'Prod' ? 1 : k === 'Max' ? -Infinity : k === 'Min' ? Infinity : 0);
    const acc: DD[] = Array.from({ length: outSize }, () => init);
    const abs = new Float64Array(outSize);
    const count = new Float64Array(outSize);
    const nan = new Uint8Array(outSize);
    const out = new Out(outSize);
    const n = x.values.length;
    for (let i = 0; i < n; i++) {
      const j = map[i]!;
      const v = get(x, i);
      count[j]!++;
      if (x.unsettled?.[i]) out.bad(j);
      if (x.coarse?.[i]) out.rough(j);
      if (Number.isNaN(v.hi)) nan[j] = 1;
      const a = acc[j]!;
      if (k === 'Sum' || k === 'Mean') {
        acc[j] = Number.isFinite(a.hi) && Number.isFinite(v.hi) ? clean(ddAdd(a, v)) : dd(a.hi + v.hi);
        abs[j]! += Math.abs(v.hi);
      } else if (k === 'Prod') acc[j] = Number.isFinite(a.hi) && Number.isFinite(v.hi) && a.hi !== 0 && v.hi !== 0 ? clean(ddMul(a, v)) : dd(a.hi * v.hi);
      else if (k === 'Max') acc[j] = compare(v, a) > 0 ? v : a;
      else acc[j] = compare(v, a) < 0 ? v : a;
    }
    for (let j = 0; j < outSize; j++) {
      let r = acc[j]!;
      if (k === 'Sum' || k === 'Mean') {
        if (Number.isFinite(abs[j]!) && !Number.isFinite(r.hi)) out.bad(j);
        else if (derived && cancels(r, abs[j]!, out.coarse?.[j] === 1)) out.bad(j);
        if (k === 'Mean') r = Number.isFinite(r.hi) ? clean(ddDiv(r, dd(count[j]!))) : dd(r.hi / count[j]!);
      } else if (k === 'Prod' && !Number.isFinite(r.hi) && !nan[j]) {
        let finite = true;
        for (let i = 0; i < n; i++) if (map[i] === j && !Number.isFinite(x.values[i]!)) finite = false;
        if (finite) out.bad(j);
      }
      out.set(j, nan[j] ? dd(NaN) : r);
    }
    return out.build();
  }

  private softmax(call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.logits!.shape;
    const cols = shape[shape.length - 1] ?? 1;
    const n = x.values.length;
    const out = new Out(n);
    for (let r = 0; r < n; r += cols) {
      let max = -Infinity;
      let bad = false;
      for (let c = 0; c < cols; c++) {
        max = Math.max(max, x.values[r + c]!);
        if (x.unsettled?.[r + c]) bad = true;
      }
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(x.values[r + c]! + (x.lo?.[r + c] ?? 0) - max);
      for (let c = 0; c < cols; c++) {
        out.set(r + c, dd(Math.exp(x.values[r + c]! + (x.lo?.[r + c] ?? 0) - max) / sum));
        out.rough(r + c);
        if (bad) out.bad(r + c);
      }
    }
    return out.build();
  }

  private matMul(call: TraceCall, ins: Record<string, ExactValue>): ExactValue[] | undefined {
    const ta = call.inputs.a!;
    const tb = call.inputs.b!;
    const outT = call.outputs[0]!;
    const activation = String(call.attrs.activation ?? 'linear');
    if (call.kernel === '_FusedMatMul' && !['linear', 'relu'].includes(activation)) return undefined;
    const transA = Boolean(call.attrs.transposeA);
    const transB = Boolean(call.attrs.transposeB);
    const ra = ta.shape.length;
    const rb = tb.shape.length;
    const m = transA ? ta.shape[ra - 1]! : ta.shape[ra - 2]!;
    const kk = transA ? ta.shape[ra - 2]! : ta.shape[ra - 1]!;
    const nn = transB ? tb.shape[rb - 2]! : tb.shape[rb - 1]!;
    const batchA = sizeOf(ta.shape.slice(0, -2));
    const batchB = sizeOf(tb.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    const a = ins.a!;
    const b = ins.b!;
    const bias = ins.bias;
    const biasMap = bias && call.inputs.bias ? broadcastMap(outT.shape, call.inputs.bias.shape) : undefined;
    const size = batch * m * nn;
    if (size !== outT.values.length) return undefined;
    const derived = this.isDerived(ta) || this.isDerived(tb);
    const out = new Out(size);
    for (let q = 0; q < batch; q++) {
      const oa = (batchA === 1 ? 0 : q) * m * kk;
      const ob = (batchB === 1 ? 0 : q) * kk * nn;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < nn; j++) {
          let sh = 0;
          let sl = 0;
          let abs = 0;
          let bad = false;
          let coarse = false;
          for (let p = 0; p < kk; p++) {
            const ia = oa + (transA ? p * m + i : i * kk + p);
            const ib = ob + (transB ? j * kk + p : p * nn + j);
            const xh = a.values[ia]!;
            const yh = b.values[ib]!;
            // s += x·y in double-double, inline (TwoProduct by Veltkamp splitting, then TwoSum)
            const ph = xh * yh;
            let t = SPLITTER * xh;
            const xa = t - (t - xh);
            const xb = xh - xa;
            t = SPLITTER * yh;
            const ya = t - (t - yh);
            const yb = yh - ya;
            const pl = xa * ya - ph + xa * yb + xb * ya + xb * yb + xh * (b.lo?.[ib] ?? 0) + (a.lo?.[ia] ?? 0) * yh;
            const s1 = sh + ph;
            const bb = s1 - sh;
            const lo = sh - (s1 - bb) + (ph - bb) + sl + pl;
            sh = s1 + lo;
            sl = lo - (sh - s1);
            abs += Math.abs(ph);
            if (a.unsettled?.[ia] || b.unsettled?.[ib]) bad = true;
            if (a.coarse?.[ia] || b.coarse?.[ib]) coarse = true;
          }
          let s: DD = Number.isFinite(sh) && Number.isFinite(sl) ? { hi: sh, lo: sl } : dd(sh);
          // non-finite terms: the float64 sum says what the sum is (NaN for Infinity - Infinity)
          if (!Number.isFinite(sh) || Number.isNaN(sl)) {
            let plain = 0;
            for (let p = 0; p < kk; p++) plain += a.values[oa + (transA ? p * m + i : i * kk + p)]! * b.values[ob + (transB ? j * kk + p : p * nn + j)]!;
            s = dd(plain);
          }
          const o = q * m * nn + i * nn + j;
          if (bias && biasMap) {
            s = clean(ddAdd(s, get(bias, biasMap[o]!)));
            if (bias.unsettled?.[biasMap[o]!]) bad = true;
          }
          if (activation === 'relu' && !(s.hi > 0)) s = Number.isNaN(s.hi) ? s : dd(0);
          out.set(o, s);
          if (coarse) out.rough(o);
          if (bad || (Number.isFinite(abs) && !Number.isFinite(s.hi)) || (derived && cancels(s, abs, coarse))) out.bad(o);
        }
      }
    }
    return [out.build()];
  }

  /** Element i of the result is element map[i] of x (`fill` where map[i] is -1). */
  private gather(x: ExactValue, map: Int32Array, fill = 0): ExactValue {
    const out = new Out(map.length);
    for (let i = 0; i < map.length; i++) {
      if (map[i]! < 0) out.set(i, dd(fill));
      else out.copy(i, x, map[i]!);
    }
    return out.build();
  }

  private pad(call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.x!.shape;
    const paddings = (call.attrs.paddings as [number, number][]) ?? [];
    const outShape = call.outputs[0]!.shape;
    const inStrides = stridesOf(shape);
    const map = new Int32Array(sizeOf(outShape));
    forEachCoord(outShape, (coords, i) => {
      let j = 0;
      for (let a = 0; a < outShape.length; a++) {
        const c = coords[a]! - (paddings[a]?.[0] ?? 0);
        if (c < 0 || c >= shape[a]!) {
          j = -1;
          break;
        }
        j += c * inStrides[a]!;
      }
      map[i] = j;
    });
    return this.gather(x, map, num(call.attrs, 'constantValue', 0));
  }

  /** Conv2D, NHWC (what tf.conv2d runs by default), any strides, dilations and padding. */
  private conv2d(call: TraceCall, ins: Record<string, ExactValue>): ExactValue[] | undefined {
    const tx = call.inputs.x!;
    const tw = call.inputs.filter!;
    const outT = call.outputs[0]!;
    if ((call.attrs.dataFormat ?? 'NHWC') !== 'NHWC' || tx.shape.length !== 4 || tw.shape.length !== 4) return undefined;
    const [batch, inH, inW, inC] = tx.shape as [number, number, number, number];
    const [fH, fW, , outC] = tw.shape as [number, number, number, number];
    const [, outH, outW] = outT.shape as [number, number, number, number];
    const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [(v as number) ?? 1, (v as number) ?? 1]);
    const [sH, sW] = pair(call.attrs.strides);
    const [dH, dW] = pair(call.attrs.dilations);
    const pad = call.attrs.pad;
    let top = 0;
    let left = 0;
    if (pad === 'same') {
      top = Math.max(0, (outH - 1) * sH + (fH - 1) * dH + 1 - inH) >> 1;
      left = Math.max(0, (outW - 1) * sW + (fW - 1) * dW + 1 - inW) >> 1;
    } else if (typeof pad === 'number') {
      top = pad;
      left = pad;
    } else if (Array.isArray(pad)) {
      top = (pad[1] as number[])[0]!;
      left = (pad[2] as number[])[0]!;
    } else if (pad !== 'valid') return undefined;
    const x = ins.x!;
    const w = ins.filter!;
    const out = new Out(outT.values.length);
    const acc = new DotAccumulator();
    const derived = this.isDerived(tx) || this.isDerived(tw);
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < outH; r++) {
        for (let c = 0; c < outW; c++) {
          for (let o = 0; o < outC; o++) {
            acc.reset();
            let bad = false;
            let coarse = false;
            for (let fr = 0; fr < fH; fr++) {
              const xr = r * sH - top + fr * dH;
              if (xr < 0 || xr >= inH) continue;
              for (let fc = 0; fc < fW; fc++) {
                const xc = c * sW - left + fc * dW;
                if (xc < 0 || xc >= inW) continue;
                for (let i = 0; i < inC; i++) {
                  const ix = ((b * inH + xr) * inW + xc) * inC + i;
                  const iw = ((fr * fW + fc) * inC + i) * outC + o;
                  acc.add(x.values[ix]!, x.lo?.[ix] ?? 0, w.values[iw]!, w.lo?.[iw] ?? 0);
                  if (x.unsettled?.[ix] || w.unsettled?.[iw]) bad = true;
                  if (x.coarse?.[ix] || w.coarse?.[iw]) coarse = true;
                }
              }
            }
            const k = ((b * outH + r) * outW + c) * outC + o;
            const s = acc.result();
            out.set(k, s);
            if (coarse) out.rough(k);
            if (bad || (Number.isFinite(acc.abs) && !Number.isFinite(s.hi)) || (derived && cancels(s, acc.abs, coarse))) out.bad(k);
          }
        }
      }
    }
    return [out.build()];
  }

  private concat(call: TraceCall, ins: Record<string, ExactValue>): ExactValue {
    const names = Object.keys(call.inputs);
    const outShape = call.outputs[0]!.shape;
    const rank = outShape.length;
    const axis = ((num(call.attrs, 'axis', 0) % rank) + rank) % rank;
    const outer = sizeOf(outShape.slice(0, axis));
    const out = new Out(sizeOf(outShape));
    let o = 0;
    for (let r = 0; r < outer; r++) {
      for (const name of names) {
        const inner = sizeOf(call.inputs[name]!.shape.slice(axis));
        for (let c = 0; c < inner; c++, o++) out.copy(o, ins[name]!, r * inner + c);
      }
    }
    return out.build();
  }
}

function transposeMap(shape: readonly number[], perm: readonly number[]): Int32Array {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  const map = new Int32Array(sizeOf(outShape));
  forEachCoord(outShape, (coords, i) => {
    let j = 0;
    for (let a = 0; a < outShape.length; a++) j += coords[a]! * inStrides[perm[a]!]!;
    map[i] = j;
  });
  return map;
}

/** Tile and BroadcastTo: each output element reads the input at its coordinates modulo the input's shape. */
function tileMap(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const offset = outShape.length - shape.length;
  const inStrides = stridesOf(shape);
  const map = new Int32Array(sizeOf(outShape));
  forEachCoord(outShape, (coords, i) => {
    let j = 0;
    for (let a = offset; a < outShape.length; a++) j += (coords[a]! % shape[a - offset]!) * inStrides[a - offset]!;
    map[i] = j;
  });
  return map;
}

function gatherMap(shape: readonly number[], indices: ArrayLike<number>, axisAttr: number): Int32Array {
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const dim = shape[axis]!;
  const map = new Int32Array(outer * indices.length * inner);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < indices.length; k++) {
      const idx = indices[k]!;
      for (let c = 0; c < inner; c++) map[i++] = idx >= 0 && idx < dim ? (o * dim + idx) * inner + c : -1;
    }
  }
  return map;
}

function sliceMap(shape: readonly number[], begin: unknown, outShape: readonly number[]): Int32Array {
  const starts = Array.isArray(begin) ? (begin as number[]) : [typeof begin === 'number' ? begin : 0];
  const inStrides = stridesOf(shape);
  const map = new Int32Array(sizeOf(outShape));
  forEachCoord(outShape, (coords, i) => {
    let j = 0;
    for (let a = 0; a < outShape.length; a++) j += (coords[a]! + (starts[a] ?? 0)) * inStrides[a]!;
    map[i] = j;
  });
  return map;
}

/** Kernels the interpreter knows. */
export const EXACT_KERNELS: readonly string[] = [
  ...Object.keys(UNARY),
  ...Object.keys(BINARY),
  ...PASS_THROUGH,
  'Cast',
  'Fill',
  'AddN',
  'Select',
  'Sum',
  'Mean',
  'Prod',
  'Max',
  'Min',
  'Softmax',
  'BatchMatMul',
  '_FusedMatMul',
  'Transpose',
  'Tile',
  'BroadcastTo',
  'Slice',
  'Concat',
  'GatherV2',
  'PadV2',
  'Conv2D',
].sort();

/** Run a recorded trace in float64, kernel by kernel, each kernel fed the exact outputs of its predecessors. */
export function runExact(trace: Trace): ExactRun {
  const it = new Interpreter();
  for (const call of trace.calls) it.run(call);
  return { tensors: it.tensors, leaves: it.leaves, unsupported: it.unsupported };
}
