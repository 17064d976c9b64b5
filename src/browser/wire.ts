/**
 * What crosses the page boundary: results, generated inputs and saved cases as JSON text.
 *
 * TensorValues travel in their saved form (`serializeTensor`: -0, NaN and ±Infinity kept), other
 * typed arrays and non-finite numbers are tagged, functions and undefined fields are dropped. Text
 * goes through `page.evaluate` untouched, so nothing depends on Playwright's own serializer.
 * Tags are objects with a `$wire` key, so data that merely looks like a saved tensor (a baseline
 * entry's case, `{ $tensor: true, ... }`) arrives as it left; an object of the caller's with a
 * `$wire` key of its own is wrapped.
 */
import { deserializeTensor, formatNumber, isTensorValue, serializeTensor, type SerializedTensor } from '../core/tensor-value.ts';

type TypedName =
  | 'Float32Array'
  | 'Float64Array'
  | 'Int32Array'
  | 'Uint8Array'
  | 'Int8Array'
  | 'Int16Array'
  | 'Uint16Array'
  | 'Uint32Array'
  | 'Uint8ClampedArray';

const TYPED: Record<TypedName, { from(values: ArrayLike<number>): ArrayLike<number> }> = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int8Array,
  Int16Array,
  Uint16Array,
  Uint32Array,
  Uint8ClampedArray,
};

function number(x: number): unknown {
  return Number.isFinite(x) && !Object.is(x, -0) ? x : { $wire: 'number', value: formatNumber(x) };
}

function parseNumber(v: string): number {
  return v === '-0' ? -0 : Number(v);
}

function toPlain(value: unknown): unknown {
  if (isTensorValue(value)) return { $wire: 'tensor', value: serializeTensor(value) };
  if (typeof value === 'number') return number(value);
  if (typeof value === 'bigint') return { $wire: 'bigint', value: String(value) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new TypeError(`cannot send a ${name} across the page boundary`);
    return { $wire: 'typed', type: name, value: Array.from(value as unknown as ArrayLike<number>, number) };
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[k] = toPlain(v);
    }
    return '$wire' in out ? { $wire: 'object', value: out } : out;
  }
  return typeof value === 'function' ? undefined : value;
}

function fromPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const fields = (x: unknown) => Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromPlain(v)]));
  switch (o.$wire) {
    case undefined:
      return fields(o);
    case 'object':
      return fields(o.value);
    case 'tensor':
      return deserializeTensor(o.value as SerializedTensor);
    case 'number':
      return parseNumber(o.value as string);
    case 'bigint':
      return BigInt(o.value as string);
    case 'typed': {
      const make = TYPED[o.type as TypedName];
      if (!make) throw new TypeError(`unknown typed array ${String(o.type)}`);
      return make.from((o.value as unknown[]).map((v) => fromPlain(v) as number));
    }
    default:
      throw new TypeError(`unknown wire tag ${String(o.$wire)}`);
  }
}

/** Encode a value for the page boundary. */
export function encode(value: unknown): string {
  return JSON.stringify(toPlain(value) ?? null);
}

/** Decode what {@link encode} produced (on the other side). */
export function decode<T = unknown>(text: string): T {
  return fromPlain(JSON.parse(text)) as T;
}
