/**
 * Text reports: the one-line summary of a property and the failure message a person acts on.
 */
import { formatData, isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import { describeCall, sameCall, type Provenance } from '../explain/provenance.ts';
import type { PropertyResult } from '../property/runner.ts';
import { describeUnsupported } from '../run/backend.ts';

/** `1 run`, `2 runs`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function formatTensor(t: TensorValue): string {
  return `Tensor ${t.dtype} [${t.shape.join(', ')}] ${formatData(t.shape, t.data, 64)}`;
}

/**
 * A formatter for inputs of a special kind (e.g. training configurations): its lines, or undefined
 * to decline. Formatters are passed to the reports that use them (ReportContext.formatters).
 */
export type InputFormatter = (value: unknown, indent: string) => string[] | undefined;

/** Inputs as indented lines: `x: Tensor float32 [1] [18]`. The first of `formatters` that accepts the value wins. */
export function formatInputs(value: unknown, indent = '    ', formatters: readonly InputFormatter[] = []): string[] {
  for (const f of formatters) {
    const lines = f(value, indent);
    if (lines) return lines;
  }
  if (isTensorValue(value)) return [`${indent}${formatTensor(value)}`];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => (isTensorValue(v) ? `${indent}${k}: ${formatTensor(v)}` : `${indent}${k}: ${formatValue(v)}`));
  }
  if (Array.isArray(value)) return value.map((v, i) => `${indent}[${i}]: ${isTensorValue(v) ? formatTensor(v) : formatValue(v)}`);
  return [`${indent}${formatValue(value)}`];
}

function formatValue(v: unknown): string {
  if (isTensorValue(v)) return formatTensor(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${formatValue(x)}`)
      .join(', ')} }`;
  return JSON.stringify(v) ?? String(v);
}

function shellQuote(s: string): string {
  return /^[\w./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that re-runs exactly this case. */
export function replayCommand(r: PropertyResult, context: ReportContext = {}): string {
  // Run from code (no global seed: not started by `nanhunt check`): the call that replays it.
  if (context.globalSeed === undefined) {
    const path = r.path ? `, path: '${r.path}'` : '';
    return `runProperty(property, { seed: ${r.seed}${path} }) on backend ${r.backend}`;
  }
  const parts = ['npx nanhunt check', '--filter', shellQuote(r.name), '--seed', String(context.globalSeed ?? 0)];
  if (r.path) parts.push('--path', shellQuote(r.path));
  parts.push('--backend', r.backend);
  if (context.backendArgs) parts.push(...context.backendArgs);
  if (context.propertiesArg) parts.push('--properties', shellQuote(context.propertiesArg));
  return parts.join(' ');
}

/** How the check was started, so the replay command can be printed exactly. */
export interface ReportContext {
  /**
   * The global --seed (the property seed is derived from it and the name). Without it the report is of
   * a run started from code, and its replay line is the `runProperty` call that replays the case.
   */
  globalSeed?: number;
  /** The --properties argument, when not the shipped catalog. */
  propertiesArg?: string;
  /** Flags that went with --backend and the replay needs too (a browser backend's emulation: `--webgl-f16`). */
  backendArgs?: readonly string[];
  /** Replaces the replay line (front ends other than the CLI, e.g. the vitest plugin). */
  replay?: string;
  /** Lines appended to a result's failure report (where the failure was saved, its repro script). */
  notes?: (r: PropertyResult) => readonly string[];
  /** Formatters for inputs of special kinds (training configurations: src/train's trainingInputFormatter). */
  formatters?: readonly InputFormatter[];
}

/** Where the NaN came from, in a few lines. */
export function formatProvenance(p: Provenance, indent = '  '): string[] {
  const lines: string[] = [];
  const chain = p.calls.map((c) => c.kernel).filter((k) => k !== 'Identity');
  if (p.born) {
    lines.push(`${indent}first non-finite value born in kernel #${p.born.step} ${describeCall(p.born)}`);
  } else if (p.firstNonFinite) {
    lines.push(`${indent}non-finite value already in an input; first seen in kernel #${p.firstNonFinite.step} ${describeCall(p.firstNonFinite)}`);
  }
  if (p.nanBorn && !sameCall(p.nanBorn, p.born)) {
    lines.push(`${indent}NaN born in kernel #${p.nanBorn.step} ${describeCall(p.nanBorn)}`);
  }
  if (chain.length > 0) {
    const shown = chain.length > 16 ? [...chain.slice(0, 16), `… ${chain.length - 16} more`] : chain;
    lines.push(`${indent}kernels: ${shown.join(' → ')}`);
  }
  return lines;
}

const ICON = { passed: '✓', failed: '✗', errored: '!', unsupported: '○' } as const;

/** One line per property: `✓ softmax (100 runs, 12 ms)`. */
export function summaryLine(r: PropertyResult): string {
  const ms = `${Math.round(r.durationMs)} ms`;
  if (r.status === 'passed') return `${ICON.passed} ${r.name} (${plural(r.runs, 'run')}, ${ms})`;
  // neither a pass nor a failure: the backend lacks a kernel the subject needs
  if (r.status === 'unsupported') return `${ICON.unsupported} ${r.name} — ${r.unsupported ? describeUnsupported(r.unsupported) : 'unsupported'} (${ms})`;
  if (r.expectedFailure) {
    return `${ICON.passed} ${r.name} — expected failure found: ${failureText(r)} (${plural(r.runs, 'run')}, ${plural(r.shrinks, 'shrink')}, ${ms})`;
  }
  return `${ICON[r.status]} ${r.name} — ${failureText(r)} (after ${plural(r.runs, 'run')}, ${plural(r.shrinks, 'shrink')}, ${ms})`;
}

function failureText(r: PropertyResult): string {
  const f = r.failure;
  if (!f) return '';
  if (f.kind === 'error') return `error (${f.stage}): ${f.message}`;
  return `${f.violation.invariant}: ${f.violation.message}`;
}

/** Which of a property's distinct failures a report is about: the `index`-th (from 1) of `count`. */
export interface DistinctPlace {
  readonly index: number;
  readonly count: number;
}

/**
 * The failure reports of a result and of its distinct failures (PropertyResult.distinct), in
 * order: one report when it has none.
 */
export function failureReports(r: PropertyResult, context: ReportContext = {}): string[] {
  const all = [r, ...(r.distinct ?? [])];
  return all.map((f, i) => failureReport(f, context, all.length > 1 ? { index: i + 1, count: all.length } : undefined));
}

/**
 * The full failure report of a failed or errored property (of one failure: `place` says which of
 * its distinct failures it is).
 */
export function failureReport(r: PropertyResult, context: ReportContext = {}, place?: DistinctPlace): string {
  const lines: string[] = [];
  const head = r.status === 'errored' ? 'errored' : r.expectedFailure ? 'failed (expected)' : 'failed';
  const which = place ? ` — distinct failure ${place.index} of ${place.count}` : '';
  lines.push(`Property '${r.name}' ${head} on backend ${r.backend} after ${plural(r.runs, 'run')} and ${plural(r.shrinks, 'shrink')}${which}`);
  lines.push(`  ${failureText(r)}`);
  const d = r.failure?.kind === 'violation' ? r.failure.violation.details : undefined;
  if (d) {
    const figures = Object.entries(d)
      .filter(([k]) => !['nonFinite', 'size'].includes(k))
      .map(([k, v]) => `${k}=${v}`);
    if (figures.length) lines.push(`  ${figures.join(' ')}`);
  }
  // no input to show when the property was stopped mid-run (a timeout, its worker thread died): it never settled on a case
  const stopped = r.failure?.kind === 'error' && (r.failure.stage === 'timeout' || r.failure.stage === 'worker');
  if (!stopped) {
    lines.push('  minimal input:');
    lines.push(...formatInputs(r.counterexample, '    ', context.formatters));
  }
  if (r.provenance) lines.push(...formatProvenance(r.provenance));
  if (r.explanation) lines.push(`  why: ${r.explanation.text}`);
  lines.push(`  seed ${r.seed}${r.path ? `, path ${r.path}` : ''}`);
  lines.push(`  replay: ${context.replay ?? replayCommand(r, context)}`);
  if (context.notes) lines.push(...context.notes(r));
  return lines.join('\n');
}
