/**
 * Catalog: binary elementwise ops with broadcasting (same shapes, a row against a matrix, a
 * column against a row, a scalar against a vector), comparisons, logical ops, where and
 * clipByValue. Every entry has an exact reference (src/reference/binary.ts; pow in
 * elementwise.ts) judged on every float32 input and on special values, with the semantics of
 * IEEE 754 and C99 Annex F: NaN propagates through arithmetic, maximum/minimum and clipByValue;
 * pow(1, NaN) = 1, pow(x, ±0) = 1, pow(-1, ±Infinity) = 1 (tfjs's cpu kernel uses Math.pow,
 * which says NaN: a finding, tfjs documents no other convention); atan2 has C99's signed zeros
 * and infinities; comparisons with NaN are false except notEqual. Gradients are judged against
 * exact derivatives, summed over broadcast axes (an accumulation), with the subgradient interval
 * [0, 1] at ties of maximum/minimum and at the bounds of clipByValue.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
  elementwise,
  float32,
  integers,
  MIN_NORMAL,
  OVERFLOWING_SUMS,
  scalar,
  specialValues,
  tensors,
  type Elements,
  type Float32Class,
  type TensorValue,
} from '../src/index.ts';
import { opInfo, tfCall, type OpInfo, type TfFunctionName } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type Derivative, type ExactTensor, type OpTolerance } from '../src/reference/index.ts';

type Pair = { a: TensorValue; b: TensorValue };
type P = { p: Pair };

/** Booleans as a bool tensor's elements. */
export const bools: Elements = elementwise(
  'bool',
  (mrng) => mrng.nextInt(0, 1),
  (v) => v === 0 || v === 1,
  'bool',
);

/** Two operands of one of the broadcasting patterns (same shape first: it is what shrinking keeps simplest). */
export function broadcastPair<K extends string>(
  names: readonly [K, K],
  ea: Elements | fc.Arbitrary<number>,
  eb: Elements | fc.Arbitrary<number> = ea,
  maxSize = 64,
): fc.Arbitrary<Record<K, TensorValue>> {
  const [a, b] = names;
  const two = (sa: readonly (string | number)[], sb: readonly (string | number)[], dims: Record<string, { min: number; max: number }>) =>
    tensors({
      dims,
      tensors: { [a]: { shape: sa, elements: ea }, [b]: { shape: sb, elements: eb } } as Record<
        K,
        { shape: readonly (string | number)[]; elements: Elements | fc.Arbitrary<number> }
      >,
      maxSize,
    });
  return fc.oneof(
    { arbitrary: two(['n'], ['n'], { n: { min: 1, max: 16 } }), weight: 4 },
    { arbitrary: two(['m', 'n'], ['n'], { m: { min: 1, max: 4 }, n: { min: 1, max: 16 } }), weight: 2 },
    { arbitrary: two(['m', 1], [1, 'n'], { m: { min: 1, max: 8 }, n: { min: 1, max: 8 } }), weight: 1 },
    { arbitrary: two([], ['n'], { n: { min: 1, max: 16 } }), weight: 1 },
  );
}

const pair = (ea: Elements = float32(), eb: Elements = ea, maxSize = 64) => broadcastPair(['a', 'b'] as const, ea, eb, maxSize);
/** Two operands of the same shape. */
const samePair = (ea: Elements, eb: Elements = ea, maxSize = 64) =>
  tensors({ dims: { n: { min: 1, max: 16 } }, tensors: { a: { shape: ['n'], elements: ea }, b: { shape: ['n'], elements: eb } }, maxSize });
const specialPair = (ea: Elements = specialValues(), eb: Elements = ea) => pair(ea, eb, 16);

interface BinaryOptions {
  /** Elements of a and b (default float32() for both). */
  readonly elements?: readonly [Elements, Elements];
  /** Elements of the special-values property (default specialValues() for both). */
  readonly special?: readonly [Elements, Elements];
  /** Exact derivatives d/da, d/db of the summed output (keys a, b). */
  readonly derivative?: (a: TensorValue, b: TensorValue) => Derivative;
  /** Elements of the gradient's inputs (default: the entry's). */
  readonly gradient?: readonly [Elements, Elements];
  /**
   * 'same': the gradient runs on operands of the same shape only (tfjs's Maximum, Minimum and
   * SquaredDifference gradients do not sum over broadcast axes: properties/compositions.ts has
   * that finding; here the gradient's values are checked).
   */
  readonly gradientShapes?: 'same';
  readonly runs?: number;
}

function binary(
  name: string,
  fn: TfFunctionName,
  promise: string,
  exact: (a: TensorValue, b: TensorValue) => ExactTensor,
  tolerance: OpTolerance,
  options: BinaryOptions = {},
): OpInfo<P> {
  const f = tf[fn] as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  const [ea, eb] = options.elements ?? [float32(), float32()];
  const [sa, sb] = options.special ?? [specialValues(), specialValues()];
  const d = options.derivative;
  const g = options.gradient ?? [ea, eb];
  return opInfo<P>({
    name,
    family: 'binary',
    promise,
    inputs: { p: pair(ea, eb) },
    op: ({ p }) => f(p.a, p.b),
    source: tfCall(fn, '{ p }', 'p.a, p.b'),
    // operands of the same shape are screened many in one call; broadcast ones run alone
    batch: 'elementwise',
    reference: { exact: ({ p }) => exact(p.a, p.b), tolerance },
    special: { p: specialPair(sa, sb) },
    ...(d
      ? {
          gradient: {
            inputs: { p: options.gradientShapes === 'same' ? samePair(g[0], g[1]) : pair(g[0], g[1]) },
            derivative: ({ p }: P) => {
              const r = d(p.a, p.b);
              return { 'p.a': r.a!, 'p.b': r.b! };
            },
            wrt: 'a, b',
            tolerance: TOLERANCES.elementwiseGradient,
            special: { p: options.gradientShapes === 'same' ? samePair(sa, sb, 16) : specialPair(sa, sb) },
          },
        }
      : {}),
    ...(options.runs ? { runs: options.runs } : {}),
  });
}

const T = TOLERANCES;
const D = ref.binaryDerivatives;
const CHEAP = 300;

/** Exponents where pow's special cases live: integers (odd and even), halves, 0, ±Infinity and NaN. */
const exponents = specialValues({ weights: { ordinary: 6, nearOne: 2 } });
/** Bases weighted towards ±1 and ±0, where C99 and Math.pow part ways. */
const bases = specialValues({ weights: { nearOne: 4, zero: 4 } });

type Pow = { p: { base: TensorValue; exponent: TensorValue } };
const powPair = (eb: Elements | fc.Arbitrary<number>, ee: Elements | fc.Arbitrary<number>, maxSize = 64) =>
  broadcastPair(['base', 'exponent'] as const, eb, ee, maxSize);
const powDerivative = ({ p }: Pow): Derivative => {
  const d = ref.derivatives.pow(p.base, p.exponent);
  return { 'p.base': d.base!, 'p.exponent': d.exp! };
};

/** Clip bounds lo < hi. */
const bounds = (classes: readonly Float32Class[] = ['zero', 'nearOne', 'ordinary', 'powerOfTwo', 'wide']) => {
  const v = scalar(float32({ min: -1e6, max: 1e6, classes }));
  return fc
    .tuple(v, v)
    .filter(([l, h]) => l !== h)
    .map(([l, h]) => (l < h ? { lo: l, hi: h } : { lo: h, hi: l }));
};
type Clip = { x: TensorValue; bounds: { lo: number; hi: number } };
const clipX = (elements: Elements, maxSize = 64) =>
  tensors({ dims: { n: { min: 1, max: 16 } }, tensors: { x: { shape: ['n'], elements } }, maxSize }).map((t) => t.x);

type Where = { p: { condition: TensorValue; a: TensorValue; b: TensorValue } };
const whereInputs = (e: Elements, maxSize = 64) =>
  fc.oneof(
    tensors({
      dims: { n: { min: 1, max: 16 } },
      tensors: { condition: { shape: ['n'], elements: bools }, a: { shape: ['n'], elements: e }, b: { shape: ['n'], elements: e } },
      maxSize,
    }),
    tensors({
      dims: { m: { min: 1, max: 4 }, n: { min: 1, max: 16 } },
      tensors: { condition: { shape: ['m', 'n'], elements: bools }, a: { shape: ['m', 'n'], elements: e }, b: { shape: ['n'], elements: e } },
      maxSize,
    }),
  );

const compare = (name: 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual', what: string) =>
  binary(
    name,
    name,
    `${what}, exactly; IEEE comparisons: NaN compares false${name === 'notEqual' ? ' (so notEqual is true)' : ''}, -0 = +0`,
    ref[name],
    T.exactOp,
    {
      // ties matter: draw b from a small set of values a also takes
      elements: [
        float32({ classes: ['zero', 'nearOne', 'ordinary', 'maxFinite', 'subnormal'] }),
        float32({ classes: ['zero', 'nearOne', 'ordinary', 'maxFinite', 'subnormal'] }),
      ],
      runs: CHEAP,
    },
  );

const logical = (name: 'logicalAnd' | 'logicalOr' | 'logicalXor') =>
  opInfo<P>({
    name,
    family: 'binary',
    promise: `${name.slice(7).toLowerCase()} of bool tensors, exactly, with broadcasting`,
    inputs: { p: pair(bools, bools) },
    op: ({ p }) => (tf[name] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(p.a, p.b),
    source: tfCall(name, '{ p }', 'p.a, p.b'),
    reference: { exact: ({ p }) => ref[name](p.a, p.b), tolerance: T.exactOp },
    runs: 100,
  });

export const binaryTable: OpInfo[] = [
  binary('add', 'add', 'a + b correctly rounded; NaN propagates, Infinity - Infinity = NaN', ref.add, T.arithmetic, { derivative: D.add }),
  binary('sub', 'sub', 'a - b correctly rounded', ref.sub, T.arithmetic, { derivative: D.sub }),
  binary('mul', 'mul', 'a · b correctly rounded; 0 · Infinity = NaN', ref.mul, T.arithmetic, {
    derivative: D.mul,
    // the gradient of a broadcast operand sums the other's elements: one tensor in ten all about
    // ±MAX (partial sums that overflow where the exact sum does not; without, wasm's findings were
    // found by 16 of 20 seeds each)
    gradient: [float32({ focus: OVERFLOWING_SUMS }), float32({ focus: OVERFLOWING_SUMS })],
    special: [specialValues({ focus: OVERFLOWING_SUMS }), specialValues({ focus: OVERFLOWING_SUMS })],
  }),
  binary('div', 'div', 'a / b correctly rounded (kernel RealDiv); x/±0 = ±Infinity, 0/0 = NaN', ref.div, T.arithmetic, { derivative: D.div }),
  binary(
    'divNoNan',
    'divNoNan',
    'a / b correctly rounded, and 0 where b = 0 whatever a is (NaN included); its gradient exists (1/b, and 0 at b = 0 for a)',
    ref.divNoNan,
    T.arithmetic,
    {
      derivative: D.divNoNan,
    },
  ),
  // tfjs's floorDiv returns an int32 tensor (so it has no gradient to check)
  binary(
    'floorDiv',
    'floorDiv',
    'floor(a / b) exactly (also where the float64 quotient rounds onto an integer); floorDiv(1, 0) = Infinity, floorDiv(-1, Infinity) = -1, the limit',
    ref.floorDiv,
    T.exactOp,
  ),
  binary(
    'mod',
    'mod',
    'a - floor(a / b)·b, the sign of b, correctly rounded (mod(-1e-30, 1) = 1); mod(x, 0) = NaN; mod(-1, Infinity) = Infinity, the limit',
    ref.mod,
    T.arithmetic,
    {
      derivative: D.mod,
    },
  ),
  opInfo<Pow>({
    name: 'pow',
    family: 'binary',
    promise:
      'within 1 ULP of base^exponent on every float32 pair; C99 Annex F at special values (pow(1, NaN) = 1, pow(x, ±0) = 1, pow(-1, ±Infinity) = 1, pow(±0, -1) = ±Infinity, pow(-8, 1/3) = NaN)',
    inputs: { p: powPair(float32(), float32()) },
    op: ({ p }) => tf.pow(p.base, p.exponent),
    source: tfCall('pow', '{ p }', 'p.base, p.exponent'),
    reference: { exact: ({ p }) => ref.pow(p.base, p.exponent), tolerance: T.pow },
    special: { p: powPair(bases, exponents, 16) },
    gradient: {
      inputs: { p: powPair(float32({ min: 1e-3, max: 1e3 }), float32({ min: -10, max: 10 })) },
      promise: 'the gradient matches the exact derivatives of base^exponent',
      derivative: powDerivative,
      wrt: 'base, exponent',
      tolerance: T.elementwiseGradient,
      // at base 0 and ±1, exponents 0, 1, 2, 1/2, -1: pow(0, 0)' is 0 (the function is constant 1 in the base)
      special: {
        p: powPair(specialValues({ min: -4, max: 4, weights: { zero: 6, nearOne: 4 } }), fc.constantFrom(-2, -1, -0.5, 0, 0.5, 1, 2, 3), 16),
      },
    },
  }),
  opInfo<Pow>({
    name: 'pow integer exponent',
    family: 'binary',
    promise: 'within 1 ULP of base^n for any sign of base and integer n in [-5, 5] (pow(-2, 3) = -8, pow(0, -2) = Infinity)',
    inputs: { p: powPair(float32(), integers(-5, 5)) },
    op: ({ p }) => tf.pow(p.base, p.exponent),
    source: tfCall('pow', '{ p }', 'p.base, p.exponent'),
    reference: { exact: ({ p }) => ref.pow(p.base, p.exponent), tolerance: T.pow },
  }),
  binary(
    'atan2',
    'atan2',
    'within 1 ULP of atan2(a, b); C99 at zeros and infinities (atan2(±0, -0) = ±pi, atan2(±Infinity, -Infinity) = ±3pi/4)',
    ref.atan2,
    T.atan2,
    { derivative: D.atan2 },
  ),
  binary('maximum', 'maximum', 'max(a, b) exactly; NaN propagates (IEEE 754-2019 maximum)', ref.maximum, T.exactOp, {
    derivative: D.maximum,
    gradientShapes: 'same',
  }),
  binary('minimum', 'minimum', 'min(a, b) exactly; NaN propagates (IEEE 754-2019 minimum)', ref.minimum, T.exactOp, {
    derivative: D.minimum,
    gradientShapes: 'same',
  }),
  binary('squaredDifference', 'squaredDifference', '(a - b)² within 1 ULP; Infinity beyond 1.8e19 apart', ref.squaredDifference, T.arithmetic, {
    derivative: D.squaredDifference,
    gradientShapes: 'same',
  }),
  compare('equal', 'a = b'),
  compare('notEqual', 'a != b'),
  compare('less', 'a < b'),
  compare('lessEqual', 'a <= b'),
  compare('greater', 'a > b'),
  compare('greaterEqual', 'a >= b'),
  logical('logicalAnd'),
  logical('logicalOr'),
  logical('logicalXor'),
  opInfo<{ a: TensorValue }>({
    name: 'logicalNot',
    family: 'unary',
    promise: 'not of a bool tensor, exactly',
    inputs: { a: tensors({ dims: { n: { min: 1, max: 16 } }, tensors: { a: { shape: ['n'], elements: bools } } }).map((t) => t.a) },
    op: ({ a }) => tf.logicalNot(a),
    source: tfCall('logicalNot', '{ a }', 'a'),
    reference: { exact: ({ a }) => ref.logicalNot(a), tolerance: T.exactOp },
    runs: 100,
  }),
  opInfo<Where>({
    name: 'where',
    family: 'binary',
    promise: 'a where the condition holds, else b, exactly (kernel Select; b broadcast along rows); the untaken branch never leaks, NaN and Infinity included',
    inputs: { p: whereInputs(float32()) },
    op: ({ p }) => tf.where(p.condition, p.a, p.b),
    source: tfCall('where', '{ p }', 'p.condition, p.a, p.b'),
    reference: { exact: ({ p }) => ref.where(p.condition, p.a, p.b), tolerance: T.exactOp },
    special: { p: whereInputs(specialValues(), 16) },
    gradient: {
      promise: 'the gradient is the condition for a and its negation for b (summed where b is broadcast), whatever the untaken values are',
      derivative: ({ p }) => {
        const d = ref.whereDerivative(p.condition, p.a, p.b);
        return { 'p.a': d.a!, 'p.b': d.b! };
      },
      wrt: 'a, b',
      tolerance: T.elementwiseGradient,
      special: { p: whereInputs(specialValues(), 16) },
    },
    runs: CHEAP,
  }),
  opInfo<Clip>({
    name: 'clipByValue',
    family: 'binary',
    promise: 'min(max(x, lo), hi) exactly for lo < hi; NaN stays NaN',
    inputs: { x: clipX(float32()), bounds: bounds() },
    op: ({ x, bounds: { lo, hi } }) => tf.clipByValue(x, lo, hi),
    source: '({ x, bounds }) => tf.clipByValue(x, bounds.lo, bounds.hi)',
    reference: { exact: ({ x, bounds: { lo, hi } }) => ref.clipByValue(x, lo, hi), tolerance: T.exactOp },
    special: { x: clipX(specialValues(), 16), bounds: bounds() },
    gradient: {
      // bounds and x among subnormals too (one x in five all subnormal): where a backend that reads
      // subnormals as 0 sees lo = hi and x inside
      inputs: {
        x: clipX(float32({ min: -2e6, max: 2e6, focus: { p: 0.2, at: [MIN_NORMAL] } })),
        bounds: bounds(['zero', 'nearOne', 'ordinary', 'powerOfTwo', 'wide', 'subnormal']),
      },
      promise: 'the gradient is 1 inside (lo, hi), 0 outside, and in [0, 1] at the bounds',
      derivative: ({ x, bounds: { lo, hi } }) => ref.clipByValueDerivative(x, lo, hi),
      tolerance: T.elementwiseGradient,
      special: { x: clipX(specialValues(), 16), bounds: bounds() },
    },
    runs: CHEAP,
  }),
  opInfo<{ x: TensorValue; c: number }>({
    name: 'clipByValue lo = hi',
    family: 'binary',
    promise: 'clipping to [c, c] gives c, and NaN stays NaN',
    inputs: { x: clipX(float32()), c: scalar(float32({ min: -1e6, max: 1e6 })) },
    op: ({ x, c }) => tf.clipByValue(x, c, c),
    source: '({ x, c }) => tf.clipByValue(x, c, c)',
    reference: { exact: ({ x, c }) => ref.clipByValue(x, c, c), tolerance: T.exactOp },
    special: { x: clipX(specialValues(), 16), c: scalar(float32({ min: -1e6, max: 1e6 })) },
    runs: 100,
  }),
];
