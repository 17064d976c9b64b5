/**
 * Special values: tensors that mix ±Infinity, NaN, ±0 and subnormals with ordinary values, to
 * check how kernels treat them against the IEEE 754 / C99 Annex F semantics of the exact function
 * (NaN propagates; exp(-Infinity) = 0; pow(1, NaN) = 1; max and min propagate NaN; ...).
 *
 * `specialValues()` is an Elements source (for tensor() and tensors()); catalog entries use it for
 * their `<name> special values` property, judged by the same exact reference as the ordinary one.
 */
import { float32, type Float32Options } from './float32.ts';
import type { Elements } from './elements.ts';

/** Weights of the float32 classes in special-value tensors: about half the elements are special. */
const SPECIAL_WEIGHTS: NonNullable<Float32Options['weights']> = {
  nan: 3,
  infinity: 4,
  zero: 3,
  subnormal: 2,
  maxFinite: 1.5,
  minNormal: 0.5,
  nearOne: 1,
  expEdge: 0.5,
  powerOfTwo: 1,
  wide: 1.5,
  ordinary: 3,
  float16Edge: 0.3,
  sigmoidEdge: 0.3,
};

/**
 * Elements mixing NaN, ±Infinity, ±0 and subnormals with ordinary and extreme finite values.
 * `min`/`max` bound the finite part and whether -Infinity/+Infinity can appear (e.g. `{ min: 0 }`
 * for an input that must not be negative still gets +Infinity, +0 and NaN).
 */
export function specialValues(options: Pick<Float32Options, 'min' | 'max' | 'exclude' | 'weights' | 'focus'> = {}): Elements & ReturnType<typeof float32> {
  const { weights, ...rest } = options;
  return float32({ ...rest, nonFinite: true, weights: { ...SPECIAL_WEIGHTS, ...weights } });
}
