// The exact interpreter runs a recorded trace of real cpu kernels again in float64, each kernel fed
// the exact outputs of the kernels before it: its results round to what tfjs computes when tfjs is
// accurate, differ where float32 lost the answer, and stop at a kernel it does not know.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { recordKernels, type Trace } from '../../src/explain/provenance.ts';
import { EXACT_KERNELS, runExact } from '../../src/explain/exact.ts';

function trace(fn: () => tf.Tensor | tf.Tensor[]): { trace: Trace; values: Float32Array[] } {
  const before = tf.memory().numTensors;
  const { result, trace } = recordKernels(
    () =>
      tf.tidy(() => {
        const out = fn();
        return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
      }),
    10_000,
    { trace: true },
  );
  expect(tf.memory().numTensors).toBe(before);
  return { trace: trace!, values: result };
}

/** The exact value of the last call's first output. */
function lastExact(t: Trace): Float64Array {
  const run = runExact(t);
  const out = t.calls[t.calls.length - 1]!.outputs[0]!;
  const v = run.tensors.get(out.id);
  expect(v, `exact value of ${t.calls[t.calls.length - 1]!.kernel}`).toBeDefined();
  return v!.values;
}

/** Every call's exact output rounds to within `ulps` float32 steps of tfjs's float32 output (loose: a wrong axis or attribute is far off, float32 rounding of a chain is not). */
function expectAgrees(t: Trace, ulps = 64): void {
  const run = runExact(t);
  expect(run.unsupported.map((c) => c.kernel)).toEqual([]);
  for (const call of t.calls) {
    for (const out of call.outputs) {
      const e = run.tensors.get(out.id)!;
      expect(e, call.kernel).toBeDefined();
      for (let i = 0; i < out.values.length; i++) {
        const y = out.values[i]!;
        const x = Math.fround(e.values[i]!);
        if (Number.isNaN(y) || !Number.isFinite(y)) {
          expect(Object.is(x, y) || x === y, `${call.kernel}[${i}]: ${y} vs exact ${e.values[i]}`).toBe(true);
        } else {
          const ulp = Math.max(Math.abs(y), 2 ** -126) * 2 ** -23;
          expect(Math.abs(x - y), `${call.kernel} #${call.step}[${i}]: ${y} vs exact ${e.values[i]}`).toBeLessThanOrEqual(ulps * ulp);
        }
      }
    }
  }
}

describe('exact interpreter', () => {
  it('agrees with accurate float32 kernels: elementwise math, broadcasting, reductions, matMul, softmax, shapes', () => {
    const x = [0.5, -1.25, 2, 3.5, -0.75, 1.5];
    const { trace: t } = trace(() => {
      const a = tf.tensor2d(x, [2, 3]);
      const b = tf.tensor1d([1.5, -2, 0.25]);
      const pos = tf.abs(a);
      return [
        tf.exp(a),
        tf.log(pos),
        tf.log1p(pos),
        tf.sqrt(pos),
        tf.rsqrt(pos),
        tf.sigmoid(a),
        tf.softplus(a),
        tf.tanh(a),
        tf.neg(a),
        tf.square(a),
        tf.reciprocal(a),
        tf.relu(a),
        tf.elu(a),
        tf.leakyRelu(a, 0.1),
        tf.step(a, 0.5),
        tf.clipByValue(a, -1, 1),
        tf.add(a, b),
        tf.sub(a, b),
        tf.mul(a, b),
        tf.div(a, b),
        tf.pow(pos, b),
        tf.maximum(a, b),
        tf.minimum(a, b),
        tf.squaredDifference(a, b),
        tf.sum(a),
        tf.sum(a, 0),
        tf.sum(a, 1, true),
        tf.mean(a, -1),
        tf.max(a, 1),
        tf.min(a, 0),
        tf.prod(a, 1),
        tf.matMul(a, tf.reshape(b, [3, 1])),
        tf.matMul(a, a, false, true),
        tf.matMul(a, a, true, false),
        tf.softmax(a),
        tf.logSoftmax(a),
        tf.reshape(a, [3, 2]),
        tf.cast(a, 'int32'),
        tf.where(tf.greater(a, 0), a, tf.neg(a)),
        tf.onesLike(a),
        tf.zerosLike(a),
        tf.fill([2, 2], 3.5),
        tf.transpose(a),
        tf.tile(b, [2]),
        tf.slice(a, [0, 1], [2, 2]),
        tf.concat([a, a], 1),
        tf.addN([a, a, a]),
      ];
    });
    const kernels = new Set(t.calls.map((c) => c.kernel));
    for (const k of ['BatchMatMul', 'Softmax', 'Select', 'ClipByValue', 'Fill', 'Tile', 'Concat', 'AddN', 'Prod']) expect(kernels).toContain(k);
    expectAgrees(t);
  });

  // positive terms: a float32 sum of them is within a few ulps, where a cancelling one is not
  it('agrees on conv2d (valid, same, strides, dilations), gather and pad', () => {
    const { trace: t } = trace(() => {
      const x = tf.tensor4d(
        Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.abs(Math.sin(i)) * 3),
        [2, 5, 5, 3],
      );
      const w = tf.tensor4d(
        Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.abs(Math.cos(i))),
        [3, 3, 3, 2],
      );
      return [
        tf.conv2d(x, w, 1, 'valid'),
        tf.conv2d(x, w, 2, 'same'),
        tf.conv2d(x, w, 1, 'same', 'NHWC', 2),
        tf.gather(tf.reshape(x, [10, 15]), tf.tensor1d([3, 0, 9], 'int32')),
        tf.gather(tf.reshape(x, [10, 15]), tf.tensor1d([14, 2], 'int32'), 1),
        tf.pad(
          tf.reshape(x, [10, 15]),
          [
            [1, 2],
            [0, 3],
          ],
          0.5,
        ),
      ];
    });
    for (const k of ['Conv2D', 'GatherV2', 'PadV2']) expect(t.calls.map((c) => c.kernel)).toContain(k);
    expectAgrees(t);
  });

  it('agrees through tf.grad (gradient kernels included)', () => {
    const { trace: t } = trace(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(x), tf.softmax(x))))(tf.tensor([0.5, -2, 3])));
    expectAgrees(t);
  });

  it('feeds each kernel the exact outputs before it: 1 - sigmoid(18) is 1.5e-8, not 0', () => {
    const { trace: t, values } = trace(() => tf.sub(1, tf.sigmoid(tf.scalar(18))));
    expect(values[0]![0]).toBe(0);
    // 1 - sigmoid(x) = e^-x / (1 + e^-x), computed without cancellation
    expect(Math.abs(lastExact(t)[0]! / (Math.exp(-18) / (1 + Math.exp(-18))) - 1)).toBeLessThan(1e-14);
  });

  it('keeps exact values beyond float32: exp(100), a sum of 3e38 and 3e38, log(sum(exp(x)))', () => {
    expect(lastExact(trace(() => tf.exp(tf.scalar(100))).trace)[0]! / 1e43).toBeCloseTo(Math.exp(100) / 1e43, 10);
    expect(lastExact(trace(() => tf.sum(tf.tensor([3e38, 3e38]))).trace)[0]! / 1e38).toBeCloseTo((2 * Math.fround(3e38)) / 1e38, 10);
    expect(lastExact(trace(() => tf.log(tf.sum(tf.exp(tf.tensor([100, 100]))))).trace)[0]).toBeCloseTo(100 + Math.LN2, 10);
  });

  it('0/0 and log(0) stay undefined and -Infinity', () => {
    expect(lastExact(trace(() => tf.div(tf.scalar(0), tf.sqrt(tf.sum(tf.square(tf.tensor([0, 0])))))).trace)[0]).toBeNaN();
    expect(lastExact(trace(() => tf.log(tf.scalar(0))).trace)[0]).toBe(-Infinity);
  });

  it('marks what it cannot settle: an overflow of float64 itself and a cancellation beyond double-double precision', () => {
    const over = trace(() => tf.log(tf.exp(tf.mul(tf.scalar(1000), tf.scalar(1))))).trace;
    const run = runExact(over);
    const out = run.tensors.get(over.calls[over.calls.length - 1]!.outputs[0]!.id)!;
    expect(out.unsettled?.[0]).toBe(1);
    const cancel = trace(() => tf.sub(1, tf.sigmoid(tf.scalar(60)))).trace;
    expect(runExact(cancel).tensors.get(cancel.calls[1]!.outputs[0]!.id)!.unsettled?.[0]).toBe(1);
  });

  it('double-double where float64 cancels: 1 - sigmoid(40), 1 - tanh(20), E[x^2] - E[x]^2 at 2e19', () => {
    const sig = trace(() => tf.sub(1, tf.sigmoid(tf.scalar(40)))).trace;
    const s = runExact(sig).tensors.get(sig.calls[1]!.outputs[0]!.id)!;
    expect(s.unsettled).toBeUndefined();
    expect(Math.abs(s.values[0]! / Math.exp(-40) - 1)).toBeLessThan(1e-12); // 1 - sigmoid(x) = e^-x / (1 + e^-x)
    const tanh = trace(() => tf.sub(1, tf.tanh(tf.scalar(20)))).trace;
    const t = runExact(tanh).tensors.get(tanh.calls[1]!.outputs[0]!.id)!;
    expect(t.unsettled).toBeUndefined();
    expect(Math.abs(t.values[0]! / (2 * Math.exp(-40)) - 1)).toBeLessThan(1e-12); // 1 - tanh(x) = 2e^-2x / (1 + e^-2x)
    const variance = trace(() => {
      const x = tf.tensor([2e19, 2e19]);
      return tf.sub(tf.mean(tf.square(x)), tf.square(tf.mean(x)));
    }).trace;
    const v = lastExact(variance);
    expect(v[0]).toBe(0);
    expect(runExact(variance).tensors.get(variance.calls[variance.calls.length - 1]!.outputs[0]!.id)!.unsettled).toBeUndefined();
  });

  it('an unsupported kernel is named, and what is computed from it is unknown', () => {
    const { trace: t } = trace(() => tf.exp(tf.cumsum(tf.tensor([1, 2, 3]))));
    const run = runExact(t);
    expect(EXACT_KERNELS).not.toContain('Cumsum');
    expect(run.unsupported.map((c) => c.kernel)).toEqual(['Cumsum']);
    expect(run.tensors.get(t.calls[1]!.outputs[0]!.id)).toBeUndefined();
  });

  it('a kernel without tensor inputs (LinSpace) makes constants that enter as given', () => {
    const { trace: t } = trace(() => tf.exp(tf.linspace(0, 1, 5)));
    expect(t.calls.map((c) => c.kernel)).toEqual(['LinSpace', 'Exp']);
    expectAgrees(t);
  });
});
