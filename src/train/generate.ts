/**
 * trainingConfig(): a fast-check Arbitrary of TrainingConfigs.
 *
 * Draws a small model (dense, or simpleRNN/conv1d then dense; hidden depth and width in
 * bounds), a kernel initializer and scale, an optimizer with learning rate, epsilon and optional
 * clipping, a loss, data (rows of ordinary values, optionally one column — or all — scaled by a
 * large factor, optionally NaN/Inf cells, targets fit for the loss), a batch size and a number of
 * steps. Every option is a fixed value, a range or a list of choices, so one scenario pins what it
 * is about and lets the rest vary.
 *
 * Shrinking first cuts the run right after the step where it diverged (the training invariant
 * records it), so every later candidate trains only that long; then it goes, in this order,
 * toward: fewer hidden layers, narrower layers, fewer steps, a
 * smaller batch, fewer data rows (then features and time steps), simpler data values, a lower
 * learning rate, then simpler hyperparameters (no clipping, simpler epsilon, gradient scale and
 * feature scales nearer 1, simpler activations, smaller kernels). fast-check keeps a candidate
 * only while the run still fails the same way, so the result is the smallest configuration that
 * still diverges.
 */
import * as fc from 'fast-check';
import { uniform } from '../generate/elements.ts';
import { MIN_SUBNORMAL } from '../core/float32.ts';
import { tensorValue } from '../core/tensor-value.ts';
import { keepSubsets, sliceAxis, withElement } from '../shrink/shrink-tensor.ts';
import { isSimpler } from '../shrink/simplify-number.ts';
import {
  ACTIVATIONS,
  configProblem,
  EPSILON_OPTIMIZERS,
  INIT_KINDS,
  LAYER_TYPES,
  OPTIMIZERS,
  SEQUENCE_LAYERS,
  type Activation,
  type InitKind,
  type LayerSpec,
  type LayerType,
  type OptimizerName,
  type OptimizerSpec,
  type TrainingConfig,
} from './config.ts';
import { BUILTIN_LOSSES, isBuiltinLoss, type TargetKind } from './losses.ts';
import { divergedAt } from './trace.ts';

/** A fixed number or bounds (inclusive). */
export type Range = number | { readonly min: number; readonly max: number };
/** A range that may also be switched off: `optional` draws "off" half of the time and shrinks toward off. */
export type OptionalRange = false | Range | { readonly min: number; readonly max: number; readonly optional: true };

export interface TrainingConfigOptions {
  layers?: {
    /** Layer types for hidden layers (default ['dense']). simpleRNN/conv1d make the data a sequence. */
    types?: readonly LayerType[];
    /** Hidden layers (the dense head comes on top). Default { min: 0, max: 3 }. */
    depth?: Range;
    /** Units of hidden layers. Default { min: 1, max: 16 }. */
    width?: Range;
    /** Activations of hidden layers, simplest first (shrinking moves toward the first). Default relu, tanh, sigmoid, linear. */
    activations?: readonly Activation[];
    /** Activation of the head. Default: what the loss expects (linear for mse and logit losses, sigmoid, softmax). */
    head?: Activation;
    /** conv1d kernel width. Default { min: 1, max: 3 }. */
    kernelSize?: Range;
  };
  init?: {
    /** Default ['glorot', 'he']. */
    kinds?: readonly InitKind[];
    /** Multiplier of the drawn weights. Default 1. */
    scale?: Range;
    /** Bounds of `uniform` (default -0.05, 0.05, as Keras). */
    low?: number;
    high?: number;
    /** Draw biases from the initializer too (default false: biases start at 0). */
    biases?: boolean;
  };
  optimizer?: {
    /** Default ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta']. */
    names?: readonly OptimizerName[];
    /** Default { min: 1e-4, max: 1e-2 } (log-uniform). */
    learningRate?: Range;
    /** adam/rmsprop/adadelta epsilon. Default 1e-7 (tfjs's). */
    epsilon?: Range;
    /** momentum optimizer. Default 0.9. */
    momentum?: number;
    /** Default false (off). */
    clipnorm?: OptionalRange;
    /** Default false (off). */
    clipvalue?: OptionalRange;
  };
  /** Built-in losses to draw from (default ['mse']), or a name for the user's loss (then give `targets`). */
  losses?: readonly string[];
  /** Targets for a user's loss: 'values' (default), 'binary' or 'oneHot'. */
  targets?: TargetKind;
  /** Gradient multiplier (log-uniform). Default 1. */
  gradientScale?: Range;
  data?: {
    /** Default { min: 1, max: 16 }. */
    rows?: Range;
    /** Default { min: 1, max: 4 }. */
    features?: Range;
    /**
     * Time steps of sequence data. Default { min: 2, max: 6 }: with 1 time step, tfjs 4.22 fails to
     * differentiate a simpleRNN that follows another layer ("Argument tensors passed to stack must
     * be a `Tensor[]`"), an error of tfjs rather than a finding about training.
     */
    timeSteps?: Range;
    /** Largest |x| before scaling (values are drawn uniformly in [-values, values], 2 significant digits). Default 1. */
    values?: number;
    /** Feature scales: `columns: 'one'` scales one random column (unscaled data), `'all'` every column. Default: no scaling. */
    scale?: { readonly min?: number; readonly max: number; readonly columns?: 'one' | 'all' };
    /** Number of NaN/Inf cells in x. Default 0. */
    nonFinite?: Range;
    /** Values of those cells. Default [NaN]. */
    nonFiniteValues?: readonly number[];
    /** Target columns (classes for one-hot targets). Default 1 (2-3 for one-hot). */
    outputs?: Range;
  };
  /** Default { min: 1, max: 8 }. */
  batchSize?: Range;
  /** Default { min: 1, max: 20 }. */
  steps?: Range;
  /** Most training runs spent shrinking one failure (default 200); shrinking stops there with the smallest configuration found. */
  shrinkBudget?: number;
  /** Name of the user's model factory, recorded in every configuration (trainingProperty sets it). */
  model?: string;
}

interface Bounds {
  readonly min: number;
  readonly max: number;
}

function bounds(r: Range | undefined, fallback: Bounds, what: string, integer = true): Bounds {
  const b = r === undefined ? fallback : typeof r === 'number' ? { min: r, max: r } : { min: r.min, max: r.max };
  if (!Number.isFinite(b.min) || !Number.isFinite(b.max) || b.min > b.max || (integer && (!Number.isInteger(b.min) || !Number.isInteger(b.max)))) {
    throw new RangeError(`trainingConfig: ${what} needs ${integer ? 'integer ' : ''}bounds min <= max, got [${b.min}, ${b.max}]`);
  }
  return b;
}

interface OptionalBounds extends Bounds {
  readonly optional: boolean;
}

function optionalBounds(r: OptionalRange | undefined, what: string): OptionalBounds | undefined {
  if (r === undefined || r === false) return undefined;
  const b = bounds(r as Range, { min: 1, max: 1 }, what, false);
  if (b.min <= 0) throw new RangeError(`trainingConfig: ${what} must be positive`);
  return { ...b, optional: typeof r === 'object' && 'optional' in r && r.optional === true };
}

function choices<T extends string>(list: readonly T[] | undefined, fallback: readonly T[], all: readonly string[], what: string): readonly T[] {
  const out = list ?? fallback;
  if (!Array.isArray(out) || out.length === 0) throw new RangeError(`trainingConfig: ${what} needs at least one choice`);
  for (const x of out) if (!all.includes(x)) throw new RangeError(`trainingConfig: unknown ${what} '${x}' (use ${all.join(', ')})`);
  return out;
}

const inRange = (b: Bounds, x: number): boolean => x >= b.min && x <= b.max;
const f32 = Math.fround;

/**
 * Integer in bounds: a quarter of the time among the smallest three, a quarter the maximum, else
 * uniform. Large models and long runs are where training diverges; shrinking brings them down.
 */
function drawInt(mrng: fc.Random, b: Bounds): number {
  if (b.min === b.max) return b.min;
  const r = mrng.nextInt(0, 3);
  if (r === 0) return mrng.nextInt(b.min, Math.min(b.max, b.min + 2));
  if (r === 1) return b.max;
  return mrng.nextInt(b.min, b.max);
}

/** Log-uniform number in bounds (0 allowed when min is 0), one time in four the maximum, one in eight the minimum. */
function drawLog(mrng: fc.Random, b: Bounds): number {
  if (b.min === b.max) return b.min;
  const r = mrng.nextInt(0, 7);
  if (r === 0) return b.min;
  if (r <= 2) return b.max;
  const lo = b.min > 0 ? b.min : Math.max(MIN_SUBNORMAL, b.max * 1e-15);
  const x = 10 ** (Math.log10(lo) + (Math.log10(b.max) - Math.log10(lo)) * uniform(mrng));
  const rounded = Number(x.toPrecision(2));
  return Math.min(Math.max(rounded, b.min), b.max);
}

function pick<T>(mrng: fc.Random, list: readonly T[]): T {
  return list[mrng.nextInt(0, list.length - 1)]!;
}

/** A value in [-m, m] with two significant digits. */
function ordinary(mrng: fc.Random, m: number): number {
  const x = (uniform(mrng) * 2 - 1) * m;
  return f32(Number(x.toPrecision(2)));
}

/**
 * Shrink candidates of an integer toward `min`, biggest jump first: min, then n - d for
 * d = (n - min)/2, (n - min)/4, ..., 1 — a bisection, so a threshold is found in log(n) rounds.
 */
function* smallerInts(n: number, min: number): Generator<number> {
  if (n <= min) return;
  yield min;
  let d = Math.floor((n - min) / 2);
  while (d >= 1) {
    if (n - d > min) yield n - d;
    d = Math.floor(d / 2);
  }
}

/** Candidates below x (lower is simpler): min, the power of ten below, one significant digit, x/10. */
function* lower(x: number, b: Bounds): Generator<number> {
  const seen = new Set<number>();
  const cands = [b.min, 10 ** Math.floor(Math.log10(x) - 1e-9), Number(x.toPrecision(1)), x / 10, x / 2];
  for (const c of cands) {
    const v = Number(c.toPrecision(2));
    if (v < x && inRange(b, v) && !seen.has(v)) {
      seen.add(v);
      yield v;
    }
  }
}

/** Candidates nearer `target` (in log distance) or with fewer digits, inside bounds. */
function* toward(x: number, target: number, b: Bounds): Generator<number> {
  if (x === target) return;
  const seen = new Set<number>();
  const cands: number[] = [target];
  if (x !== 0 && target !== 0 && Math.sign(x) === Math.sign(target)) {
    const e = Math.log10(Math.abs(x));
    const t = Math.log10(Math.abs(target));
    const step = e > t ? Math.floor(e - 1e-9) : Math.ceil(e + 1e-9);
    cands.push(Math.sign(x) * 10 ** Math.round((e + t) / 2), Math.sign(x) * 10 ** step);
  }
  cands.push(Number(x.toPrecision(1)));
  for (const c of cands) {
    const closer =
      Math.abs(Math.log10(Math.abs(c) || 1e-300) - Math.log10(Math.abs(target) || 1e-300)) <
      Math.abs(Math.log10(Math.abs(x) || 1e-300) - Math.log10(Math.abs(target) || 1e-300));
    const simpler = isSimpler(c, x);
    if (c !== x && inRange(b, c) && (closer || simpler) && !seen.has(c)) {
      seen.add(c);
      yield c;
    }
  }
}

/** A few simpler values for one data cell: 0, ±1, its integer part, one significant digit. */
function* simplerCell(x: number, contains: (v: number) => boolean): Generator<number> {
  const cands = Number.isFinite(x) ? [0, Math.sign(x), Math.trunc(x), f32(Number(x.toPrecision(1)))] : [0];
  const seen = new Set<number>();
  for (const c of cands) {
    if (!seen.has(c) && isSimpler(c, x) && contains(c)) {
      seen.add(c);
      yield c;
    }
  }
}

interface Resolved {
  types: readonly LayerType[];
  sequence: boolean;
  depth: Bounds;
  width: Bounds;
  activations: readonly Activation[];
  head?: Activation;
  kernelSize: Bounds;
  initKinds: readonly InitKind[];
  initScale: Bounds;
  low: number;
  high: number;
  biases: boolean;
  optimizers: readonly OptimizerName[];
  learningRate: Bounds;
  epsilon: Bounds;
  momentum: number;
  clipnorm?: OptionalBounds;
  clipvalue?: OptionalBounds;
  losses: readonly string[];
  targets?: TargetKind;
  gradientScale: Bounds;
  rows: Bounds;
  features: Bounds;
  timeSteps: Bounds;
  values: number;
  scale?: { min: number; max: number; columns: 'one' | 'all' };
  nonFinite: Bounds;
  nonFiniteValues: readonly number[];
  outputs?: Bounds;
  batchSize: Bounds;
  steps: Bounds;
  shrinkBudget: number;
  model?: string;
}

function resolve(o: TrainingConfigOptions): Resolved {
  const L = o.layers ?? {};
  const types = choices(L.types, ['dense'], LAYER_TYPES, 'layer type');
  const losses = o.losses ?? ['mse'];
  if (!Array.isArray(losses) || losses.length === 0) throw new RangeError('trainingConfig: losses needs at least one name');
  for (const l of losses) {
    if (typeof l !== 'string' || l === '') throw new RangeError('trainingConfig: loss names must be non-empty strings');
  }
  const D = o.data ?? {};
  const scale = D.scale;
  if (scale !== undefined) {
    const min = scale.min ?? 1;
    if (!(min > 0) || !(scale.max >= min)) throw new RangeError(`trainingConfig: data.scale needs 0 < min <= max, got [${min}, ${scale.max}]`);
  }
  const values = D.values ?? 1;
  if (!(values > 0) || !Number.isFinite(values)) throw new RangeError('trainingConfig: data.values must be a positive number');
  const O = o.optimizer ?? {};
  const lr = bounds(O.learningRate, { min: 1e-4, max: 1e-2 }, 'learningRate', false);
  if (lr.min <= 0) throw new RangeError('trainingConfig: learningRate must be positive');
  const I = o.init ?? {};
  const r: Resolved = {
    types,
    sequence: types.some((t) => SEQUENCE_LAYERS.includes(t)),
    depth: bounds(L.depth, { min: 0, max: 3 }, 'layers.depth'),
    width: bounds(L.width, { min: 1, max: 16 }, 'layers.width'),
    activations: choices(L.activations, ['relu', 'tanh', 'sigmoid', 'linear'], ACTIVATIONS, 'activation'),
    ...(L.head ? { head: choices([L.head], [], ACTIVATIONS, 'head activation')[0]! } : {}),
    kernelSize: bounds(L.kernelSize, { min: 1, max: 3 }, 'layers.kernelSize'),
    initKinds: choices(I.kinds, ['glorot', 'he'], INIT_KINDS, 'init kind'),
    initScale: bounds(I.scale, { min: 1, max: 1 }, 'init.scale', false),
    low: I.low ?? -0.05,
    high: I.high ?? 0.05,
    biases: I.biases ?? false,
    optimizers: choices(O.names, OPTIMIZERS, OPTIMIZERS, 'optimizer'),
    learningRate: lr,
    epsilon: bounds(O.epsilon, { min: 1e-7, max: 1e-7 }, 'epsilon', false),
    momentum: O.momentum ?? 0.9,
    ...(optionalBounds(O.clipnorm, 'clipnorm') ? { clipnorm: optionalBounds(O.clipnorm, 'clipnorm')! } : {}),
    ...(optionalBounds(O.clipvalue, 'clipvalue') ? { clipvalue: optionalBounds(O.clipvalue, 'clipvalue')! } : {}),
    losses,
    ...(o.targets ? { targets: o.targets } : {}),
    gradientScale: bounds(o.gradientScale, { min: 1, max: 1 }, 'gradientScale', false),
    rows: bounds(D.rows, { min: 1, max: 16 }, 'data.rows'),
    features: bounds(D.features, { min: 1, max: 4 }, 'data.features'),
    timeSteps: bounds(D.timeSteps, { min: 2, max: 6 }, 'data.timeSteps'),
    values,
    ...(scale ? { scale: { min: scale.min ?? 1, max: scale.max, columns: scale.columns ?? 'one' } } : {}),
    nonFinite: bounds(D.nonFinite, { min: 0, max: 0 }, 'data.nonFinite'),
    nonFiniteValues: D.nonFiniteValues ?? [NaN],
    ...(D.outputs !== undefined ? { outputs: bounds(D.outputs, { min: 1, max: 1 }, 'data.outputs') } : {}),
    batchSize: bounds(o.batchSize, { min: 1, max: 8 }, 'batchSize'),
    steps: bounds(o.steps, { min: 1, max: 20 }, 'steps'),
    shrinkBudget: o.shrinkBudget ?? 200,
    ...(o.model !== undefined ? { model: o.model } : {}),
  };
  if (!Number.isInteger(r.shrinkBudget) || r.shrinkBudget < 0) throw new RangeError('trainingConfig: shrinkBudget must be a non-negative integer');
  if (r.initScale.min <= 0) throw new RangeError('trainingConfig: init.scale must be positive');
  if (r.rows.min < 1 || r.features.min < 1 || r.timeSteps.min < 1 || r.batchSize.min < 1 || r.steps.min < 1 || r.width.min < 1) {
    throw new RangeError('trainingConfig: rows, features, timeSteps, batchSize, steps and width must be at least 1');
  }
  if (r.depth.min < 0) throw new RangeError('trainingConfig: layers.depth must be >= 0');
  if (r.nonFinite.min < 0) throw new RangeError('trainingConfig: data.nonFinite must be >= 0');
  return r;
}

function targetKind(r: Resolved, loss: string): TargetKind {
  return isBuiltinLoss(loss) ? BUILTIN_LOSSES[loss].targets : (r.targets ?? 'values');
}

function headActivation(r: Resolved, loss: string): Activation {
  return r.head ?? (isBuiltinLoss(loss) ? BUILTIN_LOSSES[loss].head : 'linear');
}

/** The state of one shrink of a failure; it travels as the context of fast-check's Values. */
interface ShrinkSession {
  readonly tried: Set<string>;
  left: number;
}

function isShrinkSession(x: unknown): x is ShrinkSession {
  return typeof x === 'object' && x !== null && (x as ShrinkSession).tried instanceof Set && typeof (x as ShrinkSession).left === 'number';
}

class TrainingConfigArbitrary extends fc.Arbitrary<TrainingConfig> {
  constructor(private readonly r: Resolved) {
    super();
  }

  generate(mrng: fc.Random): fc.Value<TrainingConfig> {
    const r = this.r;
    const loss = pick(mrng, r.losses);
    const targets = targetKind(r, loss);
    // layers: sequence layers first (when the data is a sequence), then dense
    const depth = drawInt(mrng, r.depth);
    const seqTypes = r.types.filter((t) => SEQUENCE_LAYERS.includes(t));
    const hasDense = r.types.includes('dense');
    const nSeq = r.sequence ? (hasDense ? mrng.nextInt(0, depth) : depth) : 0;
    const layers: LayerSpec[] = [];
    // one width for the model; each layer has it half the time (real MLPs are often uniform), else a narrower one
    const wide = drawInt(mrng, r.width);
    for (let i = 0; i < depth; i++) {
      const type = i < nSeq ? pick(mrng, seqTypes) : 'dense';
      const units = mrng.nextInt(0, 1) === 0 ? wide : drawInt(mrng, { min: r.width.min, max: wide });
      const spec: LayerSpec = { type, units, activation: pick(mrng, r.activations) };
      layers.push(type === 'conv1d' ? { ...spec, kernelSize: drawInt(mrng, r.kernelSize) } : spec);
    }
    const outputs = r.outputs ? drawInt(mrng, r.outputs) : targets === 'oneHot' ? mrng.nextInt(2, 3) : 1;
    layers.push({ type: 'dense', units: outputs, activation: headActivation(r, loss) });
    // data
    const rows = drawInt(mrng, r.rows);
    const features = drawInt(mrng, r.features);
    const shape = r.sequence ? [rows, drawInt(mrng, r.timeSteps), features] : [rows, features];
    const size = shape.reduce((a, b) => a * b, 1);
    const xs = Array.from({ length: size }, () => ordinary(mrng, r.values));
    const bad = Math.min(drawInt(mrng, r.nonFinite), size);
    for (let k = 0; k < bad; k++) xs[mrng.nextInt(0, size - 1)] = pick(mrng, r.nonFiniteValues);
    const scales = new Array<number>(features).fill(1);
    if (r.scale) {
      const b = { min: r.scale.min, max: r.scale.max };
      if (r.scale.columns === 'all') scales.fill(drawLog(mrng, b));
      else scales[mrng.nextInt(0, features - 1)] = drawLog(mrng, b);
    }
    const ys: number[] = [];
    for (let i = 0; i < rows; i++) {
      if (targets === 'oneHot') {
        const hot = mrng.nextInt(0, outputs - 1);
        for (let j = 0; j < outputs; j++) ys.push(j === hot ? 1 : 0);
      } else for (let j = 0; j < outputs; j++) ys.push(targets === 'binary' ? mrng.nextInt(0, 1) : ordinary(mrng, 1));
    }
    // optimizer
    const name = pick(mrng, r.optimizers);
    const optimizer: { -readonly [K in keyof OptimizerSpec]: OptimizerSpec[K] } = { name, learningRate: drawLog(mrng, r.learningRate) };
    if (EPSILON_OPTIMIZERS.includes(name)) optimizer.epsilon = drawLog(mrng, r.epsilon);
    if (name === 'momentum') optimizer.momentum = r.momentum;
    for (const clip of ['clipnorm', 'clipvalue'] as const) {
      const b = r[clip];
      if (b && (!b.optional || mrng.nextInt(0, 1) === 1)) optimizer[clip] = drawLog(mrng, b);
    }
    const kind = pick(mrng, r.initKinds);
    const config: TrainingConfig = {
      layers,
      init: { kind, scale: drawLog(mrng, r.initScale), ...(kind === 'uniform' ? { low: r.low, high: r.high } : {}), ...(r.biases ? { biases: true } : {}) },
      seed: mrng.nextInt(0, 9999),
      optimizer,
      loss,
      gradientScale: drawLog(mrng, r.gradientScale),
      batchSize: drawInt(mrng, r.batchSize),
      steps: drawInt(mrng, r.steps),
      data: { x: tensorValue(shape, xs), y: tensorValue([rows, outputs], ys), scales },
      ...(r.model !== undefined ? { model: r.model } : {}),
    };
    return new fc.Value(config, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is TrainingConfig {
    if (configProblem(value) !== undefined) return false;
    const c = value as TrainingConfig;
    const r = this.r;
    const hidden = c.layers.slice(0, -1);
    return (
      inRange(r.depth, hidden.length) &&
      hidden.every((l) => r.types.includes(l.type) && inRange(r.width, l.units) && r.activations.includes(l.activation)) &&
      r.losses.includes(c.loss) &&
      r.optimizers.includes(c.optimizer.name) &&
      inRange(r.learningRate, c.optimizer.learningRate) &&
      inRange(r.steps, c.steps) &&
      inRange(r.batchSize, c.batchSize) &&
      inRange(r.rows, c.data.x.shape[0]!) &&
      (c.data.x.shape.length === 3) === r.sequence
    );
  }

  shrink(value: TrainingConfig, context: unknown): fc.Stream<fc.Value<TrainingConfig>> {
    const r = this.r;
    // One session per shrink of a failure: candidates derived from a candidate share it (it is their
    // Value's context). A training run is deterministic, so a candidate tried once (it passed, or it
    // would be the current value) is never tried again, and the session stops after `shrinkBudget` runs.
    const session: ShrinkSession = isShrinkSession(context) ? context : { tried: new Set<string>([configKey(value)]), left: r.shrinkBudget };
    return new fc.Stream(
      (function* () {
        for (const c of shrinkCandidates(value, r)) {
          if (session.left <= 0) return;
          const key = configKey(c);
          if (session.tried.has(key)) continue;
          session.tried.add(key);
          session.left--;
          yield new fc.Value(c, session);
        }
      })(),
    );
  }
}

/** A string that identifies a configuration (for de-duplicating shrink candidates). */
function configKey(c: TrainingConfig): string {
  const { data, ...rest } = c;
  return JSON.stringify([rest, data.x.shape, Array.from(data.x.data, String), data.y.shape, Array.from(data.y.data), data.scales]);
}

function withData(c: TrainingConfig, data: Partial<TrainingConfig['data']>): TrainingConfig {
  return { ...c, data: { ...c.data, ...data } };
}

function withOptimizer(c: TrainingConfig, o: Partial<OptimizerSpec>): TrainingConfig {
  return { ...c, optimizer: { ...c.optimizer, ...o } };
}

function withoutKey<T extends object, K extends keyof T>(o: T, k: K): Omit<T, K> {
  const { [k]: _, ...rest } = o;
  return rest;
}

function withLayer(c: TrainingConfig, i: number, l: LayerSpec): TrainingConfig {
  return { ...c, layers: c.layers.map((x, j) => (j === i ? l : x)) };
}

/** Shrink candidates of a configuration, in the documented order. */
export function* shrinkCandidates(c: TrainingConfig, r: Resolved): Generator<TrainingConfig> {
  const hidden = c.layers.length - 1;
  const head = c.layers[hidden]!;
  // 0. stop right after the step that diverged (known from the run that failed): same failure, cheaper candidates
  const at = divergedAt.get(c);
  if (at !== undefined && at + 1 < c.steps && at + 1 >= r.steps.min) yield { ...c, steps: at + 1 };
  // 1. fewer hidden layers: all the way to the minimum, then one at a time (last first)
  if (hidden > r.depth.min) {
    yield { ...c, layers: [...c.layers.slice(0, r.depth.min), head] };
    for (let i = hidden - 1; i >= 0; i--) {
      if (hidden - 1 === r.depth.min && i === hidden - 1) continue; // same as the candidate above
      yield { ...c, layers: c.layers.filter((_, j) => j !== i) };
    }
  }
  // 2. narrower layers: all at once (to the minimum, halved), then one at a time
  if (hidden > 0) {
    for (const f of [0, 0.5]) {
      const layers = c.layers.map((l, i) => (i < hidden ? { ...l, units: Math.max(r.width.min, Math.ceil(l.units * f)) } : l));
      if (layers.some((l, i) => l.units !== c.layers[i]!.units)) yield { ...c, layers };
    }
  }
  for (let i = 0; i < hidden; i++) {
    const l = c.layers[i]!;
    for (const u of smallerInts(l.units, r.width.min)) yield withLayer(c, i, { ...l, units: u });
  }
  // 3. fewer steps
  for (const s of smallerInts(c.steps, r.steps.min)) yield { ...c, steps: s };
  // 4. smaller batch
  for (const b of smallerInts(c.batchSize, r.batchSize.min)) yield { ...c, batchSize: b };
  // 5. fewer data rows, then fewer features and time steps
  const x = c.data.x;
  const y = c.data.y;
  for (const keep of keepSubsets(x.shape[0]!, r.rows.min)) yield withData(c, { x: sliceAxis(x, 0, keep), y: sliceAxis(y, 0, keep) });
  const fAxis = x.shape.length - 1;
  for (const keep of keepSubsets(x.shape[fAxis]!, r.features.min)) {
    yield withData(c, { x: sliceAxis(x, fAxis, keep), scales: keep.map((k) => c.data.scales[k]!) });
  }
  if (x.shape.length === 3) for (const keep of keepSubsets(x.shape[1]!, r.timeSteps.min)) yield withData(c, { x: sliceAxis(x, 1, keep) });
  // 6. simpler data values (x cells, then targets)
  const inX = (v: number): boolean => Math.abs(v) <= r.values;
  for (let i = 0; i < x.data.length; i++) for (const v of simplerCell(x.data[i]!, inX)) yield withData(c, { x: withElement(x, i, v) });
  const targets = targetKind(r, c.loss);
  if (targets === 'oneHot') {
    const k = y.shape[1]!;
    for (let row = 0; row < y.shape[0]!; row++) {
      if (y.data[row * k] === 1) continue;
      const data = Array.from(y.data);
      for (let j = 0; j < k; j++) data[row * k + j] = j === 0 ? 1 : 0;
      yield withData(c, { y: tensorValue(y.shape, data) });
    }
  } else {
    const inY = (v: number): boolean => (targets === 'binary' ? v === 0 || v === 1 : Math.abs(v) <= 1);
    for (let i = 0; i < y.data.length; i++) for (const v of simplerCell(y.data[i]!, inY)) yield withData(c, { y: withElement(y, i, v) });
  }
  // 7. lower learning rate
  for (const lr of lower(c.optimizer.learningRate, r.learningRate)) yield withOptimizer(c, { learningRate: lr });
  // 8. simpler hyperparameters
  for (const clip of ['clipnorm', 'clipvalue'] as const) {
    const v = c.optimizer[clip];
    const b = r[clip];
    if (v === undefined || !b) continue;
    if (b.optional) yield { ...c, optimizer: withoutKey(c.optimizer, clip) };
    for (const s of toward(v, 1, b)) yield withOptimizer(c, { [clip]: s });
  }
  if (c.optimizer.epsilon !== undefined) {
    for (const e of toward(c.optimizer.epsilon, r.epsilon.min === 0 ? 0 : r.epsilon.min, r.epsilon)) yield withOptimizer(c, { epsilon: e });
  }
  for (const s of toward(c.gradientScale, 1, r.gradientScale)) yield { ...c, gradientScale: s };
  for (const s of toward(c.init.scale, 1, r.initScale)) yield { ...c, init: { ...c.init, scale: s } };
  if (r.scale) {
    const b = { min: r.scale.min, max: r.scale.max };
    if (r.scale.columns === 'all') {
      const s0 = c.data.scales[0]!;
      for (const s of toward(s0, b.min, b)) yield withData(c, { scales: c.data.scales.map(() => s) });
    } else {
      for (let j = 0; j < c.data.scales.length; j++) {
        const s0 = c.data.scales[j]!;
        if (s0 === 1) continue;
        for (const s of toward(s0, b.min, b)) yield withData(c, { scales: c.data.scales.map((v, k) => (k === j ? s : v)) });
      }
    }
  }
  for (let i = 0; i < hidden; i++) {
    const l = c.layers[i]!;
    const simplest = r.activations[0]!;
    if (l.activation !== simplest) yield withLayer(c, i, { ...l, activation: simplest });
    if (l.kernelSize !== undefined) for (const k of smallerInts(l.kernelSize, r.kernelSize.min)) yield withLayer(c, i, { ...l, kernelSize: k });
  }
}

/**
 * An arbitrary of training configurations (see {@link TrainingConfigOptions}).
 *
 * ```ts
 * trainingConfig({
 *   layers: { depth: { min: 1, max: 3 }, width: { min: 2, max: 32 }, activations: ['relu'] },
 *   optimizer: { names: ['sgd'], learningRate: { min: 1e-3, max: 1e-2 } },
 *   data: { scale: { max: 1e6, columns: 'one' } },   // one feature up to 1e6 times the others
 *   steps: { min: 5, max: 20 },
 * })
 * ```
 */
export function trainingConfig(options: TrainingConfigOptions = {}): fc.Arbitrary<TrainingConfig> {
  return new TrainingConfigArbitrary(resolve(options));
}

export type { Resolved as ResolvedTrainingOptions };
