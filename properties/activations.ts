/**
 * Catalog: activations. Every finite input has a finite exact answer here (selu's scale pushes
 * it past the float32 range only above 3.2e38).
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_FLOAT32, float32, specialValues, tensor, tensors, type Float32Options, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo, type TfUnaryName } from '../src/catalog/op-info.ts';
import { elementwise, exactChecks, type Exact } from './unary.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES } from '../src/reference/index.ts';
import { inRange, rowsSumToOne } from '../src/catalog/checks.ts';
import type { Invariant } from '../src/check/invariant.ts';

type X = { x: TensorValue };
const x = (o: Float32Options = {}, minRank = 1) => ({ x: tensor({ shape: { minRank, maxRank: 2, maxSize: 64 }, elements: float32(o) }) });
/** Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values. */
const special = () => ({ x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 16 }, elements: specialValues() }) });

/** An activation: a tfjs function of x (its name), or another function of x with its own name. */
function activation(
  name: string,
  f: TfUnaryName | ((x: tf.Tensor) => tf.Tensor),
  promise: string,
  domain: Float32Options = {},
  checks: Invariant[] = [],
  exact?: Exact,
): OpInfo<X> {
  const call: (x: tf.Tensor) => tf.Tensor = typeof f === 'string' ? tf[f] : f;
  const { reference, derivative } = exactChecks(exact);
  return opInfo<X>({
    name,
    family: 'activation',
    promise: reference ? `${promise}; matches the exact answer on every finite x` : promise,
    // with a reference every finite input has a verdict (a correctly rounded Infinity is exact)
    inputs: x(reference ? {} : domain),
    ...(reference ? { reference, special: special() } : {}),
    op: ({ x }) => call(x),
    source: tfCall(f, '{ x }', 'x'),
    checks,
    gradient: { inputs: x(domain), ...(derivative ? { derivative } : {}) },
  });
}

const SELU_SCALE = 1.0507009873554805;

export const activationTable: OpInfo[] = [
  activation('sigmoid', 'sigmoid', 'finite and in [0, 1] for every finite x', {}, [inRange(0, 1)], elementwise('sigmoid')),
  activation('logSigmoid', 'logSigmoid', 'finite and <= 0 for every finite x', {}, [inRange(-MAX_FLOAT32, 0)], elementwise('logSigmoid')),
  activation('softplus', 'softplus', 'finite and >= 0 for every finite x', {}, [inRange(0, MAX_FLOAT32)], elementwise('softplus')),
  activation('relu', 'relu', 'finite and >= 0 for every finite x', {}, [inRange(0, MAX_FLOAT32)]),
  activation('relu6', 'relu6', 'in [0, 6] for every finite x', {}, [inRange(0, 6)]),
  activation('elu', 'elu', 'finite and >= -1 for every finite x', {}, [inRange(-1, MAX_FLOAT32)], elementwise('elu')),
  activation(
    'selu',
    'selu',
    'finite for |x| <= 3.2e38 (1.0507·x stays in range)',
    { min: -Math.fround(MAX_FLOAT32 / SELU_SCALE), max: Math.fround(MAX_FLOAT32 / SELU_SCALE) },
    [],
    elementwise('selu'),
  ),
  activation('leakyRelu', (v) => tf.leakyRelu(v, 0.2), 'finite for every finite x (alpha 0.2)'),
  opInfo<{ p: { x: TensorValue; alpha: TensorValue } }>({
    name: 'prelu',
    family: 'activation',
    promise: 'finite for every finite x with |alpha| <= 1',
    inputs: {
      p: tensors({
        dims: { n: { min: 1, max: 16 } },
        tensors: { x: { shape: ['n'] }, alpha: { shape: ['n'], elements: float32({ min: -1, max: 1 }) } },
      }),
    },
    op: ({ p }) => tf.prelu(p.x, p.alpha),
    gradient: true,
  }),
  activation('softmax', (v) => tf.softmax(v), 'finite, in [0, 1], rows summing to 1, for every finite x', {}, [inRange(0, 1), rowsSumToOne()], {
    value: (v) => ref.softmax(v),
    tolerance: TOLERANCES.softmax,
    derivative: (v) => ({ x: ref.derivatives.softmax(v).logits! }),
  }),
  activation(
    'logSoftmax',
    (v) => tf.logSoftmax(v),
    'finite and <= 0 for |x| <= 1.7e38 (beyond, x - max itself overflows)',
    { min: -1.7e38, max: 1.7e38 },
    [inRange(-MAX_FLOAT32, 0)],
    { value: (v) => ref.logSoftmax(v), tolerance: TOLERANCES.logSoftmax, derivative: (v) => ({ x: ref.derivatives.logSoftmax(v).logits! }) },
  ),
];
