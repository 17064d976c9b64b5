/**
 * The machine-readable form of a differential run: {@link DiffDocument}.
 *
 * This is the data shape other reports consume (the HTML report's diff section reads it): plain
 * JSON, numbers that JSON cannot hold (NaN, ±Infinity, -0) written as strings, tensors of the
 * minimal input in the same `{ $tensor, shape, dtype, values }` form as `nanhunt check`'s report.
 * Values per backend are records keyed by backend name.
 */
import { formatNumber, serializeValue } from '../core/tensor-value.ts';
import type { Hint, UlpStats } from './compare.ts';
import type { DiffResult, DiffStatus } from './differential.ts';
import { diffCounts, diffReplayCommand, type DiffContext } from './report.ts';
import type { UlpBucket } from './ulps.ts';
import type { BrowserRunInfo } from '../report/json.ts';

/** A number as JSON keeps it: NaN, Infinity, -Infinity and -0 become strings. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

export function jsonNumber(x: number): JsonNumber {
  return Number.isFinite(x) && !Object.is(x, -0) ? x : (formatNumber(x) as JsonNumber);
}

export interface DiffDocument {
  readonly kind: 'nanhunt.diff';
  readonly version: 1;
  readonly nanhunt: string;
  readonly tfjs: string;
  /** Backends compared; the first is the baseline the others are compared with. */
  readonly backends: readonly string[];
  readonly baseline: string;
  /** The global seed (each property's seed derives from it and its name). */
  readonly seed: number;
  /** --runs, when given (else each property's own). */
  readonly runs?: number;
  readonly tolerance: { readonly ulps: number; readonly atol: number };
  readonly generatedAt?: string;
  readonly browser?: BrowserRunInfo;
  readonly summary: { readonly total: number } & Readonly<Record<DiffStatus, number>>;
  readonly properties: readonly DiffPropertyJson[];
}

export interface DiffPropertyJson {
  readonly name: string;
  /** agreed · disagreed · unsupported (a backend lacks a kernel) · errored (nothing could be compared). */
  readonly status: DiffStatus;
  readonly backends: readonly string[];
  readonly baseline: string;
  readonly seed: number;
  readonly runs: number;
  /** Runs where every backend produced outputs. */
  readonly compared: number;
  readonly shrinks: number;
  readonly path?: string;
  readonly durationMs: number;
  readonly interrupted: boolean;
  /** ULP distances over the generated runs, per backend compared with the baseline (for a histogram). */
  readonly stats: Readonly<
    Record<string, { readonly compared: number; readonly differing: number; readonly maxUlps: number; readonly histogram: Readonly<Record<UlpBucket, number>> }>
  >;
  /** The minimal disagreeing input (serialized TensorValues). */
  readonly counterexample?: unknown;
  readonly disagreement?: DisagreementJson;
  readonly verdict?: {
    readonly tensor: string;
    readonly index: number;
    readonly exact: JsonNumber;
    readonly rounded: JsonNumber;
    readonly ulps: Readonly<Record<string, JsonNumber>>;
    /** Backends within tolerance of the exact value. */
    readonly right: readonly string[];
    readonly closest?: string;
    readonly message: string;
  };
  readonly referenceError?: string;
  /** The first kernel whose outputs differ in the minimal case; per backend: kernel and call text. */
  readonly divergence?: { readonly step: number; readonly kernels: Readonly<Record<string, string>>; readonly calls: Readonly<Record<string, string>> };
  readonly nondeterministic?: string;
  readonly unsupported?: readonly { readonly backend: string; readonly kernel: string; readonly message: string }[];
  readonly error?: string;
  readonly timing: { readonly perBackendMs: Readonly<Record<string, number>>; readonly switches: number; readonly switchMs: number };
  /** The command that replays the minimal case (disagreed only). */
  readonly replay?: string;
}

export interface DisagreementJson {
  /** throws · structure (names/shapes/dtypes differ) · finiteness · value (beyond tolerance). */
  readonly kind: 'throws' | 'structure' | 'finiteness' | 'value';
  /** The pair compared, baseline first. */
  readonly backends: readonly [string, string];
  readonly message: string;
  readonly tensor?: string;
  readonly index?: number;
  readonly coords?: readonly number[];
  /** The element on each backend. */
  readonly values?: Readonly<Record<string, JsonNumber>>;
  readonly ulps?: JsonNumber;
  readonly absDiff?: JsonNumber;
  /** Elements beyond tolerance (value) or differing in finiteness, out of `size`. */
  readonly count?: number;
  readonly size?: number;
  /** throws: each backend's error message (absent for the one that returned normally). */
  readonly errors?: Readonly<Record<string, string>>;
  readonly side?: string;
  readonly hint?: Hint;
}

function statsJson(s: UlpStats) {
  return { compared: s.compared, differing: s.differing, maxUlps: s.maxUlps, histogram: { ...s.histogram } };
}

function pairRecord<T, U>(backends: readonly [string, string], values: readonly [T, T], f: (x: T) => U): Record<string, U> {
  return { [backends[0]]: f(values[0]), [backends[1]]: f(values[1]) };
}

/** One property's differential result as JSON data. */
export function diffResultToJson(r: DiffResult, context: DiffContext = {}): DiffPropertyJson {
  const d = r.disagreement;
  const e = d?.element;
  const errors: Record<string, string> = {};
  d?.errors?.forEach((m, i) => {
    if (m !== undefined) errors[d.backends[i]!] = m;
  });
  return {
    name: r.name,
    status: r.status,
    backends: [...r.backends],
    baseline: r.baseline,
    seed: r.seed,
    runs: r.runs,
    compared: r.compared,
    shrinks: r.shrinks,
    ...(r.path ? { path: r.path } : {}),
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    interrupted: r.interrupted,
    stats: Object.fromEntries(Object.entries(r.stats).map(([b, s]) => [b, statsJson(s)])),
    ...(r.counterexample !== undefined ? { counterexample: serializeValue(r.counterexample) } : {}),
    ...(d
      ? {
          disagreement: {
            kind: d.kind,
            backends: [d.backends[0], d.backends[1]],
            message: d.message,
            ...(e
              ? {
                  tensor: e.tensor,
                  index: e.index,
                  coords: [...e.coords],
                  values: pairRecord(d.backends, e.values, jsonNumber),
                  ulps: jsonNumber(e.ulps),
                  absDiff: jsonNumber(Math.abs(e.values[0] - e.values[1])),
                }
              : {}),
            ...(d.count !== undefined ? { count: d.count } : {}),
            ...(d.size !== undefined ? { size: d.size } : {}),
            ...(d.errors ? { errors } : {}),
            ...(d.side ? { side: d.side } : {}),
            ...(d.hint ? { hint: d.hint } : {}),
          },
        }
      : {}),
    ...(r.verdict
      ? {
          verdict: {
            tensor: r.verdict.tensor,
            index: r.verdict.index,
            exact: jsonNumber(r.verdict.exact),
            rounded: jsonNumber(r.verdict.rounded),
            ulps: Object.fromEntries(Object.entries(r.verdict.ulps).map(([b, u]) => [b, jsonNumber(u)])),
            right: [...r.verdict.right],
            ...(r.verdict.closest ? { closest: r.verdict.closest } : {}),
            message: r.verdict.message,
          },
        }
      : {}),
    ...(r.referenceError ? { referenceError: r.referenceError } : {}),
    ...(r.divergence
      ? {
          divergence: {
            step: r.divergence.step,
            kernels: pairRecord(r.divergence.backends as [string, string], r.divergence.kernels, (x) => x),
            calls: pairRecord(r.divergence.backends as [string, string], r.divergence.calls, (x) => x),
          },
        }
      : {}),
    ...(r.nondeterministic ? { nondeterministic: r.nondeterministic } : {}),
    ...(r.unsupported ? { unsupported: r.unsupported.map((u) => ({ backend: u.backend, kernel: u.kernel, message: u.message })) } : {}),
    ...(r.error ? { error: r.error } : {}),
    timing: { perBackendMs: { ...r.timing.perBackendMs }, switches: r.timing.switches, switchMs: r.timing.switchMs },
    ...(r.status === 'disagreed' ? { replay: diffReplayCommand(r, context) } : {}),
  };
}

export interface DiffRunInfo {
  readonly nanhunt: string;
  readonly tfjs: string;
  readonly backends: readonly string[];
  readonly seed: number;
  readonly runs?: number;
  readonly tolerance: { readonly ulps: number; readonly atol: number };
  readonly generatedAt?: string;
  /** A diff with a browser backend ran in Chromium (every backend in one page): which, and its emulation switches. */
  readonly browser?: BrowserRunInfo;
}

/** The whole document of a differential run. */
export function diffDocument(info: DiffRunInfo, results: readonly DiffResult[], context: DiffContext = {}): DiffDocument {
  return {
    kind: 'nanhunt.diff',
    version: 1,
    nanhunt: info.nanhunt,
    tfjs: info.tfjs,
    backends: [...info.backends],
    baseline: info.backends[0]!,
    seed: info.seed,
    ...(info.runs !== undefined ? { runs: info.runs } : {}),
    tolerance: { ...info.tolerance },
    ...(info.generatedAt ? { generatedAt: info.generatedAt } : {}),
    ...(info.browser ? { browser: info.browser } : {}),
    summary: { total: results.length, ...diffCounts(results) },
    properties: results.map((r) => diffResultToJson(r, context)),
  };
}
