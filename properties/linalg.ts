/**
 * Catalog: linear algebra. Every output element is an exact sum of products, judged on every
 * float32 input within the error of a good float32 accumulation (ACCUMULATION): exact
 * cancellation is never a finding, a naive float32 accumulation over thousands of terms is (the
 * `large` properties multiply one long row by one long column).
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import { float32, MAX_FLOAT32, specialValues, structured, tensors, UNDERFLOWING_SUMS, type TensorValue } from '../src/index.ts';
import type { Elements } from '../src/generate/elements.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import * as linalg from '../src/reference/linalg.ts';
import { TOLERANCES } from '../src/reference/index.ts';

const dim = (max: number) => ({ min: 1, max });

/**
 * Long products for the `large` properties: a naive accumulation drifts when its partial sums
 * round the same way again and again, that is with constant or alternating operands (periodic
 * block sums) and a length past about 1e5; favour both (constant three times, alternating twice
 * as often as ramp or uniform, at least 6e4 terms) so that every seed meets the drift in its 30 runs.
 */
const LONG_PRODUCTS = {
  size: { min: 60_000, max: 1_000_000 },
  patterns: ['constant', 'constant', 'constant', 'alternating', 'alternating', 'ramp', 'uniform'],
} as const;

type T<K extends string> = { t: Record<K, TensorValue> };

/** a [..., m, k] and b [..., k, n] (shapes with transposes and batch dimensions as asked). */
function matmulInputs(elements: Elements, o: { transposeA?: boolean; transposeB?: boolean; batch?: boolean } = {}) {
  const aShape = o.transposeA ? ['k', 'm'] : ['m', 'k'];
  const bShape = o.transposeB ? ['n', 'k'] : ['k', 'n'];
  return {
    t: tensors({
      dims: { m: dim(5), k: dim(8), n: dim(5), batch: { min: 1, max: 3 } },
      tensors: {
        // batched: a has the batch dimension, b is broadcast over it
        a: { shape: o.batch ? ['batch', ...aShape] : aShape, elements },
        b: { shape: o.batch ? [1, ...bShape] : bShape, elements },
      },
    }),
  };
}

function matMulEntry(name: string, transposeA: boolean, transposeB: boolean, batch: boolean, large: boolean): OpInfo {
  const shape = { transposeA, transposeB, batch };
  return opInfo<T<'a' | 'b'>>({
    name,
    family: 'linalg',
    promise: `the exact product${batch ? ' (b broadcast over the batch)' : ''}${transposeA || transposeB ? ` with ${[transposeA ? 'transposeA' : '', transposeB ? 'transposeB' : ''].filter(Boolean).join(' and ')}` : ''} within ACCUMULATION, for every float32 a and b (Infinity only where the exact sum overflows)`,
    inputs: matmulInputs(float32(), shape),
    special: matmulInputs(specialValues(), shape),
    op: ({ t }) => tf.matMul(t.a, t.b, transposeA, transposeB),
    source: `({ t }) => tf.matMul(t.a, t.b, ${transposeA}, ${transposeB})`,
    reference: { exact: ({ t }) => ref.matMul(t.a, t.b, transposeA, transposeB), tolerance: TOLERANCES.matMul },
    // one long dot product: a row times a column
    ...(large ? { large: { inputs: { t: structured(['a', 'b'], { ...LONG_PRODUCTS, shapes: { a: (n) => [1, n], b: (n) => [n, 1] } }) } } } : {}),
    gradient: {
      // one tensor in five at the bottom of the normal range: row and column sums that pass through subnormals
      inputs: matmulInputs(float32({ min: -1e18, max: 1e18, focus: UNDERFLOWING_SUMS }), shape),
      promise: 'the gradients match the exact derivatives (row sums of b, column sums of a) within ACCUMULATION',
      derivative: ({ t }) => {
        const d = linalg.batchMatMulDerivative(t.a, t.b, transposeA, transposeB);
        return { 't.a': d.a, 't.b': d.b };
      },
      wrt: 'a, b',
    },
  }) as OpInfo;
}

/**
 * a [m, k], b [k, n], bias [n] for fused.matMul; `overflowing`: a about ±3.4e38, b about ±2 and
 * the bias about ±3.4e38, so that a·b overflows where a·b + bias does not (one case in ten: the
 * three tensors must meet this zone together, which independent draws rarely do).
 */
const fusedInputs = (overflowing = false) =>
  tensors({
    dims: { m: dim(5), k: dim(8), n: dim(5) },
    tensors: overflowing
      ? {
          a: { shape: ['m', 'k'], elements: float32({ focus: { p: 1, at: [MAX_FLOAT32] } }) },
          b: { shape: ['k', 'n'], elements: float32({ focus: { p: 1, at: [2] } }) },
          bias: { shape: ['n'], elements: float32({ focus: { p: 1, at: [MAX_FLOAT32] } }) },
        }
      : { a: { shape: ['m', 'k'] }, b: { shape: ['k', 'n'] }, bias: { shape: ['n'] } },
  });

const dotInputs = (elements: Elements) => ({
  t: tensors({ dims: { m: dim(4), k: dim(16) }, tensors: { a: { shape: ['m', 'k'], elements }, b: { shape: ['k'], elements } } }),
});

export const linalgTable: OpInfo[] = [
  matMulEntry('matMul', false, false, false, true),
  matMulEntry('matMul transposeA transposeB', true, true, false, false),
  matMulEntry('matMul batched', false, true, true, false),
  opInfo<T<'a' | 'b'>>({
    name: 'dot',
    family: 'linalg',
    promise: 'matrix times vector, exact within ACCUMULATION for every float32 a and b',
    inputs: dotInputs(float32()),
    special: dotInputs(specialValues()),
    op: ({ t }) => tf.dot(t.a, t.b),
    source: '({ t }) => tf.dot(t.a, t.b)',
    reference: { exact: ({ t }) => linalg.dot(t.a, t.b), tolerance: TOLERANCES.matMul },
    large: { inputs: { t: structured(['a', 'b'], { ...LONG_PRODUCTS, shapes: { a: (n) => [1, n], b: (n) => [n] } }) } },
    gradient: {
      inputs: dotInputs(float32({ min: -1e18, max: 1e18 })),
      promise: 'the gradients are the exact sums of the other operand within ACCUMULATION',
      derivative: ({ t }) => {
        const d = linalg.dotDerivative(t.a, t.b);
        return { 't.a': d.a, 't.b': d.b };
      },
      wrt: 'a, b',
    },
  }) as OpInfo,
  opInfo<T<'a' | 'b'>>({
    name: 'einsum ij,jk->ik',
    family: 'linalg',
    promise: 'the exact matrix product within ACCUMULATION for every float32 a and b (tfjs registers no gradient for Einsum)',
    inputs: matmulInputs(float32()),
    special: matmulInputs(specialValues()),
    op: ({ t }) => tf.einsum('ij,jk->ik', t.a, t.b),
    source: "({ t }) => tf.einsum('ij,jk->ik', t.a, t.b)",
    reference: { exact: ({ t }) => ref.matMul(t.a, t.b), tolerance: TOLERANCES.matMul },
    runs: 300,
  }) as OpInfo,
  opInfo<T<'a' | 'b' | 'bias'>>({
    name: 'fused.matMul bias relu',
    family: 'linalg',
    promise: 'relu(a·b + bias), the exact sum of products and bias within ACCUMULATION, for every float32 input',
    inputs: { t: fc.oneof({ arbitrary: fusedInputs(), weight: 9 }, { arbitrary: fusedInputs(true), weight: 1 }) },
    op: ({ t }) => tf.fused.matMul({ a: t.a, b: t.b, bias: t.bias, activation: 'relu' }),
    source: "({ t }) => tf.fused.matMul({ a: t.a, b: t.b, bias: t.bias, activation: 'relu' })",
    reference: {
      exact: ({ t }) => {
        // a·b with the bias as one more term of each sum: [a | 1] · [b ; bias]
        const [m, k] = t.a.shape as [number, number];
        const n = t.b.shape[1]!;
        const a1 = new Float32Array(m * (k + 1));
        for (let i = 0; i < m; i++) {
          a1.set(t.a.data.subarray(i * k, i * k + k) as Float32Array, i * (k + 1));
          a1[i * (k + 1) + k] = 1;
        }
        const b1 = new Float32Array((k + 1) * n);
        b1.set(t.b.data as Float32Array);
        b1.set(t.bias.data as Float32Array, k * n);
        const s = ref.matMul({ shape: [m, k + 1], data: a1 }, { shape: [k + 1, n], data: b1 });
        // relu of the exact value (max(0, ·) commutes with rounding); NaN stays NaN
        return { ...s, values: s.values.map((v) => (v < 0 ? 0 : v)), kinds: s.kinds.map((kd, i) => (s.values[i] === -Infinity ? 0 : kd)) };
      },
      tolerance: TOLERANCES.matMul,
    },
    runs: 300,
  }) as OpInfo,
];
