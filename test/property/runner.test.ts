import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ErrorSampleKeeper, MAX_ERROR_SAMPLES } from '../../src/property/runner.ts';
import { finite, invariant, noNaN, property, runProperty, tensor, float32, type TensorValue } from '../../src/index.ts';
import { failureReport } from '../../src/report/index.ts';
import { resultToJson } from '../../src/report/json.ts';
import { naiveBce } from '../../properties/examples.ts';

const withoutTimes = (r: ReturnType<typeof runProperty>) => {
  const { durationMs: _, ...rest } = resultToJson(r);
  return JSON.stringify(rest);
};

describe('runProperty', () => {
  it('passes a correct property and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const r = runProperty(property({ name: 'sigmoid', inputs: { x: tensor() }, subject: ({ x }) => tf.sigmoid(x) }), { seed: 1, runs: 50 });
    expect(r).toMatchObject({ status: 'passed', runs: 50, seed: 1, backend: 'cpu' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shrinks the naive BCE to one saturated element and names the kernel where the non-finite value was born', () => {
    const before = tf.memory().numTensors;
    const r = runProperty(naiveBce, { seed: 42 });
    expect(r.status).toBe('failed');
    expect(r.expectedFailure).toBe(true);
    const { x, y } = (r.counterexample as { batch: { x: TensorValue; y: TensorValue } }).batch;
    expect(x.shape).toEqual([1]);
    expect(Math.abs(x.data[0]!)).toBeGreaterThanOrEqual(17.3287);
    expect(Math.abs(x.data[0]!)).toBeLessThan(19);
    expect([0, 1]).toContain(y.data[0]);
    expect(r.provenance?.born?.kernel).toBe('Log');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'finite' } });
    const text = failureReport(r, { globalSeed: 0 });
    expect(text).toContain("Property 'naive BCE (example bug)' failed (expected)");
    expect(text).toMatch(/minimal input:\n {4}batch: \{ x: Tensor float32 \[1\] \[-?1[89]\], y: Tensor float32 \[1\] \[[01]\] \}/);
    expect(text).toContain('born in kernel');
    expect(text).toContain('Log(x=[1] 0) -> [1] -Infinity');
    expect(text).toMatch(/replay: npx nanhunt check --filter 'naive BCE \(example bug\)' --seed 0 --path [\d:]+ --backend cpu/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a report of a run started from code replays with the runProperty call it prints', () => {
    const r = runProperty(naiveBce, { seed: 7 });
    const line = failureReport(r)
      .split('\n')
      .find((l) => l.startsWith('  replay: '));
    const m = line?.match(/^ {2}replay: runProperty\(property, \{ seed: (-?\d+), path: '([\d:]+)' \}\) on backend cpu$/);
    expect(m, line).not.toBeNull();
    const again = runProperty(naiveBce, { seed: Number(m![1]), path: m![2]! });
    expect(again.status).toBe('failed');
    expect(resultToJson(r).counterexample).toMatchObject({ batch: { x: { shape: [1] } } });
    expect(resultToJson(again).counterexample).toEqual(resultToJson(r).counterexample);
  });

  it('gives the same result for the same seed, byte for byte', () => {
    const a = runProperty(naiveBce, { seed: 7 });
    const b = runProperty(naiveBce, { seed: 7 });
    expect(withoutTimes(a)).toBe(withoutTimes(b));
    const c = runProperty(naiveBce, { seed: 8 });
    expect(c.seed).toBe(8);
  });

  it('replays a failure from its seed and path', () => {
    const a = runProperty(naiveBce, { seed: 3 });
    const replay = runProperty(naiveBce, { seed: 3, path: a.path! });
    expect(replay.status).toBe('failed');
    expect(JSON.stringify(resultToJson(replay).counterexample)).toBe(JSON.stringify(resultToJson(a).counterexample));
  });

  it('reports a subject that throws as errored, without crashing', () => {
    const r = runProperty(
      property({
        name: 'throws',
        inputs: { x: tensor() },
        subject: () => {
          throw new Error('bad subject');
        },
      }),
      { seed: 1 },
    );
    expect(r.status).toBe('errored');
    expect(r.failure).toEqual({ kind: 'error', stage: 'subject', message: 'bad subject' });
  });

  it('reports leaking subjects as errored with the count', () => {
    const kept: tf.Tensor[] = [];
    const before = tf.memory().numTensors;
    const r = runProperty(
      property({
        name: 'leaks',
        inputs: { x: tensor() },
        subject: ({ x }) => {
          kept.push(tf.keep(tf.abs(x)));
          return tf.neg(x);
        },
      }),
      { seed: 1, runs: 5, provenance: false },
    );
    expect(r.status).toBe('errored');
    expect(r.failure).toMatchObject({ kind: 'error', stage: 'leak', message: expect.stringContaining('leaked 1 tensor') });
    for (const t of kept) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks custom invariants and gradients', () => {
    const nonNegative = invariant('non-negative', (o) => o.outputs.every((t) => t.data.every((v) => v >= 0)) || 'negative output');
    const r = runProperty(
      property({
        name: 'neg is non-negative?',
        inputs: { x: tensor({ elements: float32({ min: -10, max: 10 }) }) },
        subject: ({ x }) => tf.neg(x),
        invariants: [nonNegative],
      }),
      { seed: 2 },
    );
    expect(r.status).toBe('failed');
    expect((r.counterexample as { x: TensorValue }).x.data[0]).toBe(1);
    const g = runProperty(
      property({
        name: 'sqrt gradient at 0',
        inputs: { x: tensor({ elements: float32({ min: 0, max: 4 }) }) },
        subject: ({ x }) => tf.sqrt(x),
        invariants: [finite({ gradients: true })],
      }),
      { seed: 2 },
    );
    expect(g.status).toBe('failed');
    expect((g.counterexample as { x: TensorValue }).x.data[0]).toBe(0);
    expect(g.failure).toMatchObject({ violation: { location: { kind: 'gradient', tensor: 'grad(x)' } } });
    const n = runProperty(property({ name: 'exp has no NaN', inputs: { x: tensor() }, subject: ({ x }) => tf.exp(x), invariants: [noNaN()] }), { seed: 2 });
    expect(n.status).toBe('passed');
  });

  it('reports an invariant that throws as an error of the property, naming it', () => {
    const broken = invariant('broken check', () => {
      throw new Error('cannot read that');
    });
    const r = runProperty(property({ name: 'bad invariant', inputs: { x: tensor() }, subject: ({ x }) => tf.abs(x), invariants: [broken] }), { seed: 1 });
    expect(r.status).toBe('errored');
    expect(r.failure).toEqual({ kind: 'error', stage: 'invariant', message: "invariant 'broken check' threw: cannot read that" });
  });

  it('rejects bad definitions and options clearly', () => {
    expect(() => property({ name: '', inputs: {}, subject: () => tf.scalar(1) })).toThrow(/name/);
    expect(() => property({ name: 'x', inputs: { a: 3 as never }, subject: () => tf.scalar(1) })).toThrow(/input 'a' is not a fast-check Arbitrary/);
    const p = property({ name: 'ok', inputs: { x: tensor() }, subject: ({ x }) => x });
    expect(() => runProperty(p, { runs: 0 })).toThrow(/runs must be a positive integer/);
  });
});

describe('ErrorSampleKeeper', () => {
  it('keeps the 200 worst points however they arrive (rising errors replace one each time), and NaN as the worst', () => {
    const rising = new ErrorSampleKeeper(1);
    for (let i = 0; i < 50_000; i++) rising.add({ input: i, bits: i / 1000, ulps: i });
    const kept = rising.samples();
    expect(kept.length).toBeLessThanOrEqual(MAX_ERROR_SAMPLES);
    expect(kept.filter((s) => s.input >= 50_000 - 200).length).toBe(200);

    const tied = new ErrorSampleKeeper(2);
    for (let i = 0; i < 5000; i++) tied.add({ input: i, bits: i === 4000 ? NaN : 3, ulps: 1 });
    const nan = tied.samples().filter((s) => Number.isNaN(s.bits));
    expect(nan.map((s) => s.input)).toEqual([4000]);
  });
});
