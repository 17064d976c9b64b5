/**
 * The training runner: disposal across many runs, determinism, the user's model factory and loss
 * (including faulty ones: errors of the property with a clear message, never a crash or a leak).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { checkOnce, runProperty, tensorValue } from '../../src/index.ts';
import { replayTraining, trainingConfig, trainingProperty, type ModelFactory, type TrainingConfig, type TrainingConfigOptions } from '../../src/train/index.ts';

const variables = (): number => Object.keys(tf.engine().registeredVariables).length;

/** A small fixed configuration: 2 features, one hidden layer, 3 SGD steps. */
function fixed(over: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    layers: [
      { type: 'dense', units: 3, activation: 'relu' },
      { type: 'dense', units: 1, activation: 'linear' },
    ],
    init: { kind: 'glorot', scale: 1 },
    seed: 1,
    optimizer: { name: 'sgd', learningRate: 0.01 },
    loss: 'mse',
    gradientScale: 1,
    batchSize: 2,
    steps: 3,
    data: { x: tensorValue([2, 2], [0.5, -1, 1, 0.25]), y: tensorValue([2, 1], [1, 0]), scales: [1, 1] },
    ...over,
  };
}

const everything: TrainingConfigOptions = {
  layers: { types: ['dense', 'simpleRNN', 'conv1d'], depth: { min: 0, max: 3 }, width: { min: 1, max: 8 } },
  optimizer: {
    names: ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta'],
    learningRate: { min: 1e-4, max: 10 },
    clipnorm: { min: 0.5, max: 2, optional: true },
    clipvalue: { min: 0.5, max: 2, optional: true },
  },
  losses: ['mse', 'binaryCrossentropy', 'categoricalCrossentropy', 'naiveBinaryCrossentropy', 'sigmoidCrossEntropy', 'softmaxCrossEntropy'],
  init: { kinds: ['glorot', 'he', 'uniform'], scale: { min: 1, max: 1e3 } },
  data: { nonFinite: { min: 0, max: 1 }, scale: { max: 1e4 } },
  steps: { min: 1, max: 5 },
};

describe('the training runner', () => {
  it('leaves tf.memory() and the registered variables flat across 100 runs of every layer, optimizer and loss', () => {
    const prop = trainingProperty({ name: 'memory', config: trainingConfig(everything) });
    const configs = fc.sample(prop.arbitrary, { seed: 3, numRuns: 100 });
    const t0 = tf.memory().numTensors;
    const v0 = variables();
    const seen = new Set<string>();
    let failures = 0;
    for (const c of configs) {
      const { outcome, failure } = checkOnce(prop, c);
      expect(outcome.kind).toBe('ok'); // no run errors (a leak would be an error)
      if (failure) failures++;
      seen.add(c.optimizer.name);
      for (const l of c.layers) seen.add(l.type);
      expect(tf.memory().numTensors).toBe(t0);
      expect(variables()).toBe(v0);
    }
    for (const name of ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'dense', 'simpleRNN', 'conv1d']) expect(seen).toContain(name);
    expect(failures).toBeGreaterThan(0); // the sample includes NaN cells and lr up to 10: some runs diverge
    expect(failures).toBeLessThan(100);
  });

  it('is deterministic: the same configuration gives the same trace', () => {
    const [c] = fc.sample(trainingConfig(everything), { seed: 11, numRuns: 1 });
    const a = replayTraining(c!).trace;
    const b = replayTraining(c!).trace;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('records per step the loss, the layer outputs, and the gradient and value of every weight', () => {
    const { trace, diagnosis } = replayTraining(fixed());
    expect(diagnosis).toBeUndefined();
    expect(trace.layers).toEqual(['#1 dense(3, relu)', '#2 dense(1, linear)']);
    expect(trace.weights).toEqual(['#1 dense/kernel', '#1 dense/bias', '#2 dense/kernel', '#2 dense/bias']);
    expect(trace.steps).toHaveLength(3);
    for (const s of trace.steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.layers.map((l) => l.size)).toEqual([6, 2]);
      expect(s.grads.map((g) => g.size)).toEqual([6, 3, 3, 1]);
    }
    // training decreases this tiny regression's loss
    expect(trace.steps[2]!.loss).toBeLessThan(trace.steps[0]!.loss);
  });

  it('runs the user model factory and loss on the generated configuration', () => {
    const model: ModelFactory = ({ inputShape, outputUnits, layers }) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: layers[0]!.units * 2, activation: 'tanh', inputShape: [...inputShape] }));
      m.add(tf.layers.dense({ units: outputUnits }));
      return m;
    };
    let calls = 0;
    const loss = (y: tf.Tensor, p: tf.Tensor) => {
      calls++;
      return tf.mean(tf.abs(tf.sub(y, p)));
    };
    const { trace } = replayTraining(fixed(), { model, loss });
    expect(calls).toBe(3);
    expect(trace.layers).toHaveLength(2);
    expect(trace.layers[0]).toMatch(/^#1 Dense '/);
    expect(trace.steps[0]!.layers[0]!.size).toBe(2 * 6); // batch 2 × 6 units
  });

  describe('bad input is an error of the property, with a clear message', () => {
    const t0 = () => [tf.memory().numTensors, variables()];
    const errorOf = (def: Parameters<typeof trainingProperty>[0]) => {
      const before = t0();
      const r = runProperty(trainingProperty({ runs: 3, config: fc.constant(fixed()), ...def }), { seed: 1 });
      expect(t0()).toEqual(before);
      expect(r.status).toBe('errored');
      return r.failure?.kind === 'error' ? r.failure.message : '';
    };

    it('a model factory that throws (even after creating variables)', () => {
      const msg = errorOf({
        name: 'throws',
        model: () => {
          tf.variable(tf.zeros([2])); // created, then abandoned by the throw
          throw new Error('no GPU here');
        },
      });
      expect(msg).toContain('the model factory threw: no GPU here');
    });

    it('a model factory that returns something that is not a model', () => {
      expect(errorOf({ name: 'not a model', model: (() => ({ predict: () => 1 })) as unknown as ModelFactory })).toContain(
        'the model factory returned an object (Object), not a tf.LayersModel',
      );
      expect(errorOf({ name: 'nothing', model: (() => undefined) as unknown as ModelFactory })).toContain('returned undefined, not a tf.LayersModel');
    });

    it('a model whose input or output does not fit the data', () => {
      const wrongInput: ModelFactory = () => tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [5] })] });
      expect(errorOf({ name: 'wrong input', model: wrongInput })).toContain('the model takes input [batch, 5], but the data is [batch, 2]');
      const wrongOutput: ModelFactory = ({ inputShape }) => tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [...inputShape] })] });
      expect(errorOf({ name: 'wrong output', model: wrongOutput })).toContain('the model predicts [2, 4], but the targets are [2, 1]');
    });

    it('a loss of the wrong shape, a loss that throws, a loss that returns no tensor', () => {
      expect(errorOf({ name: 'loss shape', loss: (y, p) => tf.square(tf.sub(y, p)) })).toContain(
        'the loss function returned shape [2, 1]: a loss must return a scalar or one value per example ([2])',
      );
      expect(
        errorOf({
          name: 'loss throws',
          loss: () => {
            throw new Error('bad loss');
          },
        }),
      ).toContain('the loss function threw: bad loss');
      expect(errorOf({ name: 'loss number', loss: (() => 3) as unknown as () => tf.Tensor })).toContain('the loss function returned number, not a tf.Tensor');
    });

    it('a per-example loss vector is averaged, not an error', () => {
      const r = runProperty(
        trainingProperty({ name: 'per example', runs: 2, config: fc.constant(fixed()), loss: (y, p) => tf.mean(tf.square(tf.sub(y, p)), 1) }),
        { seed: 1 },
      );
      expect(r.status).toBe('passed');
    });

    it('a definition with a model or loss that is not a function is rejected at once', () => {
      expect(() => trainingProperty({ name: 'x', model: 3 as unknown as ModelFactory })).toThrow(/`model` must be a function/);
      expect(() => trainingProperty({ name: 'x', loss: 'mse' as unknown as () => tf.Tensor })).toThrow(/`loss` must be a function/);
    });
  });
});
