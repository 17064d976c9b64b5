/**
 * Run a property: generate inputs, run the subject, check invariants, shrink the first failure,
 * then re-run the minimal case once with kernel recording to find where the NaN was born.
 *
 * Generation and shrinking are fast-check's (fc.check with our arbitraries' shrinkers). While
 * shrinking, only candidates failing the same way as the first failure (same invariant, or the
 * same kind of error) count as failures, so a shrink never drifts to an unrelated problem.
 */
import * as fc from 'fast-check';
import type { ErrorSample, Violation } from '../check/invariant.ts';
import { errorText, execute, type Outcome } from '../run/execute.ts';
import { activeBackend, unsupportedKernel, type Unsupported } from '../run/backend.ts';
import { recordKernels, type Provenance } from '../explain/provenance.ts';
import type { Property } from './property.ts';

/** `unsupported`: the backend lacks a kernel the subject needs (neither a pass nor a failure). */
export type Status = 'passed' | 'failed' | 'errored' | 'unsupported';

/** Why a run failed: a broken invariant or an error of the subject. */
export type Failure =
  | { readonly kind: 'violation'; readonly violation: Violation }
  | { readonly kind: 'error'; readonly stage: string; readonly message: string };

export interface PropertyResult {
  readonly name: string;
  readonly status: Status;
  /** The property is a shipped example of a bug and its failure was expected. */
  readonly expectedFailure: boolean;
  readonly backend: string;
  /** Runs executed before the first failure (or all of them). */
  readonly runs: number;
  readonly seed: number;
  /**
   * fast-check path of the minimal case: pass it back with the seed to replay it. It counts generated
   * cases only (saved `examples` excluded), and is absent when the failure came from an example.
   */
  readonly path?: string;
  /** Index in `RunOptions.examples` of the saved example the failure came from (it was then shrunk). */
  readonly example?: number;
  readonly shrinks: number;
  readonly durationMs: number;
  /** The minimal failing inputs (TensorValues and plain values). */
  readonly counterexample?: unknown;
  readonly failure?: Failure;
  /** Where the first non-finite value was born in the minimal case. */
  readonly provenance?: Provenance;
  /** The run stopped early at its time limit. */
  readonly interrupted: boolean;
  /** Error-versus-input points from accuracy invariants (at most {@link MAX_ERROR_SAMPLES}), for plots. */
  readonly errorSamples?: readonly ErrorSample[];
  /** Status `unsupported`: the backend and the kernel it lacks. */
  readonly unsupported?: Unsupported;
}

/** Most error samples kept per property. */
export const MAX_ERROR_SAMPLES = 2000;

export interface RunOptions {
  /** fast-check seed (32-bit integer). Default: derived from the property name. */
  seed?: number;
  /** Number of generated cases. Default: the property's `runs`, else 100. */
  runs?: number;
  /** Replay this fast-check path (with the same seed) instead of generating. */
  path?: string;
  /**
   * Inputs to try before generation (saved failures); they run first, in order, in addition to
   * `runs` generated cases. Ignored when `path` is given (a path replays generated cases only).
   */
  examples?: readonly unknown[];
  /** Re-run the minimal case with kernel recording (default true). */
  provenance?: boolean;
  /** Stop generating after this many milliseconds (the run is then marked interrupted). */
  timeLimitMs?: number;
}

const DEFAULT_RUNS = 100;

/** FNV-1a hash of a string, as a 32-bit signed integer. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** The seed a property runs with under a global seed: stable per name, so adding properties changes no other. */
export function propertySeed(globalSeed: number, name: string): number {
  return (hashName(name) ^ Math.imul(globalSeed | 0, 0x9e3779b1)) | 0;
}

function failureOf(outcome: Outcome, property: Property, samples?: ErrorSample[]): Failure | undefined {
  if (outcome.kind === 'error') return { kind: 'error', stage: outcome.stage, message: outcome.message };
  // an invariant that throws is an error of the property (named), never a crash of the run
  let current = '';
  try {
    if (samples && samples.length < MAX_ERROR_SAMPLES) {
      for (const inv of property.invariants) {
        if (!inv.sample) continue;
        current = inv.name;
        for (const s of inv.sample(outcome.observation)) {
          if (samples.length >= MAX_ERROR_SAMPLES) break;
          samples.push(s);
        }
      }
    }
    for (const inv of property.invariants) {
      current = inv.name;
      const v = inv.check(outcome.observation);
      if (v) return { kind: 'violation', violation: v };
    }
  } catch (e) {
    return { kind: 'error', stage: 'invariant', message: `invariant '${current}' threw: ${errorText(e)}` };
  }
  return undefined;
}

function signature(f: Failure): string {
  return f.kind === 'violation' ? `violation:${f.violation.invariant}` : `error:${f.stage}`;
}

/** Run the subject once on given inputs and check its invariants. */
export function checkOnce<I>(property: Property<I>, inputs: I, samples?: ErrorSample[]): { outcome: Outcome; failure?: Failure } {
  const outcome = execute(property.subject, inputs, { gradients: property.gradients });
  const failure = failureOf(outcome, property as Property, samples);
  return failure ? { outcome, failure } : { outcome };
}

/** fast-check's path counts the examples first: make it a path of generated cases, or name the example. */
function splitPath(path: string | undefined, examples: number): { path?: string; example?: number } {
  if (!path || examples === 0) return path ? { path } : {};
  const [first, ...rest] = path.split(':');
  const index = Number(first);
  if (index < examples) return { example: index };
  return { path: [String(index - examples), ...rest].join(':') };
}

/** Run a property and return a structured result. Never throws for faults of the subject. */
export function runProperty<I>(property: Property<I>, options: RunOptions = {}): PropertyResult {
  const started = performance.now();
  const seed = options.seed ?? propertySeed(0, property.name);
  const runs = options.runs ?? property.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);

  let target: string | undefined;
  const samples: ErrorSample[] = [];
  let unsupported: Unsupported | undefined;
  const predicate = (inputs: I): boolean => {
    if (unsupported && target === undefined) return true; // the backend lacks a kernel: nothing more to learn
    // error samples come from the generation phase only (not from shrinking)
    const { failure } = checkOnce(property, inputs, target === undefined ? samples : undefined);
    if (!failure) return true;
    const lacking = failure.kind === 'error' ? unsupportedKernel(failure.message) : undefined;
    if (lacking) {
      if (target === undefined) unsupported = lacking;
      return true; // not a failure of the subject: reported as unsupported
    }
    const sig = signature(failure);
    if (target === undefined) target = sig;
    return sig !== target;
  };

  const examples = options.path ? [] : (options.examples ?? []);
  const params: fc.Parameters<[I]> = {
    seed,
    numRuns: runs + examples.length,
    ...(options.path ? { path: options.path } : {}),
    ...(examples.length ? { examples: examples.map((e) => [e] as [I]) } : {}),
    ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  };
  let details: fc.RunDetails<[I]>;
  try {
    details = fc.check(fc.property(property.arbitrary, predicate), params);
  } catch (e) {
    // the generators themselves failed (bad options, impossible domain): an error of this property
    return {
      name: property.name,
      status: 'errored',
      expectedFailure: false,
      backend: String(activeBackend()),
      seed,
      runs: 0,
      shrinks: 0,
      durationMs: performance.now() - started,
      interrupted: false,
      failure: { kind: 'error', stage: 'generate', message: errorText(e) },
    };
  }
  const base = {
    name: property.name,
    expectedFailure: false,
    backend: String(activeBackend()),
    seed,
    interrupted: details.interrupted,
    ...(samples.length > 0 ? { errorSamples: samples } : {}),
  };

  if (!details.failed || !details.counterexample) {
    return {
      ...base,
      status: unsupported ? 'unsupported' : 'passed',
      // the tfjs error travels as the failure, so generic reports (JSON, JUnit, HTML) show it
      ...(unsupported ? { unsupported, failure: { kind: 'error', stage: 'unsupported', message: unsupported.message } as Failure } : {}),
      runs: details.numRuns,
      shrinks: 0,
      durationMs: performance.now() - started,
    };
  }
  const [counterexample] = details.counterexample;
  // Re-run the minimal case: the final failure (and, with recording, its provenance).
  let again: { outcome: Outcome; failure?: Failure };
  let provenance: Provenance | undefined;
  if (options.provenance ?? true) {
    const recorded = recordKernels(() => checkOnce(property, counterexample));
    again = recorded.result;
    provenance = recorded.provenance;
  } else {
    again = checkOnce(property, counterexample);
  }
  const failure: Failure = again.failure ?? {
    kind: 'error',
    stage: 'replay',
    message: `the minimal case passed when run again: the subject is not deterministic (first seen: ${target})`,
  };
  const isError = failure.kind === 'error';
  return {
    ...base,
    status: isError ? 'errored' : 'failed',
    expectedFailure: !isError && property.expectFailure !== undefined,
    runs: details.numRuns,
    ...splitPath(details.counterexamplePath ?? undefined, examples.length),
    shrinks: details.numShrinks,
    durationMs: performance.now() - started,
    counterexample,
    failure,
    ...(provenance ? { provenance } : {}),
  } as PropertyResult;
}
