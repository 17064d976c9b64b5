/**
 * Accuracy survey of catalog entries (any OpInfo) on the active backend: elements checked, out of
 * the entry's tolerance on `backend`, the worst error in ULPs and in float32 roundings of the
 * condition magnitude (what `ctol` bounds), and how many elements are out only because an exact
 * subnormal came back as 0 (flush to zero: what `atol 2^-126` admits). No Node here: it runs in
 * a browser page too (bench/browser-errors.ts).
 */
import * as fc from 'fast-check';
import type { OpInfo } from '../src/catalog/op-info.ts';
import { compareToReference } from '../src/check/accuracy.ts';
import { compareGradients } from '../src/check/gradient.ts';
import { execute } from '../src/run/execute.ts';
import { resolveTolerance, toleranceName, type OpTolerance, type Tolerance } from '../src/reference/tolerances.ts';
import { TOLERANCES } from '../src/reference/index.ts';
import { OP_TABLE } from '../properties/index.ts';

export interface SurveyRow {
  property: string;
  /** The tolerance row (src/reference/tolerances.ts) judging it. */
  row: string;
  elements: number;
  out: number;
  worstUlps: number;
  worstAt: string;
  worstRoundings: number;
  /** Cases whose run failed (an error of the subject). */
  errors: number;
  /**
   * Elements out under looser tolerances: the row's own with subnormal results flushed to zero
   * admitted (atol 2^-126), and its ulps and ctol scaled by each of {@link SCALES}.
   */
  outScaled: number[];
}

/** Factors tried on a row's ulps and ctol (with atol 2^-126). */
export const SCALES = [1, 2, 4, 8, 16, 32, 64, 1024] as const;

function scaled(t: Tolerance, k: number): Tolerance {
  return {
    ...t,
    atol: Math.max(t.atol ?? 0, 2 ** -126),
    ...(t.ulps !== undefined ? { ulps: t.ulps * k } : {}),
    ...(t.ctol !== undefined ? { ctol: t.ctol * k } : {}),
  };
}

const fmt = (v: number): string =>
  Object.is(v, -0)
    ? '-0'
    : Number.isFinite(v)
      ? String(Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(6) : +v.toPrecision(8))
      : String(v);

type Kind = 'value' | 'special' | 'gradient' | 'gradient special';

export function surveyEntry(entry: OpInfo, kind: Kind, backend: string, samples: number, filter: RegExp): SurveyRow | undefined {
  const g = entry.gradient === true ? {} : entry.gradient || undefined;
  const inputs = kind === 'value' ? entry.inputs : kind === 'special' ? entry.special : kind === 'gradient' ? g && (g.inputs ?? entry.inputs) : g?.special;
  if (!inputs) return undefined;
  if (kind.startsWith('gradient') ? !g?.derivative : !entry.reference?.exact) return undefined;
  const name = kind === 'value' ? entry.name : `${entry.name} ${kind}`;
  if (!filter.test(name)) return undefined;
  const arb = inputs instanceof fc.Arbitrary ? inputs : fc.record(inputs as Record<string, fc.Arbitrary<unknown>>);
  const gradientTolerance = ((g?.tolerance ?? TOLERANCES.gradient) as OpTolerance) || TOLERANCES.gradient;
  const rowOf = (t: unknown) => toleranceName(t as OpTolerance) ?? 'own';
  const row: SurveyRow = {
    property: name,
    row: kind.startsWith('gradient') ? rowOf(gradientTolerance) : rowOf(entry.reference!.tolerance),
    elements: 0,
    out: 0,
    worstUlps: 0,
    worstAt: '',
    worstRoundings: 0,
    errors: 0,
    outScaled: SCALES.map(() => 0),
  };
  for (const input of fc.sample(arb, { seed: 1, numRuns: samples })) {
    const outcome = execute(entry.op, input, { gradients: kind.startsWith('gradient') });
    if (outcome.kind !== 'ok') {
      row.errors++;
      continue;
    }
    const obs = outcome.observation;
    if (kind.startsWith('gradient')) {
      const r = compareGradients(input, obs.gradients, { derivative: g!.derivative!, tolerance: gradientTolerance, backend });
      row.elements += r.checked;
      row.out += r.failures;
      const own = resolveTolerance(gradientTolerance, backend);
      SCALES.forEach((k, i) => {
        const again = compareGradients(input, obs.gradients, { derivative: g!.derivative!, tolerance: { default: scaled(own, k) }, backend });
        row.outScaled[i]! += again.failures;
      });
      const w = r.worst;
      if (w && w.ulps > row.worstUlps) {
        row.worstUlps = w.ulps;
        row.worstAt = `${w.input}[${w.index}]: got ${fmt(w.got)}, exact ${fmt(w.expected)}`;
      }
    } else {
      const tol = resolveTolerance(entry.reference!.tolerance as OpTolerance, backend);
      let exact: Parameters<typeof compareToReference>[1];
      try {
        exact = entry.reference!.exact!(input);
      } catch {
        row.errors++;
        continue;
      }
      const c = compareToReference(obs.outputs, exact, tol);
      row.elements += c.checked;
      row.out += c.failures;
      SCALES.forEach((k, i) => {
        row.outScaled[i]! += compareToReference(obs.outputs, exact, scaled(tol, k)).failures;
      });
      const w = c.worst;
      if (w && w.ulps > row.worstUlps) {
        row.worstUlps = w.ulps;
        row.worstAt = `[${w.index}]: got ${fmt(w.got)}, exact ${fmt(w.exact)}`;
      }
      if (w && w.ulps > 0 && Number.isFinite(w.absError) && w.magnitude > 0) {
        row.worstRoundings = Math.max(row.worstRoundings, w.absError / (2 ** -24 * w.magnitude));
      }
    }
  }
  return row;
}

/** Survey every entry of the catalog's table whose property name `filter` matches. */
export function surveyTable(backend: string, samples: number, filter: string): SurveyRow[] {
  const re = new RegExp(filter);
  const rows: SurveyRow[] = [];
  for (const entry of OP_TABLE) {
    for (const kind of ['value', 'special', 'gradient', 'gradient special'] as const) {
      const r = surveyEntry(entry, kind, backend, samples, re);
      if (r) rows.push(r);
    }
  }
  return rows;
}
