// The explanation of a failure: the recorded kernel trace of real cpu kernels, re-run exactly, names
// the kernel where float32 first departs from the exact result, the mechanism, and whether the
// failure is an artifact of the formula or inherent to the input. Directly on traces at the points
// the issue names, then end to end on minimal cases found by runProperty (fixed seeds).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { finite, float32, property, runProperty, tensor } from '../../src/index.ts';
import { recordKernels } from '../../src/explain/provenance.ts';
import { explainTrace, type Explanation } from '../../src/explain/explain.ts';
import { failureReport } from '../../src/report/format.ts';
import { resultToJson } from '../../src/report/json.ts';
import { htmlReport } from '../../src/report/html.ts';
import { evaluateGate } from '../../src/gate/gate.ts';

/** Explain the first non-finite element of fn's output. */
function explain(fn: () => tf.Tensor): Explanation {
  const before = tf.memory().numTensors;
  const { result, trace } = recordKernels(() => tf.tidy(() => fn().dataSync()), 10_000, { trace: true });
  expect(tf.memory().numTensors).toBe(before);
  const index = Array.from(result).findIndex((v) => !Number.isFinite(v));
  expect(index).toBeGreaterThanOrEqual(0);
  return explainTrace(trace!, result, index);
}

/** Naive binary cross-entropy: -(y·log(sigmoid(x)) + (1 - y)·log(1 - sigmoid(x))). */
function naiveBce(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const s = tf.sigmoid(x);
  return tf.neg(tf.add(tf.mul(y, tf.log(s)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, s)))));
}

describe('explanations of recorded traces', () => {
  it('naive BCE at x = 18, y = 1: Sigmoid rounds to 1, 1 - 1 cancels, log(0), 0 · -Infinity; artifact', () => {
    const ex = explain(() => naiveBce(tf.tensor([18]), tf.tensor([1])));
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'cancellation', origin: { kernel: 'Sub' } });
    expect(ex.exact).toBeCloseTo(1.523e-8, 11);
    expect(ex.text).toBe(
      'Sigmoid #0 rounded 0.99999998 to 1; Sub #4 computed 1 - 1 = 0 (exactly 1.5e-8): cancellation; Log #5 gave -Infinity; ' +
        'Multiply #6 computed 0 · -Infinity = NaN (exactly 0). Artifact: the exact result is 1.523e-8.',
    );
  });

  it('naive BCE at x = 18, y = 0: the exact loss is 18', () => {
    const ex = explain(() => naiveBce(tf.tensor([18]), tf.tensor([0])));
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'cancellation', origin: { kernel: 'Sub' } });
    expect(ex.text).toMatch(/Artifact: the exact result is 18\.$/);
  });

  it('naive logsumexp log(sum(exp(x))) at x = 100: Exp overflows; artifact, the exact result is 100 + log(2)', () => {
    const ex = explain(() => tf.log(tf.sum(tf.exp(tf.tensor([100, 100])))));
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp', step: 0 } });
    expect(ex.exact).toBeCloseTo(100 + Math.LN2, 10);
    expect(ex.text).toBe('Exp #0 overflowed (exact 2.69e43); Log #2 gave Infinity. Artifact: the exact result is 100.7.');
  });

  it('naive softplus log(1 + exp(x)) at 89: Exp overflows; artifact, the exact result is 89', () => {
    const ex = explain(() => tf.log(tf.add(1, tf.exp(tf.tensor([89])))));
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp' } });
    expect(ex.text).toMatch(/^Exp #0 overflowed \(exact 4\.49e38\).*Artifact: the exact result is 89\.$/);
  });

  it('x / ||x|| at the zero vector: 0/0, undefined exactly too; inherent', () => {
    const ex = explain(() => {
      const x = tf.tensor([0, 0, 0]);
      return tf.div(x, tf.norm(x));
    });
    expect(ex).toMatchObject({ verdict: 'inherent', mechanism: '0/0', origin: { kernel: 'RealDiv' } });
    expect(ex.exact).toBeNaN();
    expect(ex.text).toMatch(/RealDiv #\d+ computed 0 \/ 0 = NaN: 0\/0, and the exact result is undefined too: inherent/);
  });

  it('exp(100): overflow, and the exact result overflows float32 too; inherent', () => {
    const ex = explain(() => tf.exp(tf.tensor([100])));
    expect(ex).toMatchObject({ verdict: 'inherent', mechanism: 'overflow', origin: { kernel: 'Exp' } });
    expect(ex.text).toBe('Exp #0 overflowed (exact 2.69e43), and the exact final result is 2.69e43 too: inherent, Infinity is the correctly rounded answer.');
  });

  it('a sum whose exact value overflows: inherent', () => {
    const ex = explain(() => tf.sum(tf.tensor([3e38, 2e38, -1e37])));
    expect(ex).toMatchObject({ verdict: 'inherent', mechanism: 'overflow', origin: { kernel: 'Sum' } });
    expect(ex.exact).toBeCloseTo(4.9e38 / 1, -36);
  });

  it('E[x^2] - E[x]^2 at 2e19: Square overflows, Infinity - Infinity; artifact, the exact variance is 0', () => {
    const ex = explain(() => {
      const x = tf.tensor([2e19, 2e19]);
      return tf.sub(tf.mean(tf.square(x)), tf.square(tf.mean(x)));
    });
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Square', step: 0 }, exact: 0 });
    expect(ex.text).toMatch(
      /^Square #0 overflowed \(exact 4e38\); Sub #4 computed Infinity - Infinity = NaN \(exactly 0\)\. Artifact: the exact result is 0\.$/,
    );
  });

  it('naive BCE at x = 40 (double-double: 1 - sigmoid(40) is 4.2e-18), and unknown at x = 60 where it cannot settle', () => {
    const at40 = explain(() => naiveBce(tf.tensor([40]), tf.tensor([0])));
    expect(at40).toMatchObject({ verdict: 'artifact', mechanism: 'cancellation', origin: { kernel: 'Sub' } });
    expect(at40.text).toMatch(/Sub #4 computed 1 - 1 = 0 \(exactly 4.2e-18\): cancellation; .*Artifact: the exact result is 40\.$/);
    const at60 = explain(() => naiveBce(tf.tensor([60]), tf.tensor([0])));
    expect(at60.verdict).toBe('unknown');
    expect(at60.text).toMatch(/Unknown: the exact re-run cannot settle the exact result/);
  });

  it("sqrt'(0) in tf.grad: RealDiv(1, 0) is a division by 0, +Infinity exactly; inherent", () => {
    const ex = explain(() => tf.grad((x: tf.Tensor) => tf.sqrt(x))(tf.tensor([0, 4])));
    expect(ex).toMatchObject({ verdict: 'inherent', mechanism: 'division by 0', origin: { kernel: 'RealDiv' } });
  });

  it('exp underflow then log: Exp underflows to 0; artifact', () => {
    const ex = explain(() => tf.log(tf.exp(tf.tensor([-200]))));
    expect(ex).toMatchObject({ verdict: 'artifact', mechanism: 'underflow to 0', origin: { kernel: 'Exp' } });
    expect(ex.text).toMatch(/Exp #0 underflowed to 0 \(exactly 1.4e-87\); Log #1 gave -Infinity\. Artifact: the exact result is -200\.$/);
  });

  it('an unsupported kernel on the way: named, verdict unknown', () => {
    const ex = explain(() => tf.log(tf.sub(tf.cumsum(tf.tensor([1, 2])), 1)));
    expect(ex).toMatchObject({ verdict: 'unknown', unsupported: ['Cumsum #0'] });
    expect(ex.text).toBe('No exact interpreter for Cumsum #0: the explanation stops at provenance.');
  });
});

describe('explanations of minimal cases found by runProperty', () => {
  const bce = property({
    name: 'naive BCE',
    inputs: { x: tensor({ shape: [1], elements: float32({ min: -40, max: 40 }) }), y: tensor({ shape: [1], elements: float32({ min: 0, max: 1 }) }) },
    subject: ({ x, y }) => naiveBce(x, y),
    invariants: [finite()],
  });

  it('naive BCE: artifact, cancellation in Sub, in the console, JSON and HTML reports', () => {
    const r = runProperty(bce, { seed: 7, runs: 200 });
    expect(r.status).toBe('failed');
    expect(r.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'cancellation', origin: { kernel: 'Sub' } });
    expect(failureReport(r)).toMatch(/\n {2}why: Sigmoid #0 rounded .* to 1; Sub #\d computed 1 - 1 = 0 .*: cancellation; .*Artifact: the exact result is /);
    expect(resultToJson(r).explanation).toMatchObject({ verdict: 'artifact', kernel: 'Sub', mechanism: 'cancellation' });
    const html = htmlReport([r], evaluateGate([r]), { info: { nanhunt: '0.1.0', tfjs: tf.version.tfjs, backend: 'cpu', seed: 0 } });
    expect(html).toContain('<h4>Why (the minimal case re-run exactly): artifact</h4>');
    // the trace from the origin to the loss as a table, float32 next to exact, the origin marked
    expect(r.explanation?.path?.[0]).toMatchObject({ kernel: 'Sub', value: 0 });
    expect(Number.isFinite(r.explanation?.path?.at(-1)?.value)).toBe(false);
    expect(html).toMatch(
      /<table class="trace">.*<tr class="origin"><td>Sub #\d <b>← departs first<\/b><\/td><td class="num">\d+<\/td><td class="num">0<\/td>/s,
    );
    expect((resultToJson(r).explanation as { path: unknown[] }).path[0]).toMatchObject({ kernel: 'Sub', value: 0 });
    expect(html).toMatch(/<p class="explanation">Sigmoid #0 rounded .*: cancellation;/);
  });

  it('naive softplus: artifact, Exp overflows', () => {
    const softplus = property({
      name: 'naive softplus',
      inputs: { x: tensor({ shape: [1], elements: float32({ min: -100, max: 100 }) }) },
      subject: ({ x }) => tf.log(tf.add(1, tf.exp(x))),
      invariants: [finite()],
    });
    const r = runProperty(softplus, { seed: 1, runs: 200 });
    expect(r.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp' } });
  });

  it('exp: inherent overflow', () => {
    const exp = property({
      name: 'exp',
      inputs: { x: tensor({ shape: [2], elements: float32({ min: -100, max: 100 }) }) },
      subject: ({ x }) => tf.exp(x),
      invariants: [finite()],
    });
    const r = runProperty(exp, { seed: 1, runs: 200 });
    expect(r.explanation).toMatchObject({ verdict: 'inherent', mechanism: 'overflow', origin: { kernel: 'Exp' } });
    expect(failureReport(r)).toMatch(
      /why: Exp #0 overflowed \(exact .*\), and the exact final result is .* too: inherent, Infinity is the correctly rounded answer\./,
    );
  });
});
