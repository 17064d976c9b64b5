/**
 * How far apart two backends' results for one element are.
 *
 * Two backends agree on an element when both are NaN, both are the same infinity, or both are
 * finite and few float32 values lie between them. ±0 are equal. A finite value and a non-finite
 * one are infinitely far apart: a finiteness disagreement, reported as its own kind.
 *
 * Between two finite values this is the ULP distance of src/core/float32.ts (Herbie's measure);
 * the rule for non-finite values is the diff's own, so it has its own name.
 */
import { ulpDistance } from '../core/float32.ts';

/** ULPs between two finite results; 0 for NaN/NaN and equal infinities, Infinity across finiteness. */
export function agreementDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0; // equal values, ±0, the same infinity
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return ulpDistance(a, b);
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
