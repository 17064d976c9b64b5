/**
 * TrainingConfig: the plain, printable description of one training run.
 *
 * A training configuration is data, not code: the layers of a small tfjs-layers model, the
 * kernel initializer, the optimizer and its hyperparameters, the loss, the data (as TensorValues)
 * and the schedule (batch size, number of steps). The generator draws it, the shrinker simplifies
 * it, the runner turns it into a model and trains it, the report prints it as a layer table and
 * the repro writer turns it into a standalone script. This module holds the types and the one
 * place that decides which concrete layers a configuration builds ({@link layerPlan}).
 */
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';

export const LAYER_TYPES = ['dense', 'simpleRNN', 'conv1d'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];
/** Layers that read a sequence ([batch, time, features]). */
export const SEQUENCE_LAYERS: readonly LayerType[] = ['simpleRNN', 'conv1d'];

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const INIT_KINDS = ['glorot', 'he', 'uniform'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
/** Optimizers whose update divides by sqrt(accumulator) + epsilon. */
export const EPSILON_OPTIMIZERS: readonly OptimizerName[] = ['adam', 'rmsprop', 'adadelta'];

/**
 * Built-in losses. `naiveBinaryCrossentropy` is the hand-written -mean(y log p + (1-y) log(1-p))
 * on probabilities (no clipping); `binaryCrossentropy` / `categoricalCrossentropy` are the
 * Keras-style ones (predictions clipped to [1e-7, 1 - 1e-7]); `sigmoidCrossEntropy` and
 * `softmaxCrossEntropy` take logits and are the numerically stable forms.
 */
export const LOSSES = [
  'mse',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'naiveBinaryCrossentropy',
  'sigmoidCrossEntropy',
  'softmaxCrossEntropy',
] as const;
export type LossName = (typeof LOSSES)[number];

/** One generated layer. The last layer of a configuration is the head: dense, units = target columns. */
export interface LayerSpec {
  readonly type: LayerType;
  readonly units: number;
  readonly activation: Activation;
  /** conv1d only: kernel width (padding 'same', stride 1). */
  readonly kernelSize?: number;
}

/**
 * Kernel initializer. glorot = Glorot/Xavier uniform, he = He truncated normal, uniform = U(low, high).
 * `scale` multiplies the weights drawn (for glorot/he it is applied as variance scale²).
 * Biases start at 0 unless `biases` is set. Every kernel (recurrent ones too) uses this initializer with its own seed.
 */
export interface InitSpec {
  readonly kind: InitKind;
  readonly scale: number;
  /** uniform only. */
  readonly low?: number;
  /** uniform only. */
  readonly high?: number;
  /** Biases are drawn from the same initializer (PyTorch's `for p in parameters(): p.uniform_(a, b)`); default: biases start at 0. */
  readonly biases?: boolean;
}

export interface OptimizerSpec {
  readonly name: OptimizerName;
  readonly learningRate: number;
  /** adam, rmsprop, adadelta (tfjs default 1e-7). */
  readonly epsilon?: number;
  /** momentum only (default 0.9). */
  readonly momentum?: number;
  /** Clip each gradient tensor to this L2 norm (Keras `clipnorm`); absent = off. */
  readonly clipnorm?: number;
  /** Clip each gradient element to [-clipvalue, clipvalue] (Keras `clipvalue`); absent = off. */
  readonly clipvalue?: number;
}

export interface TrainingData {
  /** Inputs before scaling: [rows, features], or [rows, time, features] for sequence models. May hold NaN/Inf cells. */
  readonly x: TensorValue;
  /** Targets: [rows, outputs]. */
  readonly y: TensorValue;
  /** Per-feature scale the model sees: x * scales (along the last axis). One column at 1e6 = unscaled data. */
  readonly scales: readonly number[];
}

export interface TrainingConfig {
  /** Hidden layers, then the head (always last, dense, units = y columns). */
  readonly layers: readonly LayerSpec[];
  readonly init: InitSpec;
  /** Seed of the kernel initializers (each kernel gets seed + its own offset). */
  readonly seed: number;
  readonly optimizer: OptimizerSpec;
  /** A built-in loss name, or the name of the user's loss. */
  readonly loss: string;
  /** Gradients are multiplied by this before clipping and the optimizer (as float32 multiplications). */
  readonly gradientScale: number;
  /** Rows per step; step s uses rows (s*batchSize + i) mod rows, i < batchSize. */
  readonly batchSize: number;
  readonly steps: number;
  readonly data: TrainingData;
  /**
   * Set when the model comes from a user's factory (its name): `layers` are then only what the
   * generator drew for that factory to read, not necessarily the model that was trained.
   */
  readonly model?: string;
}

/** True when the data is a sequence ([rows, time, features]). */
export function isSequence(config: Pick<TrainingConfig, 'data'>): boolean {
  return config.data.x.shape.length === 3;
}

/** Shape of one example (without the rows axis). */
export function exampleShape(config: Pick<TrainingConfig, 'data'>): number[] {
  return config.data.x.shape.slice(1);
}

/** Number of target columns. */
export function outputUnits(config: Pick<TrainingConfig, 'data'>): number {
  return config.data.y.shape[1] ?? 1;
}

/** One concrete layer a configuration builds (generated layers plus inserted Flatten layers). */
export interface PlannedLayer {
  /** Position in the model, from 1 (as in the layer table). */
  readonly position: number;
  readonly kind: LayerType | 'flatten';
  /** `#2 dense(16, relu)`. */
  readonly label: string;
  /** `#2 dense`, the prefix of its weights' names. */
  readonly short: string;
  readonly role: 'hidden' | 'head' | 'flatten';
  /** Index into config.layers (absent for inserted Flatten layers). */
  readonly specIndex?: number;
  /** tfjs-layers constructor arguments without initializers (plain JSON). */
  readonly args: Readonly<Record<string, unknown>>;
  /** Output shape of one example. */
  readonly outputShape: readonly number[];
  /** Trainable parameters. */
  readonly params: number;
  /** Weight names in creation order: kernel, recurrent_kernel, bias. */
  readonly weights: readonly string[];
}

/**
 * The concrete layers of a configuration: a simpleRNN returns sequences when the next layer
 * reads a sequence; a Flatten is inserted before the first dense layer that would receive a
 * sequence. Shared by the model builder, the layer table and the repro script.
 */
export function layerPlan(config: Pick<TrainingConfig, 'layers' | 'data'>): PlannedLayer[] {
  const plan: PlannedLayer[] = [];
  let shape = exampleShape(config);
  const push = (p: Omit<PlannedLayer, 'position' | 'label' | 'short'> & { describe: string }): void => {
    const position = plan.length + 1;
    const { describe, ...rest } = p;
    plan.push({ ...rest, position, label: `#${position} ${describe}`, short: `#${position} ${p.kind}` });
  };
  config.layers.forEach((spec, i) => {
    const head = i === config.layers.length - 1;
    const last = shape[shape.length - 1]!;
    if (spec.type === 'dense') {
      if (shape.length > 1) {
        const flat = shape.reduce((a, b) => a * b, 1);
        push({ kind: 'flatten', role: 'flatten', args: {}, outputShape: [flat], params: 0, weights: [], describe: 'flatten' });
        shape = [flat];
      }
      const args = { units: spec.units, activation: spec.activation };
      push({
        kind: 'dense',
        role: head ? 'head' : 'hidden',
        specIndex: i,
        args,
        outputShape: [spec.units],
        params: shape[0]! * spec.units + spec.units,
        weights: ['kernel', 'bias'],
        describe: `dense(${spec.units}, ${spec.activation})`,
      });
      shape = [spec.units];
      return;
    }
    if (shape.length !== 2) throw new RangeError(`layer ${i + 1} (${spec.type}) needs sequence input [time, features], but receives [${shape.join(', ')}]`);
    const time = shape[0]!;
    if (spec.type === 'simpleRNN') {
      const next = config.layers[i + 1];
      const returnSequences = next !== undefined && next.type !== 'dense';
      push({
        kind: 'simpleRNN',
        role: head ? 'head' : 'hidden',
        specIndex: i,
        args: { units: spec.units, activation: spec.activation, returnSequences },
        outputShape: returnSequences ? [time, spec.units] : [spec.units],
        params: last * spec.units + spec.units * spec.units + spec.units,
        weights: ['kernel', 'recurrent_kernel', 'bias'],
        describe: `simpleRNN(${spec.units}, ${spec.activation}${returnSequences ? ', sequences' : ''})`,
      });
      shape = returnSequences ? [time, spec.units] : [spec.units];
      return;
    }
    const k = spec.kernelSize ?? 1;
    push({
      kind: 'conv1d',
      role: head ? 'head' : 'hidden',
      specIndex: i,
      args: { filters: spec.units, kernelSize: k, padding: 'same', activation: spec.activation },
      outputShape: [time, spec.units],
      params: k * last * spec.units + spec.units,
      weights: ['kernel', 'bias'],
      describe: `conv1d(${spec.units}, ${spec.activation}, kernel ${k})`,
    });
    shape = [time, spec.units];
  });
  return plan;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isPositiveInt = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 1;

/** Why a value is not a valid TrainingConfig, or undefined when it is. */
export function configProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  const c = v as Partial<TrainingConfig>;
  if (!Array.isArray(c.layers) || c.layers.length === 0) return '`layers` must be a non-empty array';
  for (const [i, l] of c.layers.entries()) {
    if (!isObject(l) || !LAYER_TYPES.includes(l.type as LayerType)) return `layers[${i}].type must be one of ${LAYER_TYPES.join(', ')}`;
    if (!isPositiveInt(l.units)) return `layers[${i}].units must be a positive integer`;
    if (!ACTIVATIONS.includes(l.activation as Activation)) return `layers[${i}].activation must be one of ${ACTIVATIONS.join(', ')}`;
  }
  if (c.layers[c.layers.length - 1]!.type !== 'dense') return 'the last layer (the head) must be dense';
  if (!isObject(c.init) || !INIT_KINDS.includes(c.init.kind as InitKind) || typeof c.init.scale !== 'number') return '`init` needs kind and scale';
  if (!isObject(c.optimizer) || !OPTIMIZERS.includes(c.optimizer.name as OptimizerName) || typeof c.optimizer.learningRate !== 'number') {
    return '`optimizer` needs a name and a learningRate';
  }
  if (typeof c.loss !== 'string') return '`loss` must be a string';
  if (!Number.isInteger(c.seed)) return '`seed` must be an integer';
  if (typeof c.gradientScale !== 'number') return '`gradientScale` must be a number';
  if (!isPositiveInt(c.batchSize) || !isPositiveInt(c.steps)) return '`batchSize` and `steps` must be positive integers';
  const d = c.data;
  if (!isObject(d) || !isTensorValue(d.x) || !isTensorValue(d.y) || !Array.isArray(d.scales)) return '`data` needs x, y (TensorValues) and scales';
  if (d.x.shape.length !== 2 && d.x.shape.length !== 3) return 'data.x must be [rows, features] or [rows, time, features]';
  if (d.y.shape.length !== 2 || d.y.shape[0] !== d.x.shape[0] || d.x.shape[0]! < 1) return 'data.y must be [rows, outputs] with the rows of data.x';
  if (d.scales.length !== d.x.shape[d.x.shape.length - 1]) return 'data.scales needs one scale per feature';
  if (c.layers[c.layers.length - 1]!.units !== d.y.shape[1]) return 'the head must have one unit per target column';
  return undefined;
}

export function isTrainingConfig(v: unknown): v is TrainingConfig {
  return configProblem(v) === undefined;
}

/**
 * The configuration inside a property's inputs: the inputs themselves, or the one configuration
 * among the values of a tuple or record of inputs (as the vitest helpers build them).
 */
export function findTrainingConfig(inputs: unknown): TrainingConfig | undefined {
  if (isTrainingConfig(inputs)) return inputs;
  if (inputs === null || typeof inputs !== 'object') return undefined;
  const found = Object.values(inputs).filter(isTrainingConfig);
  return found.length === 1 ? found[0] : undefined;
}
