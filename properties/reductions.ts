/**
 * Catalog: reductions and scans. Every entry is judged against its exact reference on every
 * float32 input (a correctly rounded overflow passes, a finite wrong answer fails), on special
 * values (NaN propagates; max/min propagate NaN; logSumExp of all -Infinity is -Infinity) and,
 * where accumulation matters, on long structured inputs: sums are allowed the error of a good
 * float32 summation (ACCUMULATION), so exact cancellation is never a finding and a naive float32
 * accumulation over thousands of terms is.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import {
  float32,
  integers,
  OVERFLOWING_SUMS,
  specialValues,
  structured,
  tensor,
  tensorValue,
  tensors,
  type Float32Options,
  type SubjectOutput,
  type TensorValue,
} from '../src/index.ts';
import { opInfo, tfCall, type GradientInfo, type OpInfo } from '../src/catalog/op-info.ts';
import type { Elements } from '../src/generate/elements.ts';
import * as ref from '../src/reference/index.ts';
import * as red from '../src/reference/reductions.ts';
import { TOLERANCES, type Derivative, type ExactTensor, type OpTolerance } from '../src/reference/index.ts';
import { bound, rowMax } from '../src/catalog/checks.ts';
import type { Invariant } from '../src/check/invariant.ts';

type X = { x: TensorValue };
const MAX_SIZE = 64;
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: MAX_SIZE }, elements: float32(o) }) });
/** Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values. */
const special = (o: Parameters<typeof specialValues>[0] = {}) => ({
  x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 16 }, elements: specialValues(o) }),
});
/**
 * Gradient inputs of cumsum: tfjs's gradient of a cumsum along axis 0 of a matrix swaps its axes,
 * which fails with an error on a non-square matrix and gives wrong values on a square one. Nine
 * square matrices in ten lose their last column, so that the first failing case of every seed is
 * non-square (the finding the baseline lists) while square ones are still tried.
 */
const mostlyNonSquare = () => ({
  x: fc.tuple(x().x, fc.integer({ min: 0, max: 9 })).map(([v, r]) => {
    const [rows, cols] = v.shape;
    if (r === 0 || v.shape.length !== 2 || rows !== cols || cols! < 2) return v;
    return tensorValue(
      [rows!, cols! - 1],
      Float32Array.from({ length: rows! * (cols! - 1) }, (_, i) => v.data[Math.floor(i / (cols! - 1)) * cols! + (i % (cols! - 1))]!),
    );
  }),
});
/** One long structured vector (1e3 .. 1e6 elements). */
const large = () => ({ inputs: { x: structured(['x']).map((t) => t.x) } });

interface Reduction {
  readonly name: string;
  readonly f: (x: tf.Tensor) => SubjectOutput;
  /** Standalone source of the subject when `f` closes over other variables (default: `f`'s own text). */
  readonly source?: string;
  readonly promise: string;
  readonly exact: (x: TensorValue) => ExactTensor | readonly ExactTensor[];
  readonly tolerance: OpTolerance;
  readonly inputs?: { x: ReturnType<typeof tensor> };
  /** Special-value inputs (default: specialValues(); false: none). */
  readonly special?: { x: ReturnType<typeof tensor> } | false;
  readonly large?: boolean;
  readonly checks?: Invariant[];
  /** The exact derivative of the summed outputs; `inputs` of the gradient default to the entry's. */
  readonly derivative?: (x: TensorValue) => Derivative[string];
  readonly gradient?: Omit<GradientInfo<X>, 'derivative'>;
  readonly runs?: number;
}

/** An entry of one input `x`, judged by its exact reference everywhere. */
function reduction(r: Reduction): OpInfo<X> {
  const gradient: GradientInfo<X> | undefined = r.derivative
    ? { ...r.gradient, derivative: ({ x }) => ({ x: r.derivative!(x) }) }
    : r.gradient
      ? r.gradient
      : undefined;
  return opInfo<X>({
    name: r.name,
    family: 'reduction',
    promise: r.promise,
    inputs: r.inputs ?? x(),
    reference: { exact: ({ x }) => r.exact(x), tolerance: r.tolerance },
    ...(r.special === false ? {} : { special: r.special ?? special() }),
    ...(r.large ? { large: large() } : {}),
    op: ({ x }) => r.f(x),
    source: r.source ?? tfCall(r.f, '{ x }', 'x'),
    ...(r.checks ? { checks: r.checks } : {}),
    ...(gradient ? { gradient } : {}),
    ...(r.runs ? { runs: r.runs } : {}),
  });
}

/** Inputs without NaN (orders and their arg-extrema have no place for it). */
const specialNoNaN = () => special({ exclude: (v) => Number.isNaN(v) });

const bools = () => ({ x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 32 }, elements: integers(0, 1, 'int32') }) });

export const reductionTable: OpInfo[] = [
  reduction({
    name: 'sum',
    f: (v) => tf.sum(v),
    promise:
      'the exact sum within a good float32 summation of its terms (ACCUMULATION), for every x: Infinity only where the exact sum overflows, NaN only from NaN or Infinity - Infinity',
    exact: (v) => ref.sum(v),
    tolerance: TOLERANCES.sum,
    large: true,
    derivative: (v) => ref.derivatives.sum(v).x!,
  }),
  reduction({
    name: 'sum axis 0',
    f: (v) => tf.sum(v, 0, true),
    promise: 'column sums (axis 0, keepDims) exact within ACCUMULATION, for every x',
    exact: (v) => ref.sum(v, 0, true),
    tolerance: TOLERANCES.sum,
    derivative: (v) => ref.derivatives.sum(v).x!,
  }),
  reduction({
    name: 'mean',
    f: (v) => tf.mean(v),
    promise: 'the exact mean within ACCUMULATION, finite for every finite x (it never exceeds max |x|)',
    exact: (v) => ref.mean(v),
    tolerance: TOLERANCES.mean,
    large: true,
    derivative: (v) => ref.derivatives.mean(v).x!,
  }),
  reduction({
    name: 'prod',
    f: (v) => tf.prod(v),
    promise:
      'the exact product correctly rounded (within the error of a float32 product of its factors): ±Infinity only where it overflows, ±0 where it underflows; 0·Infinity is NaN',
    exact: (v) => red.prod(v),
    tolerance: TOLERANCES.prod,
    derivative: (v) => red.prodDerivative(v),
    gradient: {
      promise: 'the gradient is the exact product of the other elements (0 where another element is 0, even when the rest overflows)',
      special: special(),
    },
  }),
  reduction({
    name: 'max',
    f: (v) => tf.max(v, -1),
    promise: 'the largest element of each row, exactly; NaN if the row holds NaN (IEEE 754 maximum)',
    exact: (v) => red.extremum('max', v, -1),
    tolerance: TOLERANCES.extremum,
    checks: [bound('max >= row elements', '>=', rowMax('x'))],
    derivative: (v) => red.extremumDerivative('max', v, -1),
    gradient: { promise: 'the gradient is 1 at the row maximum (any split of 1 among tied maxima)', special: special() },
  }),
  reduction({
    name: 'min',
    f: (v) => tf.min(v, -1),
    promise: 'the smallest element of each row, exactly; NaN if the row holds NaN (IEEE 754 minimum)',
    exact: (v) => red.extremum('min', v, -1),
    tolerance: TOLERANCES.extremum,
    derivative: (v) => red.extremumDerivative('min', v, -1),
    gradient: { promise: 'the gradient is 1 at the row minimum (any split of 1 among tied minima)', special: special() },
  }),
  reduction({
    name: 'argMax',
    f: (v) => tf.argMax(v, -1),
    promise: 'the index of the first largest element of each row (±Infinity and ±0 included; NaN has no order and is not generated)',
    exact: (v) => red.argExtremum('max', v, -1),
    tolerance: TOLERANCES.exact,
    special: specialNoNaN(),
  }),
  reduction({
    name: 'argMin',
    f: (v) => tf.argMin(v, -1),
    promise: 'the index of the first smallest element of each row (±Infinity and ±0 included; NaN has no order and is not generated)',
    exact: (v) => red.argExtremum('min', v, -1),
    tolerance: TOLERANCES.exact,
    special: specialNoNaN(),
  }),
  reduction({
    name: 'all',
    f: (v) => tf.all(tf.cast(v, 'bool'), -1),
    promise: 'true exactly when every element of the row is true',
    exact: (v) => red.logicalReduce('all', v, -1),
    tolerance: TOLERANCES.exact,
    inputs: bools(),
    special: false,
    runs: 200,
  }),
  reduction({
    name: 'any',
    f: (v) => tf.any(tf.cast(v, 'bool'), -1),
    promise: 'true exactly when some element of the row is true',
    exact: (v) => red.logicalReduce('any', v, -1),
    tolerance: TOLERANCES.exact,
    inputs: bools(),
    special: false,
    runs: 200,
  }),
  reduction({
    name: 'logSumExp',
    f: (v) => tf.logSumExp(v, -1),
    promise:
      'the exact logSumExp of each row, finite and >= the row max, for every finite x; -Infinity for a row of -Infinity, +Infinity for a row holding +Infinity',
    exact: (v) => ref.logSumExp(v, -1),
    tolerance: TOLERANCES.logSumExp,
    checks: [bound('logSumExp >= max', '>=', rowMax('x'))],
    derivative: (v) => ref.derivatives.logSumExp(v, -1).x!,
  }),
  reduction({
    name: 'moments',
    f: (v) => {
      const m = tf.moments(v, -1);
      return { mean: m.mean, variance: m.variance };
    },
    promise:
      'the exact mean and (population) variance of each row for every x (the variance of huge values is finite: it never exceeds max |x|²... rounded to Infinity only where it overflows)',
    exact: (v) => {
      const m = ref.moments(v, -1);
      return [m.mean, m.variance];
    },
    tolerance: TOLERANCES.variance,
    derivative: (v) => red.momentsDerivative(v, -1),
    gradient: {
      inputs: x({ min: -1e18, max: 1e18 }),
      promise: 'the gradient of mean + variance, 1/n + 2(x - mean)/n, exact (for |x| <= 1e18, where the variance is finite in float32)',
    },
  }),
  reduction({
    name: 'norm',
    f: (v) => tf.norm(v),
    promise:
      'the exact euclidean norm of all elements within ACCUMULATION, for every x: norm([1e20]) is 1e20 and norm([1e-30]) is 1e-30 (sqrt(sum(x²)) in float32 overflows and underflows)',
    exact: (v) => ref.norm(v),
    tolerance: TOLERANCES.norm,
    large: true,
    derivative: (v) => ref.derivatives.norm(v).x!,
    gradient: { promise: 'the gradient x / norm(x), exact for every x (the minimum-norm subgradient 0, or any value in [-1, 1], at the zero vector)' },
  }),
  reduction({
    name: 'norm ord=1',
    f: (v) => tf.norm(v, 1),
    promise: 'the exact sum of |x| within ACCUMULATION, for every x',
    exact: (v) => ref.norm(v, 1),
    tolerance: TOLERANCES.sum,
  }),
  reduction({
    name: 'norm ord=Infinity',
    f: (v) => tf.norm(v, Infinity),
    promise: 'the largest |x|, exactly; NaN if x holds NaN',
    exact: (v) => ref.norm(v, Infinity),
    tolerance: TOLERANCES.extremum,
  }),
  reduction({
    name: 'norm axis=-1',
    f: (v) => tf.norm(v, 'euclidean', -1),
    promise: 'the exact euclidean norm of each row within ACCUMULATION, for every x',
    exact: (v) => ref.norm(v, 'euclidean', -1),
    tolerance: TOLERANCES.norm,
  }),
  ...(['fro', 1, Infinity] as const).map((ord) =>
    reduction({
      name: `norm matrix ord=${ord}`,
      f: (v) => tf.norm(v.rank === 1 ? tf.reshape(v, [1, -1]) : v, ord, [0, 1]),
      source: `({ x }) => tf.norm(x.rank === 1 ? tf.reshape(x, [1, -1]) : x, ${ord === 'fro' ? "'fro'" : String(ord)}, [0, 1])`,
      promise:
        ord === 'fro'
          ? 'the exact Frobenius norm over axes [0, 1] within ACCUMULATION, for every x (rank 1 is read as one row)'
          : `the exact ${ord === 1 ? 'largest column' : 'largest row'} sum of |x| over axes [0, 1] within ACCUMULATION, for every x (rank 1 is read as one row)`,
      exact: (v) => ref.norm(v.shape.length === 1 ? { shape: [1, v.shape[0]!], data: v.data } : v, ord, [0, 1]),
      tolerance: ord === 'fro' ? TOLERANCES.norm : TOLERANCES.sum,
    }),
  ),
  reduction({
    name: 'euclideanNorm',
    f: (v) => tf.euclideanNorm(v),
    promise: 'the exact euclidean norm within ACCUMULATION, for every x (no overflow of x² for |x| > 1.8e19, no underflow for |x| < 1e-19)',
    exact: (v) => ref.norm(v),
    tolerance: TOLERANCES.norm,
    derivative: (v) => ref.derivatives.norm(v).x!,
  }),
  ...(
    [
      ['cumsum', false, false],
      ['cumsum exclusive reverse', true, true],
    ] as const
  ).map(([name, exclusive, reverse]) =>
    reduction({
      name,
      f: (v) => tf.cumsum(v, 0, exclusive, reverse),
      source: `({ x }) => tf.cumsum(x, 0, ${exclusive}, ${reverse})`,
      promise: `running sums along axis 0${exclusive ? ' (exclusive, from the end)' : ''}, each exact within ACCUMULATION for every x`,
      exact: (v) => red.cumsum(v, 0, exclusive, reverse),
      tolerance: TOLERANCES.sum,
      large: !exclusive,
      // running sums that overflow where the exact one does not
      ...(exclusive ? { special: special({ focus: OVERFLOWING_SUMS }) } : {}),
      gradient: { inputs: mostlyNonSquare() },
      derivative: (v) => red.cumsumDerivative(v, 0, exclusive, reverse),
    }),
  ),
  ...(
    [
      ['cumprod', false, false],
      ['cumprod exclusive reverse', true, true],
    ] as const
  ).map(([name, exclusive, reverse]) =>
    reduction({
      name,
      f: (v) => tf.cumprod(v, 0, exclusive, reverse),
      source: `({ x }) => tf.cumprod(x, 0, ${exclusive}, ${reverse})`,
      promise: `running products along axis 0${exclusive ? ' (exclusive, from the end)' : ''}, each the exact product correctly rounded within the error of a float32 product (tfjs registers no gradient for Cumprod)`,
      exact: (v) => red.cumprod(v, 0, exclusive, reverse),
      tolerance: TOLERANCES.prod,
    }),
  ),
  segmentSum(),
  sparseSegment(false),
  sparseSegment(true),
  addN(),
  bincount('bincount', false),
  bincount('denseBincount', true),
];

/** unsortedSegmentSum over rows of x with ids in [-1, 3] (-1 is dropped) and 4 segments. */
function segmentSum(): OpInfo {
  type S = { t: { x: TensorValue; ids: TensorValue } };
  const inputs = (elements: Elements) => ({
    t: tensors({
      dims: { n: { min: 1, max: 12 }, m: { min: 1, max: 4 } },
      tensors: { x: { shape: ['n', 'm'], elements }, ids: { shape: ['n'], elements: integers(-1, 3, 'int32') } },
    }),
  });
  return opInfo<S>({
    name: 'unsortedSegmentSum',
    family: 'reduction',
    promise: 'each of the 4 segments is the exact sum of its rows within ACCUMULATION, for every x (rows with id -1 are dropped)',
    // one tensor in ten all ±[MAX/2, MAX]: partial sums overflow where the exact sum does not
    inputs: inputs(float32({ focus: OVERFLOWING_SUMS })),
    special: inputs(specialValues({ focus: OVERFLOWING_SUMS })),
    op: ({ t }) => tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, 4),
    source: '({ t }) => tf.unsortedSegmentSum(t.x, t.ids, 4)',
    reference: { exact: ({ t }) => red.unsortedSegmentSum(t.x, t.ids, 4), tolerance: TOLERANCES.sum },
    gradient: {
      promise: 'the gradient is 1 for every row with a segment, 0 for dropped rows',
      derivative: ({ t }) => {
        const m = t.x.shape[1]!;
        return {
          't.x': ref.exactTensor(
            t.x.shape,
            Array.from(t.x.data, (_, i) => (t.ids.data[Math.floor(i / m)]! >= 0 ? 1 : 0)),
          ),
        };
      },
      wrt: 'x',
    },
  }) as OpInfo;
}

/**
 * tf.sparse.sparseSegmentSum / sparseSegmentMean: rows of data picked by indices in [0, n),
 * summed (averaged) into the segments named by sorted ids in [0, 4] (gaps: empty segments, 0).
 */
function sparseSegment(mean: boolean): OpInfo {
  type S = { t: { data: TensorValue; indices: TensorValue; ids: TensorValue } };
  const fn = mean ? 'sparseSegmentMean' : 'sparseSegmentSum';
  const inputs = (elements: Elements) => ({
    t: tensors({
      dims: { n: { min: 1, max: 8 }, m: { min: 1, max: 4 }, k: { min: 1, max: 10 } },
      tensors: {
        data: { shape: ['n', 'm'], elements },
        indices: { shape: ['k'], elements: integers(0, 7, 'int32') },
        ids: { shape: ['k'], elements: integers(0, 4, 'int32') },
      },
    }).map((t) => ({
      data: t.data,
      // indices inside [0, n), segment ids sorted (tfjs requires both)
      indices: tensorValue(
        t.indices.shape,
        Int32Array.from(t.indices.data, (v) => v % t.data.shape[0]!),
        'int32',
      ),
      ids: tensorValue(t.ids.shape, Int32Array.from(t.ids.data).sort(), 'int32'),
    })),
  });
  return opInfo<S>({
    name: `sparse.${fn}`,
    family: 'reduction',
    promise: mean
      ? 'each segment is the exact mean of the rows its ids pick within ACCUMULATION, for every x (segments no id names are 0)'
      : 'each segment is the exact sum of the rows its ids pick within ACCUMULATION, for every x (segments no id names are 0)',
    inputs: inputs(float32()),
    special: inputs(specialValues()),
    op: ({ t }) => (mean ? tf.sparse.sparseSegmentMean : tf.sparse.sparseSegmentSum)(t.data, t.indices as tf.Tensor1D, t.ids as tf.Tensor1D),
    source: `({ t }) => tf.sparse.${fn}(t.data, t.indices, t.ids)`,
    reference: { exact: ({ t }) => red.sparseSegmentReduction(t.data, t.indices, t.ids, mean), tolerance: mean ? TOLERANCES.mean : TOLERANCES.sum },
    runs: 300,
  }) as OpInfo;
}

/** tf.addN of the k tensors x[0], ..., x[k - 1] (x unstacked along its first axis). */
function addN(): OpInfo {
  const inputs = (elements: Elements) => ({
    x: tensors({ dims: { k: { min: 2, max: 6 }, m: { min: 1, max: 3 }, n: { min: 1, max: 8 } }, tensors: { x: { shape: ['k', 'm', 'n'], elements } } }).map(
      (t) => t.x,
    ),
  });
  return opInfo<X>({
    name: 'addN',
    family: 'reduction',
    promise: 'each element is the exact sum of its k terms within ACCUMULATION, for every float32 input: Infinity only where the exact sum overflows',
    // partial sums that overflow where the exact sum does not
    inputs: inputs(float32({ focus: OVERFLOWING_SUMS })),
    special: inputs(specialValues({ focus: OVERFLOWING_SUMS })),
    op: ({ x }) => tf.addN(tf.unstack(x)),
    source: '({ x }) => tf.addN(tf.unstack(x))',
    reference: { exact: ({ x }) => red.addN(x), tolerance: TOLERANCES.sum },
    gradient: {
      promise: 'the gradient is 1 for every element of every term',
      derivative: ({ x }) => ({ x: ref.exactTensor(x.shape, new Float64Array(x.data.length).fill(1)) }),
    },
    runs: 300,
  }) as OpInfo;
}

/** bincount / denseBincount of values in [-1, 7] into 6 bins with float32 weights. */
function bincount(name: 'bincount' | 'denseBincount', dense: boolean): OpInfo {
  type B = { t: { x: TensorValue; w: TensorValue } };
  const inputs = (elements: Elements) => ({
    t: tensors({
      // at least 3 weights: the fewest whose partial sum overflows where their exact sum does not
      // (two of one sign, one of the other, in one bin; with 1 to 24, 18 of 20 seeds found it)
      dims: { n: { min: 3, max: 24 } },
      tensors: { x: { shape: ['n'], elements: integers(0, 7, 'int32') }, w: { shape: ['n'], elements } },
    }),
  });
  const op = dense
    ? ({ t }: { t: { x: tf.Tensor; w: tf.Tensor } }) => tf.denseBincount(t.x as tf.Tensor1D, t.w as tf.Tensor1D, 6)
    : ({ t }: { t: { x: tf.Tensor; w: tf.Tensor } }) => tf.bincount(t.x as tf.Tensor1D, t.w as tf.Tensor1D, 6);
  return opInfo<B>({
    name,
    family: 'reduction',
    promise: 'bin v holds the exact sum of the weights of the values equal to v (values 6 and 7 fall outside the 6 bins), within ACCUMULATION',
    // bins whose partial sums overflow where the exact sum does not
    inputs: inputs(float32({ focus: OVERFLOWING_SUMS })),
    special: inputs(specialValues({ focus: OVERFLOWING_SUMS })),
    op,
    source: `({ t }) => tf.${name}(t.x, t.w, 6)`,
    reference: { exact: ({ t }) => red.bincount(t.x, t.w, 6), tolerance: TOLERANCES.sum },
    runs: 300,
  }) as OpInfo;
}
