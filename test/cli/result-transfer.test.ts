/**
 * Results crossing from a worker thread: error samples as a transferred Float64Array, the rest as
 * wire text; what arrives is the result that left, field order included (a shard's report holds
 * the results as text).
 */
import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { encode } from '../../src/browser/wire.ts';
import { packResult, unpackResult, type PackedResult } from '../../src/cli/result-transfer.ts';
import type { PropertyResult } from '../../src/property/runner.ts';

const base: PropertyResult = {
  name: 'transfer p',
  expectedFailure: false,
  backend: 'cpu',
  seed: 7,
  interrupted: false,
  errorSamples: [
    { input: 1.5, bits: 0, ulps: 0 },
    { input: -0, bits: Number.NaN, ulps: Number.POSITIVE_INFINITY },
    { input: -3e38, bits: 2.25, ulps: 3 },
  ],
  status: 'passed',
  runs: 100,
  shrinks: 0,
  durationMs: 12.5,
};

/** Posted through a real MessageChannel, its buffer transferred. */
async function posted(p: PackedResult): Promise<PackedResult> {
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<PackedResult>((resolve) => port2.once('message', resolve));
  port1.postMessage(p, p.samples ? [p.samples.buffer] : []);
  const m = await got;
  port1.close();
  return m;
}

describe('packResult / unpackResult', () => {
  it('sends the error samples as one transferred Float64Array and gets the same result back, field order, NaN and -0 kept', async () => {
    const packed = packResult(base);
    expect(packed.samples).toBeInstanceOf(Float64Array);
    expect(packed.samples!.length).toBe(9);
    expect(packed.result).not.toContain('1.5'); // the samples are not in the text
    const back = unpackResult(await posted(packed));
    expect(packed.samples!.byteLength).toBe(0); // transferred, not copied
    expect(encode(back)).toBe(encode(base));
    expect(Object.keys(back)).toEqual(Object.keys(base));
    expect(Object.is(back.errorSamples![1]!.input, -0)).toBe(true);
  });

  it('sends a result without samples, or with samples that are not plain points, as text alone', async () => {
    const { errorSamples: _, ...none } = base;
    const point = { input: 1, bits: 0, ulps: 0, note: 'a custom invariant' };
    const custom: PropertyResult = { ...base, errorSamples: [point] };
    for (const r of [none as PropertyResult, custom]) {
      const packed = packResult(r);
      expect(packed.samples).toBeUndefined();
      expect(encode(unpackResult(await posted(packed)))).toBe(encode(r));
    }
  });
});
