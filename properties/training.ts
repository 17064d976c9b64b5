/**
 * Training runs that go NaN: the user's scenarios, each with its mitigated twin.
 *
 * Each pair shares its generators except for the one thing the mitigation changes. The naive
 * scenario is a shipped example of a bug (`expectFailure`): `nanhunt check` finds it, shrinks it
 * to the smallest configuration that still diverges and reports the first step, layer and weight
 * that went non-finite. The twin must pass.
 */
import { trainingConfig, trainingProperty, type Range, type TrainingConfigOptions } from '../src/index.ts';

// 1. Unscaled features with SGD: one column up to 1e6 times the others makes the gradient (∝ x²) explode.
const unscaled = (scaled: boolean): TrainingConfigOptions => ({
  layers: { depth: { min: 0, max: 2 }, width: { min: 1, max: 8 }, activations: ['linear', 'relu', 'tanh'] },
  optimizer: { names: ['sgd'], learningRate: { min: 1e-3, max: 1e-2 } },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 4 }, ...(scaled ? { scale: { min: 1e3, max: 1e6, columns: 'one' as const } } : {}) },
  steps: { min: 1, max: 20 },
});

export const unscaledFeatureSgd = trainingProperty({
  name: 'training: unscaled feature with SGD',
  description: 'SGD on data whose one column is 1e3-1e6 times the others: the loss overflows within a few steps.',
  config: trainingConfig(unscaled(true)),
  runs: 10,
  expectFailure: 'one feature up to 1e6 times the others: SGD steps grow like lr·x², the loss overflows',
  tags: ['sgd', 'data-scaling', 'example'],
});

export const normalizedFeatureSgd = trainingProperty({
  name: 'training: normalized features with SGD',
  description: 'The same models and SGD on normalized data (every feature in [-1, 1]) stay finite.',
  config: trainingConfig(unscaled(false)),
  runs: 10,
  tags: ['sgd', 'data-scaling', 'mitigated'],
});

// 2. Adam with a learning rate of 100. Adam's first step moves every weight by ±lr: at 100 the
// products of 3-7 ReLU layers of width 16-64 overflow float32 at the next forward pass. (Smaller
// networks do not go NaN at lr 100 in float32: their loss stays near 1e24, finite garbage.)
const adamLr = (learningRate: number): TrainingConfigOptions => ({
  layers: { depth: { min: 2, max: 6 }, width: { min: 16, max: 64 }, activations: ['relu'] },
  optimizer: { names: ['adam'], learningRate },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 8 } },
  steps: { min: 1, max: 10 },
  shrinkBudget: 120, // deep, wide models: each shrink candidate costs more
});

export const adamLr100 = trainingProperty({
  name: 'training: Adam with learning rate 100',
  description: 'Adam moves every weight by about the learning rate per step: at 100 a deep ReLU MLP overflows at the next step.',
  config: trainingConfig(adamLr(100)),
  runs: 15,
  expectFailure: 'Adam steps of ±100 per weight per step blow a ReLU MLP up',
  tags: ['adam', 'learning-rate', 'example'],
});

export const adamLr1e3 = trainingProperty({
  name: 'training: Adam with learning rate 1e-3',
  description: 'The same models with Adam at its usual learning rate 1e-3 stay finite.',
  config: trainingConfig(adamLr(1e-3)),
  runs: 15,
  tags: ['adam', 'learning-rate', 'mitigated'],
});

// 3. A ReLU MLP with every weight and bias drawn from U(1, 10), trained by SGD at lr 1e-3 on inputs
// up to 10. In float32 most such networks die (one huge step turns every ReLU off) rather than go
// NaN; the ones that keep a unit alive oscillate with growing loss until it overflows.
const reluInit = (init: TrainingConfigOptions['init']): TrainingConfigOptions => ({
  layers: { depth: { min: 1, max: 6 }, width: { min: 1, max: 64 }, activations: ['relu'] },
  init,
  optimizer: { names: ['sgd'], learningRate: 1e-3 },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 8 }, values: 10 },
  steps: { min: 1, max: 20 },
});

export const reluMlpUniform1to10 = trainingProperty({
  name: 'training: ReLU MLP initialized from U(1, 10)',
  description: 'All-positive weights and biases of 1-10 multiply activations by ~5·width per layer: SGD oscillates with growing loss until it overflows.',
  config: trainingConfig(reluInit({ kinds: ['uniform'], low: 1, high: 10, biases: true })),
  runs: 30,
  expectFailure: 'weights from U(1, 10) make activations ~5·width times larger per ReLU layer; SGD diverges',
  tags: ['init', 'relu', 'example'],
});

export const reluMlpGlorot = trainingProperty({
  name: 'training: ReLU MLP initialized with Glorot',
  description: 'The same ReLU MLPs with Glorot-uniform kernels (biases 0) stay finite.',
  config: trainingConfig(reluInit({ kinds: ['glorot'] })),
  runs: 30,
  tags: ['init', 'relu', 'mitigated'],
});

// 4. One NaN cell in the data.
const nanCell = (cells: number): TrainingConfigOptions => ({
  layers: { depth: { min: 0, max: 2 }, width: { min: 1, max: 8 } },
  optimizer: { names: ['sgd', 'adam', 'rmsprop'], learningRate: { min: 1e-3, max: 1e-2 } },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 4 }, nonFinite: cells },
  steps: { min: 1, max: 10 },
});

export const nanInData = trainingProperty({
  name: 'training: one NaN cell in the data',
  description: 'A single NaN input value poisons the loss, every gradient and every weight it touches.',
  config: trainingConfig(nanCell(1)),
  runs: 10,
  expectFailure: 'NaN in one input cell reaches the loss and every weight',
  tags: ['data', 'example'],
});

export const cleanData = trainingProperty({
  name: 'training: cleaned data',
  description: 'The same runs on data without the NaN cell stay finite.',
  config: trainingConfig(nanCell(0)),
  runs: 10,
  tags: ['data', 'mitigated'],
});

// 5. An RNN on inputs up to 100 without gradient clipping.
const rnn = (clipnorm: number | false): TrainingConfigOptions => ({
  layers: { types: ['simpleRNN'], depth: { min: 1, max: 2 }, width: { min: 2, max: 16 }, activations: ['relu', 'tanh'] },
  optimizer: { names: ['sgd'], learningRate: { min: 1e-2, max: 1e-1 }, clipnorm },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 3 }, timeSteps: { min: 2, max: 8 }, values: 100 },
  steps: { min: 1, max: 30 },
});

export const rnnUnclipped = trainingProperty({
  name: 'training: RNN on inputs up to 100 without clipping',
  description: 'A simpleRNN on inputs up to 100 gets gradients summed over time steps: without clipping SGD explodes.',
  config: trainingConfig(rnn(false)),
  runs: 10,
  expectFailure: 'exploding gradients through time steps of a simpleRNN on large inputs',
  tags: ['rnn', 'clipping', 'example'],
});

export const rnnClipnorm = trainingProperty({
  name: 'training: RNN on inputs up to 100 with clipnorm 1',
  description: 'The same RNNs with each gradient clipped to norm 1 stay finite.',
  config: trainingConfig(rnn(1)),
  runs: 10,
  tags: ['rnn', 'clipping', 'mitigated'],
});

// 6. Binary cross-entropy on a sigmoid of inputs scaled by 1000.
const bce = (loss: 'naiveBinaryCrossentropy' | 'sigmoidCrossEntropy'): TrainingConfigOptions => ({
  layers: { depth: { min: 0, max: 1 }, width: { min: 1, max: 8 }, activations: ['linear', 'tanh'] },
  losses: [loss],
  optimizer: { names: ['sgd', 'adam'], learningRate: { min: 1e-3, max: 1e-2 } },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 4 }, scale: { min: 1000, max: 1000, columns: 'all' } },
  steps: { min: 1, max: 10 },
});

export const bceOnSigmoid = trainingProperty({
  name: 'training: BCE on a sigmoid of inputs scaled by 1000',
  description: 'sigmoid(z) rounds to exactly 0 or 1 for |z| > 17: log(0) makes the hand-written BCE infinite.',
  config: trainingConfig(bce('naiveBinaryCrossentropy')),
  runs: 10,
  expectFailure: 'the sigmoid saturates to exactly 0 or 1 and the hand-written BCE takes log(0)',
  tags: ['loss', 'bce', 'example'],
});

export const stableBceOnLogits = trainingProperty({
  name: 'training: stable BCE on logits of inputs scaled by 1000',
  description: 'The same models with a linear head and sigmoidCrossEntropy (the stable form, from logits) stay finite.',
  config: trainingConfig(bce('sigmoidCrossEntropy')),
  runs: 10,
  tags: ['loss', 'bce', 'mitigated'],
});

// 7. Adam with gradients scaled by 1e-50 and a tiny epsilon.
const adamTiny = (epsilon: Range): TrainingConfigOptions => ({
  layers: { depth: { min: 0, max: 2 }, width: { min: 1, max: 8 }, activations: ['relu', 'linear'] },
  optimizer: { names: ['adam'], learningRate: { min: 1e-3, max: 1e-1 }, epsilon },
  gradientScale: { min: 1e-50, max: 1e-30 },
  data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 4 } },
  steps: { min: 1, max: 10 },
});

export const adamTinyGradients = trainingProperty({
  name: 'training: Adam with gradients scaled by 1e-50 and a tiny epsilon',
  description: 'Gradients × 1e-50 underflow in float32, so Adam divides m̂ ≈ 0 by √v̂ + ε ≈ 0: with ε = 0 the update is 0/0.',
  config: trainingConfig(adamTiny({ min: 0, max: 1e-30 })),
  runs: 10,
  expectFailure: "Adam's second moment underflows and a zero epsilon leaves 0/0 in the update",
  tags: ['adam', 'epsilon', 'example'],
});

export const adamTinyGradientsEpsilon = trainingProperty({
  name: 'training: Adam with gradients scaled by 1e-50 and epsilon 1e-7',
  description: 'The same runs with the usual epsilon 1e-7 stay finite (the updates are just tiny).',
  config: trainingConfig(adamTiny(1e-7)),
  runs: 10,
  tags: ['adam', 'epsilon', 'mitigated'],
});
