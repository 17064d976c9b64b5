import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  binaryLabels,
  deserializeValue,
  float32,
  MAX_FLOAT32,
  UNDERFLOWING_SUMS,
  gradients,
  learningRates,
  logits,
  oneHotLabels,
  probabilities,
  serializeValue,
  shape,
  sizeOf,
  tensor,
  tensors,
  tensorValue,
  weights,
  type TensorValue,
} from '../../src/index.ts';

const SEED = 99;

describe('shape()', () => {
  it('stays within rank and size bounds', () => {
    const shapes = fc.sample(shape({ minRank: 1, maxRank: 4, maxDim: 10, maxSize: 100 }), { numRuns: 500, seed: SEED });
    for (const s of shapes) {
      expect(s.length).toBeGreaterThanOrEqual(1);
      expect(s.length).toBeLessThanOrEqual(4);
      expect(s.every((d) => d >= 1 && d <= 10)).toBe(true);
      expect(sizeOf(s)).toBeLessThanOrEqual(100);
    }
    expect(new Set(shapes.map((s) => s.length))).toEqual(new Set([1, 2, 3, 4]));
  });
  it('rejects impossible bounds', () => {
    expect(() => shape({ minRank: 3, maxRank: 2 })).toThrow(/maxRank/);
    expect(() => shape({ minRank: 3, minDim: 10, maxDim: 10, maxSize: 100 })).toThrow(/exceeds maxSize/);
  });
});

describe('tensor()', () => {
  it('fills whole tensors from a float32 focus with its probability, and never without one', () => {
    const SIZE = 6;
    const zoned = (t: { data: ArrayLike<number> }) => Array.from(t.data).every((v) => Math.abs(v) >= MAX_FLOAT32 / 2);
    const focused = fc.sample(tensor({ shape: [SIZE], elements: float32({ focus: { p: 0.5, at: [MAX_FLOAT32] } }) }), { numRuns: 400, seed: SEED });
    const share = focused.filter(zoned).length / focused.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    const plain = fc.sample(tensor({ shape: [SIZE] }), { numRuns: 400, seed: SEED });
    expect(plain.filter(zoned).length).toBeLessThan(8);
    const negative = fc.sample(tensor({ shape: [SIZE], elements: float32({ focus: { p: 1, at: [1e17], sign: -1 } }) }), { numRuns: 50, seed: SEED });
    expect(negative.flatMap((t) => Array.from(t.data)).every((v) => v <= -5e16 && v >= -1e17)).toBe(true);
  });

  it('draws several focus zones each with its probability, in the band `spread` gives; UNDERFLOWING_SUMS differences are subnormal', () => {
    const SIZE = 6;
    const MIN_NORMAL = 2 ** -126;
    const inBand = (lo: number, hi: number) => (t: { data: ArrayLike<number> }) => Array.from(t.data).every((v) => Math.abs(v) >= lo && Math.abs(v) <= hi);
    const zones = [
      { p: 0.3, at: [9.3518], spread: 0.0007 },
      { p: 0.2, at: [MAX_FLOAT32], sign: -1 as const },
    ];
    const ts = fc.sample(tensor({ shape: [SIZE], elements: float32({ focus: zones }) }), { numRuns: 1000, seed: SEED });
    const narrow = ts.filter(inBand(Math.fround(9.3518 * (1 - 0.0007)), 9.3518)).length / ts.length;
    const huge = ts.filter((t) => Array.from(t.data).every((v) => v <= -MAX_FLOAT32 / 2)).length / ts.length;
    expect(narrow).toBeGreaterThan(0.25);
    expect(narrow).toBeLessThan(0.35);
    expect(huge).toBeGreaterThan(0.15);
    expect(huge).toBeLessThan(0.25);
    // one zone alone draws as before the list existed (the same tensors for the same seed)
    const one = { p: 0.5, at: [MAX_FLOAT32] };
    const a = fc.sample(tensor({ shape: [SIZE], elements: float32({ focus: one }) }), { numRuns: 50, seed: SEED });
    const b = fc.sample(tensor({ shape: [SIZE], elements: float32({ focus: [one] }) }), { numRuns: 50, seed: SEED });
    expect(a.map((t) => Array.from(t.data))).toEqual(b.map((t) => Array.from(t.data)));
    // the zone at the bottom of the normal range: every element in ±[2^-126, 2^-125], so two of opposite signs sum to a subnormal or 0
    const under = fc
      .sample(tensor({ shape: [SIZE], elements: float32({ focus: UNDERFLOWING_SUMS }) }), { numRuns: 400, seed: SEED })
      .filter(inBand(MIN_NORMAL, 2 * MIN_NORMAL));
    expect(under.length / 400).toBeGreaterThan(0.15);
    for (const t of under) expect(Math.abs(Math.fround(Math.abs(t.data[0]!) - Math.abs(t.data[1]!)))).toBeLessThan(MIN_NORMAL);
  });

  it('produces printable TensorValues with the element source dtype', () => {
    const ts = fc.sample(tensor({ shape: { maxRank: 2, maxSize: 16 } }), { numRuns: 200, seed: SEED });
    for (const t of ts) {
      expect(t.dtype).toBe('float32');
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.length).toBe(sizeOf(t.shape));
      expect(String(t)).toMatch(/^tensor\(/);
    }
  });
  it('keeps a fixed shape', () => {
    const ts = fc.sample(tensor({ shape: [2, 3] }), { numRuns: 20, seed: SEED });
    expect(ts.every((t) => t.shape.join() === '2,3')).toBe(true);
  });
  it('draws whole tensors from one class sometimes (all huge, all tiny)', () => {
    const ts = fc.sample(tensor({ shape: [8] }), { numRuns: 300, seed: SEED });
    const allHuge = ts.filter((t) => Array.from(t.data).every((v) => Math.abs(v) > 1e30));
    const allTiny = ts.filter((t) => Array.from(t.data).every((v) => v !== 0 && Math.abs(v) < 1e-37));
    expect(allHuge.length).toBeGreaterThan(0);
    expect(allTiny.length).toBeGreaterThan(0);
  });
});

describe('tensors()', () => {
  it('shares named dimensions between tensors', () => {
    const arb = tensors({
      dims: { m: { min: 1, max: 5 }, k: { min: 1, max: 5 }, n: { min: 1, max: 5 } },
      tensors: { a: { shape: ['m', 'k'] }, b: { shape: ['k', 'n'] } },
    });
    for (const { a, b } of fc.sample(arb, { numRuns: 200, seed: SEED })) expect(a.shape[1]).toBe(b.shape[0]);
  });
  it('shrinks a shared dimension in every tensor at once', () => {
    const arb = tensors({ dims: { n: { min: 1, max: 8 } }, tensors: { x: { shape: ['n', 2] }, y: { shape: ['n'] } } });
    const value = { x: tensorValue([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), y: tensorValue([4], [1, 2, 3, 4]) };
    for (const v of [...arb.shrink(value, undefined)].slice(0, 20).map((s) => s.value)) {
      expect(v.x.shape[0]).toBe(v.y.shape[0]);
      expect(v.x.shape[1]).toBe(2);
    }
  });
  it('rejects unknown dimension names', () => {
    expect(() => tensors({ dims: { n: {} }, tensors: { x: { shape: ['m'] } } })).toThrow(/dimension 'm', which is not in dims/);
  });
});

describe('domain generators', () => {
  const values = (e: { fill: (m: fc.Random, n: number, b: undefined) => ArrayLike<number> }, n = 400): number[] =>
    fc.sample(tensor({ shape: [n], elements: e as never }), { numRuns: 5, seed: SEED }).flatMap((t) => Array.from(t.data));

  it('logits include saturated values and the exp edge', () => {
    const xs = values(logits());
    expect(xs.some((x) => Math.abs(x) >= 17.3287 && Math.abs(x) < 18)).toBe(true);
    expect(xs.some((x) => Math.abs(x) > 88.7)).toBe(true);
    expect(xs.some((x) => Math.abs(x) < 10)).toBe(true);
    expect(values(logits({ maxMagnitude: 100 })).every((x) => Math.abs(x) <= 100)).toBe(true);
  });
  it('probabilities are in [0, 1] and include exact 0 and 1 and near-1 values', () => {
    const xs = values(probabilities());
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(xs).toContain(0);
    expect(xs).toContain(1);
    expect(xs.some((x) => x > 0.999 && x < 1)).toBe(true);
    expect(xs.some((x) => x > 0 && x < 1e-30)).toBe(true);
  });
  it('binary labels are 0 or 1; one-hot rows have exactly one 1', () => {
    expect(new Set(values(binaryLabels()))).toEqual(new Set([0, 1]));
    for (const t of fc.sample(oneHotLabels({ classes: 4 }), { numRuns: 50, seed: SEED })) {
      expect(t.shape[1]).toBe(4);
      for (let r = 0; r < t.shape[0]!; r++) expect(Array.from(t.data.subarray(r * 4, r * 4 + 4)).reduce((a, b) => a + b)).toBe(1);
    }
  });
  it('weights span tiny to huge scales and honour a fixed uniform init', () => {
    const ts = fc.sample(tensor({ shape: [16], elements: weights() }), { numRuns: 200, seed: SEED });
    const maxes = ts.map((t) => Math.max(...Array.from(t.data, Math.abs)));
    expect(maxes.some((m) => m < 1e-10)).toBe(true);
    expect(maxes.some((m) => m > 1e10)).toBe(true);
    const u = values(weights({ init: { uniform: [1, 10] }, scale: 1 }));
    expect(u.every((x) => x >= 1 && x <= 10)).toBe(true);
    expect(() => weights({ scale: -1 })).toThrow(/scale must be a positive/);
  });
  it('gradients have per-tensor magnitudes from 1e-45 to 3e38', () => {
    const ts = fc.sample(tensor({ shape: [8], elements: gradients() }), { numRuns: 300, seed: SEED });
    const mags = ts.map((t) => Math.max(...Array.from(t.data, Math.abs)));
    expect(mags.some((m) => m > 0 && m < 1e-40)).toBe(true);
    expect(mags.some((m) => m > 1e35)).toBe(true);
    expect(ts.every((t) => Array.from(t.data).every(Number.isFinite))).toBe(true);
  });
  it('learning rates lie in [1e-8, 1e3] and include common values', () => {
    const lrs = fc.sample(learningRates(), { numRuns: 500, seed: SEED });
    expect(lrs.every((x) => x >= Math.fround(1e-8) && x <= 1000)).toBe(true);
    expect(lrs).toContain(Math.fround(1e-3));
    expect(lrs.some((x) => x < 1e-6)).toBe(true);
    expect(lrs.some((x) => x > 100)).toBe(true);
  });
});

describe('TensorValue serialization', () => {
  it('round-trips -0, NaN and ±Infinity', () => {
    const t = tensorValue([2, 3], [-0, NaN, Infinity, -Infinity, 1.5, 1e-45]);
    const back = deserializeValue(JSON.parse(JSON.stringify(serializeValue({ t, lr: -0 })))) as { t: TensorValue; lr: number };
    expect(Array.from(back.t.data)).toEqual(Array.from(t.data));
    expect(Object.is(back.t.data[0], -0)).toBe(true);
    expect(back.t.shape).toEqual([2, 3]);
    expect(Object.is(back.lr, -0)).toBe(true);
    expect(() => tensorValue([2], [1, 2, 3])).toThrow(/holds 2 elements but 3/);
  });
  it('prints as a literal', () => {
    expect(String(tensorValue([2], [18, -0]))).toBe("tensor([18, -0], [2], 'float32')");
    // fast-check prints a counterexample's tensors the same way, inside records too
    expect(fc.stringify({ x: tensorValue([2], [18, -0]) })).toBe(`{"x":tensor([18, -0], [2], 'float32')}`);
    // every generated float32 (subnormals, ±0, the edges, NaN, ±Infinity) prints as text that reads back to the same float32
    const samples = fc.sample(tensor({ shape: [4], elements: float32({ nonFinite: true }) }), { numRuns: 300, seed: SEED });
    const printed = samples.map((t) => {
      const m = String(t).match(/^tensor\(\[(.*)\], \[4\], 'float32'\)$/);
      expect(m, String(t)).not.toBeNull();
      const back = Float32Array.from(m![1]!.split(', '), Number);
      expect(
        Array.from(back, (x, i) => Object.is(x, t.data[i])),
        String(t),
      ).toEqual([true, true, true, true]);
      return m![1]!;
    });
    // the sample did reach the values whose text is easy to get wrong
    for (const special of ['-0', 'NaN', 'Infinity', '-Infinity', '1e-45'])
      expect(
        printed.some((p) => p.split(', ').includes(special)),
        special,
      ).toBe(true);
  });
});

describe('flushSubnormalInputs (how a denormals-are-zero backend reads inputs)', () => {
  it('reads every float32 subnormal as ±0 in tensors, numbers, arrays and records (null-prototype ones too), and returns the inputs themselves when none is there', async () => {
    const { flushSubnormalInputs, tensorValue: tv } = await import('../../src/core/tensor-value.ts');
    const tiny = 2 ** -149;
    const record = Object.assign(Object.create(null) as Record<string, unknown>, { x: tv([3], [tiny, -tiny, 1]), lr: 1e-40, list: [2 ** -130, 5] });
    const out = flushSubnormalInputs(record) as { x: { data: Float32Array }; lr: number; list: number[] };
    expect(Array.from(out.x.data)).toEqual([0, -0, 1]);
    expect(Object.is(out.x.data[1], -0)).toBe(true);
    expect(out.lr).toBe(0);
    expect(out.list).toEqual([0, 5]);
    expect(Array.from((record.x as { data: Float32Array }).data)).toEqual([tiny, -tiny, 1].map(Math.fround)); // not mutated
    const normal = { x: tv([2], [2 ** -126, -3]), n: 1e-30 };
    expect(flushSubnormalInputs(normal)).toBe(normal);
  });
});
