/**
 * Real tfjs-layers training runs that go non-finite on their own (fixed seeds: seeded initializers
 * and data, shuffle off), for the guard's tests and benchmark:
 * - a ReLU MLP whose learning rate makes it diverge: the loss overflows after 20 steps;
 * - a logistic model trained with a naive hand-written BCE (log of a saturating sigmoid) and Adam:
 *   the logits grow until sigmoid rounds to 1 and 0 * log(0) is NaN;
 * - a batch with one NaN feature, late in the data;
 * - a sqrt loss whose gradient is infinite where a residual is exactly 0: the weights go NaN while
 *   the loss is still finite (the guard sees it one step later and captures the step before).
 */
import * as tf from '@tensorflow/tfjs';

export interface Scenario {
  readonly name: string;
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly fit: { epochs: number; batchSize: number };
  dispose(): void;
}

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

function scenario(name: string, model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, fit: Scenario['fit']): Scenario {
  return {
    name,
    model,
    x,
    y,
    fit,
    dispose() {
      const opt = model.optimizer;
      model.dispose();
      opt?.dispose();
      const c = (opt as unknown as { c?: tf.Tensor } | undefined)?.c;
      if (c && !c.isDisposed) c.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/** ReLU MLP, SGD with learning rate 5 on data in [-3, 3]: the weights grow geometrically; the squared error overflows at step 21. */
export function divergingMlp(): Scenario {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(5), loss: 'meanSquaredError' });
  const x = tf.randomUniform([64, 4], -3, 3, 'float32', 7);
  const y = tf.randomUniform([64, 1], -3, 3, 'float32', 8);
  return scenario('diverging ReLU MLP', model, x, y, { epochs: 50, batchSize: 16 });
}

/** The hand-written binary cross-entropy on logits: -mean(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))). */
export const naiveSigmoidBce = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
  tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(tf.sigmoid(yPred))), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, tf.sigmoid(yPred)))))));

/** Its source, as a user passes it when the function's own text does not run on its own. */
export const NAIVE_BCE_SOURCE =
  '(yTrue, yPred) => tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(tf.sigmoid(yPred))), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, tf.sigmoid(yPred)))))))';

/** Logistic regression on separable data, Adam(0.5), the naive BCE: NaN at step 31 (epoch 8, batch 3). */
export function naiveSigmoidLoss(): Scenario {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: init(5) })] });
  model.compile({ optimizer: tf.train.adam(0.5), loss: naiveSigmoidBce });
  const x = tf.randomUniform([64, 2], -2, 2, 'float32', 3);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.sum(x, 1, true), 0), 'float32'));
  return scenario('naive log of a saturating sigmoid', model, x, y, { epochs: 100, batchSize: 16 });
}

/** 80 rows of clean data but row 75 has a NaN feature: batch 10 of 10 (batch size 8) is the first to see it. */
export function lateNanFeature(): Scenario {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: init(11) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(12) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  const values = Array.from(tf.tidy(() => tf.randomUniform([80, 3], -1, 1, 'float32', 13)).dataSync());
  values[75 * 3 + 1] = Number.NaN;
  const x = tf.tensor2d(values, [80, 3]);
  const y = tf.randomUniform([80, 1], -1, 1, 'float32', 14);
  return scenario('one NaN feature late in the data', model, x, y, { epochs: 3, batchSize: 8 });
}

/** mean(sqrt(|y - p|)) with a residual of exactly 0 in the first batch: the gradient is infinite, the weights NaN after step 1, the loss NaN at step 2. */
export function sqrtAtZero(): Scenario {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })] });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.sqrt(tf.abs(tf.sub(a, b)))) });
  const x = tf.tensor2d([
    [1, 2],
    [3, 4],
    [1, 1],
    [2, 0],
  ]);
  const y = tf.tensor2d([[0], [2], [1], [3]]);
  return scenario('sqrt of a zero residual', model, x, y, { epochs: 5, batchSize: 2 });
}

/**
 * Train a scenario without the guard and return the first step (1-based) whose loss is not finite
 * or after which a weight is not finite: the step the guard must stop at and capture.
 */
export async function firstBadStep(make: () => Scenario): Promise<{ lossStep?: number; weightStep?: number }> {
  const s = make();
  let step = 0;
  let lossStep: number | undefined;
  let weightStep: number | undefined;
  const model = s.model;
  try {
    await model.fit(s.x, s.y, {
      ...s.fit,
      shuffle: false,
      verbose: 0,
      callbacks: new tf.CustomCallback({
        onBatchEnd: async (_batch, logs) => {
          step++;
          if (lossStep === undefined && !Number.isFinite(logs?.loss as number)) lossStep = step;
          if (
            weightStep === undefined &&
            model.weights.some((w) =>
              w
                .read()
                .dataSync()
                .some((v) => !Number.isFinite(v)),
            )
          )
            weightStep = step;
          if (lossStep !== undefined && weightStep !== undefined) model.stopTraining = true;
        },
      }),
    });
  } finally {
    s.dispose();
  }
  return { ...(lossStep !== undefined ? { lossStep } : {}), ...(weightStep !== undefined ? { weightStep } : {}) };
}

/**
 * The naive BCE on logits that grow more negative row by row (x = -10, -20, ..., -100, target 0):
 * on wasm, sigmoid flushes to 0 below about -88 and y·log(sigmoid(z)) = 0·(-Infinity) is NaN at
 * the row x = -90 (step 9); on cpu sigmoid keeps the subnormal down to about -104, so every step
 * stays finite there.
 */
export function flushedSigmoid(): Scenario {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones' })] });
  model.compile({ optimizer: tf.train.sgd(1e-6), loss: naiveSigmoidBce });
  const x = tf.tensor2d(
    Array.from({ length: 10 }, (_, i) => -10 * (i + 1)),
    [10, 1],
  );
  const y = tf.zeros([10, 1]);
  return scenario('sigmoid flushed to zero', model, x, y, { epochs: 1, batchSize: 1 });
}
