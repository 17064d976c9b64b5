/**
 * The diagnosis: first step, first non-finite layer (a planted exploding layer is named), first
 * non-finite weight and whether its gradient or the optimizer's update made it so.
 */
import { trainingInputFormatter } from '../../src/train/report.ts';
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { runProperty, tensorValue } from '../../src/index.ts';
import { failureReport } from '../../src/report/index.ts';
import {
  describeDiagnosis,
  diagnose,
  replayTraining,
  trainingConfig,
  trainingProperty,
  type ModelFactory,
  type TrainingConfig,
  type TrainingTrace,
} from '../../src/train/index.ts';

function config(over: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    layers: [
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dense', units: 1, activation: 'linear' },
    ],
    init: { kind: 'glorot', scale: 1 },
    seed: 5,
    optimizer: { name: 'sgd', learningRate: 0.01 },
    loss: 'mse',
    gradientScale: 1,
    batchSize: 1,
    steps: 4,
    data: { x: tensorValue([1, 2], [1, 1]), y: tensorValue([1, 1], [0]), scales: [1, 1] },
    ...over,
  };
}

/**
 * A user's MLP whose layer `planted` (0-based) has every weight 3e38: it overflows float32. The
 * layers before it are ReLU with kernels 1 and biases 1, so the planted layer's inputs are >= 1.
 */
function exploding(planted: number): ModelFactory {
  return ({ inputShape, outputUnits, layers }) => {
    const m = tf.sequential();
    layers.slice(0, -1).forEach((l, i) => {
      m.add(
        tf.layers.dense({
          units: l.units,
          ...(i === 0 ? { inputShape: [...inputShape] } : {}),
          kernelInitializer: tf.initializers.constant({ value: i === planted ? 3e38 : 1 }),
          ...(i < planted ? { activation: 'relu' as const, biasInitializer: 'ones' as const } : {}),
          ...(i === planted ? { name: `exploder_${Math.random().toString(36).slice(2, 8)}` } : {}),
        }),
      );
    });
    m.add(tf.layers.dense({ units: outputUnits, kernelInitializer: 'ones' }));
    return m;
  };
}

describe('diagnosis', () => {
  it('names a planted exploding layer as the first non-finite layer', () => {
    for (const planted of [0, 1, 2]) {
      const { diagnosis } = replayTraining(config(), { model: exploding(planted) });
      expect(diagnosis).toBeDefined();
      expect(diagnosis!.step).toBe(0);
      expect(diagnosis!.stage).toBe('forward');
      expect(diagnosis!.layer).toMatchObject({ index: planted, step: 0, inherited: false });
      expect(diagnosis!.layer!.layer).toMatch(new RegExp(`^#${planted + 1} Dense 'exploder_`));
      expect(diagnosis!.layer!.stat.first).toBe(Infinity);
      expect(describeDiagnosis(diagnosis!)).toContain(`first non-finite layer: #${planted + 1} Dense 'exploder_`);
    }
  });

  it('names the planted layer through a property, its shrinking and its report', () => {
    const prop = trainingProperty({
      name: 'planted exploding layer',
      config: { layers: { depth: { min: 3, max: 5 }, width: { min: 2, max: 8 } }, optimizer: { names: ['sgd'] }, steps: { min: 1, max: 5 } },
      model: exploding(2),
      runs: 5,
    });
    const r = runProperty(prop, { seed: 9 });
    expect(r.status).toBe('failed');
    expect(r.failure?.kind === 'violation' && r.failure.violation.details).toMatchObject({ step: 1, stage: 'forward', layerStep: 1 });
    const layer = r.failure?.kind === 'violation' ? String(r.failure.violation.details?.layer) : '';
    expect(layer).toMatch(/^#3 Dense 'exploder_/);
    const c = r.counterexample as TrainingConfig;
    expect(c.layers).toHaveLength(4); // the minimum depth (3 hidden) plus the head
    expect(c.steps).toBe(1);
    const report = failureReport(r, { formatters: [trainingInputFormatter] });
    expect(report).toContain('first non-finite layer: #3 Dense');
    expect(report).toContain("training configuration for the model factory 'model' (the generated layers it reads; its own layers are named above):");
  });

  it('says the gradient made the weight non-finite when the gradient was NaN (NaN in the data)', () => {
    const c = config({ data: { x: tensorValue([1, 2], [NaN, 1]), y: tensorValue([1, 1], [0]), scales: [1, 1] } });
    const d = diagnose(replayTraining(c).trace)!;
    expect(d.stage).toBe('data');
    expect(d.data?.first).toBeNaN();
    expect(d.layer).toMatchObject({ index: 0, inherited: true });
    expect(d.weight).toMatchObject({ step: 0, weight: '#1 dense/kernel', cause: 'gradient' });
    expect(describeDiagnosis(d)).toMatch(/^step 1 of 4: the data batch holds NaN \(1 of 2 values\)/);
  });

  it('says the update made the weight non-finite when the gradient was finite (Adam, epsilon 0, zero gradient)', () => {
    const c = config({
      layers: [{ type: 'dense', units: 1, activation: 'linear' }],
      optimizer: { name: 'adam', learningRate: 0.001, epsilon: 0 },
      data: { x: tensorValue([1, 2], [0, 0]), y: tensorValue([1, 1], [0]), scales: [1, 1] },
    });
    const d = diagnose(replayTraining(c).trace)!;
    expect(d.stage).toBe('update');
    expect(d.weight).toMatchObject({ step: 0, weight: '#1 dense/kernel', cause: 'update' });
    expect(d.weight!.gradient).toMatchObject({ nonFinite: 0, maxAbs: 0 });
    expect(d.layer).toBeUndefined();
    expect(describeDiagnosis(d)).toContain('made by the update (gradient finite, largest |g| 0');
  });

  it('reports weights that are non-finite before training (an init scale beyond float32)', () => {
    const d = diagnose(replayTraining(config({ init: { kind: 'uniform', scale: 1e39, low: 1, high: 2 } })).trace)!;
    expect(d.step).toBe(-1);
    expect(d.stage).toBe('init');
    expect(d.weight).toMatchObject({ cause: 'init', weight: '#1 dense/kernel' });
    expect(describeDiagnosis(d)).toMatch(/^at initialization/);
  });

  it('orders events inside a step: data, layers, loss, gradient, update', () => {
    const stat = (bad: boolean) => (bad ? { nonFinite: 1, maxAbs: 0, size: 1, first: NaN } : { nonFinite: 0, maxAbs: 1, size: 1 });
    const trace = (loss: number, grad: boolean, weight: boolean): TrainingTrace => ({
      layers: ['#1 a', '#2 b'],
      weights: ['#1 a/kernel', '#2 b/kernel'],
      weightLayer: [0, 1],
      initial: [stat(false), stat(false)],
      planned: 3,
      steps: [
        {
          input: stat(false),
          layers: [stat(false), stat(false)],
          prediction: stat(false),
          loss: 1,
          grads: [stat(false), stat(false)],
          applied: [stat(false), stat(false)],
          weights: [stat(false), stat(false)],
        },
        {
          input: stat(false),
          layers: [stat(false), stat(false)],
          prediction: stat(false),
          loss,
          grads: [stat(false), stat(grad)],
          applied: [stat(false), stat(grad)],
          weights: [stat(false), stat(weight)],
        },
      ],
    });
    expect(diagnose(trace(1, false, false))).toBeUndefined();
    expect(diagnose(trace(Infinity, true, true))).toMatchObject({ step: 1, stage: 'loss', weight: { weight: '#2 b/kernel', cause: 'gradient', step: 1 } });
    expect(diagnose(trace(1, true, true))).toMatchObject({ step: 1, stage: 'gradient' });
    expect(diagnose(trace(1, false, true))).toMatchObject({ step: 1, stage: 'update', weight: { cause: 'update' } });
    expect(diagnose(trace(1, true, false))).toMatchObject({ stage: 'gradient', gradient: { weight: '#2 b/kernel' } });
  });

  it('works on sequence models: an exploding simpleRNN is named by the layer table label', () => {
    const [c] = fc.sample(
      trainingConfig({
        layers: { types: ['simpleRNN'], depth: 1, width: 4, activations: ['relu'] },
        init: { kinds: ['uniform'], low: 1e10, high: 2e10 },
        data: { values: 100, timeSteps: 8 },
        steps: 1,
      }),
      { seed: 2, numRuns: 1 },
    );
    const d = diagnose(replayTraining(c!).trace)!;
    expect(d.layer?.layer).toBe('#1 simpleRNN(4, relu)');
    expect(d.stage).toBe('forward');
  });
});
