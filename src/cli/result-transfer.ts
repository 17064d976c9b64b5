/**
 * A property's result as it crosses from a worker thread to the main thread (`--timeout`,
 * `--workers`). Most of it goes as wire text (browser/wire.ts: TensorValues, -0, NaN and typed
 * arrays kept), but its error samples — up to 2000 `{ input, bits, ulps }` points per property,
 * most of a catalog run's data — go as one Float64Array whose buffer is transferred, not copied:
 * writing them as text in the worker and parsing them back in the main thread cost tens of ms per
 * property (measured: 15 ms to encode and 20-30 ms to decode 2000 points), and the main thread,
 * which takes every result in turn, paid the decoding of every worker's.
 */
import type { ErrorSample } from '../check/invariant.ts';
import type { PropertyResult } from '../property/runner.ts';
import { decode, encode } from '../browser/wire.ts';

/** A result ready to post: `transfer` is the list to pass to postMessage. */
export interface PackedResult {
  /** The result without its error samples, as wire text (with them, when they are not plain points). */
  readonly result: string;
  /** The error samples as input, bits, ulps triples (absent: none, or sent in `result`). */
  readonly samples?: Float64Array<ArrayBuffer>;
}

/** Whether every sample is a plain `{ input, bits, ulps }` of numbers (a custom invariant's may carry more: those go as text). */
function plainPoints(samples: readonly ErrorSample[]): boolean {
  return samples.every((s) => {
    const keys = Object.keys(s);
    return keys.length === 3 && typeof s.input === 'number' && typeof s.bits === 'number' && typeof s.ulps === 'number';
  });
}

/** Pack a result for postMessage; transfer `[packed.samples.buffer]` when there are samples. */
export function packResult(r: PropertyResult): PackedResult {
  const samples = r.errorSamples;
  if (!samples || samples.length === 0 || !plainPoints(samples)) return { result: encode(r) };
  const flat = new Float64Array(samples.length * 3);
  samples.forEach((s, i) => {
    flat[3 * i] = s.input;
    flat[3 * i + 1] = s.bits;
    flat[3 * i + 2] = s.ulps;
  });
  // a placeholder keeps the field's place: the result comes back with its fields in their order
  return { result: encode({ ...r, errorSamples: 0 }), samples: flat };
}

/** The result {@link packResult} packed, as it was (its fields in their order). */
export function unpackResult(packed: PackedResult): PropertyResult {
  const r = decode<{ -readonly [K in keyof PropertyResult]: PropertyResult[K] }>(packed.result);
  const flat = packed.samples;
  if (!flat) return r;
  const errorSamples: ErrorSample[] = new Array(flat.length / 3);
  for (let i = 0; i < errorSamples.length; i++) errorSamples[i] = { input: flat[3 * i]!, bits: flat[3 * i + 1]!, ulps: flat[3 * i + 2]! };
  r.errorSamples = errorSamples;
  return r;
}
