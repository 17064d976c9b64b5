/**
 * Training benchmark: time of 100-run training properties on the cpu backend (goal: < 60 s on
 * 2 cores) and tf.memory() across the runs (goal: flat — every model, variable and optimizer slot
 * of a run is disposed).
 *
 *   npx tsx bench/training.ts [runs=100]
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/run/backend.ts';
import { runProperty } from '../src/property/runner.ts';
import { checkOnce } from '../src/property/runner.ts';
import { trainingConfig, trainingProperty, type TrainingConfigOptions } from '../src/train/index.ts';
import * as catalog from '../properties/training.ts';
import * as fc from 'fast-check';

await useBackend('cpu');
const runs = Number(process.argv[2] ?? 100);
const variables = (): number => Object.keys(tf.engine().registeredVariables).length;

console.log(`nanhunt training bench · tfjs ${tf.version.tfjs} · backend cpu · node ${process.version}`);
console.log(
  `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log('');

const general: TrainingConfigOptions = {
  layers: { types: ['dense'], depth: { min: 0, max: 3 }, width: { min: 1, max: 16 } },
  optimizer: { names: ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta'], learningRate: { min: 1e-4, max: 1e-2 } },
  losses: ['mse', 'binaryCrossentropy', 'categoricalCrossentropy', 'sigmoidCrossEntropy', 'softmaxCrossEntropy'],
  steps: { min: 1, max: 20 },
};
const full: TrainingConfigOptions = {
  ...general,
  layers: { types: ['dense', 'simpleRNN', 'conv1d'], depth: { min: 0, max: 5 }, width: { min: 1, max: 64 } },
};
const cases = [
  { label: 'general dense models, all optimizers and losses (passes)', prop: trainingProperty({ name: 'bench: general', config: trainingConfig(general) }) },
  {
    label: 'dense/simpleRNN/conv1d stacks, depth 1-6, width 1-64, all optimizers and losses',
    prop: trainingProperty({ name: 'bench: full', config: trainingConfig(full) }),
  },
  { label: 'catalog twin: Adam lr 1e-3 on ReLU MLPs of depth 3-7, width 16-64', prop: catalog.adamLr1e3 },
  { label: 'catalog twin: normalized features with SGD', prop: catalog.normalizedFeatureSgd },
  { label: 'catalog twin: ReLU MLP with Glorot (width up to 64)', prop: catalog.reluMlpGlorot },
  { label: 'catalog twin: RNN with clipnorm 1', prop: catalog.rnnClipnorm },
  { label: 'catalog naive: ReLU MLP from U(1, 10) (find + shrink)', prop: catalog.reluMlpUniform1to10 },
];

for (const { label, prop } of cases) {
  const t0 = tf.memory().numTensors;
  const v0 = variables();
  const started = performance.now();
  const r = runProperty(prop, { seed: 42, runs });
  const ms = performance.now() - started;
  console.log(`${label}`);
  console.log(
    `  ${r.status}${r.expectedFailure ? ' (expected)' : ''}: ${r.runs} runs, ${r.shrinks} shrinks in ${(ms / 1000).toFixed(2)} s` +
      ` · tensors ${t0} → ${tf.memory().numTensors} · variables ${v0} → ${variables()}`,
  );
}

// Memory per run: tensors and variables after each of `runs` training runs of the general generator.
const samples = fc.sample(trainingConfig(general), { seed: 7, numRuns: runs });
const prop = trainingProperty({ name: 'bench: memory', config: trainingConfig(general) });
const counts: number[] = [];
const vars: number[] = [];
for (const c of samples) {
  checkOnce(prop, c);
  counts.push(tf.memory().numTensors);
  vars.push(variables());
}
console.log('');
console.log(
  `memory over ${runs} runs: tensors min ${Math.min(...counts)} max ${Math.max(...counts)}, variables min ${Math.min(...vars)} max ${Math.max(...vars)}` +
    ` (${Math.min(...counts) === Math.max(...counts) && Math.min(...vars) === Math.max(...vars) ? 'flat' : 'NOT flat'})`,
);
