/**
 * shape(): tensor shapes within rank and size bounds.
 *
 * Draws are biased toward small dimensions (half of all dimensions are within 2 of `minDim`),
 * and the total number of elements never exceeds `maxSize`. A shape shrinks toward fewer
 * dimensions and smaller sizes.
 */
import * as fc from 'fast-check';
import { sizeOf } from '../core/tensor-value.ts';

export interface ShapeOptions {
  /** Smallest rank (default 1). */
  minRank?: number;
  /** Largest rank (default 3). */
  maxRank?: number;
  /** Smallest size of one dimension (default 1). */
  minDim?: number;
  /** Largest size of one dimension (default 8). */
  maxDim?: number;
  /** Largest number of elements (default 256). */
  maxSize?: number;
}

export interface ShapeConstraints {
  readonly minRank: number;
  readonly maxRank: number;
  readonly minDim: number;
  readonly maxDim: number;
  readonly maxSize: number;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`shape: ${name} must be an integer >= ${min}, got ${v}`);
}

export function shapeConstraints(options: ShapeOptions = {}): ShapeConstraints {
  const c = {
    minRank: options.minRank ?? 1,
    maxRank: options.maxRank ?? Math.max(3, options.minRank ?? 1),
    minDim: options.minDim ?? 1,
    maxDim: options.maxDim ?? Math.max(8, options.minDim ?? 1),
    maxSize: options.maxSize ?? 256,
  };
  checkInt('minRank', c.minRank, 0);
  checkInt('maxRank', c.maxRank, c.minRank);
  checkInt('minDim', c.minDim, 0);
  checkInt('maxDim', c.maxDim, c.minDim);
  checkInt('maxSize', c.maxSize, 1);
  if (c.minDim ** c.minRank > c.maxSize) {
    throw new RangeError(`shape: the smallest shape (${c.minRank} dims of ${c.minDim}) exceeds maxSize ${c.maxSize}`);
  }
  return c;
}

export function fitsShape(c: ShapeConstraints, shape: readonly number[]): boolean {
  return (
    shape.length >= c.minRank &&
    shape.length <= c.maxRank &&
    shape.every((d) => Number.isInteger(d) && d >= c.minDim && d <= c.maxDim) &&
    sizeOf(shape) <= c.maxSize
  );
}

/** Draw a shape under the constraints. */
export function drawShape(mrng: fc.Random, c: ShapeConstraints): number[] {
  const rank = mrng.nextInt(c.minRank, c.maxRank);
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const remainingMin = c.minDim ** (rank - i - 1);
    const cap = Math.min(c.maxDim, Math.floor(c.maxSize / Math.max(1, size * remainingMin)));
    const hi = Math.max(c.minDim, cap);
    const small = Math.min(hi, c.minDim + 2);
    const d = mrng.nextInt(0, 1) === 0 ? mrng.nextInt(c.minDim, small) : mrng.nextInt(c.minDim, hi);
    shape.push(d);
    size *= Math.max(d, 1);
  }
  return shape;
}

/** Simpler shapes: lower rank first, then smaller dimensions. */
export function* simplerShapes(c: ShapeConstraints, shape: readonly number[]): Generator<number[]> {
  if (shape.length > c.minRank) {
    for (let axis = 0; axis < shape.length; axis++) yield shape.filter((_, i) => i !== axis);
  }
  for (let axis = 0; axis < shape.length; axis++) {
    const d = shape[axis]!;
    for (const smaller of new Set([c.minDim, Math.floor(d / 2), d - 1])) {
      if (smaller < d && smaller >= c.minDim) yield shape.map((v, i) => (i === axis ? smaller : v));
    }
  }
}

class ShapeArbitrary extends fc.Arbitrary<number[]> {
  constructor(readonly constraints: ShapeConstraints) {
    super();
  }
  generate(mrng: fc.Random): fc.Value<number[]> {
    return new fc.Value(drawShape(mrng, this.constraints), undefined);
  }
  canShrinkWithoutContext(value: unknown): value is number[] {
    return Array.isArray(value) && fitsShape(this.constraints, value);
  }
  shrink(value: number[]): fc.Stream<fc.Value<number[]>> {
    const c = this.constraints;
    return new fc.Stream(
      (function* () {
        for (const s of simplerShapes(c, value)) yield new fc.Value(s, undefined);
      })(),
    );
  }
}

/** An arbitrary of tensor shapes (arrays of dimension sizes). */
export function shape(options: ShapeOptions = {}): fc.Arbitrary<number[]> & { readonly constraints: ShapeConstraints } {
  return new ShapeArbitrary(shapeConstraints(options));
}

export function isShapeArbitrary(x: unknown): x is ShapeArbitrary {
  return x instanceof ShapeArbitrary;
}
