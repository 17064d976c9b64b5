/**
 * Reading and checking reference inputs.
 *
 * A reference accepts a {@link TensorValue} (what nanhunt's generators make), any
 * `{ shape, data }` object, a (possibly nested) array of numbers, a typed array, or a single
 * number. Everything is copied into a Float64Array, rounded to float32 unless the options say
 * `inputs: 'float64'`. Misfits raise errors that name the function and the argument:
 * `softmax: argument 'logits' must be a float32 or int32 tensor; got dtype 'bool'`.
 */
import type { ResolvedOptions } from './options.ts';

/** Anything a reference accepts as a tensor argument. */
export type RefInput =
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number>; readonly dtype?: string }
  | ArrayLike<number>
  | readonly (readonly number[])[]
  | readonly unknown[]
  | number;

/** A checked input: shape, size and float64 data. */
export interface Read {
  readonly shape: readonly number[];
  readonly size: number;
  readonly data: Float64Array;
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function fail(fn: string, arg: string, message: string): never {
  throw new TypeError(`${fn}: argument '${arg}' ${message}`);
}

function nestedShape(x: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = x;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenNested(fn: string, arg: string, x: readonly unknown[], shape: number[], out: number[], depth: number): void {
  if (x.length !== shape[depth]) fail(fn, arg, `is a ragged nested array: expected ${shape[depth]} entries at depth ${depth}, got ${x.length}`);
  for (const item of x) {
    if (depth === shape.length - 1) {
      if (typeof item !== 'number') fail(fn, arg, `must hold numbers; found ${typeof item} ${JSON.stringify(item)}`);
      out.push(item);
    } else {
      if (!Array.isArray(item)) fail(fn, arg, `is a ragged nested array: expected an array at depth ${depth + 1}`);
      flattenNested(fn, arg, item, shape, out, depth + 1);
    }
  }
}

function toData(values: ArrayLike<number>, inputs: ResolvedOptions['inputs'], fn: string, arg: string): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  // typed arrays whose values are what they read as: one native copy (a reference reads its
  // inputs on every case, up to 1e6 elements)
  if (values instanceof Float32Array || (inputs === 'float64' && (values instanceof Float64Array || values instanceof Int32Array))) {
    out.set(values);
    return out;
  }
  const round = inputs === 'float32';
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') fail(fn, arg, `must hold numbers; element ${i} is ${typeof v}`);
    out[i] = round ? Math.fround(v) : v;
  }
  return out;
}

/** Check and copy one tensor argument of reference `fn`. */
export function readInput(fn: string, arg: string, x: unknown, options: ResolvedOptions): Read {
  if (x === undefined || x === null) fail(fn, arg, 'is missing');
  if (typeof x === 'number') {
    return { shape: [], size: 1, data: toData([x], options.inputs, fn, arg) };
  }
  if (typeof x !== 'object') fail(fn, arg, `must be a tensor, array or number; got ${typeof x}`);
  if (Array.isArray(x)) {
    if (x.some((v) => Array.isArray(v))) {
      const shape = nestedShape(x);
      const flat: number[] = [];
      flattenNested(fn, arg, x, shape, flat, 0);
      return { shape, size: flat.length, data: toData(flat, options.inputs, fn, arg) };
    }
    return { shape: [x.length], size: x.length, data: toData(x as number[], options.inputs, fn, arg) };
  }
  if (ArrayBuffer.isView(x)) {
    const arr = x as unknown as ArrayLike<number>;
    if (x instanceof Uint8Array || x instanceof Uint8ClampedArray) {
      fail(fn, arg, 'must be float32 or int32 data; got a Uint8Array (bool data)');
    }
    if (typeof (arr as { length?: unknown }).length !== 'number') fail(fn, arg, 'must be a typed array of numbers');
    return { shape: [arr.length], size: arr.length, data: toData(arr, options.inputs, fn, arg) };
  }
  const t = x as { shape?: unknown; data?: unknown; dtype?: unknown };
  if (!Array.isArray(t.shape)) fail(fn, arg, 'must be a tensor value with a shape array and data (or an array or number)');
  for (const d of t.shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(fn, arg, `has a bad shape ${JSON.stringify(t.shape)}: dimensions must be non-negative integers`);
    }
  }
  if (t.dtype !== undefined && t.dtype !== 'float32' && t.dtype !== 'int32') {
    fail(fn, arg, `must be a float32 or int32 tensor; got dtype '${String(t.dtype)}'`);
  }
  const data = t.data as ArrayLike<number> | undefined;
  if (data === undefined || data === null || typeof data.length !== 'number') fail(fn, arg, 'has no data array');
  const shape = t.shape as number[];
  const size = sizeOfShape(shape);
  if (data.length !== size) {
    fail(fn, arg, `has shape ${formatShape(shape)} (${size} elements) but ${data.length} data values`);
  }
  return { shape: [...shape], size, data: toData(data, options.inputs, fn, arg) };
}

/** Read a plain numeric parameter (learning rate, epsilon, delta...). */
export function readScalarParam(fn: string, name: string, v: unknown, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`${fn}: parameter '${name}' must be a number; got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return v;
}

/** Throw unless the two shapes are equal. */
export function assertSameShape(fn: string, aName: string, a: Read, bName: string, b: Read): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${fn}: argument '${bName}' has shape ${formatShape(b.shape)} but '${aName}' has shape ${formatShape(a.shape)}; they must match`);
  }
}

/** Numpy/TensorFlow broadcasting of two shapes, or a RangeError naming both arguments. */
export function broadcastShape(fn: string, aName: string, a: readonly number[], bName: string, b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${fn}: arguments '${aName}' ${formatShape(a)} and '${bName}' ${formatShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** For each flat index of `outShape`, the flat index into a tensor of `shape` broadcast to it. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const size = sizeOfShape(outShape);
  const index = new Int32Array(size);
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  const coords = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < size; i++) {
    index[i] = src;
    for (let axis = rank - 1; axis >= 0; axis--) {
      coords[axis]!++;
      src += strides[axis]!;
      if (coords[axis]! < outShape[axis]!) break;
      src -= strides[axis]! * coords[axis]!;
      coords[axis] = 0;
    }
  }
  return index;
}

/** Normalize an axis argument to sorted unique non-negative axes (`undefined`/`null` = all axes). */
export function parseAxes(fn: string, axis: number | readonly number[] | null | undefined, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new RangeError(`${fn}: argument 'axis' has ${JSON.stringify(a)}, outside the range [${-rank}, ${rank}) of a rank-${rank} tensor`);
    }
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((x, y) => x - y);
}

/** Groups of a reduction: for each output element, the flat input indices reduced into it. */
export interface ReductionPlan {
  /** Output shape without the reduced axes. */
  readonly outShape: number[];
  /** Output shape with reduced axes kept as 1. */
  readonly keepShape: number[];
  readonly groups: number;
  readonly groupSize: number;
  /** `order[g * groupSize + j]` is the j-th input index of group g (row-major over the reduced axes). */
  readonly order: Int32Array;
}

export function planReduction(shape: readonly number[], axes: readonly number[]): ReductionPlan {
  const rank = shape.length;
  const reduced = new Set(axes);
  const kept = Array.from({ length: rank }, (_, i) => i).filter((i) => !reduced.has(i));
  const red = Array.from({ length: rank }, (_, i) => i).filter((i) => reduced.has(i));
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const groups = sizeOfShape(kept.map((i) => shape[i]!));
  const groupSize = sizeOfShape(red.map((i) => shape[i]!));
  const order = new Int32Array(groups * groupSize);
  if (red.every((axis, k) => axis === rank - red.length + k)) {
    // Reducing trailing axes: groups are contiguous runs.
    for (let i = 0; i < order.length; i++) order[i] = i;
    return {
      outShape: kept.map((i) => shape[i]!),
      keepShape: shape.map((d, i) => (reduced.has(i) ? 1 : d)),
      groups,
      groupSize,
      order,
    };
  }
  const offsets = (dims: number[]): Int32Array => {
    const n = sizeOfShape(dims.map((i) => shape[i]!));
    const out = new Int32Array(n);
    const coords = new Array<number>(dims.length).fill(0);
    for (let k = 0; k < n; k++) {
      let off = 0;
      for (let j = 0; j < dims.length; j++) off += coords[j]! * strides[dims[j]!]!;
      out[k] = off;
      for (let j = dims.length - 1; j >= 0; j--) {
        coords[j]!++;
        if (coords[j]! < shape[dims[j]!]!) break;
        coords[j] = 0;
      }
    }
    return out;
  };
  const outer = offsets(kept);
  const inner = offsets(red);
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < groupSize; j++) order[g * groupSize + j] = outer[g]! + inner[j]!;
  }
  return {
    outShape: kept.map((i) => shape[i]!),
    keepShape: shape.map((d, i) => (reduced.has(i) ? 1 : d)),
    groups,
    groupSize,
    order,
  };
}
