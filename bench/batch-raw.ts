/**
 * The ceiling of batched screening, without nanhunt: tf.softmax on one [B, N] tensor against B
 * calls on [N] tensors (tensor creation, the op, dataSync and dispose each), B = 1,000, per row.
 * Batched screening (src/property/batch.ts) cannot beat this ratio, and it shares the cost of
 * generating the inputs with the per-run loop it is compared with (bench/overhead.ts).
 *
 *   npx tsx bench/batch-raw.ts [cpu|wasm]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './lib.ts';
await selectBackend(process.argv[2] ?? 'cpu');
for (const N of [16, 64]) {
  const B = 1000;
  const big = new Float32Array(B * N).map(() => Math.random() * 20 - 10);
  const time = (f: () => void, reps: number) => {
    for (let i = 0; i < 3; i++) f();
    const t = performance.now();
    for (let i = 0; i < reps; i++) f();
    return (performance.now() - t) / reps;
  };
  const batched = time(() => {
    const x = tf.tensor(big, [B, N]);
    const y = tf.softmax(x);
    y.dataSync();
    x.dispose();
    y.dispose();
  }, 20);
  const single = time(() => {
    for (let b = 0; b < B; b++) {
      const x = tf.tensor(big.subarray(b * N, (b + 1) * N), [N]);
      const y = tf.softmax(x);
      y.dataSync();
      x.dispose();
      y.dispose();
    }
  }, 5);
  console.log(
    `${tf.getBackend()} N=${N}: batched ${((batched / B) * 1000).toFixed(2)} us/row, single ${((single / B) * 1000).toFixed(2)} us/row, ratio ${(single / batched).toFixed(2)}x`,
  );
}
