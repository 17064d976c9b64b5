/**
 * Catalog: linear algebra and the ops layers are built from. Element bounds keep every exact
 * product and sum inside float32.
 */
import * as tf from '@tensorflow/tfjs';
import { float32, structured, tensors, type TensorValue } from '../src/index.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES } from '../src/reference/index.ts';

const big = (m: number) => float32({ min: -m, max: m });
const dim = (max: number) => ({ min: 1, max });

type T<K extends string> = { t: Record<K, TensorValue> };

export const linalgTable: OpInfo[] = [
  opInfo<T<'a' | 'b'>>({
    name: 'matMul',
    family: 'linalg',
    promise: 'the exact product within its tolerance, finite, for |a|, |b| <= 1e18 (products <= 1e36, at most 8 terms per sum)',
    inputs: {
      t: tensors({
        dims: { m: dim(6), k: dim(8), n: dim(6) },
        tensors: { a: { shape: ['m', 'k'], elements: big(1e18) }, b: { shape: ['k', 'n'], elements: big(1e18) } },
      }),
    },
    op: ({ t }) => tf.matMul(t.a, t.b),
    reference: { exact: ({ t }) => ref.matMul(t.a, t.b), tolerance: TOLERANCES.matMul },
    // one long dot product: a row times a column
    large: { inputs: { t: structured(['a', 'b'], { shapes: { a: (n) => [1, n], b: (n) => [n, 1] } }) } },
    gradient: {
      inputs: {
        t: tensors({
          dims: { m: dim(6), k: dim(8), n: dim(6) },
          tensors: { a: { shape: ['m', 'k'], elements: big(1e18) }, b: { shape: ['k', 'n'], elements: big(1e18) } },
        }),
      },
      promise: 'the gradients match the exact derivatives (row sums of b, column sums of a)',
      derivative: ({ t }) => {
        const d = ref.derivatives.matMul(t.a, t.b);
        return { 't.a': d.a!, 't.b': d.b! };
      },
      wrt: 'a, b',
    },
  }),
  opInfo<T<'a' | 'b'>>({
    name: 'dot',
    family: 'linalg',
    promise: 'finite for vectors with |a|, |b| <= 1e18 (at most 16 terms)',
    inputs: { t: tensors({ dims: { k: dim(16) }, tensors: { a: { shape: ['k'], elements: big(1e18) }, b: { shape: ['k'], elements: big(1e18) } } }) },
    op: ({ t }) => tf.dot(t.a, t.b),
    gradient: true,
  }),
  opInfo<T<'x' | 'f'>>({
    name: 'conv1d',
    family: 'layer',
    promise: 'finite for |x|, |filter| <= 1e18 (at most 3·4 terms per output)',
    inputs: {
      t: tensors({
        dims: { b: dim(2), w: { min: 3, max: 8 }, cin: dim(4), cout: dim(3) },
        tensors: { x: { shape: ['b', 'w', 'cin'], elements: big(1e18) }, f: { shape: [3, 'cin', 'cout'], elements: big(1e18) } },
      }),
    },
    op: ({ t }) => tf.conv1d(t.x as tf.Tensor3D, t.f as tf.Tensor3D, 1, 'same'),
    gradient: true,
  }),
  opInfo<T<'x' | 'f'>>({
    name: 'conv2d',
    family: 'layer',
    promise: 'finite for |x|, |filter| <= 1e18 (at most 2·2·3 terms per output)',
    inputs: {
      t: tensors({
        dims: { b: dim(2), h: { min: 2, max: 5 }, w: { min: 2, max: 5 }, cin: dim(3), cout: dim(3) },
        tensors: { x: { shape: ['b', 'h', 'w', 'cin'], elements: big(1e18) }, f: { shape: [2, 2, 'cin', 'cout'], elements: big(1e18) } },
      }),
    },
    op: ({ t }) => tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 1, 'valid'),
    gradient: true,
  }),
  opInfo<T<'x' | 'mean' | 'variance' | 'offset' | 'scale'>>({
    name: 'batchNorm',
    family: 'layer',
    promise: 'finite for |x|, |mean|, |offset|, |scale| <= 1e15 and variance in [0, 1e30] (epsilon 0.001)',
    inputs: {
      t: tensors({
        dims: { n: dim(4), c: dim(6) },
        tensors: {
          x: { shape: ['n', 'c'], elements: big(1e15) },
          mean: { shape: ['c'], elements: big(1e15) },
          variance: { shape: ['c'], elements: float32({ min: 0, max: 1e30 }) },
          offset: { shape: ['c'], elements: big(1e15) },
          scale: { shape: ['c'], elements: big(1e15) },
        },
      }),
    },
    op: ({ t }) => tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 0.001),
    gradient: true,
  }),
  opInfo<T<'x'>>({
    name: 'localResponseNormalization',
    family: 'layer',
    promise: 'finite for |x| <= 1e15 (depth radius 2, bias 1, alpha 1, beta 0.5)',
    inputs: { t: tensors({ dims: { h: dim(3), w: dim(3), c: dim(6) }, tensors: { x: { shape: [1, 'h', 'w', 'c'], elements: big(1e15) } } }) },
    op: ({ t }) => tf.localResponseNormalization(t.x as tf.Tensor4D, 2, 1, 1, 0.5),
    gradient: true,
  }),
];
