/**
 * `nanhunt/guard`: a flight recorder for real training. Attach it to model.fit / fitDataset (or use
 * it in a custom loop); on the first non-finite value it writes a capture of the step that made it,
 * which `nanhunt capture replay` takes again on any backend and `nanhunt capture shrink` reduces to
 * a standalone repro script.
 */
export { nanGuard, NanGuard, type GuardOptions, type Detection } from './guard.ts';
export {
  readCapture,
  writeCapture,
  CaptureFileError,
  DEFAULT_CAPTURE_DIR,
  CAPTURE_FORMAT,
  type Capture,
  type CaptureInfo,
  type CaptureEnvironment,
  type TensorRef,
} from './capture.ts';
export { describeSymptom, sameSymptom, isCaseData, type CaseData, type StepKind, type Symptom, type NamedValue } from './case.ts';
export { lossSpecOf, compileLossSource, type LossSpec, type LossFunction } from './loss.ts';
export { optimizerSpec, optimizerState, makeOptimizer, restoreOptimizerState, type OptimizerSpec, type OptimizerState, type Slot } from './optimizer-state.ts';
export { modelFromTopology, topologyOf, kerasToTfjsConfig } from './topology.ts';
export { faithfulStep, instrumentedStep, materializeCase, disposeCase, stepLoss, type StepResult, type LiveCase } from './step.ts';
export { replayCapture, formatReplay, runCase, environmentNotes, ReplayError, type ReplayResult, type StepOutcome } from './replay.ts';
export { shrinkCase, sameIdentity, describeIdentity, NothingToShrinkError, type ShrinkOptions, type ShrinkResult, type Identity } from './shrink.ts';
export { runCaseIdentity } from './identity.ts';
export { captureReproScript, writeCaptureRepro, captureReproWriter, type CaptureReproOptions } from './repro.ts';
export { captureProperty, capturePropertyFrom, capturedStepFinite, CAPTURE_INVARIANT, CAPTURE_PREFIX } from './property.ts';
export { captureInputFormatter, caseLines } from './report.ts';
