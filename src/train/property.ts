/**
 * trainingProperty(): a training run as a nanhunt property.
 *
 * The inputs are one generated TrainingConfig; the subject builds the model (the configuration's,
 * or the user's factory), trains it step by step and returns its trace as tensors; the invariant
 * is trainingFinite(). Because it is an ordinary Property, it runs under `nanhunt check`, the
 * runner's shrinking, the reports and the failure database like any other.
 */
import * as fc from 'fast-check';
import type { Invariant } from '../check/invariant.ts';
import { property, type Property } from '../property/property.ts';
import type { Subject } from '../run/execute.ts';
import type { TrainingConfig } from './config.ts';
import { trainingFinite } from './diagnose.ts';
import { trainingConfig, type TrainingConfigOptions } from './generate.ts';
import { trainingSubject, type ModelFactory, type UserLoss } from './run.ts';

export interface TrainingPropertyDefinition {
  /** Unique name (`--filter` matches it). */
  name: string;
  description?: string;
  /** The configurations to search: an arbitrary (e.g. trainingConfig({...})) or trainingConfig options. Default trainingConfig(). */
  config?: fc.Arbitrary<TrainingConfig> | TrainingConfigOptions;
  /** Your model factory (a fresh tf.LayersModel per call). Default: the model the configuration describes. */
  model?: ModelFactory;
  /** Your loss (targets, predictions, setup) → scalar or per-example values. Default: the configuration's built-in loss. */
  loss?: UserLoss;
  /** Default [trainingFinite()]. */
  invariants?: readonly Invariant[];
  /** Generated configurations per check (default 20: a training run costs milliseconds to a second). */
  runs?: number;
  /** A shipped example of a bug: its failure is expected. Give the reason. */
  expectFailure?: string;
  tags?: readonly string[];
}

/** Default runs of a training property. */
export const TRAINING_RUNS = 20;

/**
 * Define a training property.
 *
 * ```ts
 * export const sgdOnRawFeatures = trainingProperty({
 *   name: 'my model: SGD on raw features stays finite',
 *   config: { optimizer: { names: ['sgd'] }, data: { scale: { max: 1e6 } } },
 *   model: ({ inputShape, outputUnits }) => {
 *     const m = tf.sequential();
 *     m.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [...inputShape] }));
 *     m.add(tf.layers.dense({ units: outputUnits }));
 *     return m;
 *   },
 * });
 * ```
 */
export function trainingProperty(definition: TrainingPropertyDefinition): Property<TrainingConfig> {
  const d = definition;
  if (typeof d !== 'object' || d === null) throw new TypeError('trainingProperty: expected a definition object');
  if (d.model !== undefined && typeof d.model !== 'function') {
    throw new TypeError(`trainingProperty '${d.name}': \`model\` must be a function (setup) => tf.LayersModel`);
  }
  if (d.loss !== undefined && typeof d.loss !== 'function') {
    throw new TypeError(`trainingProperty '${d.name}': \`loss\` must be a function (yTrue, yPred, setup) => tf.Tensor`);
  }
  const options = { ...(d.loss ? { losses: ['custom'] } : {}), ...(d.config instanceof fc.Arbitrary ? {} : d.config) };
  const config = d.config instanceof fc.Arbitrary ? d.config : trainingConfig(d.model ? { ...options, model: d.model.name || 'model' } : options);
  const hooks = { ...(d.model ? { model: d.model } : {}), ...(d.loss ? { loss: d.loss } : {}) };
  return property<TrainingConfig>({
    name: d.name,
    ...(d.description !== undefined ? { description: d.description } : {}),
    inputs: config,
    subject: trainingSubject(hooks) as unknown as Subject<TrainingConfig>,
    invariants: d.invariants ?? [trainingFinite()],
    runs: d.runs ?? TRAINING_RUNS,
    ...(d.expectFailure !== undefined ? { expectFailure: d.expectFailure } : {}),
    // not a standalone function: generic repro writers get a pointer to the training repro instead
    source: `() => { throw new Error(${JSON.stringify(`a training property: write its standalone script with npx nanhunt train-repro --filter '${d.name}'`)}); }`,
    tags: ['training', ...(d.tags ?? [])],
    // a training run amplifies rounding: backends are compared on finiteness, not on values
    agreement: 'finiteness',
  });
}
