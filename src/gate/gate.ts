/**
 * The CI gate: which results fail a check, given a baseline of known findings.
 *
 * - A finding is a property that failed or errored and is not a shipped example of a bug
 *   (`expectFailure`). A finding listed in the baseline is *known* and does not fail the check;
 *   any other is *new* and does (exit 1).
 * - Statuses other than passed / failed / errored (for example `unsupported`: an op the backend
 *   does not implement) are not findings; they are shown as they are.
 * - A baseline entry is decided by this run's result when that result is its finding (*known*),
 *   else by replaying its own saved case (src/gate/replay.ts, passed in as `replays`): the case
 *   still fails → *known*; it passes → *fixed* (reported; with `strict` it fails the check so the
 *   baseline shrinks over time); the property no longer has the entry's invariant → *fixed*
 *   (obsolete); the case fails another way, or there is none → *inconclusive*. A search that did
 *   not meet the finding never makes it fixed. An entry whose property did not run is *not run*.
 *   Neither inconclusive nor not run fails the check.
 */
import type { PropertyResult } from '../property/runner.ts';
import { failuresOf } from '../property/failure.ts';
import { caseOf, entryFor, entryListsFinding, findingSignature, matchingFinding, type Baseline, type BaselineEntry } from './baseline.ts';
import type { CaseReplay } from './replay.ts';

/** What one result means for the gate. */
export type GateVerdict =
  /** passed */
  | 'passed'
  /** failed as expected: a shipped example of a bug */
  | 'expected'
  /** a finding not in the baseline: fails the check */
  | 'new'
  /** a finding listed in the baseline */
  | 'known'
  /** a status the gate does not count (e.g. unsupported) */
  | 'other';

export type EntryState = 'known' | 'fixed' | 'inconclusive' | 'not-run';

export interface EntryOutcome {
  readonly entry: BaselineEntry;
  readonly state: EntryState;
  /** The result of the entry's property in this run, when it ran. */
  readonly result?: PropertyResult;
  /** The failure of that result the entry lists (the result itself or one of its distinct failures), when this run's search found it. */
  readonly finding?: PropertyResult;
  /** How a known or fixed state was decided: this run's search found the finding, or its saved case was replayed. */
  readonly by?: 'search' | 'case';
  /** Why an entry is inconclusive, or fixed without passing (obsolete). */
  readonly reason?: string;
}

export interface GateOptions {
  /** With --strict: fixed entries still listed fail the check. */
  readonly strict?: boolean;
  /** What replaying each entry's saved case showed (src/gate/replay.ts replayBaseline). */
  readonly replays?: ReadonlyMap<BaselineEntry, CaseReplay>;
}

export interface GateResult {
  readonly baselineFile?: string;
  readonly strict: boolean;
  /** One verdict per result, in order. */
  readonly verdicts: readonly GateVerdict[];
  readonly entries: readonly EntryOutcome[];
  /** Findings not in the baseline: failed or errored results, and distinct failures of results (PropertyResult.distinct). */
  readonly newFindings: readonly PropertyResult[];
  /** Findings listed in the baseline (results and distinct failures). */
  readonly known: readonly PropertyResult[];
  readonly fixed: readonly EntryOutcome[];
  /** Properties failing the check: new findings, and with `strict` the properties of fixed entries. */
  readonly failing: readonly PropertyResult[];
  /** Entries known (by this run's search or by their saved case). */
  readonly knownEntries: readonly EntryOutcome[];
  /** For the final `N passed, N failed` line: passed properties (expected failures apart), expected failures, failing properties. */
  readonly passed: number;
  readonly expected: number;
  readonly failed: number;
  readonly exitCode: 0 | 1;
}

const GATED = new Set(['passed', 'failed', 'errored']);

/** Whether one failure (a result or a distinct failure of one) is listed in the baseline. */
export function findingVerdict(f: PropertyResult, baseline?: Baseline): 'new' | 'known' {
  if (!findingSignature(f)) return 'new';
  return baseline?.entries.some((e) => entryListsFinding(e, f)) ? 'known' : 'new';
}

/**
 * Classify one result against a baseline (no baseline: every finding is new): `new` when any of
 * its distinct failures is not listed.
 */
export function verdictOf(r: PropertyResult, baseline?: Baseline): GateVerdict {
  if (r.status === 'passed') return 'passed';
  if (!GATED.has(r.status)) return 'other';
  if (r.expectedFailure) return 'expected';
  return failuresOf(r).every((f) => findingVerdict(f, baseline) === 'known') ? 'known' : 'new';
}

export function evaluateGate(results: readonly PropertyResult[], baseline?: Baseline, options: GateOptions = {}): GateResult {
  const strict = options.strict ?? false;
  const verdicts = results.map((r) => verdictOf(r, baseline));
  const entries: EntryOutcome[] = (baseline?.entries ?? []).map((entry) => {
    const result = results.find((r) => r.name === entry.property && (entry.backend === undefined || entry.backend === r.backend));
    if (!result) return { entry, state: 'not-run' };
    const finding = matchingFinding(entry, result);
    if (finding) return { entry, state: 'known', result, finding, by: 'search' };
    const replay = options.replays?.get(entry);
    if (!replay) return { entry, state: 'inconclusive', result, reason: 'its saved case was not replayed' };
    switch (replay.kind) {
      case 'fails':
        return { entry, state: 'known', result, by: 'case' };
      case 'passes':
        return { entry, state: 'fixed', result, by: 'case' };
      case 'obsolete':
        return { entry, state: 'fixed', result, reason: replay.reason };
      default:
        return { entry, state: 'inconclusive', result, reason: replay.reason };
    }
  });
  const fixed = entries.filter((e) => e.state === 'fixed');
  const findings = results.flatMap((r, i) => (verdicts[i] === 'new' || verdicts[i] === 'known' ? failuresOf(r) : []));
  const newFindings = findings.filter((f) => findingVerdict(f, baseline) === 'new');
  const known = findings.filter((f) => findingVerdict(f, baseline) === 'known');
  const stale = new Set(strict ? fixed.map((e) => e.result!) : []);
  const failing = results.filter((r, i) => verdicts[i] === 'new' || stale.has(r));
  const passed = results.filter((r, i) => verdicts[i] === 'passed' && !stale.has(r)).length;
  const expected = verdicts.filter((v) => v === 'expected').length;
  return {
    ...(baseline ? { baselineFile: baseline.file } : {}),
    strict,
    verdicts,
    entries,
    newFindings,
    known,
    fixed,
    failing,
    knownEntries: entries.filter((e) => e.state === 'known'),
    passed,
    expected,
    failed: failing.length,
    exitCode: failing.length > 0 ? 1 : 0,
  };
}

export interface BaselineUpdate {
  readonly entries: readonly BaselineEntry[];
  readonly added: readonly BaselineEntry[];
  /** Fixed entries (their saved case passes when replayed) and obsolete ones, with why. */
  readonly removed: readonly { readonly entry: BaselineEntry; readonly reason: string }[];
  readonly kept: number;
  /** Kept entries that got (or changed) their saved case from this run. */
  readonly recorded: readonly BaselineEntry[];
  /** Kept entries that could not be decided, with why. */
  readonly inconclusive: readonly { readonly entry: BaselineEntry; readonly reason: string }[];
}

/**
 * The baseline after this run: every finding of the run (known entries kept as written, notes
 * included; new ones added with their case); entries removed only when replaying their saved
 * case showed them fixed (or the property lost their invariant); entries whose property did not
 * run or that stay inconclusive kept. A known entry without a case, or whose case no longer fails
 * although the run found the finding, records this run's case.
 */
export function updateBaseline(results: readonly PropertyResult[], baseline?: Baseline, replays?: ReadonlyMap<BaselineEntry, CaseReplay>): BaselineUpdate {
  const gate = evaluateGate(results, baseline, replays ? { replays } : {});
  const recorded: BaselineEntry[] = [];
  const kept = gate.entries
    .filter((e) => e.state !== 'fixed')
    .map((e) => {
      const entry = stripLine(e.entry);
      const stale = e.by === 'search' && e.result && (entry.case === undefined || (replays !== undefined && replays.get(e.entry)?.kind !== 'fails'));
      if (!stale) return entry;
      const updated = { ...entry, ...caseOf(e.finding ?? e.result!) };
      recorded.push(updated);
      return updated;
    });
  const added = gate.newFindings.filter((r) => findingSignature(r)).map(entryFor);
  const removed = gate.fixed.map((e) => ({ entry: stripLine(e.entry), reason: e.reason ?? 'its saved case passes now' }));
  const inconclusive = gate.entries.filter((e) => e.state === 'inconclusive').map((e) => ({ entry: stripLine(e.entry), reason: e.reason ?? 'undecided' }));
  return { entries: [...kept, ...added], added, removed, kept: kept.length, recorded, inconclusive };
}

function stripLine(e: BaselineEntry): BaselineEntry {
  const { line: _line, ...rest } = e;
  return rest;
}
