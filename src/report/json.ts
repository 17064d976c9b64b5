/**
 * Machine-readable results: a JSON document with one entry per property.
 */
import path from 'node:path';
import { formatNumber, serializeValue } from '../core/tensor-value.ts';
import { describeCall } from '../explain/provenance.ts';
import type { PropertyResult } from '../property/runner.ts';
import { errorStats } from './error-stats.ts';
import { PACKAGE_ROOT } from '../core/package.ts';

/** The JSON Schema of the document {@link resultsDocument} makes (shipped as `nanhunt/schema/nanhunt.schema.json`). */
export const REPORT_SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schema/nanhunt.schema.json');

/** A number as JSON keeps it: finite numbers as they are, NaN / ±Infinity / -0 as strings. */
function jsonNumber(x: number | string): number | string {
  return typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0)) ? formatNumber(x) : x;
}

const ACCURACY_KEYS = ['ulps', 'bits', 'absError', 'relError'] as const;

export interface RunInfo {
  readonly nanhunt: string;
  readonly tfjs: string;
  readonly backend: string;
  readonly seed: number;
  readonly runs?: number;
  /** `--time-budget`, in ms: the runs each property got depend on the machine's speed. */
  readonly timeBudgetMs?: number;
  /** A browser backend (webgl, webgpu): the Chromium it ran in and the emulation switches that were on. */
  readonly browser?: BrowserRunInfo;
}

/** Where a browser backend ran: src/browser. */
export interface BrowserRunInfo {
  /** Chromium's version. */
  readonly chromium: string;
  /** `--webgl-f16`: float16 textures. */
  readonly webglF16: boolean;
  /** `--webgl-pack`: on, off, or tfjs's default. */
  readonly webglPack: 'on' | 'off' | 'default';
  /** The tfjs backend flags in effect in the page (WEBGL_PACK, WEBGL_FORCE_F16_TEXTURES, ...). */
  readonly flags: Readonly<Record<string, boolean | number>>;
}

/** `Chromium 156.0 · webgl-f16 on · webgl-pack default`: the browser part of a report's header. */
export function browserText(b: BrowserRunInfo): string {
  return `Chromium ${b.chromium} · webgl-f16 ${b.webglF16 ? 'on' : 'off'} · webgl-pack ${b.webglPack}`;
}

/** One property's result as plain JSON data (durations included). */
export function resultToJson(r: PropertyResult): Record<string, unknown> {
  const f = r.failure;
  const d = f?.kind === 'violation' ? f.violation.details : undefined;
  const measured = ACCURACY_KEYS.filter((k) => d?.[k] !== undefined);
  const accuracy = measured.length ? Object.fromEntries(measured.map((k) => [k, jsonNumber(d![k]!)])) : undefined;
  const kernel = (r.provenance?.born ?? r.provenance?.firstNonFinite)?.kernel;
  const stats = errorStats(r.errorSamples);
  return {
    name: r.name,
    status: r.status,
    expectedFailure: r.expectedFailure,
    backend: r.backend,
    runs: r.runs,
    seed: r.seed,
    ...(r.path ? { path: r.path } : {}),
    shrinks: r.shrinks,
    interrupted: r.interrupted,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    ...(r.counterexample !== undefined ? { counterexample: serializeValue(r.counterexample) } : {}),
    ...(f?.kind === 'violation'
      ? {
          invariant: f.violation.invariant,
          ...(f.violation.kind ? { violation: f.violation.kind } : {}),
          message: f.violation.message,
          ...(f.violation.location ? { location: serializeValue(f.violation.location) } : {}),
          ...(f.violation.details ? { details: Object.fromEntries(Object.entries(f.violation.details).map(([k, v]) => [k, jsonNumber(v)])) } : {}),
        }
      : {}),
    ...(accuracy ? { accuracy } : {}),
    ...(kernel ? { firstNonFiniteKernel: kernel } : {}),
    ...(stats
      ? {
          errorSummary: {
            samples: stats.count,
            maxBits: jsonNumber(stats.maxBits),
            meanBits: jsonNumber(stats.meanBits),
            maxUlps: jsonNumber(stats.maxUlps),
            worstInput: jsonNumber(stats.worstInput),
          },
        }
      : {}),
    ...(f?.kind === 'error' ? { error: { stage: f.stage, message: f.message } } : {}),
    ...(r.provenance
      ? {
          provenance: {
            kernels: r.provenance.total,
            ...(r.provenance.born ? { bornIn: r.provenance.born.kernel, born: describeCall(r.provenance.born) } : {}),
            ...(r.provenance.firstNonFinite ? { firstNonFinite: describeCall(r.provenance.firstNonFinite) } : {}),
            chain: r.provenance.calls.map((c) => c.kernel).filter((k) => k !== 'Identity'),
          },
        }
      : {}),
    ...(r.explanation
      ? {
          explanation: {
            verdict: r.explanation.verdict,
            ...(r.explanation.origin ? { kernel: r.explanation.origin.kernel, step: r.explanation.origin.step } : {}),
            ...(r.explanation.mechanism ? { mechanism: r.explanation.mechanism } : {}),
            ...(r.explanation.exact !== undefined ? { exact: jsonNumber(r.explanation.exact) } : {}),
            ...(r.explanation.unsupported ? { unsupported: r.explanation.unsupported } : {}),
            ...(r.explanation.path?.length
              ? {
                  path: r.explanation.path.map((st) => ({
                    kernel: st.kernel,
                    step: st.step,
                    index: st.index,
                    value: jsonNumber(st.value),
                    exact: jsonNumber(st.exact),
                  })),
                }
              : {}),
            text: r.explanation.text,
          },
        }
      : {}),
    ...(r.distinct?.length ? { distinct: r.distinct.map((d) => resultToJson(d)) } : {}),
  };
}

/** What a check adds to the document: the gate's verdicts and summary (see src/gate/gate.ts). */
export interface DocumentExtras {
  /** One per result: passed, expected, new, known, other. */
  readonly verdicts?: readonly string[];
  /** The verdict of one distinct failure of a result (new or known), for its entry in `distinct`. */
  readonly findingVerdict?: (f: PropertyResult) => string;
  readonly gate?: Readonly<Record<string, unknown>>;
  /** ISO time the check finished. */
  readonly generatedAt?: string;
}

export function resultsDocument(info: RunInfo, results: readonly PropertyResult[], extras: DocumentExtras = {}): Record<string, unknown> {
  const count = (s: string) => results.filter((r) => r.status === s && !r.expectedFailure).length;
  // statuses other than passed/failed/errored (e.g. unsupported) are counted under their own name
  const others: Record<string, number> = {};
  for (const r of results) if (!['passed', 'failed', 'errored'].includes(r.status)) others[r.status] = (others[r.status] ?? 0) + 1;
  return {
    ...info,
    ...(extras.generatedAt ? { generatedAt: extras.generatedAt } : {}),
    summary: {
      total: results.length,
      passed: count('passed'),
      failed: count('failed'),
      errored: count('errored'),
      expectedFailures: results.filter((r) => r.expectedFailure).length,
      ...others,
    },
    ...(extras.gate ? { gate: extras.gate } : {}),
    properties: results.map((r, i) => {
      const v = extras.verdicts?.[i];
      const json = resultToJson(r);
      if (v === undefined) return json;
      const distinct =
        extras.findingVerdict && Array.isArray(json.distinct)
          ? {
              distinct: json.distinct.map((d: Record<string, unknown>, k: number) => ({
                ...d,
                verdict: v === 'expected' ? v : extras.findingVerdict!(r.distinct![k]!),
              })),
            }
          : {};
      return { ...json, verdict: v, ...distinct };
    }),
  };
}
