/**
 * Differential testing: run a property's generated inputs on two or more backends and find where
 * they disagree — beyond tolerance, in finiteness, or because one throws — then shrink the
 * disagreement like any other failure.
 *
 * Generation and shrinking are fast-check's, with the property's own arbitraries: the predicate
 * runs the subject on every backend (switching synchronously) and fails when a backend disagrees
 * with the baseline (the first backend). While shrinking, only candidates on which the backends
 * disagree the same way (same pair, kind, tensor and side) count, so the shrink stays on one
 * finding. The minimal case is then re-run: the disagreement is measured again, an exact
 * reference (when the property carries one) says which backend is right, and kernel recording on
 * each backend names the first kernel whose outputs differ.
 */
import * as tf from '@tensorflow/tfjs';
import { execute, type Outcome } from '../run/execute.ts';
import type { ExactTensor } from '../reference/exact.ts';
import { resolveTolerance } from '../reference/tolerances.ts';
import { expectedGradient, type ExpectedGradient } from '../check/gradient.ts';
import { flushSubnormalInputs } from '../core/tensor-value.ts';
import { flushesSubnormals } from '../core/float32.ts';
import type { BackendName, Unsupported } from '../run/backend.ts';
import { describeCall, recordKernels, type KernelCall, type Summary } from '../explain/provenance.ts';
import type { Property } from '../property/property.ts';
import { propertySeed } from '../property/runner.ts';
import { PASS, search, type Phase, type SearchOutcome, type Trial } from '../property/engine.ts';
import { describeKey } from '../property/failure.ts';
import {
  compareOutcomes,
  DEFAULT_TOLERANCE,
  disagreementKey,
  emptyStats,
  mergeStats,
  type Disagreement,
  type AgreementTolerance,
  type UlpStats,
  type ReferenceJudge,
  type FlushedAnswers,
} from './compare.ts';
import { judge, referenceOf, type Reference, type ReferenceVerdict } from './reference.ts';
import { prepareBackends, restoreBackend, switchBackend } from './switch.ts';
import { agreementDistance } from './ulps.ts';

export type DiffStatus = 'agreed' | 'disagreed' | 'unsupported' | 'errored';

export interface DiffOptions<I = unknown> {
  /** Backends to compare, the baseline first. Default cpu, wasm. All must be initialized: see prepareBackends. */
  backends?: readonly BackendName[];
  /** fast-check seed. Default: derived from the property name (as `check` does). */
  seed?: number;
  /** Generated cases. Default: the property's `runs`, else 100. */
  runs?: number;
  /** Replay this fast-check path (with the same seed). */
  path?: string;
  /** Inputs to try first. */
  examples?: readonly unknown[];
  /** Stop generating after this many milliseconds. */
  timeLimitMs?: number;
  /** How far apart finite elements may be. Default {@link DEFAULT_TOLERANCE}. */
  tolerance?: Partial<AgreementTolerance>;
  /** Exact reference deciding which backend is right (default: the property's own, see withReference). */
  reference?: Reference<I>;
  /** Re-run the minimal case with kernel recording on each backend to find the first differing kernel (default true). */
  explain?: boolean;
}

/** The first kernel call whose outputs differ between two backends in the minimal case. */
export interface Divergence {
  /** Position in the run, from 0. */
  readonly step: number;
  readonly backends: readonly [string, string];
  /** Kernel names on each backend (different when the backends ran different kernels). */
  readonly kernels: readonly [string, string];
  /** One line per backend: `Exp(x=[1] 11) -> [1] 59874.14`. */
  readonly calls: readonly [string, string];
}

/** Time spent per backend and on switching between them. */
export interface DiffTiming {
  readonly perBackendMs: Readonly<Record<string, number>>;
  readonly switches: number;
  readonly switchMs: number;
}

export interface DiffResult {
  readonly name: string;
  readonly status: DiffStatus;
  readonly backends: readonly string[];
  /** The backend the others are compared with (the first). */
  readonly baseline: string;
  readonly seed: number;
  /** Generated cases run (up to the first disagreement). */
  readonly runs: number;
  /** Runs where every backend produced outputs (compared element by element). */
  readonly compared: number;
  readonly shrinks: number;
  /** fast-check path of the minimal disagreeing case (replay it with the same seed). */
  readonly path?: string;
  readonly durationMs: number;
  readonly interrupted: boolean;
  readonly tolerance: AgreementTolerance;
  /** ULP distances seen during generation, per backend compared with the baseline. */
  readonly stats: Readonly<Record<string, UlpStats>>;
  /** The minimal disagreeing inputs. */
  readonly counterexample?: unknown;
  /** How the backends disagree on the minimal inputs. */
  readonly disagreement?: Disagreement;
  /** What the exact reference says, when the property has one. */
  readonly verdict?: ReferenceVerdict;
  /** The reference could not judge (it threw, or had no value for the element). */
  readonly referenceError?: string;
  /** The first kernel whose outputs differ, in the minimal case. */
  readonly divergence?: Divergence;
  /** Set when the baseline disagrees with itself on the minimal case, or the minimal case no longer disagrees. */
  readonly nondeterministic?: string;
  /** Backends that lack a kernel the property needs. */
  readonly unsupported?: readonly Unsupported[];
  /** Why nothing could be compared (errored). */
  readonly error?: string;
  readonly timing: DiffTiming;
}

const DEFAULT_RUNS = 100;

/**
 * Run one property on several backends and compare them. Synchronous: the backends must already
 * be initialized (`await prepareBackends(backends)`). Restores the active backend afterwards.
 */
export function diffProperty<I>(property: Property<I>, options: DiffOptions<I> = {}): DiffResult {
  const started = performance.now();
  const backends = [...(options.backends ?? (['cpu', 'wasm'] as const))];
  if (backends.length < 2) throw new RangeError(`diffProperty needs at least two backends, got ${backends.join(', ')}`);
  const [baseline] = backends as [BackendName, ...BackendName[]];
  const seed = options.seed ?? propertySeed(0, property.name);
  const runs = options.runs ?? property.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const tolerance: AgreementTolerance = { ...DEFAULT_TOLERANCE, ...options.tolerance };
  const reference = (options.reference ?? referenceOf(property)) as Reference | undefined;
  const before = tf.getBackend();

  const perBackendMs: Record<string, number> = Object.fromEntries(backends.map((b) => [b, 0]));
  let switches = 0;
  let switchMs = 0;
  const to = (b: BackendName): void => {
    const t0 = performance.now();
    const was = tf.getBackend();
    switchBackend(b);
    if (tf.getBackend() !== was) {
      switches++;
      switchMs += performance.now() - t0;
    }
  };
  const runAll = (inputs: I): Outcome[] =>
    backends.map((b) => {
      to(b);
      const t0 = performance.now();
      const o = execute(property.subject, inputs, { gradients: property.gradients });
      perBackendMs[b]! += performance.now() - t0;
      return o;
    });
  // with the property's own exact reference, elements are judged against the exact answer on each backend's tolerance
  const own = options.reference === undefined ? property.reference : undefined;
  /** What judges the outcomes of one input: the exact outputs and gradients, each backend's tolerance. */
  const judgeOf = (outcomes: readonly Outcome[], inputs: I): ((b: string) => ReferenceJudge) | undefined => {
    if (!outcomes.some((o) => o.kind === 'ok')) return undefined;
    const agreement = property.agreement === 'finiteness' ? { agreement: 'finiteness' as const } : {};
    if (!own) return agreement.agreement ? () => ({ tolerances: [{}, {}], ...agreement }) : undefined;
    const r = own.exact?.(inputs);
    const expected = r === undefined ? undefined : Array.isArray(r) ? (r as readonly ExactTensor[]) : [r as ExactTensor];
    const ok = outcomes.find((o) => o.kind === 'ok');
    const gradients = new Map<string, ExpectedGradient>();
    if (own.gradients && ok?.kind === 'ok') {
      for (const g of ok.observation.gradients) {
        if (g.wrt !== undefined) gradients.set(g.wrt, expectedGradient(inputs, g.wrt, { derivative: own.gradients.derivative }));
      }
    }
    // a backend that reads subnormals as 0 (TensorFlow's) is also right on the inputs so read
    let flushedAnswers: FlushedAnswers | undefined | null = null;
    const flushedFor = (name: string): FlushedAnswers | undefined => {
      if (!flushesSubnormals(name)) return undefined;
      if (flushedAnswers === null) {
        const flushedInputs = flushSubnormalInputs(inputs);
        // the same inputs: the same answers, judged with the flush allowance on results
        flushedAnswers = { ...(expected ? { expected } : {}), gradients };
        if (flushedInputs !== inputs) {
          try {
            const fr = own.exact?.(flushedInputs);
            const fe = fr === undefined ? undefined : Array.isArray(fr) ? (fr as readonly ExactTensor[]) : [fr as ExactTensor];
            const fg = new Map<string, ExpectedGradient>();
            for (const wrt of gradients.keys()) fg.set(wrt, expectedGradient(flushedInputs, wrt, { derivative: own.gradients!.derivative }));
            flushedAnswers = { ...(fe ? { expected: fe } : {}), gradients: fg };
          } catch {
            flushedAnswers = undefined;
          }
        }
      }
      return flushedAnswers;
    };
    return (b) => ({
      flushed: [flushedFor(baseline), flushedFor(b)],
      ...(expected ? { expected } : {}),
      tolerances: [resolveTolerance(own.tolerance, baseline), resolveTolerance(own.tolerance, b)],
      ...(own.gradients
        ? { gradients, gradientTolerances: [resolveTolerance(own.gradients.tolerance, baseline), resolveTolerance(own.gradients.tolerance, b)] }
        : {}),
      ...agreement,
    });
  };
  /** Compare every backend with the baseline; the first disagreement wins. */
  const compareAll = (outcomes: readonly Outcome[], inputs: I, statsInto?: Record<string, UlpStats>) => {
    let disagreement: Disagreement | undefined;
    let allOk = true;
    const judgeFor = judgeOf(outcomes, inputs);
    for (let i = 1; i < backends.length; i++) {
      const judge = judgeFor?.(backends[i]!);
      const c = compareOutcomes(outcomes[0]!, outcomes[i]!, [baseline, backends[i]!], tolerance, judge);
      if (statsInto) mergeStats(statsInto[backends[i]!]!, c.stats);
      if (c.bothThrew) allOk = false;
      disagreement ??= c.disagreement;
    }
    if (outcomes.some((o) => o.kind === 'error')) allOk = false;
    return { disagreement, allOk };
  };
  const stats: Record<string, UlpStats> = Object.fromEntries(backends.slice(1).map((b) => [b, emptyStats()]));
  let compared = 0;
  let lastError: string | undefined;
  const trial = (inputs: I, phase: Phase): Trial<Disagreement> => {
    const outcomes = runAll(inputs);
    const unsupported = outcomes.flatMap((o) => (o.kind === 'unsupported' ? [o.unsupported] : []));
    // never a disagreement: reported as unsupported
    if (unsupported.length > 0) return { kind: 'unsupported', unsupported };
    const generating = phase === 'generate';
    const { disagreement, allOk } = compareAll(outcomes, inputs, generating ? stats : undefined);
    if (generating) {
      if (allOk) compared++;
      const err = outcomes.find((o) => o.kind === 'error');
      if (err && err.kind === 'error') lastError = err.message;
    }
    return disagreement ? { kind: 'fail', failure: disagreement, key: disagreementKey(disagreement) } : PASS;
  };

  let outcome: SearchOutcome<I, Disagreement>;
  try {
    outcome = search<I, Disagreement>(
      { arbitrary: property.arbitrary, trial },
      {
        seed,
        runs,
        ...(options.path ? { path: options.path } : {}),
        ...(options.examples?.length ? { examples: options.examples } : {}),
        ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
      },
    );
  } finally {
    restoreBackend(before);
  }
  if (outcome.kind === 'generator-error') throw outcome.error;
  const timing = (): DiffTiming => ({ perBackendMs: round(perBackendMs), switches, switchMs: Math.round(switchMs * 1000) / 1000 });
  const base = {
    name: property.name,
    backends,
    baseline,
    seed,
    runs: outcome.runs,
    compared,
    interrupted: outcome.interrupted,
    tolerance,
    stats,
  };

  if (outcome.kind === 'aborted') {
    // a fault of the backend machinery (a switch failed), not of the subject
    const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return { ...base, status: 'errored', shrinks: 0, error, durationMs: performance.now() - started, timing: timing() };
  }
  if (outcome.kind === 'passed') {
    const unsupported = outcome.unsupported;
    // nothing compared because every run errored: errored; because the time limit came first
    // (interrupted, no run ended in an error): not a fault of the subject, the result says interrupted
    const status: DiffStatus = unsupported ? 'unsupported' : compared === 0 && lastError !== undefined ? 'errored' : 'agreed';
    return {
      ...base,
      status,
      shrinks: 0,
      ...(unsupported ? { unsupported } : {}),
      ...(status === 'errored' ? { error: `nothing was compared: the subject failed on every backend in every run (${lastError})` } : {}),
      durationMs: performance.now() - started,
      timing: timing(),
    };
  }

  const { counterexample } = outcome;
  let disagreement: Disagreement | undefined;
  let nondeterministic: string | undefined;
  let divergence: Divergence | undefined;
  let outputNames: readonly string[] = [];
  try {
    const again = runAll(counterexample);
    const ok = again.find((o) => o.kind === 'ok');
    if (ok?.kind === 'ok') outputNames = ok.observation.outputs.map((t) => t.name);
    disagreement = compareAll(again, counterexample).disagreement;
    // the baseline against itself: a subject that is not deterministic disagrees with anything
    to(baseline);
    const self = execute(property.subject, counterexample, { gradients: property.gradients });
    const selfCheck = compareOutcomes(again[0]!, self, [baseline, baseline], { ulps: 0, atol: 0 });
    if (selfCheck.disagreement) nondeterministic = `${baseline} disagrees with itself on the minimal case: ${selfCheck.disagreement.message}`;
    else if (!disagreement) nondeterministic = `the minimal case agreed when run again (first seen: ${describeKey(outcome.key)})`;
    if (disagreement && (options.explain ?? true)) divergence = firstDivergence(property, counterexample, disagreement, tolerance, to);
  } finally {
    restoreBackend(before);
  }
  let verdict: ReferenceVerdict | undefined;
  let referenceError: string | undefined;
  if (reference && disagreement) {
    const toleranceOf = own ? (b: string) => resolveTolerance(own.tolerance, b) : undefined;
    const v = judge(disagreement, counterexample, reference, tolerance, outputNames, toleranceOf);
    if (v && 'error' in v) referenceError = v.error;
    else if (v) verdict = v;
  }
  return {
    ...base,
    status: 'disagreed',
    shrinks: outcome.shrinks,
    ...(outcome.path !== undefined ? { path: outcome.path } : {}),
    counterexample,
    ...(disagreement ? { disagreement } : {}),
    ...(verdict ? { verdict } : {}),
    ...(referenceError ? { referenceError } : {}),
    ...(divergence ? { divergence } : {}),
    ...(nondeterministic ? { nondeterministic } : {}),
    durationMs: performance.now() - started,
    timing: timing(),
  };
}

function round(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}

function summariesDiffer(a: Summary, b: Summary, tolerance: AgreementTolerance): boolean {
  if (a.size !== b.size || a.dtype !== b.dtype || a.nan !== b.nan || a.posInf !== b.posInf || a.negInf !== b.negInf) return true;
  if (a.head.some((x, i) => agreementDistance(x, b.head[i]!) > tolerance.ulps)) return true;
  return a.size > 0 && (agreementDistance(a.min, b.min) > tolerance.ulps || agreementDistance(a.max, b.max) > tolerance.ulps);
}

/** Record the kernels of the minimal case on both backends of the disagreement and find where they part. */
function firstDivergence<I>(
  property: Property<I>,
  inputs: I,
  d: Disagreement,
  tolerance: AgreementTolerance,
  to: (b: BackendName) => void,
): Divergence | undefined {
  const calls = d.backends.map((b) => {
    to(b as BackendName);
    return recordKernels(() => execute(property.subject, inputs, { gradients: property.gradients }), 2000).provenance.calls;
  }) as [readonly KernelCall[], readonly KernelCall[]];
  const [a, b] = calls;
  const line = (c: KernelCall | undefined) => (c ? describeCall(c) : '(no kernel: the run ended or threw)');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.kernel !== y.kernel || x.outputs.length !== y.outputs.length || x.outputs.some((o, k) => summariesDiffer(o, y.outputs[k]!, tolerance))) {
      return { step: i, backends: d.backends, kernels: [x?.kernel ?? '', y?.kernel ?? ''], calls: [line(x), line(y)] };
    }
  }
  return undefined;
}

export interface DiffAllOptions extends Omit<DiffOptions, 'seed' | 'examples'> {
  /** Global seed: each property's seed derives from it and its name (as in `nanhunt check`). Default 0. */
  seed?: number;
  /** Called after each property (progress output). */
  onResult?: (result: DiffResult) => void;
}

/**
 * Differential-test several properties: initialize the backends, then run each property on all
 * of them. The backend active before is active again afterwards.
 *
 * ```ts
 * const results = await diffAll(await loadProperties(CATALOG_DIR), { backends: ['cpu', 'wasm'], runs: 50 });
 * for (const r of results) console.log(diffSummaryLine(r));
 * ```
 */
export async function diffAll(properties: readonly Property[], options: DiffAllOptions = {}): Promise<DiffResult[]> {
  const backends = [...(options.backends ?? (['cpu', 'wasm'] as const))];
  const before = tf.getBackend();
  await prepareBackends(backends);
  const results: DiffResult[] = [];
  try {
    for (const p of properties) {
      const { onResult, seed, ...rest } = options;
      const r = diffProperty(p, { ...rest, backends, seed: propertySeed(seed ?? 0, p.name) });
      results.push(r);
      onResult?.(r);
    }
  } finally {
    if (before) restoreBackend(before);
  }
  return results;
}
