/**
 * The training runner: build the model of a configuration (or the user's), train it step by step
 * synchronously (tf.variableGrads, then scaling/clipping, then optimizer.applyGradients) and
 * record a TrainingTrace. It runs inside execute()'s tf.tidy: everything it creates — the model's
 * variables, the optimizer's slots, per-step tensors — is disposed before it returns.
 *
 * Training stops after the first step that leaves a weight non-finite (nothing after it is news).
 */
import * as tf from '@tensorflow/tfjs';
import { errorText } from '../run/execute.ts';
import { exampleShape, layerPlan, outputUnits, type TrainingConfig } from './config.ts';
import { BUILTIN_LOSSES, isBuiltinLoss, scalarLoss, TrainingSetupError, type LossFunction } from './losses.ts';
import { buildModel } from './model.ts';
import { disposeOptimizer, makeOptimizer, prepareGradient } from './optimizer.ts';
import { encodeTrace, statOf, isBad, type Stat, type StepTrace, type TrainingTrace } from './trace.ts';

/** What a user's model factory receives: the configuration without its data, and the shapes. */
export interface TrainingSetup extends Omit<TrainingConfig, 'data'> {
  /** Shape of one example: [features] or [time, features]. */
  readonly inputShape: readonly number[];
  /** Target columns: the model must predict [batch, outputUnits]. */
  readonly outputUnits: number;
}

/** Build a fresh tfjs-layers model for a configuration (a new one on every call; nanhunt disposes it). */
export type ModelFactory = (setup: TrainingSetup) => tf.LayersModel;

/** A user's loss: (targets, predictions, setup) → a scalar or one value per example. */
export type UserLoss = (yTrue: tf.Tensor, yPred: tf.Tensor, setup: TrainingSetup) => tf.Tensor;

export interface TrainingHooks {
  /** Your model factory. Default: the model the configuration describes (see layerPlan). */
  model?: ModelFactory;
  /** Your loss. Default: the built-in loss named by config.loss. */
  loss?: UserLoss;
}

/** A configuration as the subject receives it: data as tf.Tensors (execute() materializes TensorValues). */
export interface LiveTrainingConfig extends Omit<TrainingConfig, 'data'> {
  readonly data: { readonly x: tf.Tensor; readonly y: tf.Tensor; readonly scales: readonly number[] };
}

type Config = TrainingConfig | LiveTrainingConfig;

function setupOf(config: Config): TrainingSetup {
  const { data, ...rest } = config as TrainingConfig;
  const x = data.x as unknown as { shape: readonly number[] };
  const y = data.y as unknown as { shape: readonly number[] };
  return { ...rest, inputShape: x.shape.slice(1), outputUnits: y.shape[1] ?? 1 };
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (x instanceof Promise) return 'a Promise (the factory must be synchronous)';
  if (typeof x === 'object') return `an object (${Object.getPrototypeOf(x)?.constructor?.name ?? 'Object'})`;
  return `a ${typeof x}`;
}

/** The model's layers in order when it is a simple chain (each layer feeds the next), else undefined. */
function chainOf(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  if (model instanceof tf.Sequential) return model.layers;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  for (let i = 0; i < layers.length; i++) {
    const nodes = (layers[i] as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1) return undefined;
    const from = nodes[0]!.inboundLayers[0]!;
    if (i === 0 ? from.getClassName() !== 'InputLayer' : from !== layers[i - 1]) return undefined;
  }
  return layers;
}

/** Labels of the model's layers and weights. Generated models use the layer table's labels. */
function labelsOf(model: tf.LayersModel, layers: readonly tf.layers.Layer[], config: Config, own: boolean) {
  const plan = own ? layerPlan(config as TrainingConfig) : undefined;
  const layerLabels = layers.map((l, i) => plan?.[i]?.label ?? `#${i + 1} ${l.getClassName()} '${l.name}'`);
  const shorts = layers.map((l, i) => plan?.[i]?.short ?? `#${i + 1} ${l.name}`);
  const weights: { label: string; layer: number; variable: tf.Variable }[] = [];
  for (const w of model.trainableWeights) {
    const i = layers.findIndex((l) => l.trainableWeights.includes(w));
    const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
    weights.push({ label: i >= 0 ? `${shorts[i]}/${short}` : w.originalName, layer: Math.max(i, 0), variable: w.read() as tf.Variable });
  }
  return { layerLabels, weights };
}

function disposeVariablesSince(before: ReadonlySet<string>): void {
  for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) v.dispose();
}

/**
 * tf.variableGrads, cleaning up after an error. When f or the backward pass throws, tfjs 4.22
 * leaves its gradient tape active with the tensors saved for the backward pass kept alive: they
 * leak, and the next tape silently drops them. Dispose them and close the tape as tfjs would have.
 */
function variableGrads(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, vars);
  } catch (e) {
    const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
      state.activeTape = null;
    }
    throw e;
  }
}

/** Rows of step s: (s * batch + i) mod rows. */
export function batchRows(step: number, batchSize: number, rows: number): number[] {
  return Array.from({ length: batchSize }, (_, i) => (step * batchSize + i) % rows);
}

/**
 * Train the configuration and return its trace. Throws TrainingSetupError for faults of the
 * user's model factory or loss. Disposes everything it created, also when it throws.
 */
export function runTraining(config: LiveTrainingConfig, hooks: TrainingHooks = {}): TrainingTrace {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  const setup = setupOf(config);
  let model: tf.LayersModel | undefined;
  let optimizer: tf.Optimizer | undefined;
  const own: tf.Tensor[] = [];
  try {
    let made: unknown;
    if (hooks.model) {
      try {
        made = hooks.model(setup);
      } catch (e) {
        throw new TrainingSetupError(`the model factory threw: ${errorText(e)}`);
      }
      if (!(made instanceof tf.LayersModel)) {
        throw new TrainingSetupError(`the model factory returned ${describe(made)}, not a tf.LayersModel (build one with tf.sequential() or tf.model())`);
      }
    } else made = buildModel(config as unknown as TrainingConfig);
    model = made as tf.LayersModel;
    const want = exampleShape(config as unknown as TrainingConfig);
    const got = model.inputs[0]?.shape.slice(1);
    if (model.inputs.length !== 1 || !got || got.length !== want.length || got.some((d, i) => d !== null && d !== want[i])) {
      throw new TrainingSetupError(
        `the model takes input [${model.inputs.map((t) => t.shape.map((d) => d ?? 'batch').join(', ')).join('], [')}], but the data is [batch, ${want.join(', ')}]`,
      );
    }
    const lossFn: LossFunction = hooks.loss
      ? (y, p) => hooks.loss!(y, p, setup)
      : isBuiltinLoss(config.loss)
        ? BUILTIN_LOSSES[config.loss].fn
        : (() => {
            throw new TrainingSetupError(`unknown loss '${config.loss}': give a loss function or one of ${Object.keys(BUILTIN_LOSSES).join(', ')}`);
          })();
    const lossWho = hooks.loss ? 'the loss function' : `the loss '${config.loss}'`;
    optimizer = makeOptimizer(config.optimizer);
    const chain = chainOf(model);
    const { layerLabels, weights } = labelsOf(model, chain ?? model.layers.filter((l) => l.getClassName() !== 'InputLayer'), config, !hooks.model);
    const vars = weights.map((w) => w.variable);
    const initial = vars.map(statOf);
    const steps: StepTrace[] = [];
    const scales = tf.tensor1d([...config.data.scales]);
    const x = tf.mul(config.data.x, scales);
    own.push(scales, x);
    const y = config.data.y;
    const rows = x.shape[0]!;
    const units = outputUnits(config as unknown as TrainingConfig);
    for (let s = 0; s < config.steps; s++) {
      const step = tf.tidy((): StepTrace & tf.TensorContainerObject => {
        const idx = tf.tensor1d(batchRows(s, config.batchSize, rows), 'int32');
        const xb = tf.gather(x, idx);
        const yb = tf.gather(y, idx);
        const input = statOf(xb);
        const layerStats: Stat[] = [];
        let prediction: Stat | undefined;
        const { value, grads } = variableGrads(() => {
          let h: tf.Tensor = xb;
          if (chain) {
            for (const layer of chain) {
              h = layer.apply(h) as tf.Tensor;
              layerStats.push(statOf(h));
            }
          } else h = model!.apply(xb) as tf.Tensor;
          if (!(h instanceof tf.Tensor) || h.rank !== 2 || h.shape[1] !== units) {
            const shape = h instanceof tf.Tensor ? `[${h.shape.join(', ')}]` : describe(h);
            throw new TrainingSetupError(`the model predicts ${shape}, but the targets are [${yb.shape.join(', ')}]`);
          }
          prediction = statOf(h);
          return scalarLoss(lossFn, yb, h, lossWho);
        }, vars);
        const loss = value.dataSync()[0]!;
        const names = weights.map((w) => w.variable.name);
        const gradStats = names.map((n) => (grads[n] ? statOf(grads[n]!) : { nonFinite: 0, maxAbs: 0, size: 0 }));
        const applied: Record<string, tf.Tensor> = {};
        for (const n of names) if (grads[n]) applied[n] = prepareGradient(grads[n]!, config.optimizer, config.gradientScale);
        const appliedStats = names.map((n) => (applied[n] ? statOf(applied[n]!) : { nonFinite: 0, maxAbs: 0, size: 0 }));
        optimizer!.applyGradients(applied as tf.NamedTensorMap);
        const out: StepTrace = { input, layers: layerStats, prediction: prediction!, loss, grads: gradStats, applied: appliedStats, weights: vars.map(statOf) };
        return out as StepTrace & tf.TensorContainerObject;
      }) as StepTrace;
      steps.push(step);
      if (step.weights.some(isBad)) break;
    }
    const trace: TrainingTrace = {
      layers: layerLabels,
      weights: weights.map((w) => w.label),
      weightLayer: weights.map((w) => w.layer),
      initial,
      steps,
      planned: config.steps,
    };
    return trace;
  } finally {
    tf.dispose(own);
    try {
      if (optimizer) disposeOptimizer(optimizer);
    } finally {
      try {
        model?.dispose();
      } catch {
        // a half-built or already disposed model: its variables are swept below
      }
      disposeVariablesSince(before);
    }
  }
}

/**
 * The subject of a training property: train and return the trace as named tensors. It receives the
 * configuration as a subject does (its data already tf.Tensors); the type also admits the plain
 * TrainingConfig so that it fits helpers typed on the generated value (numProp).
 */
export function trainingSubject(hooks: TrainingHooks = {}): (config: LiveTrainingConfig | TrainingConfig) => Record<string, tf.Tensor> {
  return (config) => {
    if (!(config.data.x instanceof tf.Tensor)) throw new TypeError('trainingSubject: run it as the subject of a property (its data must arrive as tf.Tensors)');
    return encodeTrace(runTraining(config as LiveTrainingConfig, hooks));
  };
}
