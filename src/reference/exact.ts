/**
 * ExactTensor: what a reference returns.
 *
 * For every element it holds the exact mathematical answer rounded to float64, and a kind:
 *
 * | kind     | meaning                                              | value                      |
 * |----------|------------------------------------------------------|----------------------------|
 * | finite   | the exact answer is a real number                    | it, rounded to float64; ±Infinity when beyond float64's range (exp(1000)) |
 * | +inf     | +Infinity by definition (log(+Inf), 1/sqrt(+0))      | +Infinity                  |
 * | -inf     | -Infinity by definition (log(0))                     | -Infinity                  |
 * | nan      | undefined (log(-1), Inf - Inf, any NaN input)         | NaN                        |
 *
 * float64 is so much finer than float32 that measuring a float32 result against the float64
 * value is exact to about 1e-9 ULP. One refinement keeps the float32 rounding of every value
 * exact, not just nearly so: a float64 value that would sit exactly on a float32 rounding
 * midpoint while the true value does not is moved one float64 step towards the true value.
 * So `Math.fround(values[i])` is always the correctly rounded float32 answer.
 *
 * `magnitude`, when present, is the first-order rounding-error factor of evaluating the op's
 * usual formula step by step in float32: an implementation of that formula lands within about
 * `magnitude[i] * 2^-24` of the exact answer. It is computed in the standard model with gradual
 * underflow (each float32 operation errs by at most 2^-24·|result| + 2^-150, so each operation
 * adds |result| + 2^-126 to the magnitude, propagated through the rest of the formula). It
 * differs from |value| where the formula cancels (a sum of mixed signs, log-sum-exp of negative
 * logits, 1 - cos, value + update) or underflows (a norm of subnormals, Adam's second moment of
 * a 1e-44 gradient). Tolerances use it through `ctol` (see src/reference/tolerances.ts).
 */

export const KIND_FINITE = 0;
export const KIND_POS_INF = 1;
export const KIND_NEG_INF = 2;
export const KIND_NAN = 3;

export type ExactKind = 'finite' | '+inf' | '-inf' | 'nan';
const KIND_NAMES: readonly ExactKind[] = ['finite', '+inf', '-inf', 'nan'];

/** How an element's exact value was obtained: counts, for benchmarks and tests. */
export interface ExactStats {
  /** Elements settled by float64 arithmetic with a proven error bound (or fixed by definition). */
  readonly fast: number;
  /** Elements that needed more than float64: double-double, exact integer or BigNumber arithmetic. */
  readonly slow: number;
}

export interface ExactTensor {
  readonly shape: readonly number[];
  /** Exact values rounded to float64 (see the module comment). */
  readonly values: Float64Array;
  /** Per-element kind codes: 0 finite, 1 +inf, 2 -inf, 3 nan. */
  readonly kinds: Uint8Array;
  /** First-order rounding-error factor per element; absent means |value|. */
  readonly magnitude?: Float64Array;
  /**
   * For elements that are sums (sum, mean, dot, matMul, convolution, gradients that sum): the sum
   * of the absolute values of the terms (or what plays that role in the op's error bound), and
   * the number of terms. Tolerances bound an accumulation's error with them (`acc`, see
   * src/reference/tolerances.ts), so exact cancellation is never a finding and a sum much worse
   * than a good float32 summation is.
   */
  readonly absSum?: Float64Array;
  readonly terms?: Float64Array;
  readonly stats: ExactStats;
}

/** The kind of element `i` as a name. */
export function exactKind(t: ExactTensor, i: number): ExactKind {
  return KIND_NAMES[t.kinds[i]!]!;
}

/** True when the exact answer at `i` is a real number (even one beyond float32 or float64 range). */
export function isExactFinite(t: ExactTensor, i: number): boolean {
  return t.kinds[i] === KIND_FINITE;
}

/** The exact answer at `i` correctly rounded to float32 (NaN for kind nan). */
export function exactFloat32(t: ExactTensor, i: number): number {
  return Math.fround(t.values[i]!);
}

/** The kind code that a definitional value (±Infinity, NaN or a finite number) has. */
export function kindOfValue(v: number): number {
  if (Number.isNaN(v)) return KIND_NAN;
  if (v === Infinity) return KIND_POS_INF;
  if (v === -Infinity) return KIND_NEG_INF;
  return KIND_FINITE;
}

/** Name of a kind code. */
export function kindName(code: number): ExactKind {
  return KIND_NAMES[code] ?? 'nan';
}

/**
 * Build an ExactTensor from known values, for answers known in closed form (and for tests).
 * Kinds default to: NaN -> nan, ±Infinity -> ±inf, anything else -> finite.
 */
export function exactTensor(shape: readonly number[], values: ArrayLike<number>, kinds?: ArrayLike<number>, magnitude?: ArrayLike<number>): ExactTensor {
  let size = 1;
  for (const d of shape) size *= d;
  if (values.length !== size) {
    throw new RangeError(`exactTensor: shape [${shape.join(', ')}] holds ${size} elements but ${values.length} values were given`);
  }
  const v = Float64Array.from(values);
  const k = kinds === undefined ? Uint8Array.from(v, kindOfValue) : Uint8Array.from(kinds);
  return {
    shape: Object.freeze([...shape]),
    values: v,
    kinds: k,
    ...(magnitude === undefined ? {} : { magnitude: Float64Array.from(magnitude) }),
    stats: { fast: size, slow: 0 },
  };
}

/** Collects the elements of one reference result. */
export class ExactBuilder {
  readonly values: Float64Array;
  readonly kinds: Uint8Array;
  magnitude: Float64Array | undefined;
  absSum: Float64Array | undefined;
  terms: Float64Array | undefined;
  slow = 0;

  constructor(
    readonly shape: readonly number[],
    readonly size: number,
    withMagnitude = false,
  ) {
    this.values = new Float64Array(size);
    this.kinds = new Uint8Array(size);
    this.magnitude = withMagnitude ? new Float64Array(size) : undefined;
  }

  /** Record that element `i` is a sum of `terms` terms whose absolute values sum to `absSum`. */
  accumulation(i: number, absSum: number, terms: number): void {
    this.absSum ??= new Float64Array(this.size);
    this.terms ??= new Float64Array(this.size);
    this.absSum[i] = absSum;
    this.terms[i] = terms;
  }

  /** Store a value fixed by definition: its kind follows from the value. */
  definitional(i: number, v: number): void {
    this.values[i] = v;
    this.kinds[i] = kindOfValue(v);
  }

  /** Store a finite exact answer (±Infinity here means beyond float64's range). */
  finite(i: number, v: number): void {
    this.values[i] = v;
    this.kinds[i] = KIND_FINITE;
  }

  set(i: number, v: number, kind: number): void {
    this.values[i] = v;
    this.kinds[i] = kind;
  }

  build(): ExactTensor {
    return {
      shape: Object.freeze([...this.shape]),
      values: this.values,
      kinds: this.kinds,
      ...(this.magnitude === undefined ? {} : { magnitude: this.magnitude }),
      ...(this.absSum === undefined || this.terms === undefined ? {} : { absSum: this.absSum, terms: this.terms }),
      stats: { fast: this.size - this.slow, slow: this.slow },
    };
  }
}
