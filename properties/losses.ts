/**
 * Catalog: every function in tf.losses, judged against its exact reference (src/reference/losses.ts)
 * on every float32 input — no domain trimmed to keep the answer finite: a correctly rounded
 * overflow passes, a sum that overflows before the division where the exact mean is finite is a
 * finding. Each loss also runs on special values (a loss at an infinite logit is its limit, NaN
 * propagates), on long structured inputs where its sum accumulates, and its gradients (labels,
 * predictions or logits, weights) are checked against the exact derivatives
 * (src/reference/loss-derivatives.ts). computeWeightedLoss has one entry per Reduction, with
 * weights (all-zero ones included) broadcast from [b, c], [b, 1], [1, c] or a scalar.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import {
  MAX_FLOAT32,
  binaryLabels,
  float32,
  OVERFLOWING_SQUARES,
  OVERFLOWING_SUMS,
  UNDERFLOWING_SUMS,
  logits,
  oneHotLabels,
  probabilities,
  specialValues,
  structured,
  tensor,
  tensors,
  type Elements,
  type TensorValue,
} from '../src/index.ts';
import { opInfo, tfCall, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, TF_REDUCTION, lossDerivatives, type Derivative, type ExactTensor, type OpTolerance, type Reduction } from '../src/reference/index.ts';
import { inRange } from '../src/catalog/checks.ts';
import { uniform } from '../src/generate/elements.ts';
import { simplerCandidates } from '../src/shrink/simplify-number.ts';
import { tensorValue } from '../src/core/tensor-value.ts';

type LP = { t: { labels: TensorValue; predictions: TensorValue } };
type Source = Elements | fc.Arbitrary<number>;

const DIMS = { b: { min: 1, max: 8 }, c: { min: 1, max: 6 } } as const;
/** Special-value tensors stay small: each case mixes a few NaN/±Infinity with ordinary values. */
const SPECIAL_DIMS = { b: { min: 1, max: 4 }, c: { min: 1, max: 4 } } as const;

function pair(labels: Source, predictions: Source, dims: typeof DIMS | typeof SPECIAL_DIMS = DIMS): { t: fc.Arbitrary<LP['t']> } {
  return {
    t: tensors({ dims, tensors: { labels: { shape: ['b', 'c'], elements: labels }, predictions: { shape: ['b', 'c'], elements: predictions } } }),
  };
}

/** Mostly `main`, sometimes any float32: a loss's documented domain, and every other input too. */
function mostly(main: Elements, description: string, other: Elements = float32()): Elements {
  const contains = (x: number): boolean => main.contains(x) || other.contains(x);
  return {
    dtype: 'float32',
    description,
    fill(mrng, size, bias) {
      const a = main.fill(mrng, size, bias);
      if (mrng.nextInt(0, 4) !== 0) return a; // 4 in 5 tensors: the documented domain only
      const b = other.fill(mrng, size, bias);
      return Array.from({ length: size }, (_, i) => (mrng.nextInt(0, 2) === 0 ? b[i]! : a[i]!));
    },
    contains,
    simpler: (x) => (main.contains(x) ? main.simpler(x) : simplerCandidates(x, contains)),
  };
}

/** Long structured vectors (1e3 .. 1e6 elements), the labels mapped into a loss's label domain. */
function large(label?: (v: number) => number, prediction?: (v: number) => number, runs = LOSS_LARGE_RUNS) {
  // a mapping of up to 1e6 elements is a call each: only where one is given
  const mapped = (t: TensorValue, f: ((v: number) => number) | undefined): TensorValue => (f ? tensorValue(t.shape, Float32Array.from(t.data, f)) : t);
  return {
    runs,
    inputs: {
      t: structured(['labels', 'predictions']).map(({ labels, predictions }) => ({
        labels: mapped(labels, label),
        predictions: mapped(predictions, prediction),
      })),
    },
  };
}

const nonNegative = inRange(0, MAX_FLOAT32);
/**
 * Runs of a loss's `large` property: each holds up to a million elements (tfjs runs several kernels
 * over them). With 10, wasm's naive sums were found by 17 or 18 of 20 seeds; with 20, by 20 of 20
 * (`npm run bench:seeds -- --backend wasm`, 3 December 2026).
 */
const LOSS_LARGE_RUNS = 20;
/**
 * Runs per loss property: each gradient case runs some 40 kernels forward and backward, and the
 * findings of this family show within a few dozen cases (measured at seeds 0-19).
 */
const LOSS_RUNS = 500;
/** Runs of the variants (label smoothing, epsilon 0, computeWeightedLoss per Reduction). */
const VARIANT_RUNS = 300;

interface LossSpec {
  readonly name: string;
  readonly promise: string;
  readonly call: (labels: tf.Tensor, predictions: tf.Tensor) => tf.Tensor;
  readonly inputs: { t: fc.Arbitrary<LP['t']> };
  /** The gradient's inputs when not `inputs`. */
  readonly gradientInputs?: { t: fc.Arbitrary<LP['t']> };
  readonly special?: { t: fc.Arbitrary<LP['t']> };
  readonly large?: ReturnType<typeof large>;
  readonly exact: (labels: TensorValue, predictions: TensorValue) => ExactTensor;
  readonly derivative: (labels: TensorValue, predictions: TensorValue) => Derivative;
  /** The derivative's names for labels and predictions (default labels, predictions). */
  readonly names?: readonly [string, string];
  readonly tolerance: OpTolerance;
  /** Gradients at special values (the derivative's limits) too. */
  readonly gradientSpecial?: boolean;
  /** Extra value checks (>= 0 where the loss is on its documented domain). */
  readonly checks?: OpInfo['checks'];
  readonly runs?: number;
}

function loss(s: LossSpec): OpInfo<LP> {
  const [ln, pn] = s.names ?? ['labels', 'predictions'];
  const derivative = ({ t }: LP): Derivative => {
    const d = s.derivative(t.labels, t.predictions);
    return { 't.labels': d[ln]!, 't.predictions': d[pn]! };
  };
  return opInfo<LP>({
    name: `losses.${s.name}`,
    family: 'loss',
    promise: s.promise,
    inputs: s.inputs,
    reference: { exact: ({ t }) => s.exact(t.labels, t.predictions), tolerance: s.tolerance },
    ...(s.special ? { special: s.special } : {}),
    ...(s.large ? { large: s.large } : {}),
    op: ({ t }) => s.call(t.labels, t.predictions),
    source: tfCall(s.call, '{ t }', 't.labels, t.predictions'),
    ...(s.checks ? { checks: s.checks } : {}),
    gradient: {
      ...(s.gradientInputs ? { inputs: s.gradientInputs } : {}),
      promise: `the gradients with respect to labels and ${pn} match the exact derivatives`,
      derivative,
      wrt: `labels, ${pn}`,
      ...(s.gradientSpecial && s.special ? { special: s.special } : {}),
    },
    runs: s.runs ?? LOSS_RUNS,
  });
}

const R = ref.losses;
const D = lossDerivatives;
const anyFloat = float32();
const special = specialValues();
const squares = float32({ focus: OVERFLOWING_SQUARES });
/** Any float32, one tensor in five at the bottom of the normal range: differences and their signs among subnormals. */
const underflowing = float32({ focus: UNDERFLOWING_SUMS });
const specialSquares = specialValues({ focus: OVERFLOWING_SQUARES });
/** Labels in [0, 1] with NaN now and then: special-value cases keep labels meaningful. */
const specialProbabilities = mostly(probabilities(), 'probabilities in [0, 1], sometimes NaN', float32({ classes: ['nan'], nonFinite: true }));

const regression = (name: 'absoluteDifference' | 'meanSquaredError' | 'huberLoss', formula: string, call: LossSpec['call'], long = true): OpInfo<LP> =>
  loss({
    name,
    promise: `the exact mean of ${formula} on every float32 input (Infinity only where the exact mean overflows); NaN and ±Infinity as IEEE says (Infinity - Infinity is NaN)`,
    call,
    // meanSquaredError: differences whose squares overflow where the exact mean does not
    inputs: name === 'meanSquaredError' ? pair(squares, squares) : pair(anyFloat, anyFloat),
    ...(name === 'absoluteDifference' ? { gradientInputs: pair(underflowing, underflowing) } : {}),
    special: name === 'meanSquaredError' ? pair(specialSquares, specialSquares, SPECIAL_DIMS) : pair(special, special, SPECIAL_DIMS),
    ...(long ? { large: large() } : {}),
    exact: (l, p) => R[name](l, p),
    derivative: (l, p) => D[name](l, p),
    tolerance: TOLERANCES[name],
    gradientSpecial: true,
    checks: [nonNegative],
  });

// ---------------------------------------------------------------------------------------------
// softmaxCrossEntropy: one-hot labels [b, c] with logits [4, 6] sliced to their shape

type SX = { labels: TensorValue; logits: { x: TensorValue } };
const ROWS = 4;
const CLASSES = 6;

function sliceTo(x: TensorValue, labels: TensorValue): TensorValue {
  const [b, c] = labels.shape as [number, number];
  const data = new Float32Array(b * c);
  for (let r = 0; r < b; r++) for (let j = 0; j < c; j++) data[r * c + j] = x.data[r * CLASSES + j]!;
  return tensorValue([b, c], data);
}

function softmaxEntry(name: string, ls: number, promise: string, runs?: number): OpInfo<SX> {
  const call =
    ls === 0
      ? (labels: tf.Tensor, x: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, x)
      : (labels: tf.Tensor, x: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, x, undefined, 0.1);
  const options = ls === 0 ? {} : { labelSmoothing: ls };
  const inputs = (elements: Source) => ({
    // two classes at least: with one, the loss is identically 0
    labels: oneHotLabels({ batch: { min: 1, max: ROWS }, classes: { min: 2, max: CLASSES } }),
    logits: tensors({ dims: {}, tensors: { x: { shape: [ROWS, CLASSES], elements } } }),
  });
  return opInfo<SX>({
    name,
    family: 'loss',
    promise,
    inputs: inputs(anyFloat),
    reference: { exact: ({ labels, logits }) => R.softmaxCrossEntropy(labels, sliceTo(logits.x, labels), options), tolerance: TOLERANCES.softmaxCrossEntropy },
    special: inputs(special),
    op: ({ labels, logits }) => {
      const [b, c] = labels.shape as [number, number];
      return call(labels, tf.slice(logits.x, [0, 0], [b, c]));
    },
    source: `({ labels, logits }) => (${call.toString()})(labels, tf.slice(logits.x, [0, 0], labels.shape))`,
    gradient: {
      promise: 'the gradients with respect to the labels (logSumExp(x) - x) and the logits (softmax(x) - labels) match the exact derivatives',
      derivative: ({ labels, logits }) => {
        const d = D.softmaxCrossEntropy(labels, sliceTo(logits.x, labels), options);
        // the logits input is [4, 6]: the rows and classes beyond the labels' shape get 0
        const [b, c] = labels.shape as [number, number];
        const full = new Float64Array(ROWS * CLASSES);
        const kinds = new Uint8Array(ROWS * CLASSES);
        const magnitude = new Float64Array(ROWS * CLASSES);
        const g = d.logits!;
        for (let r = 0; r < b; r++) {
          for (let j = 0; j < c; j++) {
            full[r * CLASSES + j] = g.values[r * c + j]!;
            kinds[r * CLASSES + j] = g.kinds[r * c + j]!;
            magnitude[r * CLASSES + j] = g.magnitude?.[r * c + j] ?? Math.abs(g.values[r * c + j]!);
          }
        }
        return { labels: d.onehotLabels!, 'logits.x': ref.exactTensor([ROWS, CLASSES], full, kinds, magnitude) };
      },
      wrt: 'labels, logits',
      special: inputs(special),
    },
    runs: runs ?? LOSS_RUNS,
  });
}

function softmaxEntries(): OpInfo[] {
  return [
    softmaxEntry(
      'losses.softmaxCrossEntropy',
      0,
      'the exact mean over rows of logSumExp(x) - x at the label, for one-hot labels and every float32 logit; at infinite logits its limit (0 when the one +Infinity logit is the label, Infinity when it is another class)',
    ),
    softmaxEntry(
      'losses.softmaxCrossEntropy labelSmoothing=0.1',
      0.1,
      'with labels smoothed to y·0.9 + 0.1/classes: the exact mean over rows of sum_j y_j (logSumExp(x) - x_j) on every float32 logit; limits at infinite logits',
      VARIANT_RUNS,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// computeWeightedLoss: one entry per Reduction, with weights

type WL = { t: { losses: TensorValue; weights: TensorValue } };

/** Non-negative weights: a quarter of the tensors all zero, a quarter zeros mixed with positives. */
function lossWeights(): Elements {
  const positive = float32({ min: 0, classes: ['ordinary', 'wide', 'subnormal', 'powerOfTwo', 'nearOne', 'maxFinite'] });
  const contains = (x: number): boolean => x === 0 || positive.contains(x);
  return {
    dtype: 'float32',
    description: 'weights >= 0: all zero, zeros mixed with positives, or positives',
    fill(mrng, size, bias) {
      const mode = mrng.nextInt(0, 3);
      if (mode === 0) return new Array<number>(size).fill(0);
      const v = positive.fill(mrng, size, bias);
      if (mode === 1) return Array.from({ length: size }, (_, i) => (uniform(mrng) < 0.5 ? 0 : v[i]!));
      return v;
    },
    contains,
    simpler: (x) => simplerCandidates(x, contains),
  };
}

function weightedInputs(losses: Source, weights: Elements, dims: typeof DIMS | typeof SPECIAL_DIMS = DIMS): { t: fc.Arbitrary<WL['t']> } {
  const shapes: (readonly (string | number)[])[] = [['b', 'c'], ['b', 1], [1, 'c'], []];
  return {
    t: fc.oneof(
      ...shapes.map((shape) => tensors({ dims, tensors: { losses: { shape: ['b', 'c'], elements: losses }, weights: { shape, elements: weights } } })),
    ),
  };
}

const TF_NAMES: Record<Reduction, string> = { none: 'NONE', sum: 'SUM', mean: 'MEAN', sumByNonzeroWeights: 'SUM_BY_NONZERO_WEIGHTS' };

function weightedEntry(reduction: Reduction, promise: string): OpInfo<WL> {
  const r = TF_REDUCTION[reduction];
  const call = (losses: tf.Tensor, weights: tf.Tensor): tf.Tensor => tf.losses.computeWeightedLoss(losses, weights, r as tf.Reduction);
  const options = (w: TensorValue) => ({ weights: w, reduction });
  const w = lossWeights();
  return opInfo<WL>({
    name: `losses.computeWeightedLoss ${TF_NAMES[reduction]}`,
    family: 'loss',
    promise,
    // one losses tensor in ten all ±[MAX/2, MAX]: sums (of the reduction, and the weights' gradient
    // where they are broadcast) that overflow on the way while the exact sum is finite
    inputs: weightedInputs(float32({ focus: OVERFLOWING_SUMS }), w),
    reference: { exact: ({ t }) => R.computeWeightedLoss(t.losses, options(t.weights)), tolerance: TOLERANCES.computeWeightedLoss },
    special: weightedInputs(special, w, SPECIAL_DIMS),
    op: ({ t }) => call(t.losses, t.weights),
    source: `({ t }) => tf.losses.computeWeightedLoss(t.losses, t.weights, ${r})`,
    gradient: {
      promise: 'the gradients with respect to the losses and the weights match the exact derivatives',
      derivative: ({ t }) => {
        const d = D.computeWeightedLoss(t.losses, options(t.weights));
        return { 't.losses': d.losses!, 't.weights': d.weights! };
      },
      wrt: 'losses, weights',
    },
    runs: VARIANT_RUNS,
  });
}

function weightedEntries(): OpInfo[] {
  return [
    weightedEntry('none', 'weights · losses elementwise, exactly; 0·Infinity is NaN (the losses are given values)'),
    weightedEntry('sum', 'the exact sum of weights · losses (all-zero weights: 0)'),
    weightedEntry('mean', 'the exact sum(w·losses) / (sum(w)·n/size(w)); all-zero weights give 0/0 = NaN, as tfjs computes it'),
    weightedEntry(
      'sumByNonzeroWeights',
      "the exact sum(w·losses) / (number of non-zero broadcast weights); all-zero weights give 0/0 = NaN (tfjs's convention: it divides by the count; TensorFlow's div_no_nan would give 0)",
    ),
    opInfo<{ losses: TensorValue }>({
      name: 'losses.computeWeightedLoss MEAN no weights',
      family: 'loss',
      promise: 'without weights, MEAN is tf.mean of the losses: the exact mean on every float32 input',
      inputs: { losses: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 48 }, elements: anyFloat }) },
      reference: { exact: ({ losses }) => R.computeWeightedLoss(losses, { reduction: 'mean' }), tolerance: TOLERANCES.computeWeightedLoss },
      special: { losses: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 16 }, elements: special }) },
      large: { runs: LOSS_LARGE_RUNS, inputs: { losses: structured(['x']).map((v) => v.x) } },
      op: ({ losses }) => tf.losses.computeWeightedLoss(losses, undefined, tf.Reduction.MEAN),
      source: '({ losses }) => tf.losses.computeWeightedLoss(losses, undefined, tf.Reduction.MEAN)',
      gradient: {
        derivative: ({ losses }) => ({ losses: D.computeWeightedLoss(losses, { reduction: 'mean' }).losses! }),
      },
      runs: VARIANT_RUNS,
    }),
  ];
}

export const lossTable: OpInfo[] = [
  regression('absoluteDifference', '|labels - predictions|', (l, p) => tf.losses.absoluteDifference(l, p)),
  regression('meanSquaredError', '(labels - predictions)²', (l, p) => tf.losses.meanSquaredError(l, p)),
  // huberLoss sums like absoluteDifference: no long inputs of its own
  regression('huberLoss', 'the Huber loss (delta 1)', (l, p) => tf.losses.huberLoss(l, p), false),
  loss({
    name: 'hingeLoss',
    promise: 'the exact mean of max(0, 1 - (2·labels - 1)·predictions) for 0/1 labels and every float32 prediction; at ±Infinity its limit (0 or Infinity)',
    call: (l, p) => tf.losses.hingeLoss(l, p),
    inputs: pair(binaryLabels(), anyFloat),
    gradientInputs: pair(binaryLabels(), underflowing),
    special: pair(binaryLabels(), special, SPECIAL_DIMS),
    exact: (l, p) => R.hingeLoss(l, p),
    derivative: (l, p) => D.hingeLoss(l, p),
    tolerance: TOLERANCES.hingeLoss,
    gradientSpecial: true,
    checks: [nonNegative],
  }),
  loss({
    name: 'logLoss',
    promise:
      'the exact mean of -y log(p + ε) - (1 - y) log(1 - p + ε) (ε = fround(1e-7)) for labels in [0, 1] and every float32 prediction: NaN where a log is of a negative number (p < -ε or p > 1 + ε), 0·log 0 = 0',
    call: (l, p) => tf.losses.logLoss(l, p),
    inputs: pair(probabilities(), mostly(probabilities(), 'probabilities, sometimes any float32')),
    special: pair(specialProbabilities, special, SPECIAL_DIMS),
    exact: (l, p) => R.logLoss(l, p),
    derivative: (l, p) => D.logLoss(l, p),
    tolerance: TOLERANCES.logLoss,
  }),
  loss({
    name: 'logLoss epsilon=0',
    promise:
      'with epsilon 0, the exact mean of -y log p - (1 - y) log(1 - p) for labels and predictions in [0, 1], subnormal predictions included (log of a subnormal is about -103); 0·log 0 = 0 (the cross-entropy convention: a label of exactly 0 ignores log p)',
    call: (l, p) => tf.losses.logLoss(l, p, undefined, 0),
    inputs: pair(probabilities(), probabilities()),
    exact: (l, p) => R.logLoss(l, p, { epsilon: 0 }),
    derivative: (l, p) => D.logLoss(l, p, { epsilon: 0 }),
    tolerance: TOLERANCES.logLoss,
    runs: VARIANT_RUNS,
  }),
  loss({
    name: 'sigmoidCrossEntropy',
    promise:
      'the exact mean of softplus(x) - x·z for labels in [0, 1] and every float32 logit; at x = ±Infinity its limit (Infinity, or 0 for z = 1 at +Infinity and z = 0 at -Infinity)',
    call: (l, p) => tf.losses.sigmoidCrossEntropy(l, p),
    inputs: pair(probabilities(), logits()),
    special: pair(specialProbabilities, special, SPECIAL_DIMS),
    // 10 cases (its softplus per element costs twice the others'; wasm's finding: 19 of 20 seeds)
    large: large((v) => Math.min(1, Math.abs(v)), undefined, 10),
    exact: (l, p) => R.sigmoidCrossEntropy(l, p),
    derivative: (l, p) => D.sigmoidCrossEntropy(l, p),
    names: ['multiClassLabels', 'logits'],
    tolerance: TOLERANCES.sigmoidCrossEntropy,
    gradientSpecial: true,
  }),
  loss({
    name: 'sigmoidCrossEntropy labelSmoothing=0.1',
    promise: 'with labels smoothed to z·0.9 + 0.05: the exact mean of softplus(x) - x·z on every float32 logit, limits at ±Infinity',
    call: (l, p) => tf.losses.sigmoidCrossEntropy(l, p, undefined, 0.1),
    inputs: pair(probabilities(), logits()),
    special: pair(specialProbabilities, special, SPECIAL_DIMS),
    exact: (l, p) => R.sigmoidCrossEntropy(l, p, { labelSmoothing: 0.1 }),
    derivative: (l, p) => D.sigmoidCrossEntropy(l, p, { labelSmoothing: 0.1 }),
    names: ['multiClassLabels', 'logits'],
    tolerance: TOLERANCES.sigmoidCrossEntropy,
    runs: VARIANT_RUNS,
  }),
  loss({
    name: 'cosineDistance',
    promise:
      'the exact mean of 1 - sum(labels·predictions) along the last axis on every float32 input (tfjs does not normalise: the dot product of the given values); 0·Infinity is NaN as in any dot product',
    call: (l, p) => tf.losses.cosineDistance(l, p, 1),
    inputs: pair(anyFloat, anyFloat),
    special: pair(special, special, SPECIAL_DIMS),
    large: {
      runs: LOSS_LARGE_RUNS,
      inputs: { t: structured(['labels', 'predictions'], { shapes: { labels: (n) => [1, n], predictions: (n) => [1, n] } }) },
    },
    exact: (l, p) => R.cosineDistance(l, p, 1),
    derivative: (l, p) => D.cosineDistance(l, p, 1),
    tolerance: TOLERANCES.cosineDistance,
    gradientSpecial: true,
  }),
  ...softmaxEntries(),
  ...weightedEntries(),
];
