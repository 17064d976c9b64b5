/**
 * Catalog: every loss in tf.losses, with the default reduction (SUM_BY_NONZERO_WEIGHTS: the mean).
 * Domains keep each element's exact loss finite; the exact mean is then finite too, so a sum
 * that overflows before the division is a finding. Every loss must also be >= 0.
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_FLOAT32, binaryLabels, float32, logits, oneHotLabels, probabilities, tensors, type Elements, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type ExactTensor, type OpTolerance } from '../src/reference/index.ts';
import { inRange } from '../src/catalog/checks.ts';
import type * as fc from 'fast-check';

type LP = { t: { labels: TensorValue; predictions: TensorValue } };
const nonNegative = inRange(0, MAX_FLOAT32);

function pair(labels: Elements | fc.Arbitrary<number>, predictions: Elements | fc.Arbitrary<number>) {
  return {
    t: tensors({
      dims: { b: { min: 1, max: 8 }, c: { min: 1, max: 6 } },
      tensors: { labels: { shape: ['b', 'c'], elements: labels }, predictions: { shape: ['b', 'c'], elements: predictions } },
    }),
  };
}

/** The exact mean loss and the tolerance it is judged with. */
type ExactLoss = { readonly value: (labels: TensorValue, predictions: TensorValue) => ExactTensor; readonly tolerance: OpTolerance };

function loss(
  name: string,
  promise: string,
  inputs: ReturnType<typeof pair>,
  f: (l: tf.Tensor, p: tf.Tensor) => tf.Tensor,
  range = nonNegative,
  exact?: ExactLoss,
): OpInfo<LP> {
  return opInfo<LP>({
    name: `losses.${name}`,
    family: 'loss',
    promise: exact ? `${promise}; the exact mean loss within its tolerance` : promise,
    inputs,
    ...(exact ? { reference: { exact: ({ t }: LP) => exact.value(t.labels, t.predictions), tolerance: exact.tolerance } } : {}),
    op: ({ t }) => f(t.labels, t.predictions),
    source: tfCall(f, '{ t }', 't.labels, t.predictions'),
    checks: [range],
    gradient: true,
  });
}

const half = Math.fround(MAX_FLOAT32 / 2);
const root = Math.fround(Math.sqrt(MAX_FLOAT32) / 2);

export const lossTable: OpInfo[] = [
  loss(
    'absoluteDifference',
    'finite and >= 0 for |labels|, |predictions| <= 1.7e38',
    pair(float32({ min: -half, max: half }), float32({ min: -half, max: half })),
    (l, p) => tf.losses.absoluteDifference(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.absoluteDifference(l, p), tolerance: TOLERANCES.absoluteDifference },
  ),
  loss(
    'meanSquaredError',
    'finite and >= 0 for |labels|, |predictions| <= 9.2e18 (each squared error finite)',
    pair(float32({ min: -root, max: root }), float32({ min: -root, max: root })),
    (l, p) => tf.losses.meanSquaredError(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.meanSquaredError(l, p), tolerance: TOLERANCES.meanSquaredError },
  ),
  loss(
    'huberLoss',
    'finite and >= 0 for |labels|, |predictions| <= 1.7e38 (delta 1)',
    pair(float32({ min: -half, max: half }), float32({ min: -half, max: half })),
    (l, p) => tf.losses.huberLoss(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.huberLoss(l, p), tolerance: TOLERANCES.huberLoss },
  ),
  loss(
    'hingeLoss',
    'finite and >= 0 for 0/1 labels and |predictions| <= 1.7e38',
    pair(binaryLabels(), float32({ min: -half, max: half })),
    (l, p) => tf.losses.hingeLoss(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.hingeLoss(l, p), tolerance: TOLERANCES.hingeLoss },
  ),
  loss(
    'logLoss',
    'finite and >= 0 for labels and predictions in [0, 1], exact 0 and 1 included (epsilon 1e-7)',
    pair(probabilities(), probabilities()),
    (l, p) => tf.losses.logLoss(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.logLoss(l, p), tolerance: TOLERANCES.logLoss },
  ),
  loss(
    'sigmoidCrossEntropy',
    'finite and >= 0 for labels in [0, 1] and every finite logit',
    pair(probabilities(), logits()),
    (l, p) => tf.losses.sigmoidCrossEntropy(l, p),
    nonNegative,
    { value: (l, p) => ref.losses.sigmoidCrossEntropy(l, p), tolerance: TOLERANCES.sigmoidCrossEntropy },
  ),
  loss(
    'cosineDistance',
    'finite and in [0, 2] for unit-normalized labels and predictions (normalized from |x| in [1e-3, 1e3])',
    pair(float32({ min: 1e-3, max: 1e3 }), float32({ min: -1e3, max: 1e3, exclude: (v) => Math.abs(v) < 1e-3 })),
    (l, p) => {
      const unit = (v: tf.Tensor) => tf.div(v, tf.norm(v, 'euclidean', -1, true));
      return tf.losses.cosineDistance(unit(l), unit(p), -1);
    },
    inRange(0, 2),
  ),
  opInfo<{ labels: TensorValue; logits: { x: TensorValue } }>({
    name: 'losses.softmaxCrossEntropy',
    family: 'loss',
    promise: 'finite and >= 0 for one-hot labels and |logits| <= 1.7e38',
    inputs: {
      labels: oneHotLabels({ batch: { min: 1, max: 4 }, classes: 4 }),
      logits: tensors({ dims: {}, tensors: { x: { shape: [4, 4], elements: float32({ min: -half, max: half }) } } }),
    },
    op: ({ labels, logits }) => {
      const rows = labels.shape[0]!;
      return tf.losses.softmaxCrossEntropy(labels, tf.slice(logits.x, [0, 0], [rows, 4]));
    },
    checks: [nonNegative],
    gradient: true,
  }),
];
