/**
 * Losses for training runs: the built-in ones by name, the head activation each expects, the
 * targets it needs, and the check that a loss (built-in or the user's) returns a usable value.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, LossName } from './config.ts';
import { LOSSES } from './config.ts';

/** A loss: targets and predictions of one batch → a scalar, or one value per example (averaged). */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** What the targets of a loss look like. */
export type TargetKind = 'values' | 'binary' | 'oneHot';

export interface LossInfo {
  /** Activation of the head layer by default (probabilities for the probability losses, logits otherwise). */
  readonly head: Activation;
  readonly targets: TargetKind;
  /** tfjs expression for repro scripts (a function of yTrue, yPred). */
  readonly source: string;
  readonly fn: LossFunction;
}

const mean = (t: tf.Tensor): tf.Tensor => tf.mean(t);

export const BUILTIN_LOSSES: Readonly<Record<LossName, LossInfo>> = {
  mse: {
    head: 'linear',
    targets: 'values',
    source: 'tf.losses.meanSquaredError(yTrue, yPred)',
    fn: (y, p) => tf.losses.meanSquaredError(y, p),
  },
  binaryCrossentropy: {
    head: 'sigmoid',
    targets: 'binary',
    source: 'tf.mean(tf.metrics.binaryCrossentropy(yTrue, yPred))',
    fn: (y, p) => mean(tf.metrics.binaryCrossentropy(y, p)),
  },
  categoricalCrossentropy: {
    head: 'softmax',
    targets: 'oneHot',
    source: 'tf.mean(tf.metrics.categoricalCrossentropy(yTrue, yPred))',
    fn: (y, p) => mean(tf.metrics.categoricalCrossentropy(y, p)),
  },
  naiveBinaryCrossentropy: {
    head: 'sigmoid',
    targets: 'binary',
    source: 'tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(yPred)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, yPred))))))',
    fn: (y, p) => tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))),
  },
  sigmoidCrossEntropy: {
    head: 'linear',
    targets: 'binary',
    source: 'tf.losses.sigmoidCrossEntropy(yTrue, yPred)',
    fn: (y, p) => tf.losses.sigmoidCrossEntropy(y, p),
  },
  softmaxCrossEntropy: {
    head: 'linear',
    targets: 'oneHot',
    source: 'tf.losses.softmaxCrossEntropy(yTrue, yPred)',
    fn: (y, p) => tf.losses.softmaxCrossEntropy(y, p),
  },
};

export function isBuiltinLoss(name: string): name is LossName {
  return (LOSSES as readonly string[]).includes(name);
}

/** Raised for faults of the user's model factory or loss: the run errors with this message. */
export class TrainingSetupError extends Error {
  override name = 'TrainingSetupError';
}

/**
 * Call the loss and reduce it to a scalar: a scalar is kept, a per-example vector [batch] is
 * averaged; anything else is a TrainingSetupError naming the shape.
 */
export function scalarLoss(fn: LossFunction, yTrue: tf.Tensor, yPred: tf.Tensor, who: string): tf.Scalar {
  let out: unknown;
  try {
    out = fn(yTrue, yPred);
  } catch (e) {
    throw new TrainingSetupError(`${who} threw: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!(out instanceof tf.Tensor)) {
    throw new TrainingSetupError(`${who} returned ${out === null ? 'null' : typeof out}, not a tf.Tensor (return a scalar or one loss per example)`);
  }
  if (out.rank === 0) return out as tf.Scalar;
  const batch = yTrue.shape[0];
  if (out.rank === 1 && out.shape[0] === batch) return tf.mean(out) as tf.Scalar;
  throw new TrainingSetupError(`${who} returned shape [${out.shape.join(', ')}]: a loss must return a scalar or one value per example ([${batch}])`);
}
