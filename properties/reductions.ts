/**
 * Catalog: reductions. Domains keep the exact answer finite; where tfjs's way of computing it
 * (sum then divide, square then sum) overflows before the exact answer does, that is a finding.
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_FLOAT32, float32, specialValues, structured, tensor, type Float32Options, type SubjectOutput, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo } from '../src/catalog/op-info.ts';
import { exactChecks, type Exact } from './unary.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES } from '../src/reference/index.ts';
import { bound, inRange, rowMax, scalesLinearly } from '../src/catalog/checks.ts';
import type { Invariant } from '../src/check/invariant.ts';

type X = { x: TensorValue };
const MAX_SIZE = 64;
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: MAX_SIZE }, elements: float32(o) }) });
/** Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values. */
const special = () => ({ x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 16 }, elements: specialValues() }) });
/** |x| bound so that MAX_SIZE of them sum to a finite number. */
const SUMMABLE = Math.fround(MAX_FLOAT32 / MAX_SIZE);

function reduction(
  name: string,
  f: (x: tf.Tensor) => SubjectOutput,
  promise: string,
  domain: Float32Options = {},
  checks: Invariant[] = [],
  gradient: boolean | Float32Options = true,
  exact?: Exact & { readonly domain?: Float32Options; readonly large?: boolean },
): OpInfo<X> {
  const { reference, derivative } = exactChecks(exact);
  return opInfo<X>({
    name,
    family: 'reduction',
    promise,
    inputs: x(exact?.domain ?? domain),
    ...(reference ? { reference, special: special() } : {}),
    ...(reference && exact?.large ? { large: { inputs: { x: structured(['x']).map((t) => t.x) } } } : {}),
    op: ({ x }) => f(x),
    source: tfCall(f, '{ x }', 'x'),
    checks,
    ...(gradient ? { gradient: { inputs: x(gradient === true ? domain : gradient), ...(derivative ? { derivative } : {}) } } : {}),
  });
}

export const reductionTable: OpInfo[] = [
  reduction(
    'sum',
    (v) => tf.sum(v),
    'the exact sum, correctly rounded within 1 ULP, for every finite x (Infinity only where the exact sum overflows); gradient finite for |x| <= 5.3e36',
    { min: -SUMMABLE, max: SUMMABLE },
    [],
    true,
    {
      value: (v) => ref.sum(v),
      tolerance: TOLERANCES.sum,
      derivative: (v) => ref.derivatives.sum(v),
      domain: {},
      large: true,
    },
  ),
  reduction('mean', (v) => tf.mean(v), 'the exact mean within 1 ULP, finite for every finite x (it never exceeds max |x|)', {}, [], true, {
    value: (v) => ref.mean(v),
    tolerance: TOLERANCES.mean,
    derivative: (v) => ref.derivatives.mean(v),
    large: true,
  }),
  reduction('prod', (v) => tf.prod(v), 'finite for |x| <= 3 (3^64 = 3.4e30)', { min: -3, max: 3 }),
  reduction('max', (v) => tf.max(v, -1), 'finite and >= every element of its row', {}, [bound('max >= row elements', '>=', rowMax('x'))]),
  reduction('min', (v) => tf.neg(tf.min(v, -1)), 'finite (negated min) for every finite x'),
  reduction(
    'logSumExp',
    (v) => tf.logSumExp(v, -1),
    'the exact logSumExp, finite and >= the row max, for every finite x',
    {},
    [bound('logSumExp >= max', '>=', rowMax('x'))],
    true,
    {
      value: (v) => ref.logSumExp(v, -1),
      tolerance: TOLERANCES.logSumExp,
      derivative: (v) => ref.derivatives.logSumExp(v, -1),
    },
  ),
  reduction(
    'moments',
    (v) => {
      const m = tf.moments(v, -1);
      return { mean: m.mean, variance: m.variance };
    },
    'mean and variance finite and variance >= 0 for |x| <= 1e18',
    { min: -1e18, max: 1e18 },
    [inRange(0, MAX_FLOAT32, 'variance')],
    true,
    {
      value: (v) => {
        const m = ref.moments(v, -1);
        return [m.mean, m.variance];
      },
      tolerance: TOLERANCES.variance,
    },
  ),
  reduction(
    'norm',
    (v) => ({ n: tf.norm(v), twice: tf.norm(tf.mul(v, 2)) }),
    'finite, >= 0 and norm(2x) = 2·norm(x) for |x| <= 2.6e37 (the exact norm stays below 3.4e38)',
    { min: -MAX_FLOAT32 / 16, max: MAX_FLOAT32 / 16 },
    [inRange(0, MAX_FLOAT32, 'n'), scalesLinearly('output.n', 'output.twice', 2)],
    // the gradient x/||x|| is undefined at the zero vector
    { exclude: (v) => Math.abs(v) < 1e-18, min: -1e18, max: 1e18 },
  ),
  reduction(
    'euclideanNorm',
    (v) => tf.euclideanNorm(v),
    'finite and >= 0 for |x| <= 2.6e37',
    { min: -MAX_FLOAT32 / 16, max: MAX_FLOAT32 / 16 },
    [inRange(0, MAX_FLOAT32)],
    { exclude: (v) => Math.abs(v) < 1e-18, min: -1e18, max: 1e18 },
  ),
];
