/**
 * An optimizer as data: its class and config (`getConfig()`, as tfjs serializes it) and its state —
 * the iteration count, its own variables (Adam's accBeta1 / accBeta2) and its slots (one variable per
 * trained weight: moments, accumulators), read synchronously and exactly from the optimizer's fields.
 *
 * tfjs's `getWeights()` / `setWeights()` are async and recompute some state (Adam's accBeta1 becomes
 * pow(beta1, iterations + 1), which can differ from the running product in the last bit): a replayed
 * step must start from exactly the state the captured step started from, so the fields are copied.
 * Every tfjs 4.22 optimizer keeps its state the same way: numbers, tf.Variables, and arrays of
 * `{ originalName, variable }` indexed like the weights it updates.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeOptimizer } from '../train/optimizer.ts';

export interface OptimizerSpec {
  /** The registered class name (`Adam`, `SGD`, `Momentum`, `RMSProp`, `Adagrad`, `Adadelta`, `Adamax`). */
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** One slot variable: the name tfjs gave it (`dense_Dense1/kernel/m`) and its value. */
export interface Slot<T> {
  readonly name: string;
  readonly value: T;
}

/** The state of an optimizer; `T` is tf.Tensor while training and TensorValue in a capture. */
export interface OptimizerState<T> {
  /** Own numeric fields (iterations_, and the hyperparameters as numbers). */
  readonly numbers: Readonly<Record<string, number>>;
  /** Own tf.Variable fields (Adam: accBeta1, accBeta2). */
  readonly variables: Readonly<Record<string, T>>;
  /** Slot arrays by field (Adam: accumulatedFirstMoment, accumulatedSecondMoment); null where no slot exists yet. */
  readonly slots: Readonly<Record<string, readonly (Slot<T> | null)[]>>;
}

export const EMPTY_STATE: OptimizerState<never> = { numbers: {}, variables: {}, slots: {} };

type SlotEntry = { originalName: string; variable: tf.Variable };

function isSlotArray(v: unknown): v is (SlotEntry | undefined)[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as Partial<SlotEntry> | undefined;
    if (e === undefined || e === null) continue;
    if (typeof e !== 'object' || typeof e.originalName !== 'string' || !(e.variable instanceof tf.Variable)) return false;
  }
  return true;
}

/** Class name and config of an optimizer. */
export function optimizerSpec(optimizer: tf.Optimizer): OptimizerSpec {
  const className = (optimizer.constructor as unknown as { className?: string }).className ?? optimizer.getClassName();
  return { className, config: { ...optimizer.getConfig() } };
}

/** Describe an optimizer spec for people: `Adam(learningRate 0.01, beta1 0.9, ...)`. */
export function describeOptimizer(spec: OptimizerSpec): string {
  const args = Object.entries(spec.config)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')
    .map(([k, v]) => `${k} ${String(v)}`);
  return `${spec.className}(${args.join(', ')})`;
}

/** Which fields of an optimizer hold its state (tfjs optimizers create them all in their constructor). */
interface Layout {
  /** Own fields when it was made: a field added later (iterations_ appears on the first update) makes a new layout. */
  readonly fields: number;
  readonly numbers: readonly string[];
  readonly variables: readonly string[];
  readonly slots: readonly string[];
}

const layouts = new WeakMap<tf.Optimizer, Layout>();

function layoutOf(optimizer: tf.Optimizer): Layout {
  let layout = layouts.get(optimizer);
  const fields = Object.keys(optimizer).length;
  if (!layout || layout.fields !== fields) {
    const numbers: string[] = [];
    const variables: string[] = [];
    const slots: string[] = [];
    for (const [field, value] of Object.entries(optimizer)) {
      if (typeof value === 'number') numbers.push(field);
      else if (value instanceof tf.Variable) variables.push(field);
      else if (isSlotArray(value)) slots.push(field);
    }
    layout = { fields, numbers, variables, slots };
    layouts.set(optimizer, layout);
  }
  return layout;
}

/**
 * The optimizer's state, each tensor `take`n (by default a kept tf.clone: it shares the variable's
 * current data, which stays alive when the next update assigns new data to the variable). The
 * guard calls this every step: which fields hold state is found once per optimizer.
 */
export function optimizerState<T>(
  optimizer: tf.Optimizer,
  take: (t: tf.Tensor) => T = ((t: tf.Tensor) => tf.keep(tf.clone(t))) as unknown as (t: tf.Tensor) => T,
): OptimizerState<T> {
  const layout = layoutOf(optimizer);
  const source = optimizer as unknown as Record<string, unknown>;
  const numbers: Record<string, number> = {};
  const variables: Record<string, T> = {};
  const slots: Record<string, (Slot<T> | null)[]> = {};
  for (const field of layout.numbers) {
    const v = source[field];
    if (typeof v === 'number') numbers[field] = v;
  }
  for (const field of layout.variables) {
    const v = source[field];
    if (v instanceof tf.Variable) variables[field] = take(v);
  }
  for (const field of layout.slots) {
    const value = source[field] as (SlotEntry | undefined)[] | undefined;
    if (!Array.isArray(value)) continue;
    const list: (Slot<T> | null)[] = [];
    for (let i = 0; i < value.length; i++) {
      const e = value[i];
      list.push(e && e.variable instanceof tf.Variable ? { name: e.originalName, value: take(e.variable) } : null);
    }
    slots[field] = list;
  }
  return { numbers, variables, slots };
}

/** Every tensor of a state. */
export function stateTensors<T>(state: OptimizerState<T>): T[] {
  return [...Object.values(state.variables), ...Object.values(state.slots).flatMap((l) => l.flatMap((s) => (s ? [s.value] : [])))];
}

/** Raised when an optimizer cannot be made or restored from a capture. */
export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

/** A new optimizer of the spec's class and config (the caller disposes it, see {@link disposeOptimizer}). */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const entry = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, (cls: unknown, c: object) => unknown] | undefined>)[
    spec.className
  ];
  if (!entry) throw new OptimizerStateError(`unknown optimizer class '${spec.className}'`);
  const made = entry[1](entry[0], { ...spec.config });
  if (!(made instanceof tf.Optimizer)) throw new OptimizerStateError(`'${spec.className}' is not an optimizer`);
  return made;
}

/**
 * Put a captured state into a fresh optimizer of the same class: numbers are set, own variables
 * assigned, slot variables created (as the optimizer would, not trainable, by index). The
 * optimizer's dispose() frees them.
 */
export function restoreOptimizerState(optimizer: tf.Optimizer, state: OptimizerState<tf.Tensor>): void {
  const target = optimizer as unknown as Record<string, unknown>;
  for (const [field, n] of Object.entries(state.numbers)) target[field] = n;
  for (const [field, t] of Object.entries(state.variables)) {
    const v = target[field];
    if (!(v instanceof tf.Variable)) throw new OptimizerStateError(`the optimizer has no variable '${field}' to restore`);
    v.assign(t);
  }
  for (const [field, list] of Object.entries(state.slots)) {
    const old = target[field];
    if (old !== undefined && !isSlotArray(old)) throw new OptimizerStateError(`the optimizer's '${field}' is not a list of slots`);
    for (const e of (old as (SlotEntry | undefined)[] | undefined) ?? []) e?.variable.dispose();
    // a sparse array: tfjs creates the slots still missing on the first update, and dispose() skips holes
    const slots: SlotEntry[] = [];
    list.forEach((s, i) => {
      if (s) slots[i] = { originalName: s.name, variable: tf.variable(s.value, false) };
    });
    target[field] = slots;
  }
}

export { disposeOptimizer };
