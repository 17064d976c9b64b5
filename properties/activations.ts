/**
 * Catalog: activations. Every entry with an exact reference is judged on every float32 input and
 * on special values (relu(NaN) = NaN, sigmoid(±Infinity) = 1 and 0, prelu(-Infinity, 0) = 0), and
 * its gradient against the exact derivative, at kinks (relu at 0, relu6 at 0 and 6) against the
 * interval of one-sided derivatives.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { MAX_FLOAT32, float32, specialValues, tensor, tensors, type Float32Options, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo, type TfUnaryName } from '../src/catalog/op-info.ts';
import { elementwise, exactChecks, mathExact, type Exact } from './unary.ts';
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
  options: { readonly gradientSpecial?: boolean; readonly runs?: number; readonly batch?: 'rows' } = {},
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
    // elementwise, or row-wise over the last axis (softmax)
    batch: options.batch ?? 'elementwise',
    checks,
    gradient: {
      inputs: x(domain),
      ...(derivative ? { derivative, ...(options.gradientSpecial ? { special: special(), tolerance: TOLERANCES.elementwiseGradient } : {}) } : {}),
    },
    ...(options.runs ? { runs: options.runs } : {}),
  });
}

const SELU_SCALE = 1.0507009873554805;

/** x of shape [m, n] or [n] and alpha of shape [n]: alpha broadcast along the last axis. */
function preluInputs(elements: ReturnType<typeof float32>, maxSize = 64) {
  return fc.oneof(
    tensors({ dims: { n: { min: 1, max: 16 } }, tensors: { x: { shape: ['n'], elements }, alpha: { shape: ['n'], elements } }, maxSize }),
    tensors({
      dims: { m: { min: 1, max: 4 }, n: { min: 1, max: 16 } },
      tensors: { x: { shape: ['m', 'n'], elements }, alpha: { shape: ['n'], elements } },
      maxSize,
    }),
  );
}

const G = { gradientSpecial: true } as const;
/** Piecewise-linear activations are exact and cheap to falsify: fewer runs. */
const CHEAP = { gradientSpecial: true, runs: 300 } as const;

export const activationTable: OpInfo[] = [
  activation('sigmoid', 'sigmoid', 'finite and in [0, 1] for every finite x', {}, [inRange(0, 1)], elementwise('sigmoid'), G),
  activation('logSigmoid', 'logSigmoid', 'finite and <= 0 for every finite x', {}, [inRange(-MAX_FLOAT32, 0)], elementwise('logSigmoid'), G),
  activation('softplus', 'softplus', 'finite and >= 0 for every finite x', {}, [inRange(0, MAX_FLOAT32)], elementwise('softplus'), G),
  activation('relu', 'relu', 'max(x, 0) exactly; relu(NaN) = NaN', {}, [], mathExact('relu', TOLERANCES.exactOp), CHEAP),
  activation('relu6', 'relu6', 'min(max(x, 0), 6) exactly; NaN stays NaN', {}, [], mathExact('relu6', TOLERANCES.exactOp), CHEAP),
  activation('elu', 'elu', 'finite and >= -1 for every finite x', {}, [inRange(-1, MAX_FLOAT32)], elementwise('elu'), G),
  activation(
    'selu',
    'selu',
    'finite for |x| <= 3.2e38 (1.0507·x stays in range)',
    { min: -Math.fround(MAX_FLOAT32 / SELU_SCALE), max: Math.fround(MAX_FLOAT32 / SELU_SCALE) },
    [],
    elementwise('selu'),
    G,
  ),
  activation(
    'leakyRelu',
    (v) => tf.leakyRelu(v, 0.2),
    'x above 0, 0.2·x below, correctly rounded (alpha 0.2)',
    {},
    [],
    { value: (v) => ref.leakyRelu(v, 0.2), tolerance: TOLERANCES.arithmetic, derivative: (v) => ref.leakyReluDerivative(v, 0.2) },
    CHEAP,
  ),
  activation(
    'step',
    (v) => tf.step(v),
    '1 above 0, 0 at and below 0 (alpha 0); NaN stays NaN',
    {},
    [],
    { value: (v) => ref.step(v, 0), tolerance: TOLERANCES.exactOp, derivative: (v) => ref.stepDerivative(v) },
    CHEAP,
  ),
  opInfo<{ p: { x: TensorValue; alpha: TensorValue } }>({
    name: 'prelu',
    family: 'activation',
    promise: 'x above 0, alpha·x below, exactly (alpha broadcast along the last axis); NaN propagates',
    inputs: { p: preluInputs(float32()) },
    op: ({ p }) => tf.prelu(p.x, p.alpha),
    source: tfCall('prelu', '{ p }', 'p.x, p.alpha'),
    reference: { exact: ({ p }) => ref.prelu(p.x, p.alpha), tolerance: TOLERANCES.exactOp },
    special: { p: preluInputs(specialValues(), 16) },
    gradient: {
      promise: 'the gradient matches the exact derivatives of prelu (alpha·x below 0; the sum of x below 0 for alpha)',
      derivative: ({ p }) => {
        const d = ref.preluDerivative(p.x, p.alpha);
        return { 'p.x': d.x!, 'p.alpha': d.alpha! };
      },
      wrt: 'x, alpha',
      tolerance: TOLERANCES.elementwiseGradient,
      special: { p: preluInputs(specialValues(), 16) },
    },
    runs: 300,
  }),
  activation(
    'softmax',
    (v) => tf.softmax(v),
    'finite, in [0, 1], rows summing to 1, for every finite x',
    {},
    [inRange(0, 1), rowsSumToOne()],
    {
      value: (v) => ref.softmax(v),
      tolerance: TOLERANCES.softmax,
      derivative: (v) => ({ x: ref.derivatives.softmax(v).logits! }),
    },
    { batch: 'rows' },
  ),
  activation(
    'logSoftmax',
    (v) => tf.logSoftmax(v),
    'finite and <= 0 for |x| <= 1.7e38 (beyond, x - max itself overflows)',
    { min: -1.7e38, max: 1.7e38 },
    [inRange(-MAX_FLOAT32, 0)],
    { value: (v) => ref.logSoftmax(v), tolerance: TOLERANCES.logSoftmax, derivative: (v) => ({ x: ref.derivatives.logSoftmax(v).logits! }) },
    { batch: 'rows' },
  ),
];
