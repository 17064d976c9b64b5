/**
 * The cost of explaining a failure (src/explain): a trace of about 200 kernels on 10,000-element
 * tensors (elementwise math, broadcasting, reductions, a 100×100 matMul, softmax), recorded on the
 * cpu backend with its data, then re-run exactly and explained. Prints the recording time and the
 * explanation time (exact re-run + walk), medians of 7 rounds. Goal (issue 17): explanation under
 * 1 s. Run: `npx tsx bench/explain.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { recordKernels } from '../src/explain/provenance.ts';
import { runExact } from '../src/explain/exact.ts';
import { explainTrace } from '../src/explain/explain.ts';
import { median } from './lib.ts';

const N = 10_000;

/** ~200 kernels: 27 rounds of seven, then a matMul, softmax, and log(sum(exp(·))) that overflows. */
function subject(): tf.Tensor {
  const x0 = tf.linspace(-1, 1, N).reshape([100, 100]);
  let x = x0;
  const bias = tf.linspace(0, 0.5, 100);
  for (let i = 0; i < 27; i++) {
    x = tf.tanh(tf.add(tf.mul(x, 1.01), bias));
    x = tf.sub(x, tf.mean(x));
    x = tf.square(tf.sigmoid(x));
  }
  x = tf.matMul(x, x0);
  x = tf.softmax(x);
  return tf.log(tf.sum(tf.exp(tf.mul(x, 1e4))));
}

await tf.setBackend('cpu');
const record: number[] = [];
const explain: number[] = [];
let kernels = 0;
let elements = 0;
let text = '';
for (let round = 0; round < 7; round++) {
  let t = performance.now();
  const { result, trace } = recordKernels(() => tf.tidy(() => subject().dataSync()), 10_000, { trace: true });
  record.push(performance.now() - t);
  kernels = trace!.calls.length;
  elements = Math.max(...trace!.calls.flatMap((c) => c.outputs.map((o) => o.values.length)));
  t = performance.now();
  const ex = explainTrace(trace!, result, 0, runExact(trace!));
  explain.push(performance.now() - t);
  text = `${ex.verdict}: ${ex.text}`;
}
console.log(`explain: ${kernels} kernels, tensors up to ${elements} elements, cpu`);
console.log(`  recording with data: median ${median(record).toFixed(1)} ms`);
console.log(`  exact re-run + explanation: median ${median(explain).toFixed(1)} ms (goal < 1000 ms)`);
console.log(`  ${text}`);
