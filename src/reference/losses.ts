/**
 * Exact references for tf.losses: meanSquaredError, absoluteDifference, huberLoss, logLoss,
 * hingeLoss, sigmoidCrossEntropy, softmaxCrossEntropy and cosineDistance.
 *
 * The per-element losses are tfjs's formulas (node_modules/@tensorflow/tfjs-core/dist/ops/
 * losses/) in exact arithmetic:
 *
 * | loss                | per element (y labels, p predictions, x logits)                  |
 * |---------------------|-------------------------------------------------------------------|
 * | meanSquaredError    | (y - p)^2                                                          |
 * | absoluteDifference  | abs(y - p)                                                         |
 * | huberLoss (delta 1) | q = min(abs(p - y), delta): 0.5 q^2 + delta (abs(p - y) - q)       |
 * | logLoss (eps 1e-7)  | -y log(p + eps) - (1 - y) log(1 - p + eps)                          |
 * | hingeLoss           | max(0, 1 - (2y - 1) p)                                              |
 * | sigmoidCrossEntropy | max(x, 0) - x y + log1p(exp(-abs(x)))  (= softplus(x) - x y)        |
 * | softmaxCrossEntropy | per row: -sum_j y_j (x_j - logSumExp(x))                           |
 * | cosineDistance      | per slice along axis: 1 - sum(y p)  (inputs assumed unit-normalised)|
 *
 * Constants enter as the float32 scalars tfjs makes of them: logLoss's epsilon is
 * fround(1e-7) = 1.0000000116860974e-7, huber's delta fround(delta), label smoothing
 * fround(labelSmoothing). The losses are then combined with `weights` (broadcast to the losses'
 * shape) under a Reduction, by default tfjs's SUM_BY_NONZERO_WEIGHTS: sum(w * loss) divided by
 * the number of non-zero broadcast weights (by the number of elements when there are no
 * weights). The whole weighted sum is one formula, so a mean of losses that cancel is exact too.
 *
 * The formulas are tfjs's own (evaluated exactly, with rigorous error bounds), so the condition
 * magnitudes reflect the cancellation tfjs's evaluation order has: max(x, 0) - x y for y near 1
 * and large x, x_j - logSumExp(x) for large logits. logSumExp itself is the stable
 * m + log1p(S') with m the row maximum.
 */
import { evaluate, type Arith } from './arith.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import {
  assertSameShape,
  broadcastIndex,
  broadcastShape,
  formatShape,
  parseAxes,
  planReduction,
  readInput,
  readScalarParam,
  sizeOfShape,
  type Read,
  type RefInput,
} from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';
import { rowMaxEntry, rowSums } from './softmax.ts';

/** How per-element losses are combined (tf.Reduction). */
export type Reduction = 'none' | 'sum' | 'mean' | 'sumByNonzeroWeights';

export interface LossOptions extends ReferenceOptions {
  /** Weights broadcast to the losses' shape (a scalar, or a tensor of the same rank). */
  readonly weights?: RefInput;
  /** Default 'sumByNonzeroWeights', as in tfjs. */
  readonly reduction?: Reduction;
}

/** A per-element loss in generic arithmetic. */
type Term = <T>(A: Arith<T>, i: number) => T;

const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean', 'sumByNonzeroWeights'];

function combine(fn: string, lossShape: readonly number[], term: Term, options: LossOptions | undefined, o: ResolvedOptions): ExactTensor {
  const reductionKind = options?.reduction ?? 'sumByNonzeroWeights';
  if (!REDUCTIONS.includes(reductionKind)) {
    throw new RangeError(`${fn}: option 'reduction' must be one of ${REDUCTIONS.join(', ')}; got ${JSON.stringify(reductionKind)}`);
  }
  const n = sizeOfShape(lossShape);
  let w: Read | undefined;
  let wi: Int32Array | undefined;
  if (options?.weights !== undefined) {
    w = readInput(fn, 'weights', options.weights, o);
    const b = broadcastShape(fn, 'losses', lossShape, 'weights', w.shape);
    if (sizeOfShape(b) !== n || b.length !== lossShape.length) {
      throw new RangeError(`${fn}: argument 'weights' ${formatShape(w.shape)} must broadcast to the losses' shape ${formatShape(lossShape)}`);
    }
    wi = broadcastIndex(w.shape, lossShape);
  }
  const weighted = <T>(A: Arith<T>, i: number): T => (w === undefined ? term(A, i) : A.mul(term(A, i), A.num(w.data[wi![i]!]!)));

  if (reductionKind === 'none') {
    const out = new ExactBuilder(lossShape, n, true);
    for (let i = 0; i < n; i++) {
      const r = evaluate((A) => weighted(A, i), o);
      out.set(i, r.value, r.kind);
      out.magnitude![i] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
      if (r.slow) out.slow++;
    }
    return out.build();
  }
  let divisor: (<T>(A: Arith<T>) => T) | undefined;
  if (reductionKind === 'sumByNonzeroWeights') {
    let count = n;
    if (w !== undefined) {
      count = 0;
      for (let i = 0; i < n; i++) if (w.data[wi![i]!] !== 0) count++;
    }
    divisor = (A) => A.num(count);
  } else if (reductionKind === 'mean') {
    if (w === undefined) {
      divisor = (A) => A.num(n);
    } else {
      const weights = w;
      const factor = n / weights.size;
      divisor = <T>(A: Arith<T>): T => {
        let s = A.num(0);
        for (let k = 0; k < weights.size; k++) s = A.add(s, A.num(weights.data[k]!));
        return factor > 1 ? A.mul(s, A.num(factor)) : s;
      };
    }
  }
  const total = <T>(A: Arith<T>): T => {
    let s = A.num(0);
    for (let i = 0; i < n; i++) s = A.add(s, weighted(A, i));
    return divisor === undefined ? s : A.div(s, divisor(A));
  };
  const out = new ExactBuilder([], 1, true);
  const r = evaluate(total, o);
  out.set(0, r.value, r.kind);
  out.magnitude![0] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
  if (r.slow) out.slow++;
  return out.build();
}

function pair(fn: string, aName: string, a: RefInput, bName: string, b: RefInput, o: ResolvedOptions): [Read, Read] {
  const ra = readInput(fn, aName, a, o);
  const rb = readInput(fn, bName, b, o);
  assertSameShape(fn, aName, ra, bName, rb);
  return [ra, rb];
}

/** tf.losses.meanSquaredError(labels, predictions, weights?, reduction?). */
export function meanSquaredError(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const o = resolveOptions(options);
  const [y, p] = pair('meanSquaredError', 'labels', labels, 'predictions', predictions, o);
  return combine('meanSquaredError', y.shape, (A, i) => A.square(A.sub(A.num(y.data[i]!), A.num(p.data[i]!))), options, o);
}

/** tf.losses.absoluteDifference(labels, predictions, weights?, reduction?). */
export function absoluteDifference(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const o = resolveOptions(options);
  const [y, p] = pair('absoluteDifference', 'labels', labels, 'predictions', predictions, o);
  return combine('absoluteDifference', y.shape, (A, i) => A.abs(A.sub(A.num(y.data[i]!), A.num(p.data[i]!))), options, o);
}

/** tf.losses.huberLoss(labels, predictions, weights?, delta = 1, reduction?). */
export function huberLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly delta?: number }): ExactTensor {
  const o = resolveOptions(options);
  const [y, p] = pair('huberLoss', 'labels', labels, 'predictions', predictions, o);
  const delta = Math.fround(readScalarParam('huberLoss', 'delta', options?.delta, 1));
  return combine(
    'huberLoss',
    y.shape,
    <T>(A: Arith<T>, i: number): T => {
      const err = A.abs(A.sub(A.num(p.data[i]!), A.num(y.data[i]!)));
      const q = A.min(err, A.num(delta));
      return A.add(A.mul(A.num(0.5), A.square(q)), A.mul(A.num(delta), A.sub(err, q)));
    },
    options,
    o,
  );
}

/** tf.losses.logLoss(labels, predictions, weights?, epsilon = 1e-7, reduction?). */
export function logLoss(labels: RefInput, predictions: RefInput, options?: LossOptions & { readonly epsilon?: number }): ExactTensor {
  const o = resolveOptions(options);
  const [y, p] = pair('logLoss', 'labels', labels, 'predictions', predictions, o);
  const eps = Math.fround(readScalarParam('logLoss', 'epsilon', options?.epsilon, 1e-7));
  return combine(
    'logLoss',
    y.shape,
    <T>(A: Arith<T>, i: number): T => {
      const yi = A.num(y.data[i]!);
      const pi = A.num(p.data[i]!);
      const one = A.num(1);
      const e = A.num(eps);
      const l1 = A.neg(A.mul(yi, A.log(A.add(pi, e))));
      const l2 = A.mul(A.sub(one, yi), A.log(A.add(A.sub(one, pi), e)));
      return A.sub(l1, l2);
    },
    options,
    o,
  );
}

/** tf.losses.hingeLoss(labels, predictions, weights?, reduction?): labels in {0, 1} map to {-1, 1}. */
export function hingeLoss(labels: RefInput, predictions: RefInput, options?: LossOptions): ExactTensor {
  const o = resolveOptions(options);
  const [y, p] = pair('hingeLoss', 'labels', labels, 'predictions', predictions, o);
  return combine(
    'hingeLoss',
    y.shape,
    <T>(A: Arith<T>, i: number): T => {
      const s = A.sub(A.mul(A.num(2), A.num(y.data[i]!)), A.num(1));
      return A.max(A.num(0), A.sub(A.num(1), A.mul(s, A.num(p.data[i]!))));
    },
    options,
    o,
  );
}

function smoothing(fn: string, v: number | undefined): number {
  const ls = Math.fround(readScalarParam(fn, 'labelSmoothing', v, 0));
  if (!(ls >= 0 && ls <= 1)) throw new RangeError(`${fn}: parameter 'labelSmoothing' must be in [0, 1]; got ${ls}`);
  return ls;
}

/** tf.losses.sigmoidCrossEntropy(multiClassLabels, logits, weights?, labelSmoothing = 0, reduction?). */
export function sigmoidCrossEntropy(multiClassLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): ExactTensor {
  const fn = 'sigmoidCrossEntropy';
  const o = resolveOptions(options);
  const [y, x] = pair(fn, 'multiClassLabels', multiClassLabels, 'logits', logits, o);
  const ls = smoothing(fn, options?.labelSmoothing);
  return combine(
    fn,
    y.shape,
    <T>(A: Arith<T>, i: number): T => {
      let z = A.num(y.data[i]!);
      if (ls > 0) z = A.add(A.mul(z, A.sub(A.num(1), A.num(ls))), A.mul(A.num(0.5), A.num(ls)));
      const xi = A.num(x.data[i]!);
      // tfjs's formula: max(x, 0) - x z + log1p(exp(-|x|)). Evaluated with rigorous error
      // bounds, so its cancellation for z near 1 costs accuracy of nothing but the float64 pass.
      return A.add(A.sub(A.max(xi, A.num(0)), A.mul(xi, z)), A.log1p(A.exp(A.neg(A.abs(xi)))));
    },
    options,
    o,
  );
}

/** tf.losses.softmaxCrossEntropy(onehotLabels, logits, weights?, labelSmoothing = 0, reduction?): rows along the last axis. */
export function softmaxCrossEntropy(onehotLabels: RefInput, logits: RefInput, options?: LossOptions & { readonly labelSmoothing?: number }): ExactTensor {
  const fn = 'softmaxCrossEntropy';
  const o = resolveOptions(options);
  const [y, x] = pair(fn, 'onehotLabels', onehotLabels, 'logits', logits, o);
  if (x.shape.length === 0) throw new RangeError(`${fn}: argument 'logits' must have rank >= 1; got a scalar`);
  const ls = smoothing(fn, options?.labelSmoothing);
  const classes = x.shape[x.shape.length - 1]!;
  const rows = classes === 0 ? 0 : x.size / classes;
  const lossShape = x.shape.slice(0, -1);
  const maxes = Array.from({ length: rows }, (_, r) => rowMaxEntry(x.data.subarray(r * classes, (r + 1) * classes)));
  return combine(
    fn,
    lossShape,
    <T>(A: Arith<T>, r: number): T => {
      const row = x.data.subarray(r * classes, (r + 1) * classes);
      const { m, a } = maxes[r]!;
      const sums = rowSums(A, row, m, a);
      // tfjs: -sum_j y_j (x_j - logSumExp(x)), with logSumExp = m + log1p(S').
      const lse = A.add(A.num(m), sums.l);
      let loss = A.num(0);
      for (let j = 0; j < classes; j++) {
        let yj = A.num(y.data[r * classes + j]!);
        if (ls > 0) yj = A.add(A.mul(yj, A.sub(A.num(1), A.num(ls))), A.div(A.num(ls), A.num(classes)));
        loss = A.sub(loss, A.mul(yj, A.sub(A.num(row[j]!), lse)));
      }
      return loss;
    },
    options,
    o,
  );
}

/** tf.losses.cosineDistance(labels, predictions, axis, weights?, reduction?): 1 - sum(labels * predictions) along axis. */
export function cosineDistance(labels: RefInput, predictions: RefInput, axis: number, options?: LossOptions): ExactTensor {
  const fn = 'cosineDistance';
  const o = resolveOptions(options);
  const [y, p] = pair(fn, 'labels', labels, 'predictions', predictions, o);
  if (typeof axis !== 'number') throw new TypeError(`${fn}: argument 'axis' must be a number; got ${JSON.stringify(axis)}`);
  const plan = planReduction(y.shape, parseAxes(fn, axis, y.shape.length));
  const k = plan.groupSize;
  return combine(
    fn,
    plan.keepShape,
    <T>(A: Arith<T>, g: number): T => {
      let dot = A.num(0);
      for (let j = 0; j < k; j++) {
        const idx = plan.order[g * k + j]!;
        dot = A.add(dot, A.mul(A.num(y.data[idx]!), A.num(p.data[idx]!)));
      }
      return A.sub(A.num(1), dot);
    },
    options,
    o,
  );
}
