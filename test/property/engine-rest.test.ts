// The engine after a failure: the generated cases the search did not reach are handed to `rest`
// (for error-versus-input plots) without changing the counterexample, seed, path or shrink; and a
// path that does not replay is the caller's mistake (InputError), never a finding.
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/core/errors.ts';
import { search, PASS, type Trial } from '../../src/property/engine.ts';
import { float32, matchesReference, property, runProperty, tensor, type TensorValue } from '../../src/index.ts';
import { exactTensor } from '../../src/reference/exact.ts';

const key = { kind: 'violation', invariant: 'small' } as const;
/** Fails on integers above 500 000 (about half of fc.integer's cases, after a few passes). */
const spec = (rest?: (x: number) => void) => ({
  arbitrary: fc.integer({ min: 0, max: 1_000_000 }),
  trial: (x: number): Trial<string> => (x > 500_000 ? { kind: 'fail', failure: `${x}`, key } : PASS),
  ...(rest ? { rest } : {}),
});

describe('engine: the rest of generation', () => {
  it('hands over the generated cases after the first failure, in order, and changes nothing else', () => {
    const plain = search(spec(), { seed: 11, runs: 60 });
    const seen: number[] = [];
    const measured = search(
      spec((x) => seen.push(x)),
      { seed: 11, runs: 60 },
    );
    expect(plain.kind).toBe('failed');
    expect(measured).toEqual(plain);
    if (plain.kind !== 'failed') return;
    const reached = Number(plain.path!.split(':')[0]) + 1;
    expect(reached).toBeLessThan(60);
    expect(seen).toEqual(fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed: 11, numRuns: 60 }).slice(reached));
    // a failing saved example: no generated case ran, all of them are the rest
    const all: number[] = [];
    const fromExample = search(
      spec((x) => all.push(x)),
      { seed: 11, runs: 60, examples: [900_000] },
    );
    expect(fromExample).toMatchObject({ kind: 'failed', example: 0 });
    expect(all).toHaveLength(60);
    // replaying a path measures nothing
    const none: number[] = [];
    search(
      spec((x) => none.push(x)),
      { seed: 11, runs: 60, path: plain.path! },
    );
    expect(none).toEqual([]);
  });

  it('a failing accuracy property samples its error over every generated run, with the same minimal case', () => {
    // a planted defect: x + 2^-10 for |x| < 1, checked against the identity
    const exact = ({ x }: { x: TensorValue }) => exactTensor(x.shape, Float64Array.from(x.data));
    const subject = ({ x }: { x: tf.Tensor }) => tf.where(tf.less(tf.abs(x), 1), tf.add(x, 2 ** -10), x);
    const inputs = { x: tensor({ elements: float32({ min: -4, max: 4 }), shape: { minRank: 1, maxRank: 1, maxDim: 4 } }) };
    const sampled = property({ name: 'off near 0', inputs, subject, invariants: [matchesReference(exact, { ulps: 0 })] });
    const check = matchesReference(exact, { ulps: 0 });
    const unsampled = property({ name: 'off near 0', inputs, subject, invariants: [{ name: check.name, check: check.check }] });
    const before = tf.memory().numTensors;
    const a = runProperty(sampled, { seed: 5, runs: 300 });
    const b = runProperty(unsampled, { seed: 5, runs: 300 });
    expect(tf.memory().numTensors).toBe(before);
    expect(a.status).toBe('failed');
    expect(a.runs).toBeLessThan(20); // the search stopped early...
    const size = (r: typeof a) => r.errorSamples?.length ?? 0;
    expect(size(a)).toBeGreaterThan(300); // ...but the plot has points from all 300 runs
    expect(size(b)).toBe(0);
    for (const k of ['counterexample', 'seed', 'path', 'shrinks', 'runs', 'failure'] as const) expect(a[k], k).toEqual(b[k]);
    expect(a.errorSamples!.some((s) => s.bits > 10)).toBe(true); // the bad points, near 0
    expect(a.errorSamples!.some((s) => s.bits === 0)).toBe(true); // and the good ones
  });
});

describe('engine: paths that do not replay are input errors', () => {
  it('rejects a path that is not a path, and one this property does not generate', () => {
    expect(() => search(spec(), { seed: 1, runs: 10, path: 'garbage' })).toThrow(InputError);
    expect(() => search(spec(), { seed: 1, runs: 10, path: 'garbage' })).toThrow(/invalid path 'garbage'/);
    expect(() => search(spec(), { seed: 1, runs: 10, path: '1::2' })).toThrow(InputError);
    expect(() => search(spec(), { seed: 1, runs: 10, path: '5:300:2' })).toThrow(/path '5:300:2' does not replay: the property does not generate that case/);
    // through the runner too: never a result with an error of stage 'generate'
    const p = property({ name: 'p', inputs: { x: tensor() }, subject: ({ x }) => tf.abs(x) });
    expect(() => runProperty(p, { seed: 1, path: '0:999:999:999' })).toThrow(InputError);
  });
});
