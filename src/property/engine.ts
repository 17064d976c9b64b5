/**
 * The engine: the one place that searches for a failing input and shrinks it. `check`, `diff`,
 * training properties and the vitest plugin all run on it; this is the only module that calls
 * fast-check's runner.
 *
 * A search has phases, as in Hypothesis' engine:
 *
 *  1. **reuse** — saved examples (the failure database) run first;
 *  2. **generate** — up to `runs` generated cases, from the seed;
 *  3. **shrink** — the first failing case is shrunk, keeping only candidates that fail the same
 *     way ({@link sameFailure} on the failure's key), so a shrink never drifts to another problem;
 *  4. **distinct** — with {@link SearchOptions.distinct} above 1, the generated cases after the
 *     first failure are tried too, and each failure with a key not seen yet is shrunk on its own
 *     (a replay of its path that keeps to its key), as Hypothesis reports "N distinct failures":
 *     a property with two defects shows both, not only the one met first.
 *
 * What one case means is the caller's {@link Trial}: it passes, fails with a keyed failure, or
 * cannot run because the backend lacks a kernel (then the search stops working: nothing more can
 * be learnt). Re-running the minimal case and telling a deterministic failure from a flaky one
 * is {@link confirm}.
 *
 * The first failure and its shrink never depend on what comes after it. A caller that measures
 * every generated case (error-versus-input plots) passes {@link SearchSpec.rest}: after the
 * shrink, the engine hands it the generated cases the search did not reach (the same sequence
 * fc.sample draws from the seed), or — when it looks for distinct failures — tries them as
 * ordinary cases, so the counterexample, seed, path and shrink are exactly those of a search
 * without it.
 *
 * A path that does not replay (not a path, or a path this property and seed do not generate) is
 * the caller's mistake, never a finding: an {@link InputError}.
 */
import * as fc from 'fast-check';
import { InputError } from '../core/errors.ts';
import type { Unsupported } from '../run/backend.ts';
import { describeKey, sameFailure, type FailureKey } from './failure.ts';

/**
 * The phase a trial runs in: `generate` (a generated or saved case, before the first failure),
 * `shrink`, or `distinct` (a case after the first failure, tried for distinct failures). A caller
 * that measures cases measures those of `generate` and `distinct`; a case a screen measured
 * already is tried in phase `shrink`.
 */
export type Phase = 'generate' | 'shrink' | 'distinct';

/** What one case did. */
export type Trial<F> =
  | { readonly kind: 'pass' }
  | { readonly kind: 'fail'; readonly failure: F; readonly key: FailureKey }
  | { readonly kind: 'unsupported'; readonly unsupported: readonly Unsupported[] };

export const PASS: Trial<never> = Object.freeze({ kind: 'pass' });

/** What to search: the inputs' arbitrary and how to try one case. */
export interface SearchSpec<I, F> {
  readonly arbitrary: fc.Arbitrary<I>;
  /**
   * Try one case. Faults of the code under test are results, not exceptions: a throw is a fault
   * of nanhunt's own machinery (a backend switch failed) and aborts the search.
   */
  trial(input: I, phase: Phase): Trial<F>;
  /**
   * Optional: each generated case the search did not reach because it stopped at its first
   * failure (the rest of `runs`, in generation order), once the shrink is over. For measurements
   * only: what it does cannot change the outcome. Not called when replaying a path, nor after a
   * time limit cut the search short; stops early when the time limit runs out. While the search
   * looks for distinct failures, those cases run as trials (phase `generate`) instead; `rest` gets
   * the ones after the last distinct failure it may find.
   */
  rest?(input: I): void;
  /**
   * Optional: screen generated cases in bulk (./batch.ts: many cases in one call of a
   * batch-polymorphic subject). Given consecutive generated cases (windows, in order), it returns
   * the indices among them of those to try one by one (failing or unsure), ascending; or
   * undefined when it cannot screen them (they are then tried one by one; for the first window,
   * the search runs as without a screen). Each index it returns is replayed with its fast-check
   * path, so seed, path, shrink and counts are exactly those of a search without it; the cases it
   * passes are never tried. After a failure the cases after the window go to the screen again
   * (for its measurements; what it flags there is ignored), or to `rest` when it declines them.
   * Used only when generating from the seed without a time limit: before the first failure, only
   * without saved examples; after a saved example failed first, for every generated case (they
   * are all after it).
   */
  screen?(inputs: readonly I[]): readonly number[] | undefined;
}

/** How much to search. Options are qualified once, here, for every caller. */
export interface SearchOptions {
  /** fast-check seed (32-bit integer). */
  readonly seed: number;
  /** Generated cases (saved examples run in addition). */
  readonly runs: number;
  /** Replay this fast-check path (with the same seed) instead of generating; examples are ignored. */
  readonly path?: string;
  /** Inputs to try before generation (saved failures), in order. */
  readonly examples?: readonly unknown[];
  /** Stop generating after this many milliseconds (the search is then marked interrupted). */
  readonly timeLimitMs?: number;
  /**
   * Most distinct failures to find and shrink (default 1: stop at the first). Above 1, the
   * generated cases after the first failure run too, and each failure with a new key is shrunk on
   * its own. Not when replaying a path.
   */
  readonly distinct?: number;
}

interface Counts {
  /** Cases run (examples included), up to and including the first failure. */
  readonly runs: number;
  /** The time limit cut generation short. */
  readonly interrupted: boolean;
}

/** A shrunk failure: its minimal case, its key and where it came from. */
interface Shrunk<I, F> {
  /** The minimal case. */
  readonly counterexample: I;
  /** The failure's key: the shrink kept to it. */
  readonly key: FailureKey;
  /** The failure as the trial first reported it. */
  readonly first: F;
  readonly shrinks: number;
  /** fast-check path of the minimal case among generated cases: replays it with the seed (absent when it came from a saved example). */
  readonly path?: string;
  /** Index in `examples` of the saved example it came from (then shrunk). */
  readonly example?: number;
}

/** A failure found after the first one, with another key, shrunk on its own (phase `distinct`). */
export interface DistinctFailure<I, F> extends Shrunk<I, F> {
  /** Cases run (saved examples first) up to and including the one where it was first met. */
  readonly runs: number;
}

/** How a search ended. */
export type SearchOutcome<I, F> =
  /** the generators themselves threw */
  | { readonly kind: 'generator-error'; readonly error: unknown }
  /** a trial threw: nanhunt's own machinery failed */
  | ({ readonly kind: 'aborted'; readonly error: unknown } & Counts)
  /** no case failed (or the backend lacks a kernel: `unsupported`) */
  | ({ readonly kind: 'passed'; readonly unsupported?: readonly Unsupported[] } & Counts)
  /** a case failed and was shrunk (the failure first seen) */
  | ({
      readonly kind: 'failed';
      /** Failures with other keys met after this one, each shrunk on its own (SearchOptions.distinct). */
      readonly distinct?: readonly DistinctFailure<I, F>[];
    } & Shrunk<I, F> &
      Counts);

/** fast-check's path counts the examples first: make it a path of generated cases, or name the example. */
function splitPath(path: string | undefined, examples: number): { path?: string; example?: number } {
  if (!path || examples === 0) return path ? { path } : {};
  const [first, ...rest] = path.split(':');
  const index = Number(first);
  if (index < examples) return { example: index };
  return { path: [String(index - examples), ...rest].join(':') };
}

const PATH = /^\d+(:\d+)*$/;

/**
 * Validate what every caller passes: positive integer runs, integer seed, and a path made of
 * numbers separated by ':' (an InputError: it comes from the user).
 */
export function qualify(options: SearchOptions): SearchOptions {
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new RangeError(`runs must be a positive integer, got ${options.runs}`);
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
  if (options.distinct !== undefined && (!Number.isInteger(options.distinct) || options.distinct < 1)) {
    throw new RangeError(`distinct must be a positive integer, got ${options.distinct}`);
  }
  if (options.path !== undefined && !PATH.test(options.path)) {
    throw new InputError(`invalid path '${options.path}': a path is numbers separated by ':', as nanhunt prints it (e.g. 1:2:20:28)`);
  }
  return options;
}

/** fast-check's complaint about a path it cannot follow (`Unable to replay, got wrong path=…`). */
function isReplayError(error: unknown): boolean {
  return error instanceof Error && /^Unable to replay\b/.test(error.message);
}

/** What a search remembers between cases: the first failure, a lacking kernel, a fault of its own. */
class SearchState<F> {
  first: { key: FailureKey; failure: F } | undefined;
  unsupported: readonly Unsupported[] | undefined;
  aborted: { error: unknown } | undefined;

  /** Nothing more to learn: the search aborted, or the backend lacks a kernel. */
  done(): boolean {
    return this.aborted !== undefined || (this.unsupported !== undefined && this.first === undefined);
  }

  phase(): Phase {
    return this.first === undefined ? 'generate' : 'shrink';
  }

  /** fast-check's verdict on a case from its trial (true: the case counts as passing). */
  judge(t: Trial<F>): boolean {
    if (t.kind === 'pass') return true;
    if (t.kind === 'unsupported') {
      if (this.first === undefined) this.unsupported = t.unsupported;
      return true; // never a failure of the subject: reported as unsupported
    }
    if (this.first === undefined) {
      this.first = { key: t.key, failure: t.failure };
      return false;
    }
    return !sameFailure(t.key, this.first.key); // only the same failure counts while shrinking
  }

  abort(error: unknown): boolean {
    this.aborted = { error };
    return true;
  }
}

function parameters<I>(options: SearchOptions, examples: readonly unknown[]): fc.Parameters<[I]> {
  return {
    seed: options.seed,
    numRuns: options.runs + examples.length,
    ...(options.path ? { path: options.path } : {}),
    ...(examples.length ? { examples: examples.map((e) => [e as I] as [I]) } : {}),
    ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  };
}

/** fast-check threw: a path that does not replay is the caller's mistake; anything else, the generators'. */
function checkError<I, F>(error: unknown, options: SearchOptions): SearchOutcome<I, F> {
  if (options.path && isReplayError(error)) {
    throw new InputError(
      `path '${options.path}' does not replay: the property does not generate that case with this seed (a path printed for another property, seed or version of it?)`,
    );
  }
  return { kind: 'generator-error', error };
}

/** How the search ended, from fast-check's details; `reached`: generated cases run (for `rest`), when it failed. */
function outcomeOf<I, F>(
  details: fc.RunDetails<[I]>,
  state: SearchState<F>,
  options: SearchOptions,
  examples: number,
): { outcome: SearchOutcome<I, F>; reached?: number } {
  const counts: Counts = { runs: details.numRuns, interrupted: details.interrupted };
  if (state.aborted) return { outcome: { kind: 'aborted', error: state.aborted.error, ...counts } };
  if (!details.failed || !details.counterexample || state.first === undefined) {
    return { outcome: { kind: 'passed', ...(state.unsupported ? { unsupported: state.unsupported } : {}), ...counts } };
  }
  const where = splitPath(details.counterexamplePath ?? undefined, examples);
  // generated cases run before the failure: none when a saved example failed
  const reached = where.example !== undefined ? 0 : Number(where.path?.split(':')[0] ?? options.runs - 1) + 1;
  return {
    outcome: {
      kind: 'failed',
      ...shrunkOf(details, state.first),
      ...where,
      ...counts,
    },
    ...(!options.path && !details.interrupted ? { reached } : {}),
  };
}

/** The minimal case fast-check shrank to, and the first failure the search kept to. */
function shrunkOf<I, F>(
  details: fc.RunDetails<[I]>,
  first: { key: FailureKey; failure: F },
): Pick<Shrunk<I, F>, 'counterexample' | 'key' | 'first' | 'shrinks'> {
  return { counterexample: details.counterexample![0], key: first.key, first: first.failure, shrinks: details.numShrinks };
}

/** fast-check's predicate: each case's trial judged by the search's state. */
function predicateOf<I, F>(spec: SearchSpec<I, F>, state: SearchState<F>): (input: I) => boolean {
  return (input: I): boolean => {
    if (state.done()) return true;
    let t: Trial<F>;
    try {
      t = spec.trial(input, state.phase());
    } catch (error) {
      return state.abort(error);
    }
    return state.judge(t);
  };
}

/** Search for a failing case and shrink it. Never throws for faults of the code under test. */
export function search<I, F>(spec: SearchSpec<I, F>, options: SearchOptions): SearchOutcome<I, F> {
  qualify(options);
  const examples = options.path ? [] : (options.examples ?? []);
  const started = performance.now();
  let searched: Searched<I, F> | undefined;
  if (spec.screen && !options.path && !examples.length && !options.timeLimitMs) searched = screenedSearch(spec, spec.screen, options);
  if (!searched) {
    const state = new SearchState<F>();
    const predicate = predicateOf(spec, state);
    let details: fc.RunDetails<[I]>;
    try {
      details = fc.check(fc.property(spec.arbitrary, predicate), parameters<I>(options, examples));
    } catch (error) {
      return checkError(error, options);
    }
    searched = outcomeOf(details, state, options, examples.length);
  }
  const { outcome, reached } = searched;
  if (reached === undefined || outcome.kind !== 'failed') return outcome;
  // generated cases before `sampled` were measured by a screen already: tried without measuring again
  const sampled = searched.sampled ?? reached;
  const phaseOf = (index: number): Phase => (index < sampled ? 'shrink' : 'distinct');
  if ((options.distinct ?? 1) > 1) {
    const hunt = new DistinctHunt<I, F>(outcome.key, options);
    // saved examples after the one that failed first, then the generated cases after the first failure
    for (let e = outcome.example === undefined ? examples.length : outcome.example + 1; e < examples.length && !hunt.full(); e++) {
      let t: Trial<F>;
      try {
        t = spec.trial(examples[e] as I, 'distinct');
      } catch {
        break;
      }
      const key = hunt.isNew(t);
      if (key)
        hunt.add(
          shrinkDistinct(spec.arbitrary, (x) => spec.trial(x, 'shrink'), key, { example: e, value: examples[e] as I, before: examples.length }, options),
        );
    }
    // after a saved example failed first, no generated case was tried: a screen takes them all
    const generated =
      searched.generated ??
      (spec.screen && outcome.example !== undefined && !options.timeLimitMs ? { all: generatedCases(spec.arbitrary, options), flagged: [] } : undefined);
    if (generated && spec.screen) {
      distinctScreened(spec, spec.screen, generated, hunt, sampled, examples.length, options);
      return hunt.outcome(outcome);
    }
    for (const [index, input] of restOfGeneration(spec.arbitrary, options, reached, started)) {
      if (hunt.full()) {
        if (!spec.rest) break;
        if (index >= sampled) spec.rest(input);
        continue;
      }
      if (!tryDistinct(spec, hunt, input, phaseOf(index), { index, before: examples.length }, options)) break;
    }
    return hunt.outcome(outcome);
  }
  if (spec.rest) {
    // a screen measures the rest in bulk when it can
    const from = searched.screen ? searched.screen(sampled) : sampled;
    for (const [, input] of restOfGeneration(spec.arbitrary, options, from, started)) spec.rest(input);
  }
  return outcome;
}

/**
 * How the search phases before `distinct` ended: the outcome, the generated cases reached (for
 * the cases after the first failure), and after a screened search the cases its screen measured
 * already and a way to have it measure the rest (returns where the cases still to measure begin).
 */
interface Searched<I, F> {
  readonly outcome: SearchOutcome<I, F>;
  readonly reached?: number;
  readonly sampled?: number;
  readonly screen?: (from: number) => number;
  /**
   * After a screened search: every generated case, and those its screen flagged between the
   * first failure and `sampled` (the only ones there that can fail; the others it passed).
   */
  readonly generated?: { readonly all: readonly I[]; readonly flagged: readonly number[] };
}

/**
 * Try one generated case in the distinct phase: a failure with a key not seen yet is shrunk on its
 * own. False when nanhunt's own machinery failed (the first failure stands, no more to learn).
 */
function tryDistinct<I, F>(
  spec: SearchSpec<I, F>,
  hunt: DistinctHunt<I, F>,
  input: I,
  phase: Phase,
  met: { readonly index: number; readonly before: number },
  options: SearchOptions,
): boolean {
  let t: Trial<F>;
  try {
    t = spec.trial(input, phase);
  } catch {
    return false;
  }
  const key = hunt.isNew(t);
  if (key) hunt.add(shrinkDistinct(spec.arbitrary, (x) => spec.trial(x, 'shrink'), key, met, options));
  return true;
}

/**
 * The distinct phase after a screened search, or after a saved example failed first (then every
 * generated case comes after the failure): the cases after the first failure go to the screen
 * too, in doubling windows, and only those it flags are tried (it measured every case of a window
 * it accepts, so they run in phase `shrink`); a window it declines is tried case by case, as
 * without a screen. The failures found, their order, paths and shrinks and the measured cases are
 * those of the case-by-case loop in {@link search}: a case the screen passes would have passed.
 */
function distinctScreened<I, F>(
  spec: SearchSpec<I, F>,
  screen: (inputs: readonly I[]) => readonly number[] | undefined,
  generated: NonNullable<Searched<I, F>['generated']>,
  hunt: DistinctHunt<I, F>,
  sampled: number,
  before: number,
  options: SearchOptions,
): void {
  const { all } = generated;
  // `before`: the saved examples the search ran ahead of its generated cases (their paths count them)
  const tryCase = (index: number, phase: Phase): boolean => tryDistinct(spec, hunt, all[index]!, phase, { index, before }, options);
  // the rest of the failing window: measured by the screen already, only its flagged cases can fail
  for (const index of generated.flagged) {
    if (hunt.full()) break;
    if (!tryCase(index, 'shrink')) return;
  }
  for (let from = sampled, size = FIRST_WINDOW; from < all.length; from += size, size *= 2) {
    if (hunt.full()) {
      // nothing more to find: the rest is only measured, in bulk when the screen takes it
      if (spec.rest && !screen(all.slice(from))) for (let i = from; i < all.length; i++) spec.rest(all[i]!);
      return;
    }
    const end = Math.min(all.length, from + size);
    const flagged = screen(all.slice(from, end));
    if (flagged) {
      for (const i of flagged) {
        if (hunt.full()) break;
        if (!tryCase(from + i, 'shrink')) return;
      }
      continue;
    }
    for (let index = from; index < end; index++) {
      if (hunt.full()) {
        if (spec.rest) spec.rest(all[index]!);
        continue;
      }
      if (!tryCase(index, 'distinct')) return;
    }
  }
}

/** The distinct phase's bookkeeping: keys seen, failures shrunk. */
class DistinctHunt<I, F> {
  private readonly keys: FailureKey[];
  private readonly found: DistinctFailure<I, F>[] = [];

  constructor(
    first: FailureKey,
    private readonly options: SearchOptions,
  ) {
    this.keys = [first];
  }

  /** The key of a trial's failure when no failure so far had it. */
  isNew(t: Trial<F>): FailureKey | undefined {
    if (t.kind !== 'fail' || this.keys.some((k) => sameFailure(k, t.key))) return undefined;
    this.keys.push(t.key);
    return t.key;
  }

  add(d: DistinctFailure<I, F> | undefined): void {
    if (d) this.found.push(d);
  }

  full(): boolean {
    return this.keys.length >= (this.options.distinct ?? 1);
  }

  outcome<O extends object>(outcome: O): O {
    return this.found.length > 0 ? { ...outcome, distinct: this.found } : outcome;
  }
}

/**
 * Where a distinct failure was met: generated case `index` (after `before` saved examples), or
 * saved example `example`.
 */
type Met<I> = { readonly index: number; readonly before: number } | { readonly example: number; readonly value: I; readonly before: number };

/**
 * fast-check's parameters that shrink the case where a distinct failure was met: a generated case
 * is replayed by its path (the index) and shrunk with its context, so its minimal case and path
 * are those a search meeting this failure first would give; a saved example is shrunk as the
 * search shrinks examples.
 */
function metParameters<I>(met: Met<I>, options: SearchOptions): fc.Parameters<[I]> {
  if ('example' in met) return { seed: options.seed, numRuns: 1, examples: [[met.value]] };
  return { seed: options.seed, numRuns: options.runs, path: String(met.index) };
}

/**
 * Shrink a distinct failure on its own, counting only failures with `key` (a shrink never drifts
 * to another failure).
 */
function shrinkDistinct<I, F>(
  arbitrary: fc.Arbitrary<I>,
  trial: (input: I) => Trial<F>,
  key: FailureKey,
  met: Met<I>,
  options: SearchOptions,
): DistinctFailure<I, F> | undefined {
  const judge = new DistinctJudge<F>(key);
  const predicate = (input: I): boolean => {
    if (judge.broken) return true;
    try {
      return judge.judge(trial(input));
    } catch {
      return judge.break();
    }
  };
  let details: fc.RunDetails<[I]>;
  try {
    details = fc.check(fc.property(arbitrary, predicate), metParameters(met, options));
  } catch {
    return undefined;
  }
  return distinctOf(details, key, judge.first, met);
}

/** fast-check's verdict on a case while a distinct failure shrinks: only failures with its key count. */
class DistinctJudge<F> {
  first: F | undefined;
  broken = false;

  constructor(private readonly key: FailureKey) {}

  /** True: the case counts as passing. */
  judge(t: Trial<F>): boolean {
    if (t.kind !== 'fail' || !sameFailure(t.key, this.key)) return true;
    this.first ??= t.failure;
    return false;
  }

  /** A trial threw (nanhunt's own machinery): stop counting failures. */
  break(): boolean {
    this.broken = true;
    return true;
  }
}

function distinctOf<I, F>(details: fc.RunDetails<[I]>, key: FailureKey, first: F | undefined, met: Met<I>): DistinctFailure<I, F> | undefined {
  if (!details.failed || !details.counterexample || first === undefined) return undefined;
  const common = { counterexample: details.counterexample[0], key, first, shrinks: details.numShrinks };
  if ('example' in met) return { ...common, example: met.example, runs: met.example + 1 };
  return { ...common, path: details.counterexamplePath ?? String(met.index), runs: met.before + met.index + 1 };
}

/** Cases in the first window a screen sees; each next window doubles, so an early failure costs little more than case by case. */
const FIRST_WINDOW = 32;

/**
 * A search whose generated cases are screened in bulk, window by window: only the cases the
 * screen flags are tried, each replayed from its own path (fast-check replays case `r` and
 * shrinks it exactly as a search that reached it); the counts are those of that search. After a
 * failure the cases beyond the window go to the screen (its error samples), else to `rest`.
 * Undefined when the screen declines the first window (nothing was tried yet); a later window it
 * declines is tried case by case, from its paths.
 */
function screenedSearch<I, F>(
  spec: SearchSpec<I, F>,
  screen: (inputs: readonly I[]) => readonly number[] | undefined,
  options: SearchOptions,
): Searched<I, F> | undefined {
  // every case at once (generating the first window apart, then all of them again, cost a quarter
  // more generation at 100 runs); a screen that declines the first window wastes the rest, rarely
  let all: I[];
  try {
    all = generatedCases(spec.arbitrary, options);
  } catch {
    return undefined; // the ordinary search reports the generators' error
  }
  const firstFlagged = screen(all.slice(0, FIRST_WINDOW));
  if (!firstFlagged) return undefined;
  const state = new SearchState<F>();
  const predicate = predicateOf(spec, state);
  /** Try case r alone: with a path, fast-check counts runs from it (and shrinks a failure as a search that reached it). */
  const replay = (r: number): fc.RunDetails<[I]> => fc.check(fc.property(spec.arbitrary, predicate), { seed: options.seed, numRuns: 1, path: String(r) });
  for (let start = 0, size = FIRST_WINDOW; start < all.length; start += size, size *= 2) {
    const end = Math.min(all.length, start + size);
    const flagged = start === 0 ? firstFlagged : screen(all.slice(start, end));
    const tried = flagged ? flagged.map((i) => start + i) : Array.from({ length: end - start }, (_, i) => start + i);
    for (const r of tried) {
      let details: fc.RunDetails<[I]>;
      try {
        details = replay(r);
      } catch (error) {
        return { outcome: { kind: 'generator-error', error } };
      }
      if (state.aborted) return { outcome: { kind: 'aborted', error: state.aborted.error, runs: options.runs, interrupted: false } };
      if (state.unsupported && state.first === undefined) {
        return { outcome: { kind: 'passed', unsupported: state.unsupported, runs: options.runs, interrupted: false } };
      }
      if (details.failed && details.counterexample && state.first !== undefined) {
        return {
          outcome: {
            kind: 'failed',
            ...shrunkOf(details, state.first),
            ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
            runs: r + 1,
            interrupted: false,
          },
          reached: r + 1,
          // the screen measured every case of an accepted window (a declined one: those tried)
          sampled: flagged ? end : r + 1,
          screen: (from) => (from < all.length && screen(all.slice(from)) ? all.length : from),
          generated: { all, flagged: flagged ? flagged.map((i) => start + i).filter((i) => i > r) : [] },
        };
      }
    }
  }
  return { outcome: { kind: 'passed', runs: options.runs, interrupted: false } };
}

/**
 * A search whose trials are asynchronous (a backend that reads its results back only
 * asynchronously: WebGPU). The same phases, parameters and outcome as {@link search}: fast-check's
 * async runner drives the same predicate, so a seed generates and shrinks the same cases.
 */
export interface AsyncSearchSpec<I, F> {
  readonly arbitrary: fc.Arbitrary<I>;
  trial(input: I, phase: Phase): Promise<Trial<F>>;
  rest?(input: I): Promise<void>;
}

export async function searchAsync<I, F>(spec: AsyncSearchSpec<I, F>, options: SearchOptions): Promise<SearchOutcome<I, F>> {
  qualify(options);
  const state = new SearchState<F>();
  const predicate = async (input: I): Promise<boolean> => {
    if (state.done()) return true;
    let t: Trial<F>;
    try {
      t = await spec.trial(input, state.phase());
    } catch (error) {
      return state.abort(error);
    }
    return state.judge(t);
  };
  const examples = options.path ? [] : (options.examples ?? []);
  let details: fc.RunDetails<[I]>;
  const started = performance.now();
  try {
    details = await fc.check(fc.asyncProperty(spec.arbitrary, predicate), parameters<I>(options, examples));
  } catch (error) {
    return checkError(error, options);
  }
  const { outcome, reached } = outcomeOf(details, state, options, examples.length);
  if (reached === undefined || outcome.kind !== 'failed') return outcome;
  if ((options.distinct ?? 1) > 1) {
    const hunt = new DistinctHunt<I, F>(outcome.key, options);
    // saved examples after the one that failed first, then the generated cases after the first failure
    for (let e = outcome.example === undefined ? examples.length : outcome.example + 1; e < examples.length && !hunt.full(); e++) {
      let t: Trial<F>;
      try {
        t = await spec.trial(examples[e] as I, 'distinct');
      } catch {
        break;
      }
      const key = hunt.isNew(t);
      if (key)
        hunt.add(
          await shrinkDistinctAsync(
            spec.arbitrary,
            (x) => spec.trial(x, 'shrink'),
            key,
            { example: e, value: examples[e] as I, before: examples.length },
            options,
          ),
        );
    }
    for (const [index, input] of restOfGeneration(spec.arbitrary, options, reached, started)) {
      if (hunt.full()) {
        if (!spec.rest) break;
        await spec.rest(input);
        continue;
      }
      let t: Trial<F>;
      try {
        t = await spec.trial(input, 'distinct');
      } catch {
        break;
      }
      const key = hunt.isNew(t);
      if (key) hunt.add(await shrinkDistinctAsync(spec.arbitrary, (x) => spec.trial(x, 'shrink'), key, { index, before: examples.length }, options));
    }
    return hunt.outcome(outcome);
  }
  if (spec.rest) for (const [, input] of restOfGeneration(spec.arbitrary, options, reached, started)) await spec.rest(input);
  return outcome;
}

/** {@link shrinkDistinct} with asynchronous trials. */
async function shrinkDistinctAsync<I, F>(
  arbitrary: fc.Arbitrary<I>,
  trial: (input: I) => Promise<Trial<F>>,
  key: FailureKey,
  met: Met<I>,
  options: SearchOptions,
): Promise<DistinctFailure<I, F> | undefined> {
  const judge = new DistinctJudge<F>(key);
  const predicate = async (input: I): Promise<boolean> => {
    if (judge.broken) return true;
    try {
      return judge.judge(await trial(input));
    } catch {
      return judge.break();
    }
  };
  let details: fc.RunDetails<[I]>;
  try {
    details = await fc.check(fc.asyncProperty(arbitrary, predicate), metParameters(met, options));
  } catch {
    return undefined;
  }
  return distinctOf(details, key, judge.first, met);
}

/**
 * The generated cases after the first `reached` ones, with their index (fc.sample replays the
 * seed's sequence), while the time limit lasts.
 */
function* restOfGeneration<I>(arbitrary: fc.Arbitrary<I>, options: SearchOptions, reached: number, started: number): Generator<[number, I]> {
  if (reached >= options.runs) return;
  const all = generatedCases(arbitrary, options);
  for (let i = reached; i < all.length; i++) {
    if (options.timeLimitMs && performance.now() - started > options.timeLimitMs) return;
    yield [i, all[i]!];
  }
}

/** The cases a search generates from its seed, in order; case i has path `i` (saved examples are not among them: splitPath takes them out of paths). */
function generatedCases<I>(arbitrary: fc.Arbitrary<I>, options: SearchOptions): I[] {
  return fc.sample(arbitrary, { seed: options.seed, numRuns: options.runs });
}

/**
 * Re-run the minimal case (for instance with kernel recording on) and confirm it fails as the
 * search saw: its failure, or — when it passes now — why the result cannot be trusted.
 */
export function confirm<F>(again: Trial<F>, key: FailureKey): { readonly failure: F } | { readonly flaky: string } {
  if (again.kind === 'fail') return { failure: again.failure };
  return { flaky: `the minimal case passed when run again: the subject is not deterministic (first seen: ${describeKey(key)})` };
}

/**
 * One generated case of an arbitrary for a seed, without a search (the catalog's coverage table
 * runs each property once on it).
 */
export function firstExample<I>(arbitrary: fc.Arbitrary<I>, seed: number): I {
  return fc.sample(arbitrary, { numRuns: 1, seed })[0]!;
}
