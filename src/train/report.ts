/**
 * Readable training configurations: a layer table and the hyperparameters, for failure reports
 * (registered with the report formatter, so `nanhunt check` prints minimal configurations this
 * way) and for {@link trainingReport}, which also re-runs the minimal case and prints its steps.
 */
import { formatData, formatNumber } from '../core/tensor-value.ts';
import type { PropertyResult } from '../property/runner.ts';
import { formatInputs, plural, type InputFormatter } from '../report/format.ts';
import { materialize } from '../run/execute.ts';
import * as tf from '@tensorflow/tfjs';
import { EPSILON_OPTIMIZERS, isTrainingConfig, layerPlan, type InitSpec, type OptimizerSpec, type TrainingConfig } from './config.ts';
import { describeDiagnosis, diagnose, type Diagnosis } from './diagnose.ts';
import { runTraining, type LiveTrainingConfig, type TrainingHooks } from './run.ts';
import type { TrainingTrace } from './trace.ts';

const n = formatNumber;

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => (indent + r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).trimEnd());
}

export function describeInit(init: InitSpec): string {
  const base = init.kind === 'uniform' ? `uniform(${n(init.low ?? -0.05)}, ${n(init.high ?? 0.05)})` : init.kind === 'he' ? 'he normal' : 'glorot uniform';
  return init.scale === 1 ? base : `${base} × ${n(init.scale)}`;
}

export function describeOptimizer(o: OptimizerSpec): string {
  const parts = [`${o.name}`, `learning rate ${n(o.learningRate)}`];
  if (EPSILON_OPTIMIZERS.includes(o.name)) parts.push(`epsilon ${o.epsilon === undefined ? '1e-7 (default)' : n(o.epsilon)}`);
  if (o.name === 'momentum') parts.push(`momentum ${n(o.momentum ?? 0.9)}`);
  parts.push(o.clipnorm !== undefined ? `clipnorm ${n(o.clipnorm)}` : 'clipnorm off');
  parts.push(o.clipvalue !== undefined ? `clipvalue ${n(o.clipvalue)}` : 'clipvalue off');
  return parts.join(', ');
}

/**
 * A configuration as lines: a layer table (position, layer, output shape, parameters, role),
 * then init, optimizer, loss and schedule, then the data.
 */
export function formatTrainingConfig(c: TrainingConfig, indent = '    '): string[] {
  const plan = layerPlan(c);
  const params = plan.reduce((a, l) => a + l.params, 0);
  const lines = c.model
    ? [`${indent}training configuration for the model factory '${c.model}' (the generated layers it reads; its own layers are named above):`]
    : [`${indent}training configuration: ${plan.length} layer${plan.length === 1 ? '' : 's'}, ${params} parameters`];
  const rows = [['#', 'layer', 'output', 'params', '']];
  for (const l of plan) {
    rows.push([
      String(l.position),
      l.label.slice(l.label.indexOf(' ') + 1),
      `[${l.outputShape.join(', ')}]`,
      String(l.params),
      l.role === 'head' ? 'head' : l.role === 'flatten' ? '(inserted)' : '',
    ]);
  }
  lines.push(...table(rows, `${indent}  `));
  lines.push(`${indent}init ${describeInit(c.init)} (seed ${c.seed}), ${c.init.biases ? 'biases from the same initializer' : 'biases 0'}`);
  lines.push(`${indent}optimizer ${describeOptimizer(c.optimizer)}${c.gradientScale !== 1 ? `, gradients × ${n(c.gradientScale)}` : ''}`);
  lines.push(`${indent}loss ${c.loss} · batch ${c.batchSize} · steps ${c.steps}`);
  const x = c.data.x;
  const rowsN = x.shape[0]!;
  const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  const shape = x.shape.length === 3 ? `${plural(x.shape[1]!, 'time step')} × ${plural(x.shape[2]!, 'feature')}` : plural(x.shape[1]!, 'feature');
  const scaled = c.data.scales.some((s) => s !== 1) ? `, feature scales [${c.data.scales.map(n).join(', ')}]` : ', unscaled (all scales 1)';
  lines.push(`${indent}data ${rowsN} row${rowsN === 1 ? '' : 's'} × ${shape}${scaled}`);
  lines.push(`${indent}  x ${formatData(x.shape, x.data, 48)}`);
  lines.push(`${indent}  y ${formatData(c.data.y.shape, c.data.y.data, 48)}`);
  return lines;
}

/**
 * Prints training configurations in failure reports (the layer table, hyperparameters, data), also
 * when one is among a tuple or record of inputs (the vitest helpers' form). Pass it in
 * ReportContext.formatters; `nanhunt check` and the vitest plugin do.
 */
export const trainingInputFormatter: InputFormatter = (value, indent) => {
  if (isTrainingConfig(value)) return formatTrainingConfig(value, indent);
  // a configuration among a tuple or record of inputs (the vitest helpers' form)
  if (value === null || typeof value !== 'object' || !Object.values(value).some(isTrainingConfig)) return undefined;
  return Object.entries(value).flatMap(([k, v]) =>
    isTrainingConfig(v) ? [`${indent}${Array.isArray(value) ? `[${k}]` : k}:`, ...formatTrainingConfig(v, `${indent}  `)] : formatInputs({ [k]: v }, indent),
  );
};

/** Train a configuration once outside any property (for reports and tests): its trace and diagnosis. */
export function replayTraining(config: TrainingConfig, hooks: TrainingHooks = {}): { trace: TrainingTrace; diagnosis?: Diagnosis } {
  const before = tf.memory().numTensors;
  const live = materialize(config) as unknown as LiveTrainingConfig;
  let trace: TrainingTrace;
  try {
    trace = runTraining(live, hooks);
  } finally {
    tf.dispose([live.data.x, live.data.y]);
  }
  if (tf.memory().numTensors !== before) throw new Error(`replayTraining leaked ${tf.memory().numTensors - before} tensors`);
  const diagnosis = diagnose(trace);
  return diagnosis ? { trace, diagnosis } : { trace };
}

/** Per-step lines of a trace: loss, largest layer output, largest gradient and weight, non-finite marks. */
export function formatTrace(trace: TrainingTrace, indent = '    ', limit = 12): string[] {
  const g = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3))));
  const rows = [['step', 'loss', 'max |layer out|', 'max |grad|', 'max |weight|', 'non-finite']];
  const steps = trace.steps;
  const shown = steps.length > limit ? [...steps.slice(0, limit / 2), ...steps.slice(-limit / 2)] : steps;
  for (const s of shown) {
    const i = steps.indexOf(s);
    const bad: string[] = [];
    if (s.input.nonFinite) bad.push('data');
    s.layers.forEach((l, k) => {
      if (l.nonFinite) bad.push(trace.layers[k]!.split(' ')[0]!);
    });
    if (!Number.isFinite(s.loss)) bad.push('loss');
    if (s.grads.some((x, k) => x.nonFinite || s.applied[k]!.nonFinite)) bad.push('grad');
    if (s.weights.some((x) => x.nonFinite)) bad.push('weights');
    const max = (xs: readonly { maxAbs: number }[]): string => g(Math.max(0, ...xs.map((x) => x.maxAbs)));
    rows.push([
      String(i + 1),
      Number.isFinite(s.loss) ? g(s.loss) : n(s.loss),
      s.layers.length ? max(s.layers) : '-',
      max(s.grads),
      max(s.weights),
      bad.join(' '),
    ]);
  }
  return table(rows, indent);
}

/**
 * The full report of a failed training property: the failure, the minimal configuration with
 * its layer table, and the minimal run step by step (re-run here).
 */
export function trainingReport(result: PropertyResult, hooks: TrainingHooks = {}): string {
  const lines = [
    `Training property '${result.name}' ${result.status}${result.expectedFailure ? ' (expected)' : ''} after ${plural(result.runs, 'run')} and ${plural(result.shrinks, 'shrink')}`,
  ];
  const f = result.failure;
  if (f) lines.push(`  ${f.kind === 'error' ? `error (${f.stage}): ${f.message}` : f.violation.message}`);
  if (isTrainingConfig(result.counterexample)) {
    lines.push('  minimal configuration:');
    lines.push(...formatTrainingConfig(result.counterexample));
    if (f?.kind === 'violation') {
      const { trace } = replayTraining(result.counterexample, hooks);
      lines.push('  the minimal run:');
      lines.push(...formatTrace(trace));
    }
  }
  return lines.join('\n');
}

export { describeDiagnosis };
