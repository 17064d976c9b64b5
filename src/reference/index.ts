/**
 * Exact reference math for TensorFlow.js ops.
 *
 * Every reference takes plain inputs (TensorValues, `{ shape, data }`, arrays or numbers; read
 * as float32 like tf.tensor does) and returns an {@link ExactTensor}: the exact answer rounded
 * to float64, with each element's kind (finite, +inf, -inf, nan by definition). Rounding those
 * values to float32 gives the correctly rounded float32 answer, so nanhunt can tell a correct
 * overflow (exp(100) = Infinity) from a bug (NaN where the answer is finite) and measure
 * finite-but-wrong results in ULPs.
 *
 * Evaluation is tiered: float64 with a proven error bound, then exact integer arithmetic
 * (sums, products) or mathjs BigNumber (everything else) only for elements float64 cannot
 * settle. See arith.ts for the machinery and options.ts for the settings.
 *
 * ```ts
 * import * as reference from './reference/index.ts'; // or: import { reference } from 'nanhunt'
 * reference.log1p([1e-10]).values[0];          // 9.9999999995e-11 (float32 input 1.00000001e-10)
 * reference.softmax({ shape: [2, 3], data }); // rows along the last axis
 * reference.losses.logLoss(labels, predictions);
 * reference.train.adam({ value, gradient });    // one step, exact new value and moments
 * ```
 */
import { exp, expm1, log, log1p, logSigmoid, pow, rsqrt, selu, sigmoid, softplus, sqrt, tanh, elu } from './elementwise.ts';
import {
  absoluteDifference,
  computeWeightedLoss,
  cosineDistance,
  hingeLoss,
  huberLoss,
  logLoss,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from './losses.ts';
import { lossDerivatives } from './loss-derivatives.ts';
import { train } from './optimizers.ts';
import { matMul, mean, moments, norm, sum } from './reductions.ts';
import { logSoftmax, logSumExp, softmax } from './softmax.ts';
import { derivatives } from './derivatives.ts';

export type { ExactKind, ExactStats, ExactTensor } from './exact.ts';
export { exactFloat32, exactKind, exactTensor, isExactFinite } from './exact.ts';
export type { RefInput } from './input.ts';
export type { ReferenceOptions } from './options.ts';
export { DEFAULT_PRECISION, MAX_PRECISION, MIN_PRECISION, resolveOptions, validatePrecision, withReferenceOptions } from './options.ts';
export type { Axis } from './reductions.ts';
export type { LossOptions, Reduction } from './losses.ts';
export type { StepArgs } from './optimizers.ts';
export type { Derivative, DerivativeTensor } from './derivatives.ts';
export type { Backend, OpTolerance, Tolerance, ToleranceName } from './tolerances.ts';
export { describeTolerance, TOLERANCES, toleranceFor } from './tolerances.ts';
export { SELU_SCALE, SELU_SCALEALPHA } from './elementwise.ts';
export type { UnaryOpName } from './elementwise.ts';
export { TFJS_EPSILON } from './optimizers.ts';
export { exactDecimal, FLOAT32_OVERFLOW_THRESHOLD, roundingInterval32, ulp32 } from '../core/float32.ts';

/** The losses of tf.losses, exactly. */
export const losses = {
  absoluteDifference,
  computeWeightedLoss,
  cosineDistance,
  hingeLoss,
  huberLoss,
  logLoss,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} as const;

export { train, derivatives, lossDerivatives };
export { REDUCTIONS, TF_REDUCTION } from './losses.ts';
export {
  exp,
  expm1,
  log,
  log1p,
  sqrt,
  rsqrt,
  pow,
  sigmoid,
  logSigmoid,
  softplus,
  tanh,
  elu,
  selu,
  softmax,
  logSoftmax,
  logSumExp,
  sum,
  mean,
  moments,
  norm,
  matMul,
};

// Elementwise math, binary ops with broadcasting, and their derivatives (math.ts, binary.ts).
export {
  abs,
  neg,
  sign,
  square,
  reciprocal,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  sinh,
  cosh,
  asinh,
  acosh,
  atanh,
  erf,
  round,
  floor,
  ceil,
  isNan,
  isInf,
  isFiniteValue,
  relu,
  relu6,
  leakyRelu,
  step,
  prelu,
  mathDerivatives,
  applyMath,
  leakyReluDerivative,
  stepDerivative,
  preluDerivative,
  MATH_OPS,
  type MathOpName,
} from './math.ts';
export {
  add,
  sub,
  mul,
  div,
  divNoNan,
  floorDiv,
  mod,
  atan2,
  maximum,
  minimum,
  squaredDifference,
  equal,
  notEqual,
  less,
  lessEqual,
  greater,
  greaterEqual,
  logicalAnd,
  logicalOr,
  logicalXor,
  logicalNot,
  where,
  clipByValue,
  binaryDerivatives,
  whereDerivative,
  clipByValueDerivative,
} from './binary.ts';
