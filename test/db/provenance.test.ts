// NaN provenance names the kernel where the non-finite value was born, for forward kernels and
// for the kernels tf.grad runs: log(0) → Log, exp overflow → Exp, 0·Inf → Multiply, and sqrt'(0),
// which tfjs computes as dy / (2·sqrt(x)) → RealDiv(1, 0). Checked on the cpu and wasm backends.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { finite, float32, property, recordKernels, runProperty, tensor, useBackend } from '../../src/index.ts';
import { formatProvenance } from '../../src/report/format.ts';
import { logOfProbabilities, sqrtGradient, zeroTimesExp } from '../fixtures/repro/props.ts';

function record(fn: () => tf.Tensor) {
  const before = tf.memory().numTensors;
  const { result, provenance } = recordKernels(() => tf.tidy(() => fn().dataSync()));
  expect(tf.memory().numTensors).toBe(before);
  return { values: Array.from(result), provenance };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`provenance on ${backend}`, () => {
    afterAll(async () => {
      await useBackend('cpu');
    });

    it('log(0): born in Log', async () => {
      await useBackend(backend);
      const { values, provenance } = record(() => tf.log(tf.tensor([1, 0])));
      expect(values).toEqual([0, -Infinity]);
      expect(provenance.born?.kernel).toBe('Log');
      expect(provenance.born?.inputs.x).toMatchObject({ zeros: 1, min: 0, max: 1, nan: 0 });
      expect(provenance.born?.outputs[0]).toMatchObject({ negInf: 1 });
      expect(provenance.nanBorn).toBeUndefined();
    });

    it('exp overflow: born in Exp', async () => {
      await useBackend(backend);
      const { values, provenance } = record(() => tf.exp(tf.tensor([88, 89])));
      expect(values[1]).toBe(Infinity);
      expect(provenance.born?.kernel).toBe('Exp');
      expect(provenance.born?.inputs.x).toMatchObject({ min: 88, max: 89, posInf: 0 });
    });

    it('0 * Inf: the NaN is born in Multiply (from an Inf input, or after Exp overflowed)', async () => {
      await useBackend(backend);
      const direct = record(() => tf.mul(tf.tensor([0]), tf.tensor([Infinity])));
      expect(direct.values[0]).toBeNaN();
      expect(direct.provenance.born).toBeUndefined(); // an input already held the Infinity
      expect(direct.provenance.firstNonFinite?.kernel).toBe('Multiply');
      expect(direct.provenance.nanBorn?.kernel).toBe('Multiply');
      expect(formatProvenance(direct.provenance).join('\n')).toMatch(/NaN born in kernel #0 Multiply\(a=\[1\] 0, b=\[1\] Infinity\) -> \[1\] NaN/);

      const chained = record(() => tf.mul(tf.tensor([0]), tf.exp(tf.tensor([89]))));
      expect(chained.provenance.born?.kernel).toBe('Exp');
      expect(chained.provenance.nanBorn?.kernel).toBe('Multiply');
      expect(chained.provenance.nanBorn?.inputs.b).toMatchObject({ posInf: 1 });
    });

    it("sqrt'(0): the gradient kernel RealDiv(dy = 1, 2·sqrt(0) = 0) gives +Infinity", async () => {
      await useBackend(backend);
      const { values, provenance } = record(() => tf.grad((x: tf.Tensor) => tf.sqrt(x))(tf.tensor([0, 4])));
      expect(values).toEqual([Infinity, 0.25]);
      expect(provenance.born?.kernel).toBe('RealDiv');
      expect(provenance.born?.inputs.a).toMatchObject({ min: 1, max: 1 });
      expect(provenance.born?.inputs.b).toMatchObject({ zeros: 1, min: 0, max: 4 });
      // what tfjs runs for sqrt's gradient: dy / (sqrt(x) * 2)
      const kernels = provenance.calls.map((c) => c.kernel);
      const div = kernels.indexOf('RealDiv');
      expect(kernels.slice(0, div)).toEqual(expect.arrayContaining(['Sqrt', 'Multiply']));
      expect(kernels.filter((k) => k === 'Sqrt')).toHaveLength(2); // forward and backward
    });
  });
}

describe('provenance of minimal cases found by runProperty', () => {
  it('names Log, Exp then Multiply, and RealDiv in the gradient', () => {
    const log = runProperty(logOfProbabilities, { seed: 1, runs: 100 });
    expect(log.provenance?.born?.kernel).toBe('Log');
    const exp = runProperty(zeroTimesExp, { seed: 1, runs: 100 });
    expect(exp.provenance?.born?.kernel).toBe('Exp');
    expect(exp.provenance?.nanBorn?.kernel).toBe('Multiply');
    const sqrt = runProperty(sqrtGradient, { seed: 1, runs: 100 });
    expect(sqrt.failure).toMatchObject({ kind: 'violation', violation: { message: expect.stringMatching(/^grad\(x\) is \+Infinity/) } });
    expect(sqrt.provenance?.born?.kernel).toBe('RealDiv');
  });

  it('a NaN given as input is not "born" anywhere, and the report says so', () => {
    const p = property({
      name: 'provenance: NaN input',
      inputs: { x: tensor({ shape: [1], elements: float32({ nonFinite: true, classes: ['nan'] }) }) },
      subject: ({ x }) => tf.add(x, 1),
      invariants: [finite()],
    });
    const r = runProperty(p, { seed: 1, runs: 5 });
    expect(r.status).toBe('failed');
    expect(r.provenance?.born).toBeUndefined();
    expect(r.provenance?.nanBorn).toBeUndefined();
    expect(r.provenance?.firstNonFinite?.kernel).toBe('Add');
    expect(formatProvenance(r.provenance!).join('\n')).toMatch(/non-finite value already in an input; first seen in kernel #0 Add/);
  });
});
