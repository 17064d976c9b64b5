/**
 * The reduction, linear-algebra, layer and shape entries of the catalog on real tfjs cpu kernels:
 * planted defects are found with minimal inputs in their zones, the real kernels pass there,
 * negative controls (exact cancellation, correctly rounded overflow, NaN propagated as IEEE says)
 * are never findings, and the tfjs 4.22 bugs these entries report are found, shrunk.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkOnce, float32, runProperty, tensors, tensorValue, type Property, type TensorValue } from '../../src/index.ts';
import { catalogProperties, type OpInfo } from '../../src/catalog/op-info.ts';
import { failuresOf } from '../../src/property/failure.ts';
import { OP_TABLE } from '../../properties/index.ts';

const all = catalogProperties(OP_TABLE);
const byName = (name: string): Property => {
  const p = all.find((q) => q.name === name);
  if (!p) throw new Error(`no catalog property ${name}`);
  return p;
};
const entry = (name: string): OpInfo => {
  const e = OP_TABLE.find((q) => q.name === name);
  if (!e) throw new Error(`no catalog entry ${name}`);
  return e;
};
const values = (t: TensorValue): number[] => Array.from(t.data);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Backend = {
  readSync(id: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void;
};

describe('planted defects are found in their zone, the real kernels pass there', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  /** Register `kernelFunc` over the cpu kernel `kernelName` (restored after the test). */
  function plant(
    kernelName: string,
    kernelFunc: (
      args: tf.NamedAttrMap & { inputs: Record<string, tf.TensorInfo>; backend: Backend; attrs: tf.NamedAttrMap },
      original: tf.KernelFunc,
    ) => tf.TensorInfo,
  ): void {
    const original = tf.getKernel(kernelName, 'cpu')!;
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ ...original, kernelFunc: (args) => kernelFunc(args as never, original.kernelFunc) });
    restore = () => {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel(original);
      restore = undefined;
    };
  }

  it('a Sum kernel that accumulates naively in float32 fails `sum large` with a long minimal vector; the real Sum passes', () => {
    const seed = 5;
    expect(runProperty(byName('sum large'), { seed }).status).toBe('passed');
    plant('Sum', (args, original) => {
      const out = original(args) as tf.TensorInfo;
      const x = args.backend.readSync(args.inputs.x!.dataId);
      if (tf.util.sizeFromShape(out.shape) !== 1) return out;
      let s = 0;
      for (let i = 0; i < x.length; i++) s = Math.fround(s + x[i]!);
      args.backend.disposeIntermediateTensorInfo(out);
      return args.backend.makeTensorInfo(out.shape, 'float32', Float32Array.of(s));
    });
    const r = runProperty(byName('sum large'), { seed });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (sum)' } });
    // the defect's zone: thousands of terms (a naive float32 sum of a few hundred is within the bound)
    const n = (r.counterexample as { x: TensorValue }).x.data.length;
    expect(n).toBeGreaterThanOrEqual(1000);
    expect(n).toBeLessThan(100_000);
    // negative control with the same naive kernel: exact cancellation (1e8 + 1 - 1e8 = 0 in float32) is within the bound
    expect(checkOnce(byName('sum'), { x: tensorValue([3], [1e8, 1, -1e8]) }).failure).toBeUndefined();
  });

  it('a Max kernel that swallows NaN fails `max special values` with a small input holding NaN; the real Max passes', () => {
    const seed = 3;
    expect(runProperty(byName('max special values'), { seed }).status).toBe('passed');
    plant('Max', (args, original) => {
      const out = original(args) as tf.TensorInfo;
      const x = args.backend.readSync(args.inputs.x!.dataId);
      const groups = tf.util.sizeFromShape(out.shape);
      const n = x.length / groups;
      const vals = Float32Array.from(args.backend.readSync(out.dataId));
      for (let g = 0; g < groups; g++) {
        let m = -Infinity;
        for (let j = 0; j < n; j++) if (x[g * n + j]! > m) m = x[g * n + j]!; // NaN > m is false: NaN is skipped
        vals[g] = m;
      }
      args.backend.disposeIntermediateTensorInfo(out);
      return args.backend.makeTensorInfo(out.shape, 'float32', vals);
    });
    const r = runProperty(byName('max special values'), { seed });
    expect(r.status).toBe('failed');
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(values(x).some(Number.isNaN)).toBe(true);
    expect(x.data.length).toBeLessThanOrEqual(3);
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (extremum)' } });
  });

  it('a Conv2D kernel that drops the last filter tap fails `conv2d` with a minimal input that uses that tap; the real Conv2D passes', () => {
    // the zone where tfjs's conv2d is right: products and sums inside float32 (the entry's own inputs
    // also reach overflowing products, a finding of the real kernel)
    const e = entry('conv2d');
    const moderate = float32({ min: -1e18, max: 1e18 });
    const dims = {
      b: { min: 1, max: 2 },
      s1: { min: 3, max: 6 },
      s2: { min: 3, max: 6 },
      k1: { min: 1, max: 3 },
      k2: { min: 1, max: 3 },
      cin: { min: 1, max: 3 },
      cout: { min: 1, max: 3 },
    };
    const [conv] = catalogProperties([
      {
        ...e,
        name: 'conv2d moderate',
        inputs: {
          t: tensors({
            dims,
            tensors: { x: { shape: ['b', 's1', 's2', 'cin'], elements: moderate }, f: { shape: ['k1', 'k2', 'cin', 'cout'], elements: moderate } },
          }),
        },
        runs: 300,
      },
    ]);
    expect(runProperty(conv!, { seed: 2 }).status).toBe('passed');
    plant('Conv2D', (args, original) => {
      const f = args.inputs.filter!;
      const w = Float32Array.from(args.backend.readSync(f.dataId));
      const [, , cin, cout] = f.shape as [number, number, number, number];
      w.fill(0, w.length - cin * cout); // the last tap (kh - 1, kw - 1) of every channel pair
      const dropped = args.backend.makeTensorInfo(f.shape, 'float32', w);
      const out = original({ ...args, inputs: { ...args.inputs, filter: dropped } }) as tf.TensorInfo;
      args.backend.disposeIntermediateTensorInfo(dropped);
      return out;
    });
    const r = runProperty(conv!, { seed: 2 });
    expect(r.status).toBe('failed');
    const { x, f } = (r.counterexample as { t: { x: TensorValue; f: TensorValue } }).t;
    // minimal: one filter tap, which is the dropped one, and an input that it multiplies
    expect(f.data.length).toBe(1);
    expect(f.data[0]).not.toBe(0);
    expect(values(x).some((v) => v !== 0)).toBe(true);
  });

  it('a BatchMatMul kernel that flushes subnormal partial sums to zero (as TensorFlow does) fails `matMul gradient` where a sum passes through subnormals; the real kernel passes', () => {
    const seed = 4;
    expect(runProperty(byName('matMul gradient'), { seed }).status).toBe('passed');
    const MIN_NORMAL = 2 ** -126;
    const flush = (v: number) => (Math.abs(v) < MIN_NORMAL ? 0 : v);
    plant('BatchMatMul', (args, original) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      // the catalog's matMul gradient multiplies matrices (rank 2): others as the real kernel does
      if (a.shape.length !== 2 || b.shape.length !== 2) return original(args) as tf.TensorInfo;
      const [ta, tb] = [Boolean(args.attrs.transposeA), Boolean(args.attrs.transposeB)];
      const A = args.backend.readSync(a.dataId);
      const B = args.backend.readSync(b.dataId);
      const [m, k] = ta ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
      const n = tb ? b.shape[0]! : b.shape[1]!;
      const out = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) {
            const x = A[ta ? q * m + i : i * k + q]!;
            const y = B[tb ? j * k + q : q * n + j]!;
            // the accumulator flushed, as SIMD code under flush-to-zero leaves it (the last sum is stored as is)
            s = Math.fround(s + Math.fround(x * y));
            if (q < k - 1) s = flush(s);
          }
          out[i * n + j] = s;
        }
      }
      return args.backend.makeTensorInfo([m, n], 'float32', out);
    });
    const r = runProperty(byName('matMul gradient'), { seed });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'gradient matches d/d(a, b) matMul' } });
    // the zone: a gradient (a row or column sum of two or more terms) lost to 0 where its first terms sum to a subnormal
    expect(r.failure?.kind === 'violation' ? r.failure.violation.message : '').toMatch(/is -?0; exact -?\d\.\d+e-\d\d/);
    const { a, b } = (r.counterexample as { t: { a: TensorValue; b: TensorValue } }).t;
    expect([...values(a), ...values(b)].some((v) => v !== 0 && Math.abs(v) < 4 * MIN_NORMAL)).toBe(true);
    // a sum of two terms at least: the flushed partial sum is not the stored result
    expect(Math.max(...a.shape, ...b.shape)).toBeGreaterThanOrEqual(2);
  });
});

describe('negative controls: no false positives', () => {
  const passes = (name: string, inputs: unknown): void => {
    const r = checkOnce(byName(name), inputs as never);
    expect(r.failure, `${name}: ${JSON.stringify(r.failure)}`).toBeUndefined();
  };
  it('exact cancellation in a sum, a dot product, a cumsum and a gradient that sums is not a finding', () => {
    passes('sum', { x: tensorValue([3], [3e38, 1, -3e38]) });
    passes('cumsum', { x: tensorValue([3], [1e8, 1, -1e8]) });
    passes('dot', { t: { a: tensorValue([1, 3], [1, 1, 1]), b: tensorValue([3], [1e8, 1, -1e8]) } });
    // the matMul gradient false positive: d/da = 1 + 3e-44 - 1
    passes('matMul gradient', { t: { a: tensorValue([1, 1], [2]), b: tensorValue([1, 3], [1, 3e-44, -1]) } });
  });
  it('a correctly rounded overflow or underflow is not a finding', () => {
    passes('prod', { x: tensorValue([2], [1e30, 1e30]) }); // exact 1e60 rounds to Infinity
    passes('prod', { x: tensorValue([2], [1e-30, 1e-30]) }); // exact 1e-60 rounds to 0
    passes('sum', { x: tensorValue([2], [3e38, 3e38]) }); // exact 6e38 rounds to Infinity
    passes('matMul', { t: { a: tensorValue([1, 1], [1e20]), b: tensorValue([1, 1], [1e20]) } });
  });
  it('NaN propagated as IEEE 754 says, and NaN by definition, are not findings', () => {
    passes('max', { x: tensorValue([3], [1, NaN, 2]) });
    passes('min', { x: tensorValue([3], [1, NaN, 2]) });
    passes('sum', { x: tensorValue([2], [Infinity, -Infinity]) });
    passes('prod', { x: tensorValue([2], [0, Infinity]) });
    // a masked-softmax row masked entirely with -Infinity: 0/0
    passes('softmax masked -Infinity', { t: { logits: tensorValue([1, 2], [1, 2]), mask: tensorValue([1, 2], [0, 0], 'int32') } });
  });
});

describe('tfjs 4.22 bugs the entries report on cpu, shrunk', () => {
  const fails = (name: string, seed: number, runs = 300) => {
    const r = runProperty(byName(name), { seed, runs });
    expect(r.status, `${name}: ${r.status}`).not.toBe('passed');
    return r;
  };
  it('gradients: cumsum along axis 0 comes back transposed; mirrorPad ignores the mirrored copies; avgPool with same padding divides by the full window', () => {
    // two distinct failures of one bug: wrong values on a square input, a shape error on any other
    const cs = failuresOf(fails('cumsum gradient', 1));
    const square = cs.find((f) => f.failure?.kind === 'violation');
    expect(square, 'no wrong-values failure of cumsum gradient').not.toBeUndefined();
    const [rows, cols] = (square!.counterexample as { x: TensorValue }).x.shape;
    expect(rows).toBe(cols);
    expect(cs.find((f) => f.failure?.kind === 'error')?.failure).toMatchObject({
      stage: 'gradient',
      message: expect.stringMatching(/does not match the shape/),
    });
    const mp = fails('mirrorPad reflect gradient', 1);
    expect(mp.failure).toMatchObject({ kind: 'violation' });
    const ap = fails('avgPool 3x3 stride 1 same gradient', 1);
    expect((ap.counterexample as { x: TensorValue }).x.shape).toEqual([1, 3, 3, 1]);
  });
  it('gradients that throw: unstack along an axis of length 1, batched matMul with a broadcast batch', () => {
    expect(fails('unstack gradient', 1).failure).toMatchObject({ kind: 'error', stage: 'gradient' });
    expect(fails('matMul batched gradient', 1).failure).toMatchObject({ kind: 'error', stage: 'gradient' });
  });
  it('values: maxPool swallows NaN, an infinite row poisons the other segments of unsortedSegmentSum, logSumExp of [Infinity] is NaN', () => {
    const mp = fails('maxPool 2x2 stride 2 valid special values', 1);
    expect(values((mp.counterexample as { x: TensorValue }).x).filter(Number.isNaN)).toHaveLength(1);
    const us = fails('unsortedSegmentSum special values', 1);
    expect(values((us.counterexample as { t: { x: TensorValue } }).t.x).some((v) => !Number.isFinite(v))).toBe(true);
    const lse = fails('logSumExp special values', 1);
    expect(values((lse.counterexample as { x: TensorValue }).x)).toHaveLength(1);
  });
  it('accumulation: conv2d over thousands of input channels accumulates naively in float32 (cpu)', () => {
    const r = runProperty(byName('conv2d large'), { seed: 1 });
    expect(r.status).toBe('failed');
    const n = (r.counterexample as { t: { x: TensorValue } }).t.x.data.length;
    expect(n).toBeGreaterThanOrEqual(1000);
  });
});
