/**
 * Distance between two float32 results, in units in the last place (ULPs).
 *
 * Two backends agree on an element when both are NaN, both are the same infinity, or both are
 * finite and few float32 values lie between them. ±0 are equal. A finite value and a non-finite
 * one are infinitely far apart (a finiteness disagreement, reported as such).
 *
 * Between two finite values this is src/check/error.ts's ULP distance (Herbie's measure); unlike
 * it, a finite value against ±Infinity is not "one step past the largest float32" but a
 * finiteness disagreement, reported as its own kind.
 */
import { ulpDistance as float32Ulps } from '../check/error.ts';

/** ULPs between two float32 values; 0 for NaN/NaN and equal infinities, Infinity across finiteness. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0; // equal values, ±0, the same infinity
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return float32Ulps(a, b);
}

/** The finiteness class of a value, for messages: `finite`, `NaN`, `+Infinity`, `-Infinity`. */
export function finiteness(x: number): 'finite' | 'NaN' | '+Infinity' | '-Infinity' {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Infinity';
  if (x === -Infinity) return '-Infinity';
  return 'finite';
}

/** Upper bounds of the ULP histogram buckets (the last bucket is everything above 256). */
export const ULP_BUCKETS = [0, 1, 4, 16, 256] as const;

/** Bucket labels, in order: `0`, `1`, `2-4`, `5-16`, `17-256`, `>256`. */
export const ULP_BUCKET_LABELS = ['0', '1', '2-4', '5-16', '17-256', '>256'] as const;
export type UlpBucket = (typeof ULP_BUCKET_LABELS)[number];

/** The histogram bucket of a finite ULP distance. */
export function ulpBucket(ulps: number): UlpBucket {
  const i = ULP_BUCKETS.findIndex((b) => ulps <= b);
  return ULP_BUCKET_LABELS[i === -1 ? ULP_BUCKET_LABELS.length - 1 : i]!;
}
