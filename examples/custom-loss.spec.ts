// A user's custom loss, tested end to end: binary cross-entropy on logits.
//
// The naive version computes sigmoid first and takes logs of p and 1 - p. For a logit x >= 17.33
// float32's sigmoid(x) rounds to exactly 1, so log(1 - p) = log(0) = -Infinity, and a label 0
// turns it into +Infinity (label 1 into 0 * -Infinity = NaN). nanhunt finds it, shrinks it to one
// logit of 18 with label 0, and names the Log kernel that produced the first -Infinity.
// This test FAILS on purpose.
//
// The stable rewrite, max(x, 0) - x*y + log(1 + exp(-|x|)), never takes a log of 0 and passes,
// gradients included.
import * as tf from '@tensorflow/tfjs';
import { binaryLabels, finite, logits, tensors } from 'nanhunt';
import { numProp } from 'nanhunt/vitest';

/** Logits and labels of the same length n. */
const batch = tensors({
  dims: { n: { min: 1, max: 16 } },
  tensors: { x: { shape: ['n'], elements: logits() }, y: { shape: ['n'], elements: binaryLabels() } },
});

export function naiveBce(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const p = tf.sigmoid(x);
  return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
}

export function stableBce(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

numProp('naive BCE stays finite', { batch }, ({ batch: { x, y } }) => naiveBce(x, y));

numProp('stable BCE stays finite, gradients too', { batch }, ({ batch: { x, y } }) => stableBce(x, y), {
  invariants: [finite({ gradients: true })],
});
