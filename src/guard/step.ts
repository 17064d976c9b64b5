/**
 * Running a captured step again: rebuild the model from its topology, set every weight, make the
 * optimizer from its class and config and restore its state exactly, compile with the captured
 * loss, and take the one step — synchronously, on the active backend, disposing everything it made.
 *
 * Two ways to take it:
 * - **faithful**: the code path the step came from — tfjs-layers' own train function for `fit`
 *   (what model.fit, fitDataset and trainOnBatch run), `optimizer.minimize` of {@link stepLoss}
 *   for guard.minimize, `optimizer.applyGradients` of the captured gradients for applyGradients;
 * - **instrumented**: the same step computed layer by layer (for a chain of layers), reading every
 *   layer output, the loss, every gradient and every weight after the update into a one-step
 *   TrainingTrace, which src/train's diagnosis reads (first non-finite layer, weight, cause).
 * Both give the loss and the {@link Symptom}: the loss when it is not finite, else the first weight
 * (in model.weights order) that the update left non-finite.
 */
import * as tf from '@tensorflow/tfjs';
import { recordKernels, type Provenance } from '../explain/provenance.ts';
import { toTensor } from '../run/execute.ts';
import { tensorValue, type TensorValue } from '../core/tensor-value.ts';
import { statOf, type Stat, type StepTrace, type TrainingTrace } from '../train/trace.ts';
import { mapCase, type CaseData, type NamedValue, type Symptom } from './case.ts';
import { lossForCompile, type LossFunction } from './loss.ts';
import { disposeOptimizer, makeOptimizer, restoreOptimizerState } from './optimizer-state.ts';
import { layerChain, modelFromTopology, TopologyError, trainingModel } from './topology.ts';

/** A case with tf.Tensors in place of its TensorValues. */
export type LiveCase = CaseData<tf.Tensor>;

export interface StepResult {
  /** The step's loss (total: mean loss plus regularizers). */
  readonly loss: number;
  /** What went non-finite; undefined when the step stayed finite. */
  readonly symptom?: Symptom;
  /** Instrumented runs: the step as a one-step training trace. */
  readonly trace?: TrainingTrace;
  /** Every weight after the update (model.weights order), when asked for. */
  readonly weightsAfter?: readonly NamedValue<TensorValue>[];
}

/** Tensors for every TensorValue of a case (the caller disposes them: {@link disposeCase}). */
export function materializeCase(c: CaseData): LiveCase {
  return mapCase(c, (v) => toTensor(v));
}

export function disposeCase(c: LiveCase): void {
  mapCase(c, (t) => {
    if (!t.isDisposed) t.dispose();
    return t;
  });
}

/**
 * The loss of one step as tfjs-layers' train function computes it: each output's loss (times its
 * sample weights), summed, averaged, plus the regularizer losses of the model's layers.
 */
export function lossFromOutputs(
  model: tf.LayersModel,
  lossFns: readonly LossFunction[],
  outputs: readonly tf.Tensor[],
  targets: readonly tf.Tensor[],
  sampleWeights: readonly (tf.Tensor | null | undefined)[] = [],
): tf.Scalar {
  let total: tf.Tensor | undefined;
  lossFns.forEach((fn, i) => {
    let l = fn(targets[i]!, outputs[i]!);
    const sw = sampleWeights[i];
    if (sw) l = tf.mul(l, sw);
    total = total === undefined ? l : tf.add(total, l);
  });
  if (total === undefined) throw new RangeError('no loss to compute');
  let scalar = tf.mean(total) as tf.Scalar;
  for (const r of (trainingModel(model) as unknown as { calculateLosses(): tf.Scalar[] }).calculateLosses()) scalar = tf.add(scalar, r);
  return scalar;
}

/** The forward pass in training mode, then {@link lossFromOutputs}: the loss guard.minimize takes its gradient of. */
export function stepLoss(
  model: tf.LayersModel,
  lossFns: readonly LossFunction[],
  inputs: readonly tf.Tensor[],
  targets: readonly tf.Tensor[],
  sampleWeights: readonly (tf.Tensor | null | undefined)[] = [],
): tf.Scalar {
  const out = model.apply(inputs.length === 1 ? inputs[0]! : [...inputs], { training: true }) as tf.Tensor | tf.Tensor[];
  return lossFromOutputs(model, lossFns, Array.isArray(out) ? out : [out], targets, sampleWeights);
}

/** The first weight holding a non-finite value (model.weights order), as a symptom. */
export function weightSymptom(weights: readonly { name: string; tensor: tf.Tensor }[]): Symptom | undefined {
  for (const w of weights) {
    const d = w.tensor.dataSync();
    let first: number | undefined;
    let count = 0;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v - v !== 0) {
        count++;
        if (first === undefined) first = v;
      }
    }
    if (first !== undefined) return { what: 'weight', name: w.name, value: first, count, size: d.length };
  }
  return undefined;
}

/** Set the weights of a model from named values in model.weights order; names and shapes must match. */
export function setWeightsByName(model: tf.LayersModel, weights: readonly NamedValue<tf.Tensor>[]): void {
  const have = model.weights;
  if (have.length !== weights.length) {
    throw new TopologyError(`the model has ${have.length} weights, the capture ${weights.length}`);
  }
  have.forEach((w, i) => {
    const c = weights[i]!;
    if (w.originalName !== c.name) throw new TopologyError(`weight ${i + 1} of the model is ${w.originalName}, the capture has ${c.name}`);
    if (w.shape.join() !== c.value.shape.join()) {
      throw new TopologyError(`weight ${c.name} has shape [${w.shape.join(', ')}] in the model, [${c.value.shape.join(', ')}] in the capture`);
    }
  });
  model.setWeights(weights.map((w) => w.value));
}

function merge(stats: readonly Stat[]): Stat {
  let nonFinite = 0;
  let maxAbs = 0;
  let size = 0;
  let first: number | undefined;
  for (const s of stats) {
    nonFinite += s.nonFinite;
    maxAbs = Math.max(maxAbs, s.maxAbs);
    size += s.size;
    if (first === undefined && s.first !== undefined) first = s.first;
  }
  return first === undefined ? { nonFinite, maxAbs, size } : { nonFinite, maxAbs, size, first };
}

/** Labels of a model's layers and trainable weights, as the training diagnosis prints them. */
export function modelLabels(model: tf.LayersModel): {
  layers: tf.layers.Layer[];
  chain: boolean;
  layerLabels: string[];
  weights: { label: string; layer: number; variable: tf.LayerVariable }[];
} {
  const chain = layerChain(model);
  const layers = chain ?? model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const layerLabels = layers.map((l, i) => `#${i + 1} ${l.getClassName()} '${l.name}'`);
  const weights = model.trainableWeights.map((w) => {
    const i = layers.findIndex((l) => l.trainableWeights.includes(w));
    const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
    return { label: i >= 0 ? `#${i + 1} ${layers[i]!.name}/${short}` : w.originalName, layer: Math.max(i, 0), variable: w };
  });
  return { layers, chain: chain !== undefined, layerLabels, weights };
}

/** Gradients keyed by the rebuilt model's variable names (the case names them by original name). */
function gradientsByVariable(model: tf.LayersModel, gradients: readonly NamedValue<tf.Tensor>[]): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const g of gradients) {
    const w = model.trainableWeights.find((x) => x.originalName === g.name);
    if (!w) throw new TopologyError(`the capture has a gradient for ${g.name}, which is not a trainable weight of the model`);
    out[(w.read() as tf.Variable).name] = g.value;
  }
  return out;
}

interface Built {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly lossFns: LossFunction[];
}

function disposeVariablesSince(before: ReadonlySet<string>): void {
  for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) v.dispose();
}

/**
 * Rebuild the model and optimizer of a case and run `fn` on them; everything made is disposed after
 * (also when it throws). Throws TopologyError, OptimizerStateError or LossSourceError for a case
 * that cannot be rebuilt.
 */
export function withCase<T>(c: LiveCase, fn: (built: Built) => T): T {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  let model: tf.LayersModel | undefined;
  let optimizer: tf.Optimizer | undefined;
  try {
    model = modelFromTopology(c.topology);
    setWeightsByName(model, c.weights);
    optimizer = makeOptimizer(c.optimizer);
    restoreOptimizerState(optimizer, c.optimizer.state);
    const losses = c.loss.map(lossForCompile);
    model.compile({ optimizer, loss: (losses.length === 1 ? losses[0]! : losses) as never });
    const lossFns = (trainingModel(model) as unknown as { lossFunctions: LossFunction[] }).lossFunctions;
    return fn({ model, optimizer, lossFns });
  } finally {
    try {
      if (optimizer) disposeOptimizer(optimizer);
    } finally {
      try {
        model?.dispose();
      } catch {
        // a half-built model: its variables are swept below
      }
      disposeVariablesSince(before);
    }
  }
}

function lossSymptom(loss: number): Symptom | undefined {
  return Number.isFinite(loss) ? undefined : { what: 'loss', value: loss };
}

function weightsAfter(model: tf.LayersModel): { name: string; tensor: tf.Tensor }[] {
  return model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
}

/**
 * Take the step the way it was taken in training (see the module comment). With `record`, the
 * step's kernels (not the rebuilding of the model) are recorded: where the first non-finite value
 * was born.
 */
export function faithfulStep(c: LiveCase, options: { record?: boolean; weights?: boolean } = {}): StepResult & { provenance?: Provenance } {
  return withCase(c, ({ model, optimizer, lossFns }) => {
    let loss = Number.NaN;
    const run = (): void =>
      tf.tidy(() => {
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        if (c.kind === 'fit') {
          const inner = trainingModel(model) as unknown as { makeTrainFunction(): (data: tf.Tensor[]) => tf.Scalar[] };
          const out = inner.makeTrainFunction()([...c.inputs, ...c.targets, ...(c.sampleWeights ?? [])]);
          loss = out[0]!.dataSync()[0]!;
        } else if (c.kind === 'minimize') {
          const l = optimizer.minimize(() => stepLoss(model, lossFns, c.inputs, c.targets, c.sampleWeights), true, vars);
          loss = l!.dataSync()[0]!;
        } else {
          loss = stepLoss(model, lossFns, c.inputs, c.targets, c.sampleWeights).dataSync()[0]!;
          optimizer.applyGradients(gradientsByVariable(model, c.gradients ?? []));
        }
      });
    let provenance: Provenance | undefined;
    if (options.record) provenance = recordKernels(run).provenance;
    else run();
    const after = weightsAfter(model);
    const symptom = lossSymptom(loss) ?? weightSymptom(after);
    const values = options.weights ? after.map((w) => ({ name: w.name, value: tensorValue(w.tensor.shape, w.tensor.dataSync(), 'float32') })) : undefined;
    return { loss, ...(symptom ? { symptom } : {}), ...(provenance ? { provenance } : {}), ...(values ? { weightsAfter: values } : {}) };
  });
}

/**
 * Take the step layer by layer, recording it as a one-step trace (see the module comment); with
 * `record`, its kernels too.
 */
export function instrumentedStep(c: LiveCase, options: { record?: boolean } = {}): StepResult & { provenance?: Provenance } {
  return withCase(c, ({ model, optimizer, lossFns }) => {
    const { layers, chain, layerLabels, weights } = modelLabels(model);
    const vars = weights.map((w) => w.variable.read() as tf.Variable);
    const initial = vars.map(statOf);
    let step: StepTrace | undefined;
    const run = (): void =>
      tf.tidy(() => {
        const input = merge(c.inputs.map(statOf));
        const layerStats: Stat[] = [];
        let prediction: Stat = { nonFinite: 0, maxAbs: 0, size: 0 };
        const { value, grads } = tf.variableGrads(() => {
          let outputs: tf.Tensor[];
          if (chain && c.inputs.length === 1) {
            let h = c.inputs[0]!;
            for (const layer of layers) {
              h = layer.apply(h, { training: true }) as tf.Tensor;
              layerStats.push(statOf(h));
            }
            outputs = [h];
          } else {
            const out = model.apply(c.inputs.length === 1 ? c.inputs[0]! : [...c.inputs], { training: true }) as tf.Tensor | tf.Tensor[];
            outputs = Array.isArray(out) ? out : [out];
          }
          prediction = merge(outputs.map(statOf));
          return lossFromOutputs(model, lossFns, outputs, c.targets, c.sampleWeights);
        }, vars);
        const loss = value.dataSync()[0]!;
        const names = vars.map((v) => v.name);
        const none: Stat = { nonFinite: 0, maxAbs: 0, size: 0 };
        const gradStats = names.map((n) => (grads[n] ? statOf(grads[n]!) : none));
        const applied = c.kind === 'applyGradients' ? gradientsByVariable(model, c.gradients ?? []) : grads;
        const appliedStats = names.map((n) => (applied[n] ? statOf(applied[n]!) : none));
        optimizer.applyGradients(applied);
        step = { input, layers: chain ? layerStats : [], prediction, loss, grads: gradStats, applied: appliedStats, weights: vars.map(statOf) };
      });
    let provenance: Provenance | undefined;
    if (options.record) provenance = recordKernels(run).provenance;
    else run();
    const s = step!;
    const trace: TrainingTrace = {
      layers: layerLabels,
      weights: weights.map((w) => w.label),
      weightLayer: weights.map((w) => w.layer),
      initial,
      steps: [s],
      planned: 1,
    };
    const symptom = lossSymptom(s.loss) ?? weightSymptom(weightsAfter(model));
    return { loss: s.loss, trace, ...(symptom ? { symptom } : {}), ...(provenance ? { provenance } : {}) };
  });
}
