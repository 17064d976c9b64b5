/**
 * Training properties from the vitest plugin: numProp runs the same search (generator, runner,
 * per-step invariant) as one vitest test, and its failure report shows the layer table.
 */
import { trainingInputFormatter } from '../../src/train/report.ts';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { numProp } from '../../src/vitest/index.ts';
import { runProperty, property } from '../../src/index.ts';
import { failureReport } from '../../src/report/index.ts';
import { trainingConfig, trainingFinite, trainingSubject, type ModelFactory } from '../../src/train/index.ts';

const model: ModelFactory = ({ inputShape, outputUnits, seed }) =>
  tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [...inputShape], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: outputUnits, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });

describe('training properties in vitest', () => {
  numProp(
    'my tanh model trains finitely on normalized data with SGD',
    [trainingConfig({ optimizer: { names: ['sgd'] }, steps: { min: 1, max: 10 } })],
    trainingSubject({ model }),
    { invariants: [trainingFinite()], runs: 10, seed: 1 },
  );

  it('the same parts as a property find, shrink and report a failure (tuple inputs, as numProp builds them)', () => {
    // a linear model this time (tanh saturates on unscaled inputs and keeps SGD finite), seeded from
    // the configuration: a factory must build the same model for the same configuration
    const linear: ModelFactory = ({ inputShape, outputUnits, seed }) =>
      tf.sequential({
        layers: [
          tf.layers.dense({ units: 4, inputShape: [...inputShape], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
          tf.layers.dense({ units: outputUnits, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
        ],
      });
    const prop = property({
      name: 'my tanh model on unscaled data',
      inputs: [trainingConfig({ optimizer: { names: ['sgd'], learningRate: 0.01 }, data: { scale: { min: 1e4, max: 1e6 } } })] as never,
      subject: ((args: unknown[]) => trainingSubject({ model: linear })(args[0] as never)) as never,
      invariants: [trainingFinite()],
      runs: 20,
    });
    const r = runProperty(prop, { seed: 4 });
    expect(r.status, failureReport(r)).toBe('failed');
    const text = failureReport(r, { formatters: [trainingInputFormatter] });
    expect(text).toMatch(/minimal input:\n {4}(0|\[0\]):\n {6}training configuration: /);
    expect(text).toMatch(/training stays finite: step \d+ of \d+: /);
    expect(text).toContain('feature scales [');
  });
});
