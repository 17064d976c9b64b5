/**
 * Optimizers of a training run and what happens to a gradient before the optimizer sees it:
 * scaling (as float32 multiplications), then Keras-style clipping (clipnorm per tensor, clipvalue
 * per element). The same text is produced for repro scripts, so a script does what the run did.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from './config.ts';

/** The tfjs call that makes the optimizer, e.g. `tf.train.adam(0.001, 0.9, 0.999, 1e-7)`. */
export function optimizerSource(spec: OptimizerSpec): string {
  const lr = num(spec.learningRate);
  const eps = spec.epsilon === undefined ? 'undefined' : num(spec.epsilon);
  switch (spec.name) {
    case 'sgd':
      return `tf.train.sgd(${lr})`;
    case 'momentum':
      return `tf.train.momentum(${lr}, ${num(spec.momentum ?? 0.9)})`;
    case 'adam':
      return `tf.train.adam(${lr}, 0.9, 0.999, ${eps})`;
    case 'rmsprop':
      return `tf.train.rmsprop(${lr}, 0.9, 0, ${eps})`;
    case 'adagrad':
      return `tf.train.adagrad(${lr})`;
    case 'adadelta':
      return `tf.train.adadelta(${lr}, 0.95, ${eps})`;
  }
}

function num(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** A new optimizer for the spec. The caller disposes it. */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const lr = spec.learningRate;
  const eps = spec.epsilon;
  switch (spec.name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, spec.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(lr, 0.9, 0.999, eps);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, 0, eps);
    case 'adagrad':
      return tf.train.adagrad(lr);
    case 'adadelta':
      return tf.train.adadelta(lr, 0.95, eps);
  }
}

/**
 * Dispose an optimizer completely. tfjs 4.22's MomentumOptimizer.dispose() forgets its parent
 * SGDOptimizer's learning-rate scalar (`c`), one leaked tensor per optimizer; dispose it here.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (optimizer instanceof tf.MomentumOptimizer && c && !c.isDisposed) c.dispose();
}

/**
 * Float32 factors whose product is `scale`: one factor when scale is a normal float32, else
 * several (1e-50 = 1e-25 * 1e-25), so a tiny scale underflows in the tensor, not in the constant.
 */
export function scaleFactors(scale: number): number[] {
  if (scale === 1) return [];
  if (!Number.isFinite(scale) || scale === 0) return [scale];
  const mag = Math.abs(scale);
  if (mag >= 1e-37 && mag <= 1e37) return [scale];
  const parts = Math.ceil(Math.abs(Math.log10(mag)) / 30);
  const each = Math.sign(scale) * mag ** (1 / parts);
  return [each, ...Array.from({ length: parts - 1 }, () => Math.abs(each))];
}

/** Scale then clip one gradient tensor (returns a new tensor, or the same one when nothing applies). */
export function prepareGradient(g: tf.Tensor, spec: OptimizerSpec, scale: number): tf.Tensor {
  let out = g;
  for (const f of scaleFactors(scale)) out = tf.mul(out, f);
  if (spec.clipnorm !== undefined) {
    const c = spec.clipnorm;
    const norm = tf.sqrt(tf.sum(tf.square(out)));
    out = tf.mul(out, tf.div(c, tf.maximum(norm, c)));
  }
  if (spec.clipvalue !== undefined) out = tf.clipByValue(out, -spec.clipvalue, spec.clipvalue);
  return out;
}

/** The same steps as text for repro scripts (`g` is the gradient variable), or '' when none apply. */
export function prepareGradientSource(spec: OptimizerSpec, scale: number): string {
  const lines: string[] = [];
  for (const f of scaleFactors(scale)) lines.push(`g = tf.mul(g, ${num(f)});`);
  if (spec.clipnorm !== undefined) {
    lines.push(`g = tf.mul(g, tf.div(${num(spec.clipnorm)}, tf.maximum(tf.sqrt(tf.sum(tf.square(g))), ${num(spec.clipnorm)}))); // clipnorm`);
  }
  if (spec.clipvalue !== undefined) lines.push(`g = tf.clipByValue(g, ${num(-spec.clipvalue)}, ${num(spec.clipvalue)}); // clipvalue`);
  return lines.join(' ');
}
