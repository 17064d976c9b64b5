/**
 * Replaying a baseline entry's own minimal case: the one way an entry is decided fixed.
 *
 * A search that did not meet a finding again (fewer runs, another seed, another invariant failing
 * first) says nothing about it. The entry's saved case does: run the subject on it once and judge
 * exactly the entry's invariant (or look for an error at its stage). It still fails → the finding
 * is known; it passes → fixed; it fails another way, or there is no case to run → inconclusive; the
 * property no longer has that invariant at all → obsolete (removed like a fixed entry).
 */
import { deserializeValue } from '../core/tensor-value.ts';
import { errorText, execute } from '../run/execute.ts';
import type { Property } from '../property/property.ts';
import { checkOnce, type PropertyResult } from '../property/runner.ts';
import { failureText } from '../property/failure.ts';
import type { Baseline, BaselineEntry } from './baseline.ts';

/** What replaying an entry's case showed. */
export type CaseReplay =
  /** the entry's finding is still there on its case */
  | { readonly kind: 'fails' }
  /** its case passes the entry's invariant (or no longer errors at its stage): fixed */
  | { readonly kind: 'passes' }
  /** the property no longer has the entry's invariant: the entry can never match again */
  | { readonly kind: 'obsolete'; readonly reason: string }
  /** no case to run, or the case fails another way */
  | { readonly kind: 'other'; readonly reason: string };

/** Replay `entry`'s saved case on `property` (on the active backend). Never throws for faults of the subject. */
export function replayEntry(property: Property<any>, entry: BaselineEntry): CaseReplay {
  if (entry.invariant !== undefined && !property.invariants.some((i) => i.name === entry.invariant)) {
    return { kind: 'obsolete', reason: `the property has no invariant '${entry.invariant}' any more` };
  }
  if (entry.case === undefined) {
    return { kind: 'other', reason: 'the entry has no saved case to replay (written by an older nanhunt: `npx nanhunt baseline` records one)' };
  }
  let inputs: unknown;
  try {
    inputs = deserializeValue(entry.case);
  } catch (e) {
    return { kind: 'other', reason: `its saved case cannot be read (${(e as Error).message})` };
  }
  if (entry.error !== undefined) {
    const { failure } = checkOnce(property, inputs);
    if (!failure) return { kind: 'passes' };
    if (failure.kind === 'error' && failure.stage === entry.error) return { kind: 'fails' };
    return { kind: 'other', reason: `its saved case now fails another way (${failureText(failure)})` };
  }
  const outcome = execute(property.subject, inputs, { gradients: property.gradients });
  if (outcome.kind === 'error') return { kind: 'other', reason: `its saved case now fails another way (error (${outcome.stage}): ${outcome.message})` };
  if (outcome.kind === 'unsupported') return { kind: 'other', reason: `its saved case cannot run here (${outcome.unsupported.message})` };
  const inv = property.invariants.find((i) => i.name === entry.invariant)!;
  try {
    const v = inv.check(outcome.observation);
    if (!v) return { kind: 'passes' };
    if (entry.kind === undefined || v.kind === entry.kind) return { kind: 'fails' };
    return { kind: 'other', reason: `its saved case now breaks '${inv.name}' another way (${v.kind ?? 'unclassified'}, not ${entry.kind})` };
  } catch (e) {
    return { kind: 'other', reason: `invariant '${inv.name}' threw on its saved case: ${errorText(e)}` };
  }
}

/**
 * Replay the saved case of every entry whose property ran in `results` on a backend the entry
 * applies to (the backend active now). Entries whose property did not run are left out.
 */
export function replayBaseline(
  baseline: Baseline | undefined,
  results: readonly PropertyResult[],
  properties: readonly Property<any>[],
  replay: (property: Property<any>, entry: BaselineEntry) => CaseReplay = replayEntry,
): Map<BaselineEntry, CaseReplay> {
  const replays = new Map<BaselineEntry, CaseReplay>();
  for (const entry of entriesToReplay(baseline?.entries ?? [], results)) {
    const property = properties.find((p) => p.name === entry.property);
    if (property) replays.set(entry, replay(property, entry));
  }
  return replays;
}

/** The entries whose property ran in `results` on a backend the entry applies to. */
export function entriesToReplay(entries: readonly BaselineEntry[], results: readonly PropertyResult[]): BaselineEntry[] {
  return entries.filter((entry) => results.some((r) => r.name === entry.property && (entry.backend === undefined || entry.backend === r.backend)));
}
