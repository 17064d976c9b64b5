/**
 * Machine-readable results: a JSON document with one entry per property.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serializeValue } from '../generate/tensor-value.ts';
import { describeCall } from '../explain/provenance.ts';
import type { PropertyResult } from '../property/runner.ts';

export interface RunInfo {
  readonly nanhunt: string;
  readonly tfjs: string;
  readonly backend: string;
  readonly seed: number;
  readonly runs?: number;
}

/** One property's result as plain JSON data (durations included). */
export function resultToJson(r: PropertyResult): Record<string, unknown> {
  const f = r.failure;
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
          message: f.violation.message,
          ...(f.violation.location ? { location: serializeValue(f.violation.location) } : {}),
          ...(f.violation.details ? { details: f.violation.details } : {}),
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
  };
}

export function resultsDocument(info: RunInfo, results: readonly PropertyResult[]): Record<string, unknown> {
  const count = (s: string) => results.filter((r) => r.status === s && !r.expectedFailure).length;
  return {
    ...info,
    summary: {
      total: results.length,
      passed: count('passed'),
      failed: count('failed'),
      errored: count('errored'),
      expectedFailures: results.filter((r) => r.expectedFailure).length,
    },
    properties: results.map(resultToJson),
  };
}

/** Write a file atomically: to a temporary name in the same directory, then rename. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
