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
  specialValues,
  nextUp,
  tensor,
  tensors,
  type Float32Options,
  type TensorValue,
} from '../src/index.ts';
import { opInfo, tfCall, type OpInfo, type TfUnaryName } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type Derivative, type ExactTensor, type OpTolerance, type UnaryOpName } from '../src/reference/index.ts';

type X = { x: TensorValue };
const SHAPE = { maxRank: 2, maxSize: 64 } as const;
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: SHAPE, elements: float32(o) }) });
/** Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values. */
const special = () => ({ x: tensor({ shape: { maxRank: 2, maxSize: 16 }, elements: specialValues() }) });
/** ln(2 · MAX_FLOAT32): sinh and cosh overflow beyond it. */
const SINH_EDGE = Math.fround(89.41598);
const openUnit = { min: -1, max: 1, exclude: [-1, 1] };

/** What src/reference knows exactly of an op of one input `x`: its value (and tolerance), and its derivative. */
export interface Exact {
  readonly value?: (x: TensorValue) => ExactTensor | readonly ExactTensor[];
  readonly tolerance?: OpTolerance;
  readonly derivative?: (x: TensorValue) => Derivative;
}

/** The exact value and derivative of an elementwise op src/reference implements. */
export function elementwise(name: UnaryOpName): Exact {
  return { value: ref[name], tolerance: TOLERANCES[name], derivative: ref.derivatives[name] };
}

/** The entry's checks for an op of one input x: the reference (with its tolerance) and the gradient against the derivative. */
export function exactChecks(exact: Exact | undefined) {
  return {
    ...(exact?.value && exact.tolerance ? { reference: { exact: ({ x }: X) => exact.value!(x), tolerance: exact.tolerance } } : {}),
    derivative: exact?.derivative ? ({ x }: X) => exact.derivative!(x) : undefined,
  };
}

function unary(name: TfUnaryName, domain: Float32Options, promise: string, gradient: Float32Options | false = domain, exact?: Exact): OpInfo<X> {
  const { reference, derivative } = exactChecks(exact);
  const f: (x: tf.Tensor) => tf.Tensor = tf[name];
  return opInfo<X>({
    name,
    family: 'unary',
    promise: reference ? `${promise}; elsewhere, the correctly rounded exact answer (Infinity, NaN by definition included)` : promise,
    // with a reference, every finite input has a verdict: Infinity where the exact answer overflows is correct
    inputs: x(reference ? {} : domain),
    ...(reference ? { reference, special: special() } : {}),
    op: ({ x }) => f(x),
    source: tfCall(name, '{ x }', 'x'),
    ...(gradient ? { gradient: { inputs: x(gradient), ...(derivative ? { derivative } : {}) } } : {}),
  });
}

export const unaryTable: OpInfo[] = [
  unary('exp', { max: EXP_OVERFLOW_EDGE }, 'within 1 ULP of exp(x), finite for x <= 88.72', undefined, elementwise('exp')),
  unary('expm1', { max: EXP_OVERFLOW_EDGE }, 'within 1 ULP of expm1(x), finite for x <= 88.72', undefined, elementwise('expm1')),
  unary('log', { min: MIN_SUBNORMAL }, 'within 1 ULP of log(x), finite for x > 0 (subnormals included)', { min: MIN_NORMAL }, elementwise('log')),
  unary('log1p', { min: nextUp(-1) }, 'within 1 ULP of log1p(x), finite for x > -1', { min: nextUp(-1) }, elementwise('log1p')),
  unary('sqrt', { min: 0 }, 'within 1 ULP of sqrt(x), finite for x >= 0; gradient finite for x > 0', { min: MIN_SUBNORMAL }, elementwise('sqrt')),
  unary('rsqrt', { min: MIN_SUBNORMAL }, 'within 1 ULP of 1/sqrt(x), finite for x > 0; gradient finite for x >= 1e-25', { min: 1e-25 }, elementwise('rsqrt')),
  unary('reciprocal', { exclude: (v) => Math.abs(v) < 1 / MAX_FLOAT32 }, 'finite for |x| >= 2.9e-39; gradient finite for |x| >= 1e-19', {
    exclude: (v) => Math.abs(v) < 1e-19,
  }),
  unary('square', { min: -SQUARE_OVERFLOW_EDGE, max: SQUARE_OVERFLOW_EDGE }, 'finite for |x| <= 1.84e19'),
  unary('abs', {}, 'finite for every finite x'),
  unary('sin', {}, 'finite for every finite x'),
  unary('cos', {}, 'finite for every finite x'),
  unary('tan', {}, 'finite for every finite x (no float32 is exactly pi/2)'),
  unary('asin', { min: -1, max: 1 }, 'finite on [-1, 1]; gradient finite on (-1, 1)', openUnit),
  unary('acos', { min: -1, max: 1 }, 'finite on [-1, 1]; gradient finite on (-1, 1)', openUnit),
  unary('atan', {}, 'finite for every finite x'),
  unary('sinh', { min: -SINH_EDGE, max: SINH_EDGE }, 'finite for |x| <= 89.41'),
  unary('cosh', { min: -SINH_EDGE, max: SINH_EDGE }, 'finite for |x| <= 89.41'),
  unary('tanh', {}, 'within 1 ULP of tanh(x) for every finite x', {}, elementwise('tanh')),
  unary('asinh', {}, 'finite for every finite x (asinh(3.4e38) = 89.4)'),
  unary('acosh', { min: 1 }, 'finite for x >= 1; gradient finite for x > 1', { min: nextUp(1) }),
  unary('atanh', openUnit, 'finite on (-1, 1)'),
  unary('erf', {}, 'finite for every finite x'),
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
    reference: { exact: ({ p }) => ref.pow(p.base, p.exponent), tolerance: TOLERANCES.pow },
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
      derivative: ({ p }) => {
        const d = ref.derivatives.pow(p.base, p.exponent);
        return { 'p.base': d.base!, 'p.exponent': d.exp! };
      },
      wrt: 'base, exponent',
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
