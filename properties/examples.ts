/**
 * Shipped examples of real bugs. Their failures are expected: they show what a finding looks like.
 */
import * as tf from '@tensorflow/tfjs';
import { binaryLabels, logits, property, tensors } from '../src/index.ts';

/** -(y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))), written the naive way. */
export const naiveBce = property({
  name: 'naive BCE (example bug)',
  description: 'A hand-written binary cross-entropy: 1 - sigmoid(x) rounds to 0 for x >= 17.33, so log gives -Infinity.',
  inputs: {
    batch: tensors({
      dims: { n: { min: 1, max: 16 } },
      tensors: { x: { shape: ['n'], elements: logits() }, y: { shape: ['n'], elements: binaryLabels() } },
    }),
  },
  subject: ({ batch }) => {
    const p = tf.sigmoid(batch.x);
    const y = batch.y;
    return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
  },
  expectFailure: 'log(0) once sigmoid saturates (|x| >= 17.33)',
  tags: ['loss', 'example'],
});
