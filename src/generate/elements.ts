/**
 * Elements: how the values inside one generated tensor are produced and shrunk.
 *
 * A tensor generator asks its Elements for a whole tensor's worth of values at once, so a source
 * can share a choice across the tensor (the init scheme and scale of a weight matrix, the
 * magnitude of a gradient). Shrinking works one element at a time, toward simpler values that
 * stay inside the source's domain.
 */
import * as fc from 'fast-check';
import type { DType } from '../core/tensor-value.ts';
import { simplerCandidates } from '../shrink/simplify-number.ts';

export interface Elements {
  readonly dtype: DType;
  /** One line saying what this source produces (shown in reports). */
  readonly description: string;
  /** Values for a tensor of `size` elements. */
  fill(mrng: fc.Random, size: number, biasFactor: number | undefined): ArrayLike<number>;
  /** True when a value belongs to the domain (used to keep shrunk values valid). */
  contains(x: number): boolean;
  /** Strictly simpler values for one element, simplest first, inside the domain. */
  simpler(x: number): Iterable<number>;
}

/** Uniform double in [0, 1) from fast-check's random source. */
export function uniform(mrng: fc.Random): number {
  return (mrng.nextInt(0, 0x3fffffff) * 2 ** 30 + mrng.nextInt(0, 0x3fffffff)) / 2 ** 60;
}

/** Build Elements from a per-element sampler and a domain predicate. */
export function elementwise(
  description: string,
  sample: (mrng: fc.Random, biasFactor: number | undefined) => number,
  contains: (x: number) => boolean,
  dtype: DType = 'float32',
): Elements {
  return {
    dtype,
    description,
    fill(mrng, size, bias) {
      const out = new Array<number>(size);
      for (let i = 0; i < size; i++) out[i] = sample(mrng, bias);
      return out;
    },
    contains,
    simpler: (x) => simplerCandidates(x, contains),
  };
}

/** Adapt any fast-check arbitrary of numbers into Elements (shrinks within `contains` when given). */
export function fromArbitrary(arb: fc.Arbitrary<number>, options: { dtype?: DType; contains?: (x: number) => boolean; description?: string } = {}): Elements {
  const contains = options.contains ?? ((x: number) => arb.canShrinkWithoutContext(x));
  return elementwise(
    options.description ?? 'values from a fast-check arbitrary',
    (mrng, bias) => arb.generate(mrng, bias).value,
    contains,
    options.dtype ?? 'float32',
  );
}

export function isElements(x: unknown): x is Elements {
  return typeof x === 'object' && x !== null && typeof (x as Elements).fill === 'function' && typeof (x as Elements).simpler === 'function';
}

/** Accept Elements or a fast-check arbitrary of numbers. */
export function toElements(source: Elements | fc.Arbitrary<number>): Elements {
  if (isElements(source)) return source;
  if (source instanceof fc.Arbitrary) return fromArbitrary(source);
  throw new TypeError('elements must be nanhunt Elements (e.g. float32()) or a fast-check Arbitrary<number>');
}
