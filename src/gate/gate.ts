/**
 * The CI gate: which results fail a check, given a baseline of known findings.
 *
 * - A finding is a property that failed or errored and is not a shipped example of a bug
 *   (`expectFailure`). A finding listed in the baseline is *known* and does not fail the check;
 *   any other is *new* and does (exit 1).
 * - Statuses other than passed / failed / errored (for example `unsupported`: an op the backend
 *   does not implement) are not findings; they are shown as they are.
 * - A baseline entry whose property ran on a matching backend and passed (all its runs, not cut
 *   short by a time limit) is *fixed*: reported, and with `strict` it fails the check so the
 *   baseline shrinks over time. An entry whose property failed another way, or ended with another
 *   status, is *inconclusive*; an entry whose property did not run is *not run*. Neither fails.
 */
import type { PropertyResult } from '../property/runner.ts';
import { entryFor, entryMatches, findingSignature, type Baseline, type BaselineEntry } from './baseline.ts';

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
}

export interface GateResult {
  readonly baselineFile?: string;
  readonly strict: boolean;
  /** One verdict per result, in order. */
  readonly verdicts: readonly GateVerdict[];
  readonly entries: readonly EntryOutcome[];
  readonly newFindings: readonly PropertyResult[];
  readonly known: readonly PropertyResult[];
  readonly fixed: readonly EntryOutcome[];
  /** Properties failing the check: new findings, and with `strict` the properties of fixed entries. */
  readonly failing: readonly PropertyResult[];
  /** For the final `N passed, N failed` line: passed properties (expected failures apart), expected failures, failing properties. */
  readonly passed: number;
  readonly expected: number;
  readonly failed: number;
  readonly exitCode: 0 | 1;
}

const GATED = new Set(['passed', 'failed', 'errored']);

/** Classify one result against a baseline (no baseline: every finding is new). */
export function verdictOf(r: PropertyResult, baseline?: Baseline): GateVerdict {
  if (r.status === 'passed') return 'passed';
  if (!GATED.has(r.status)) return 'other';
  if (r.expectedFailure) return 'expected';
  if (!findingSignature(r)) return 'new';
  return baseline?.entries.some((e) => entryMatches(e, r)) ? 'known' : 'new';
}

export function evaluateGate(results: readonly PropertyResult[], baseline?: Baseline, options: { strict?: boolean } = {}): GateResult {
  const strict = options.strict ?? false;
  const verdicts = results.map((r) => verdictOf(r, baseline));
  const entries: EntryOutcome[] = (baseline?.entries ?? []).map((entry) => {
    const result = results.find((r) => r.name === entry.property && (entry.backend === undefined || entry.backend === r.backend));
    if (!result) return { entry, state: 'not-run' };
    if (entryMatches(entry, result)) return { entry, state: 'known', result };
    if (result.status === 'passed' && !result.interrupted) return { entry, state: 'fixed', result };
    return { entry, state: 'inconclusive', result };
  });
  const fixed = entries.filter((e) => e.state === 'fixed');
  const newFindings = results.filter((_, i) => verdicts[i] === 'new');
  const known = results.filter((_, i) => verdicts[i] === 'known');
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
    passed,
    expected,
    failed: failing.length,
    exitCode: failing.length > 0 ? 1 : 0,
  };
}

export interface BaselineUpdate {
  readonly entries: readonly BaselineEntry[];
  readonly added: readonly BaselineEntry[];
  readonly removed: readonly BaselineEntry[];
  readonly kept: number;
}

/**
 * The baseline after this run: every finding of the run (known entries kept as written, notes
 * included; new ones added), fixed entries removed, entries whose property did not run or was
 * inconclusive kept.
 */
export function updateBaseline(results: readonly PropertyResult[], baseline?: Baseline): BaselineUpdate {
  const gate = evaluateGate(results, baseline);
  const kept = gate.entries.filter((e) => e.state !== 'fixed').map((e) => stripLine(e.entry));
  const added = gate.newFindings.filter((r) => findingSignature(r)).map(entryFor);
  const removed = gate.fixed.map((e) => stripLine(e.entry));
  return { entries: [...kept, ...added], added, removed, kept: kept.length };
}

function stripLine(e: BaselineEntry): BaselineEntry {
  const { line: _line, ...rest } = e;
  return rest;
}
