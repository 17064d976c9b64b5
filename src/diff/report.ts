/**
 * Text reports of differential runs: one line per property, the full report of a disagreement
 * (minimal input, values on each backend, which is right, the first kernel that differs, the
 * replay command) and the closing count.
 */
import { describeUnsupported } from '../run/backend.ts';
import { formatInputs, type InputFormatter } from '../report/format.ts';
import { DEFAULT_TOLERANCE, HINTS, type AgreementTolerance } from './compare.ts';
import type { DiffResult, DiffStatus } from './differential.ts';

/** How the diff was started, so the replay command can be printed exactly. */
export interface DiffContext {
  /** The global --seed (each property's seed derives from it and its name). */
  readonly globalSeed?: number;
  /** The --properties argument, when not the shipped catalog. */
  readonly propertiesArg?: string;
  /** Formatters for inputs of special kinds (see ReportContext.formatters). */
  readonly formatters?: readonly InputFormatter[];
}

const ICON: Record<DiffStatus, string> = { agreed: '=', disagreed: '≠', unsupported: '○', errored: '!' };

function shellQuote(s: string): string {
  return /^[\w./:=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The command that re-runs exactly this differential case. */
export function diffReplayCommand(r: DiffResult, context: DiffContext = {}): string {
  const parts = ['npx nanhunt diff', '--backends', r.backends.join(','), '--filter', shellQuote(r.name), '--seed', String(context.globalSeed ?? 0)];
  if (r.path) parts.push('--path', shellQuote(r.path));
  if (r.tolerance.ulps !== DEFAULT_TOLERANCE.ulps) parts.push('--ulps', String(r.tolerance.ulps));
  if (r.tolerance.atol !== DEFAULT_TOLERANCE.atol) parts.push('--atol', String(r.tolerance.atol));
  if (context.propertiesArg) parts.push('--properties', shellQuote(context.propertiesArg));
  return parts.join(' ');
}

/** `max 1 ULP apart on 69 of 842 elements` / `bit-identical on 655 elements`, per compared backend. */
export function closeness(r: DiffResult): string {
  const parts = Object.entries(r.stats).map(([b, s]) => {
    const who = r.backends.length > 2 ? `${b}: ` : '';
    if (s.compared === 0) return `${who}no elements compared`;
    if (s.differing === 0) return `${who}bit-identical on ${plural(s.compared, 'element')}`;
    return `${who}max ${plural(s.maxUlps, 'ULP')} apart, ${s.differing} of ${s.compared} elements differ`;
  });
  return parts.join('; ');
}

/** One line per property: `= exp (100 runs, bit-identical on 723 elements, 36 ms)`. */
export function diffSummaryLine(r: DiffResult): string {
  const ms = `${Math.round(r.durationMs)} ms`;
  switch (r.status) {
    case 'agreed':
      return `${ICON.agreed} ${r.name} (${plural(r.runs, 'run')}, ${closeness(r)}, ${ms})`;
    case 'unsupported':
      return `${ICON.unsupported} ${r.name} — ${(r.unsupported ?? []).map(describeUnsupported).join('; ')} (${ms})`;
    case 'errored':
      return `${ICON.errored} ${r.name} — ${r.error} (${ms})`;
    case 'disagreed': {
      const d = r.disagreement;
      const what = d ? `${d.backends.join(' vs ')}: ${d.message}` : (r.nondeterministic ?? 'disagreed');
      return `${ICON.disagreed} ${r.name} — ${what} (after ${plural(r.runs, 'run')}, ${plural(r.shrinks, 'shrink')}, ${ms})`;
    }
  }
}

/** The full report of a disagreement (other statuses: their summary line). */
export function diffReport(r: DiffResult, context: DiffContext = {}): string {
  if (r.status !== 'disagreed') return diffSummaryLine(r);
  const d = r.disagreement;
  const lines: string[] = [];
  const pair = d ? d.backends.join(' vs ') : r.backends.join(', ');
  lines.push(`Backends disagree on '${r.name}': ${pair}, after ${plural(r.runs, 'run')} and ${plural(r.shrinks, 'shrink')}`);
  if (d) {
    lines.push(`  ${d.message}`);
    const e = d.element;
    if (e && d.kind === 'value' && Number.isFinite(e.values[0]) && Number.isFinite(e.values[1])) {
      const abs = Math.abs(e.values[0] - e.values[1]);
      lines.push(`  |difference| ${Number(abs.toPrecision(3))}${d.hint ? ` · ${HINTS[d.hint]}` : ''}`);
    }
  }
  if (r.verdict) lines.push(`  reference: ${r.verdict.message}`);
  else if (r.referenceError) lines.push(`  reference: ${r.referenceError}`);
  else if (d && (d.kind === 'value' || d.kind === 'finiteness')) lines.push('  reference: none for this output: which backend is right is not known');
  if (r.nondeterministic) lines.push(`  note: ${r.nondeterministic}`);
  lines.push('  minimal input:');
  lines.push(...formatInputs(r.counterexample, '    ', context.formatters));
  if (r.divergence) {
    const v = r.divergence;
    const width = Math.max(...v.backends.map((b) => b.length)) + 1;
    const [k0, k1] = v.kernels;
    const name = k0 === k1 ? k0 : !k0 || !k1 ? `${k0 || k1} (${v.backends[k0 ? 1 : 0]} ran no kernel there)` : `${k0} / ${k1}`;
    lines.push(`  first differing kernel: #${v.step} ${name}`);
    v.backends.forEach((b, i) => {
      lines.push(`    ${`${b}:`.padEnd(width)} ${v.calls[i]}`);
    });
  }
  lines.push(`  seed ${r.seed}${r.path ? `, path ${r.path}` : ''} · tolerance ${toleranceText(r.tolerance)}`);
  lines.push(`  replay: ${diffReplayCommand(r, context)}`);
  return lines.join('\n');
}

export function toleranceText(t: AgreementTolerance): string {
  return `${plural(t.ulps, 'ULP')}${t.atol > 0 ? ` or |difference| <= ${t.atol}` : ''}`;
}

/** Counts per status. */
export function diffCounts(results: readonly DiffResult[]): Record<DiffStatus, number> {
  const counts: Record<DiffStatus, number> = { agreed: 0, disagreed: 0, unsupported: 0, errored: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** The closing line: `40 agreed, 2 disagreed, 1 unsupported`. */
export function diffClosingLine(results: readonly DiffResult[]): string {
  const c = diffCounts(results);
  const parts = [`${c.agreed} agreed`, `${c.disagreed} disagreed`];
  if (c.unsupported) parts.push(`${c.unsupported} unsupported`);
  if (c.errored) parts.push(`${c.errored} errored`);
  return parts.join(', ');
}
