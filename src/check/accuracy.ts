/**
 * Accuracy against exact reference math: the `matchesReference` invariant.
 *
 * Finite is not enough: log(1 + x) for tiny x, a softmax after overflow clamping or a variance
 * that cancels to a negative number are finite and wrong. `matchesReference(ref, tolerance)`
 * maps an observation's inputs to exact answers with `ref` (usually one of the references in
 * src/reference, e.g. `({ x }) => reference.log1p(x)`), compares every element of every
 * output, and reports the worst element that is out of tolerance, with its error in ULPs,
 * bits, absolute and relative terms.
 *
 * Verdicts follow the exact answer's float32 rounding, not its finiteness: exp(100) = Infinity
 * in float32 is correct (the exact 2.7e43 rounds to +Infinity), NaN where the exact answer is
 * finite is the worst possible error.
 */
import type { ErrorSample, Invariant, Observation, ReadTensor, Standalone, Violation } from './invariant.ts';
import { flushedToZero, flushesSubnormals, MIN_NORMAL, U32_ROUNDOFF } from '../core/float32.ts';
import { flushSubnormalInputs, isTensorValue, sizeOf, type TensorValue } from '../core/tensor-value.ts';
import { locate, violationKind } from './invariant.ts';
import { measureError, type ErrorMeasure } from './error.ts';
import { KIND_FINITE, kindName, type ExactKind, type ExactTensor } from '../reference/exact.ts';
import {
  accumulationFactor,
  describeTolerance,
  isOpTolerance,
  resolveTolerance,
  toleranceName,
  type OpTolerance,
  type Tolerance,
  type ToleranceName,
} from '../reference/tolerances.ts';

/** What a reference function returns: one exact tensor per output, in order. */
export type ReferenceResult = ExactTensor | readonly ExactTensor[];

/** True when an element's error is within at least one allowance of the tolerance. */
/** An element that is a sum: the sum of |terms| and the number of terms (ExactTensor.absSum, .terms). */
export interface Accumulation {
  readonly absSum: number;
  readonly terms: number;
}

export function withinTolerance(m: ErrorMeasure, tol: Tolerance, exact: number, magnitude: number, peak = 0, accumulation?: Accumulation): boolean {
  if (m.ulps === 0) return true;
  if (tol.ulps !== undefined && m.ulps <= tol.ulps) return true;
  if (tol.bits !== undefined && m.bits <= tol.bits) return true;
  const acc = tol.acc !== undefined && accumulation !== undefined;
  if (tol.atol === undefined && tol.rtol === undefined && tol.ctol === undefined && tol.ptol === undefined && !acc) return false;
  if (!Number.isFinite(m.absError)) return false;
  let allow = tol.atol ?? 0;
  if (tol.rtol !== undefined && Number.isFinite(exact)) allow += tol.rtol * Math.abs(exact);
  if (tol.ctol !== undefined && Number.isFinite(magnitude)) allow += tol.ctol * U32_ROUNDOFF * magnitude;
  if (tol.ptol !== undefined && Number.isFinite(peak)) allow += tol.ptol * peak;
  if (acc && Number.isFinite(accumulation.absSum)) {
    allow += tol.acc! * accumulationFactor(accumulation.terms, tol.accBlock) * U32_ROUNDOFF * accumulation.absSum;
  }
  return m.absError <= allow;
}

/** One compared element. */
export interface ElementError extends ErrorMeasure {
  /** Index of the output (0 for a single output). */
  readonly output: number;
  readonly tensor: string;
  /** Flat index within the output. */
  readonly index: number;
  readonly got: number;
  /** The exact answer (float64; ±Infinity beyond float64 when kind is 'finite'). */
  readonly exact: number;
  readonly kind: ExactKind;
  /** The condition magnitude used by ctol. */
  readonly magnitude: number;
}

export interface ReferenceComparison {
  /** True when every element is within tolerance (and shapes match). */
  readonly ok: boolean;
  readonly checked: number;
  /** Elements out of tolerance. */
  readonly failures: number;
  /** The element with the largest ULP error, in or out of tolerance. */
  readonly worst?: ElementError;
  /** The out-of-tolerance element with the largest ULP error. */
  readonly worstFailure?: ElementError;
  /** Set when the outputs do not line up with the reference (count, size or shape). */
  readonly mismatch?: string;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Compare outputs (read back from a backend) with exact answers, element by element. */
export function compareToReference(outputs: readonly ReadTensor[] | ReadTensor, expected: ReferenceResult, tolerance: Tolerance): ReferenceComparison {
  const outs = Array.isArray(outputs) ? (outputs as readonly ReadTensor[]) : [outputs as ReadTensor];
  const exps = Array.isArray(expected) ? (expected as readonly ExactTensor[]) : [expected as ExactTensor];
  if (outs.length !== exps.length) {
    return { ok: false, checked: 0, failures: 0, mismatch: `the subject gave ${outs.length} output(s) but the reference ${exps.length}` };
  }
  let checked = 0;
  let failures = 0;
  let worst: ElementError | undefined;
  let worstFailure: ElementError | undefined;
  for (let o = 0; o < outs.length; o++) {
    const out = outs[o]!;
    const ex = exps[o]!;
    if (out.data.length !== ex.values.length || !sameShape(out.shape, ex.shape)) {
      return {
        ok: false,
        checked,
        failures,
        mismatch: `${out.name} has shape [${out.shape.join(', ')}] but the reference gives [${ex.shape.join(', ')}]`,
      };
    }
    let peak = 0;
    if (tolerance.ptol !== undefined) {
      for (let i = 0; i < ex.values.length; i++) {
        const v = Math.abs(ex.values[i]!);
        if (Number.isFinite(v) && v > peak) peak = v;
      }
    }
    for (let i = 0; i < out.data.length; i++) {
      const got = out.data[i]!;
      const exact = ex.values[i]!;
      const kind = ex.kinds[i]!;
      // the common case, without measuring (this loop is hot): a correctly rounded finite answer is
      // within every tolerance, and beats no worst element once one is off by an ulp, or is exact
      if (kind === KIND_FINITE && worst !== undefined && (got === exact || (worst.ulps > 0 && got === Math.fround(exact)))) {
        checked++;
        continue;
      }
      const m = measureError(got, exact, kind);
      const magnitude = ex.magnitude?.[i] ?? Math.abs(exact);
      checked++;
      const accumulation = ex.absSum && ex.terms ? { absSum: ex.absSum[i]!, terms: ex.terms[i]! } : undefined;
      const ok = withinTolerance(m, tolerance, exact, magnitude, peak, accumulation);
      if (!ok) failures++;
      // build an element record only when it becomes the worst seen (this loop is hot)
      const beatsWorst = worst === undefined || m.ulps > worst.ulps || (m.ulps === worst.ulps && m.relError > worst.relError);
      const beatsFailure =
        !ok && (worstFailure === undefined || m.ulps > worstFailure.ulps || (m.ulps === worstFailure.ulps && m.relError > worstFailure.relError));
      if (!beatsWorst && !beatsFailure) continue;
      const e: ElementError = { ...m, output: o, tensor: out.name, index: i, got, exact, kind: kindName(kind), magnitude };
      if (beatsWorst) worst = e;
      if (beatsFailure) worstFailure = e;
    }
  }
  return {
    ok: failures === 0,
    checked,
    failures,
    ...(worst === undefined ? {} : { worst }),
    ...(worstFailure === undefined ? {} : { worstFailure }),
  };
}

function fmt(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return String(x);
}

/** A one-line description of an element's error. */
export function describeElementError(e: ElementError, coords: readonly number[]): string {
  const where = `${e.tensor}[${coords.join(', ')}]`;
  const exactText =
    e.kind === 'finite'
      ? Number.isFinite(e.exact)
        ? `${fmt(e.exact)} (${fmt(Math.fround(e.exact))} in float32)`
        : `a finite number beyond float64's range (${e.exact > 0 ? '+' : '-'}Infinity in float32)`
      : fmt(e.exact);
  if (!Number.isFinite(e.got) && e.kind === 'finite' && Number.isFinite(Math.fround(e.exact))) {
    return `${where} is ${fmt(e.got)} where the exact answer is finite: ${exactText}`;
  }
  if (e.kind === 'nan') return `${where} is ${fmt(e.got)} where the exact answer is undefined (NaN)`;
  const ulps = e.ulps === Infinity ? 'Infinity' : String(e.ulps);
  const ftz = e.kind === 'finite' && flushedToZero(e.got, e.exact) ? ': a subnormal result flushed to zero' : '';
  return `${where} is ${fmt(e.got)}; exact ${exactText}: ${ulps} ulps, ${e.bits.toFixed(1)} bits of error${ftz}`;
}

export interface MatchesReferenceOptions {
  /** Invariant name (default `matches reference`, or `matches reference (<op>)` for a row of the tolerance table). */
  readonly name?: string;
  /** Backend whose row of the tolerance table to use (default: the backend of the observation). */
  readonly backend?: string;
}

/**
 * The invariant: outputs match the exact answers of `reference` within `tolerance`: a
 * {@link Tolerance}, or a per-backend row of src/reference/tolerances.ts (the object, as
 * `TOLERANCES.log1p`, or its name, `'log1p'`), resolved on the backend the run happened on.
 *
 * ```ts
 * matchesReference(({ x }: { x: TensorValue }) => reference.log1p(x), 'log1p')
 * matchesReference(({ a, b }) => reference.matMul(a, b), { ulps: 4, ctol: 2 })
 * ```
 */
export function matchesReference<I = any>(
  reference: (inputs: I) => ReferenceResult,
  tolerance: Tolerance | OpTolerance | ToleranceName = { ulps: 0 },
  options: MatchesReferenceOptions = {},
): Invariant {
  // A row of the table follows the backend the run happened on (unless one is given).
  const tolOn = (observation: Observation): Tolerance => resolveTolerance(tolerance, options.backend ?? observation.backend);
  const row = typeof tolerance === 'string' ? tolerance : isOpTolerance(tolerance) ? toleranceName(tolerance) : undefined;
  const name = options.name ?? (row !== undefined ? `matches reference (${row})` : 'matches reference');
  // check() and sample() see the same observation: compute its reference once
  const cache = new WeakMap<Observation, ReferenceResult>();
  const exactOf = (observation: Observation): ReferenceResult => {
    let r = cache.get(observation);
    if (r === undefined) {
      r = reference(observation.inputs as I);
      cache.set(observation, r);
    }
    return r;
  };
  return {
    name,
    needsGradients: false,
    sample(observation: Observation): ErrorSample[] {
      return errorSamples(observation, exactOf(observation));
    },
    standalone(observation: Observation): Standalone | undefined {
      const expected = exactOf(observation);
      const tol = tolOn(observation);
      const exps = Array.isArray(expected) ? (expected as readonly ExactTensor[]) : [expected as ExactTensor];
      const tensors = observation.outputs.map((out, o) => {
        const ex = exps[o];
        if (!ex) return { name: out.name, shape: [], peak: 0, elements: [] };
        let peak = 0;
        for (let i = 0; i < ex.values.length; i++) {
          const v = Math.abs(ex.values[i]!);
          if (Number.isFinite(v) && v > peak) peak = v;
        }
        const elements = Array.from(ex.values, (exact, index) => ({
          index,
          exact,
          kind: kindName(ex.kinds[index]!),
          magnitude: ex.magnitude?.[index] ?? Math.abs(exact),
          ...(ex.absSum && ex.terms ? { absSum: ex.absSum[index]!, terms: ex.terms[index]! } : {}),
        }));
        return { name: out.name, shape: [...ex.shape], peak, elements };
      });
      return { kind: 'accuracy', of: 'value', tolerance: { ...tol }, toleranceText: describeTolerance(tol), tensors };
    },
    check(observation: Observation): Violation | undefined {
      const expected = exactOf(observation);
      const tol = tolOn(observation);
      const tolText = describeTolerance(tol);
      const c = compareToReference(observation.outputs, expected, tol);
      if (c.mismatch !== undefined) return { invariant: name, message: c.mismatch };
      if (c.ok || c.worstFailure === undefined) return undefined;
      // TensorFlow's kernels read subnormals as 0 and flush subnormal results: its convention, not a finding
      if (flushesSubnormals(observation.backend)) {
        const flushed = flushSubnormalInputs(observation.inputs);
        const asFlushed = flushed === observation.inputs ? expected : tryReference(() => reference(flushed as I));
        if (asFlushed !== undefined && compareToReference(observation.outputs, asFlushed, withFlushAllowance(tol)).ok) return undefined;
      }
      const e = c.worstFailure;
      const tensor = observation.outputs[e.output]!;
      const location = locate('output', tensor, e.index, e.exact);
      return {
        invariant: name,
        kind: violationKind(e.got, e.kind),
        message: `${describeElementError(e, location.coords)} (tolerance ${tolText}; ${c.failures} of ${c.checked} elements out of tolerance)`,
        location,
        details: {
          ulps: e.ulps,
          bits: e.bits,
          absError: e.absError,
          relError: e.relError,
          exact: e.exact,
          exactKind: e.kind,
          magnitude: e.magnitude,
          tolerance: tolText,
          failures: c.failures,
          checked: c.checked,
        },
      };
    },
  };
}

/** The allowance a backend that flushes subnormal results needs: an absolute error up to 2^-126. */
export function withFlushAllowance(tol: Tolerance): Tolerance {
  return { ...tol, atol: Math.max(tol.atol ?? 0, MIN_NORMAL) };
}

/** The reference's answer, or undefined when it throws (on inputs it was not written for). */
function tryReference(fn: () => ReferenceResult): ReferenceResult | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The first input tensor (depth-first) with `size` elements: the x of an error-versus-input plot. */
function plotInput(inputs: unknown, size: number): TensorValue | undefined {
  if (isTensorValue(inputs)) return sizeOf(inputs.shape) === size ? inputs : undefined;
  if (inputs !== null && typeof inputs === 'object') {
    for (const v of Object.values(inputs)) {
      const t = plotInput(v, size);
      if (t) return t;
    }
  }
  return undefined;
}

/**
 * Error-versus-input points of the first output: for each element, the input element at the same
 * index (when an input tensor has the output's size) and the error in bits and ULPs.
 */
export function errorSamples(observation: Observation, expected: ReferenceResult): ErrorSample[] {
  const exact = Array.isArray(expected) ? (expected as readonly ExactTensor[])[0] : (expected as ExactTensor);
  const out = observation.outputs[0];
  if (!exact || !out || exact.values.length !== out.data.length) return [];
  const x = plotInput(observation.inputs, out.data.length);
  if (!x) return [];
  const samples: ErrorSample[] = [];
  for (let i = 0; i < out.data.length; i++) {
    const input = x.data[i]!;
    if (!Number.isFinite(input)) continue;
    const m = measureError(out.data[i]!, exact.values[i]!, exact.kinds[i]);
    samples.push({ input, bits: m.bits, ulps: m.ulps });
  }
  return samples;
}
