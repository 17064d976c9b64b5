import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as linalg from '../../src/reference/linalg.ts';
import * as layers from '../../src/reference/layers.ts';
import * as red from '../../src/reference/reductions.ts';
import { exactKind } from '../../src/reference/index.ts';

const vals = (t: { values: Float64Array }): number[] => Array.from(t.values);
const f32 = (n: number, lo = -8, hi = 8) =>
  fc.array(fc.float({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map(Math.fround), { minLength: n, maxLength: n });

/** Direct float64 convolution (NHWC, one spatial geometry given by taps), for comparison. */
function naiveConv2d(x: number[], xs: number[], f: number[], fs: number[], stride: number, padTop: number, padLeft: number, oh: number, ow: number): number[] {
  const [b, h, w, cin] = xs as [number, number, number, number];
  const [kh, kw, , cout] = fs as [number, number, number, number];
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let co = 0; co < cout; co++) {
          let s = 0;
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const y = i * stride - padTop + p;
              const z = j * stride - padLeft + q;
              if (y < 0 || y >= h || z < 0 || z >= w) continue;
              for (let ci = 0; ci < cin; ci++) s += x[((n * h + y) * w + z) * cin + ci]! * f[((p * kw + q) * cin + ci) * cout + co]!;
            }
          out.push(s);
        }
  return out;
}

describe('sums of products', () => {
  it('settles cancellation exactly and marks every element as an accumulation', () => {
    const d = linalg.dot({ shape: [1, 3], data: [3e38, 1, -3e38] }, { shape: [3], data: [1, 1, 1] });
    expect(vals(d)).toEqual([1]); // float64 alone gives 0
    expect(d.stats.slow).toBe(1);
    expect(Array.from(d.absSum!)).toEqual([Math.fround(3e38) * 2 + 1]);
    expect(Array.from(d.terms!)).toEqual([3]);
    // IEEE: 0·Infinity is NaN, Infinity - Infinity is NaN, Infinity + finite is Infinity
    expect(exactKind(linalg.dot([0, 1], [Infinity, 1]), 0)).toBe('nan');
    expect(exactKind(linalg.dot([1, 1], [Infinity, -Infinity]), 0)).toBe('nan');
    expect(vals(linalg.dot([1, 1], [Infinity, 5]))).toEqual([Infinity]);
  });

  it('conv matches a direct float64 convolution (valid and same padding, strides 1 and 2)', () => {
    fc.assert(
      fc.property(f32(2 * 5 * 4 * 2), f32(3 * 2 * 2 * 3), fc.constantFrom(1, 2), fc.constantFrom('valid' as const, 'same' as const), (x, f, s, pad) => {
        const xs = [2, 5, 4, 2];
        const fs = [3, 2, 2, 3];
        const r = linalg.conv({ shape: xs, data: x }, { shape: fs, data: f }, { strides: s, padding: pad });
        const [oh, ow] = [r.shape[1]!, r.shape[2]!];
        const padTop = pad === 'same' ? Math.floor(Math.max(0, (oh - 1) * s + 3 - 5) / 2) : 0;
        const padLeft = pad === 'same' ? Math.floor(Math.max(0, (ow - 1) * s + 2 - 4) / 2) : 0;
        const want = naiveConv2d(x, xs, f, fs, s, padTop, padLeft, oh, ow);
        return want.every((v, i) => Math.abs(v - r.values[i]!) <= 1e-12 * (1 + Math.abs(v)));
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it('convTranspose is the adjoint of conv: <conv(y, f), x> = <y, convTranspose(x, f)>', () => {
    fc.assert(
      fc.property(f32(1 * 5 * 5 * 2), f32(3 * 3 * 2 * 3), fc.constantFrom(1, 2), (y, f, s) => {
        const yShape = [1, 5, 5, 2];
        const c = linalg.conv({ shape: yShape, data: y }, { shape: [3, 3, 2, 3], data: f }, { strides: s, padding: 'same' });
        const x = c.values.map((_, i) => ((i * 7) % 5) - 2);
        const t = linalg.convTranspose({ shape: c.shape, data: x }, { shape: [3, 3, 2, 3], data: f }, yShape, { strides: s, padding: 'same' });
        const lhs = c.values.reduce((acc, v, i) => acc + v * x[i]!, 0);
        const rhs = t.values.reduce((acc, v, i) => acc + v * y[i]!, 0);
        return Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs));
      }),
      { seed: 12, numRuns: 40 },
    );
  });

  it('conv derivatives are the sums of taps and of inputs under them', () => {
    // 1-d: x [1, 3, 1], filter [2, 1, 1] = [a, b], valid: y0 = a x0 + b x1, y1 = a x1 + b x2
    const d = linalg.convDerivative({ shape: [1, 3, 1], data: [1, 2, 3] }, { shape: [2, 1, 1], data: [10, 20] });
    expect(vals(d.x)).toEqual([10, 30, 20]);
    expect(vals(d.filter)).toEqual([1 + 2, 2 + 3]);
    const dm = linalg.batchMatMulDerivative({ shape: [2, 1, 2], data: [1, 2, 3, 4] }, { shape: [1, 2, 1], data: [5, 6] });
    expect(vals(dm.a)).toEqual([5, 6, 5, 6]);
    expect(vals(dm.b)).toEqual([1 + 3, 2 + 4]); // summed over the broadcast batch
  });
});

describe('layers', () => {
  it('pools: average over the taps inside the input, max with NaN propagating; derivatives with ties as intervals', () => {
    const x = { shape: [1, 2, 2, 1], data: [1, 2, 3, 4] };
    expect(vals(layers.pool(x, 'avg', [2, 2]))).toEqual([2.5]);
    // same padding, 3x3 window at the corner sees 4 taps
    expect(vals(layers.pool(x, 'avg', [3, 3], { padding: 'same' }))).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(exactKind(layers.pool({ shape: [1, 2, 2, 1], data: [1, NaN, 3, 4] }, 'max', [2, 2]), 0)).toBe('nan');
    const d = layers.poolDerivative({ shape: [1, 1, 3, 1], data: [5, 5, 1] }, 'max', [1, 3]);
    expect(vals(d)).toEqual([0.5, 0.5, 0]);
    expect(Array.from(d.lower!)).toEqual([0, 0, NaN]);
    expect(Array.from(d.upper!)).toEqual([1, 1, NaN]);
    const a = layers.poolDerivative({ shape: [1, 3, 3, 1], data: new Array(9).fill(0) }, 'avg', [3, 3], { padding: 'same' });
    expect(a.values[4]).toBeCloseTo(4 / 4 + 4 / 6 + 1 / 9, 14);
  });

  it('batchNorm, LRN and layer norm are exact where float64 would not settle them, and follow IEEE on special values', () => {
    const bn = layers.batchNorm([3], [1], [0.999], [0.5], [2], 0.001);
    expect(vals(bn)).toEqual([0.5 + (2 * 2) / Math.sqrt(Math.fround(0.999) + 0.001)]);
    expect(exactKind(layers.batchNorm([Infinity], [Infinity], [1], [0], [1]), 0)).toBe('nan');
    expect(vals(layers.batchNorm([1], [0], [Infinity], [7], [1]))).toEqual([7]);
    // LRN of one huge element is finite: x / sqrt(1 + x²) ≈ 1
    const l = layers.lrn({ shape: [1, 1, 1, 1], data: [2e19] }, 2, 1, 1, 0.5);
    expect(Math.fround(l.values[0]!)).toBe(1);
    expect(exactKind(layers.lrn({ shape: [1, 1, 1, 2], data: [Infinity, 1] }, 2, 1, 1, 0.5), 0)).toBe('nan');
    expect(vals(layers.lrn({ shape: [1, 1, 1, 2], data: [Infinity, 1] }, 2, 1, 1, 0.5))[1]).toBe(0);
    // layer norm of [1, 3]: mean 2, variance 1
    const ln = layers.layerNorm({ shape: [1, 2], data: [1, 3] }, [1, 1], [0, 0]);
    const sd = Math.sqrt(1 + layers.LAYER_NORM_EPSILON);
    expect(vals(ln)).toEqual([-1 / sd, 1 / sd]);
    expect(vals(layers.layerNorm({ shape: [1, 2], data: [1, Infinity] }, [1, 1], [0, 0])).every(Number.isNaN)).toBe(true);
  });

  it('resizes with exact source fractions (TensorFlow rules), a pixel of weight 0 taking no part', () => {
    const img = { shape: [1, 1, 2, 1], data: [0, 8] };
    expect(vals(layers.resizeBilinear(img, [1, 3], {}))).toEqual([0, 16 / 3, 8]);
    expect(vals(layers.resizeBilinear(img, [1, 3], { alignCorners: true }))).toEqual([0, 4, 8]);
    expect(vals(layers.resizeBilinear(img, [1, 4], { halfPixelCenters: true }))).toEqual([0, 2, 6, 8]);
    // on a pixel's own position: that pixel, even beside an infinite one
    expect(vals(layers.resizeBilinear({ shape: [1, 1, 2, 1], data: [5, Infinity] }, [1, 1], {}))).toEqual([5]);
    expect(Array.from(layers.resizeNearestIndex([1, 1, 3, 1], [1, 5], { alignCorners: true }))).toEqual([0, 1, 1, 2, 2]); // round half up
    expect(Array.from(layers.resizeNearestIndex([1, 1, 2, 1], [1, 1], { halfPixelCenters: true }))).toEqual([1]);
    expect(vals(layers.resizeBilinearDerivative(img, [1, 4], { halfPixelCenters: true }))).toEqual([2, 2]);
  });

  it('masked softmax: masks applied as float32 ops do, a fully masked row NaN, gradients through where 0', () => {
    const logits = { shape: [2, 2], data: [1, 2, 3, 4] };
    const mask = { shape: [2, 2], data: [1, 0, 0, 0] };
    const s = layers.maskedSoftmax(logits, mask, 'where -Infinity');
    expect(vals(s).slice(0, 2)).toEqual([1, 0]);
    expect(vals(s).slice(2).every(Number.isNaN)).toBe(true);
    // with -1e9 the masked row keeps its shape: softmax of [3 - 1e9, 4 - 1e9] rounded as float32 adds
    const a = layers.maskedSoftmax(logits, mask, 'add -1e9');
    expect(Math.fround(a.values[2]!)).toBe(Math.fround(a.values[3]!)); // both round to -1e9 + 0: equal logits
    const d = layers.maskedSoftmaxDerivative(logits, mask, 'where -Infinity', true);
    expect(vals(d)[0]).toBe(1 - 2 * 1);
    expect(vals(d)[1]).toBe(0);
    expect(exactKind(d, 2)).toBe('nan');
  });
});

describe('reductions and scans', () => {
  it('prod is exact, IEEE on special values, with the product of the others as derivative', () => {
    expect(vals(red.prod([3, 1 / 3]))).toEqual([Math.fround(1 / 3) * 3]);
    expect(Math.fround(red.prod([1e30, 1e30, 1e-30, 1e-30]).values[0]!)).toBe(1); // float32 partials would overflow
    expect(exactKind(red.prod([0, Infinity]), 0)).toBe('nan');
    expect(vals(red.prod([-0, 5]))).toEqual([-0]);
    expect(vals(red.prod([-Infinity, 2]))).toEqual([-Infinity]);
    expect(vals(red.prodDerivative([2, 0, 1e38, 1e38]))).toEqual([0, 2 * Math.fround(1e38) ** 2, 0, 0]);
  });
  it('extrema, arg-extrema and logical reductions', () => {
    expect(vals(red.extremum('max', { shape: [2, 2], data: [1, NaN, 3, 4] }, -1)).map(String)).toEqual(['NaN', '4']);
    expect(vals(red.argExtremum('max', { shape: [2, 3], data: [1, 5, 5, 2, -Infinity, 2] }, -1))).toEqual([1, 0]);
    expect(vals(red.logicalReduce('all', { shape: [2, 2], data: [1, 1, 1, 0] }, -1))).toEqual([1, 0]);
    const d = red.extremumDerivative('min', [2, 1, 1], -1);
    expect(vals(d)).toEqual([0, 0.5, 0.5]);
  });
  it('cumsum is exact at every prefix (lazily exact on long inputs), its derivative counts the sums holding each element', () => {
    const c = red.cumsum([3e38, 1, -3e38, 2]);
    expect(vals(c)).toEqual([Math.fround(3e38), Math.fround(3e38) + 1, 1, 3]);
    expect(vals(red.cumsum([1, 2, 3], 0, true, true))).toEqual([5, 3, 0]);
    expect(vals(red.cumsumDerivative({ shape: [3, 2], data: [0, 0, 0, 0, 0, 0] }, 0))).toEqual([3, 3, 2, 2, 1, 1]);
    const long = red.cumsum(new Float32Array(100_000).fill(0.1));
    expect(long.values[99_999]).toBeCloseTo(100_000 * Math.fround(0.1), 6);
    expect(long.terms![99_999]).toBe(100_000);
    expect(vals(red.cumprod([2, 3, 4], 0, true))).toEqual([1, 2, 6]);
  });
  it('segment sums, bincount, matrix norms and the moments derivative', () => {
    expect(vals(red.unsortedSegmentSum({ shape: [3, 1], data: [1, 2, 4] }, [1, -1, 1], 2))).toEqual([0, 5]);
    expect(vals(red.bincount([0, 2, 2, 9], [1, 2, 3, 4], 3))).toEqual([1, 0, 5]);
    expect(vals(red.bincount({ shape: [1, 3], data: [1, 1, 0] }, undefined, 2, true))).toEqual([1, 1]);
    const m = { shape: [2, 2], data: [1, -2, 3, 4] };
    expect(vals(red.norm(m, 1, [0, 1]))).toEqual([6]);
    expect(vals(red.norm(m, Infinity, [0, 1]))).toEqual([7]);
    expect(vals(red.norm(m, -Infinity, [0, 1]))).toEqual([3]);
    // d/dx (mean + variance) of [1, 2, 3, 6]: 1/4 + 2(x - 3)/4
    expect(vals(red.momentsDerivative([1, 2, 3, 6]))).toEqual([-0.75, -0.25, 0.25, 1.75]);
  });
});
