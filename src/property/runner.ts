/**
 * Run a property on the active backend: the engine (./engine.ts) generates inputs and shrinks the
 * first failure; each case runs the subject (src/run) and checks the invariants; the minimal case
 * is re-run once with kernel recording to find where the NaN was born.
 */
import type { ErrorSample } from '../check/invariant.ts';
import { errorText, execute, type Outcome } from '../run/execute.ts';
import { activeBackend, type Unsupported } from '../run/backend.ts';
import { recordKernels, type Provenance } from '../explain/provenance.ts';
import type { Property } from './property.ts';
import { confirm, PASS, search, type Trial } from './engine.ts';
import { failureKey, type Failure } from './failure.ts';

export type { Failure } from './failure.ts';

/** `unsupported`: the backend lacks a kernel the subject needs (neither a pass nor a failure). */
export type Status = 'passed' | 'failed' | 'errored' | 'unsupported';

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
  if (outcome.kind === 'unsupported') return { kind: 'error', stage: 'unsupported', message: outcome.unsupported.message };
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

/** Run the subject once on given inputs and check its invariants. */
export function checkOnce<I>(property: Property<I>, inputs: I, samples?: ErrorSample[]): { outcome: Outcome; failure?: Failure } {
  const outcome = execute(property.subject, inputs, { gradients: property.gradients });
  const failure = failureOf(outcome, property as Property, samples);
  return failure ? { outcome, failure } : { outcome };
}

/** One case of a property as the engine sees it. */
function trialOf<I>(property: Property<I>, inputs: I, samples?: ErrorSample[]): Trial<Failure> {
  const { outcome, failure } = checkOnce(property, inputs, samples);
  if (outcome.kind === 'unsupported') return { kind: 'unsupported', unsupported: [outcome.unsupported] };
  return failure ? { kind: 'fail', failure, key: failureKey(failure) } : PASS;
}

/** Run a property and return a structured result. Never throws for faults of the subject. */
export function runProperty<I>(property: Property<I>, options: RunOptions = {}): PropertyResult {
  const started = performance.now();
  const seed = options.seed ?? propertySeed(0, property.name);
  const runs = options.runs ?? property.runs ?? DEFAULT_RUNS;
  const samples: ErrorSample[] = [];
  // error samples come from the generation phase only (not from shrinking)
  const outcome = search<I, Failure>(
    { arbitrary: property.arbitrary, trial: (inputs, phase) => trialOf(property, inputs, phase === 'generate' ? samples : undefined) },
    {
      seed,
      runs,
      ...(options.path ? { path: options.path } : {}),
      ...(options.examples ? { examples: options.examples } : {}),
      ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
    },
  );
  const backend = String(activeBackend());
  if (outcome.kind === 'generator-error' || outcome.kind === 'aborted') {
    // the generators themselves failed (bad options, impossible domain): an error of this property
    return {
      name: property.name,
      status: 'errored',
      expectedFailure: false,
      backend,
      seed,
      runs: 0,
      shrinks: 0,
      durationMs: performance.now() - started,
      interrupted: false,
      failure: { kind: 'error', stage: 'generate', message: errorText(outcome.error) },
    };
  }
  const base = {
    name: property.name,
    expectedFailure: false,
    backend,
    seed,
    interrupted: outcome.interrupted,
    ...(samples.length > 0 ? { errorSamples: samples } : {}),
  };

  if (outcome.kind === 'passed') {
    const unsupported = outcome.unsupported?.[0];
    return {
      ...base,
      status: unsupported ? 'unsupported' : 'passed',
      // the tfjs error travels as the failure, so generic reports (JSON, JUnit, HTML) show it
      ...(unsupported ? { unsupported, failure: { kind: 'error', stage: 'unsupported', message: unsupported.message } as Failure } : {}),
      runs: outcome.runs,
      shrinks: 0,
      durationMs: performance.now() - started,
    };
  }
  const { counterexample } = outcome;
  // Re-run the minimal case: the final failure (and, with recording, its provenance).
  let again: Trial<Failure>;
  let provenance: Provenance | undefined;
  if (options.provenance ?? true) {
    const recorded = recordKernels(() => trialOf(property, counterexample));
    again = recorded.result;
    provenance = recorded.provenance;
  } else {
    again = trialOf(property, counterexample);
  }
  const confirmed = confirm(again, outcome.key);
  const failure: Failure = 'failure' in confirmed ? confirmed.failure : { kind: 'error', stage: 'replay', message: confirmed.flaky };
  const isError = failure.kind === 'error';
  return {
    ...base,
    status: isError ? 'errored' : 'failed',
    expectedFailure: !isError && property.expectFailure !== undefined,
    runs: outcome.runs,
    ...(outcome.path !== undefined ? { path: outcome.path } : {}),
    ...(outcome.example !== undefined ? { example: outcome.example } : {}),
    shrinks: outcome.shrinks,
    durationMs: performance.now() - started,
    counterexample,
    failure,
    ...(provenance ? { provenance } : {}),
  } as PropertyResult;
}
