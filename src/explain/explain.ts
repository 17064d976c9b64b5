/**
 * Explain a failure: compare a recorded kernel trace with its exact re-execution (./exact.ts) and
 * say why the result is non-finite (or inaccurate), and whether it is a bug at all.
 *
 * From the failing element back to where the trouble began: a kernel's float32 output element
 * departs from the exact one when their relative difference exceeds {@link DEPARTURE} (or one is
 * non-finite and the other not). Walking back from the failing element through departing inputs
 * ends at the origin, the kernel whose output departs while its inputs do not: its mechanism is
 * named (overflow, underflow to 0, cancellation, 0·Infinity, Infinity - Infinity, 0/0, log of 0,
 * division by 0, domain error, rounding). When nothing departs (the exact result is non-finite
 * too), the walk follows the non-finite value back to where it was born instead.
 *
 * The verdict compares the exact final result with the float32 one: `inherent` when the exact
 * result is itself out of float32's range (its correct rounding is the ±Infinity observed) or
 * undefined (NaN); `artifact` when it is a finite float32 number the computation missed;
 * `unknown` when the trace has a kernel the interpreter does not know on the way, or float64
 * cannot settle the exact value.
 */
import type { Location } from '../check/invariant.ts';
import type { ExactElement, Observation } from '../run/observation.ts';
import { runExact, type ExactRun, type ExactValue } from './exact.ts';
import type { Trace, TraceCall, TraceTensor } from './provenance.ts';

export type Verdict = 'artifact' | 'inherent' | 'unknown';

export type Mechanism =
  | 'overflow'
  | 'underflow to 0'
  | 'cancellation'
  | '0·Infinity'
  | 'Infinity - Infinity'
  | '0/0'
  | 'Infinity/Infinity'
  | 'log of 0'
  | 'division by 0'
  | 'domain error'
  | 'rounding';

/** A kernel call of the explanation with the element followed through it. */
export interface ExplainedStep {
  readonly kernel: string;
  /** Position in the run, from 0 (as provenance numbers kernels). */
  readonly step: number;
  /** Flat index of the element followed in the call's output. */
  readonly index: number;
  /** Its float32 value and its exact value (float64). */
  readonly value: number;
  readonly exact: number;
}

export interface Explanation {
  readonly verdict: Verdict;
  /** The origin: the first kernel on the way whose float32 result departs from the exact one (or where the non-finite value was born). */
  readonly origin?: ExplainedStep;
  readonly mechanism?: Mechanism;
  /** The failing element's exact value (float64; NaN when undefined). */
  readonly exact?: number;
  /** Kernels on the way without an exact interpreter (the verdict is then `unknown`). */
  readonly unsupported?: readonly string[];
  /**
   * The way from the origin to the failing element, kernel by kernel (the origin first): each
   * kernel's float32 value of the followed element next to its exact value.
   */
  readonly path?: readonly ExplainedStep[];
  /** The explanation in words, one sentence or a few. */
  readonly text: string;
}

/** Relative difference beyond which a float32 result departs from the exact one (2^-10, about 0.1%). */
export const DEPARTURE = 2 ** -10;

/** How far a float32 value is from the exact one: 0 when they agree, Infinity when one is non-finite and the other not. */
export function departure(value: number, exact: number): number {
  if (Number.isNaN(value) || Number.isNaN(exact)) return Number.isNaN(value) && Number.isNaN(exact) ? 0 : Infinity;
  if (value === exact) return 0;
  if (!Number.isFinite(value) || !Number.isFinite(exact)) return Infinity;
  return exact === 0 ? Infinity : Math.abs(value - exact) / Math.abs(exact);
}

function isBad(v: number): boolean {
  return !Number.isFinite(v);
}

/** The index of the element of `shape` that element `index` of the broadcast shape `out` reads. */
function broadcastIndex(out: readonly number[], shape: readonly number[], index: number): number {
  let size = 1;
  for (const d of shape) size *= d;
  let outSize = 1;
  for (const d of out) outSize *= d;
  if (size === outSize) return index;
  if (size === 1) return 0;
  let rest = index;
  let j = 0;
  let stride = 1;
  for (let a = out.length - 1; a >= 0; a--) {
    const c = rest % out[a]!;
    rest = Math.floor(rest / out[a]!);
    const ia = a - (out.length - shape.length);
    if (ia < 0) break;
    const d = shape[ia]!;
    if (d !== 1) j += c * stride;
    stride *= d;
  }
  return j;
}

/** Kernels whose output element i reads element i (broadcast) of each input. */
const ELEMENTWISE = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'Ceil',
  'Cos',
  'Cosh',
  'Elu',
  'Exp',
  'Expm1',
  'Floor',
  'IsFinite',
  'IsInf',
  'IsNan',
  'LeakyRelu',
  'Log',
  'Log1p',
  'LogicalNot',
  'Neg',
  'Reciprocal',
  'Relu',
  'Relu6',
  'Round',
  'Rsqrt',
  'Selu',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Softplus',
  'Sqrt',
  'Square',
  'Step',
  'Tan',
  'Tanh',
  'ClipByValue',
  'Cast',
  'Identity',
  'Reshape',
  'ExpandDims',
  'Squeeze',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Pow',
  'Maximum',
  'Minimum',
  'SquaredDifference',
  'Atan2',
  'FloorDiv',
  'Mod',
  'Prelu',
  'AddN',
  'Select',
]);

const ADDITIVE = new Set(['Add', 'Sub', 'SquaredDifference', 'AddN', 'Sum', 'Mean', 'BatchMatMul', '_FusedMatMul']);

interface Node {
  readonly call: TraceCall;
  readonly out: number;
  readonly index: number;
}

class Explainer {
  /** Tensor id -> the first call that produced it and which output. */
  private readonly producer = new Map<number, { call: TraceCall; out: number }>();

  constructor(
    readonly trace: Trace,
    readonly run: ExactRun,
  ) {
    for (const call of trace.calls) {
      call.outputs.forEach((o, out) => {
        if (!this.producer.has(o.id)) this.producer.set(o.id, { call, out });
      });
    }
  }

  exactOf(t: TraceTensor): ExactValue | undefined {
    return this.run.tensors.get(t.id);
  }

  /** Float32 value, exact value and settledness of element i of a tensor. */
  element(t: TraceTensor, i: number): { value: number; exact: number; settled: boolean } | undefined {
    const e = this.exactOf(t);
    if (!e) return undefined;
    return { value: t.values[i]!, exact: e.values[i]!, settled: !e.unsettled?.[i] };
  }

  /** The element of input `name` that output element `index` of `call` reads; for other kernels the most departing (or first non-finite) one. */
  inputIndex(call: TraceCall, name: string, index: number, mode: 'depart' | 'nonfinite'): number {
    const t = call.inputs[name]!;
    const out = call.outputs[0]!;
    if (ELEMENTWISE.has(call.kernel)) {
      if (call.kernel === 'Select' && name === 'condition' && t.values.length !== out.values.length) {
        return Math.floor(index / (out.values.length / t.values.length));
      }
      return broadcastIndex(out.shape, t.shape, index);
    }
    const e = this.exactOf(t);
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < t.values.length; i++) {
      const v = t.values[i]!;
      const score = mode === 'nonfinite' ? (isBad(v) ? (Number.isNaN(v) ? 2 : 1) : 0) : e && !e.unsettled?.[i] ? departure(v, e.values[i]!) : 0;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  /** The inputs of a node: name, tensor, element and its producer (undefined for a leaf). */
  inputsOf(node: Node, mode: 'depart' | 'nonfinite') {
    return Object.entries(node.call.inputs).map(([name, t]) => {
      const index = this.inputIndex(node.call, name, node.index, mode);
      const p = this.producer.get(t.id);
      const from = p && p.call.step < node.call.step ? p : undefined;
      return { name, t, index, from };
    });
  }

  /** Walk back from the failing element: the chain from origin to the failing element, origin first. */
  walk(start: Node, mode: 'depart' | 'nonfinite'): Node[] {
    const chain: Node[] = [start];
    let node = start;
    for (;;) {
      let next: Node | undefined;
      let bestScore = 0;
      for (const input of this.inputsOf(node, mode)) {
        const el = this.element(input.t, input.index);
        if (!el || !input.from) continue;
        const score = mode === 'depart' ? (el.settled ? departure(el.value, el.exact) : 0) : isBad(el.value) ? (Number.isNaN(el.value) ? 2 : 1) : 0;
        if (score <= (mode === 'depart' ? DEPARTURE : 0)) continue;
        if (score > bestScore || (score === bestScore && next !== undefined && input.from.call.step < next.call.step)) {
          bestScore = score;
          next = { call: input.from.call, out: input.from.out, index: input.index };
        }
      }
      if (!next) break;
      chain.unshift(next);
      node = next;
    }
    return chain;
  }

  /** The float32 values of a node's inputs at the element it reads, in input order. */
  operands(node: Node): number[] {
    return this.inputsOf(node, 'nonfinite').map((i) => i.t.values[i.index]!);
  }

  mechanism(node: Node): Mechanism {
    const { call } = node;
    const k = call.kernel;
    const out = call.outputs[node.out]!;
    const y = out.values[node.index]!;
    const e = this.exactOf(out)?.values[node.index] ?? NaN;
    const ops = this.operands(node);
    const [a = NaN, b = NaN] = ops;
    const all = Object.values(call.inputs).flatMap((t) => Array.from(t.values));
    if (Number.isNaN(y)) {
      if (k === 'Multiply' && ((a === 0 && isBad(b)) || (b === 0 && isBad(a)))) return '0·Infinity';
      if ((k === 'Add' && isBad(a) && a === -b) || (k === 'Sub' && isBad(a) && a === b)) return 'Infinity - Infinity';
      if (k === 'RealDiv' && a === 0 && b === 0) return '0/0';
      if (k === 'RealDiv' && isBad(a) && isBad(b)) return 'Infinity/Infinity';
      if (['Sum', 'Mean', 'AddN'].includes(k) && all.includes(Infinity) && all.includes(-Infinity)) return 'Infinity - Infinity';
      if (['Prod', 'BatchMatMul', '_FusedMatMul'].includes(k) && all.includes(0) && all.some((v) => v === Infinity || v === -Infinity)) return '0·Infinity';
      return 'domain error';
    }
    if (isBad(y)) {
      if ((k === 'Log' && a === 0) || (k === 'Log1p' && a === -1)) return 'log of 0';
      if ((k === 'RealDiv' && b === 0) || ((k === 'Reciprocal' || k === 'Rsqrt') && a === 0) || (k === 'Pow' && a === 0 && b < 0)) return 'division by 0';
      return 'overflow';
    }
    const scale = ops.reduce((s, v) => s + Math.abs(v), 0);
    if (ADDITIVE.has(k) && y === 0 && e !== 0 && scale > 0) return 'cancellation';
    if (ADDITIVE.has(k) && Number.isFinite(scale) && Math.abs(e) * 256 < (ELEMENTWISE.has(k) ? scale : Math.max(...all.map(Math.abs)))) return 'cancellation';
    if (y === 0 && e !== 0) return 'underflow to 0';
    return 'rounding';
  }

  describe(node: Node, mechanism: Mechanism | undefined): string {
    const { call } = node;
    const name = `${call.kernel} #${call.step}`;
    const out = call.outputs[node.out]!;
    const y = out.values[node.index]!;
    const e = this.exactOf(out)?.values[node.index] ?? NaN;
    const [a = NaN, b = NaN] = this.operands(node);
    const exactly = Number.isFinite(e) && departure(y, e) > DEPARTURE ? ` (exactly ${formatExact(e, y)})` : '';
    const symbol = OPERATORS[call.kernel];
    const computed = symbol && this.operands(node).length === 2 ? `${name} computed ${fmt(a)} ${symbol} ${fmt(b)} = ${fmt(y)}${exactly}` : undefined;
    switch (mechanism) {
      case 'overflow':
        return `${name} overflowed${Number.isFinite(e) ? ` (exact ${formatShort(e)})` : ''}`;
      case 'underflow to 0':
        return `${name} underflowed to 0${exactly}`;
      case 'cancellation':
        return `${computed ?? `${name} computed ${fmt(y)}${exactly}`}: cancellation`;
      case 'rounding':
        return `${name} computed ${fmt(y)}${exactly}: rounding error`;
      case 'log of 0':
        return `${name} gave ${fmt(y)} (log of 0)`;
      case 'domain error':
        return `${name} of ${fmt(a)} gave NaN: domain error`;
      case undefined:
        return computed && (Number.isNaN(y) || exactly) ? computed : `${name} gave ${fmt(y)}`;
      default:
        return `${computed ?? `${name} gave ${fmt(y)}`}: ${mechanism}`;
    }
  }

  /** Inputs of the origin rounded by their producer (float32 differs from exact): "Sigmoid #1 rounded 0.99999998 to 1". */
  roundings(node: Node): string[] {
    const lines: string[] = [];
    for (const input of this.inputsOf(node, 'depart')) {
      const el = this.element(input.t, input.index);
      if (!el || !input.from || !el.settled || el.value === el.exact || !Number.isFinite(el.exact)) continue;
      lines.push(`${input.from.call.kernel} #${input.from.call.step} rounded ${formatExact(el.exact, el.value)} to ${fmt(el.value)}`);
    }
    return lines;
  }
}

const OPERATORS: Readonly<Record<string, string>> = { Add: '+', Sub: '-', Multiply: '·', RealDiv: '/', Pow: '^' };

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Math.fround(v) === v) {
    for (let p = 1; p <= 9; p++) {
      const t = Number(v.toPrecision(p));
      if (Math.fround(t) === v) return String(t).replace('e+', 'e');
    }
  }
  return String(v).replace('e+', 'e');
}

/** A number with the fewest significant digits (at most `digits`) within 0.1% of it: 18, 1.5e-8, 2.69e43. */
function formatShort(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return fmt(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  for (let p = 1; p <= digits; p++) {
    const t = Number(v.toPrecision(p));
    if (p === digits || Math.abs(t - v) <= 1e-3 * Math.abs(v)) return String(t).replace('e+', 'e');
  }
  return String(v);
}

/** An exact value with just enough digits to differ from the float32 value it was rounded to (two at least). */
function formatExact(exact: number, value: number): string {
  if (!Number.isFinite(exact)) return fmt(exact);
  for (let p = 2; p <= 9; p++) {
    const t = Number(exact.toPrecision(p));
    if (t !== value || p === 9) return String(t).replace('e+', 'e');
  }
  return String(exact);
}

function sentenceCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The failing element as the trace sees it: the last call output equal to `data` (NaN-aware), and
 * the element's index in it. Undefined when no kernel produced that tensor.
 */
function findOutput(trace: Trace, data: ArrayLike<number>): { call: TraceCall; out: number } | undefined {
  for (let c = trace.calls.length - 1; c >= 0; c--) {
    const call = trace.calls[c]!;
    for (let o = 0; o < call.outputs.length; o++) {
      const v = call.outputs[o]!.values;
      if (v.length !== data.length) continue;
      let same = true;
      for (let i = 0; i < v.length && same; i++) same = Object.is(v[i], data[i]) || (v[i] === data[i] && v[i] !== 0) || (v[i] === 0 && data[i] === 0);
      if (same) return { call, out: o };
    }
  }
  return undefined;
}

/** The exact value of the tensor holding `data` (the last kernel output equal to it), by re-running the trace exactly; undefined if unknown. */
export function exactTensorOf(trace: Trace, data: ArrayLike<number>, run: ExactRun = runExact(trace)): ExactValue | undefined {
  const found = findOutput(trace, data);
  return found ? run.tensors.get(found.call.outputs[found.out]!.id) : undefined;
}

/** Exact value of element `index` of the tensor holding `data`, by re-running the trace exactly (undefined if unknown). */
export function exactElement(trace: Trace, data: ArrayLike<number>, index: number, run: ExactRun = runExact(trace)): ExactElement | undefined {
  const e = exactTensorOf(trace, data, run);
  if (!e) return undefined;
  return { value: e.values[index]!, settled: !e.unsettled?.[index] };
}

/**
 * Explain element `index` of the output (or gradient) holding `data` in a recorded trace: the
 * origin, its mechanism, and the verdict.
 */
export function explainTrace(trace: Trace, data: ArrayLike<number>, index: number, run: ExactRun = runExact(trace)): Explanation {
  const found = findOutput(trace, data);
  if (!found) return { verdict: 'unknown', text: 'No kernel produced this output: nothing to explain.' };
  const ex = new Explainer(trace, run);
  const target: Node = { call: found.call, out: found.out, index };
  const t = found.call.outputs[found.out]!;
  const el = ex.element(t, index);
  if (!el) {
    const names = [...new Set(run.unsupported.filter((c) => c.step <= found.call.step).map((c) => `${c.kernel} #${c.step}`))];
    const which = names.length > 0 ? names.join(', ') : 'a kernel';
    return {
      verdict: 'unknown',
      unsupported: names,
      text: `No exact interpreter for ${which}: the explanation stops at provenance.`,
    };
  }
  const y = el.value;
  const e = el.exact;
  const departs = el.settled && departure(y, e) > DEPARTURE;
  const chain = ex.walk(target, departs ? 'depart' : 'nonfinite');
  const origin = chain[0]!;
  const originOut = origin.call.outputs[origin.out]!;
  const originEl = ex.element(originOut, origin.index)!;
  const mechanism = departs || isBad(originEl.value) ? ex.mechanism(origin) : undefined;
  const parts: string[] = [];
  if (departs && (mechanism === 'cancellation' || mechanism === 'rounding')) parts.push(...ex.roundings(origin));
  parts.push(ex.describe(origin, mechanism));
  // the consequences: where the followed value changed kind (finite, ±Infinity, NaN) on the way
  const kind = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? '+inf' : v === -Infinity ? '-inf' : 'finite');
  let previous = kind(originEl.value);
  const later: string[] = [];
  for (const node of chain.slice(1)) {
    const v = node.call.outputs[node.out]!.values[node.index]!;
    if (kind(v) !== previous) later.push(ex.describe(node, undefined));
    previous = kind(v);
  }
  // nothing changed kind on the way: say what the failing kernel gave
  if (later.length === 0 && chain.length > 1) later.push(ex.describe(chain[chain.length - 1]!, undefined));
  parts.push(...(later.length > 4 ? [...later.slice(0, 3), `… ${later.length - 4} more`, later[later.length - 1]!] : later));
  const originStep: ExplainedStep = { kernel: origin.call.kernel, step: origin.call.step, index: origin.index, value: originEl.value, exact: originEl.exact };
  const path = chain.flatMap((node): ExplainedStep[] => {
    const v = ex.element(node.call.outputs[node.out]!, node.index);
    return v ? [{ kernel: node.call.kernel, step: node.call.step, index: node.index, value: v.value, exact: v.exact }] : [];
  });
  const base = { origin: originStep, ...(mechanism ? { mechanism } : {}), exact: e, path };
  if (!el.settled) {
    return {
      verdict: 'unknown',
      ...base,
      text: `${parts.join('; ')}. Unknown: the exact re-run cannot settle the exact result (it overflows float64, or cancels beyond its precision).`,
    };
  }
  const story = parts.join('; ');
  if (Number.isNaN(e)) {
    return { verdict: 'inherent', ...base, text: `${story}, and the exact result is undefined too: inherent, the input is the problem.` };
  }
  if (!Number.isFinite(e) && e === y) {
    return { verdict: 'inherent', ...base, text: `${story}, and the exact result is ${fmt(e)} too: inherent, the input is the problem.` };
  }
  if (isBad(y) && Math.fround(e) === y) {
    const same = chain.length === 1 || departure(originEl.exact, e) <= DEPARTURE ? ` too` : '';
    return {
      verdict: 'inherent',
      ...base,
      text: `${story}, and the exact final result is ${formatShort(e)}${same}: inherent, ${fmt(y)} is the correctly rounded answer.`,
    };
  }
  if (departs) {
    return { verdict: 'artifact', ...base, text: `${story}. Artifact: the exact result is ${formatShort(e)}.` };
  }
  return { verdict: 'unknown', ...base, text: `${sentenceCase(story)}. The float32 result agrees with the exact one (${formatShort(e)}).` };
}

/**
 * Explain a located violation of a recorded run (the minimal case re-run with a full trace):
 * undefined when the violation has no element, or when that element is finite and float32 agrees
 * with the exact result (nothing to explain).
 */
export function explainViolation(trace: Trace, observation: Observation, location: Location | undefined): Explanation | undefined {
  if (!location) return undefined;
  const tensors = location.kind === 'output' ? observation.outputs : observation.gradients;
  const t = tensors.find((r) => r.name === location.tensor);
  if (t?.dtype !== 'float32') return undefined;
  const run = runExact(trace);
  const ex = explainTrace(trace, t.data, location.index, run);
  if (!trace.complete && ex.verdict === 'unknown') return { ...ex, text: `${ex.text} (the trace was cut at ${trace.calls.length} kernels)` };
  const value = t.data[location.index]!;
  if (Number.isFinite(value) && ex.verdict === 'unknown' && ex.unsupported === undefined && ex.origin !== undefined) return undefined;
  return ex;
}
