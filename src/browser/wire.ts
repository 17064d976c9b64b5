/**
 * What crosses the page boundary: results, generated inputs and saved cases as JSON text.
 *
 * TensorValues travel in their saved form (`serializeTensor`: -0, NaN and ±Infinity kept), other
 * typed arrays and non-finite numbers are tagged, functions and undefined fields are dropped. Text
 * goes through `page.evaluate` untouched, so nothing depends on Playwright's own serializer.
 */
import { deserializeValue, formatNumber, isTensorValue, serializeTensor } from '../core/tensor-value.ts';

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
  return Number.isFinite(x) && !Object.is(x, -0) ? x : { $number: formatNumber(x) };
}

function toPlain(value: unknown): unknown {
  if (isTensorValue(value)) return serializeTensor(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'bigint') return { $bigint: String(value) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new TypeError(`cannot send a ${name} across the page boundary`);
    return { $typed: name, values: Array.from(value as unknown as ArrayLike<number>, number) };
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[k] = toPlain(v);
    }
    return out;
  }
  return typeof value === 'function' ? undefined : value;
}

function fromPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.$tensor === true || (typeof o.$number === 'string' && Object.keys(o).length === 1)) return deserializeValue(o);
    if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
    if (typeof o.$typed === 'string' && Array.isArray(o.values) && Object.keys(o).length === 2) {
      const make = TYPED[o.$typed as TypedName];
      if (!make) throw new TypeError(`unknown typed array ${o.$typed}`);
      return make.from(o.values.map((v) => fromPlain(v) as number));
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromPlain(v)]));
  }
  return value;
}

/** Encode a value for the page boundary. */
export function encode(value: unknown): string {
  return JSON.stringify(toPlain(value) ?? null);
}

/** Decode what {@link encode} produced (on the other side). */
export function decode<T = unknown>(text: string): T {
  return fromPlain(JSON.parse(text)) as T;
}
