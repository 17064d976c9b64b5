/**
 * Failures and their identity.
 *
 * A {@link Failure} is what went wrong in one run of a property: an invariant that broke, or an
 * error at a stage of the run. Its {@link FailureKey} is what makes two failures "the same
 * failure": the engine shrinks while candidates fail the same way, the baseline lists known
 * findings by key, the failure database files them by key. Differential runs add two more kinds
 * of identity — a kernel a backend lacks, and a disagreement between backends — so every place
 * that compares failures uses {@link sameFailure}, never a string built on the spot.
 */
import type { Violation, ViolationKind } from '../check/invariant.ts';
import type { PropertyResult } from './runner.ts';

/** The stage of a run where an error happened. */
export type ErrorStage =
  /** the generators threw (bad options, impossible domain) */
  | 'generate'
  /** the subject threw */
  | 'subject'
  /** the subject returned something other than tensors */
  | 'output'
  /** computing the gradients threw */
  | 'gradient'
  /** the subject left tensors or variables allocated */
  | 'leak'
  /** an invariant threw */
  | 'invariant'
  /** the minimal case passed when run again: the subject is not deterministic */
  | 'replay'
  /** the backend lacks a kernel the subject needs (reported with the tfjs message) */
  | 'unsupported'
  /** the property ran past `nanhunt check --timeout` and was stopped */
  | 'timeout'
  /** under `nanhunt check --timeout`, the subject ended the worker thread it ran in (process.exit, a late uncaught error) */
  | 'worker';

/** Every error stage, for validating what a file says. */
export const ERROR_STAGES: readonly ErrorStage[] = [
  'generate',
  'subject',
  'output',
  'gradient',
  'leak',
  'invariant',
  'replay',
  'unsupported',
  'timeout',
  'worker',
];

export function isErrorStage(x: unknown): x is ErrorStage {
  return typeof x === 'string' && (ERROR_STAGES as readonly string[]).includes(x);
}

/** Why a run of a property failed: a broken invariant or an error at a stage. */
export type Failure =
  | { readonly kind: 'violation'; readonly violation: Violation }
  | { readonly kind: 'error'; readonly stage: ErrorStage; readonly message: string };

/** How two backends' outcomes differ (see src/diff/compare.ts). */
export type DisagreementKind = 'throws' | 'structure' | 'finiteness' | 'value';

/** The identity of a failure: two failures are the same when their keys are equal. */
export type FailureKey =
  /** `violation`: the broken invariant and, for invariants with exact answers, how it broke */
  | { readonly kind: 'violation'; readonly invariant: string; readonly violation?: ViolationKind }
  | { readonly kind: 'error'; readonly stage: ErrorStage }
  | { readonly kind: 'unsupported'; readonly backend: string; readonly kernel: string }
  | {
      readonly kind: 'disagreement';
      readonly how: DisagreementKind;
      /** The two backends compared, the baseline first. */
      readonly backends: readonly [string, string];
      /** The tensor where they differ (empty when one backend threw). */
      readonly tensor: string;
      /** The backend that threw, or whose element is not finite (when only one). */
      readonly side?: string;
    };

/** The key of a property's failure. */
export function failureKey(f: Failure): FailureKey {
  if (f.kind === 'error') return { kind: 'error', stage: f.stage };
  const { invariant, kind } = f.violation;
  return kind ? { kind: 'violation', invariant, violation: kind } : { kind: 'violation', invariant };
}

/** Whether two keys name the same failure. */
export function sameFailure(a: FailureKey, b: FailureKey): boolean {
  switch (a.kind) {
    case 'violation':
      return b.kind === 'violation' && a.invariant === b.invariant && a.violation === b.violation;
    case 'error':
      return b.kind === 'error' && a.stage === b.stage;
    case 'unsupported':
      return b.kind === 'unsupported' && a.backend === b.backend && a.kernel === b.kernel;
    case 'disagreement':
      return (
        b.kind === 'disagreement' &&
        a.how === b.how &&
        a.backends[0] === b.backends[0] &&
        a.backends[1] === b.backends[1] &&
        a.tensor === b.tensor &&
        a.side === b.side
      );
  }
}

/** A key for people: `invariant finite`, `error (subject)`, `cpu vs wasm: value of output`. */
export function describeKey(k: FailureKey): string {
  switch (k.kind) {
    case 'violation':
      return `invariant ${k.invariant}${k.violation ? ` (${k.violation})` : ''}`;
    case 'error':
      return `error (${k.stage})`;
    case 'unsupported':
      return `no kernel '${k.kernel}' on ${k.backend}`;
    case 'disagreement':
      return `${k.backends[0]} vs ${k.backends[1]}: ${k.how}${k.tensor ? ` of ${k.tensor}` : ''}${k.side ? ` (${k.side})` : ''}`;
  }
}

/** What broke, short: the invariant's name, or `error (<stage>)`. */
export function failureName(f: Failure): string {
  return f.kind === 'violation' ? f.violation.invariant : `error (${f.stage})`;
}

/** One line: `finite: output is NaN`, or `error (subject): TypeError: ...`. */
export function failureText(f: Failure): string {
  return f.kind === 'violation' ? `${f.violation.invariant}: ${f.violation.message}` : `error (${f.stage}): ${f.message}`;
}

/** A result's failures: itself when it failed or errored, then its distinct failures (PropertyResult.distinct). */
export function failuresOf(r: PropertyResult): readonly PropertyResult[] {
  if (r.status !== 'failed' && r.status !== 'errored') return [];
  return r.distinct?.length ? [r, ...r.distinct] : [r];
}
