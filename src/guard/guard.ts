/**
 * The guard: a flight recorder for real training.
 *
 *   const guard = nanGuard(model);                        // after model.compile
 *   await model.fit(xs, ys, { epochs: 50, callbacks: [guard] });
 *
 * It wraps the model's train function (what model.fit, fitDataset and trainOnBatch call once per
 * step), so it sees each step's batch and loss; as a callback it also learns the epoch and batch.
 * For custom loops, `guard.minimize(x, y)` takes a step with the model's optimizer and
 * `guard.applyGradients(grads, { x, y })` applies gradients the loop computed.
 *
 * Each step it reads the loss (one scalar) and checks it is finite; every `checkEvery` steps (and
 * after `check()`) it also checks every weight after the update and every gradient. Before each
 * step it keeps, for the last `history` steps, what is needed to take the step again: the weights
 * and the optimizer's state from before it, and the batch — as tf.clone-s, which share the
 * tensors' data (no copy: an update gives a variable new data, the clone keeps the old alive), so
 * memory is bounded by `history` copies of weights, optimizer state and batch.
 *
 * On the first non-finite value it writes a capture (src/guard/capture.ts) of the step that made it
 * — the latest kept step whose weights were still finite before it — prints one line saying where
 * the capture is and how to replay it, and stops training (unless `stop: false`).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tensorValue, type TensorValue } from '../core/tensor-value.ts';
import { VERSION } from '../core/version.ts';
import { captureFileName, DEFAULT_CAPTURE_DIR, writeCapture, type Capture, type CaptureInfo } from './capture.ts';
import { describeSymptom, valueName, type CaseData, type NamedValue, type StepKind, type Symptom } from './case.ts';
import { lossSpecOf, type LossFunction, type LossSpec } from './loss.ts';
import { optimizerSpec, optimizerState, stateTensors, type OptimizerState } from './optimizer-state.ts';
import { stepLoss, weightSymptom } from './step.ts';
import { topologyOf, trainingModel } from './topology.ts';

export interface GuardOptions {
  /** Directory of captures (default `.nanhunt/captures`, relative to the working directory). */
  readonly dir?: string;
  /** Stop training on the first non-finite value (default true): fit stops after that step; guard.stopped is set. */
  readonly stop?: boolean;
  /** Also check every weight and gradient every k steps (default 0: only on check()). The loss is checked every step. */
  readonly checkEvery?: number;
  /** Steps kept to take again (default 2, at least 1): the step that made the weights non-finite is found among them. */
  readonly history?: number;
  /** Custom loops: the loss (a function of yTrue, yPred, or a tfjs-layers loss name). Default: the compiled model's loss. */
  readonly loss?: string | LossFunction | readonly (string | LossFunction)[];
  /** The loss function's source text, when its own text does not run on its own (it calls helpers). */
  readonly lossSource?: string | readonly string[];
  /** Custom loops: the optimizer (default: the compiled model's). */
  readonly optimizer?: tf.Optimizer;
  /** Name in capture files (default: the model's name). */
  readonly name?: string;
  /** Where the one line goes (default: stderr); false for silence. */
  readonly log?: ((line: string) => void) | false;
  /** Called with the capture's path and what was captured. */
  readonly onCapture?: (file: string, info: CaptureInfo) => void;
}

/** What the guard noticed. */
export interface Detection {
  readonly step: number;
  readonly what: 'loss' | 'weight' | 'gradient';
  readonly name?: string;
  readonly value: number;
}

interface Snapshot {
  /** Every tensor the snapshot holds (freed when it leaves the history). */
  readonly tensors: tf.Tensor[];
  readonly step: number;
  readonly epoch?: number;
  readonly batch?: number;
  readonly kind: StepKind;
  readonly weights: tf.Tensor[];
  readonly optimizer: OptimizerState<tf.Tensor>;
  readonly inputs: tf.Tensor[];
  readonly targets: tf.Tensor[];
  readonly sampleWeights: tf.Tensor[];
  readonly gradients?: NamedValue<tf.Tensor>[];
}

type SharingEngine = {
  backend: { incRef?(dataId: object): void };
  makeTensorFromTensorInfo?(info: { dataId: object; shape: number[]; dtype: string }, backend: unknown): tf.Tensor;
};

/**
 * A kept tensor sharing `t`'s data (what tf.clone gives on the cpu backend): the data stays alive
 * when a variable is assigned new data. Done as tf.clone's cpu kernel does it — one more reference
 * to the data — on every backend: wasm's clone kernel copies the data, and the engine's kernel
 * dispatch costs more than the step can spare. Falls back to tf.clone where the engine lacks it.
 */
function keepClone(t: tf.Tensor): tf.Tensor {
  const engine = tf.engine() as unknown as SharingEngine;
  const backend = engine.backend;
  if (typeof backend.incRef === 'function' && typeof engine.makeTensorFromTensorInfo === 'function') {
    backend.incRef(t.dataId);
    return tf.keep(engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, backend));
  }
  return tf.keep(tf.clone(t));
}

function tensorValueOf(t: tf.Tensor): TensorValue {
  const dtype = t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32';
  return tensorValue(t.shape, t.dataSync() as ArrayLike<number>, dtype);
}

function firstNonFinite(t: tf.Tensor): number | undefined {
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) return v;
  }
  return undefined;
}

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function quote(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A gradient as a list entry (tfjs's NamedTensor). */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** Marks a model whose train function a guard wraps. */
const GUARDED = Symbol.for('nanhunt.guarded');

function scalarValue(x: number | tf.Tensor): number {
  return typeof x === 'number' ? x : x.dataSync()[0]!;
}

type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];

/** A flight recorder for one model's training. Create it with {@link nanGuard}. */
export class NanGuard extends tf.Callback {
  /** Steps watched so far. */
  steps = 0;
  /** The first non-finite value seen, if any. */
  detected: Detection | undefined;
  /** The capture written, if any (absolute path). */
  captureFile: string | undefined;
  /** True once training was stopped (or, in a custom loop, should stop). */
  stopped = false;
  /**
   * Time of the steps the guard watched without finding anything, and of its own work around them
   * (keeping the state, reading and checking the loss, checks): guardMs / stepMs is its overhead.
   */
  readonly timing = { steps: 0, stepMs: 0, guardMs: 0 };

  private readonly guarded: tf.LayersModel;
  private readonly trainer: tf.LayersModel;
  private readonly options: GuardOptions;
  private readonly history: number;
  private readonly ring: Snapshot[] = [];
  private epoch: number | undefined;
  private batchIndex: number | undefined;
  private fullCheckRequested = false;
  /** Losses of the last steps (for the capture). */
  private readonly recentLosses: number[] = [];
  private readonly originalMakeTrainFunction: (() => TrainFunction) | undefined;
  private lossFunctions: LossFunction[] | undefined;

  constructor(model: tf.LayersModel, options: GuardOptions = {}) {
    super();
    if (!(model instanceof tf.LayersModel)) throw new TypeError('nanGuard: expected a tf.LayersModel (tf.sequential() or tf.model())');
    if (options.checkEvery !== undefined && (!Number.isInteger(options.checkEvery) || options.checkEvery < 0)) {
      throw new RangeError(`nanGuard: checkEvery must be a non-negative integer, got ${options.checkEvery}`);
    }
    if (options.history !== undefined && (!Number.isInteger(options.history) || options.history < 1)) {
      throw new RangeError(`nanGuard: history must be a positive integer, got ${options.history}`);
    }
    this.guarded = model;
    this.options = options;
    this.history = options.history ?? 2;
    let trainer: tf.LayersModel;
    try {
      trainer = trainingModel(model);
    } catch (e) {
      throw new TypeError(`nanGuard: the model is not built (give its first layer an inputShape, or compile it first): ${(e as Error).message}`);
    }
    this.trainer = trainer;
    if ((trainer as unknown as Record<symbol, unknown>)[GUARDED]) throw new TypeError('nanGuard: this model is guarded already (detach that guard first)');
    (trainer as unknown as Record<symbol, unknown>)[GUARDED] = true;
    const own = Object.hasOwn(trainer, 'makeTrainFunction') ? (trainer as unknown as { makeTrainFunction: () => TrainFunction }).makeTrainFunction : undefined;
    this.originalMakeTrainFunction = own;
    const make = (trainer as unknown as { makeTrainFunction: () => TrainFunction }).makeTrainFunction.bind(trainer);
    (trainer as unknown as { makeTrainFunction: () => TrainFunction }).makeTrainFunction = () => {
      const f = make();
      return (data: tf.Tensor[]) => this.fitStep(f, data);
    };
  }

  // -------------------------------------------------------------------------------------------
  // callbacks: epoch and batch numbers

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }

  override async onBatchBegin(batch: number): Promise<void> {
    this.batchIndex = batch;
  }

  override async onTrainBegin(): Promise<void> {
    this.weightVariables = undefined; // the model may have changed between fits
    this.trainableVariables = undefined;
  }

  override async onTrainEnd(): Promise<void> {
    this.epoch = undefined;
    this.batchIndex = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // the public API

  /** Check every weight and gradient at the next step. */
  check(): void {
    this.fullCheckRequested = true;
  }

  /** Check the model's weights now: the first non-finite one, or undefined. */
  checkWeights(): Symptom | undefined {
    return weightSymptom(this.guarded.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
  }

  /**
   * Custom loops: one step — the optimizer minimizes the mean loss of the model's training-mode
   * predictions on (x, y) plus its regularizer losses. Returns the loss.
   */
  minimize(x: tf.Tensor | readonly tf.Tensor[], y: tf.Tensor | readonly tf.Tensor[]): number {
    const inputs = Array.isArray(x) ? [...x] : [x as tf.Tensor];
    const targets = Array.isArray(y) ? [...y] : [y as tf.Tensor];
    const optimizer = this.optimizer();
    const lossFns = this.lossFns();
    this.trainableVariables ??= this.guarded.trainableWeights.map((w) => w.read() as tf.Variable);
    const vars = this.trainableVariables;
    return this.watch('minimize', inputs, targets, [], undefined, () =>
      tf.tidy(() => {
        const l = optimizer.minimize(() => stepLoss(this.guarded, lossFns, inputs, targets), true, vars);
        return l!.dataSync()[0]!;
      }),
    );
  }

  /**
   * Custom loops: apply gradients you computed (for example after clipping), keeping them with the
   * batch they came from. Give the step's loss to have it checked; without it the gradients are.
   */
  applyGradients(
    gradients: tf.NamedTensorMap | readonly NamedTensor[],
    batch: { readonly x: tf.Tensor | readonly tf.Tensor[]; readonly y: tf.Tensor | readonly tf.Tensor[]; readonly loss?: number | tf.Tensor },
  ): void {
    const inputs = Array.isArray(batch.x) ? [...batch.x] : [batch.x as tf.Tensor];
    const targets = Array.isArray(batch.y) ? [...batch.y] : [batch.y as tf.Tensor];
    const optimizer = this.optimizer();
    this.lossFns(); // a guard for a loop needs a loss to replay the step
    const byVariable = new Map(this.guarded.weights.map((w) => [(w.read() as tf.Variable).name, w.originalName]));
    const list: NamedTensor[] = Array.isArray(gradients)
      ? [...(gradients as readonly NamedTensor[])]
      : Object.entries(gradients as tf.NamedTensorMap).map(([name, tensor]) => ({ name, tensor }));
    const named = list.map((g) => ({ name: byVariable.get(g.name) ?? g.name, value: keepClone(g.tensor) }));
    const given = batch.loss;
    this.watch('applyGradients', inputs, targets, [], named, () => {
      optimizer.applyGradients(gradients as tf.NamedTensorMap);
      if (given === undefined) {
        // no loss to check: the gradients are checked instead
        for (const g of list) {
          const bad = firstNonFinite(g.tensor);
          if (bad !== undefined) {
            this.pendingGradient = { name: byVariable.get(g.name) ?? g.name, value: bad };
            return Number.NaN;
          }
        }
        return 0;
      }
      return typeof given === 'number' ? given : given.dataSync()[0]!;
    });
  }

  /** Unwrap the model's train function and free what the guard keeps. */
  detach(): void {
    const t = this.trainer as unknown as { makeTrainFunction?: () => TrainFunction };
    if (this.originalMakeTrainFunction) t.makeTrainFunction = this.originalMakeTrainFunction;
    else delete t.makeTrainFunction;
    delete (this.trainer as unknown as Record<symbol, unknown>)[GUARDED];
    this.clear();
  }

  /** Free the kept steps (the guard keeps watching). */
  clear(): void {
    for (const s of this.ring) for (const t of s.tensors) t.dispose();
    this.ring.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // the step

  private pendingGradient: { name: string; value: number } | undefined;
  private weightVariables: tf.Tensor[] | undefined;
  /** Where {@link keep} puts the tensors it keeps (the snapshot being made). */
  private collected: tf.Tensor[] = [];
  /** keepClone, and the tensor noted in the snapshot being made (one function for the guard's life: no closure per step). */
  private readonly keep = (t: tf.Tensor): tf.Tensor => {
    const k = keepClone(t);
    this.collected.push(k);
    return k;
  };
  private trainableVariables: tf.Variable[] | undefined;

  /** The model's weights as variables, in model.weights order (a variable keeps its identity across updates). */
  private variables(): tf.Tensor[] {
    this.weightVariables ??= this.guarded.weights.map((w) => w.read());
    return this.weightVariables;
  }

  private optimizer(): tf.Optimizer {
    const o = this.options.optimizer ?? this.guarded.optimizer;
    if (!o) throw new TypeError('nanGuard: no optimizer: compile the model or pass { optimizer } to nanGuard');
    return o;
  }

  private lossFns(): LossFunction[] {
    if (this.lossFunctions) return this.lossFunctions;
    const given = this.options.loss;
    if (given !== undefined) {
      const list = Array.isArray(given) ? given : [given];
      this.lossFunctions = list.map((l) => {
        if (typeof l === 'function') return l as LossFunction;
        throw new TypeError(
          `nanGuard: in a custom loop the loss must be a function (the compiled model's loss is used when you give none), got '${String(l)}'`,
        );
      });
      return this.lossFunctions;
    }
    const compiled = (this.trainer as unknown as { lossFunctions?: LossFunction[] }).lossFunctions;
    if (!compiled) throw new TypeError('nanGuard: no loss: compile the model or pass { loss } to nanGuard');
    this.lossFunctions = compiled;
    return compiled;
  }

  private lossSpecs(probe: tf.Tensor | undefined): LossSpec[] {
    const given = this.options.loss;
    const losses =
      given !== undefined
        ? Array.isArray(given)
          ? given
          : [given]
        : (() => {
            const l = this.trainer.loss as unknown;
            return Array.isArray(l) ? l : typeof l === 'object' && l !== null ? Object.values(l) : [l];
          })();
    const sources = this.options.lossSource === undefined ? [] : Array.isArray(this.options.lossSource) ? this.options.lossSource : [this.options.lossSource];
    return losses.map((l, i) => lossSpecOf(l, { ...(sources[i] !== undefined ? { source: sources[i] as string } : {}), ...(probe ? { probe } : {}) }));
  }

  private fitStep(f: TrainFunction, data: tf.Tensor[]): tf.Scalar[] {
    const nIn = this.trainer.inputs.length;
    const nOut = this.trainer.outputs.length;
    const inputs = data.slice(0, nIn);
    const targets = data.slice(nIn, nIn + nOut);
    const sampleWeights = data.slice(nIn + nOut, nIn + 2 * nOut).filter((t): t is tf.Tensor => t != null);
    let out: tf.Scalar[] = [];
    this.watch('fit', inputs, targets, sampleWeights, undefined, () => {
      out = f(data);
      return out[0]!; // read by the guard: its cost counts as the guard's
    });
    return out;
  }

  /**
   * One guarded step: keep the state before it, take it, check it; on the first non-finite value
   * capture and (by default) stop.
   */
  private watch(
    kind: StepKind,
    inputs: tf.Tensor[],
    targets: tf.Tensor[],
    sampleWeights: tf.Tensor[],
    gradients: NamedValue<tf.Tensor>[] | undefined,
    take: () => number | tf.Tensor,
  ): number {
    const step = ++this.steps;
    if (this.captureFile !== undefined || this.detected) {
      tf.dispose((gradients ?? []).map((g) => g.value));
      return scalarValue(take());
    }
    const started = performance.now();
    const optimizer = this.options.optimizer ?? this.guarded.optimizer;
    const tensors: tf.Tensor[] = [];
    this.collected = tensors;
    const keep = this.keep;
    for (const g of gradients ?? []) tensors.push(g.value);
    const snap: Snapshot = {
      tensors,
      step,
      ...(this.epoch !== undefined ? { epoch: this.epoch + 1 } : {}),
      ...(this.batchIndex !== undefined ? { batch: this.batchIndex + 1 } : {}),
      kind,
      weights: this.variables().map(keep),
      optimizer: optimizer ? optimizerState(optimizer, keep) : { numbers: {}, variables: {}, slots: {} },
      inputs: inputs.map(keep),
      targets: targets.map(keep),
      sampleWeights: sampleWeights.map(keep),
      ...(gradients ? { gradients } : {}),
    };
    this.ring.push(snap);
    while (this.ring.length > this.history) for (const t of this.ring.shift()!.tensors) t.dispose();

    const every = this.options.checkEvery ?? 0;
    const full = this.fullCheckRequested || (every > 0 && step % every === 0);
    this.fullCheckRequested = false;
    let gradient: { name: string; value: number } | undefined;
    let restore: (() => void) | undefined;
    if (full && optimizer && kind !== 'applyGradients') restore = this.inspectGradients(optimizer, (g) => (gradient ??= g));
    let taken: number | tf.Tensor;
    const before = performance.now();
    let after: number;
    try {
      taken = take();
    } finally {
      after = performance.now();
      restore?.();
    }
    const loss = scalarValue(taken);
    this.recentLosses.push(loss);
    if (this.recentLosses.length > 7) this.recentLosses.shift();
    gradient ??= this.pendingGradient;
    this.pendingGradient = undefined;

    let detection: Detection | undefined;
    if (!Number.isFinite(loss) && !(kind === 'applyGradients' && gradient)) detection = { step, what: 'loss', value: loss };
    else if (full || gradient) {
      const w = this.checkWeights();
      if (w?.what === 'weight') detection = { step, what: 'weight', name: w.name, value: w.value };
      else if (gradient) detection = { step, what: 'gradient', name: gradient.name, value: gradient.value };
    }
    if (detection) this.onNonFinite(detection);
    else {
      const end = performance.now();
      this.timing.guardMs += before - started + (end - after);
      this.timing.stepMs += after - before;
      this.timing.steps++;
    }
    return loss;
  }

  /** Wrap the optimizer's applyGradients for one step to look at the gradients it receives. */
  private inspectGradients(optimizer: tf.Optimizer, found: (g: { name: string; value: number }) => void): () => void {
    const target = optimizer as unknown as Record<string, unknown>;
    const hadOwn = Object.hasOwn(target, 'applyGradients');
    const previous = target.applyGradients;
    const original = optimizer.applyGradients;
    const names = new Map(this.guarded.weights.map((w) => [(w.read() as tf.Variable).name, w.originalName]));
    target.applyGradients = function (this: tf.Optimizer, grads: tf.NamedTensorMap | NamedTensor[]) {
      const list = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
      for (const g of list) {
        const bad = firstNonFinite(g.tensor);
        if (bad !== undefined) {
          found({ name: names.get(g.name) ?? g.name, value: bad });
          break;
        }
      }
      return original.call(this, grads);
    };
    return () => {
      if (hadOwn) target.applyGradients = previous;
      else delete target.applyGradients;
    };
  }

  private onNonFinite(d: Detection): void {
    this.detected = d;
    const stop = this.options.stop ?? true;
    let line: string;
    try {
      const file = this.writeCaptureFor(d);
      this.captureFile = file;
      const f = quote(shown(file));
      const what = d.what === 'loss' ? `the loss is ${valueName(d.value)}` : `${d.what} ${d.name} holds ${valueName(d.value)}`;
      line = `nanhunt guard: ${what} at step ${d.step}${this.where(d.step)}; captured in ${f}${stop ? '; training stopped' : ''}; replay: npx nanhunt capture replay ${f}`;
    } catch (e) {
      line = `nanhunt guard: non-finite ${d.what} at step ${d.step}, but the capture could not be written: ${(e as Error).message.split('\n')[0]}`;
    }
    this.clear();
    if (stop) {
      this.stopped = true;
      this.trainer.stopTraining = true;
    }
    const log = this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    if (log) log(line);
  }

  private where(step: number): string {
    const s = this.ring.find((x) => x.step === step);
    return s?.epoch !== undefined ? ` (epoch ${s.epoch}${s.batch !== undefined ? `, batch ${s.batch}` : ''})` : '';
  }

  /** Choose the step to capture among those kept, and write it. Returns the capture's path. */
  private writeCaptureFor(d: Detection): string {
    const notes: string[] = [];
    // the latest kept step whose weights were finite before it made them non-finite (or the loss)
    let index = this.ring.length - 1;
    while (index >= 0 && this.ring[index]!.weights.some((w) => firstNonFinite(w) !== undefined)) index--;
    if (index < 0) {
      index = 0;
      notes.push(
        `the weights were already non-finite before step ${this.ring[0]!.step}, the oldest step kept: the step that made them so is older (keep more with { history } or check weights with { checkEvery: 1 })`,
      );
    }
    const snap = this.ring[index]!;
    let symptom: Symptom;
    if (index === this.ring.length - 1) {
      symptom = d.what === 'loss' ? { what: 'loss', value: d.value } : (this.checkWeights() ?? { what: 'loss', value: Number.NaN });
    } else {
      // the next kept step started from this step's result: its first non-finite weight
      const next = this.ring[index + 1]!;
      const names = this.guarded.weights.map((w) => w.originalName);
      symptom = weightSymptom(next.weights.map((t, i) => ({ name: names[i]!, tensor: t }))) ?? { what: 'loss', value: Number.NaN };
      notes.push(
        `detected at step ${d.step} (${d.what === 'loss' ? `the loss is ${valueName(d.value)}` : `${d.what} ${d.name}`}); the weights went non-finite in step ${snap.step}: ${describeSymptom(symptom)}`,
      );
    }
    if (stateTensors(snap.optimizer).some((t) => firstNonFinite(t) !== undefined))
      notes.push('the optimizer state already held non-finite values before the step');
    const optimizer = this.options.optimizer ?? this.guarded.optimizer;
    if (!optimizer) throw new TypeError('no optimizer');
    const probe = snap.targets[0];
    const loss = this.lossSpecs(probe);
    for (const l of loss) if (l.kind === 'source' && l.problem) notes.push(`${l.problem}: pass its text as nanGuard(model, { lossSource }) to replay it`);
    const names = this.guarded.weights.map((w) => w.originalName);
    const kase: CaseData = {
      kind: snap.kind,
      step: snap.step,
      topology: topologyOf(this.guarded),
      weights: snap.weights.map((t, i) => ({ name: names[i]!, value: tensorValueOf(t) })),
      optimizer: {
        ...optimizerSpec(optimizer),
        state: {
          numbers: snap.optimizer.numbers,
          variables: Object.fromEntries(Object.entries(snap.optimizer.variables).map(([k, t]) => [k, tensorValueOf(t)])),
          slots: Object.fromEntries(
            Object.entries(snap.optimizer.slots).map(([k, l]) => [k, l.map((s) => (s ? { name: s.name, value: tensorValueOf(s.value) } : null))]),
          ),
        },
      },
      loss,
      inputs: snap.inputs.map(tensorValueOf),
      targets: snap.targets.map(tensorValueOf),
      ...(snap.sampleWeights.length > 0 ? { sampleWeights: snap.sampleWeights.map(tensorValueOf) } : {}),
      ...(snap.gradients ? { gradients: snap.gradients.map((g) => ({ name: g.name, value: tensorValueOf(g.value) })) } : {}),
    };
    const model = this.options.name ?? this.guarded.name;
    const capture: Capture = {
      created: new Date().toISOString(),
      environment: {
        backend: tf.getBackend(),
        tfjs: tf.version.tfjs,
        nanhunt: VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      info: {
        step: snap.step,
        ...(snap.epoch !== undefined ? { epoch: snap.epoch } : {}),
        ...(snap.batch !== undefined ? { batch: snap.batch } : {}),
        model,
        symptom,
        detected: d,
        notes,
        // the losses of the steps before the captured one (the detecting step's is the last)
        losses: this.recentLosses.slice(0, this.recentLosses.length - 1 - (this.ring.length - 1 - index)).slice(-6),
      },
      case: kase,
    };
    const file = writeCapture(captureFileName(path.resolve(this.options.dir ?? DEFAULT_CAPTURE_DIR), model, snap.step), capture);
    this.options.onCapture?.(file, capture.info);
    return file;
  }
}

/**
 * Guard a model's training: pass the result as a callback to model.fit / fitDataset, or call its
 * minimize / applyGradients in a custom loop. Create it after model.compile (or, for a loop, give
 * `{ loss, optimizer }`).
 */
export function nanGuard(model: tf.LayersModel, options: GuardOptions = {}): NanGuard {
  return new NanGuard(model, options);
}
