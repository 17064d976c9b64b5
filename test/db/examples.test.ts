// runProperty's `examples` (saved failures) as the failure database uses them: they run first,
// in addition to the generated cases; the failure says which example failed; a path counts
// generated cases only, so it replays without the examples.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { probabilities, property, runProperty, tensor, tensorValue } from '../../src/index.ts';
import { passedExamples } from '../../src/db/database.ts';

const inputs = { p: tensor({ shape: { maxRank: 1, maxSize: 8 }, elements: probabilities() }) };
const buggy = property({ name: 'examples: log', inputs, subject: ({ p }) => tf.log(p) });
const fixedVersion = property({ name: 'examples: log', inputs, subject: ({ p }) => tf.log(tf.maximum(p, 1e-30)) });

const zero = { p: tensorValue([1], [0]) };
const half = { p: tensorValue([2], [0.5, 0.25]) };

describe('saved examples run first', () => {
  it('a saved example that still fails is the failure, found at run 1', () => {
    const r = runProperty(buggy, { seed: 1, runs: 100, examples: [zero] });
    expect(r.status).toBe('failed');
    expect(r.runs).toBe(1);
    expect(r.example).toBe(0);
    expect(r.path).toBeUndefined();
    expect(Array.from((r.counterexample as typeof zero).p.data)).toEqual([0]);
    expect(r.provenance?.born?.kernel).toBe('Log');
    expect(passedExamples(r, 1)).toBe(0);
  });

  it('the examples before the failing one passed', () => {
    const r = runProperty(buggy, { seed: 1, runs: 100, examples: [half, zero] });
    expect(r.example).toBe(1);
    expect(r.runs).toBe(2);
    expect(passedExamples(r, 2)).toBe(2 - 1);
  });

  it('a fixed example passes, and the generated cases still all run', () => {
    const r = runProperty(fixedVersion, { seed: 1, runs: 40, examples: [zero, half] });
    expect(r.status).toBe('passed');
    expect(r.runs).toBe(42);
    expect(passedExamples(r, 2)).toBe(2);
  });

  it('every example runs even when there are more examples than runs', () => {
    const r = runProperty(buggy, { seed: 1, runs: 1, examples: [half, half, zero] });
    expect(r.example).toBe(2);
  });

  it('a failure among generated cases has a path that replays without the examples', () => {
    const r = runProperty(buggy, { seed: 11, runs: 100, examples: [half] });
    expect(r.status).toBe('failed');
    expect(r.example).toBeUndefined();
    expect(passedExamples(r, 1)).toBe(1);
    const again = runProperty(buggy, { seed: 11, runs: 100, path: r.path! });
    expect(String((again.counterexample as typeof zero).p)).toBe(String((r.counterexample as typeof zero).p));
    // and the same run without examples finds the same minimal case at the same path
    const plain = runProperty(buggy, { seed: 11, runs: 100 });
    expect(plain.path).toBe(r.path);
    expect(plain.runs).toBe(r.runs - 1);
  });

  it('examples are ignored when a path is replayed', () => {
    const plain = runProperty(buggy, { seed: 11, runs: 100 });
    const r = runProperty(buggy, { seed: 11, runs: 100, path: plain.path!, examples: [zero] });
    expect(r.example).toBeUndefined();
    expect(r.path).toBe(plain.path);
  });
});
