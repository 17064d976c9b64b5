// Every distinct failure of a property, each shrunk on its own (issue 17, item 4): naive softplus
// overflows at 89 and loses its accuracy for negative x; naive E[x²] - E[x]² overflows at 2e19 and
// cancels catastrophically near -17. Both defects of each are reported, explained and replayable,
// and the gate and the failure database key on the distinct failure. Real cpu kernels, fixed seeds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { finite, float32, matchesReference, property, reference, runProperty, runPropertyAsync, tensor, type PropertyResult } from '../../src/index.ts';
import type { TensorValue } from '../../src/core/tensor-value.ts';
import { failuresOf } from '../../src/property/failure.ts';
import { evaluateGate } from '../../src/gate/gate.ts';
import { parseBaseline, formatBaseline, type BaselineEntry } from '../../src/gate/baseline.ts';
import { failureReports } from '../../src/report/format.ts';
import { resultToJson } from '../../src/report/json.ts';
import { openFailureDatabase } from '../../src/db/database.ts';

const softplus = property({
  name: 'naive softplus',
  inputs: { x: tensor({ shape: [1], elements: float32({ min: -100, max: 100 }) }) },
  subject: ({ x }) => tf.log(tf.add(1, tf.exp(x))),
  invariants: [matchesReference(({ x }: { x: TensorValue }) => reference.softplus(x), { ulps: 10_000 })],
});

const variance = property({
  name: 'naive variance',
  inputs: { x: tensor({ shape: [4], elements: float32({ min: -1e20, max: 1e20 }) }) },
  subject: ({ x }) => tf.sub(tf.mean(tf.square(x)), tf.square(tf.mean(x))),
  invariants: [matchesReference(({ x }: { x: TensorValue }) => reference.moments(x).variance, { ulps: 10_000 })],
});

/** The violation kind of each failure of a result, in order. */
const kinds = (r: PropertyResult) => failuresOf(r).map((f) => (f.failure?.kind === 'violation' ? f.failure.violation.kind : undefined));
const byKind = (r: PropertyResult, kind: string) => failuresOf(r).find((f) => f.failure?.kind === 'violation' && f.failure.violation.kind === kind)!;
const input = (f: PropertyResult) => Array.from((f.counterexample as { x: TensorValue }).x.data as Float32Array);

describe('distinct failures', () => {
  it('naive softplus: the overflow at 89 and the lost accuracy at negative x, each shrunk and explained', () => {
    const before = tf.memory().numTensors;
    const r = runProperty(softplus, { seed: 1, runs: 100 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.status).toBe('failed');
    expect(kinds(r).sort()).toEqual(['inaccurate', 'non-finite']);
    const overflow = byKind(r, 'non-finite');
    expect(input(overflow)).toEqual([89]);
    expect(overflow.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Exp' } });
    const lost = byKind(r, 'inaccurate');
    expect(input(lost)[0]).toBeLessThan(-5);
    expect(lost.explanation).toMatchObject({ verdict: 'artifact', origin: { kernel: 'Log' } });
    expect(lost.explanation?.text).toMatch(/^Add #1 rounded 1 to .*Artifact: the exact result is /);
    // each has its own path, which replays it with the seed
    for (const f of failuresOf(r)) {
      const again = runProperty(softplus, { seed: 1, path: f.path! });
      expect(again.status).toBe('failed');
      expect(kinds(again)[0]).toBe(kinds(f)[0]);
      expect(input(again)).toEqual(input(f));
    }
  });

  it('naive E[x²] - E[x]²: overflow of Square and cancellation in Sub, two distinct failures', () => {
    const r = runProperty(variance, { seed: 2, runs: 100 });
    expect(kinds(r).sort()).toEqual(['inaccurate', 'non-finite']);
    const overflow = byKind(r, 'non-finite');
    expect(input(overflow)).toEqual([0, 2e19, 0, 0].map(Math.fround));
    expect(overflow.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'overflow', origin: { kernel: 'Square' } });
    const cancelled = byKind(r, 'inaccurate');
    expect(cancelled.explanation).toMatchObject({ verdict: 'artifact', mechanism: 'cancellation', origin: { kernel: 'Sub' } });
    expect(Math.max(...input(cancelled).map(Math.abs))).toBeLessThan(100);
    // the reports show both: console, and JSON with the schema's `distinct`
    const text = failureReports(r).join('\n\n');
    expect(text).toMatch(/distinct failure 1 of 2[\s\S]*distinct failure 2 of 2/);
    expect(text).toMatch(/why: Square #0 overflowed/);
    expect(text).toMatch(/: cancellation\. Artifact/);
    const json = resultToJson(r);
    expect((json.distinct as Record<string, unknown>[]).map((d) => d.violation)).toEqual([kinds(r)[1]]);
  });

  it('the first failure and its shrink are those of a search that stops at it (distinct: 1)', () => {
    const all = runProperty(variance, { seed: 2, runs: 100 });
    const one = runProperty(variance, { seed: 2, runs: 100, distinct: 1 });
    expect(one.distinct).toBeUndefined();
    expect([one.path, one.shrinks, one.runs, input(one)]).toEqual([all.path, all.shrinks, all.runs, input(all)]);
  });

  it('a property with one kind of failure reports one failure', () => {
    const exp = property({
      name: 'exp finite',
      inputs: { x: tensor({ shape: [2], elements: float32({ min: -100, max: 100 }) }) },
      subject: ({ x }) => tf.exp(x),
      invariants: [finite()],
    });
    const r = runProperty(exp, { seed: 3, runs: 100 });
    expect(r.status).toBe('failed');
    expect(failuresOf(r)).toHaveLength(1);
  });

  it('the async engine finds the same distinct failures', async () => {
    const sync = runProperty(softplus, { seed: 1, runs: 100, provenance: false });
    const async_ = await runPropertyAsync(softplus, { seed: 1, runs: 100 });
    expect(failuresOf(async_).map((f) => [f.path, f.shrinks, kinds(f)[0], input(f)])).toEqual(
      failuresOf(sync).map((f) => [f.path, f.shrinks, kinds(f)[0], input(f)]),
    );
  });

  it('the gate keys on the distinct failure: an entry of one kind does not cover the other', () => {
    const r = runProperty(softplus, { seed: 1, runs: 100, provenance: false });
    const entry = (kind?: string): BaselineEntry => ({
      property: 'naive softplus',
      invariant: 'matches reference (softplus)',
      ...(kind ? { kind: kind as never } : {}),
    });
    const name = (r.failure as { violation: { invariant: string } }).violation.invariant;
    const baseline = (...kinds: (string | undefined)[]) => parseBaseline(formatBaseline(kinds.map((k) => ({ ...entry(k), invariant: name }))), 'b.json');
    expect(evaluateGate([r], baseline('non-finite')).verdicts).toEqual(['new']);
    expect(evaluateGate([r], baseline('non-finite')).newFindings.map((f) => kinds(f)[0])).toEqual(['inaccurate']);
    expect(evaluateGate([r], baseline('non-finite', 'inaccurate')).verdicts).toEqual(['known']);
    expect(evaluateGate([r], baseline('non-finite', 'inaccurate')).known).toHaveLength(2);
    // an entry without a kind (written before kinds) covers every kind of its invariant
    expect(evaluateGate([r], baseline(undefined)).verdicts).toEqual(['known']);
  });

  it('the failure database saves each distinct failure in a file of its own', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-distinct-'));
    try {
      const r = runProperty(variance, { seed: 2, runs: 100 });
      const db = openFailureDatabase(dir);
      db.recordRun(r, [], {});
      const saved = db.load('naive variance');
      expect(saved.map((s) => (s.record.failure.kind === 'violation' ? s.record.failure.violation : undefined)).sort()).toEqual(['inaccurate', 'non-finite']);
      expect(saved.find((s) => s.record.explanation?.mechanism === 'cancellation')).toMatchObject({ record: { explanation: { verdict: 'artifact' } } });
      // run again with the saved cases first: both fail at once, with no search needed
      const again = runProperty(variance, { seed: 99, runs: 1, examples: db.examples('naive variance') });
      expect(kinds(again).sort()).toEqual(['inaccurate', 'non-finite']);
      expect(
        failuresOf(again)
          .map((f) => f.example)
          .sort(),
      ).toEqual([0, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
