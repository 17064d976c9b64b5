/**
 * nanhunt — property-based numerical testing for TensorFlow.js.
 *
 * Pipeline: generate (arbitraries of TensorValues) → run the subject on a backend → check
 * invariants → shrink → explain (NaN provenance) → report.
 */
export { float32, classify, FLOAT32_CLASSES, type Float32Options, type Float32Class, type Float32Arb } from './generate/float32.ts';
export * from './core/float32.ts';
export { shape, type ShapeOptions } from './generate/shape.ts';
export { tensor, tensors, type TensorOptions, type TensorsOptions, type DimOptions } from './generate/tensor.ts';
export {
  tensorValue,
  isTensorValue,
  sizeOf,
  serializeValue,
  deserializeValue,
  type TensorValue,
  type DType,
} from './core/tensor-value.ts';
export { elementwise, fromArbitrary, type Elements } from './generate/elements.ts';
export {
  logits,
  probabilities,
  binaryLabels,
  oneHotLabels,
  weights,
  gradients,
  learningRates,
  integers,
  scalar,
  type LogitsOptions,
  type OneHotOptions,
  type WeightOptions,
  type InitScheme,
  type GradientOptions,
} from './generate/domain.ts';
export { simplerCandidates, isSimpler } from './shrink/simplify-number.ts';
export { invariant, type Invariant, type Observation, type Violation, type ReadTensor, type Location } from './check/invariant.ts';
export { finite, noNaN, type FiniteOptions } from './check/finite.ts';
export { execute, materialize, type Subject, type SubjectOutput, type Materialized, type Outcome } from './run/execute.ts';
export { useBackend, activeBackend, BACKENDS, BackendError, type BackendName } from './run/backend.ts';
export { recordKernels, type Provenance, type KernelCall, type Summary } from './explain/provenance.ts';
export { property, isProperty, type Property, type PropertyDefinition } from './property/property.ts';
export { runProperty, propertySeed, checkOnce, type PropertyResult, type RunOptions, type Failure, type Status } from './property/runner.ts';
export { failureReport, summaryLine, replayCommand, type ReportContext } from './report/format.ts';
export * from './train/index.ts';
export {
  openFailureDatabase,
  readFailureFile,
  DEFAULT_DB_DIR,
  type FailureDatabase,
  type FailureDatabaseOptions,
  type SavedFailure,
  type SaveMeta,
  type DbProblem,
  type PruneResult,
} from './db/database.ts';
export { FailureFileError, type FailureRecord, type FailureOrigin } from './db/record.ts';
export { replayFailure, environmentNotes } from './db/replay.ts';
export { loadRecordedProperty } from './db/origin.ts';
export { reproScript, writeRepro, type ReproInput, type Repro } from './report/repro.ts';
export { readBaseline, parseBaseline, formatBaseline, BaselineError, DEFAULT_BASELINE, type Baseline, type BaselineEntry } from './gate/baseline.ts';
export { evaluateGate, updateBaseline, verdictOf, type GateResult, type Verdict, type EntryOutcome } from './gate/gate.ts';
export { resultsDocument, REPORT_SCHEMA_FILE } from './report/json.ts';
export { junitXml } from './report/junit.ts';
export { htmlReport } from './report/html.ts';
export { errorPlotSvg } from './report/plot.ts';
export { unsupportedKernel, missingKernels, describeUnsupported, type Unsupported } from './run/backend.ts';
export {
  diffProperty,
  diffAll,
  type DiffOptions,
  type DiffAllOptions,
  type DiffResult,
  type DiffStatus,
  type Divergence,
  type DiffTiming,
} from './diff/differential.ts';
export { compareOutcomes, DEFAULT_TOLERANCE, type Tolerance as DiffTolerance, type Disagreement, type DisagreementKind, type ElementDiff, type Hint, type UlpStats } from './diff/compare.ts';
export { withReference, referenceOf, judge, type Reference, type ReferenceValues, type ReferenceColumn, type ReferencedProperty, type Verdict as DiffVerdict } from './diff/reference.ts';
export { prepareBackends, switchBackend, onBackend, checkBackendList } from './diff/switch.ts';
export { diffSummaryLine, diffReport, diffReplayCommand, diffClosingLine, type DiffContext } from './diff/report.ts';
export { diffDocument, diffResultToJson, type DiffDocument, type DiffPropertyJson, type DisagreementJson, type DiffRunInfo, type JsonNumber } from './diff/json.ts';
// Exact reference math and accuracy checks (issue 3)
export * as reference from './reference/index.ts';
export type { ExactTensor, Tolerance, ToleranceName, ReferenceOptions } from './reference/index.ts';
export { matchesReference, compareToReference, type ReferenceResult, type MatchesReferenceOptions } from './check/accuracy.ts';
export { measureError, bitsOfError, type ErrorMeasure } from './check/error.ts';
export { checkGradient, gradientMatches, type GradientOptions as GradientCheckOptions, type GradientReport } from './check/gradient.ts';
// The declarative catalog (issue 4)
export { opInfo, catalogProperties, entryProperties, CATALOG_RUNS, type OpInfo, type Family } from './catalog/op-info.ts';
