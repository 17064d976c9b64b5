/**
 * Shrinking tensors: first the shape (fewer elements, lower rank), then the values.
 *
 * Shape steps select a subset of indices along one axis (a half, then single indices, then all
 * but one) or drop an axis of size 1; the kept elements keep their values, so the failure that
 * lives in one element survives. Value steps replace one element by a strictly simpler value
 * from its Elements source (see simplify-number.ts), so the process terminates.
 */
import { sizeOf, tensorValue, type TensorValue } from '../core/tensor-value.ts';

/** Keep only `indices` (in order) along `axis`. */
export function sliceAxis(t: TensorValue, axis: number, indices: readonly number[]): TensorValue {
  const shape = t.shape;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= shape[a]!;
  let inner = 1;
  for (let a = axis + 1; a < shape.length; a++) inner *= shape[a]!;
  const n = shape[axis]!;
  const out = new Array<number>(outer * indices.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const idx of indices) {
      const base = (o * n + idx) * inner;
      for (let i = 0; i < inner; i++) out[k++] = t.data[base + i]!;
    }
  }
  const newShape = shape.map((d, a) => (a === axis ? indices.length : d));
  return tensorValue(newShape, out, t.dtype);
}

/** Remove an axis of size 1. */
export function dropAxis(t: TensorValue, axis: number): TensorValue {
  if (t.shape[axis] !== 1) throw new RangeError(`dropAxis: axis ${axis} has size ${t.shape[axis]}, not 1`);
  return tensorValue(
    t.shape.filter((_, a) => a !== axis),
    t.data,
    t.dtype,
  );
}

/** Replace element i. */
export function withElement(t: TensorValue, i: number, value: number): TensorValue {
  const data = Array.from(t.data);
  data[i] = value;
  return tensorValue(t.shape, data, t.dtype);
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * Index subsets to keep along an axis of size n (never fewer than `min` indices), smallest first:
 * halves, single indices (for small axes), then all but one.
 */
export function* keepSubsets(n: number, min: number): Generator<number[]> {
  if (n <= min) return;
  const singles = Math.max(min, 1) === 1;
  if (singles && n <= 8) for (let i = 0; i < n; i++) yield [i];
  const half = Math.ceil(n / 2);
  if (half >= min && half < n) {
    yield range(0, half);
    yield range(n - half, n);
  }
  if (n > 8 && singles) {
    yield [0];
    yield [n - 1];
  }
  if (n - 1 >= min) for (let i = 0; i < n; i++) yield range(0, n).filter((j) => j !== i);
}

/**
 * Simpler elements, one at a time, for elements `from` to `to` (excluded; default every element
 * of the tensor), each with the index of the element it changed.
 */
export function* simplerElements(
  t: TensorValue,
  simpler: (x: number) => Iterable<number>,
  from = 0,
  to = sizeOf(t.shape),
): Generator<readonly [number, TensorValue]> {
  for (let i = from; i < to; i++) {
    for (const c of simpler(t.data[i]!)) yield [i, withElement(t, i, c)];
  }
}
