/**
 * The exact interpreter: run a recorded kernel trace (./provenance.ts, `trace: true`) again in
 * float64, kernel by kernel, feeding each kernel the exact outputs of the kernels before it instead
 * of their float32 results. A tensor no kernel produced (an input, a constant) enters exactly as
 * its float32 elements. The float32 outputs of the trace are then compared with these exact ones
 * (./explain.ts).
 *
 * "Exact" here is float64: 29 more bits than float32 and a range up to 1.8e308. Where float64 is
 * not enough the element is marked unsettled instead of trusted: a float64 overflow of a finite
 * value (exp(1000)), and a sum or difference of computed values that cancels more than 2^-30 of
 * its terms (1 - sigmoid(40) is 0 in float64 too). Anything computed from an unsettled element is
 * unsettled. The double-double and BigNumber tiers of src/reference are not used yet.
 *
 * A kernel without tensor inputs (LinSpace, Range, a random tensor) makes constants: they enter
 * as given, like inputs. A kernel it does not know leaves its outputs unknown (and everything computed from them): the
 * explanation then names it and falls back to provenance.
 */
import type { Trace, TraceCall, TraceTensor } from './provenance.ts';

/** The exact value of one tensor of the trace. */
export interface ExactValue {
  readonly values: Float64Array;
  /** 1 where float64 could not settle the element (see the module comment); absent when none. */
  readonly unsettled?: Uint8Array;
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
 * Relative cancellation beyond which a float64 sum of computed values is not trusted: 2^-30
 * leaves 23 of float64's 53 bits, far more than the 2^-10 a departure is judged with (./explain.ts).
 */
const CANCEL = 2 ** -30;

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

class Interpreter {
  readonly tensors = new Map<number, ExactValue>();
  readonly leaves = new Set<number>();
  readonly unsupported: TraceCall[] = [];
  /** Tensors computed by a kernel (their exact values carry float64 rounding). */
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
      this.leaves.delete(o.id);
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
        return [this.select(call, ins, out0)];
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
        return [this.transpose(call.inputs.x!.shape, (call.attrs.perm as number[]) ?? [], ins.x!)];
      case 'Tile':
      case 'BroadcastTo':
        return [this.gatherBroadcast(call.inputs.x!.shape, out0.shape, ins.x!)];
      case 'Slice':
        return [this.slice(call, ins.x!)];
      case 'Concat':
        return [this.concat(call, ins)];
      default:
        return undefined;
    }
  }

  private cast(x: ExactValue, dtype: string): ExactValue {
    if (dtype === 'float32') return x;
    const f = dtype === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : (v: number) => (Number.isFinite(v) ? Math.trunc(v) : 0);
    return { values: x.values.map(f), ...(x.unsettled ? { unsettled: x.unsettled } : {}) };
  }

  private unary(k: string, f: Unary, x: ExactValue, attrs: Readonly<Record<string, unknown>>, n: number): ExactValue {
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const v = x.values[i]!;
      const r = f(v, attrs);
      values[i] = r;
      if (x.unsettled?.[i] || (Number.isFinite(v) && (r === Infinity || r === -Infinity) && !unaryPole(k, v))) {
        unsettled ??= new Uint8Array(n);
        unsettled[i] = 1;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private binary(k: string, f: Binary, a: ExactValue, ta: TraceTensor, b: ExactValue, tb: TraceTensor, out: TraceTensor): ExactValue {
    const n = out.values.length;
    const ma = broadcastMap(out.shape, ta.shape);
    const mb = broadcastMap(out.shape, tb.shape);
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    const cancels = (k === 'Add' || k === 'Sub' || k === 'SquaredDifference') && (this.isDerived(ta) || this.isDerived(tb));
    for (let i = 0; i < n; i++) {
      const x = a.values[ma[i]!]!;
      const y = b.values[mb[i]!]!;
      const r = f(x, y);
      values[i] = r;
      let bad = a.unsettled?.[ma[i]!] === 1 || b.unsettled?.[mb[i]!] === 1;
      if (!bad && Number.isFinite(x) && Number.isFinite(y)) {
        if ((r === Infinity || r === -Infinity) && binaryOverflow(k, x, y)) bad = true;
        else if (cancels) {
          const diff = k === 'Add' ? x + y : x - y;
          const scale = Math.abs(x) + Math.abs(y);
          if (scale > 0 && Math.abs(diff) < CANCEL * scale) bad = true;
        }
      }
      if (bad) {
        unsettled ??= new Uint8Array(n);
        unsettled[i] = 1;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private addN(call: TraceCall, ins: Record<string, ExactValue>, n: number): ExactValue {
    const names = Object.keys(call.inputs);
    const terms = names.map((name) => ins[name]!);
    const derived = names.some((name) => this.isDerived(call.inputs[name]));
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      let s = 0;
      let abs = 0;
      let bad = false;
      for (const t of terms) {
        s += t.values[i]!;
        abs += Math.abs(t.values[i]!);
        if (t.unsettled?.[i]) bad = true;
      }
      values[i] = s;
      if (bad || (derived && Number.isFinite(abs) && abs > 0 && Math.abs(s) < CANCEL * abs) || (Number.isFinite(abs) && !Number.isFinite(s))) {
        unsettled ??= new Uint8Array(n);
        unsettled[i] = 1;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private select(call: TraceCall, ins: Record<string, ExactValue>, out: TraceTensor): ExactValue {
    const n = out.values.length;
    const c = ins.condition!;
    const t = ins.t!;
    const e = ins.e!;
    const rows = c.values.length;
    const per = rows === n ? 1 : n / rows;
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const ci = per === 1 ? i : Math.floor(i / per);
      const pick = c.values[ci] !== 0 ? t : e;
      values[i] = pick.values[i]!;
      if (c.unsettled?.[ci] || pick.unsettled?.[i]) {
        unsettled ??= new Uint8Array(n);
        unsettled[i] = 1;
      }
    }
    void call;
    return unsettled ? { values, unsettled } : { values };
  }

  private reduce(k: string, call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.x!.shape;
    const axes = axesOf(call.attrs, k === 'Max' || k === 'Min' ? ('reductionIndices' in call.attrs ? 'reductionIndices' : 'axis') : 'axis', shape.length);
    const { map, outSize } = reductionMap(shape, axes);
    const derived = this.isDerived(call.inputs.x);
    const acc = new Float64Array(outSize).fill(k === 'Prod' ? 1 : k === 'Max' ? -Infinity : k === 'Min' ? Infinity : 0);
    const comp = new Float64Array(outSize);
    const abs = new Float64Array(outSize);
    const count = new Float64Array(outSize);
    const nan = new Uint8Array(outSize);
    let unsettled: Uint8Array | undefined;
    const n = x.values.length;
    for (let i = 0; i < n; i++) {
      const j = map[i]!;
      const v = x.values[i]!;
      count[j]!++;
      if (x.unsettled?.[i]) {
        unsettled ??= new Uint8Array(outSize);
        unsettled[j] = 1;
      }
      if (Number.isNaN(v)) nan[j] = 1;
      if (k === 'Sum' || k === 'Mean') {
        // Neumaier's compensated sum
        const s = acc[j]!;
        const t = s + v;
        comp[j]! += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
        acc[j] = t;
        abs[j]! += Math.abs(v);
      } else if (k === 'Prod') acc[j]! *= v;
      else if (k === 'Max') acc[j] = v > acc[j]! ? v : acc[j]!;
      else acc[j] = v < acc[j]! ? v : acc[j]!;
    }
    const values = new Float64Array(outSize);
    for (let j = 0; j < outSize; j++) {
      let r = acc[j]!;
      if (k === 'Sum' || k === 'Mean') {
        if (Number.isFinite(r)) r += comp[j]!;
        if (Number.isFinite(abs[j]!) && !Number.isFinite(r)) {
          unsettled ??= new Uint8Array(outSize);
          unsettled[j] = 1;
        } else if (derived && Number.isFinite(abs[j]!) && abs[j]! > 0 && Math.abs(r) < CANCEL * abs[j]!) {
          unsettled ??= new Uint8Array(outSize);
          unsettled[j] = 1;
        }
        if (k === 'Mean') r /= count[j]!;
      } else if (k === 'Prod' && !Number.isFinite(r) && !unsettled?.[j]) {
        unsettled ??= new Uint8Array(outSize);
        unsettled[j] = 1;
      }
      values[j] = nan[j] ? NaN : r;
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private softmax(call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.logits!.shape;
    const cols = shape[shape.length - 1] ?? 1;
    const n = x.values.length;
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    for (let r = 0; r < n; r += cols) {
      let max = -Infinity;
      let bad = false;
      for (let c = 0; c < cols; c++) {
        max = Math.max(max, x.values[r + c]!);
        if (x.unsettled?.[r + c]) bad = true;
      }
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(x.values[r + c]! - max);
      for (let c = 0; c < cols; c++) {
        values[r + c] = Math.exp(x.values[r + c]! - max) / sum;
        if (bad) {
          unsettled ??= new Uint8Array(n);
          unsettled[r + c] = 1;
        }
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private matMul(call: TraceCall, ins: Record<string, ExactValue>): ExactValue[] | undefined {
    const ta = call.inputs.a!;
    const tb = call.inputs.b!;
    const out = call.outputs[0]!;
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
    const biasMap = bias && call.inputs.bias ? broadcastMap(out.shape, call.inputs.bias.shape) : undefined;
    const size = batch * m * nn;
    if (size !== out.values.length) return undefined;
    const derived = this.isDerived(ta) || this.isDerived(tb);
    const values = new Float64Array(size);
    let unsettled: Uint8Array | undefined;
    for (let q = 0; q < batch; q++) {
      const oa = (batchA === 1 ? 0 : q) * m * kk;
      const ob = (batchB === 1 ? 0 : q) * kk * nn;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < nn; j++) {
          let s = 0;
          let abs = 0;
          let bad = false;
          for (let p = 0; p < kk; p++) {
            const ia = oa + (transA ? p * m + i : i * kk + p);
            const ib = ob + (transB ? j * kk + p : p * nn + j);
            const t = a.values[ia]! * b.values[ib]!;
            s += t;
            abs += Math.abs(t);
            if (a.unsettled?.[ia] || b.unsettled?.[ib]) bad = true;
          }
          const o = q * m * nn + i * nn + j;
          if (bias && biasMap) {
            s += bias.values[biasMap[o]!]!;
            if (bias.unsettled?.[biasMap[o]!]) bad = true;
          }
          if (activation === 'relu') s = Math.max(s, 0);
          values[o] = s;
          if (bad || (Number.isFinite(abs) && !Number.isFinite(s)) || (derived && abs > 0 && Math.abs(s) < CANCEL * abs)) {
            unsettled ??= new Uint8Array(size);
            unsettled[o] = 1;
          }
        }
      }
    }
    return [unsettled ? { values, unsettled } : { values }];
  }

  private transpose(shape: readonly number[], perm: readonly number[], x: ExactValue): ExactValue {
    const outShape = perm.map((p) => shape[p]!);
    const inStrides = stridesOf(shape);
    const n = x.values.length;
    const values = new Float64Array(n);
    const unsettled = x.unsettled ? new Uint8Array(n) : undefined;
    const coords = new Array<number>(outShape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let j = 0;
      for (let a = 0; a < outShape.length; a++) j += coords[a]! * inStrides[perm[a]!]!;
      values[i] = x.values[j]!;
      if (unsettled) unsettled[i] = x.unsettled![j]!;
      for (let a = outShape.length - 1; a >= 0; a--) {
        coords[a]!++;
        if (coords[a]! < outShape[a]!) break;
        coords[a] = 0;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  /** Tile and BroadcastTo: each output element reads input element (coordinate modulo the input's size). */
  private gatherBroadcast(shape: readonly number[], outShape: readonly number[], x: ExactValue): ExactValue {
    const n = sizeOf(outShape);
    const offset = outShape.length - shape.length;
    const inStrides = stridesOf(shape);
    const values = new Float64Array(n);
    const unsettled = x.unsettled ? new Uint8Array(n) : undefined;
    const coords = new Array<number>(outShape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let j = 0;
      for (let a = offset; a < outShape.length; a++) j += (coords[a]! % shape[a - offset]!) * inStrides[a - offset]!;
      values[i] = x.values[j]!;
      if (unsettled) unsettled[i] = x.unsettled![j]!;
      for (let a = outShape.length - 1; a >= 0; a--) {
        coords[a]!++;
        if (coords[a]! < outShape[a]!) break;
        coords[a] = 0;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private slice(call: TraceCall, x: ExactValue): ExactValue {
    const shape = call.inputs.x!.shape;
    const begin = (call.attrs.begin as number[] | number | undefined) ?? [];
    const starts = Array.isArray(begin) ? begin : [begin];
    const outShape = call.outputs[0]!.shape;
    const inStrides = stridesOf(shape);
    const n = sizeOf(outShape);
    const values = new Float64Array(n);
    const unsettled = x.unsettled ? new Uint8Array(n) : undefined;
    const coords = new Array<number>(outShape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let j = 0;
      for (let a = 0; a < outShape.length; a++) j += (coords[a]! + (starts[a] ?? 0)) * inStrides[a]!;
      values[i] = x.values[j]!;
      if (unsettled) unsettled[i] = x.unsettled![j]!;
      for (let a = outShape.length - 1; a >= 0; a--) {
        coords[a]!++;
        if (coords[a]! < outShape[a]!) break;
        coords[a] = 0;
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }

  private concat(call: TraceCall, ins: Record<string, ExactValue>): ExactValue {
    const names = Object.keys(call.inputs);
    const outShape = call.outputs[0]!.shape;
    const rank = outShape.length;
    const axis = ((num(call.attrs, 'axis', 0) % rank) + rank) % rank;
    const outer = sizeOf(outShape.slice(0, axis));
    const n = sizeOf(outShape);
    const values = new Float64Array(n);
    let unsettled: Uint8Array | undefined;
    let o = 0;
    for (let r = 0; r < outer; r++) {
      for (const name of names) {
        const t = call.inputs[name]!;
        const inner = sizeOf(t.shape.slice(axis));
        const v = ins[name]!;
        for (let c = 0; c < inner; c++, o++) {
          values[o] = v.values[r * inner + c]!;
          if (v.unsettled?.[r * inner + c]) {
            unsettled ??= new Uint8Array(n);
            unsettled[o] = 1;
          }
        }
      }
    }
    return unsettled ? { values, unsettled } : { values };
  }
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
].sort();

/** Run a recorded trace in float64, kernel by kernel, each kernel fed the exact outputs of its predecessors. */
export function runExact(trace: Trace): ExactRun {
  const it = new Interpreter();
  for (const call of trace.calls) it.run(call);
  return { tensors: it.tensors, leaves: it.leaves, unsupported: it.unsupported };
}
