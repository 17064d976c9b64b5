/**
 * Numerical matchers for vitest's expect, registered with expect.extend when 'nanhunt/vitest' is
 * imported:
 *
 * ```ts
 * expect(tf.softmax(x)).toBeAllFinite();
 * expect((x: tf.Tensor) => tf.softmax(x)).toStayFinite([tensor({ elements: logits() })], { runs: 200 });
 * expect((x: tf.Tensor) => tf.sum(tf.square(x))).toHaveFiniteGradients([tensor()]);
 * expect((x: tf.Tensor) => tf.log1p(x)).toMatchReference(Math.log1p, { ulps: 4, inputs: [tensor()] });
 * ```
 * The property matchers run a nanhunt property (generate, run, check, shrink, explain) on the
 * active backend and fail with nanhunt's failure report; with `.not` they pass when a failure is
 * found (a known bug documented as a test). Seeds and runs come from the options, then from
 * NANHUNT_SEED / NANHUNT_RUNS, then from the defaults; the default seed is derived from the
 * current test's name and the matcher.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, TestRunner } from 'vitest';
import type { MatcherState } from 'vitest';
import { activeBackend } from '../run/backend.ts';
import { finite } from '../check/finite.ts';
import type { Invariant, Observation, ReadTensor } from '../check/invariant.ts';
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import type { PropertyResult } from '../property/runner.ts';
import { relativeToCwd, runWithDatabase } from './database.ts';
import { resolveConfig, seedLine, type ConfigOptions } from './config.ts';
import { toProperty, type Generators, type SubjectFor } from './generators.ts';
import { failureMessage } from './report.ts';
import { backendMismatch } from './backend.ts';
import { referenceInvariant, type ExactReference, type Float64Reference, type MatchReferenceOptions, type ReferenceFn } from './reference.ts';
import { tensor } from '../generate/tensor.ts';

/** Options of the property matchers. */
export interface PropertyMatcherOptions extends Omit<ConfigOptions, 'backend'> {
  /** Replay this fast-check path (with `seed`): paste it from a failure report. */
  path?: string;
  /** Inputs to try first (plain values: TensorValues, numbers). */
  examples?: readonly unknown[];
  /** Re-run the minimal case with kernel recording (default true). */
  provenance?: boolean;
}

export interface StayFiniteOptions extends PropertyMatcherOptions {
  /** Also compute the gradients of sum(outputs) and require them finite (default false). */
  gradients?: boolean;
  /** More invariants to check besides finiteness. */
  invariants?: readonly Invariant[];
  /**
   * Accept ±Infinity where the exact result is out of float32's range too (Infinity is then the
   * correctly rounded answer): `finite({ unlessInherent: true })`. Default false.
   */
  unlessInherent?: boolean;
}

/** When the received function cannot take the generated inputs, the generators argument is rejected. */
export type AcceptedBy<T, G extends Generators> = 0 extends 1 & T
  ? unknown
  : T extends SubjectFor<G>
    ? unknown
    : { readonly 'the received function does not take the inputs these generators make': never };

/** nanhunt's matchers, typed for `expect(x)` (R = void) and `expect.x()` (asymmetric, R = any). */
export interface NanhuntMatchers<R = unknown, T = unknown> {
  /** The received tf.Tensor (or TensorValue) holds no NaN and no ±Infinity. */
  toBeAllFinite(): R;
  /** The received function's outputs stay finite for every generated input (a nanhunt property). */
  toStayFinite<const G extends Generators>(generators: G & AcceptedBy<T, G>, options?: StayFiniteOptions): R;
  /** The gradients of the sum of the received function's outputs w.r.t. every float32 input stay finite. */
  toHaveFiniteGradients<const G extends Generators>(
    generators: G & AcceptedBy<T, G>,
    options?: PropertyMatcherOptions & Pick<StayFiniteOptions, 'unlessInherent'>,
  ): R;
  /**
   * The received function's outputs match a reference within a tolerance (`{ ulps }`, `{ bits }`,
   * `{ rtol, atol }`; default exact). The reference is a float64 function of one number applied
   * elementwise (`Math.log1p`), or an exact reference returning ExactTensors. The default input
   * is one float32 tensor of any shape; give `inputs` (generators) for others.
   */
  toMatchReference<const G extends Generators = Generators>(
    reference: Float64Reference,
    options?: MatchReferenceOptions & { inputs?: G & AcceptedBy<T, G> },
  ): R;
  toMatchReference<const G extends Generators = Generators>(reference: ExactReference, options?: MatchReferenceOptions & { inputs?: G & AcceptedBy<T, G> }): R;
}

declare module 'vitest' {
  interface Assertion<T = any> extends NanhuntMatchers<void, T> {}
  interface AsymmetricMatchersContaining extends NanhuntMatchers<any, any> {}
}

/** What a synchronous matcher returns. */
interface SyncExpectationResult {
  pass: boolean;
  message: () => string;
}

// ---- toBeAllFinite ----------------------------------------------------------------------------

function readReceived(received: unknown): ReadTensor | string {
  if (received instanceof tf.Tensor) {
    if (received.isDisposed) return 'the received tensor is disposed';
    return { name: 'tensor', shape: [...received.shape], dtype: received.dtype, data: received.dataSync() as Float32Array };
  }
  if (isTensorValue(received)) {
    const t = received as TensorValue;
    return { name: 'tensor', shape: t.shape, dtype: t.dtype, data: t.data };
  }
  return `expected a tf.Tensor, received ${received === null ? 'null' : typeof received === 'object' ? Object.prototype.toString.call(received) : typeof received}`;
}

function toBeAllFinite(this: MatcherState, received: unknown): SyncExpectationResult {
  const t = readReceived(received);
  if (typeof t === 'string') return { pass: false, message: () => t };
  if (t.dtype !== 'float32') {
    return { pass: !this.isNot, message: () => `${t.dtype} tensors are always finite: toBeAllFinite checks float32 tensors` };
  }
  const observation: Observation = { inputs: undefined, outputs: [t], gradients: [], backend: String(activeBackend()) };
  const violation = finite().check(observation);
  const shape = `[${t.shape.join(', ')}]`;
  return {
    pass: violation === undefined,
    message: () =>
      violation
        ? `expected the tensor ${shape} to be all finite, but ${violation.message}`
        : `expected the tensor ${shape} to hold a NaN or ±Infinity, but all ${t.data.length} elements are finite`,
  };
}

// ---- property matchers ------------------------------------------------------------------------

function currentName(state: MatcherState, matcher: string): string {
  return `${state.currentTestName ?? 'expect'} › ${matcher}`;
}

function relativeTestPath(state: MatcherState): string | undefined {
  return state.testPath ? relativeToCwd(state.testPath) : undefined;
}

/** One matcher run, recorded in the test's `meta.nanhuntMatchers` (vitest's JSON reporter keeps it). */
export interface MatcherRunMeta {
  readonly matcher: string;
  readonly seed: number;
  readonly seedFrom: string;
  readonly globalSeed?: number;
  readonly runs: number;
  readonly runsFrom: string;
  readonly backend: string;
  readonly status: PropertyResult['status'];
  readonly executed: number;
  /** Saved failures (failure database) that ran first. */
  readonly savedExamples: number;
}

function recordMatcherRun(run: MatcherRunMeta): void {
  const test = TestRunner.getCurrentTest();
  if (!test) return;
  const meta = test.meta as { nanhuntMatchers?: MatcherRunMeta[] };
  meta.nanhuntMatchers ??= [];
  meta.nanhuntMatchers.push(run);
}

function runMatcherProperty(
  state: MatcherState,
  matcher: string,
  received: unknown,
  generators: Generators,
  invariants: readonly Invariant[],
  options: PropertyMatcherOptions & { gradients?: boolean },
): SyncExpectationResult {
  if (typeof received !== 'function') {
    return { pass: false, message: () => `${matcher}: expected a function (the subject), received ${typeof received}` };
  }
  const name = currentName(state, matcher);
  const config = resolveConfig(name, options);
  const mismatch = backendMismatch(config.backend);
  if (mismatch) return { pass: state.isNot, message: () => `${matcher}: ${mismatch}` };
  const prop = toProperty(matcher, {
    name,
    inputs: generators,
    subject: received as SubjectFor<Generators>,
    invariants,
    gradients: options.gradients,
  });
  const file = relativeTestPath(state);
  const run = runWithDatabase(
    prop,
    {
      seed: config.seed,
      runs: config.runs,
      ...(options.examples?.length ? { examples: options.examples } : {}),
      ...(options.path ? { path: options.path } : {}),
      ...(options.provenance === false ? { provenance: false } : {}),
    },
    config.database,
    { test: name, ...(file ? { file } : {}) },
  );
  const result: PropertyResult = run.result;
  if (config.random) console.log(`${seedLine(config)} — ${name}`);
  recordMatcherRun({
    matcher,
    seed: result.seed,
    seedFrom: config.seedFrom,
    ...(config.globalSeed === undefined ? {} : { globalSeed: config.globalSeed }),
    runs: config.runs,
    runsFrom: config.runsFrom,
    backend: result.backend,
    status: result.status,
    executed: result.runs,
    savedExamples: run.saved,
  });
  if (result.status === 'unsupported') {
    const u = result.unsupported;
    return { pass: state.isNot, message: () => `${matcher}: backend ${result.backend} has no kernel ${u?.kernel ?? '?'} (${u?.message ?? ''})` };
  }
  const report = (): string =>
    failureMessage(result, config, {
      optionsOf: `the options of ${matcher}`,
      ...(file ? { file } : {}),
      ...(state.currentTestName ? { testName: state.currentTestName.split(' > ').pop()! } : {}),
      ...(run.savedTo ? { savedTo: run.savedTo } : {}),
      fromSaved: run.fromSaved,
    });
  if (result.status === 'errored') {
    // an error of the subject (throw, leak, bad return) fails the matcher with or without .not
    return { pass: state.isNot, message: report };
  }
  const pass = result.status === 'passed';
  return {
    pass,
    message: pass
      ? () => `expected a failure of ${matcher}, but ${result.runs} run${result.runs === 1 ? '' : 's'} passed (seed ${result.seed}, backend ${result.backend})`
      : report,
  };
}

function toStayFinite(this: MatcherState, received: unknown, generators: Generators, options: StayFiniteOptions = {}): SyncExpectationResult {
  const invariants = [finite({ gradients: options.gradients ?? false, unlessInherent: options.unlessInherent ?? false }), ...(options.invariants ?? [])];
  return runMatcherProperty(this, 'toStayFinite', received, generators, invariants, options);
}

function toHaveFiniteGradients(
  this: MatcherState,
  received: unknown,
  generators: Generators,
  options: PropertyMatcherOptions & Pick<StayFiniteOptions, 'unlessInherent'> = {},
): SyncExpectationResult {
  const invariant = finite({ gradients: true, outputs: false, unlessInherent: options.unlessInherent ?? false });
  return runMatcherProperty(this, 'toHaveFiniteGradients', received, generators, [invariant], {
    ...options,
    gradients: true,
  });
}

function toMatchReference(
  this: MatcherState,
  received: unknown,
  reference: ReferenceFn,
  options: MatchReferenceOptions & { inputs?: Generators } = {},
): SyncExpectationResult {
  const generators = options.inputs ?? [tensor()];
  const { invariant } = referenceInvariant(reference, options, Array.isArray(generators));
  return runMatcherProperty(this, 'toMatchReference', received, generators, [invariant], options);
}

/** Register the matchers (done once when 'nanhunt/vitest' is imported). */
export function registerMatchers(): void {
  expect.extend({ toBeAllFinite, toStayFinite, toHaveFiniteGradients, toMatchReference } as never);
}
