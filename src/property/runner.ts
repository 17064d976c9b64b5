/**
 * Run a property on the active backend: the engine (./engine.ts) generates inputs and shrinks the
 * first failure; each case runs the subject (src/run) and checks the invariants; the minimal case
 * is re-run once with kernel recording to find where the NaN was born.
 */
import type { ErrorSample, Observation } from '../check/invariant.ts';
import { errorText, execute, executeAsync, type Outcome } from '../run/execute.ts';
import { activeBackend, batchesExactly, type Unsupported } from '../run/backend.ts';
import { recordKernels, type Provenance, type Trace } from '../explain/provenance.ts';
import { exactTensorOf, explainViolation, type Explanation } from '../explain/explain.ts';
import { runExact, type ExactValue } from '../explain/exact.ts';
import type { ExactElement, ReadTensor } from '../run/observation.ts';
import type { Property } from './property.ts';
import { confirm, PASS, search, searchAsync, type DistinctFailure, type SearchOptions, type SearchOutcome, type Trial } from './engine.ts';
import { failureKey, type Failure } from './failure.ts';
import { screenOf, type SampleSink } from './batch.ts';

export { failuresOf, type Failure } from './failure.ts';

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
  /**
   * Why the minimal case failed, from its kernel trace re-run in exact arithmetic
   * (src/explain/explain.ts): the first kernel that departs from the exact result, its mechanism,
   * and whether the failure is an artifact of the formula or inherent to the input.
   */
  readonly explanation?: Explanation;
  /** The run stopped early at its time limit. */
  readonly interrupted: boolean;
  /**
   * Error-versus-input points from accuracy invariants over every generated case (also those after
   * the first failure), at most {@link MAX_ERROR_SAMPLES}: an even sample of them plus the worst.
   */
  readonly errorSamples?: readonly ErrorSample[];
  /** Status `unsupported`: the backend and the kernel it lacks. */
  readonly unsupported?: Unsupported;
  /**
   * Failures of this property with other keys (another invariant, error stage or violation
   * kind: src/check/invariant.ts ViolationKind) than {@link failure}, met after it among the generated cases, each
   * shrunk on its own: a result each, with the property's name and seed and its own runs,
   * shrinks, path, minimal case, failure, provenance and explanation (RunOptions.distinct).
   */
  readonly distinct?: readonly PropertyResult[];
}

/** Most error samples kept per property. */
export const MAX_ERROR_SAMPLES = 2000;

/** Of those, the ones with the most bits of error, always kept. */
const WORST_KEPT = 200;

/** How bad an error point is: its bits of error, NaN (no finite error) the worst. */
const rank = (x: ErrorSample): number => (Number.isNaN(x.bits) ? Infinity : x.bits);

/**
 * A bounded, deterministic sample of error points: a reservoir (Algorithm R, seeded) of every point
 * offered, plus the {@link WORST_KEPT} worst, so the plot of a long run is an even picture of all
 * of it and its worst points are never dropped.
 */
export class ErrorSampleKeeper {
  private readonly even: ErrorSample[] = [];
  private readonly worst: ErrorSample[] = [];
  private seen = 0;
  private state: number;
  /** Rank of each point of {@link worst}. */
  private readonly ranks: number[] = [];
  /** Once {@link worst} is full: its slots as a min-heap by rank (ties: the lower slot first). */
  private heap: number[] = [];

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** mulberry32: a small deterministic generator in [0, 1). */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  add(s: ErrorSample): void {
    const room = MAX_ERROR_SAMPLES - WORST_KEPT;
    this.seen++;
    if (this.even.length < room) this.even.push(s);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < room) this.even[j] = s;
    }
    const r = rank(s);
    if (r <= 0) return;
    const worst = this.worst;
    if (worst.length < WORST_KEPT) {
      worst.push(s);
      this.ranks.push(r);
      if (worst.length === WORST_KEPT) {
        this.heap = Array.from(worst, (_, i) => i);
        for (let i = (WORST_KEPT >> 1) - 1; i >= 0; i--) this.siftDown(i);
      }
      return;
    }
    // the least-ranked kept point (the first of them) is the root of the heap: replace it when s is worse
    const low = this.heap[0]!;
    if (r > this.ranks[low]!) {
      worst[low] = s;
      this.ranks[low] = r;
      this.siftDown(0);
    }
  }

  /** Heap order on slots of {@link worst}: lower rank first, then lower slot. */
  private before(a: number, b: number): boolean {
    const ra = this.ranks[a]!;
    const rb = this.ranks[b]!;
    return ra < rb || (ra === rb && a < b);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const c = l + 1 < n && this.before(heap[l + 1]!, heap[l]!) ? l + 1 : l;
      if (!this.before(heap[c]!, heap[i]!)) return;
      [heap[i], heap[c]] = [heap[c]!, heap[i]!];
      i = c;
    }
  }

  /** The kept points (each once). */
  samples(): ErrorSample[] {
    const keep = new Set(this.even);
    return [...this.even, ...this.worst.filter((s) => !keep.has(s))];
  }
}

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
  /**
   * Most distinct failures to report, each shrunk on its own (default {@link DEFAULT_DISTINCT}; 1:
   * stop at the first failure). Failures are distinct when they break another invariant, error at
   * another stage, or break an invariant with exact answers another way (non-finite where the
   * exact answer is finite; finite but beyond tolerance; a wrong special value).
   */
  distinct?: number;
  /**
   * Screen generated cases many in one call when the property is batch-polymorphic
   * (`property.batch`, ./batch.ts; default true): the same result, faster. Never on a backend
   * whose kernels depend on an element's position (node: `batchesExactly` in src/run/backend.ts).
   */
  batch?: boolean;
}

const DEFAULT_RUNS = 100;

/** Distinct failures reported per property by default (the first included). */
export const DEFAULT_DISTINCT = 3;

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

/** Offer the error samples of an observation to the keeper. */
function sampleErrors(observation: Observation, property: Property, samples: ErrorSampleKeeper): void {
  for (const inv of property.invariants) {
    if (!inv.sample) continue;
    for (const s of inv.sample(observation)) samples.add(s);
  }
}

function failureOf(outcome: Outcome, property: Property, samples?: SampleSink): Failure | undefined {
  if (outcome.kind === 'error') return { kind: 'error', stage: outcome.stage, message: outcome.message };
  if (outcome.kind === 'unsupported') return { kind: 'error', stage: 'unsupported', message: outcome.unsupported.message };
  // an invariant that throws is an error of the property (named), never a crash of the run
  let current = '';
  try {
    if (samples) {
      for (const inv of property.invariants) {
        if (!inv.sample) continue;
        current = inv.name;
        for (const s of inv.sample(outcome.observation)) samples.add(s);
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

/** What {@link withExactValues} computes on first use: the recorded run re-run exactly, and each tensor's exact values. */
interface ExactState<I> {
  readonly property: Property<I>;
  readonly inputs: I;
  exact?: { trace: Trace; run: ReturnType<typeof runExact> } | null;
  tensors?: Map<ReadTensor, ExactValue | undefined>;
}

function exactElement<I>(state: ExactState<I>, tensor: ReadTensor, index: number): ExactElement | undefined {
  if (state.exact === undefined) {
    try {
      const { property, inputs } = state;
      const recorded = recordKernels(() => execute(property.subject, inputs, { gradients: property.gradients }), undefined, { trace: true });
      state.exact = recorded.trace && recorded.result.kind === 'ok' ? { trace: recorded.trace, run: runExact(recorded.trace) } : null;
    } catch {
      state.exact = null;
    }
  }
  const exact = state.exact;
  if (!exact) return undefined;
  state.tensors ??= new Map();
  const tensors = state.tensors;
  if (!tensors.has(tensor)) tensors.set(tensor, exactTensorOf(exact.trace, tensor.data, exact.run));
  const e = tensors.get(tensor);
  return e ? { value: e.values[index]!, settled: !e.unsettled?.[index] } : undefined;
}

/**
 * The observation with {@link Observation.exactValue}: on first use the subject runs again on the
 * same inputs with its kernels recorded, and the trace is re-run exactly (src/explain/exact.ts).
 * Every case gets one, few use it: a bound function over a small state, no closure per case.
 */
function withExactValues<I>(property: Property<I>, inputs: I, outcome: Outcome): Outcome {
  if (outcome.kind !== 'ok') return outcome;
  const o = outcome.observation;
  const state: ExactState<I> = { property, inputs };
  return {
    kind: 'ok',
    observation: {
      inputs: o.inputs,
      outputs: o.outputs,
      gradients: o.gradients,
      backend: o.backend,
      exactValue: (exactElement<I>).bind(undefined, state),
    },
  };
}

/** Run the subject once on given inputs and check its invariants. */
export function checkOnce<I>(property: Property<I>, inputs: I, samples?: ErrorSampleKeeper): { outcome: Outcome; failure?: Failure } {
  const outcome = withExactValues(property, inputs, execute(property.subject, inputs, { gradients: property.gradients }));
  const failure = failureOf(outcome, property as Property, samples);
  return failure ? { outcome, failure } : { outcome };
}

/** One case of a property as the engine sees it. */
function trialOf<I>(property: Property<I>, inputs: I, samples?: ErrorSampleKeeper): Trial<Failure> {
  const { outcome, failure } = checkOnce(property, inputs, samples);
  return trialFrom(outcome, failure);
}

function trialFrom(outcome: Outcome, failure: Failure | undefined): Trial<Failure> {
  if (outcome.kind === 'unsupported') return { kind: 'unsupported', unsupported: [outcome.unsupported] };
  return failure ? { kind: 'fail', failure, key: failureKey(failure) } : PASS;
}

/** The exact explanation of a violation found on a recorded re-run (none for errors, or when it cannot be had). */
function explanationOf(trace: Trace | undefined, outcome: Outcome, failure: Failure | undefined): Explanation | undefined {
  if (!trace || outcome.kind !== 'ok' || failure?.kind !== 'violation') return undefined;
  try {
    return explainViolation(trace, outcome.observation, failure.violation.location);
  } catch {
    // an explanation is extra: never let it break the report of the failure itself
    return undefined;
  }
}

/** What a run of a property needs before its search: seed, runs, the error-sample keeper, the search options. */
function prepare<I>(property: Property<I>, options: RunOptions) {
  const seed = options.seed ?? propertySeed(0, property.name);
  const runs = options.runs ?? property.runs ?? DEFAULT_RUNS;
  const search: SearchOptions = {
    seed,
    runs,
    ...(options.path ? { path: options.path } : {}),
    ...(options.examples ? { examples: options.examples } : {}),
    ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
    distinct: options.distinct ?? DEFAULT_DISTINCT,
  };
  return { started: performance.now(), seed, keeper: new ErrorSampleKeeper(seed), sampling: property.invariants.some((inv) => inv.sample), search };
}

type Prepared = ReturnType<typeof prepare>;

/** The result of a search that did not fail (or could not run); undefined when it failed (see {@link failedResult}). */
function settledResult<I>(property: Property<I>, p: Prepared, outcome: SearchOutcome<I, Failure>): PropertyResult | undefined {
  const backend = String(activeBackend());
  const samples = p.keeper.samples();
  if (outcome.kind === 'generator-error' || outcome.kind === 'aborted') {
    // the generators themselves failed (bad options, impossible domain): an error of this property
    return {
      name: property.name,
      status: 'errored',
      expectedFailure: false,
      backend,
      seed: p.seed,
      runs: 0,
      shrinks: 0,
      durationMs: performance.now() - p.started,
      interrupted: false,
      failure: { kind: 'error', stage: 'generate', message: errorText(outcome.error) },
    };
  }
  if (outcome.kind !== 'passed') return undefined;
  const unsupported = outcome.unsupported?.[0];
  return {
    ...baseOf(property, p, outcome, backend, samples),
    status: unsupported ? 'unsupported' : 'passed',
    // the tfjs error travels as the failure, so generic reports (JSON, JUnit, HTML) show it
    ...(unsupported ? { unsupported, failure: { kind: 'error', stage: 'unsupported', message: unsupported.message } as Failure } : {}),
    runs: outcome.runs,
    shrinks: 0,
    durationMs: performance.now() - p.started,
  };
}

function baseOf<I>(property: Property<I>, p: Prepared, outcome: { readonly interrupted: boolean }, backend: string, samples: readonly ErrorSample[]) {
  return {
    name: property.name,
    expectedFailure: false,
    backend,
    seed: p.seed,
    interrupted: outcome.interrupted,
    ...(samples.length > 0 ? { errorSamples: samples } : {}),
  };
}

/** The result of a failed search, from the minimal case run again (`again`, with its provenance when recorded). */
function failedResult<I>(
  property: Property<I>,
  p: Prepared,
  outcome: FailedOutcome<I>,
  again: Trial<Failure>,
  provenance: Provenance | undefined,
  explanation?: Explanation,
): PropertyResult {
  const confirmed = confirm(again, outcome.key);
  const failure: Failure = 'failure' in confirmed ? confirmed.failure : { kind: 'error', stage: 'replay', message: confirmed.flaky };
  const isError = failure.kind === 'error';
  return {
    ...baseOf(property, p, outcome, String(activeBackend()), p.keeper.samples()),
    status: isError ? 'errored' : 'failed',
    expectedFailure: !isError && property.expectFailure !== undefined,
    runs: outcome.runs,
    ...(outcome.path !== undefined ? { path: outcome.path } : {}),
    ...(outcome.example !== undefined ? { example: outcome.example } : {}),
    shrinks: outcome.shrinks,
    durationMs: performance.now() - p.started,
    counterexample: outcome.counterexample,
    failure,
    ...(provenance ? { provenance } : {}),
    ...(explanation && 'failure' in confirmed ? { explanation } : {}),
  } as PropertyResult;
}

/** Run a property and return a structured result. Never throws for faults of the subject. */
export function runProperty<I>(property: Property<I>, options: RunOptions = {}): PropertyResult {
  const p = prepare(property, options);
  const { keeper } = p;
  // error samples come from every generated case (not from shrinking): those the search ran, and
  // those after its first failure, which it did not reach (`rest`); or all of them from the screen
  let sampling = p.sampling;
  // no screen where a case batched with others is not computed as it is alone (node's kernels)
  const kind = options.batch === false || !batchesExactly(String(activeBackend())) ? undefined : property.batch;
  const outcome = search<I, Failure>(
    {
      arbitrary: property.arbitrary,
      // (after the first failure, phase `distinct`, every case is measured: the screen measures only the windows it accepts)
      trial: (inputs, phase) => trialOf(property, inputs, (phase === 'generate' && sampling) || (phase === 'distinct' && p.sampling) ? keeper : undefined),
      ...(kind
        ? {
            screen: screenOf(
              property,
              kind,
              (inputs: I, o: Outcome, sink: SampleSink) =>
                failureOf(withExactValues(property, inputs, o), property as Property, p.sampling ? sink : undefined) !== undefined,
              keeper,
              // the screen sampled the cases it accepted; those it declines are sampled when tried
              (accepted) => {
                sampling = p.sampling && !accepted;
              },
            ),
          }
        : {}),
      ...(p.sampling
        ? {
            rest: (inputs: I) => {
              const o = execute(property.subject, inputs, { gradients: property.gradients });
              try {
                if (o.kind === 'ok') sampleErrors(o.observation, property as Property, keeper);
              } catch {
                // a measurement only: an invariant that throws is reported where it is checked
              }
            },
          }
        : {}),
    },
    p.search,
  );
  const settled = settledResult(property, p, outcome);
  if (settled || outcome.kind !== 'failed') return settled!;
  // Re-run each minimal case: the final failure (and, with recording, its provenance).
  const confirmed = (o: FailedOutcome<I>): PropertyResult => {
    const { counterexample } = o;
    if (options.provenance ?? true) {
      const recorded = recordKernels(() => checkOnce(property, counterexample), undefined, { trace: true });
      const { outcome: again, failure } = recorded.result;
      return failedResult(property, p, o, trialFrom(again, failure), recorded.provenance, explanationOf(recorded.trace, again, failure));
    }
    return failedResult(property, p, o, trialOf(property, counterexample), undefined);
  };
  return withDistinct(confirmed(outcome), outcome, confirmed);
}

type FailedOutcome<I> = Extract<SearchOutcome<I, Failure>, { kind: 'failed' }>;

/** A distinct failure as the outcome of a search of its own. */
function asOutcome<I>(d: DistinctFailure<I, Failure>): FailedOutcome<I> {
  return {
    kind: 'failed',
    counterexample: d.counterexample,
    key: d.key,
    first: d.first,
    shrinks: d.shrinks,
    ...(d.path !== undefined ? { path: d.path } : {}),
    ...(d.example !== undefined ? { example: d.example } : {}),
    runs: d.runs,
    interrupted: false,
  };
}

/** The first failure's result with the results of the distinct failures found after it. */
function withDistinct<I>(first: PropertyResult, outcome: FailedOutcome<I>, confirmed: (o: FailedOutcome<I>) => PropertyResult): PropertyResult {
  if (!outcome.distinct?.length) return first;
  const distinct = outcome.distinct.map((d) => {
    const { errorSamples: _samples, ...r } = confirmed(asOutcome(d));
    return r;
  });
  return { ...first, distinct };
}

/** {@link checkOnce} on a backend that reads back asynchronously (WebGPU). */
export async function checkOnceAsync<I>(property: Property<I>, inputs: I, samples?: ErrorSampleKeeper): Promise<{ outcome: Outcome; failure?: Failure }> {
  const outcome = await executeAsync(property.subject, inputs, { gradients: property.gradients });
  const failure = failureOf(outcome, property as Property, samples);
  return failure ? { outcome, failure } : { outcome };
}

async function trialOfAsync<I>(property: Property<I>, inputs: I, samples?: ErrorSampleKeeper): Promise<Trial<Failure>> {
  const { outcome, failure } = await checkOnceAsync(property, inputs, samples);
  if (outcome.kind === 'unsupported') return { kind: 'unsupported', unsupported: [outcome.unsupported] };
  return failure ? { kind: 'fail', failure, key: failureKey(failure) } : PASS;
}

/**
 * {@link runProperty} on a backend that reads its results back only asynchronously (WebGPU, where
 * a synchronous read breaks the device): the same search on the engine's async runner, so the
 * same seed generates and shrinks the same cases. No kernel recording (it reads synchronously):
 * the result has no provenance.
 */
export async function runPropertyAsync<I>(property: Property<I>, options: RunOptions = {}): Promise<PropertyResult> {
  const p = prepare(property, options);
  const { keeper, sampling } = p;
  const outcome = await searchAsync<I, Failure>(
    {
      arbitrary: property.arbitrary,
      trial: (inputs, phase) => trialOfAsync(property, inputs, phase !== 'shrink' && sampling ? keeper : undefined),
      ...(sampling
        ? {
            rest: async (inputs: I) => {
              const o = await executeAsync(property.subject, inputs, { gradients: property.gradients });
              try {
                if (o.kind === 'ok') sampleErrors(o.observation, property as Property, keeper);
              } catch {
                // a measurement only
              }
            },
          }
        : {}),
    },
    p.search,
  );
  const settled = settledResult(property, p, outcome);
  if (settled || outcome.kind !== 'failed') return settled!;
  const first = failedResult(property, p, outcome, await trialOfAsync(property, outcome.counterexample), undefined);
  if (!outcome.distinct?.length) return first;
  // one at a time: a WebGPU device runs one read-back at a time
  const again: Trial<Failure>[] = [];
  for (const d of outcome.distinct) again.push(await trialOfAsync(property, d.counterexample));
  let i = 0;
  return withDistinct(first, outcome, (o) => failedResult(property, p, o, again[i++]!, undefined));
}
