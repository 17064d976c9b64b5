// A model-level property: a few training steps of a tiny tfjs-layers model stay finite.
//
// The model (3 -> 4 relu -> 1 logit) is built inside the subject from fixed-seed initializers, so
// every run is deterministic, trained for five Adam steps on a generated batch with the stable
// sigmoid cross-entropy, and disposed (model and optimizer) before the subject returns: anything
// left behind would fail the test as a tensor leak. The subject returns every weight after training.
//
// The domain is a sane one: features in [-10, 10], learning rates up to 0.1. Widen it to every
// float32 feature (elements: float32()) and this fails: nanhunt shrinks it to a batch of two rows
// with one feature of -3e38, whose first matMul overflows to Infinity and turns every weight NaN.
import * as tf from '@tensorflow/tfjs';
import { binaryLabels, float32, learningRates, tensors } from 'nanhunt';
import { numProp } from 'nanhunt/vitest';

const STEPS = 5;

function tinyModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

const inputs = {
  data: tensors({
    dims: { batch: { min: 1, max: 8 } },
    tensors: {
      x: { shape: ['batch', 3], elements: float32({ min: -10, max: 10 }) },
      y: { shape: ['batch', 1], elements: binaryLabels() },
    },
  }),
  lr: learningRates({ max: 0.1 }),
};

numProp(
  'five Adam steps of a tiny dense model keep every weight finite',
  inputs,
  ({ data: { x, y }, lr }) => {
    const model = tinyModel();
    const optimizer = tf.train.adam(lr);
    try {
      for (let step = 0; step < STEPS; step++) {
        optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
      }
      return tf.concat(model.getWeights().map((w) => w.flatten()));
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  },
  { runs: 25 },
);
