/**
 * Worst float32 ULP error of TensorFlow's elementwise kernels (the node backend, @tensorflow/tfjs-node)
 * against float64 math rounded once, on inputs and results that are normal numbers (subnormals are
 * TensorFlow's flush-to-zero convention, judged apart). The evidence of the `node` rows of
 * src/reference/tolerances.ts.
 *
 *   npm run setup:node && npx tsx bench/node-elementwise.ts
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/run/backend.ts';
import { ulpDistance } from '../src/core/float32.ts';
await useBackend('node');
const N = 40000;
const xs = new Float32Array(N);
let s = 12345;
const rnd = () => {
  s = (s * 1103515245 + 12345) % 2 ** 31;
  return s / 2 ** 31;
};
for (let i = 0; i < N; i++) xs[i] = (rnd() < 0.5 ? -1 : 1) * Math.exp((rnd() * 2 - 1) * 90 * (rnd() < 0.5 ? 1 : 0.05));
const sig = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const ops: [string, (t: tf.Tensor) => tf.Tensor, (x: number) => number][] = [
  ['exp', tf.exp, Math.exp],
  ['expm1', tf.expm1, Math.expm1],
  ['log', tf.log, Math.log],
  ['log1p', tf.log1p, Math.log1p],
  ['sqrt', tf.sqrt, Math.sqrt],
  ['rsqrt', tf.rsqrt, (x) => 1 / Math.sqrt(x)],
  ['sigmoid', tf.sigmoid, sig],
  ['tanh', tf.tanh, Math.tanh],
  ['sin', tf.sin, Math.sin],
  ['cos', tf.cos, Math.cos],
  ['sinh', tf.sinh, Math.sinh],
  ['cosh', tf.cosh, Math.cosh],
  ['asinh', tf.asinh, Math.asinh],
  ['atan', tf.atan, Math.atan],
  ['softplus', tf.softplus, (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))],
];
const MIN = 2 ** -126;
for (const [name, f, ref] of ops) {
  const x = tf.tensor1d(xs);
  const y = f(x);
  const got = y.dataSync();
  let worst = 0,
    at = 0,
    n = 0;
  for (let i = 0; i < N; i++) {
    const e = ref(xs[i]!);
    if (!Number.isFinite(e) || Math.abs(xs[i]!) < MIN || Math.abs(Math.fround(e)) < MIN) continue;
    if (Math.abs(Math.fround(e)) > 3.4e38) continue;
    n++;
    const u = ulpDistance(got[i]!, e);
    if (u > worst) {
      worst = u;
      at = xs[i]!;
    }
  }
  console.log(name.padEnd(10), 'worst ulps', worst, 'at x =', at, `(${n} inputs, normal in and out)`);
  tf.dispose([x, y]);
}
