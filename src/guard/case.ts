/**
 * A captured step as data: everything needed to run one training step again on any backend — the
 * model's topology and every weight before the step, the optimizer's class, config and state before
 * the step, the loss, and the batch — as TensorValues and plain JSON. It is what a capture file
 * holds, what `capture shrink` reduces, and the input of the property saved to the failure database.
 */
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import type { LossSpec } from './loss.ts';
import type { OptimizerSpec, OptimizerState } from './optimizer-state.ts';

/**
 * How the step was taken: `fit` (model.fit, fitDataset or trainOnBatch: tfjs-layers' train
 * function), `minimize` (guard.minimize in a custom loop), `applyGradients` (guard.applyGradients:
 * the gradients the loop computed are part of the case).
 */
export type StepKind = 'fit' | 'minimize' | 'applyGradients';
export const STEP_KINDS: readonly StepKind[] = ['fit', 'minimize', 'applyGradients'];

export interface NamedValue<T = TensorValue> {
  /** The weight's original name (`dense_Dense1/kernel`: stable across rebuilds of the model). */
  readonly name: string;
  readonly value: T;
}

export interface CaseData<T = TensorValue> {
  readonly kind: StepKind;
  /** 1-based number of the step in the run it was captured from (for reports only). */
  readonly step?: number;
  /** `model.toJSON(null, false)`. */
  readonly topology: Readonly<Record<string, unknown>>;
  /** Every weight of the model (trainable or not), in `model.weights` order, before the step. */
  readonly weights: readonly NamedValue<T>[];
  readonly optimizer: OptimizerSpec & { readonly state: OptimizerState<T> };
  /** One loss per model output. */
  readonly loss: readonly LossSpec[];
  /** The batch: one tensor per model input and per output; sample weights when fit used them. */
  readonly inputs: readonly T[];
  readonly targets: readonly T[];
  readonly sampleWeights?: readonly T[];
  /** applyGradients only: the gradients the loop passed, by weight name. */
  readonly gradients?: readonly NamedValue<T>[];
}

/** The non-finite value a step produces, looked for in this order: the loss, then the weights after the update. */
export type Symptom =
  | { readonly what: 'loss'; readonly value: number }
  | { readonly what: 'weight'; readonly name: string; readonly value: number; readonly count: number; readonly size: number };

/** `NaN`, `+Infinity`, `-Infinity`. */
export function valueName(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity';
}

/** Whether two symptoms are the same failure: the same quantity and the same kind of value. */
export function sameSymptom(a: Symptom | undefined, b: Symptom | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.what !== b.what || valueName(a.value) !== valueName(b.value)) return false;
  return a.what === 'loss' || a.name === (b as { name: string }).name;
}

/** `the loss is NaN`, `weight dense_Dense1/kernel holds NaN (3 of 12 values)`. */
export function describeSymptom(s: Symptom): string {
  if (s.what === 'loss') return `the loss is ${valueName(s.value)}`;
  const part = s.count === s.size ? `all ${s.size} values` : `${s.count} of ${s.size} values`;
  return `weight ${s.name} holds ${valueName(s.value)} after the update (${part})`;
}

/** Every tensor of a case, each with a readable path (`weights.dense_Dense1/kernel`, `inputs[0]`). */
export function caseTensors<T>(c: CaseData<T>): { path: string; value: T }[] {
  const out: { path: string; value: T }[] = [];
  c.weights.forEach((w) => {
    out.push({ path: `weights.${w.name}`, value: w.value });
  });
  for (const [field, v] of Object.entries(c.optimizer.state.variables)) out.push({ path: `optimizer.${field}`, value: v });
  for (const [field, list] of Object.entries(c.optimizer.state.slots)) {
    list.forEach((s, i) => {
      if (s) out.push({ path: `optimizer.${field}[${i}]`, value: s.value });
    });
  }
  c.inputs.forEach((v, i) => {
    out.push({ path: `inputs[${i}]`, value: v });
  });
  c.targets.forEach((v, i) => {
    out.push({ path: `targets[${i}]`, value: v });
  });
  c.sampleWeights?.forEach((v, i) => {
    out.push({ path: `sampleWeights[${i}]`, value: v });
  });
  c.gradients?.forEach((g) => {
    out.push({ path: `gradients.${g.name}`, value: g.value });
  });
  return out;
}

/** Map every tensor of a case (the structure is kept). */
export function mapCase<A, B>(c: CaseData<A>, f: (value: A, path: string) => B): CaseData<B> {
  const state = c.optimizer.state;
  return {
    kind: c.kind,
    ...(c.step !== undefined ? { step: c.step } : {}),
    topology: c.topology,
    weights: c.weights.map((w) => ({ name: w.name, value: f(w.value, `weights.${w.name}`) })),
    optimizer: {
      className: c.optimizer.className,
      config: c.optimizer.config,
      state: {
        numbers: state.numbers,
        variables: Object.fromEntries(Object.entries(state.variables).map(([k, v]) => [k, f(v, `optimizer.${k}`)])),
        slots: Object.fromEntries(
          Object.entries(state.slots).map(([k, list]) => [k, list.map((s, i) => (s ? { name: s.name, value: f(s.value, `optimizer.${k}[${i}]`) } : null))]),
        ),
      },
    },
    loss: c.loss,
    inputs: c.inputs.map((v, i) => f(v, `inputs[${i}]`)),
    targets: c.targets.map((v, i) => f(v, `targets[${i}]`)),
    ...(c.sampleWeights ? { sampleWeights: c.sampleWeights.map((v, i) => f(v, `sampleWeights[${i}]`)) } : {}),
    ...(c.gradients ? { gradients: c.gradients.map((g) => ({ name: g.name, value: f(g.value, `gradients.${g.name}`) })) } : {}),
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether a value (for example a saved failure's inputs) is a captured step. */
export function isCaseData(x: unknown): x is CaseData {
  if (!isObject(x)) return false;
  const c = x as Partial<CaseData>;
  return (
    typeof c.kind === 'string' &&
    (STEP_KINDS as readonly string[]).includes(c.kind) &&
    isObject(c.topology) &&
    Array.isArray(c.weights) &&
    c.weights.every((w) => isObject(w) && typeof w.name === 'string' && isTensorValue(w.value)) &&
    isObject(c.optimizer) &&
    typeof c.optimizer.className === 'string' &&
    isObject(c.optimizer.state) &&
    Array.isArray(c.loss) &&
    Array.isArray(c.inputs) &&
    c.inputs.every(isTensorValue) &&
    Array.isArray(c.targets) &&
    c.targets.every(isTensorValue)
  );
}

/** Elements of a case's batch, weights and optimizer state. */
export function caseSize(c: CaseData): { rows: number; weights: number; batch: number } {
  const count = (v: TensorValue): number => v.data.length;
  return {
    rows: c.inputs[0]?.shape[0] ?? 0,
    weights: c.weights.reduce((a, w) => a + count(w.value), 0),
    batch: [...c.inputs, ...c.targets].reduce((a, v) => a + count(v), 0),
  };
}
