/**
 * TensorValue: the plain, printable form of a generated tensor.
 *
 * Generators never create tf.Tensors. They produce TensorValues (shape, dtype, a typed array),
 * which the runner turns into tensors only inside a run. A failing case can therefore be
 * printed, compared, saved to disk and replayed without a backend.
 */
import * as fc from 'fast-check';

export type DType = 'float32' | 'int32' | 'bool';
export type TypedData = Float32Array | Int32Array | Uint8Array;

export interface TensorValue {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedData;
}

const BRAND = Symbol.for('nanhunt.TensorValue');

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function arrayFor(dtype: DType, values: ArrayLike<number>): TypedData {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'int32') return Int32Array.from(values);
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}

/**
 * Format one element the way it must be typed back in (keeps -0, NaN, Infinity). Float32 values
 * print as the shortest decimal that rounds back to them (float32 data is read through fround).
 */
export function formatNumber(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Math.fround(x) === x) {
    // the shortest text that reads back as this float32: 1e38, not 9.999999680285692e+37
    for (let p = 1; p <= 9; p++) {
      const t = x.toPrecision(p);
      if (Math.fround(Number(t)) === x) {
        const a = Math.abs(x);
        return a === 0 || (a >= 1e-4 && a < 1e7) ? String(Number(t)) : Number(t).toExponential();
      }
    }
  }
  return String(x);
}

/** Nested-array text of the elements, e.g. `[[1, 2], [3, 4]]`; long tensors are elided. */
export function formatData(shape: readonly number[], data: ArrayLike<number>, limit = 64): string {
  const n = data.length;
  const show = (i: number): string => formatNumber(data[i]!);
  if (shape.length === 0) return n > 0 ? show(0) : '[]';
  if (n > limit) {
    const head = Array.from({ length: Math.min(8, n) }, (_, i) => show(i)).join(', ');
    return `[${head}, … ${n - 8} more]`;
  }
  const rec = (axis: number, offset: number): string => {
    const size = shape[axis]!;
    let stride = 1;
    for (let a = axis + 1; a < shape.length; a++) stride *= shape[a]!;
    const parts: string[] = [];
    for (let i = 0; i < size; i++) {
      parts.push(axis === shape.length - 1 ? show(offset + i) : rec(axis + 1, offset + i * stride));
    }
    return `[${parts.join(', ')}]`;
  };
  return rec(0, 0);
}

class TensorValueImpl implements TensorValue {
  readonly [BRAND] = true;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly data: TypedData,
  ) {}
  toString(): string {
    return `tensor(${formatData(this.shape, this.data, Infinity)}, [${this.shape.join(', ')}], '${this.dtype}')`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
  toJSON(): SerializedTensor {
    return serializeTensor(this);
  }
}

/** Make a TensorValue. Values are copied into a typed array of the dtype. */
export function tensorValue(shape: readonly number[], values: ArrayLike<number>, dtype: DType = 'float32'): TensorValue {
  const size = sizeOf(shape);
  if (values.length !== size) {
    throw new RangeError(`tensorValue: shape [${shape.join(', ')}] holds ${size} elements but ${values.length} were given`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensorValue: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
  return new TensorValueImpl(Object.freeze([...shape]), dtype, arrayFor(dtype, values));
}

export function isTensorValue(x: unknown): x is TensorValue {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
}

/** JSON form of a tensor value: non-finite numbers and -0 are kept as strings. */
export interface SerializedTensor {
  readonly $tensor: true;
  readonly shape: number[];
  readonly dtype: DType;
  /** The values in row-major order (-0, NaN and ±Infinity as strings). */
  readonly values?: (number | string)[];
  /** Instead of `values`: runs of equal values, `[value, count]`, as {@link compactSerialized} writes them. */
  readonly runs?: [number | string, number][];
}

export function serializeTensor(t: TensorValue): SerializedTensor {
  const values = Array.from(t.data, (v) => (Number.isFinite(v) && !Object.is(v, -0) ? v : formatNumber(v)));
  return { $tensor: true, shape: [...t.shape], dtype: t.dtype, values };
}

function parseNumber(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === '-0') return -0;
  const x = Number(v);
  if (v === 'NaN' || !Number.isNaN(x)) return x;
  throw new TypeError(`not a number: ${JSON.stringify(v)}`);
}

export function deserializeTensor(s: SerializedTensor): TensorValue {
  if (!Array.isArray(s.shape) || !['float32', 'int32', 'bool'].includes(s.dtype) || Array.isArray(s.values) === Array.isArray(s.runs)) {
    throw new TypeError('malformed tensor: needs shape, dtype and values (or runs)');
  }
  if (s.values) return tensorValue(s.shape, s.values.map(parseNumber), s.dtype);
  const size = s.shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  let at = 0;
  for (const run of s.runs!) {
    const count = Array.isArray(run) ? run[1] : undefined;
    if (!Number.isInteger(count) || count! < 1 || at + count! > size)
      throw new TypeError('malformed tensor: runs must be [value, count] pairs that fill the shape');
    data.fill(parseNumber(run[0]), at, at + count!);
    at += count!;
  }
  if (at !== size) throw new TypeError('malformed tensor: runs must be [value, count] pairs that fill the shape');
  return tensorValue(s.shape, data, s.dtype);
}

/**
 * Serialized data (serializeValue) with every tensor of long runs of equal values written as
 * `runs` of `[value, count]` (when that takes at most a quarter of the entries): the large minimal
 * cases shrinking leaves (a million copies of 0.1) take a line instead of megabytes.
 * deserializeValue reads both forms.
 */
export function compactSerialized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compactSerialized);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (obj.$tensor === true && Array.isArray(obj.values)) {
    const values = obj.values as (number | string)[];
    const runs: [number | string, number][] = [];
    for (const v of values) {
      const last = runs[runs.length - 1];
      if (last && Object.is(last[0], v)) last[1]++;
      else runs.push([v, 1]);
    }
    if (runs.length * 4 > values.length) return value;
    return { $tensor: true, shape: obj.shape, dtype: obj.dtype, runs };
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, compactSerialized(v)]));
}

/** Serialize any generated input (nested arrays/records of tensors and plain values) to JSON-safe data. */
export function serializeValue(value: unknown): unknown {
  if (isTensorValue(value)) return serializeTensor(value);
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: formatNumber(value) };
  if (Array.isArray(value)) return value.map(serializeValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serializeValue(v)]));
  }
  return value;
}

/** Inverse of {@link serializeValue}. */
export function deserializeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deserializeValue);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj.$tensor === true) return deserializeTensor(obj as unknown as SerializedTensor);
    if (typeof obj.$number === 'string' && Object.keys(obj).length === 1) return parseNumber(obj.$number);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, deserializeValue(v)]));
  }
  return value;
}

/**
 * `inputs` with every float32 subnormal (in tensors and in plain numbers, at any depth) read as
 * ±0, as a backend with denormals-are-zero sees them; the same object when nothing changes.
 */
export function flushSubnormalInputs<T>(inputs: T): T {
  const min = 2 ** -126;
  const flush = (x: unknown): unknown => {
    if (typeof x === 'number') return x !== 0 && Math.abs(Math.fround(x)) < min ? (x < 0 ? -0 : 0) : x;
    if (isTensorValue(x)) {
      if (x.dtype !== 'float32' || !x.data.some((v) => v !== 0 && Math.abs(v) < min)) return x;
      return tensorValue(
        x.shape,
        Array.from(x.data, (v) => (v !== 0 && Math.abs(v) < min ? (v < 0 ? -0 : 0) : v)),
        x.dtype,
      );
    }
    if (Array.isArray(x)) {
      const out = x.map(flush);
      return out.some((v, i) => v !== x[i]) ? out : x;
    }
    // plain records (fast-check's records have a null prototype)
    const proto = x !== null && typeof x === 'object' ? Object.getPrototypeOf(x) : undefined;
    if (proto === Object.prototype || proto === null) {
      const entries = Object.entries(x as object).map(([k, v]) => [k, flush(v)] as const);
      return entries.some(([k, v]) => v !== (x as Record<string, unknown>)[k]) ? Object.fromEntries(entries) : x;
    }
    return x;
  };
  return flush(inputs) as T;
}
