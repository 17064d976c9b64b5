/**
 * Summary figures of a property's error samples (error versus input, from accuracy invariants).
 */
import type { ErrorSample } from '../check/invariant.ts';

export interface ErrorStats {
  /** Number of samples. */
  readonly count: number;
  /** Largest error in bits (NaN counts as the largest); Infinity when an output was non-finite. */
  readonly maxBits: number;
  /** Mean bits over the samples with finite bits. */
  readonly meanBits: number;
  /** ULPs and input of the worst sample. */
  readonly maxUlps: number;
  readonly worstInput: number;
}

const rank = (bits: number) => (Number.isNaN(bits) ? Infinity : bits);

export function errorStats(samples: readonly ErrorSample[] | undefined): ErrorStats | undefined {
  if (!samples || samples.length === 0) return undefined;
  let worst = samples[0]!;
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (Number.isFinite(s.bits)) {
      sum += s.bits;
      n++;
    }
    if (rank(s.bits) > rank(worst.bits)) worst = s;
  }
  return { count: samples.length, maxBits: rank(worst.bits), meanBits: n ? sum / n : 0, maxUlps: worst.ulps, worstInput: worst.input };
}
