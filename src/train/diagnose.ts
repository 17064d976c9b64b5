/**
 * Diagnosis of a training trace: the first step where something went non-finite, the first
 * layer whose output went non-finite, the first weight that went non-finite and whether its
 * gradient or the optimizer's update made it so — and the per-step invariant built on it.
 *
 * Within a step the order is: data batch → layer outputs (first to last) → loss → gradients →
 * update. A layer is "where it was born" when its input was finite and its output is not.
 */
import type { Invariant, Observation, Violation } from '../check/invariant.ts';
import { formatNumber } from '../core/tensor-value.ts';
import { decodeTrace, divergedAt, isBad, type Stat, type TrainingTrace } from './trace.ts';
import { findTrainingConfig } from './config.ts';

export type Stage = 'init' | 'data' | 'forward' | 'loss' | 'gradient' | 'update';

export interface LayerFinding {
  readonly step: number;
  readonly layer: string;
  readonly index: number;
  readonly stat: Stat;
  /** Largest |value| of the layer's (finite) input. */
  readonly inputMaxAbs: number;
  /** The layer's input already held a non-finite value (from the data). */
  readonly inherited: boolean;
}

export interface WeightFinding {
  /** -1: non-finite at initialization. */
  readonly step: number;
  readonly weight: string;
  readonly index: number;
  /** `gradient`: its gradient (as given to the optimizer) was non-finite; `update`: the gradient was finite and the update made it non-finite. */
  readonly cause: 'init' | 'gradient' | 'update';
  readonly stat: Stat;
  readonly gradient?: Stat;
  /** Largest |value| before the update. */
  readonly before?: number;
}

export interface Diagnosis {
  /** First step (0-based; -1 = at initialization) where anything was non-finite. */
  readonly step: number;
  /** What went non-finite first within that step. */
  readonly stage: Stage;
  readonly stepsRun: number;
  readonly stepsPlanned: number;
  /** The loss at that step. */
  readonly loss?: number;
  /** Losses of the steps before it (up to 6, for the report). */
  readonly losses: readonly number[];
  readonly data?: Stat;
  readonly layer?: LayerFinding;
  readonly weight?: WeightFinding;
  /** The first non-finite gradient (its weight), when different from `weight`. */
  readonly gradient?: { readonly step: number; readonly weight: string; readonly stat: Stat };
}

const kind = (v: number | undefined): string => (v === undefined ? 'non-finite' : formatNumber(v));
const g = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3))));
const part = (s: Stat): string => (s.nonFinite === s.size ? `all ${s.size}` : `${s.nonFinite} of ${s.size}`);

/** The diagnosis of a trace, or undefined when every loss, layer output, gradient and weight stayed finite. */
export function diagnose(trace: TrainingTrace): Diagnosis | undefined {
  let weight: WeightFinding | undefined;
  let layer: LayerFinding | undefined;
  let gradient: Diagnosis['gradient'];
  let first: { step: number; stage: Stage } | undefined;
  const mark = (step: number, stage: Stage): void => {
    if (!first) first = { step, stage };
  };
  const w0 = trace.initial.findIndex(isBad);
  if (w0 >= 0) {
    weight = { step: -1, weight: trace.weights[w0]!, index: w0, cause: 'init', stat: trace.initial[w0]! };
    mark(-1, 'init');
  }
  let prevWeights = trace.initial;
  trace.steps.forEach((s, step) => {
    if (isBad(s.input)) mark(step, 'data');
    if (!layer) {
      const i = s.layers.findIndex(isBad);
      if (i >= 0) {
        const input = i === 0 ? s.input : s.layers[i - 1]!;
        layer = { step, layer: trace.layers[i]!, index: i, stat: s.layers[i]!, inputMaxAbs: input.maxAbs, inherited: isBad(input) || isBad(s.input) };
      }
    }
    if (s.layers.some(isBad) || isBad(s.prediction)) mark(step, 'forward');
    if (!Number.isFinite(s.loss)) mark(step, 'loss');
    const gi = s.grads.findIndex((x, i) => isBad(x) || isBad(s.applied[i]!));
    if (gi >= 0) {
      if (!gradient) gradient = { step, weight: trace.weights[gi]!, stat: isBad(s.grads[gi]!) ? s.grads[gi]! : s.applied[gi]! };
      mark(step, 'gradient');
    }
    if (!weight) {
      const wi = s.weights.findIndex(isBad);
      if (wi >= 0) {
        const grad = isBad(s.applied[wi]!) ? s.applied[wi]! : s.grads[wi]!;
        const cause = isBad(s.applied[wi]!) || isBad(s.grads[wi]!) ? 'gradient' : 'update';
        weight = { step, weight: trace.weights[wi]!, index: wi, cause, stat: s.weights[wi]!, gradient: grad, before: prevWeights[wi]!.maxAbs };
        mark(step, cause === 'update' ? 'update' : 'gradient');
      }
    }
    prevWeights = s.weights;
  });
  if (!first) return undefined;
  const at = first.step >= 0 ? trace.steps[first.step] : undefined;
  const f = first;
  return {
    step: f.step,
    stage: f.stage,
    stepsRun: trace.steps.length,
    stepsPlanned: trace.planned,
    ...(at ? { loss: at.loss } : {}),
    losses: trace.steps.slice(Math.max(0, f.step - 6), Math.max(0, f.step)).map((s) => s.loss),
    ...(at && isBad(at.input) ? { data: at.input } : {}),
    ...(layer ? { layer } : {}),
    ...(weight ? { weight } : {}),
    ...(gradient && gradient.weight !== weight?.weight ? { gradient } : {}),
  };
}

/** One line: step, what went first, the first layer, the first weight and its cause. */
export function describeDiagnosis(d: Diagnosis): string {
  const parts: string[] = [];
  const stepText = d.step < 0 ? 'at initialization' : `step ${d.step + 1} of ${d.stepsPlanned}`;
  const lead: Record<Stage, string> = {
    init: 'a weight is non-finite before training',
    data: `the data batch holds ${d.data ? `${kind(d.data.first)} (${part(d.data)} values)` : 'non-finite values'}`,
    forward: 'the forward pass overflowed',
    loss: `the loss is ${kind(d.loss)} while the predictions are finite`,
    gradient: `the loss is ${kind(d.loss)}, a gradient is non-finite`,
    update: `loss and gradients finite, the optimizer's update made a weight non-finite`,
  };
  parts.push(`${stepText}: ${lead[d.stage]}`);
  if (d.stage === 'forward' && d.loss !== undefined) parts.push(`loss ${kind(d.loss)}`);
  if (d.layer) {
    const l = d.layer;
    parts.push(
      l.inherited
        ? `first non-finite layer output: ${l.layer} at step ${l.step + 1} (its input already held ${kind(l.stat.first)})`
        : `first non-finite layer: ${l.layer} at step ${l.step + 1} → ${kind(l.stat.first)} in ${part(l.stat)} outputs (largest |input| ${g(l.inputMaxAbs)})`,
    );
  }
  if (d.weight) {
    const w = d.weight;
    if (w.cause === 'init') parts.push(`first non-finite weight: ${w.weight} at initialization`);
    else if (w.cause === 'gradient') {
      parts.push(`first non-finite weight: ${w.weight} at step ${w.step + 1}, made by its gradient (${kind(w.gradient?.first)})`);
    } else {
      parts.push(
        `first non-finite weight: ${w.weight} at step ${w.step + 1}, made by the update (gradient finite, largest |g| ${g(w.gradient?.maxAbs ?? 0)}; largest |w| before ${g(w.before ?? 0)})`,
      );
    }
  } else if (d.gradient) {
    parts.push(`first non-finite gradient: ${d.gradient.weight} at step ${d.gradient.step + 1} (${kind(d.gradient.stat.first)})`);
  }
  if (d.losses.length > 0) parts.push(`losses before: ${d.losses.map(g).join(', ')}`);
  return parts.join('; ');
}

export const TRAINING_INVARIANT = 'training stays finite';

/** Figures of a diagnosis for reports and JSON (`details` of the violation). */
function detailsOf(d: Diagnosis): Record<string, number | string> {
  return {
    step: d.step + 1,
    stage: d.stage,
    ...(d.layer ? { layer: d.layer.layer, layerStep: d.layer.step + 1 } : {}),
    ...(d.weight ? { weight: d.weight.weight, weightStep: d.weight.step + 1, cause: d.weight.cause } : {}),
  };
}

/**
 * Per-step invariant of a training property: at every step the data batch, every layer output,
 * the loss, every gradient and every weight are finite. Its violation names the first step, the
 * first non-finite layer and the first non-finite weight and says whether the gradient or the
 * update made it so.
 */
export function trainingFinite(): Invariant {
  return {
    name: TRAINING_INVARIANT,
    check(observation: Observation): Violation | undefined {
      const trace = decodeTrace(observation);
      if (!trace) return { invariant: TRAINING_INVARIANT, message: 'the subject did not return a training trace (use trainingProperty)' };
      const d = diagnose(trace);
      if (!d) return undefined;
      const config = findTrainingConfig(observation.inputs);
      if (config) divergedAt.set(config, d.step);
      return { invariant: TRAINING_INVARIANT, message: describeDiagnosis(d), details: detailsOf(d) };
    },
  };
}
