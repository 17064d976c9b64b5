/**
 * Figure 2: time to a minimal counterexample. Each naive scenario runs through runProperty() as
 * `nanhunt check` runs it (its default runs, provenance on), with the seed `nanhunt check --seed G`
 * gives it for G = 0, 1, ...: runs until the first failure, shrink steps, and wall time from the
 * start of the run to the minimal case (including the provenance re-run of the minimal case).
 */
import { formatInputs } from '../src/report/format.ts';
import { propertySeed, runProperty } from '../src/property/runner.ts';
import { describeInit } from '../src/train/report.ts'; // (also registers the training-configuration formatter of formatInputs)
import { isTrainingConfig, layerPlan, type TrainingConfig } from '../src/train/config.ts';
import { formatData, formatNumber } from '../src/core/tensor-value.ts';
import { median, max, timeMs } from './lib.ts';
import type { Scenario } from './scenarios.ts';

/** Goal: a minimal counterexample within this many ms on the cpu backend. */
export const MINIMAL_GOAL_MS = 2000;

export interface MinimalRun {
  globalSeed: number;
  seed: number;
  status: string;
  runs: number;
  shrinks: number;
  /** Wall time of runProperty, ms. */
  wallMs: number;
  /** CPU time of this process during runProperty, ms (less sensitive to other processes' load). */
  cpuMs: number;
  failure: string;
  /** The minimal input as the failure report prints it (lines joined with '; '). */
  minimal: string;
  /** The same, compact (training configurations on one short line). */
  summary: string;
}

export interface MinimalRow {
  backend: string;
  scenario: string;
  title: string;
  level: 'tensor' | 'training';
  unavailable?: string;
  seeds: number;
  /** Seeds whose run found the failure. */
  found: number;
  medianRuns: number;
  medianShrinks: number;
  medianWallMs: number;
  maxWallMs: number;
  medianCpuMs: number;
  /** Minimal case of global seed 0 (full, and compact). */
  minimal: string;
  summary: string;
  failure: string;
  expectedMinimal: string;
  /** Distinct minimal cases over the seeds. */
  distinctMinima: number;
  goalMet: boolean;
  runs: MinimalRun[];
}

export interface MinimalOptions {
  backend: string;
  /** Global seeds per tensor-level scenario (default 5). */
  seeds?: number;
  /** Global seeds per training scenario (default 5). */
  trainingSeeds?: number;
}

function describeFailure(r: ReturnType<typeof runProperty>): string {
  const f = r.failure;
  if (!f) return '';
  return f.kind === 'violation' ? `${f.violation.invariant}: ${f.violation.message}` : `${f.stage} error: ${f.message}`;
}

/** A one-line form of a minimal case: tensors as the report prints them, training configurations abridged. */
export function compact(value: unknown): string {
  if (!isTrainingConfig(value))
    return formatInputs(value, '')
      .map((l) => l.trim())
      .join('; ');
  const c = value as TrainingConfig;
  const layers = layerPlan(c).map((l) => l.label.slice(l.label.indexOf(' ') + 1));
  const o = c.optimizer;
  const opt = [`${o.name} lr ${formatNumber(o.learningRate)}`];
  if (o.epsilon !== undefined) opt.push(`epsilon ${formatNumber(o.epsilon)}`);
  if (c.gradientScale !== 1) opt.push(`gradients × ${formatNumber(c.gradientScale)}`);
  return [
    layers.join(' → '),
    `init ${describeInit(c.init)}${c.init.biases ? ' (biases too)' : ''}`,
    opt.join(', '),
    `${c.loss}, ${c.steps} step${c.steps === 1 ? '' : 's'}`,
    `x ${formatData(c.data.x.shape, c.data.x.data, 8)}`,
  ].join('; ');
}

export function measureMinimal(scenario: Scenario, options: MinimalOptions): MinimalRow {
  const seeds = scenario.level === 'training' ? (options.trainingSeeds ?? options.seeds ?? 5) : (options.seeds ?? 5);
  const base = { backend: options.backend, scenario: scenario.id, title: scenario.title, level: scenario.level, expectedMinimal: scenario.expectedMinimal };
  const p = scenario.property;
  if (!p) {
    return {
      ...base,
      unavailable: scenario.unavailable ?? 'unavailable',
      seeds: 0,
      found: 0,
      medianRuns: NaN,
      medianShrinks: NaN,
      medianWallMs: NaN,
      maxWallMs: NaN,
      medianCpuMs: NaN,
      minimal: '',
      summary: '',
      failure: '',
      distinctMinima: 0,
      goalMet: false,
      runs: [],
    };
  }
  const runs: MinimalRun[] = [];
  for (let g = 0; g < seeds; g++) {
    const seed = propertySeed(g, p.name);
    let result!: ReturnType<typeof runProperty>;
    const cpu0 = process.cpuUsage();
    const wallMs = timeMs(() => {
      result = runProperty(p, { seed });
    });
    const cpu = process.cpuUsage(cpu0);
    runs.push({
      globalSeed: g,
      seed,
      status: result.status,
      runs: result.runs,
      shrinks: result.shrinks,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      failure: describeFailure(result),
      minimal:
        result.counterexample === undefined
          ? ''
          : formatInputs(result.counterexample, '')
              .map((l) => l.trim())
              .join('; '),
      summary: result.counterexample === undefined ? '' : compact(result.counterexample),
    });
  }
  const failed = runs.filter((r) => r.status === 'failed');
  const medianWallMs = median(runs.map((r) => r.wallMs));
  return {
    ...base,
    seeds,
    found: failed.length,
    medianRuns: median(failed.map((r) => r.runs)),
    medianShrinks: median(failed.map((r) => r.shrinks)),
    medianWallMs,
    maxWallMs: max(runs.map((r) => r.wallMs)),
    medianCpuMs: median(runs.map((r) => r.cpuMs)),
    minimal: runs[0]!.minimal,
    summary: runs[0]!.summary,
    failure: runs[0]!.failure,
    distinctMinima: new Set(failed.map((r) => r.minimal)).size,
    // judged on CPU time: the wall time on a quiet machine, not inflated by other processes on a busy one
    goalMet: failed.length === runs.length && median(runs.map((r) => r.cpuMs)) < MINIMAL_GOAL_MS,
    runs,
  };
}
