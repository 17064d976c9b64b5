/**
 * `nanhunt/diff`: differential testing — run a property's inputs on several backends, find where
 * they disagree, shrink the disagreement, and say which backend the exact reference agrees with.
 */
export {
  diffProperty,
  diffAll,
  type DiffOptions,
  type DiffAllOptions,
  type DiffResult,
  type DiffStatus,
  type Divergence,
  type DiffTiming,
} from './differential.ts';
export {
  compareOutcomes,
  disagreementKey,
  DEFAULT_TOLERANCE,
  type AgreementTolerance,
  type Disagreement,
  type DisagreementKind,
  type ElementDiff,
  type Hint,
  type UlpStats,
} from './compare.ts';
export { agreementDistance } from './ulps.ts';
export {
  withReference,
  referenceOf,
  judge,
  type Reference,
  type ReferenceValues,
  type ReferenceColumn,
  type ReferencedProperty,
  type ReferenceVerdict,
} from './reference.ts';
export { prepareBackends, switchBackend, onBackend, checkBackendList } from './switch.ts';
export { diffSummaryLine, diffReport, diffReplayCommand, diffClosingLine, type DiffContext } from './report.ts';
export { diffDocument, diffResultToJson, type DiffDocument, type DiffPropertyJson, type DisagreementJson, type DiffRunInfo, type JsonNumber } from './json.ts';
