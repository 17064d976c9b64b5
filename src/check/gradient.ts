/**
 * Gradient checks: tf.grads against exact derivatives.
 *
 * For a differentiable subject f (tf.Tensors in, one tf.Tensor out) the gradient tfjs computes,
 * d(sum f)/dx, is compared element by element with
 *
 * - the exact derivative when one is given (src/reference/derivatives.ts has them for the
 *   reference ops: sqrt'(0) = +Infinity, the norm's subgradient 0 at the zero vector, pow at 0...),
 * - otherwise a central difference of the exact reference: Richardson-extrapolated
 *   (4·D(h/2) - D(h))/3 over the reference evaluated in float64 between float32 values (step
 *   2^-12·|x|, at least 2^-16 of the tensor's largest |x|), accurate to about 1e-9 relative,
 *   far below float32's 6e-8. One-sided differences on both sides detect kinks (|x| at 0, relu,
 *   hinge at the margin): where they disagree every value between them is accepted. Where
 *   only one side is defined (sqrt at 0) a one-sided difference is used, and a difference that
 *   keeps growing as the step halves is read as an infinite derivative.
 *
 * Non-finite gradients where the exact derivative is finite are the headline failures (norm at
 * the zero vector gives NaN in tfjs; pow(0, 0)'s base gradient is 0 * Infinity = NaN). Elements
 * whose exact derivative does not exist (kind nan: log' at -1) are not checked.
 *
 * `checkGradient` runs tf.grads itself and disposes every tensor it makes (tf.memory().numTensors
 * is the same before and after); `gradientMatches` is the Invariant form, reading the gradients
 * the runner put in observation.gradients as `grad(<input name>)`.
 */
import { flushedToZero, flushesSubnormals } from '../core/float32.ts';
import { flushSubnormalInputs } from '../core/tensor-value.ts';
import * as tf from '@tensorflow/tfjs';
import type { Invariant, Observation, ReadTensor, Standalone, Violation } from './invariant.ts';
import { locate, violationKind } from './invariant.ts';
import { measureError, type ErrorMeasure } from './error.ts';
import { withFlushAllowance, withinTolerance, type ReferenceResult } from './accuracy.ts';
import { KIND_FINITE, KIND_NAN, KIND_NEG_INF, KIND_POS_INF, kindName, type ExactKind, type ExactTensor } from '../reference/exact.ts';
import type { DerivativeTensor } from '../reference/derivatives.ts';
import { withReferenceOptions } from '../reference/options.ts';
import { describeTolerance, resolveTolerance, TOLERANCES, type OpTolerance, type Tolerance } from '../reference/tolerances.ts';

/** A tensor-shaped input as the property generated it (a TensorValue or any { shape, data }). */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype?: string;
  readonly data: ArrayLike<number>;
}

export interface GradientCheckOptions<I> {
  /** Exact reference of the subject; its outputs are summed and differentiated numerically. */
  readonly reference?: (inputs: I) => ReferenceResult;
  /** Exact derivative d(sum of outputs)/d(input) per input name; preferred over `reference`. */
  readonly derivative?: (inputs: I) => Readonly<Record<string, DerivativeTensor | ExactTensor>>;
  /** A tolerance, or a per-backend row of the table. Default: the table's 'gradient' row. */
  readonly tolerance?: Tolerance | OpTolerance;
  /** Inputs to differentiate with respect to (default: every float32 tensor input). */
  readonly wrt?: readonly string[];
  /** Backend whose row of the tolerance applies (default: the observation's backend; 'cpu' for checkGradient). */
  readonly backend?: string;
  /** Invariant name (gradientMatches only). */
  readonly name?: string;
}

/** The exact gradient of one input: values, kinds, accepted intervals at kinks, magnitudes. */
export interface ExpectedGradient {
  readonly shape: readonly number[];
  readonly values: Float64Array;
  readonly kinds: Uint8Array;
  /** Interval of accepted values where the derivative is set-valued (NaN elsewhere). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly magnitude: Float64Array;
  /** For elements that are sums: sum of |terms| and the number of terms (see ExactTensor.absSum). */
  readonly absSum?: Float64Array;
  readonly terms?: Float64Array;
  /** 'derivative' or 'central difference'. */
  readonly source: string;
}

export interface GradientElement extends ErrorMeasure {
  readonly input: string;
  readonly tensor: string;
  readonly index: number;
  readonly got: number;
  readonly expected: number;
  readonly kind: ExactKind;
  /** Accepted interval at a kink. */
  readonly interval?: readonly [number, number];
  /** True when the gradient is NaN or ±Infinity although the exact derivative is finite. */
  readonly nonFinite: boolean;
}

export interface GradientReport {
  readonly ok: boolean;
  readonly checked: number;
  /** Elements not checked because the exact derivative does not exist there. */
  readonly skipped: number;
  readonly failures: number;
  /** Failures that are non-finite gradients where the exact derivative is finite. */
  readonly nonFinite: number;
  readonly worst?: GradientElement;
  readonly worstFailure?: GradientElement;
  /** The gradients tfjs computed, as read back. */
  readonly gradients: readonly ReadTensor[];
}

function isTensorLike(x: unknown): x is TensorLike {
  return typeof x === 'object' && x !== null && Array.isArray((x as TensorLike).shape) && typeof (x as TensorLike).data === 'object';
}

/**
 * The tensor inputs by name; nested records are flattened with dotted names (`p.base`), the
 * names the runner gives gradients (`grad(p.base)`).
 */
function entries(inputs: unknown, prefix = ''): [string, unknown][] {
  if (typeof inputs !== 'object' || inputs === null) {
    throw new TypeError('gradient check: inputs must be a record (or array) of tensor values');
  }
  const own: [string, unknown][] = Array.isArray(inputs) ? inputs.map((v, i) => [String(i), v]) : Object.entries(inputs);
  return own.flatMap(([k, v]): [string, unknown][] => {
    const name = prefix + k;
    if (!isTensorLike(v) && typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) return entries(v, `${name}.`);
    return [[name, v]];
  });
}

function withInput<I>(inputs: I, name: string, value: TensorLike): I {
  const dot = name.indexOf('.');
  if (dot !== -1 && !Object.hasOwn(inputs as object, name)) {
    const head = name.slice(0, dot);
    const inner = (inputs as Record<string, unknown>)[head];
    if (typeof inner === 'object' && inner !== null) {
      return { ...(inputs as object), [head]: withInput(inner, name.slice(dot + 1), value) } as I;
    }
  }
  if (Array.isArray(inputs)) {
    const copy = [...inputs];
    copy[Number(name)] = value;
    return copy as I;
  }
  return { ...(inputs as object), [name]: value } as I;
}

function totalOf(r: ReferenceResult): number {
  const list = Array.isArray(r) ? (r as readonly ExactTensor[]) : [r as ExactTensor];
  let s = 0;
  for (const t of list) for (let i = 0; i < t.values.length; i++) s += t.values[i]!;
  return s;
}

/**
 * The expected gradient of sum(outputs) with respect to input `name`: from `derivative` when
 * given, else by central differences of `reference`.
 */
export function expectedGradient<I>(inputs: I, name: string, options: GradientCheckOptions<I>): ExpectedGradient {
  const all = new Map(entries(inputs));
  const x = all.get(name);
  if (!isTensorLike(x)) throw new TypeError(`gradient check: input '${name}' is not a tensor value`);
  const n = x.data.length;
  if (options.derivative !== undefined) {
    const d = options.derivative(inputs)[name];
    if (d !== undefined) {
      if (d.values.length !== n) {
        throw new RangeError(`gradient check: the derivative for '${name}' has ${d.values.length} elements but the input has ${n}`);
      }
      const dt = d as DerivativeTensor;
      return {
        shape: [...x.shape],
        values: d.values,
        kinds: d.kinds,
        lower: dt.lower ?? new Float64Array(n).fill(NaN),
        upper: dt.upper ?? new Float64Array(n).fill(NaN),
        magnitude: d.magnitude ?? Float64Array.from(d.values, Math.abs),
        ...(d.absSum && d.terms ? { absSum: d.absSum, terms: d.terms } : {}),
        source: 'derivative',
      };
    }
  }
  if (options.reference === undefined) {
    throw new TypeError(`gradient check: no derivative for input '${name}' and no reference to differentiate`);
  }
  return centralDifference(inputs, name, x, options.reference);
}

function centralDifference<I>(inputs: I, name: string, x: TensorLike, reference: (inputs: I) => ReferenceResult): ExpectedGradient {
  const n = x.data.length;
  const base = Float64Array.from(x.data);
  const values = new Float64Array(n);
  const kinds = new Uint8Array(n);
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const magnitude = new Float64Array(n);
  let scale = 0;
  for (const v of base) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  if (scale === 0) scale = 1;
  const work = Float64Array.from(base);
  const F = (j: number, dx: number): number => {
    work[j] = base[j]! + dx;
    const r = withReferenceOptions({ inputs: 'float64' }, () => reference(withInput(inputs, name, { shape: x.shape, dtype: 'float32', data: work })));
    work[j] = base[j]!;
    return totalOf(r);
  };
  const f0 = withReferenceOptions({ inputs: 'float64' }, () => totalOf(reference(inputs)));
  for (let j = 0; j < n; j++) {
    const xj = base[j]!;
    if (!Number.isFinite(xj) || !Number.isFinite(f0)) {
      values[j] = NaN;
      kinds[j] = KIND_NAN;
      continue;
    }
    // Relative steps keep kinks at 0 out of reach; the floor keeps the difference above the
    // rounding noise of the other outputs in the sum.
    const h = Math.max(Math.abs(xj) * 2 ** -12, scale * 2 ** -16);
    const fp1 = F(j, h);
    const fp2 = F(j, h / 2);
    const fm1 = F(j, -h);
    const fm2 = F(j, -h / 2);
    const plus = Number.isFinite(fp1) && Number.isFinite(fp2);
    const minus = Number.isFinite(fm1) && Number.isFinite(fm2);
    const rp = 2 * ((fp2 - f0) / (h / 2)) - (fp1 - f0) / h;
    const rm = 2 * ((f0 - fm2) / (h / 2)) - (f0 - fm1) / h;
    if (plus && minus) {
      const d1 = (fp1 - fm1) / (2 * h);
      const d2 = (fp2 - fm2) / h;
      const r = (4 * d2 - d1) / 3;
      const noise = (2 ** -40 * (Math.abs(f0) + Math.abs(fp1) + Math.abs(fm1))) / h;
      if (Math.abs(rp - rm) > 1e-3 * Math.max(Math.abs(rp), Math.abs(rm)) + noise) {
        values[j] = (rp + rm) / 2;
        lower[j] = Math.min(rp, rm);
        upper[j] = Math.max(rp, rm);
      } else {
        values[j] = r;
      }
      kinds[j] = KIND_FINITE;
      magnitude[j] = Math.max(Math.abs(values[j]!), Math.abs(rp), Math.abs(rm));
      continue;
    }
    if (!plus && !minus) {
      values[j] = NaN;
      kinds[j] = KIND_NAN;
      continue;
    }
    // One-sided: is the difference quotient settling, or growing without bound?
    const sign = plus ? 1 : -1;
    const q = (k: number): number => (F(j, (sign * h) / k) - f0) / ((sign * h) / k);
    const q1 = q(1);
    const q2 = q(2);
    const q4 = q(4);
    const q8 = q(8);
    if (Math.abs(q8) > 1.2 * Math.abs(q4) && Math.abs(q4) > 1.2 * Math.abs(q2) && Math.abs(q2) > 1.2 * Math.abs(q1)) {
      values[j] = q8 > 0 ? Infinity : -Infinity;
      kinds[j] = q8 > 0 ? KIND_POS_INF : KIND_NEG_INF;
      magnitude[j] = Infinity;
      continue;
    }
    values[j] = plus ? rp : rm;
    kinds[j] = KIND_FINITE;
    magnitude[j] = Math.abs(values[j]!);
  }
  return { shape: [...x.shape], values, kinds, lower, upper, magnitude, source: 'central difference' };
}

function worseG(a: GradientElement | undefined, b: GradientElement): boolean {
  if (a === undefined) return true;
  if (a.nonFinite !== b.nonFinite) return b.nonFinite;
  if (b.ulps !== a.ulps) return b.ulps > a.ulps;
  return b.relError > a.relError;
}

interface Tally {
  checked: number;
  skipped: number;
  failures: number;
  nonFinite: number;
  worst?: GradientElement;
  worstFailure?: GradientElement;
}

/** The largest finite |exact| of an expected gradient (what `ptol` is relative to). */
export function gradientPeak(exp: ExpectedGradient): number {
  let peak = 0;
  for (let i = 0; i < exp.values.length; i++) {
    const v = Math.abs(exp.values[i]!);
    if (exp.kinds[i] === KIND_FINITE && Number.isFinite(v) && v > peak) peak = v;
  }
  return peak;
}

/**
 * Judge one element `g` of a gradient against the expected one: within tolerance or not, and its
 * error (against the nearest accepted value where the derivative is set-valued). Undefined where
 * the exact derivative does not exist (kind nan: not checked).
 */
export function judgeGradientElement(
  g: number,
  exp: ExpectedGradient,
  i: number,
  tol: Tolerance,
  peak: number,
): { readonly ok: boolean; readonly m: ErrorMeasure; readonly interval: boolean } | undefined {
  const kind = exp.kinds[i]!;
  if (kind === KIND_NAN) return undefined;
  const value = exp.values[i]!;
  const lo = exp.lower[i]!;
  const hi = exp.upper[i]!;
  const interval = !Number.isNaN(lo) && !Number.isNaN(hi);
  let target = value;
  if (interval && Number.isFinite(g)) target = g < lo ? lo : g > hi ? hi : g;
  const m = interval && Number.isFinite(g) && g >= lo && g <= hi ? measureError(g, g) : measureError(g, target, kind);
  const accumulation = exp.absSum && exp.terms ? { absSum: exp.absSum[i]!, terms: exp.terms[i]! } : undefined;
  return { ok: withinTolerance(m, tol, target, exp.magnitude[i]!, peak, accumulation), m, interval };
}

function compareOne(input: string, got: ReadTensor, exp: ExpectedGradient, tol: Tolerance, tally: Tally): void {
  if (got.data.length !== exp.values.length) {
    throw new RangeError(`gradient check: ${got.name} has ${got.data.length} elements but input '${input}' has ${exp.values.length}`);
  }
  const peak = gradientPeak(exp);
  for (let i = 0; i < got.data.length; i++) {
    const g = got.data[i]!;
    const judged = judgeGradientElement(g, exp, i, tol, peak);
    if (judged === undefined) {
      tally.skipped++;
      continue;
    }
    tally.checked++;
    const kind = exp.kinds[i]!;
    const value = exp.values[i]!;
    const lo = exp.lower[i]!;
    const hi = exp.upper[i]!;
    const { ok, m, interval } = judged;
    const expectFinite = kind === KIND_FINITE && Number.isFinite(Math.fround(value));
    const nonFinite = !Number.isFinite(g) && expectFinite;
    if (ok && m.ulps === 0 && tally.worst !== undefined) continue;
    const e: GradientElement = {
      ...m,
      input,
      tensor: got.name,
      index: i,
      got: g,
      expected: value,
      kind: kindName(kind),
      ...(interval ? { interval: [lo, hi] as const } : {}),
      nonFinite,
    };
    if (worseG(tally.worst, e)) tally.worst = e;
    if (!ok) {
      tally.failures++;
      if (nonFinite) tally.nonFinite++;
      if (worseG(tally.worstFailure, e)) tally.worstFailure = e;
    }
  }
}

/** Compare gradients read back from tfjs (named `grad(<input>)`) with the exact ones. */
export function compareGradients<I>(inputs: I, gradients: readonly ReadTensor[], options: GradientCheckOptions<I>): GradientReport {
  const tol = resolveTolerance(options.tolerance ?? TOLERANCES.gradient, options.backend ?? 'cpu');
  const tally: Tally = { checked: 0, skipped: 0, failures: 0, nonFinite: 0 };
  for (const g of gradients) {
    const input = g.wrt ?? g.name;
    if (options.wrt !== undefined && !options.wrt.includes(input)) continue;
    compareOne(input, g, expectedGradient(inputs, input, options), tol, tally);
  }
  return {
    ok: tally.failures === 0,
    checked: tally.checked,
    skipped: tally.skipped,
    failures: tally.failures,
    nonFinite: tally.nonFinite,
    ...(tally.worst ? { worst: tally.worst } : {}),
    ...(tally.worstFailure ? { worstFailure: tally.worstFailure } : {}),
    gradients,
  };
}

function floatInputs(inputs: unknown, wrt: readonly string[] | undefined): string[] {
  return entries(inputs)
    .filter(([k, v]) => isTensorLike(v) && (v.dtype === undefined || v.dtype === 'float32') && (wrt === undefined || wrt.includes(k)))
    .map(([k]) => k);
}

/**
 * Run tf.grads on `subject` at `inputs` (a record of TensorValues, passed to the subject
 * positionally in key order) and compare with the exact gradient. Disposes every tensor it makes.
 *
 * ```ts
 * checkGradient((x) => tf.sqrt(x), { x: tensorValue([3], [0, 1, 4]) }, { derivative: ({ x }) => derivatives.sqrt(x) })
 * ```
 */
export function checkGradient<I extends Readonly<Record<string, TensorLike>> | readonly TensorLike[]>(
  subject: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: I,
  options: GradientCheckOptions<I>,
): GradientReport {
  const list = entries(inputs) as [string, TensorLike][];
  const wrt = floatInputs(inputs, options.wrt);
  if (wrt.length === 0) throw new TypeError('checkGradient: no float32 tensor inputs to differentiate');
  const grads = tf.tidy(() => {
    const tensors = list.map(([, v]) => tf.tensor(Array.from(v.data), [...v.shape], (v.dtype ?? 'float32') as tf.DataType));
    const positions = wrt.map((k) => list.findIndex(([name]) => name === k));
    const f = (...xs: tf.Tensor[]): tf.Tensor => {
      const args = tensors.slice();
      positions.forEach((p, i) => {
        args[p] = xs[i]!;
      });
      return subject(...args);
    };
    return tf.grads(f)(positions.map((p) => tensors[p]!));
  });
  let read: ReadTensor[];
  try {
    read = grads.map((g, i) => ({ name: `grad(${wrt[i]})`, wrt: wrt[i]!, shape: [...g.shape], dtype: g.dtype, data: g.dataSync() as Float32Array }));
  } finally {
    tf.dispose(grads);
  }
  return compareGradients(inputs, read, options);
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return String(x);
}

/** A one-line description of a gradient element's error. */
export function describeGradientError(e: GradientElement, coords: readonly number[]): string {
  const where = `${e.tensor}[${coords.join(', ')}]`;
  const exact = e.interval ? `any value in [${fmt(e.interval[0])}, ${fmt(e.interval[1])}] (a kink)` : fmt(e.expected);
  if (e.nonFinite) return `${where} is ${fmt(e.got)} where the exact derivative is finite: ${exact}`;
  const ulps = e.ulps === Infinity ? 'Infinity' : String(e.ulps);
  const ftz = !e.interval && flushedToZero(e.got, e.expected) ? ': a subnormal result flushed to zero' : '';
  return `${where} is ${fmt(e.got)}; exact ${exact}: ${ulps} ulps, relative error ${e.relError.toExponential(2)}${ftz}`;
}

/**
 * Invariant: the gradients the runner computed (observation.gradients, `grad(<input>)` = d(sum
 * of outputs)/d(input)) match the exact derivative, or central differences of the reference.
 */
export function gradientMatches<I = any>(options: GradientCheckOptions<I>): Invariant {
  if (options.reference === undefined && options.derivative === undefined) {
    throw new TypeError('gradientMatches: give a reference (differentiated numerically) or an exact derivative');
  }
  const name = options.name ?? 'gradient matches reference';
  // a row of the table follows the backend the run happened on (unless one is given)
  const tolOn = (observation: Observation): Tolerance => resolveTolerance(options.tolerance ?? TOLERANCES.gradient, options.backend ?? observation.backend);
  return {
    name,
    needsGradients: true,
    standalone(observation: Observation): Standalone | undefined {
      const inputs = observation.inputs as I;
      const tol = tolOn(observation);
      const tensors = observation.gradients
        .filter((g) => options.wrt === undefined || options.wrt.includes(g.wrt ?? g.name))
        .map((g) => {
          const exp = expectedGradient(inputs, g.wrt ?? g.name, options);
          let peak = 0;
          for (let i = 0; i < exp.values.length; i++) {
            const v = Math.abs(exp.values[i]!);
            if (exp.kinds[i] === KIND_FINITE && Number.isFinite(v) && v > peak) peak = v;
          }
          const elements = Array.from(exp.values, (exact, index) => {
            const lo = exp.lower[index]!;
            const hi = exp.upper[index]!;
            return {
              index,
              exact,
              kind: kindName(exp.kinds[index]!),
              magnitude: exp.magnitude[index]!,
              ...(!Number.isNaN(lo) && !Number.isNaN(hi) ? { interval: [lo, hi] as const } : {}),
              ...(exp.absSum && exp.terms ? { absSum: exp.absSum[index]!, terms: exp.terms[index]! } : {}),
            };
          });
          return { name: g.name, shape: [...g.shape], peak, elements };
        });
      if (tensors.length === 0) return undefined;
      return { kind: 'accuracy', of: 'gradient', tolerance: { ...tol }, toleranceText: describeTolerance(tol), tensors };
    },
    check(observation: Observation): Violation | undefined {
      const inputs = observation.inputs as I;
      if (observation.gradients.length === 0) {
        if (floatInputs(inputs, options.wrt).length === 0) return undefined;
        return { invariant: name, message: 'the observation has no gradients: the runner must compute them for this invariant (needsGradients)' };
      }
      const tol = tolOn(observation);
      const report = compareGradients(inputs, observation.gradients, { ...options, tolerance: tol });
      if (report.ok || report.worstFailure === undefined) return undefined;
      // TensorFlow's kernels read subnormals as 0 and flush subnormal results: its convention, not a finding
      if (flushesSubnormals(observation.backend) && flushedGradientsMatch(inputs, observation, options, tol)) return undefined;
      const e = report.worstFailure;
      const tensor = observation.gradients.find((g) => g.name === e.tensor)!;
      const location = locate('gradient', tensor, e.index, e.expected);
      return {
        invariant: name,
        kind: violationKind(e.got, e.kind),
        message: `${describeGradientError(e, location.coords)} (tolerance ${describeTolerance(tol)}; ${report.failures} of ${report.checked} elements out of tolerance${report.nonFinite > 0 ? `, ${report.nonFinite} non-finite` : ''})`,
        location,
        details: {
          ulps: e.ulps,
          bits: e.bits,
          absError: e.absError,
          relError: e.relError,
          input: e.input,
          expectedKind: e.kind,
          nonFinite: e.nonFinite ? 'yes' : 'no',
          failures: report.failures,
          checked: report.checked,
        },
      };
    },
  };
}

/** Whether the gradients match the exact ones of the inputs with subnormals read as 0, within `tol` plus 2^-126. */
function flushedGradientsMatch<I>(inputs: I, observation: Observation, options: GradientCheckOptions<I>, tol: Tolerance): boolean {
  try {
    const flushed = flushSubnormalInputs(inputs);
    return compareGradients(flushed, observation.gradients, { ...options, tolerance: withFlushAllowance(tol) }).ok;
  } catch {
    return false;
  }
}
