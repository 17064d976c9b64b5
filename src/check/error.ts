/**
 * Error measures of a float32 result against an exact answer.
 *
 * - **ULPs**: how many float32 values lie between the result and the exact answer correctly
 *   rounded to float32, i.e. the distance between their positions in the ordered list of all
 *   float32 values (Herbie's measure). -0 and +0 are the same position; subnormals count like any
 *   other float32; +Infinity comes one step after the largest finite float32. A correctly rounded
 *   result is 0 ULPs.
 * - **bits**: log2(1 + ULPs), from 0 (correctly rounded) to 32 (nothing right).
 * - **absError** |result - exact| and **relError** absError / |exact| (0/0 counts as 0, x/0 as
 *   Infinity), measured against the exact value itself (float64), not its float32 rounding.
 *
 * Non-finite values are handled explicitly:
 *
 * | exact answer                          | result                      | measure                         |
 * |---------------------------------------|-----------------------------|---------------------------------|
 * | NaN (undefined)                       | NaN                         | exact (0)                       |
 * | NaN                                   | anything else               | worst: Infinity ULPs, 32 bits   |
 * | ±Infinity, or finite but rounding to it | the same infinity         | exact (0): a correct overflow   |
 * | ±Infinity                             | a finite value              | ULP distance (max float32 is 1) |
 * | finite, rounding to a finite float32  | NaN or ±Infinity            | worst: Infinity ULPs, 32 bits   |
 * | finite                                | NaN                         | worst                           |
 */
import { ulpDistance } from '../core/float32.ts';
import { KIND_FINITE, KIND_NAN, KIND_NEG_INF, KIND_POS_INF, type ExactKind } from '../reference/exact.ts';

export interface ErrorMeasure {
  /** Distance in float32 values between the result and the correctly rounded exact answer. */
  readonly ulps: number;
  /** log2(1 + ulps), capped at 32. */
  readonly bits: number;
  readonly absError: number;
  readonly relError: number;
}

/** Herbie's bits of error for a ULP distance: log2(1 + ulps), at most 32. */
export function bitsOfError(ulps: number): number {
  if (!(ulps < Infinity)) return 32;
  return Math.min(32, Math.log2(1 + ulps));
}

const EXACT: ErrorMeasure = Object.freeze({ ulps: 0, bits: 0, absError: 0, relError: 0 });
const WORST: ErrorMeasure = Object.freeze({ ulps: Infinity, bits: 32, absError: Infinity, relError: Infinity });

function kindCode(kind: ExactKind | number | undefined, exact: number): number {
  if (typeof kind === 'number') return kind;
  switch (kind) {
    case 'finite':
      return KIND_FINITE;
    case '+inf':
      return KIND_POS_INF;
    case '-inf':
      return KIND_NEG_INF;
    case 'nan':
      return KIND_NAN;
    default:
      return Number.isNaN(exact) ? KIND_NAN : exact === Infinity ? KIND_POS_INF : exact === -Infinity ? KIND_NEG_INF : KIND_FINITE;
  }
}

/**
 * Error of the float32 result `got` against the exact answer `exact` (a float64 value; for kind
 * 'finite', ±Infinity means beyond float64's range). Without a kind, NaN and ±Infinity in
 * `exact` are read as answers fixed by definition.
 */
export function measureError(got: number, exact: number, kind?: ExactKind | number): ErrorMeasure {
  const k = kindCode(kind, exact);
  if (k === KIND_NAN) return Number.isNaN(got) ? EXACT : WORST;
  if (Number.isNaN(got)) return WORST;
  const expected = k === KIND_POS_INF ? Infinity : k === KIND_NEG_INF ? -Infinity : exact;
  const e32 = Math.fround(expected);
  if (!Number.isFinite(got)) {
    if (got === e32) return EXACT; // correct infinity, or a correctly rounded overflow
    if (k === KIND_FINITE) return WORST; // an infinity where the answer is finite (and rounds to finite)
    const ulps = ulpDistance(got, e32);
    return { ulps, bits: bitsOfError(ulps), absError: Infinity, relError: Infinity };
  }
  const ulps = ulpDistance(got, e32);
  if (ulps === 0 && got === expected) return EXACT;
  const absError = Math.abs(got - expected);
  let relError: number;
  if (expected === 0) relError = got === 0 ? 0 : Infinity;
  else if (!Number.isFinite(expected)) relError = k === KIND_FINITE ? 1 : Infinity;
  else relError = absError / Math.abs(expected);
  return { ulps, bits: bitsOfError(ulps), absError, relError };
}
