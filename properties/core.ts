/**
 * Core properties: finiteness of a few everyday ops and a loss on their valid domains.
 * The full declarative catalog lives beside this file; these prove the pipeline end to end.
 */
import * as tf from '@tensorflow/tfjs';
import { binaryLabels, float32, logits, property, tensor, tensors, MIN_SUBNORMAL } from '../src/index.ts';

export const softmax = property({
  name: 'softmax stays finite',
  description: 'tf.softmax of any finite logits is finite (it shifts by the max before exp).',
  inputs: { x: tensor({ elements: float32() }) },
  subject: ({ x }) => tf.softmax(x),
  tags: ['activation'],
});

export const log = property({
  name: 'log of positive numbers is finite',
  description: 'tf.log(x) is finite for every positive float32, subnormals included.',
  inputs: { x: tensor({ elements: float32({ min: MIN_SUBNORMAL }) }) },
  subject: ({ x }) => tf.log(x),
  tags: ['unary'],
});

export const sqrt = property({
  name: 'sqrt of non-negative numbers is finite',
  description: 'tf.sqrt(x) is finite for every x >= 0.',
  inputs: { x: tensor({ elements: float32({ min: 0 }) }) },
  subject: ({ x }) => tf.sqrt(x),
  tags: ['unary'],
});

export const sigmoidCrossEntropy = property({
  name: 'sigmoidCrossEntropy is finite with finite gradients',
  description: 'tf.losses.sigmoidCrossEntropy on 0/1 labels and logits up to ±1e4 (saturated included) is finite, and so is its gradient.',
  inputs: {
    batch: tensors({
      dims: { n: { min: 1, max: 16 } },
      tensors: { labels: { shape: ['n'], elements: binaryLabels() }, logits: { shape: ['n'], elements: logits({ maxMagnitude: 1e4 }) } },
    }),
  },
  subject: ({ batch }) => tf.losses.sigmoidCrossEntropy(batch.labels, batch.logits),
  gradients: true,
  tags: ['loss'],
});
