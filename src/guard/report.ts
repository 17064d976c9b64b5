/**
 * Reports of captured steps: the model and batch in a few lines, the training diagnosis of the
 * step under its real step number, and the input formatter for reports of capture properties.
 */
import type * as tf from '@tensorflow/tfjs';
import { formatData, formatNumber, type TensorValue } from '../core/tensor-value.ts';
import type { InputFormatter } from '../report/format.ts';
import { describeDiagnosis, type Diagnosis } from '../train/diagnose.ts';
import { caseSize, isCaseData, type CaseData } from './case.ts';
import { describeLoss } from './loss.ts';
import { describeOptimizer } from './optimizer-state.ts';

/** A one-step diagnosis (step 0 of 1) under the step's real number (`step`, 1-based). */
export function shiftDiagnosis(d: Diagnosis, step: number, lossesBefore: readonly number[] = []): Diagnosis {
  const offset = step - 1;
  return {
    ...d,
    step: d.step < 0 ? -1 : d.step + offset,
    stepsPlanned: step,
    losses: lossesBefore.slice(-6),
    ...(d.layer ? { layer: { ...d.layer, step: d.layer.step + offset } } : {}),
    ...(d.weight ? { weight: { ...d.weight, step: d.weight.step < 0 ? -1 : d.weight.step + offset } } : {}),
    ...(d.gradient ? { gradient: { ...d.gradient, step: d.gradient.step + offset } } : {}),
  };
}

/** describeDiagnosis for a captured step: `step 21: ...` (no "of N": the run's length is not known). */
export function describeStepDiagnosis(d: Diagnosis): string {
  return describeDiagnosis(d)
    .replace(/^step (\d+) of \d+: /, 'step $1: ')
    .replace(/^at initialization: a weight is non-finite before training/, 'before the step: a weight is already non-finite')
    .replace(/ at initialization\b/g, ' before the step');
}

function range(t: TensorValue): string {
  let min = Infinity;
  let max = -Infinity;
  let bad = 0;
  for (const v of t.data) {
    if (v - v !== 0) bad++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const r = min <= max ? ` in [${formatNumber(min)}, ${formatNumber(max)}]` : '';
  return `${r}${bad ? ` (${bad} non-finite)` : ''}`;
}

/** `[16, 4] in [-2.9, 3]`, or the values themselves when few. */
export function describeTensor(t: TensorValue, limit = 12): string {
  const shape = `[${t.shape.join(', ')}]`;
  return t.data.length <= limit ? `${shape} ${formatData(t.shape, t.data)}` : `${shape}${range(t)}`;
}

/** The layers of a model in one line: `#1 Dense 'dense_Dense1' (8, relu) → #2 Dense ...`. */
export function layerLine(model: tf.LayersModel): string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  return layers
    .map((l, i) => {
      const c = l.getConfig() as Record<string, unknown>;
      const size = c.units ?? c.filters;
      const act = typeof c.activation === 'string' ? c.activation : undefined;
      const args = [size !== undefined ? String(size) : '', act ?? ''].filter(Boolean).join(', ');
      return `#${i + 1} ${l.getClassName()} '${l.name}'${args ? ` (${args})` : ''}`;
    })
    .join(' → ');
}

/** A case in a few lines (for reports and the input formatter). */
export function caseLines(c: CaseData, indent = '  '): string[] {
  const size = caseSize(c);
  const topo = c.topology as { class_name?: string; config?: { name?: string; layers?: unknown[] } };
  const layers = Array.isArray(topo.config?.layers) ? topo.config.layers.length : 0;
  const lines = [
    `${indent}model '${topo.config?.name ?? 'model'}' (${topo.class_name ?? '?'}, ${layers} layer${layers === 1 ? '' : 's'}, ${size.weights} weight values)`,
    `${indent}optimizer ${describeOptimizer(c.optimizer)}${typeof c.optimizer.state.numbers.iterations_ === 'number' ? ` at iteration ${c.optimizer.state.numbers.iterations_}` : ''}; loss ${c.loss.map((l) => describeLoss(l)).join(', ')}`,
  ];
  c.inputs.forEach((t, i) => {
    lines.push(`${indent}x${c.inputs.length > 1 ? `[${i}]` : ''} ${describeTensor(t)}`);
  });
  c.targets.forEach((t, i) => {
    lines.push(`${indent}y${c.targets.length > 1 ? `[${i}]` : ''} ${describeTensor(t)}`);
  });
  c.sampleWeights?.forEach((t, i) => {
    lines.push(`${indent}sample weights${c.sampleWeights!.length > 1 ? `[${i}]` : ''} ${describeTensor(t)}`);
  });
  if (c.gradients) lines.push(`${indent}gradients given: ${c.gradients.map((g) => `${g.name} ${describeTensor(g.value, 4)}`).join(', ')}`);
  return lines;
}

/** Reports of capture properties print their input (a captured step) as a summary, not as raw JSON. */
export const captureInputFormatter: InputFormatter = (value, indent) => {
  if (!isCaseData(value)) return undefined;
  return [`${indent}captured step${value.step !== undefined ? ` ${value.step}` : ''} (${value.kind}):`, ...caseLines(value, `${indent}  `)];
};
