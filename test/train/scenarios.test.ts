/**
 * The shipped training scenarios: each naive one fails (and shrinks to a configuration smaller than
 * its first failure), each mitigated twin passes — on the seeds `nanhunt check` uses (global seed 0).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { checkOnce, propertySeed, runProperty, type Property } from '../../src/index.ts';
import { TRAINING_INVARIANT, type TrainingConfig } from '../../src/train/index.ts';
import * as catalog from '../../properties/training.ts';

const pairs: [keyof typeof catalog, keyof typeof catalog][] = [
  ['unscaledFeatureSgd', 'normalizedFeatureSgd'],
  ['adamLr100', 'adamLr1e3'],
  ['reluMlpUniform1to10', 'reluMlpGlorot'],
  ['nanInData', 'cleanData'],
  ['rnnUnclipped', 'rnnClipnorm'],
  ['bceOnSigmoid', 'stableBceOnLogits'],
  ['adamTinyGradients', 'adamTinyGradientsEpsilon'],
];

/** The first failing configuration of a property under a seed, without shrinking. */
function firstFailure(p: Property<TrainingConfig>, seed: number): TrainingConfig | undefined {
  const details = fc.check(
    fc.property(p.arbitrary, (c) => checkOnce(p, c).failure === undefined),
    { seed, numRuns: p.runs ?? 20, endOnFailure: true },
  );
  return details.counterexample?.[0];
}

const size = (c: TrainingConfig) => ({
  layers: c.layers.length,
  units: c.layers.reduce((a, l) => a + l.units, 0),
  steps: c.steps,
  rows: c.data.x.shape[0]!,
  batch: c.batchSize,
});

describe('shipped training scenarios', () => {
  it('ships every scenario with its twin, named with the common prefix', () => {
    const all = Object.values(catalog);
    expect(all).toHaveLength(14);
    for (const p of all) expect(p.name.startsWith('training: ')).toBe(true);
    for (const [naive, twin] of pairs) {
      expect(catalog[naive].expectFailure).toBeTruthy();
      expect(catalog[twin].expectFailure).toBeUndefined();
    }
  });

  for (const [naiveKey, twinKey] of pairs) {
    const naive = catalog[naiveKey];
    const twin = catalog[twinKey];
    it(`'${naive.name}' fails and shrinks below its first failure; its twin '${twin.name}' passes`, () => {
      const tensors = tf.memory().numTensors;
      const seed = propertySeed(0, naive.name);
      const r = runProperty(naive, { seed });
      expect(r.status).toBe('failed');
      expect(r.expectedFailure).toBe(true);
      expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: TRAINING_INVARIANT } });
      // the minimal configuration is smaller than the first one that failed: never larger anywhere, smaller somewhere
      const first = firstFailure(naive, seed)!;
      expect(first).toBeDefined();
      const a = size(first);
      const b = size(r.counterexample as TrainingConfig);
      expect(b.layers).toBeLessThanOrEqual(a.layers);
      expect(b.steps).toBeLessThanOrEqual(a.steps);
      expect(b.rows).toBeLessThanOrEqual(a.rows);
      expect(b.batch).toBeLessThanOrEqual(a.batch);
      expect(b.layers < a.layers || b.units < a.units || b.steps < a.steps || b.rows < a.rows || b.batch < a.batch).toBe(true);
      expect(r.shrinks).toBeGreaterThan(0);

      const t = runProperty(twin, { seed: propertySeed(0, twin.name) });
      expect(t.failure).toBeUndefined();
      expect(t.status).toBe('passed');
      expect(t.runs).toBe(twin.runs);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }

  it('names what went wrong in each scenario', () => {
    const message = (p: Property<TrainingConfig>) => {
      const r = runProperty(p, { seed: propertySeed(0, p.name), provenance: false });
      return r.failure?.kind === 'violation' ? r.failure.violation : undefined;
    };
    // NaN in the data: the data stage, the first layer inherits it, the gradient poisons the weights
    const nan = message(catalog.nanInData)!;
    expect(nan.details).toMatchObject({ step: 1, stage: 'data', weight: '#1 dense/kernel', cause: 'gradient' });
    expect(nan.message).toContain('the data batch holds NaN');
    // Adam with epsilon 0 and underflowed gradients: the update (0/0), not the gradient
    const adam = message(catalog.adamTinyGradients)!;
    expect(adam.details).toMatchObject({ stage: 'update', cause: 'update' });
    expect(adam.message).toContain('made by the update');
    // naive BCE: the loss itself is infinite while the sigmoid output is finite
    const bce = message(catalog.bceOnSigmoid)!;
    expect(bce.details).toMatchObject({ step: 1, stage: 'loss' });
  });
});
