/**
 * Reports of training failures (the layer table in failure reports and `nanhunt check`) and the
 * standalone repro scripts (run with node: they reproduce the same losses and the same step).
 */
import { trainingInputFormatter } from '../../src/train/report.ts';
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { propertySeed, runProperty, tensorValue } from '../../src/index.ts';
import { failureReport } from '../../src/report/index.ts';
import { formatTrainingConfig, replayTraining, trainingReport, trainingReproScript, writeTrainingRepro, type TrainingConfig } from '../../src/train/index.ts';
import * as catalog from '../../properties/training.ts';

const root = path.resolve(import.meta.dirname, '../..');
// inside the project, so that the scripts resolve @tensorflow/tfjs from its node_modules
mkdirSync(path.join(root, 'node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(path.join(root, 'node_modules/.cache/nanhunt-train-repro-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = (p: (typeof catalog)[keyof typeof catalog]) => {
  const r = runProperty(p, { seed: propertySeed(0, p.name), provenance: false });
  return { r, config: r.counterexample as TrainingConfig };
};

function runScript(file: string): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, out: res.stdout + res.stderr };
}

describe('training reports', () => {
  it('prints a configuration as a layer table and its hyperparameters', () => {
    const c: TrainingConfig = {
      layers: [
        { type: 'simpleRNN', units: 4, activation: 'tanh' },
        { type: 'conv1d', units: 2, activation: 'relu', kernelSize: 3 },
        { type: 'dense', units: 1, activation: 'linear' },
      ],
      init: { kind: 'uniform', scale: 1, low: 1, high: 10, biases: true },
      seed: 7,
      optimizer: { name: 'adam', learningRate: 100, epsilon: 1e-7, clipnorm: 1 },
      loss: 'mse',
      gradientScale: 1e-50,
      batchSize: 2,
      steps: 3,
      data: { x: tensorValue([2, 3, 1], [1, 2, 3, 4, 5, NaN]), y: tensorValue([2, 1], [0, 1]), scales: [1000] },
    };
    const text = formatTrainingConfig(c, '').join('\n');
    expect(text).toContain('training configuration: 4 layers, 57 parameters');
    expect(text).toMatch(/#\s+layer\s+output\s+params/);
    expect(text).toMatch(/1\s+simpleRNN\(4, tanh, sequences\)\s+\[3, 4\]\s+24/);
    expect(text).toMatch(/2\s+conv1d\(2, relu, kernel 3\)\s+\[3, 2\]\s+26/);
    expect(text).toMatch(/3\s+flatten\s+\[6\]\s+0\s+\(inserted\)/);
    expect(text).toMatch(/4\s+dense\(1, linear\)\s+\[1\]\s+7\s+head/);
    expect(text).toContain('init uniform(1, 10) (seed 7), biases from the same initializer');
    expect(text).toContain('optimizer adam, learning rate 100, epsilon 1e-7, clipnorm 1, clipvalue off, gradients × 1e-50');
    expect(text).toContain('loss mse · batch 2 · steps 3');
    expect(text).toContain('data 2 rows × 3 time steps × 1 feature, feature scales [1000]');
    expect(text).toContain('x [[[1], [2], [3]], [[4], [5], [NaN]]]');
  });

  it('shows the minimal configuration as a table in failure reports, and the run step by step in trainingReport', () => {
    const { r } = minimal(catalog.unscaledFeatureSgd);
    const text = failureReport(r, { formatters: [trainingInputFormatter] });
    expect(text).toContain("Property 'training: unscaled feature with SGD' failed (expected)");
    expect(text).toContain('training stays finite: step ');
    expect(text).toMatch(/minimal input:\n {4}training configuration: \d+ layers?, \d+ parameters\n {6}# {2}layer +output +params\n/);
    expect(text).toMatch(/\d+\s+dense\(1, linear\)\s+\[1\]\s+2\s+head/);
    expect(text).toMatch(/data 1 row × 1 feature, feature scales \[\d+\]/);
    const full = trainingReport(r);
    expect(full).toContain('the minimal run:');
    expect(full).toMatch(/step\s+loss\s+max \|layer out\|\s+max \|grad\|\s+max \|weight\|\s+non-finite/);
    expect(full).toMatch(/\n\s+1\s+\S+/);
  });
});

describe('training repro scripts', () => {
  it('reproduce a minimal failure standalone: same losses, same step, exit 1', () => {
    for (const p of [catalog.unscaledFeatureSgd, catalog.nanInData, catalog.adamTinyGradients]) {
      const { config } = minimal(p);
      const { trace, diagnosis } = replayTraining(config);
      const file = writeTrainingRepro(path.join(dir, `${p.name.replace(/\W+/g, '-')}.mjs`), config, { title: p.name });
      const { status, out } = runScript(file);
      expect(status, out).toBe(1);
      expect(out).toContain(`step 1: loss ${trace.steps[0]!.loss}`);
      expect(out).toContain(`NON-FINITE at step ${diagnosis!.step + 1}:`);
    }
  });

  it('exit 0 for a configuration whose training stays finite, and say what they cannot know', () => {
    const c: TrainingConfig = {
      layers: [{ type: 'dense', units: 1, activation: 'linear' }],
      init: { kind: 'he', scale: 1 },
      seed: 1,
      optimizer: { name: 'momentum', learningRate: 0.01, momentum: 0.9, clipvalue: 0.5 },
      loss: 'mse',
      gradientScale: 1,
      batchSize: 1,
      steps: 2,
      data: { x: tensorValue([1, 1], [1]), y: tensorValue([1, 1], [0]), scales: [1] },
    };
    const { status, out } = runScript(writeTrainingRepro(path.join(dir, 'finite.mjs'), c));
    expect(status, out).toBe(0);
    expect(out).toContain('training stayed finite for 2 steps');
    expect(trainingReproScript(c)).toContain('tf.train.momentum(0.01, 0.9)');
    expect(trainingReproScript({ ...c, loss: 'myLoss' })).toContain(`paste your loss "myLoss" here`);
  });
});
