/**
 * Catalog: elementwise math. Each domain is where the exact answer is finite in float32, so a
 * non-finite output there is a finding; gradient domains exclude points where the exact
 * derivative is infinite (sqrt at 0, acos at ±1).
 */
import * as tf from '@tensorflow/tfjs';
import {
  EXP_OVERFLOW_EDGE,
  MAX_FLOAT32,
  MIN_NORMAL,
  MIN_SUBNORMAL,
  SQUARE_OVERFLOW_EDGE,
  float32,
  integers,
  nextUp,
  tensor,
  tensors,
  type Float32Options,
  type TensorValue,
} from '../src/index.ts';
import { callSource, catalogProperties, opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import { matchesReference } from '../src/check/accuracy.ts';
import * as ref from '../src/reference/index.ts';
import type { Derivative, ExactTensor, ToleranceName } from '../src/reference/index.ts';
import { gradientMatches } from '../src/check/gradient.ts';
import type { Invariant } from '../src/check/invariant.ts';

type X = { x: TensorValue };
const SHAPE = { maxRank: 2, maxSize: 64 } as const;
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: SHAPE, elements: float32(o) }) });
/** ln(2 · MAX_FLOAT32): sinh and cosh overflow beyond it. */
const SINH_EDGE = Math.fround(89.41598);
const openUnit = { min: -1, max: 1, exclude: [-1, 1] };

/** An exact reference for the value: it then runs on every finite float32 (see `exact`). */
type Exact = (x: TensorValue) => ExactTensor;

/** Elementwise ops whose exact derivative src/reference computes from x alone. */
const ELEMENTWISE_DERIVATIVES = new Set(['exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'sigmoid', 'logSigmoid', 'softplus', 'tanh', 'elu', 'selu']);

/** Ops of one input `x` whose exact derivative (of the summed output) src/reference computes. */
const ONE_INPUT_DERIVATIVES: Record<string, (x: TensorValue) => Derivative> = {
  softmax: (x) => ({ x: ref.derivatives.softmax(x).logits! }),
  logSoftmax: (x) => ({ x: ref.derivatives.logSoftmax(x).logits! }),
  logSumExp: (x) => ref.derivatives.logSumExp(x, -1),
  sum: (x) => ref.derivatives.sum(x),
  mean: (x) => ref.derivatives.mean(x),
};

/** The exact-derivative check of an op of one input `x` that has one in src/reference (else: gradients finite). */
export function exactGradient(name: string): { value?: Invariant; promise?: string } {
  const d = ELEMENTWISE_DERIVATIVES.has(name)
    ? ((ref.derivatives as Record<string, unknown>)[name] as (x: TensorValue) => Derivative)
    : ONE_INPUT_DERIVATIVES[name];
  if (!d) return {};
  return {
    value: gradientMatches<X>({ derivative: ({ x }) => d(x), name: `gradient matches d/dx ${name}` }),
    promise: `the gradient matches the exact derivative of ${name}`,
  };
}

function unary(
  name: string,
  f: (x: tf.Tensor) => tf.Tensor,
  domain: Float32Options,
  promise: string,
  gradient: Float32Options | false = domain,
  exact?: Exact,
): OpInfo<X> {
  return opInfo<X>({
    name,
    family: 'unary',
    promise: exact ? `${promise}; elsewhere, the correctly rounded exact answer (Infinity, NaN by definition included)` : promise,
    // with a reference, every finite input has a verdict: Infinity where the exact answer overflows is correct
    inputs: x(exact ? {} : domain),
    ...(exact ? { value: matchesReference(({ x }: X) => exact(x), name as ToleranceName) } : {}),
    op: ({ x }) => f(x),
    source: callSource(f, (tf as Record<string, unknown>)[name] === f ? name : undefined, '{ x }', 'x'),
    ...(gradient ? { gradient: { inputs: x(gradient), ...exactGradient(name) } } : {}),
  });
}

export const unaryTable: OpInfo[] = [
  unary('exp', tf.exp, { max: EXP_OVERFLOW_EDGE }, 'within 1 ULP of exp(x), finite for x <= 88.72', undefined, ref.exp),
  unary('expm1', tf.expm1, { max: EXP_OVERFLOW_EDGE }, 'within 1 ULP of expm1(x), finite for x <= 88.72', undefined, ref.expm1),
  unary('log', tf.log, { min: MIN_SUBNORMAL }, 'within 1 ULP of log(x), finite for x > 0 (subnormals included)', { min: MIN_NORMAL }, ref.log),
  unary('log1p', tf.log1p, { min: nextUp(-1) }, 'within 1 ULP of log1p(x), finite for x > -1', { min: nextUp(-1) }, ref.log1p),
  unary('sqrt', tf.sqrt, { min: 0 }, 'within 1 ULP of sqrt(x), finite for x >= 0; gradient finite for x > 0', { min: MIN_SUBNORMAL }, ref.sqrt),
  unary('rsqrt', tf.rsqrt, { min: MIN_SUBNORMAL }, 'within 1 ULP of 1/sqrt(x), finite for x > 0; gradient finite for x >= 1e-25', { min: 1e-25 }, ref.rsqrt),
  unary(
    'reciprocal',
    tf.reciprocal,
    { exclude: (v) => Math.abs(v) < 1 / MAX_FLOAT32 },
    'finite for |x| >= 2.9e-39; gradient finite for |x| >= 1e-19',
    { exclude: (v) => Math.abs(v) < 1e-19 },
  ),
  unary('square', tf.square, { min: -SQUARE_OVERFLOW_EDGE, max: SQUARE_OVERFLOW_EDGE }, 'finite for |x| <= 1.84e19'),
  unary('abs', tf.abs, {}, 'finite for every finite x'),
  unary('sin', tf.sin, {}, 'finite for every finite x'),
  unary('cos', tf.cos, {}, 'finite for every finite x'),
  unary('tan', tf.tan, {}, 'finite for every finite x (no float32 is exactly pi/2)'),
  unary('asin', tf.asin, { min: -1, max: 1 }, 'finite on [-1, 1]; gradient finite on (-1, 1)', openUnit),
  unary('acos', tf.acos, { min: -1, max: 1 }, 'finite on [-1, 1]; gradient finite on (-1, 1)', openUnit),
  unary('atan', tf.atan, {}, 'finite for every finite x'),
  unary('sinh', tf.sinh, { min: -SINH_EDGE, max: SINH_EDGE }, 'finite for |x| <= 89.41'),
  unary('cosh', tf.cosh, { min: -SINH_EDGE, max: SINH_EDGE }, 'finite for |x| <= 89.41'),
  unary('tanh', tf.tanh, {}, 'within 1 ULP of tanh(x) for every finite x', {}, ref.tanh),
  unary('asinh', tf.asinh, {}, 'finite for every finite x (asinh(3.4e38) = 89.4)'),
  unary('acosh', tf.acosh, { min: 1 }, 'finite for x >= 1; gradient finite for x > 1', { min: nextUp(1) }),
  unary('atanh', tf.atanh, openUnit, 'finite on (-1, 1)'),
  unary('erf', tf.erf, {}, 'finite for every finite x'),
  opInfo<{ p: { base: TensorValue; exponent: TensorValue } }>({
    name: 'pow',
    family: 'binary',
    promise: 'within 1 ULP of base^exponent, finite, for base in [1e-3, 1e3] and exponent in [-10, 10]',
    inputs: {
      p: tensors({
        dims: { n: { min: 1, max: 16 } },
        tensors: {
          base: { shape: ['n'], elements: float32({ min: 1e-3, max: 1e3 }) },
          exponent: { shape: ['n'], elements: float32({ min: -10, max: 10 }) },
        },
      }),
    },
    op: ({ p }) => tf.pow(p.base, p.exponent),
    value: matchesReference(({ p }: { p: { base: TensorValue; exponent: TensorValue } }) => ref.pow(p.base, p.exponent), 'pow'),
    gradient: {
      inputs: {
        p: tensors({
          dims: { n: { min: 1, max: 16 } },
          tensors: {
            base: { shape: ['n'], elements: float32({ min: 1e-3, max: 1e3 }) },
            exponent: { shape: ['n'], elements: float32({ min: -10, max: 10 }) },
          },
        }),
      },
      promise: 'the gradient matches the exact derivatives of base^exponent',
      value: gradientMatches<{ p: { base: TensorValue; exponent: TensorValue } }>({
        derivative: ({ p }) => {
          const d = ref.derivatives.pow(p.base, p.exponent);
          return { 'p.base': d.base!, 'p.exponent': d.exp! };
        },
        name: 'gradient matches d/d(base, exponent) pow',
      }),
    },
  }),
  opInfo<{ p: { base: TensorValue; exponent: TensorValue } }>({
    name: 'pow integer exponent',
    family: 'binary',
    promise: 'finite for any sign of base with 1e-3 <= |base| <= 1e3 and integer exponents in [-5, 5]',
    inputs: {
      p: tensors({
        dims: { n: { min: 1, max: 16 } },
        tensors: {
          base: { shape: ['n'], elements: float32({ min: -1e3, max: 1e3, exclude: (v) => Math.abs(v) < 1e-3 }) },
          exponent: { shape: ['n'], elements: integers(-5, 5) },
        },
      }),
    },
    op: ({ p }) => tf.pow(p.base, p.exponent),
  }),
  opInfo<{ p: { a: TensorValue; b: TensorValue } }>({
    name: 'atan2',
    family: 'binary',
    promise: 'finite for all finite a, b',
    inputs: {
      p: tensors({ dims: { n: { min: 1, max: 16 } }, tensors: { a: { shape: ['n'] }, b: { shape: ['n'] } } }),
    },
    op: ({ p }) => tf.atan2(p.a, p.b),
    gradient: {
      inputs: {
        p: tensors({
          dims: { n: { min: 1, max: 16 } },
          tensors: {
            a: { shape: ['n'], elements: float32({ exclude: (v) => Math.abs(v) < 1e-19 }) },
            b: { shape: ['n'], elements: float32({ exclude: (v) => Math.abs(v) < 1e-19 }) },
          },
        }),
      },
      promise: 'the gradient b/(a²+b²), -a/(a²+b²) is finite for |a|, |b| >= 1e-19 (closer to the origin the exact derivative can exceed float32)',
    },
  }),
];

export const unaryProperties = catalogProperties(unaryTable);
