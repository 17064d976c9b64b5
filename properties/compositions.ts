/**
 * Catalog: compositions users write around elementwise ops, judged by their gradients.
 *
 * - `tf.where(cond, f(x), g(x))` whose untaken branch is infinite or NaN: the exact gradient is
 *   the taken branch's, finite; reverse mode multiplies the untaken branch's local derivative
 *   (1/0, 0·Infinity) by a zero upstream gradient and gets NaN. The "guarded log", the "guarded
 *   sqrt" and the hand-written softplus guarded against overflow are the classic cases. (Their
 *   conditions use tf.greaterEqual: in tfjs 4.22 only GreaterEqual of the comparisons has a
 *   registered gradient, so differentiating through tf.where(tf.greater(x, 0), ...) throws
 *   "gradient function not found for Greater" — the entry `where(x > 0, x, 0)` shows it.)
 * - maximum, minimum and squaredDifference of a matrix and a broadcast row (a learned bias, a
 *   target mean): the row's gradient is the sum over the rows.
 * - maximum/minimum of a value with itself: at a tie the two partial gradients may split the
 *   upstream gradient any way (TensorFlow gives it to the first operand, PyTorch halves it), but
 *   they must sum to it: d/dx max(x, x) = 1.
 *
 * (clipByValue at and beyond its bounds, maximum/minimum at ties, squaredDifference, divNoNan at
 * b = 0 and where's own gradient are the binary entries' gradients: properties/binary.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { float32, specialValues, tensor, tensors, type Float32Options, type TensorValue } from '../src/index.ts';
import { opInfo, tfCall, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type Derivative, type ExactTensor } from '../src/reference/index.ts';
import { ExactBuilder, KIND_NAN } from '../src/reference/exact.ts';

type X = { x: TensorValue };
const x = (o: Float32Options = {}) => ({ x: tensor({ shape: { maxRank: 2, maxSize: 64 }, elements: float32(o) }) });
const special = () => ({ x: tensor({ shape: { maxRank: 2, maxSize: 16 }, elements: specialValues() }) });

/**
 * The derivative of where(take(x), f(x), c): f' (from `taken`, an exact derivative tensor of f)
 * where the condition holds, 0 elsewhere; undefined at NaN inputs.
 */
function guarded(x: TensorValue, take: (v: number) => boolean, taken: ExactTensor): Derivative {
  const out = new ExactBuilder(x.shape, x.data.length, true);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    if (Number.isNaN(v)) out.set(i, NaN, KIND_NAN);
    else if (take(v)) {
      out.set(i, taken.values[i]!, taken.kinds[i]!);
      out.magnitude![i] = taken.magnitude?.[i] ?? Math.abs(taken.values[i]!);
      continue;
    } else out.definitional(i, 0);
    out.magnitude![i] = 0;
  }
  return { x: out.build() };
}

/** A derivative given per element by `value` (a number), else taken from `rest`; undefined at NaN inputs. */
function piecewise(x: TensorValue, value: (v: number) => number | undefined, rest?: ExactTensor): ExactTensor {
  const out = new ExactBuilder(x.shape, x.data.length, true);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    const d = Number.isNaN(v) ? NaN : value(v);
    if (d !== undefined || rest === undefined) {
      out.definitional(i, d ?? NaN);
      out.magnitude![i] = Math.abs(d ?? 0);
    } else {
      out.set(i, rest.values[i]!, rest.kinds[i]!);
      out.magnitude![i] = rest.magnitude?.[i] ?? Math.abs(rest.values[i]!);
    }
  }
  return out.build();
}

function composition(
  name: string,
  promise: string,
  gradientPromise: string,
  op: (x: tf.Tensor) => tf.Tensor,
  derivative: (x: TensorValue) => Derivative,
): OpInfo<X> {
  return opInfo<X>({
    name,
    family: 'binary',
    promise,
    inputs: x(),
    op: ({ x }) => op(x),
    source: `({ x }) => (${op.toString()})(x)`,
    gradient: {
      promise: gradientPromise,
      derivative: ({ x }) => derivative(x),
      tolerance: TOLERANCES.elementwiseGradient,
      special: special(),
    },
    runs: 300,
  });
}

type Row = { p: { x: TensorValue; row: TensorValue } };
/** A matrix and a row broadcast along it. */
const matrixAndRow = (maxSize = 64) =>
  tensors({ dims: { m: { min: 2, max: 4 }, n: { min: 1, max: 16 } }, tensors: { x: { shape: ['m', 'n'] }, row: { shape: ['n'] } }, maxSize });

function broadcastRow(name: 'maximum' | 'minimum' | 'squaredDifference'): OpInfo<Row> {
  const f = tf[name] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return opInfo<Row>({
    name: `${name}(x, row)`,
    family: 'binary',
    promise: `${name} of a matrix and a row broadcast along it`,
    inputs: { p: matrixAndRow() },
    op: ({ p }) => f(p.x, p.row),
    source: tfCall(name, '{ p }', 'p.x, p.row'),
    reference: { exact: ({ p }) => ref[name](p.x, p.row), tolerance: name === 'squaredDifference' ? TOLERANCES.arithmetic : TOLERANCES.exactOp },
    gradient: {
      promise: "the row's gradient is the sum of the elementwise derivatives over the rows",
      derivative: ({ p }) => {
        const d = ref.binaryDerivatives[name](p.x, p.row);
        return { 'p.x': d.a!, 'p.row': d.b! };
      },
      wrt: 'x, row',
      tolerance: TOLERANCES.elementwiseGradient,
    },
    runs: 100,
  });
}

export const compositionTable: OpInfo[] = [
  composition(
    'where(0 >= x, 0, log(x))',
    'the guarded log is finite on every finite x',
    'the gradient is 1/x for x > 0 and 0 elsewhere (at x = 0 too: the log branch is not taken)',
    (v) => tf.where(tf.greaterEqual(0, v), tf.zerosLike(v), tf.log(v)),
    (v) => guarded(v, (s) => s > 0, ref.reciprocal(v)),
  ),
  composition(
    'where(0 >= x, 0, sqrt(x))',
    'the guarded square root is finite on every finite x',
    'the gradient is 1/(2 sqrt(x)) for x > 0 and 0 elsewhere (the sqrt branch is not taken at x <= 0)',
    (v) => tf.where(tf.greaterEqual(0, v), tf.zerosLike(v), tf.sqrt(v)),
    (v) => guarded(v, (s) => s > 0, ref.derivatives.sqrt(v).x!),
  ),
  composition(
    'where(x >= 20, x, log1p(exp(x)))',
    'the softplus guarded against overflow is finite on every finite x',
    'the gradient is 1 for x >= 20 and sigmoid(x) below, also where the untaken exp(x) overflows (x > 88.7)',
    (v) => tf.where(tf.greaterEqual(v, 20), v, tf.log1p(tf.exp(v))),
    (v) => ({ x: piecewise(v, (t) => (t >= 20 ? 1 : undefined), ref.derivatives.softplus(v).x!) }),
  ),
  composition(
    'where(x > 0, x, 0)',
    'relu written with where is max(x, 0)',
    'the gradient is 1 for x > 0 and 0 below, in [0, 1] at 0 (needs a gradient through tf.greater)',
    (v) => tf.where(tf.greater(v, 0), v, tf.zerosLike(v)),
    (v) => ref.mathDerivatives.relu(v),
  ),
  composition(
    'maximum(x, x)',
    'max(x, x) is x',
    'the gradient is 1: at the tie the two partial gradients split the upstream gradient, they do not both take it',
    (v) => tf.maximum(v, v),
    (v) => ({ x: piecewise(v, () => 1) }),
  ),
  composition(
    'minimum(x, x)',
    'min(x, x) is x',
    'the gradient is 1: at the tie the two partial gradients split the upstream gradient, they do not both take it',
    (v) => tf.minimum(v, v),
    (v) => ({ x: piecewise(v, () => 1) }),
  ),
  broadcastRow('maximum'),
  broadcastRow('minimum'),
  broadcastRow('squaredDifference'),
];
