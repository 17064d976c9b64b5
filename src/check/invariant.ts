/**
 * Invariants: what must hold for one run of a subject.
 *
 * A run of a property produces an {@link Observation}: the generated inputs (as plain values),
 * every output tensor of the subject read back into a typed array and, when the property asks
 * for them, the gradients of the summed outputs with respect to each float32 input tensor.
 * An {@link Invariant} inspects that observation and either returns nothing (it holds) or a
 * {@link Violation} saying what broke and where.
 */

import type { Observation, ReadTensor } from '../run/observation.ts';

export type { Observation, ReadTensor } from '../run/observation.ts';

/** Where a violation was seen: one element of one output or gradient. */
export interface Location {
  readonly kind: 'output' | 'gradient';
  /** Name of the output or gradient (see {@link ReadTensor.name}). */
  readonly tensor: string;
  /** Flat (row-major) index of the element. */
  readonly index: number;
  /** Multi-dimensional index of the element. */
  readonly coords: readonly number[];
  /** The offending value. */
  readonly value: number;
  /** The value it should have been, when the invariant knows it. */
  readonly expected?: number;
}

/**
 * How a value failed against its exact answer, for invariants that know it: distinct failures of
 * one invariant (a property can overflow at one input and lose accuracy at another).
 *
 * - `non-finite`: NaN or ±Infinity where the exact answer is finite (in float32's range or not:
 *   a correctly rounded overflow is not a failure);
 * - `inaccurate`: finite, beyond the tolerance of a finite exact answer;
 * - `special`: the exact answer itself is ±Infinity or NaN (IEEE special values) and the result
 *   differs from it.
 */
export type ViolationKind = 'non-finite' | 'inaccurate' | 'special';

/** The {@link ViolationKind} of a result `got` against an exact answer of kind `exact`. */
export function violationKind(got: number, exact: 'finite' | '+inf' | '-inf' | 'nan'): ViolationKind {
  if (exact !== 'finite') return 'special';
  return Number.isFinite(got) ? 'inaccurate' : 'non-finite';
}

/** A broken invariant: its name, a one-line message, and where it broke. */
export interface Violation {
  readonly invariant: string;
  readonly message: string;
  /** How it broke, for invariants that compare with exact answers: distinct failures of one invariant. */
  readonly kind?: ViolationKind;
  readonly location?: Location;
  /** Extra figures (for example error in ULPs and bits) kept in reports. */
  readonly details?: Readonly<Record<string, number | string>>;
}

/** A check over an observation. Return `undefined` when it holds. */
export interface Invariant {
  readonly name: string;
  /** When true the runner computes gradients of the summed outputs for this invariant. */
  readonly needsGradients?: boolean;
  check(observation: Observation): Violation | undefined;
  /**
   * Optional: error measurements of this run for plots (error versus input, as Herbie draws it).
   * An accuracy invariant returns, per checked element, the input value it depends on and the
   * error in bits (and ULPs). The runner keeps a bounded sample of them in the result.
   */
  sample?(observation: Observation): readonly ErrorSample[];
  /**
   * Optional: this invariant's verdict on one observation as data a standalone repro script can
   * judge without nanhunt (src/report/repro.ts): which tensors must be finite, or the exact answer
   * of every element with its tolerance. Undefined when it has nothing to say about `observation`.
   */
  standalone?(observation: Observation): Standalone | undefined;
}

/**
 * What a repro script checks for an invariant, as data (no code): `finite` — no NaN (nor
 * ±Infinity, unless `nanOnly`) in the outputs and/or gradients; `accuracy` — each listed element
 * within `tolerance` of its exact answer, measured as src/check/error.ts measures it.
 */
export type Standalone =
  | { readonly kind: 'finite'; readonly outputs: boolean; readonly gradients: boolean; readonly nanOnly: boolean }
  | {
      readonly kind: 'accuracy';
      /** Outputs (`value`: matchesReference) or gradients (`gradient`: gradientMatches, with kinks as intervals). */
      readonly of: 'value' | 'gradient';
      readonly tolerance: Readonly<Record<string, number>>;
      /** describeTolerance's text. */
      readonly toleranceText: string;
      readonly tensors: readonly StandaloneTensor[];
    };

/** The exact answer of one output or gradient, element by element. */
export interface StandaloneTensor {
  /** `output`, `output[1]`, `grad(x)`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** The largest |exact| of the tensor (the tolerance's ptol is relative to it). */
  readonly peak: number;
  /** Flat index, exact value (float64), its kind, the condition magnitude, and the accepted interval at a kink. */
  readonly elements: readonly {
    readonly index: number;
    readonly exact: number;
    readonly kind: 'finite' | '+inf' | '-inf' | 'nan';
    readonly magnitude: number;
    readonly interval?: readonly [number, number];
    /** For a sum: the sum of |terms| and their number (the tolerance's `acc`). */
    readonly absSum?: number;
    readonly terms?: number;
  }[];
}

/** One point of an error-versus-input plot. */
export interface ErrorSample {
  /** The (first) input value the element depends on. */
  readonly input: number;
  /** Bits of error: log2(1 + ulps). 0 is exact, 32 is garbage. */
  readonly bits: number;
  readonly ulps: number;
}

/** Row-major coordinates of a flat index in a tensor of the given shape. */
export function coordsOf(shape: readonly number[], index: number): number[] {
  const coords = new Array<number>(shape.length).fill(0);
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis]!;
    coords[axis] = size === 0 ? 0 : rest % size;
    rest = size === 0 ? 0 : Math.floor(rest / size);
  }
  return coords;
}

/** Build a location for element `index` of `tensor`. */
export function locate(kind: Location['kind'], tensor: ReadTensor, index: number, expected?: number): Location {
  return {
    kind,
    tensor: tensor.name,
    index,
    coords: coordsOf(tensor.shape, index),
    value: tensor.data[index]!,
    ...(expected === undefined ? {} : { expected }),
  };
}

/**
 * Write a custom invariant from a predicate over the observation.
 *
 * ```ts
 * const nonNegative = invariant('non-negative', (obs) =>
 *   obs.outputs.every((t) => t.data.every((v) => v >= 0)) || 'an output element is negative');
 * ```
 * The function returns `true` (holds), or `false` / a message string (broken).
 */
export function invariant(name: string, holds: (observation: Observation) => boolean | string, options: { needsGradients?: boolean } = {}): Invariant {
  return {
    name,
    needsGradients: options.needsGradients ?? false,
    check(observation) {
      const verdict = holds(observation);
      if (verdict === true) return undefined;
      return { invariant: name, message: typeof verdict === 'string' ? verdict : `${name} does not hold` };
    },
  };
}
