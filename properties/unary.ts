/**
 * Catalog: elementwise math of one tensor. Every entry has an exact reference (src/reference:
 * elementwise.ts, math.ts) and is judged on every float32 input, huge arguments of sin/cos/tan
 * included: a correctly rounded overflow (exp(100), cosh(100) = Infinity) passes, a finite wrong
 * answer fails. `<name> special values` runs the same reference on ±Infinity, NaN, ±0 and
 * subnormals (IEEE 754 / C99 Annex F: sin(Infinity) = NaN, atanh(1) = Infinity, erf(-Infinity)
 * = -1, sign(NaN) = NaN...). Gradients are judged against the exact derivative on every input
 * too, and at special and boundary points (sqrt'(0) = Infinity, asin'(±1) = Infinity,
 * atan'(±Infinity) = 0); where the derivative does not exist (log' below 0, floor' at integers)
 * the element is not checked.
 */
import * as tf from '@tensorflow/tfjs';
import { float32, specialValues, tensor, type Float32Options, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo, type TfUnaryName } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type Derivative, type ExactTensor, type MathOpName, type OpTolerance, type UnaryOpName } from '../src/reference/index.ts';

type X = { x: TensorValue };
const SHAPE = { maxRank: 2, maxSize: 64 } as const;
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: SHAPE, elements: float32(o) }) });
/** Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values. */
const special = () => ({ x: tensor({ shape: { maxRank: 2, maxSize: 16 }, elements: specialValues() }) });

/** What src/reference knows exactly of an op of one input `x`: its value (and tolerance), and its derivative. */
export interface Exact {
  readonly value?: (x: TensorValue) => ExactTensor | readonly ExactTensor[];
  readonly tolerance?: OpTolerance;
  readonly derivative?: (x: TensorValue) => Derivative;
}

/** The exact value and derivative of an elementwise op of elementwise.ts. */
export function elementwise(name: UnaryOpName): Exact {
  return { value: ref[name], tolerance: TOLERANCES[name], derivative: ref.derivatives[name] };
}

/** The exact value and derivative of an op of math.ts, judged with the tolerance row `tolerance`. */
export function mathExact(name: MathOpName, tolerance: OpTolerance): Exact {
  const value = (v: TensorValue) => ref.applyMath(ref.MATH_OPS[name], v);
  const d = (ref.mathDerivatives as Partial<Record<MathOpName, (v: TensorValue) => Derivative>>)[name];
  return { value, tolerance, ...(d ? { derivative: d } : {}) };
}

/** The entry's checks for an op of one input x: the reference (with its tolerance) and the gradient against the derivative. */
export function exactChecks(exact: Exact | undefined) {
  return {
    ...(exact?.value && exact.tolerance ? { reference: { exact: ({ x }: X) => exact.value!(x), tolerance: exact.tolerance } } : {}),
    derivative: exact?.derivative ? ({ x }: X) => exact.derivative!(x) : undefined,
  };
}

interface UnaryOptions {
  /** Generator options of the value's inputs (default: every float32). */
  readonly inputs?: Float32Options;
  /** Generators of the gradient's inputs (default: every float32), or false for no gradient (bool outputs). */
  readonly gradient?: Float32Options | false;
  /** Runs per property (default the catalog's). */
  readonly runs?: number;
}

function unary(name: TfUnaryName, promise: string, exact: Exact, options: UnaryOptions = {}): OpInfo<X> {
  const { reference, derivative } = exactChecks(exact);
  const f: (x: tf.Tensor) => tf.Tensor = tf[name];
  const gradient = options.gradient ?? {};
  return opInfo<X>({
    name,
    family: 'unary',
    promise: `${promise}; the correctly rounded exact answer on every float32 (Infinity, NaN by definition included)`,
    inputs: x(options.inputs),
    ...(reference ? { reference, special: special() } : {}),
    op: ({ x }) => f(x),
    source: tfCall(name, '{ x }', 'x'),
    batch: 'elementwise',
    ...(gradient
      ? { gradient: { inputs: x(gradient), ...(derivative ? { derivative, special: special(), tolerance: TOLERANCES.elementwiseGradient } : {}) } }
      : {}),
    ...(options.runs ? { runs: options.runs } : {}),
  });
}

const T = TOLERANCES;
/** Ops whose exact answer is a float32 and whose properties are cheap to falsify: fewer runs. */
const CHEAP = { runs: 300 } as const;

export const unaryTable: OpInfo[] = [
  unary('exp', 'within 1 ULP of exp(x)', elementwise('exp')),
  unary('expm1', 'within 1 ULP of expm1(x)', elementwise('expm1')),
  unary('log', 'within 1 ULP of log(x)', elementwise('log')),
  unary('log1p', 'within 1 ULP of log1p(x)', elementwise('log1p')),
  unary('sqrt', 'within 1 ULP of sqrt(x)', elementwise('sqrt')),
  unary('rsqrt', 'within 1 ULP of 1/sqrt(x)', elementwise('rsqrt')),
  unary('reciprocal', 'within 1 ULP of 1/x; reciprocal(±0) = ±Infinity', mathExact('reciprocal', T.reciprocal)),
  unary('square', 'x² correctly rounded; Infinity above 1.8e19', mathExact('square', T.arithmetic)),
  unary('abs', '|x| exactly', mathExact('abs', T.exactOp), CHEAP),
  unary('neg', '-x exactly', mathExact('neg', T.exactOp), CHEAP),
  unary('sign', '-1, 0 or 1; sign(NaN) = NaN', mathExact('sign', T.exactOp), CHEAP),
  unary('sin', 'within 1 ULP of sin(x), huge arguments included; NaN at ±Infinity', mathExact('sin', T.sin)),
  unary('cos', 'within 1 ULP of cos(x), huge arguments included; NaN at ±Infinity', mathExact('cos', T.cos)),
  unary('tan', 'within 1 ULP of tan(x), huge arguments included; NaN at ±Infinity', mathExact('tan', T.tan)),
  unary('asin', 'within 1 ULP of asin(x) on [-1, 1], NaN outside', mathExact('asin', T.asin)),
  unary('acos', 'within 1 ULP of acos(x) on [-1, 1], NaN outside', mathExact('acos', T.acos)),
  unary('atan', 'within 1 ULP of atan(x); atan(±Infinity) = ±pi/2', mathExact('atan', T.atan)),
  unary('sinh', 'within 1 ULP of sinh(x); ±Infinity beyond ±89.4', mathExact('sinh', T.sinh)),
  unary('cosh', 'within 1 ULP of cosh(x); Infinity beyond ±89.4', mathExact('cosh', T.cosh)),
  unary('tanh', 'within 1 ULP of tanh(x)', elementwise('tanh')),
  unary('asinh', 'within 1 ULP of asinh(x) (asinh(3.4e38) = 89.4)', mathExact('asinh', T.asinh)),
  unary('acosh', 'within 1 ULP of acosh(x) for x >= 1, NaN below', mathExact('acosh', T.acosh)),
  unary('atanh', 'within 1 ULP of atanh(x) on (-1, 1); ±Infinity at ±1, NaN outside', mathExact('atanh', T.atanh)),
  unary('erf', 'within 1 ULP of erf(x); erf(±Infinity) = ±1', mathExact('erf', T.erf), {
    // half the tensors in erf's far tail (|x| in [3.3, 3.7], erf within 3.1e-6 of 1), where
    // approximations are least accurate (TensorFlow's is 5 ULPs off at 0.1-0.2% of the values
    // there); a fifth of the gradients where exp(-x²) is subnormal and the derivative
    // 2/sqrt(pi)·exp(-x²) is not (|x| in [9.3454, 9.3519]): flushing loses it
    inputs: { focus: { p: 0.5, at: [3.7], spread: 0.11 } },
    gradient: { focus: { p: 0.2, at: [9.3518], spread: 0.0007 } },
  }),
  unary('round', 'round half to even exactly (tfjs documents banker’s rounding)', mathExact('round', T.exactOp), CHEAP),
  unary('floor', 'floor(x) exactly', mathExact('floor', T.exactOp), CHEAP),
  unary('ceil', 'ceil(x) exactly', mathExact('ceil', T.exactOp), CHEAP),
  unary('isNaN', 'true exactly where x is NaN', mathExact('isNaN', T.exactOp), { ...CHEAP, gradient: false }),
  unary('isInf', 'true exactly where x is ±Infinity', mathExact('isInf', T.exactOp), { ...CHEAP, gradient: false }),
  unary('isFinite', 'true exactly where x is finite', mathExact('isFinite', T.exactOp), { ...CHEAP, gradient: false }),
];
