/**
 * toMatchReference's check, built on the accuracy invariant of src/check/accuracy.ts
 * (`matchesReference`): the subject's outputs against exact answers, within a tolerance in ULPs,
 * bits of error, or relative/absolute terms.
 *
 * The reference is either
 * - a float64 function of one number (`Math.log1p`, `(x) => 1 / (1 + Math.exp(-x))`), applied
 *   to every element of the subject's first tensor input: its value rounded to float32 is the
 *   correctly rounded answer (NaN and ±Infinity are answers fixed by definition); or
 * - an exact reference from src/reference (`log1p`, `softmax`, ...) or any function that returns
 *   ExactTensors: it is called with the generated inputs the way the subject is (one argument per
 *   generator of a tuple, one record for a record), as plain TensorValues.
 * Which one it is shows from what it returns: a number, or an ExactTensor.
 */
import { matchesReference, type ReferenceResult } from '../check/accuracy.ts';
import type { Invariant } from '../check/invariant.ts';
import { tensor } from '../generate/tensor.ts';
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import { exactTensor } from '../reference/exact.ts';
import { describeTolerance, type Tolerance } from '../reference/tolerances.ts';
import type { Generators } from './generators.ts';
import type { PropertyMatcherOptions } from './matchers.ts';

/** A float64 reference of an elementwise op: `Math.log1p`, `(x) => 1 / (1 + Math.exp(-x))`. */
export type Float64Reference = (x: number) => number;
/** An exact reference: called like the subject with the generated values, returns exact tensors. */
export type ExactReference = (...inputs: any[]) => ReferenceResult;
export type ReferenceFn = Float64Reference | ExactReference;

/** Tolerance (at least one of ulps, bits, rtol/atol; default exact) and the property options. */
export interface MatchReferenceOptions extends PropertyMatcherOptions {
  /** Accept results within this many float32 steps of the correctly rounded answer (0 = exact). */
  ulps?: number;
  /** Accept results with at most this many bits of error, log2(1 + ulps). */
  bits?: number;
  /** Accept |got - exact| <= atol + rtol·|exact|. */
  rtol?: number;
  atol?: number;
}

function firstTensor(value: unknown): TensorValue | undefined {
  if (isTensorValue(value)) return value;
  if (value !== null && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) {
      const t = firstTensor(v);
      if (t) return t;
    }
  }
  return undefined;
}

function isExactResult(r: unknown): r is ReferenceResult {
  const one = (x: unknown): boolean => typeof x === 'object' && x !== null && 'values' in x && 'kinds' in x && 'shape' in x;
  return Array.isArray(r) ? r.length > 0 && r.every(one) : one(r);
}

/** The tolerance the options give. */
export function toleranceOf(options: MatchReferenceOptions | undefined): Tolerance {
  const tol: { -readonly [K in keyof Tolerance]: Tolerance[K] } = {};
  for (const key of ['ulps', 'bits', 'rtol', 'atol'] as const) {
    const v = options?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`toMatchReference: ${key} must be a number >= 0, got ${String(v)}`);
    tol[key] = v;
  }
  return Object.keys(tol).length === 0 ? { ulps: 0 } : tol;
}

/** The invariant "outputs match the reference within the tolerance", and the default generators (one float32 tensor). */
export function referenceInvariant(reference: ReferenceFn, options: MatchReferenceOptions, tuple: boolean): { invariant: Invariant; inputs: Generators } {
  if (typeof reference !== 'function') {
    throw new TypeError('toMatchReference: the reference must be a function: (x: number) => number, or an exact reference returning ExactTensors');
  }
  const tolerance = toleranceOf(options);
  const evaluate = (inputs: unknown): ReferenceResult => {
    const args = tuple ? (inputs as unknown[]) : [inputs];
    const r = (reference as (...a: unknown[]) => unknown)(...args);
    if (isExactResult(r)) return r;
    if (typeof r !== 'number') {
      throw new TypeError(`toMatchReference: the reference returned ${typeof r}: return a number (float64 reference) or ExactTensors`);
    }
    // a float64 function of one number: apply it to every element of the first input tensor
    const t = firstTensor(inputs);
    if (!t) throw new TypeError('toMatchReference: a float64 reference (x: number) => number needs a tensor input');
    const values = new Float64Array(t.data.length);
    for (let i = 0; i < values.length; i++) values[i] = (reference as Float64Reference)(t.data[i]!);
    return exactTensor(t.shape, values);
  };
  const invariant = matchesReference(evaluate, tolerance, { name: `matches reference (${describeTolerance(tolerance)})` });
  return { invariant, inputs: [tensor()] };
}
