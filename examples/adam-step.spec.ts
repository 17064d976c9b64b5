// A custom Adam step, tested on the inputs that break optimizers: weights from 1e-30 to 1e30
// times their init, gradients from 1e-45 to 3e38 (whole tensors of tiny or huge ones, exact
// zeros), learning rates from 1e-8 to 1000.
//
// Written carelessly, Adam breaks on them: without eps an all-zero gradient gives 0 / 0 = NaN
// (nanhunt shrinks that to w = g = [0], lr 1); bias-correcting the first moment with beta2 instead
// of beta1 moves a weight by 57 lr in three steps; g * g overflows for |g| > 1.8e19, so the second
// moment becomes Infinity and the step silently vanishes. This version clips the gradient to global
// norm 1 first, computing the norm without overflow (scaled by the largest |g|), and adds eps
// outside the square root. Three steps from zero moments must keep the weights finite and move
// each weight by at most ~3.2 * lr per step.
import * as tf from '@tensorflow/tfjs';
import { finite, gradients, invariant, learningRates, tensors, weights, type TensorValue } from 'nanhunt';
import { numProp } from 'nanhunt/vitest';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
const STEPS = 3;

/** g scaled so that its L2 norm is at most maxNorm; the norm is computed without overflow. */
export function clipByNorm(g: tf.Tensor, maxNorm: number): tf.Tensor {
  const big = tf.max(tf.abs(g));
  const safeBig = tf.where(tf.greater(big, 0), big, tf.onesLike(big));
  const norm = tf.mul(safeBig, tf.sqrt(tf.sum(tf.square(tf.div(g, safeBig)))));
  const factor = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-30)));
  return tf.mul(g, factor);
}

/** One Adam update of w; returns the new weights and moments. */
export function adamStep(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lr: number, t: number) {
  const gc = clipByNorm(g, 1);
  const m2 = tf.add(tf.mul(BETA1, m), tf.mul(1 - BETA1, gc));
  const v2 = tf.add(tf.mul(BETA2, v), tf.mul(1 - BETA2, tf.square(gc)));
  const mHat = tf.div(m2, 1 - BETA1 ** t);
  const vHat = tf.div(v2, 1 - BETA2 ** t);
  const update = tf.div(mHat, tf.add(tf.sqrt(vHat), EPS));
  return { w: tf.sub(w, tf.mul(lr, update)), m: m2, v: v2 };
}

const inputs = {
  state: tensors({
    dims: { n: { min: 1, max: 8 } },
    tensors: {
      w: { shape: ['n'], elements: weights() },
      g1: { shape: ['n'], elements: gradients() },
      g2: { shape: ['n'], elements: gradients() },
      g3: { shape: ['n'], elements: gradients() },
    },
  }),
  lr: learningRates(),
};

/** Each step moves a weight by at most (1 - b1) / sqrt(1 - b2) * lr ≈ 3.16 lr, plus rounding. */
const boundedSteps = invariant('each step moves a weight by at most 3.2 lr', (obs) => {
  const { state, lr } = obs.inputs as { state: { w: TensorValue }; lr: number };
  const before = state.w.data;
  const after = obs.outputs[0]!.data;
  for (let i = 0; i < before.length; i++) {
    const allowed = STEPS * 3.2 * lr + Math.abs(before[i]!) * 2 ** -20;
    const moved = Math.abs(after[i]! - before[i]!);
    if (!(moved <= allowed)) return `weight ${i} moved by ${moved} (from ${before[i]} to ${after[i]}) with lr ${lr}; at most ${allowed} allowed`;
  }
  return true;
});

numProp(
  'custom Adam: three steps keep weights finite and bounded',
  inputs,
  ({ state, lr }) => {
    let w = state.w;
    let m = tf.zerosLike(w);
    let v = tf.zerosLike(w);
    [state.g1, state.g2, state.g3].forEach((g, i) => {
      ({ w, m, v } = adamStep(w, g, m, v, lr, i + 1));
    });
    return w;
  },
  { invariants: [finite(), boundedSteps], runs: 200 },
);
